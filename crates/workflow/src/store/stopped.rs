//! SQL for where an incident stopped an instance's tokens (wf_stopped), kept until an
//! administrator runs them on or the instance ends.

use cqdt_platform::{DbError, DbResultExt};
use sqlx::AnyConnection;

/// Keeps the arrivals (JSON) an incident stopped.
pub async fn set_stopped(
    conn: &mut AnyConnection,
    instance: i64,
    arrivals: &str,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO wf_stopped (instance_id, arrivals, stopped_at) VALUES ($1, $2, $3) \
         ON CONFLICT (instance_id) DO UPDATE SET arrivals = excluded.arrivals, \
         stopped_at = excluded.stopped_at",
    )
    .bind(instance)
    .bind(arrivals)
    .bind(now)
    .execute(conn)
    .await
    .ctx("keeping where an incident stopped")?;
    Ok(())
}

/// Takes (reads and forgets) where an incident stopped an instance.
pub async fn take_stopped(
    conn: &mut AnyConnection,
    instance: i64,
) -> Result<Option<String>, DbError> {
    let arrivals: Option<String> =
        sqlx::query_scalar("SELECT arrivals FROM wf_stopped WHERE instance_id = $1")
            .bind(instance)
            .fetch_optional(&mut *conn)
            .await
            .ctx("reading where an incident stopped")?;
    delete_stopped(conn, instance).await?;
    Ok(arrivals)
}

/// Forgets where an incident stopped an instance (it was cancelled or ended).
pub async fn delete_stopped(conn: &mut AnyConnection, instance: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM wf_stopped WHERE instance_id = $1")
        .bind(instance)
        .execute(conn)
        .await
        .ctx("forgetting where an incident stopped")?;
    Ok(())
}

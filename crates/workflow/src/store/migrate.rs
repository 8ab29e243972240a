//! What instance migration reads and writes: the timers still pending, the definition.

use cqdt_platform::{DbError, DbResultExt};
use sqlx::AnyConnection;

/// The boundary events whose timers are pending for an instance.
pub async fn pending_timer_nodes(
    conn: &mut AnyConnection,
    instance: i64,
) -> Result<Vec<String>, DbError> {
    sqlx::query_scalar(
        "SELECT DISTINCT node_id FROM wf_timers WHERE instance_id = $1 AND status = 'pending'",
    )
    .bind(instance)
    .fetch_all(conn)
    .await
    .ctx("reading pending timers")
}

/// Moves an instance to another version of its process.
pub async fn set_definition(
    conn: &mut AnyConnection,
    instance: i64,
    definition: i64,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE wf_instances SET definition_id = $1, updated_at = $2 WHERE id = $3")
        .bind(definition)
        .bind(now)
        .bind(instance)
        .execute(conn)
        .await
        .ctx("moving an instance to another version")?;
    Ok(())
}

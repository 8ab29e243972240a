//! SQL for multi-instance activities in progress (wf_loops: one row per instance and task
//! element, its state as JSON) and for ending the tasks of one.

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::AnyConnection;

use super::batch::{push_ids, IDS_PER_STATEMENT};

/// The activities in progress of some instances: (instance, node, state JSON).
pub async fn loops_of(
    conn: &mut AnyConnection,
    instance_ids: &[i64],
) -> Result<Vec<(i64, String, String)>, DbError> {
    let mut out = Vec::new();
    for chunk in instance_ids.chunks(IDS_PER_STATEMENT) {
        let mut q =
            Sql::on(conn, "SELECT instance_id, node_id, state FROM wf_loops WHERE instance_id IN ");
        push_ids(&mut q, chunk);
        let rows: Vec<(i64, String, String)> =
            q.build_query_as().fetch_all(&mut *conn).await.ctx("reading multi-instance state")?;
        out.extend(rows);
    }
    Ok(out)
}

/// Writes an activity's state, or (None) forgets it: the activity has ended.
pub async fn set_loop(
    conn: &mut AnyConnection,
    instance: i64,
    node: &str,
    state: Option<&str>,
) -> Result<(), DbError> {
    let q = match state {
        Some(s) => sqlx::query(
            "INSERT INTO wf_loops (instance_id, node_id, state) VALUES ($1, $2, $3) \
             ON CONFLICT (instance_id, node_id) DO UPDATE SET state = excluded.state",
        )
        .bind(instance)
        .bind(node)
        .bind(s),
        None => sqlx::query("DELETE FROM wf_loops WHERE instance_id = $1 AND node_id = $2")
            .bind(instance)
            .bind(node),
    };
    q.execute(conn).await.ctx("writing multi-instance state")?;
    Ok(())
}

/// Forgets every activity in progress of an instance (cancelled or terminated).
pub async fn delete_loops(conn: &mut AnyConnection, instance: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM wf_loops WHERE instance_id = $1")
        .bind(instance)
        .execute(conn)
        .await
        .ctx("forgetting multi-instance state")?;
    Ok(())
}

/// Cancels the tasks of one activity still open (its completion condition was met).
pub async fn cancel_node_tasks(
    conn: &mut AnyConnection,
    instance: i64,
    node: &str,
    now: &str,
) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE wf_tasks SET status = 'cancelled', completed_at = $1, completed_by = 'system' \
         WHERE instance_id = $2 AND node_id = $3 AND status = 'open'",
    )
    .bind(now)
    .bind(instance)
    .bind(node)
    .execute(conn)
    .await
    .ctx("cancelling the rest of a multi-instance activity")?;
    Ok(done.rows_affected())
}

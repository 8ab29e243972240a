//! SQL for call activities: the instances a caller's task (a call activity's row) started
//! (`wf_instances.parent_task_id`).

use cqdt_platform::{DbError, DbResultExt};
use sqlx::AnyConnection;

use super::batch::rows_in;
use super::{instances_of, InstanceRow, StoredInstance, INSTANCE_COLS};

/// The instances still running (or stopped by an incident) that some callers' tasks started,
/// by id.
pub async fn running_called_from(
    conn: &mut AnyConnection,
    tasks: &[i64],
) -> Result<Vec<InstanceRow>, DbError> {
    let select = format!(
        "SELECT {INSTANCE_COLS} FROM wf_instances WHERE status IN ('active', 'incident') \
         AND parent_task_id IN "
    );
    let rows: Vec<StoredInstance> =
        rows_in(conn, &select, tasks, "reading called instances").await?;
    let mut out = instances_of(rows)?;
    out.sort_by_key(|i| i.id);
    Ok(out)
}

/// The called instances of `instance` that have completed while their caller's task is still
/// open (the caller was stopped by an incident when they ended).
pub async fn ended_calls(
    conn: &mut AnyConnection,
    instance: i64,
) -> Result<Vec<InstanceRow>, DbError> {
    let cols = INSTANCE_COLS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ");
    let rows: Vec<StoredInstance> = sqlx::query_as(&format!(
        "SELECT {cols} FROM wf_instances c JOIN wf_tasks t ON t.id = c.parent_task_id \
         WHERE t.instance_id = $1 AND t.status = 'open' AND c.status = 'completed' ORDER BY c.id"
    ))
    .bind(instance)
    .fetch_all(conn)
    .await
    .ctx("reading ended called instances")?;
    instances_of(rows)
}

/// The instances an instance's call activities started: (caller's task, called instance,
/// its status), in the order they started.
pub async fn called_by(
    conn: &mut AnyConnection,
    instance: i64,
) -> Result<Vec<(i64, i64, String)>, DbError> {
    sqlx::query_as(
        "SELECT c.parent_task_id, c.id, c.status FROM wf_instances c \
         JOIN wf_tasks t ON t.id = c.parent_task_id WHERE t.instance_id = $1 ORDER BY c.id",
    )
    .bind(instance)
    .fetch_all(conn)
    .await
    .ctx("reading called instances")
}

/// The process key (id) of a definition.
pub async fn definition_key(conn: &mut AnyConnection, id: i64) -> Result<String, DbError> {
    sqlx::query_scalar("SELECT key FROM wf_definitions WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
        .ctx("reading a definition's key")
}

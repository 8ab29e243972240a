//! Set-wise statements of the group-commit path: a few statements per batch of commands, a
//! hundred rows each, far below either backend's limit on parameters. Built with
//! [`Sql`], which writes bare `?` on SQLite (numbered placeholders cost a name lookup per
//! parameter there) and `$n` on PostgreSQL.

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::AnyConnection;

use super::{instances_of, InstanceRow, StoredInstance, TaskRow, INSTANCE_COLS, TASK_COLS};

const ROWS_PER_STATEMENT: usize = 100;

/// Ids per `IN (…)` list.
pub(super) const IDS_PER_STATEMENT: usize = ROWS_PER_STATEMENT * 4;

/// Appends `(?, ?, …)` binding `ids`.
pub(super) fn push_ids(q: &mut Sql<'_>, ids: &[i64]) {
    q.push("(");
    let mut list = q.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    q.push(")");
}

/// Rows of `select` (ending in `… IN `) for `ids`, a chunk of ids per statement.
pub(super) async fn rows_in<T>(
    conn: &mut AnyConnection,
    select: &str,
    ids: &[i64],
    what: &'static str,
) -> Result<Vec<T>, DbError>
where
    T: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, select.to_string());
        push_ids(&mut q, chunk);
        let rows: Vec<T> = q.build_query_as().fetch_all(&mut *conn).await.ctx(what)?;
        out.extend(rows);
    }
    Ok(out)
}

/// Tasks by id (missing ids are simply absent).
pub async fn tasks_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<TaskRow>, DbError> {
    let select = format!("SELECT {TASK_COLS} FROM wf_tasks WHERE id IN ");
    rows_in(conn, &select, ids, "reading tasks").await
}

/// The open tasks of some instances, as (instance, task, node): where their tokens wait.
pub async fn open_tasks_of(
    conn: &mut AnyConnection,
    instance_ids: &[i64],
) -> Result<Vec<(i64, i64, String)>, DbError> {
    let select =
        "SELECT instance_id, id, node_id FROM wf_tasks WHERE status = 'open' AND instance_id IN ";
    rows_in(conn, select, instance_ids, "reading open tasks").await
}

/// Instances by id, locked for the rest of the transaction (missing ids are absent).
pub async fn instances_by_ids(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<InstanceRow>, DbError> {
    let sqlite = cqdt_platform::db::is_sqlite(conn);
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, format!("SELECT {INSTANCE_COLS} FROM wf_instances WHERE id IN "));
        push_ids(&mut q, chunk);
        q.push(" ORDER BY id");
        if !sqlite {
            // PostgreSQL: writers moving the same instance wait for each other, in id
            // order; SQLite has one writer at a time anyway.
            q.push(" FOR UPDATE");
        }
        let rows: Vec<StoredInstance> =
            q.build_query_as().fetch_all(&mut *conn).await.ctx("reading instances")?;
        out.extend(instances_of(rows)?);
    }
    Ok(out)
}

/// Arrivals waiting at joins of some instances: (instance, join key, arrived).
pub async fn joins_of(
    conn: &mut AnyConnection,
    instance_ids: &[i64],
) -> Result<Vec<(i64, String, i64)>, DbError> {
    let select = "SELECT instance_id, node_id, arrived FROM wf_joins WHERE instance_id IN ";
    rows_in(conn, select, instance_ids, "reading join arrivals").await
}

/// Sets (or, with `None`, clears) the arrivals waiting at a join.
pub async fn set_join(
    conn: &mut AnyConnection,
    instance_id: i64,
    node_id: &str,
    arrived: Option<i64>,
) -> Result<(), DbError> {
    match arrived {
        Some(n) => sqlx::query(
            "INSERT INTO wf_joins (instance_id, node_id, arrived) VALUES ($1, $2, $3) \
             ON CONFLICT (instance_id, node_id) DO UPDATE SET arrived = excluded.arrived",
        )
        .bind(instance_id)
        .bind(node_id)
        .bind(n)
        .execute(conn)
        .await
        .ctx("recording join arrival")?,
        None => sqlx::query("DELETE FROM wf_joins WHERE instance_id = $1 AND node_id = $2")
            .bind(instance_id)
            .bind(node_id)
            .execute(conn)
            .await
            .ctx("resetting join")?,
    };
    Ok(())
}

/// Marks open tasks completed by one person; returns the ids that were still open.
pub async fn complete_tasks(
    conn: &mut AnyConnection,
    ids: &[i64],
    actor: &str,
    now: &str,
) -> Result<Vec<i64>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, "UPDATE wf_tasks SET status = 'completed', completed_at = ");
        q.push_bind(now).push(", completed_by = ").push_bind(actor);
        q.push(" WHERE id IN ");
        push_ids(&mut q, chunk);
        // `status || ''` keeps the planner on the primary key: on `status = 'open'` PostgreSQL
        // also scans the pool index over every open task and ANDs the two bitmaps.
        q.push(" AND status || '' = 'open' RETURNING id");
        let done: Vec<i64> =
            q.build_query_scalar().fetch_all(&mut *conn).await.ctx("completing tasks")?;
        out.extend(done);
    }
    Ok(out)
}

/// Cancels the pending timers of some tasks.
pub async fn cancel_timers_of(conn: &mut AnyConnection, task_ids: &[i64]) -> Result<(), DbError> {
    for chunk in task_ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, "UPDATE wf_timers SET status = 'cancelled' WHERE task_id IN ");
        push_ids(&mut q, chunk);
        // As above: the task index, not a scan of every pending timer.
        q.push(" AND status || '' = 'pending'");
        q.build().execute(&mut *conn).await.ctx("cancelling timers")?;
    }
    Ok(())
}

/// Inserts instances as they stand after their first steps; returns their ids in order.
pub async fn insert_instances(
    conn: &mut AnyConnection,
    rows: &[&InstanceRow],
    now: &str,
) -> Result<Vec<i64>, DbError> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_instances (definition_id, business_key, agency, status, tokens, \
             variables, incident, started_at, ended_at, updated_at, parent_task_id) ",
        );
        q.push_values(chunk, |mut row, i| {
            row.push_bind(i.definition_id)
                .push_bind(i.business_key.as_deref())
                .push_bind(i.agency.as_deref())
                .push_bind(i.status.as_str())
                .push_bind(i.tokens)
                .push_bind(variables_json(i))
                .push_bind(i.incident.as_deref())
                .push_bind(now)
                .push_bind(i.ended_at.as_deref())
                .push_bind(now)
                .push_bind(i.parent_task_id);
        });
        q.push(" RETURNING id");
        let mut ids: Vec<i64> =
            q.build_query_scalar().fetch_all(&mut *conn).await.ctx("creating instances")?;
        // Identity values are drawn row by row in the order of the VALUES list, so sorted
        // ids correspond to the rows in order; RETURNING itself promises no order.
        ids.sort_unstable();
        if ids.len() != chunk.len() {
            return Err(DbError::Config(format!(
                "{} instances inserted, {} ids returned",
                chunk.len(),
                ids.len()
            )));
        }
        out.extend(ids);
    }
    Ok(out)
}

fn variables_json(i: &InstanceRow) -> String {
    serde_json::Value::Object(i.variables.clone()).to_string()
}

/// Saves the state of instances that moved.
pub async fn save_instances(
    conn: &mut AnyConnection,
    rows: &[&InstanceRow],
    now: &str,
) -> Result<(), DbError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::on(
            conn,
            "UPDATE wf_instances SET status = v.column2, tokens = v.column3, \
             variables = v.column4, incident = v.column5, ended_at = v.column6, updated_at = ",
        );
        q.push_bind(now).push(" FROM (");
        q.push_values(chunk, |mut row, i| {
            row.push_bind(i.id)
                .push_bind(i.status.as_str())
                .push_bind(i.tokens)
                .push_bind(variables_json(i))
                .push_bind(i.incident.as_deref())
                .push_bind(i.ended_at.as_deref());
        });
        q.push(") AS v WHERE wf_instances.id = v.column1");
        q.build().execute(&mut *conn).await.ctx("saving instances")?;
    }
    Ok(())
}

/// A task to create.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Instance.
    pub instance_id: i64,
    /// BPMN element.
    pub node_id: String,
    /// Name.
    pub name: String,
    /// Candidate role.
    pub role: Option<String>,
    /// Agency.
    pub agency: Option<String>,
    /// Assigned from the start, when the diagram says so.
    pub assignee: Option<String>,
    /// Due date, yyyy-mm-dd.
    pub due_date: Option<String>,
    /// Variables only this task sees (a multi-instance task's), as JSON.
    pub local_vars: Option<String>,
}

/// Creates tasks; returns (id, instance, node) of each, in no particular order.
pub async fn insert_tasks(
    conn: &mut AnyConnection,
    rows: &[NewTask],
    now: &str,
) -> Result<Vec<(i64, i64, String)>, DbError> {
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_tasks (instance_id, node_id, name, role, agency, assignee, \
             due_date, local_vars, created_at, status) ",
        );
        q.push_values(chunk, |mut row, t| {
            row.push_bind(t.instance_id)
                .push_bind(t.node_id.as_str())
                .push_bind(t.name.as_str())
                .push_bind(t.role.as_deref())
                .push_bind(t.agency.as_deref())
                .push_bind(t.assignee.as_deref())
                .push_bind(t.due_date.as_deref())
                .push_bind(t.local_vars.as_deref())
                .push_bind(now)
                .push_unseparated(", 'open'");
        });
        q.push(" RETURNING id, instance_id, node_id");
        let created: Vec<(i64, i64, String)> =
            q.build_query_as().fetch_all(&mut *conn).await.ctx("creating tasks")?;
        out.extend(created);
    }
    Ok(out)
}

/// Schedules timers: (instance, task, boundary node, fire on).
pub async fn insert_timers(
    conn: &mut AnyConnection,
    rows: &[(i64, i64, String, String)],
) -> Result<(), DbError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_timers (instance_id, task_id, node_id, fire_on, status) ",
        );
        q.push_values(chunk, |mut row, (i, t, n, f)| {
            row.push_bind(*i)
                .push_bind(*t)
                .push_bind(n.as_str())
                .push_bind(f.as_str())
                .push_unseparated(", 'pending'");
        });
        q.build().execute(&mut *conn).await.ctx("scheduling timers")?;
    }
    Ok(())
}

/// A history line to append.
#[derive(Debug, Clone)]
pub struct NewHistory {
    /// Instance.
    pub instance_id: i64,
    /// BPMN element.
    pub node_id: String,
    /// What happened.
    pub event: &'static str,
    /// Who.
    pub actor: String,
    /// Details.
    pub detail: Option<String>,
}

/// Appends history lines, in order.
pub async fn insert_history(
    conn: &mut AnyConnection,
    rows: &[NewHistory],
    at: &str,
) -> Result<(), DbError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_history (instance_id, node_id, event, actor, detail, at) ",
        );
        q.push_values(chunk, |mut row, h| {
            row.push_bind(h.instance_id)
                .push_bind(h.node_id.as_str())
                .push_bind(h.event)
                .push_bind(h.actor.as_str())
                .push_bind(h.detail.as_deref())
                .push_bind(at);
        });
        q.build().execute(&mut *conn).await.ctx("recording history")?;
    }
    Ok(())
}

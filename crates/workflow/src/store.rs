//! SQL for the workflow tables: wf_definitions, wf_instances, wf_tasks, wf_timers, wf_joins,
//! wf_history.

use cqdt_platform::db::{is_sqlite, mark, marks};
use cqdt_platform::{Db, DbError, DbResultExt};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

/// A deployed definition.
#[derive(Debug, Clone, Serialize)]
pub struct DefinitionRow {
    /// Id.
    pub id: i64,
    /// Process key.
    pub key: String,
    /// Version, from 1.
    pub version: i64,
    /// Name.
    pub name: String,
    /// Deployed when.
    pub created_at: String,
    /// By whom.
    pub created_by: String,
}

/// A process instance.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceRow {
    /// Id.
    pub id: i64,
    /// Definition it runs (its version is fixed for its life).
    pub definition_id: i64,
    /// The business object, e.g. a dossier code.
    pub business_key: Option<String>,
    /// Agency the work belongs to.
    pub agency: Option<String>,
    /// active, completed, incident or cancelled.
    pub status: String,
    /// Live tokens.
    pub tokens: i64,
    /// Variables (JSON object).
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// What stopped it, when status is incident.
    pub incident: Option<String>,
    /// Started.
    pub started_at: String,
    /// Ended.
    pub ended_at: Option<String>,
}

/// A user task.
#[derive(Debug, Clone, Serialize)]
pub struct TaskRow {
    /// Id.
    pub id: i64,
    /// Instance.
    pub instance_id: i64,
    /// BPMN element.
    pub node_id: String,
    /// Name.
    pub name: String,
    /// Candidate role.
    pub role: Option<String>,
    /// Agency scope.
    pub agency: Option<String>,
    /// open, completed or cancelled.
    pub status: String,
    /// Who claimed it.
    pub assignee: Option<String>,
    /// Created.
    pub created_at: String,
    /// Due (working-day arithmetic), yyyy-mm-dd.
    pub due_date: Option<String>,
    /// Completed.
    pub completed_at: Option<String>,
    /// By whom.
    pub completed_by: Option<String>,
}

/// One step of an instance's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryRow {
    /// BPMN element.
    pub node_id: String,
    /// What happened.
    pub event: String,
    /// Who.
    pub actor: String,
    /// When.
    pub at: String,
    /// Details.
    pub detail: Option<String>,
}

fn instance(r: &AnyRow) -> Result<InstanceRow, sqlx::Error> {
    let vars: String = r.try_get("variables")?;
    Ok(InstanceRow {
        id: r.try_get("id")?,
        definition_id: r.try_get("definition_id")?,
        business_key: r.try_get("business_key")?,
        agency: r.try_get("agency")?,
        status: r.try_get("status")?,
        tokens: r.try_get("tokens")?,
        variables: serde_json::from_str(&vars).unwrap_or_default(),
        incident: r.try_get("incident")?,
        started_at: r.try_get("started_at")?,
        ended_at: r.try_get("ended_at")?,
    })
}

fn task(r: &AnyRow) -> Result<TaskRow, sqlx::Error> {
    Ok(TaskRow {
        id: r.try_get("id")?,
        instance_id: r.try_get("instance_id")?,
        node_id: r.try_get("node_id")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        agency: r.try_get("agency")?,
        status: r.try_get("status")?,
        assignee: r.try_get("assignee")?,
        created_at: r.try_get("created_at")?,
        due_date: r.try_get("due_date")?,
        completed_at: r.try_get("completed_at")?,
        completed_by: r.try_get("completed_by")?,
    })
}

const INSTANCE_COLS: &str = "id, definition_id, business_key, agency, status, tokens, variables, incident, started_at, ended_at";
const TASK_COLS: &str = "id, instance_id, node_id, name, role, agency, status, assignee, created_at, due_date, completed_at, completed_by";

/// The newest version of a key: (id, version, xml hash-free model JSON).
pub async fn latest_definition(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<(i64, i64, String)>, DbError> {
    sqlx::query_as(
        "SELECT id, version, xml FROM wf_definitions WHERE key = $1 ORDER BY version DESC LIMIT 1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
    .ctx("reading process definition")
}

/// Stores a new version.
#[allow(clippy::too_many_arguments)]
pub async fn insert_definition(
    conn: &mut AnyConnection,
    key: &str,
    version: i64,
    name: &str,
    xml: &str,
    model: &str,
    actor: &str,
    now: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO wf_definitions (key, version, name, xml, model, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(key)
    .bind(version)
    .bind(name)
    .bind(xml)
    .bind(model)
    .bind(now)
    .bind(actor)
    .fetch_one(conn)
    .await
    .ctx("storing process definition")
}

/// A definition's model JSON.
pub async fn definition_model(db: &Db, id: i64) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT model FROM wf_definitions WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .ctx("reading process model")
}

/// All definitions, newest first.
pub async fn list_definitions(db: &Db) -> Result<Vec<DefinitionRow>, DbError> {
    let rows = sqlx::query("SELECT id, key, version, name, created_at, created_by FROM wf_definitions ORDER BY key, version DESC")
        .fetch_all(db.pool())
        .await
        .ctx("listing process definitions")?;
    rows.iter()
        .map(|r| {
            Ok(DefinitionRow {
                id: r.try_get("id")?,
                key: r.try_get("key")?,
                version: r.try_get("version")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                created_by: r.try_get("created_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding process definitions")
}

/// Reads an instance.
pub async fn get_instance(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<InstanceRow>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {INSTANCE_COLS} FROM wf_instances WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
    .ctx("reading process instance")?;
    row.map(|r| instance(&r))
        .transpose()
        .ctx("decoding process instance")
}

/// Open tasks for any of the given roles, oldest first, with their instance's business key
/// (the caller filters by agency scope, which may be a subtree).
pub async fn open_tasks_for_roles(
    db: &Db,
    roles: &[&str],
    limit: i64,
) -> Result<Vec<(TaskRow, Option<String>)>, DbError> {
    if roles.is_empty() {
        return Ok(Vec::new());
    }
    let cols = TASK_COLS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let marks = (1..=roles.len())
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols}, i.business_key FROM wf_tasks t JOIN wf_instances i ON i.id = t.instance_id \
         WHERE t.status = 'open' AND t.role IN ({marks}) ORDER BY t.id LIMIT {}",
        limit.clamp(1, 5000)
    );
    let mut q = sqlx::query(&sql);
    for r in roles {
        q = q.bind(*r);
    }
    let rows = q.fetch_all(db.pool()).await.ctx("finding open tasks")?;
    rows.iter()
        .map(|r| Ok((task(r)?, r.try_get::<Option<String>, _>("business_key")?)))
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding open tasks")
}

/// The newest instance of a business object.
pub async fn instance_by_business_key(db: &Db, key: &str) -> Result<Option<i64>, DbError> {
    let row =
        sqlx::query("SELECT id FROM wf_instances WHERE business_key = $1 ORDER BY id DESC LIMIT 1")
            .bind(key)
            .fetch_optional(db.pool())
            .await
            .ctx("finding the instance of a business object")?;
    row.map(|r| r.try_get::<i64, _>("id"))
        .transpose()
        .ctx("decoding an instance id")
}

/// Reads a task.
pub async fn get_task(conn: &mut AnyConnection, id: i64) -> Result<Option<TaskRow>, DbError> {
    let row = sqlx::query(&format!("SELECT {TASK_COLS} FROM wf_tasks WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("reading task")?;
    row.map(|r| task(&r)).transpose().ctx("decoding task")
}

/// Marks a task completed or cancelled; answers whether it was still open.
pub async fn close_task(
    conn: &mut AnyConnection,
    id: i64,
    status: &str,
    actor: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE wf_tasks SET status = $1, completed_at = $2, completed_by = $3 WHERE id = $4 AND status = 'open'")
        .bind(status)
        .bind(now)
        .bind(actor)
        .bind(id)
        .execute(conn)
        .await
        .ctx("closing task")?;
    Ok(done.rows_affected() == 1)
}

/// Claims an open task for a person; answers whether it was free (or already theirs).
pub async fn claim_task(conn: &mut AnyConnection, id: i64, who: &str) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE wf_tasks SET assignee = $1 WHERE id = $2 AND status = 'open' AND (assignee IS NULL OR assignee = $1)")
        .bind(who)
        .bind(id)
        .execute(conn)
        .await
        .ctx("claiming task")?;
    Ok(done.rows_affected() == 1)
}

/// Open and finished tasks matching a pool.
pub async fn find_tasks(
    db: &Db,
    role: Option<&str>,
    agency: Option<&str>,
    status: Option<&str>,
    instance: Option<i64>,
    limit: i64,
) -> Result<Vec<TaskRow>, DbError> {
    let mut sql = format!("SELECT {TASK_COLS} FROM wf_tasks WHERE 1 = 1");
    let mut args: Vec<String> = Vec::new();
    for (col, v) in [("role", role), ("agency", agency), ("status", status)] {
        if let Some(v) = v {
            args.push(v.to_string());
            sql.push_str(&format!(" AND {col} = ${}", args.len()));
        }
    }
    if let Some(i) = instance {
        sql.push_str(&format!(" AND instance_id = {i}"));
    }
    sql.push_str(&format!(" ORDER BY id LIMIT {}", limit.clamp(1, 5000)));
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(db.pool()).await.ctx("finding tasks")?;
    rows.iter()
        .map(task)
        .collect::<Result<_, _>>()
        .ctx("decoding tasks")
}

/// Instances, newest first.
pub async fn list_instances(
    db: &Db,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<InstanceRow>, DbError> {
    let rows = match status {
        Some(s) => {
            sqlx::query(&format!(
            "SELECT {INSTANCE_COLS} FROM wf_instances WHERE status = $1 ORDER BY id DESC LIMIT $2"
        ))
            .bind(s)
            .bind(limit)
            .fetch_all(db.pool())
            .await
        }
        None => {
            sqlx::query(&format!(
                "SELECT {INSTANCE_COLS} FROM wf_instances ORDER BY id DESC LIMIT $1"
            ))
            .bind(limit)
            .fetch_all(db.pool())
            .await
        }
    }
    .ctx("listing instances")?;
    rows.iter()
        .map(instance)
        .collect::<Result<_, _>>()
        .ctx("decoding instances")
}

/// Pending timers due on or before `day`: (timer id, instance id, task id, boundary node).
pub async fn due_timers(db: &Db, day: &str) -> Result<Vec<(i64, i64, i64, String)>, DbError> {
    sqlx::query_as("SELECT id, instance_id, task_id, node_id FROM wf_timers WHERE status = 'pending' AND fire_on <= $1 ORDER BY id LIMIT 500")
        .bind(day)
        .fetch_all(db.pool())
        .await
        .ctx("finding due timers")
}

/// Marks a timer fired; answers whether it was still pending (so it fires once).
pub async fn fire_timer(conn: &mut AnyConnection, id: i64) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE wf_timers SET status = 'fired' WHERE id = $1 AND status = 'pending'")
            .bind(id)
            .execute(conn)
            .await
            .ctx("firing timer")?;
    Ok(done.rows_affected() == 1)
}

/// An instance's history, oldest first.
pub async fn get_history(db: &Db, instance_id: i64) -> Result<Vec<HistoryRow>, DbError> {
    let rows = sqlx::query("SELECT node_id, event, actor, at, detail FROM wf_history WHERE instance_id = $1 ORDER BY id")
        .bind(instance_id)
        .fetch_all(db.pool())
        .await
        .ctx("reading history")?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                node_id: r.try_get("node_id")?,
                event: r.try_get("event")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding history")
}

// ---- Set-wise statements of the group-commit path: a few statements per batch of commands,
// a hundred rows each, far below either backend's limit on parameters.

const ROWS_PER_STATEMENT: usize = 100;

/// Tasks by id (missing ids are simply absent).
pub async fn tasks_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<TaskRow>, DbError> {
    let sq = is_sqlite(conn);
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "SELECT {TASK_COLS} FROM wf_tasks WHERE id IN ({})",
            marks(sq, 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&mut *conn).await.ctx("reading tasks")?;
        for r in &rows {
            out.push(task(r).ctx("decoding task")?);
        }
    }
    Ok(out)
}

/// Instances by id, locked for the rest of the transaction (missing ids are absent).
pub async fn instances_by_ids(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<InstanceRow>, DbError> {
    let sq = is_sqlite(conn);
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "SELECT {INSTANCE_COLS} FROM wf_instances WHERE id IN ({}) ORDER BY id{}",
            marks(sq, 1, chunk.len()),
            // PostgreSQL: writers moving the same instance wait for each other, in id
            // order; SQLite has one writer at a time anyway.
            if sq { "" } else { " FOR UPDATE" }
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        let rows = q.fetch_all(&mut *conn).await.ctx("reading instances")?;
        for r in &rows {
            out.push(instance(r).ctx("decoding instance")?);
        }
    }
    Ok(out)
}

/// Arrivals waiting at parallel joins of some instances: (instance, join node, arrived).
pub async fn joins_of(
    conn: &mut AnyConnection,
    instance_ids: &[i64],
) -> Result<Vec<(i64, String, i64)>, DbError> {
    let sq = is_sqlite(conn);
    let mut out = Vec::new();
    for chunk in instance_ids.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "SELECT instance_id, node_id, arrived FROM wf_joins WHERE instance_id IN ({})",
            marks(sq, 1, chunk.len())
        );
        let mut q = sqlx::query_as::<_, (i64, String, i64)>(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *conn).await.ctx("reading join arrivals")?);
    }
    Ok(out)
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
    let sq = is_sqlite(conn);
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "UPDATE wf_tasks SET status = 'completed', completed_at = {}, completed_by = {} \
             WHERE status = 'open' AND id IN ({}) RETURNING id",
            mark(sq, 1),
            mark(sq, 2),
            marks(sq, 3, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(now).bind(actor);
        for id in chunk {
            q = q.bind(*id);
        }
        out.extend(q.fetch_all(&mut *conn).await.ctx("completing tasks")?);
    }
    Ok(out)
}

/// Cancels the pending timers of some tasks.
pub async fn cancel_timers_of(conn: &mut AnyConnection, task_ids: &[i64]) -> Result<(), DbError> {
    let sq = is_sqlite(conn);
    for chunk in task_ids.chunks(ROWS_PER_STATEMENT * 4) {
        let sql = format!(
            "UPDATE wf_timers SET status = 'cancelled' WHERE status = 'pending' AND task_id IN ({})",
            marks(sq, 1, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for id in chunk {
            q = q.bind(*id);
        }
        q.execute(&mut *conn).await.ctx("cancelling timers")?;
    }
    Ok(())
}

/// Inserts instances as they stand after their first steps; returns their ids in order.
pub async fn insert_instances(
    conn: &mut AnyConnection,
    rows: &[&InstanceRow],
    now: &str,
) -> Result<Vec<i64>, DbError> {
    let sq = is_sqlite(conn);
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|k| format!("({})", marks(sq, 1 + k * 10, 10)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO wf_instances (definition_id, business_key, agency, status, tokens, variables, incident, started_at, ended_at, updated_at) \
             VALUES {values} RETURNING id"
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for i in chunk {
            q = q
                .bind(i.definition_id)
                .bind(i.business_key.as_deref())
                .bind(i.agency.as_deref())
                .bind(i.status.as_str())
                .bind(i.tokens)
                .bind(serde_json::Value::Object(i.variables.clone()).to_string())
                .bind(i.incident.as_deref())
                .bind(now)
                .bind(i.ended_at.as_deref())
                .bind(now);
        }
        let mut ids = q.fetch_all(&mut *conn).await.ctx("creating instances")?;
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

/// Saves the state of instances that moved.
pub async fn save_instances(
    conn: &mut AnyConnection,
    rows: &[&InstanceRow],
    now: &str,
) -> Result<(), DbError> {
    let sq = is_sqlite(conn);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|k| format!("({})", marks(sq, 2 + k * 6, 6)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "UPDATE wf_instances SET status = v.column2, tokens = v.column3, variables = v.column4, \
             incident = v.column5, ended_at = v.column6, updated_at = {} \
             FROM (VALUES {values}) AS v WHERE wf_instances.id = v.column1",
            mark(sq, 1)
        );
        let mut q = sqlx::query(&sql).bind(now);
        for i in chunk {
            q = q
                .bind(i.id)
                .bind(i.status.as_str())
                .bind(i.tokens)
                .bind(serde_json::Value::Object(i.variables.clone()).to_string())
                .bind(i.incident.as_deref())
                .bind(i.ended_at.as_deref());
        }
        q.execute(&mut *conn).await.ctx("saving instances")?;
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
    /// Due date, yyyy-mm-dd.
    pub due_date: Option<String>,
}

/// Creates tasks; returns (id, instance, node) of each, in no particular order.
pub async fn insert_tasks(
    conn: &mut AnyConnection,
    rows: &[NewTask],
    now: &str,
) -> Result<Vec<(i64, i64, String)>, DbError> {
    let sq = is_sqlite(conn);
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|k| format!("({}, 'open')", marks(sq, 1 + k * 7, 7)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO wf_tasks (instance_id, node_id, name, role, agency, due_date, created_at, status) \
             VALUES {values} RETURNING id, instance_id, node_id"
        );
        let mut q = sqlx::query_as::<_, (i64, i64, String)>(&sql);
        for t in chunk {
            q = q
                .bind(t.instance_id)
                .bind(t.node_id.as_str())
                .bind(t.name.as_str())
                .bind(t.role.as_deref())
                .bind(t.agency.as_deref())
                .bind(t.due_date.as_deref())
                .bind(now);
        }
        out.extend(q.fetch_all(&mut *conn).await.ctx("creating tasks")?);
    }
    Ok(out)
}

/// Schedules timers: (instance, task, boundary node, fire on).
pub async fn insert_timers(
    conn: &mut AnyConnection,
    rows: &[(i64, i64, String, String)],
) -> Result<(), DbError> {
    let sq = is_sqlite(conn);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|k| format!("({}, 'pending')", marks(sq, 1 + k * 4, 4)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO wf_timers (instance_id, task_id, node_id, fire_on, status) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for (i, t, n, f) in chunk {
            q = q.bind(*i).bind(*t).bind(n.as_str()).bind(f.as_str());
        }
        q.execute(&mut *conn).await.ctx("scheduling timers")?;
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
    let sq = is_sqlite(conn);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|k| format!("({})", marks(sq, 1 + k * 6, 6)))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO wf_history (instance_id, node_id, event, actor, detail, at) VALUES {values}"
        );
        let mut q = sqlx::query(&sql);
        for h in chunk {
            q = q
                .bind(h.instance_id)
                .bind(h.node_id.as_str())
                .bind(h.event)
                .bind(h.actor.as_str())
                .bind(h.detail.as_deref())
                .bind(at);
        }
        q.execute(&mut *conn).await.ctx("recording history")?;
    }
    Ok(())
}

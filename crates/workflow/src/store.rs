//! SQL for the workflow tables: wf_definitions, wf_instances, wf_tasks, wf_timers, wf_joins,
//! wf_history.

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

/// Creates an instance with one token.
pub async fn insert_instance(
    conn: &mut AnyConnection,
    definition_id: i64,
    business_key: Option<&str>,
    agency: Option<&str>,
    variables: &str,
    now: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO wf_instances (definition_id, business_key, agency, status, tokens, variables, started_at, updated_at) \
         VALUES ($1, $2, $3, 'active', 1, $4, $5, $5) RETURNING id",
    )
    .bind(definition_id)
    .bind(business_key)
    .bind(agency)
    .bind(variables)
    .bind(now)
    .fetch_one(conn)
    .await
    .ctx("creating process instance")
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

/// Saves an instance's state.
pub async fn save_instance(
    conn: &mut AnyConnection,
    i: &InstanceRow,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE wf_instances SET status = $1, tokens = $2, variables = $3, incident = $4, ended_at = $5, updated_at = $6 WHERE id = $7",
    )
    .bind(&i.status)
    .bind(i.tokens)
    .bind(serde_json::Value::Object(i.variables.clone()).to_string())
    .bind(&i.incident)
    .bind(&i.ended_at)
    .bind(now)
    .bind(i.id)
    .execute(conn)
    .await
    .ctx("saving process instance")?;
    Ok(())
}

/// Creates a task.
#[allow(clippy::too_many_arguments)]
pub async fn insert_task(
    conn: &mut AnyConnection,
    instance_id: i64,
    node_id: &str,
    name: &str,
    role: Option<&str>,
    agency: Option<&str>,
    due_date: Option<&str>,
    now: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO wf_tasks (instance_id, node_id, name, role, agency, status, created_at, due_date) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
    )
    .bind(instance_id)
    .bind(node_id)
    .bind(name)
    .bind(role)
    .bind(agency)
    .bind(now)
    .bind(due_date)
    .fetch_one(conn)
    .await
    .ctx("creating task")
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

/// Schedules a timer.
pub async fn insert_timer(
    conn: &mut AnyConnection,
    instance_id: i64,
    task_id: i64,
    node_id: &str,
    fire_on: &str,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO wf_timers (instance_id, task_id, node_id, fire_on, status) VALUES ($1, $2, $3, $4, 'pending')")
        .bind(instance_id)
        .bind(task_id)
        .bind(node_id)
        .bind(fire_on)
        .execute(conn)
        .await
        .ctx("scheduling timer")?;
    Ok(())
}

/// Cancels a task's pending timers.
pub async fn cancel_timers(conn: &mut AnyConnection, task_id: i64) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE wf_timers SET status = 'cancelled' WHERE task_id = $1 AND status = 'pending'",
    )
    .bind(task_id)
    .execute(conn)
    .await
    .ctx("cancelling timers")?;
    Ok(())
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

/// Counts an arrival at a parallel join; returns the arrivals so far.
pub async fn join_arrive(
    conn: &mut AnyConnection,
    instance_id: i64,
    node_id: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO wf_joins (instance_id, node_id, arrived) VALUES ($1, $2, 1) \
         ON CONFLICT (instance_id, node_id) DO UPDATE SET arrived = wf_joins.arrived + 1 RETURNING arrived",
    )
    .bind(instance_id)
    .bind(node_id)
    .fetch_one(conn)
    .await
    .ctx("recording join arrival")
}

/// Resets a join after it fired.
pub async fn join_reset(
    conn: &mut AnyConnection,
    instance_id: i64,
    node_id: &str,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM wf_joins WHERE instance_id = $1 AND node_id = $2")
        .bind(instance_id)
        .bind(node_id)
        .execute(conn)
        .await
        .ctx("resetting join")?;
    Ok(())
}

/// Appends to an instance's history.
pub async fn history(
    conn: &mut AnyConnection,
    instance_id: i64,
    node_id: &str,
    event: &str,
    actor: &str,
    at: &str,
    detail: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO wf_history (instance_id, node_id, event, actor, at, detail) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(instance_id)
        .bind(node_id)
        .bind(event)
        .bind(actor)
        .bind(at)
        .bind(detail)
        .execute(conn)
        .await
        .ctx("recording history")?;
    Ok(())
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

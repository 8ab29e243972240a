//! SQL for the workflow tables: wf_definitions, wf_instances, wf_tasks, wf_timers, wf_joins,
//! wf_history. The set-wise statements of the group-commit path are in `batch`.

use cqdt_platform::{Db, DbError, DbResultExt, Sql};
use serde::Serialize;
use sqlx::AnyConnection;

mod batch;
mod calls;
mod jobs;
mod loops;
mod messages;
mod migrate;
mod stopped;
pub use batch::{
    cancel_timers_of, complete_tasks, insert_history, insert_instances, insert_tasks,
    insert_timers, instances_by_ids, joins_of, open_tasks_of, save_instances, set_join,
    tasks_by_ids, NewHistory, NewTask,
};
pub use calls::{called_by, definition_key, ended_calls, running_called_from};
pub use jobs::{
    delete_jobs, extend_lock, fail_job, insert_jobs, jobs_by_ids, list_jobs, lock_jobs,
    read_instances, set_retries, JobRow, NewJob,
};
pub use loops::{cancel_node_tasks, delete_loops, loops_of, set_loop};
pub use messages::{
    delete_subscriptions, insert_messages, insert_subscriptions, message_by_id, waiting_for,
    MessageRow, NewSubscription, Selector,
};
pub use migrate::{pending_timer_nodes, set_definition};
pub use stopped::{delete_stopped, set_stopped, take_stopped};

/// A deployed definition.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    #[schema(value_type = Object)]
    pub variables: serde_json::Map<String, serde_json::Value>,
    /// What stopped it, when status is incident.
    pub incident: Option<String>,
    /// Started.
    pub started_at: String,
    /// Ended.
    pub ended_at: Option<String>,
    /// The caller's task (a call activity's row) this instance was started by, if any.
    pub parent_task_id: Option<i64>,
}

/// A row of `wf_instances` as stored: the variables are JSON text.
#[derive(sqlx::FromRow)]
struct StoredInstance {
    id: i64,
    definition_id: i64,
    business_key: Option<String>,
    agency: Option<String>,
    status: String,
    tokens: i64,
    variables: String,
    incident: Option<String>,
    started_at: String,
    ended_at: Option<String>,
    parent_task_id: Option<i64>,
}

impl TryFrom<StoredInstance> for InstanceRow {
    type Error = sqlx::Error;

    fn try_from(r: StoredInstance) -> Result<Self, Self::Error> {
        let variables = serde_json::from_str(&r.variables).map_err(|e| {
            sqlx::Error::Decode(format!("variables of instance {}: {e}", r.id).into())
        })?;
        Ok(InstanceRow {
            id: r.id,
            definition_id: r.definition_id,
            business_key: r.business_key,
            agency: r.agency,
            status: r.status,
            tokens: r.tokens,
            variables,
            incident: r.incident,
            started_at: r.started_at,
            ended_at: r.ended_at,
            parent_task_id: r.parent_task_id,
        })
    }
}

/// Instances from their stored rows; a row whose variables cannot be read is an error.
fn instances_of(rows: Vec<StoredInstance>) -> Result<Vec<InstanceRow>, DbError> {
    rows.into_iter()
        .map(InstanceRow::try_from)
        .collect::<Result<_, _>>()
        .ctx("decoding process instances")
}

/// A user task.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TaskRow {
    /// Id.
    pub id: i64,
    /// Instance.
    pub instance_id: i64,
    /// BPMN element.
    pub node_id: String,
    /// Name.
    pub name: String,
    /// Candidate role; several are comma-separated (`a,b`).
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
    /// The variables only this task sees (a multi-instance task's item and `loopCounter`),
    /// as JSON.
    #[serde(skip)]
    pub local_vars: Option<String>,
}

/// An open task with its instance's business key.
#[derive(sqlx::FromRow)]
struct TaskWithKey {
    #[sqlx(flatten)]
    task: TaskRow,
    business_key: Option<String>,
}

/// One step of an instance's history.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
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

const INSTANCE_COLS: &str = "id, definition_id, business_key, agency, status, tokens, variables, incident, started_at, ended_at, parent_task_id";
const TASK_COLS: &str = "id, instance_id, node_id, name, role, agency, status, assignee, created_at, due_date, completed_at, completed_by, local_vars";

/// The newest version of a key: (id, version, the XML it was deployed from).
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

/// A definition to store.
pub struct NewDefinition<'a> {
    /// Process key.
    pub key: &'a str,
    /// Version, from 1.
    pub version: i64,
    /// Name.
    pub name: &'a str,
    /// The BPMN XML as deployed.
    pub xml: &'a str,
    /// The parsed model, as JSON.
    pub model: &'a str,
}

/// Stores a new version; returns its id.
pub async fn insert_definition(
    conn: &mut AnyConnection,
    d: &NewDefinition<'_>,
    actor: &str,
    now: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO wf_definitions (key, version, name, xml, model, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(d.key)
    .bind(d.version)
    .bind(d.name)
    .bind(d.xml)
    .bind(d.model)
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

/// All definitions, by key, newest version first.
pub async fn list_definitions(db: &Db) -> Result<Vec<DefinitionRow>, DbError> {
    sqlx::query_as(
        "SELECT id, key, version, name, created_at, created_by FROM wf_definitions \
         ORDER BY key, version DESC",
    )
    .fetch_all(db.pool())
    .await
    .ctx("listing process definitions")
}

/// Reads an instance.
pub async fn get_instance(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<InstanceRow>, DbError> {
    sqlx::query_as::<_, StoredInstance>(&format!(
        "SELECT {INSTANCE_COLS} FROM wf_instances WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
    .ctx("reading process instance")?
    .map(InstanceRow::try_from)
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
    let cols = TASK_COLS.split(", ").map(|c| format!("t.{c}")).collect::<Vec<_>>().join(", ");
    let mut q = Sql::new(
        db.backend(),
        format!(
            "SELECT {cols}, i.business_key FROM wf_tasks t JOIN wf_instances i ON i.id = t.instance_id \
             WHERE t.status = 'open' AND t.role IN ("
        ),
    );
    let mut list = q.separated(", ");
    for r in roles {
        list.push_bind(*r);
    }
    // A task for several roles stores them comma-separated (candidateGroups="a,b").
    q.push(") OR (t.status = 'open' AND t.role LIKE '%,%' AND (");
    for (i, r) in roles.iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        q.push("',' || t.role || ',' LIKE ").push_bind(format!("%,{r},%"));
    }
    q.push(")) ORDER BY t.id LIMIT ").push_bind(limit.clamp(1, 5000));
    let rows: Vec<TaskWithKey> =
        q.build_query_as().fetch_all(db.pool()).await.ctx("finding open tasks")?;
    Ok(rows.into_iter().map(|r| (r.task, r.business_key)).collect())
}

/// The newest instance of a business object.
pub async fn instance_by_business_key(db: &Db, key: &str) -> Result<Option<i64>, DbError> {
    sqlx::query_scalar(
        "SELECT id FROM wf_instances WHERE business_key = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(key)
    .fetch_optional(db.pool())
    .await
    .ctx("finding the instance of a business object")
}

/// The ids of an instance's open tasks.
pub async fn open_task_ids(conn: &mut AnyConnection, instance: i64) -> Result<Vec<i64>, DbError> {
    sqlx::query_scalar(
        "SELECT id FROM wf_tasks WHERE instance_id = $1 AND status = 'open' ORDER BY id",
    )
    .bind(instance)
    .fetch_all(conn)
    .await
    .ctx("reading an instance's open tasks")
}

/// Reads a task.
pub async fn get_task(conn: &mut AnyConnection, id: i64) -> Result<Option<TaskRow>, DbError> {
    sqlx::query_as(&format!("SELECT {TASK_COLS} FROM wf_tasks WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("reading task")
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

/// What tasks to find; every given field must match.
#[derive(Debug, Clone, Copy, Default)]
pub struct TaskFilter<'a> {
    /// Candidate role.
    pub role: Option<&'a str>,
    /// Agency.
    pub agency: Option<&'a str>,
    /// open, completed or cancelled.
    pub status: Option<&'a str>,
    /// Instance.
    pub instance: Option<i64>,
}

/// Open and finished tasks matching a pool, oldest first.
pub async fn find_tasks(db: &Db, f: TaskFilter<'_>, limit: i64) -> Result<Vec<TaskRow>, DbError> {
    let mut q = Sql::new(db.backend(), format!("SELECT {TASK_COLS} FROM wf_tasks WHERE 1 = 1"));
    if let Some(r) = f.role {
        // One of the task's roles (several are stored comma-separated).
        q.push(" AND (role = ").push_bind(r);
        q.push(" OR ',' || role || ',' LIKE ").push_bind(format!("%,{r},%")).push(")");
    }
    for (clause, v) in [(" AND agency = ", f.agency), (" AND status = ", f.status)] {
        if let Some(v) = v {
            q.push(clause).push_bind(v);
        }
    }
    if let Some(i) = f.instance {
        q.push(" AND instance_id = ").push_bind(i);
    }
    q.push(" ORDER BY id LIMIT ").push_bind(limit.clamp(1, 5000));
    q.build_query_as().fetch_all(db.pool()).await.ctx("finding tasks")
}

/// Instances, newest first.
pub async fn list_instances(
    db: &Db,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<InstanceRow>, DbError> {
    let mut q = Sql::new(db.backend(), format!("SELECT {INSTANCE_COLS} FROM wf_instances"));
    if let Some(s) = status {
        q.push(" WHERE status = ").push_bind(s);
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows =
        q.build_query_as::<StoredInstance>().fetch_all(db.pool()).await.ctx("listing instances")?;
    instances_of(rows)
}

/// Running instances nothing can move on: no open task (so no job, message wait or timer
/// either) — a join waiting for a branch that will never come, say. Newest first.
pub async fn stuck_instances(db: &Db, limit: i64) -> Result<Vec<InstanceRow>, DbError> {
    stuck_where(
        db,
        "NOT EXISTS (SELECT 1 FROM wf_tasks t WHERE t.instance_id = i.id AND t.status = 'open')",
        limit,
    )
    .await
}

/// Running instances whose open rows are all in nobody's pool with nothing that will end them
/// — no pending timer, message wait or job: the rows of stages, say, whose insides are stuck
/// (the caller checks the rows' elements). Newest first.
pub async fn stuck_in_stages(db: &Db, limit: i64) -> Result<Vec<InstanceRow>, DbError> {
    let filter = "EXISTS (SELECT 1 FROM wf_tasks t WHERE t.instance_id = i.id AND t.status = 'open') \
         AND NOT EXISTS (SELECT 1 FROM wf_tasks t WHERE t.instance_id = i.id AND t.status = 'open' AND t.role IS NOT NULL) \
         AND NOT EXISTS (SELECT 1 FROM wf_timers m WHERE m.instance_id = i.id AND m.status = 'pending') \
         AND NOT EXISTS (SELECT 1 FROM wf_subscriptions s WHERE s.instance_id = i.id) \
         AND NOT EXISTS (SELECT 1 FROM wf_jobs j WHERE j.instance_id = i.id)";
    stuck_where(db, filter, limit).await
}

async fn stuck_where(db: &Db, filter: &str, limit: i64) -> Result<Vec<InstanceRow>, DbError> {
    let cols = INSTANCE_COLS.split(", ").map(|c| format!("i.{c}")).collect::<Vec<_>>().join(", ");
    let rows = sqlx::query_as::<_, StoredInstance>(&format!(
        "SELECT {cols} FROM wf_instances i WHERE i.status = 'active' AND {filter} \
         ORDER BY i.id DESC LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(db.pool())
    .await
    .ctx("finding stuck instances")?;
    instances_of(rows)
}

/// Pending timers due: working-time ones (`fire_on` a date) on or before `day`, calendar-time
/// ones (`fire_on` a timestamp of the one fixed-width form) at or before `now`: (timer id,
/// instance id, task id, boundary node).
pub async fn due_timers(
    db: &Db,
    day: &str,
    now: &str,
) -> Result<Vec<(i64, i64, i64, String, String)>, DbError> {
    sqlx::query_as("SELECT id, instance_id, task_id, node_id, fire_on FROM wf_timers WHERE status = 'pending' AND ((length(fire_on) = 10 AND fire_on <= $1) OR (length(fire_on) > 10 AND fire_on <= $2)) ORDER BY id LIMIT 500")
        .bind(day)
        .bind(now)
        .fetch_all(db.pool())
        .await
        .ctx("finding due timers")
}

/// How many times a task's timer has fired (a cycle's count so far).
pub async fn times_fired(conn: &mut AnyConnection, task: i64, node: &str) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM wf_timers WHERE task_id = $1 AND node_id = $2 AND status = 'fired'",
    )
    .bind(task)
    .bind(node)
    .fetch_one(conn)
    .await
    .ctx("counting a timer's firings")
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
    sqlx::query_as(
        "SELECT node_id, event, actor, at, detail FROM wf_history WHERE instance_id = $1 ORDER BY id",
    )
    .bind(instance_id)
    .fetch_all(db.pool())
    .await
    .ctx("reading history")
}

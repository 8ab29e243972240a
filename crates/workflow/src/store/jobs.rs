//! SQL for wf_jobs: the lock and retries of external tasks. Instants are stored as fixed-width
//! RFC 3339 text (`format_ts`), so comparing them as text compares them in time.

use cqdt_platform::{Db, DbError, DbResultExt, Sql};
use serde::Serialize;
use sqlx::AnyConnection;

use super::batch::{push_ids, IDS_PER_STATEMENT};
use super::{instances_of, InstanceRow, StoredInstance, INSTANCE_COLS};

const JOB_COLS: &str =
    "task_id, instance_id, topic, retries, retry_at, worker, lock_until, error, created_at";

/// An external task's job.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct JobRow {
    /// The task it is (the id workers complete).
    pub task_id: i64,
    /// Instance.
    pub instance_id: i64,
    /// Topic (Camunda 7) or type (Zeebe).
    pub topic: String,
    /// Retries left: none until a failure is reported (Camunda 7); 0 is an incident.
    pub retries: Option<i64>,
    /// Not handed out before this instant (back-off after a failure).
    pub retry_at: Option<String>,
    /// The worker holding the lock.
    pub worker: Option<String>,
    /// Until when it holds it.
    pub lock_until: Option<String>,
    /// The last failure a worker reported.
    pub error: Option<String>,
    /// Created.
    pub created_at: String,
}

impl JobRow {
    /// Whether `worker` holds the job's lock at `now` (a timestamp).
    pub fn held_by(&self, worker: &str, now: &str) -> bool {
        self.worker.as_deref() == Some(worker)
            && self.lock_until.as_deref().is_some_and(|u| u >= now)
    }
}

/// A job to create with its task.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The task just written.
    pub task_id: i64,
    /// Instance.
    pub instance_id: i64,
    /// Topic or type.
    pub topic: String,
    /// Retries it starts with, if the diagram says.
    pub retries: Option<i64>,
}

/// Creates jobs for tasks just written.
pub async fn insert_jobs(
    conn: &mut AnyConnection,
    rows: &[NewJob],
    now: &str,
) -> Result<(), DbError> {
    for chunk in rows.chunks(100) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO wf_jobs (task_id, instance_id, topic, retries, created_at) ",
        );
        q.push_values(chunk, |mut row, j| {
            row.push_bind(j.task_id)
                .push_bind(j.instance_id)
                .push_bind(j.topic.as_str())
                .push_bind(j.retries)
                .push_bind(now);
        });
        q.build().execute(&mut *conn).await.ctx("creating jobs")?;
    }
    Ok(())
}

/// Jobs by task id (tasks that are no job are absent).
pub async fn jobs_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<JobRow>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, format!("SELECT {JOB_COLS} FROM wf_jobs WHERE task_id IN "));
        push_ids(&mut q, chunk);
        let rows: Vec<JobRow> =
            q.build_query_as().fetch_all(&mut *conn).await.ctx("reading jobs")?;
        out.extend(rows);
    }
    Ok(out)
}

/// Deletes the jobs of tasks completed.
pub async fn delete_jobs(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, "DELETE FROM wf_jobs WHERE task_id IN ");
        push_ids(&mut q, chunk);
        q.build().execute(&mut *conn).await.ctx("deleting jobs")?;
    }
    Ok(())
}

/// Locks up to `max` available jobs of a topic for a worker until `until`; returns their ids,
/// oldest first. Available: its task still open, retries left, back-off over, no lock or an
/// expired one. On PostgreSQL rows another fetch is locking are skipped, and the lock
/// condition is repeated on the row updated, so two workers never take the same job.
pub async fn lock_jobs(
    conn: &mut AnyConnection,
    topic: &str,
    worker: &str,
    max: i64,
    now: &str,
    until: &str,
) -> Result<Vec<i64>, DbError> {
    let mut q = Sql::on(conn, "UPDATE wf_jobs SET worker = ");
    q.push_bind(worker).push(", lock_until = ").push_bind(until);
    q.push(
        " WHERE task_id IN (SELECT j.task_id FROM wf_jobs j JOIN wf_tasks t ON t.id = j.task_id \
         WHERE j.topic = ",
    );
    q.push_bind(topic);
    q.push(" AND t.status = 'open' AND (j.retries IS NULL OR j.retries > 0) AND (j.retry_at IS NULL OR j.retry_at <= ");
    q.push_bind(now).push(") AND (j.lock_until IS NULL OR j.lock_until < ").push_bind(now);
    q.push(") ORDER BY j.task_id LIMIT ").push_bind(max);
    if !cqdt_platform::db::is_sqlite(conn) {
        // Workers fetching at once take different jobs instead of queueing on the same rows
        // (and then finding them taken); SQLite has one writer at a time anyway.
        q.push(" FOR UPDATE OF j SKIP LOCKED");
    }
    q.push(") AND (lock_until IS NULL OR lock_until < ").push_bind(now).push(") RETURNING task_id");
    let mut ids: Vec<i64> =
        q.build_query_scalar().fetch_all(&mut *conn).await.ctx("locking jobs")?;
    ids.sort_unstable();
    Ok(ids)
}

/// Changes a job held by `worker` (lock not expired at `now`): `build` writes the assignment
/// list. Answers whether the worker held it.
async fn held_update(
    conn: &mut AnyConnection,
    task_id: i64,
    worker: &str,
    now: &str,
    build: impl FnOnce(&mut Sql<'_>),
) -> Result<bool, DbError> {
    let mut q = Sql::on(conn, "UPDATE wf_jobs SET ");
    build(&mut q);
    q.push(" WHERE task_id = ").push_bind(task_id);
    q.push(" AND worker = ").push_bind(worker);
    q.push(" AND lock_until >= ").push_bind(now);
    let done = q.build().execute(&mut *conn).await.ctx("updating a job")?;
    Ok(done.rows_affected() == 1)
}

/// A failure reported by the worker holding the job: retries left, back-off, lock released.
pub async fn fail_job(
    conn: &mut AnyConnection,
    task_id: i64,
    worker: &str,
    now: &str,
    failure: (&str, i64, &str),
) -> Result<bool, DbError> {
    let (error, retries, retry_at) = failure;
    held_update(conn, task_id, worker, now, |q| {
        q.push("retries = ").push_bind(retries);
        q.push(", retry_at = ").push_bind(retry_at.to_string());
        q.push(", error = ").push_bind(error.to_string());
        q.push(", worker = NULL, lock_until = NULL");
    })
    .await
}

/// Extends the lock of the worker holding the job.
pub async fn extend_lock(
    conn: &mut AnyConnection,
    task_id: i64,
    worker: &str,
    now: &str,
    until: &str,
) -> Result<bool, DbError> {
    held_update(conn, task_id, worker, now, |q| {
        q.push("lock_until = ").push_bind(until.to_string());
    })
    .await
}

/// Sets the retries of a job (an administrator resolving an incident); the back-off and any
/// lock end. Answers whether the job exists.
pub async fn set_retries(
    conn: &mut AnyConnection,
    task_id: i64,
    retries: i64,
) -> Result<bool, DbError> {
    let mut q = Sql::on(conn, "UPDATE wf_jobs SET retries = ");
    q.push_bind(retries);
    q.push(", retry_at = NULL, worker = NULL, lock_until = NULL WHERE task_id = ");
    q.push_bind(task_id);
    let done = q.build().execute(&mut *conn).await.ctx("setting retries")?;
    Ok(done.rows_affected() == 1)
}

/// Jobs still to do, oldest first: of a topic, or only incidents (no retries left).
pub async fn list_jobs(
    db: &Db,
    topic: Option<&str>,
    incidents: bool,
    limit: i64,
) -> Result<Vec<JobRow>, DbError> {
    let mut q = Sql::new(db.backend(), format!("SELECT {JOB_COLS} FROM wf_jobs WHERE 1 = 1"));
    if let Some(t) = topic {
        q.push(" AND topic = ").push_bind(t);
    }
    if incidents {
        q.push(" AND retries = 0");
    }
    q.push(" ORDER BY task_id LIMIT ").push_bind(limit);
    q.build_query_as().fetch_all(db.pool()).await.ctx("listing jobs")
}

/// Instances by id as they are, without the lock a step takes (a worker reads variables).
pub async fn read_instances(
    conn: &mut AnyConnection,
    ids: &[i64],
) -> Result<Vec<InstanceRow>, DbError> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let mut q = Sql::on(conn, format!("SELECT {INSTANCE_COLS} FROM wf_instances WHERE id IN "));
        push_ids(&mut q, chunk);
        let rows: Vec<StoredInstance> =
            q.build_query_as().fetch_all(&mut *conn).await.ctx("reading instances")?;
        out.extend(instances_of(rows)?);
    }
    Ok(out)
}

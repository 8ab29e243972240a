//! The job API: how workers outside the engine (LGSP adapters, other systems) do the external
//! tasks of a process, as Camunda 7's external tasks and Zeebe's jobs work. A worker fetches
//! and locks jobs of its topics for a while, then completes them with variables (the
//! instance moves on, through the same group-commit path as a person's task) or reports a
//! failure with the retries left and a back-off. A lock that runs out makes the job
//! available again, so delivery is at least once; completing twice has one effect.

use std::collections::HashMap;

use chrono::Duration;
use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use serde_json::{json, Map, Value};

use super::batch::{By, Command, Complete, Step};
use super::errors::ThrownError;
use super::walk::Effects;
use super::{WorkflowError, WorkflowService};
use crate::store::{self, JobRow};

/// Longest lock a worker may take or extend to: a day.
const MAX_LOCK_MS: i64 = 86_400_000;
/// Longest back-off after a failure: thirty days.
const MAX_BACKOFF_MS: i64 = 30 * 86_400_000;
/// Most jobs one fetch hands out.
pub const MAX_FETCH: i64 = 1000;

/// A topic a worker asks for, with how long it locks the jobs it gets.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TopicRequest {
    /// Topic (Camunda 7) or job type (Zeebe).
    pub topic: String,
    /// Lock duration in milliseconds (1 to 86,400,000).
    pub lock_duration_ms: i64,
}

/// A job handed to a worker.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LockedJob {
    /// The job's id (its task's): what the worker completes.
    pub id: i64,
    /// Topic or type.
    pub topic: String,
    /// Instance.
    pub instance_id: i64,
    /// The instance's business object (a dossier code).
    pub business_key: Option<String>,
    /// BPMN element.
    pub node_id: String,
    /// Its name as drawn.
    pub name: String,
    /// Retries left (none until a failure is reported).
    pub retries: Option<i64>,
    /// Locked until.
    pub lock_until: String,
    /// The instance's variables when the job was handed out.
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// A failure a worker reports.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What went wrong, for the administrator.
    pub message: String,
    /// Retries left; 0 raises an incident (the job waits for an administrator).
    pub retries: i64,
    /// Back-off before it is handed out again, in milliseconds.
    pub retry_timeout_ms: i64,
}

fn no_job(id: i64) -> WorkflowError {
    WorkflowError::NotFound(format!("việc tự động (job) {id}"))
}

/// Reads a job as the transaction leaves it, then commits.
async fn committed(mut tx: cqdt_platform::Tx, id: i64) -> Result<JobRow, WorkflowError> {
    let job = store::jobs_by_ids(&mut tx, &[id]).await?.pop();
    tx.commit().await?;
    job.ok_or_else(|| no_job(id))
}

fn check_worker(worker: &str) -> Result<&str, WorkflowError> {
    let w = worker.trim();
    if w.is_empty() || w.chars().count() > 200 || w.chars().any(char::is_control) {
        return Err(WorkflowError::BadRequest(
            "worker_id: tên worker từ 1 đến 200 ký tự, một dòng.".into(),
        ));
    }
    Ok(w)
}

fn check_lock(ms: i64) -> Result<Duration, WorkflowError> {
    if !(1..=MAX_LOCK_MS).contains(&ms) {
        return Err(WorkflowError::BadRequest(format!(
            "lock_duration_ms: thời gian giữ khóa từ 1 đến {MAX_LOCK_MS} mili giây."
        )));
    }
    Ok(Duration::milliseconds(ms))
}

impl WorkflowService {
    /// Locks up to `max` available jobs of the given topics for `worker`, in the order the
    /// topics are given, oldest job first; answers them with their instance's variables.
    #[tracing::instrument(skip(self, topics))]
    /// As [`Self::fetch_and_lock`], but with nothing to hand out, waits up to `wait` for jobs
    /// (Camunda's `asyncResponseTimeout`, long polling): it looks again whenever a step has
    /// committed, and at least every second (a retry's back-off or a lock running out makes a
    /// job available with no step).
    pub async fn fetch_and_lock_waiting(
        &self,
        worker: &str,
        topics: &[TopicRequest],
        max: i64,
        wait: std::time::Duration,
    ) -> Result<Vec<LockedJob>, WorkflowError> {
        let until = tokio::time::Instant::now() + wait;
        loop {
            let committed = self.committed.notified();
            let jobs = self.fetch_and_lock(worker, topics, max).await?;
            let now = tokio::time::Instant::now();
            if !jobs.is_empty() || now >= until {
                return Ok(jobs);
            }
            let pause = (until - now).min(std::time::Duration::from_secs(1));
            tokio::select! {
                _ = committed => {}
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    pub async fn fetch_and_lock(
        &self,
        worker: &str,
        topics: &[TopicRequest],
        max: i64,
    ) -> Result<Vec<LockedJob>, WorkflowError> {
        let worker = check_worker(worker)?;
        if topics.is_empty() || topics.len() > 100 {
            return Err(WorkflowError::BadRequest("topics: từ 1 đến 100 chủ đề.".into()));
        }
        if !(1..=MAX_FETCH).contains(&max) {
            return Err(WorkflowError::BadRequest(format!(
                "max_jobs: từ 1 đến {MAX_FETCH} việc mỗi lần."
            )));
        }
        let mut locks = Vec::with_capacity(topics.len());
        for t in topics {
            let topic = t.topic.trim();
            if topic.is_empty()
                || topic.chars().count() > 200
                || topic.chars().any(char::is_control)
            {
                return Err(WorkflowError::BadRequest(
                    "topic: tên chủ đề từ 1 đến 200 ký tự.".into(),
                ));
            }
            locks.push((topic, check_lock(t.lock_duration_ms)?));
        }
        let now_at = self.clock.now();
        let now = format_ts(now_at);
        let mut tx = self.db.begin().await?;
        let mut ids = Vec::new();
        for (topic, lock) in locks {
            let left = max - ids.len() as i64;
            if left <= 0 {
                break;
            }
            let until = format_ts(now_at + lock);
            ids.extend(store::lock_jobs(&mut tx, topic, worker, left, &now, &until).await?);
        }
        if ids.is_empty() {
            tx.commit().await?;
            return Ok(Vec::new());
        }
        let jobs = store::jobs_by_ids(&mut tx, &ids).await?;
        let tasks: HashMap<i64, _> =
            store::tasks_by_ids(&mut tx, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
        let mut instance_ids: Vec<i64> = jobs.iter().map(|j| j.instance_id).collect();
        instance_ids.sort_unstable();
        instance_ids.dedup();
        let instances: HashMap<i64, _> = store::read_instances(&mut tx, &instance_ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        tx.commit().await?;
        let mut out: Vec<LockedJob> = jobs
            .into_iter()
            .filter_map(|j| {
                let task = tasks.get(&j.task_id)?;
                let inst = instances.get(&j.instance_id)?;
                Some(LockedJob {
                    id: j.task_id,
                    topic: j.topic,
                    instance_id: j.instance_id,
                    business_key: inst.business_key.clone(),
                    node_id: task.node_id.clone(),
                    name: task.name.clone(),
                    retries: j.retries,
                    lock_until: j.lock_until.unwrap_or_default(),
                    variables: inst.variables.clone(),
                })
            })
            .collect();
        out.sort_by_key(|j| j.id);
        Ok(out)
    }

    /// Completes a job the worker holds, with variables, and moves its instance on.
    /// Completing again a job this caller already completed answers the instance as it is,
    /// with no second effect (a worker that lost the first answer retries safely).
    #[tracing::instrument(skip(self, actor, request_id, variables))]
    pub async fn complete_job(
        &self,
        actor: &str,
        request_id: &str,
        worker: &str,
        id: i64,
        variables: Map<String, Value>,
    ) -> Result<Step, WorkflowError> {
        let worker = check_worker(worker)?;
        let refused = match self
            .submit(Command::Complete(Complete {
                actor: actor.to_string(),
                request_id: request_id.to_string(),
                task_id: id,
                variables,
                by: By::Worker(worker.to_string()),
            }))
            .await
        {
            Ok(step) => return Ok(step),
            Err(e) => e,
        };
        // Only a refused completion asks whether it was this caller's repeat, so the usual
        // path costs no extra read.
        match self.task(id).await? {
            Some(t) if t.status == "completed" && t.completed_by.as_deref() == Some(actor) => {
                let instance = self.instance(t.instance_id).await?.instance;
                Ok(Step { instance, opened: Vec::new() })
            }
            _ => Err(refused),
        }
    }

    /// A failure reported by the worker holding the job: it is handed out again after the
    /// back-off while retries are left; with none left it is an incident, in the history,
    /// until an administrator sets retries again.
    #[tracing::instrument(skip(self, actor, request_id, failure))]
    pub async fn fail_job(
        &self,
        actor: &str,
        request_id: &str,
        worker: &str,
        id: i64,
        failure: Failure,
    ) -> Result<JobRow, WorkflowError> {
        let worker = check_worker(worker)?;
        if !(0..=1000).contains(&failure.retries) {
            return Err(WorkflowError::BadRequest("retries: từ 0 đến 1000.".into()));
        }
        if !(0..=MAX_BACKOFF_MS).contains(&failure.retry_timeout_ms) {
            return Err(WorkflowError::BadRequest(format!(
                "retry_timeout_ms: từ 0 đến {MAX_BACKOFF_MS} mili giây."
            )));
        }
        // Lines and tabs are kept; other control characters (NUL above all, which
        // PostgreSQL cannot store in text) go.
        let message: String = failure
            .message
            .trim()
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
            .take(2000)
            .collect();
        if message.is_empty() {
            return Err(WorkflowError::BadRequest("error_message: nêu lỗi đã gặp.".into()));
        }
        let now_at = self.clock.now();
        let now = format_ts(now_at);
        let retry_at = format_ts(now_at + Duration::milliseconds(failure.retry_timeout_ms));
        let mut tx = self.db.begin().await?;
        let task = store::get_task(&mut tx, id).await?.ok_or_else(|| no_job(id))?;
        let held = (message.as_str(), failure.retries, retry_at.as_str());
        if !store::fail_job(&mut tx, id, worker, &now, held).await? {
            return Err(self.not_held(&mut tx, id, worker).await?);
        }
        let event = if failure.retries == 0 { "job_incident" } else { "job_failed" };
        let mut fx = Effects::default();
        let detail = format!("{message} (còn {} lần thử)", failure.retries);
        fx.log(task.instance_id, &task.node_id, event, actor, Some(detail));
        store::insert_history(&mut tx, &fx.history, &now).await?;
        let audit = AuditEvent::new(actor, "workflow.job.fail", "job")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"worker": worker, "retries": failure.retries, "error": message}));
        self.audit.record(&mut tx, audit).await?;
        committed(tx, id).await
    }

    /// A BPMN error thrown by a worker: caught by an error boundary event of its task for
    /// that code (the task is interrupted and the token takes the event's path, with
    /// `variables`), or, with nothing to catch it, the job becomes an incident naming the
    /// code, as Zeebe does with an uncaught error.
    #[allow(clippy::too_many_arguments)]
    pub async fn job_bpmn_error(
        &self,
        actor: &str,
        request_id: &str,
        worker: &str,
        id: i64,
        code: &str,
        message: &str,
        variables: Map<String, Value>,
    ) -> Result<ThrownError, WorkflowError> {
        let worker = check_worker(worker)?;
        let code = code.trim();
        if code.is_empty() || code.chars().count() > 200 || code.chars().any(char::is_control) {
            return Err(WorkflowError::BadRequest("error_code: mã lỗi từ 1 đến 200 ký tự.".into()));
        }
        if let Some((boundary, step)) =
            self.catch_error(actor, request_id, worker, id, code, variables).await?
        {
            return Ok(ThrownError {
                caught: true,
                boundary: Some(boundary),
                instance: Some(step.instance),
                opened: step.opened,
                job: None,
            });
        }
        let message = format!(
            "lỗi nghiệp vụ (BPMN error) “{code}” không được bắt: quy trình không có sự kiện bắt lỗi này. {}",
            message.trim()
        );
        let failure = Failure { message, retries: 0, retry_timeout_ms: 0 };
        Ok(ThrownError::uncaught(self.fail_job(actor, request_id, worker, id, failure).await?))
    }

    /// Extends the lock of the worker holding a job, from now.
    pub async fn extend_job_lock(
        &self,
        worker: &str,
        id: i64,
        lock_ms: i64,
    ) -> Result<JobRow, WorkflowError> {
        let worker = check_worker(worker)?;
        let lock = check_lock(lock_ms)?;
        let now_at = self.clock.now();
        let mut tx = self.db.begin().await?;
        let until = format_ts(now_at + lock);
        if !store::extend_lock(&mut tx, id, worker, &format_ts(now_at), &until).await? {
            return Err(self.not_held(&mut tx, id, worker).await?);
        }
        committed(tx, id).await
    }

    /// Sets the retries of a job (an administrator resolving an incident); audited.
    pub async fn set_job_retries(
        &self,
        actor: &str,
        request_id: &str,
        id: i64,
        retries: i64,
    ) -> Result<JobRow, WorkflowError> {
        if !(1..=1000).contains(&retries) {
            return Err(WorkflowError::BadRequest("retries: từ 1 đến 1000.".into()));
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let job = store::jobs_by_ids(&mut tx, &[id]).await?.pop().ok_or_else(|| no_job(id))?;
        store::set_retries(&mut tx, id, retries).await?;
        let mut fx = Effects::default();
        let node = store::get_task(&mut tx, id).await?.map(|t| t.node_id).unwrap_or_default();
        fx.log(job.instance_id, &node, "job_retries", actor, Some(retries.to_string()));
        store::insert_history(&mut tx, &fx.history, &now).await?;
        let audit = AuditEvent::new(actor, "workflow.job.retries", "job")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"retries": retries, "previous": job.retries, "error": job.error}));
        self.audit.record(&mut tx, audit).await?;
        committed(tx, id).await
    }

    /// Jobs still to do, oldest first: of a topic, or only the incidents.
    pub async fn jobs(
        &self,
        topic: Option<&str>,
        incidents: bool,
        limit: i64,
    ) -> Result<Vec<JobRow>, WorkflowError> {
        Ok(store::list_jobs(&self.db, topic, incidents, limit).await?)
    }

    /// Why a worker's change to a job was refused: no such job, or not its lock.
    async fn not_held(
        &self,
        tx: &mut cqdt_platform::Tx,
        id: i64,
        worker: &str,
    ) -> Result<WorkflowError, WorkflowError> {
        Ok(match store::jobs_by_ids(tx, &[id]).await?.pop() {
            None => no_job(id),
            Some(_) => WorkflowError::Conflict(format!(
                "worker “{worker}” không giữ khóa của việc {id} (chưa nhận, đã hết hạn hoặc do worker khác giữ)"
            )),
        })
    }
}

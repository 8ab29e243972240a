//! The job API over HTTP: workers fetch and lock external tasks by topic, complete them,
//! report failures or BPMN errors, extend their locks; administrators list jobs and resolve
//! incidents by setting retries. Modelled on Camunda 7's external-task REST API.

use axum::extract::{Path, State};
use axum::Json;
use cqdt_platform::{Admin, ApiQuery, RequestId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Completed, WorkflowState};
use crate::service::{Failure, LockedJob, ThrownError, TopicRequest, WorkflowError, MAX_FETCH};
use crate::store::JobRow;
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable, UnsupportedMediaType,
};

/// What a worker asks for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FetchBody {
    /// The worker's name: it must hold the lock to complete or fail a job.
    pub worker_id: String,
    /// Most jobs to hand out (1–1000).
    pub max_jobs: i64,
    /// Topics, in the order they are served.
    pub topics: Vec<TopicRequest>,
    /// With no job to hand out, how long to wait for one before answering an empty list
    /// (long polling, 0–20000 ms; Camunda's `asyncResponseTimeout`). None: answer at once.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 20000)]
    pub async_response_timeout_ms: Option<i64>,
}

/// Jobs handed out, locked for the worker.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Fetched {
    /// Oldest first within a topic.
    pub jobs: Vec<LockedJob>,
}

/// Fetch and lock jobs of some topics
#[utoipa::path(post, path = "/api/v1/workflow/jobs/fetch-and-lock", tag = "workflow", operation_id = "workflow_jobs_fetch",
    request_body(content = FetchBody),
    responses(
        (status = 200, description = "Jobs locked for the worker (none when nothing is available)", body = Fetched),
        BadRequest, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn fetch_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    body: Json<FetchBody>,
) -> Result<Json<Fetched>, WorkflowError> {
    let wait = match body.async_response_timeout_ms {
        None => 0,
        // Shorter than the proxies' and clients' usual 30 s, so that no one gives up first.
        Some(ms @ 0..=20_000) => ms as u64,
        Some(_) => {
            let why = "async_response_timeout_ms: từ 0 đến 20000 mili giây.";
            return Err(WorkflowError::BadRequest(why.into()));
        }
    };
    let wait = std::time::Duration::from_millis(wait);
    let (worker, topics) = (&body.worker_id, &body.topics);
    let jobs = s.workflow.fetch_and_lock_waiting(worker, topics, body.max_jobs, wait).await?;
    Ok(Json(Fetched { jobs }))
}

/// A worker completing a job.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct JobCompleteBody {
    /// The worker holding the lock.
    pub worker_id: String,
    /// Merged into the instance's variables.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// Complete a locked job with variables
#[utoipa::path(post, path = "/api/v1/workflow/jobs/{id}/complete", tag = "workflow", operation_id = "workflow_jobs_complete",
    params(("id" = i64, Path, description = "Job id")),
    request_body(content = JobCompleteBody),
    responses(
        (status = 200, description = "The instance after the step (the same answer again when this caller already completed it)", body = Completed),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn complete_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(body): Json<JobCompleteBody>,
) -> Result<Json<Completed>, WorkflowError> {
    let step =
        s.workflow.complete_job(&admin.name, &rid, &body.worker_id, id, body.variables).await?;
    Ok(Json(step.into()))
}

/// A failure a worker reports.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FailureBody {
    /// The worker holding the lock.
    pub worker_id: String,
    /// What went wrong.
    pub error_message: String,
    /// Retries left (0–1000); 0 makes the job an incident.
    pub retries: i64,
    /// Back-off before the job is handed out again, in milliseconds (default 0).
    #[serde(default)]
    pub retry_timeout_ms: i64,
}

/// Report a failure of a locked job
#[utoipa::path(post, path = "/api/v1/workflow/jobs/{id}/failure", tag = "workflow", operation_id = "workflow_jobs_failure",
    params(("id" = i64, Path, description = "Job id")),
    request_body(content = FailureBody),
    responses(
        (status = 200, description = "The job, unlocked, with its retries and back-off", body = JobRow),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn failure_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(b): Json<FailureBody>,
) -> Result<Json<JobRow>, WorkflowError> {
    let failure = Failure {
        message: b.error_message,
        retries: b.retries,
        retry_timeout_ms: b.retry_timeout_ms,
    };
    Ok(Json(s.workflow.fail_job(&admin.name, &rid, &b.worker_id, id, failure).await?))
}

/// A BPMN error a worker throws.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BpmnErrorBody {
    /// The worker holding the lock.
    pub worker_id: String,
    /// The error code.
    pub error_code: String,
    /// Optional explanation.
    #[serde(default)]
    pub error_message: String,
    /// Variables for the instance when an error boundary event catches the error.
    #[serde(default)]
    pub variables: Map<String, Value>,
}

/// Throw a BPMN error from a locked job: caught by the task's error boundary event for the code (the instance takes its path), or else the job becomes an incident
#[utoipa::path(post, path = "/api/v1/workflow/jobs/{id}/bpmn-error", tag = "workflow", operation_id = "workflow_jobs_bpmn_error",
    params(("id" = i64, Path, description = "Job id")),
    request_body(content = BpmnErrorBody),
    responses(
        (status = 200, description = "Caught (the instance and the tasks opened) or not (the job, an incident naming the code)", body = ThrownError),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn bpmn_error_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(b): Json<BpmnErrorBody>,
) -> Result<Json<ThrownError>, WorkflowError> {
    let (worker, code, message) = (&b.worker_id, &b.error_code, &b.error_message);
    let thrown = s
        .workflow
        .job_bpmn_error(&admin.name, &rid, worker, id, code, message, b.variables)
        .await?;
    Ok(Json(thrown))
}

/// A worker extending its lock.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ExtendBody {
    /// The worker holding the lock.
    pub worker_id: String,
    /// New lock duration from now, in milliseconds (1 to 86,400,000).
    pub lock_duration_ms: i64,
}

/// Extend the lock of a job
#[utoipa::path(post, path = "/api/v1/workflow/jobs/{id}/extend-lock", tag = "workflow", operation_id = "workflow_jobs_extend",
    params(("id" = i64, Path, description = "Job id")),
    request_body(content = ExtendBody),
    responses(
        (status = 200, description = "The job with its new lock", body = JobRow),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn extend_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(b): Json<ExtendBody>,
) -> Result<Json<JobRow>, WorkflowError> {
    Ok(Json(s.workflow.extend_job_lock(&b.worker_id, id, b.lock_duration_ms).await?))
}

/// Retries an administrator sets.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RetriesBody {
    /// Retries (1–1000): the job is handed out again at once.
    pub retries: i64,
}

/// Set a job's retries (resolves its incident; audited)
#[utoipa::path(post, path = "/api/v1/workflow/jobs/{id}/retries", tag = "workflow", operation_id = "workflow_jobs_retries",
    params(("id" = i64, Path, description = "Job id")),
    request_body(content = RetriesBody),
    responses(
        (status = 200, description = "The job with its retries", body = JobRow),
        BadRequest, NotFound, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn retries_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(b): Json<RetriesBody>,
) -> Result<Json<JobRow>, WorkflowError> {
    Ok(Json(s.workflow.set_job_retries(&admin.name, &rid, id, b.retries).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct JobsQuery {
    /// Only this topic
    topic: Option<String>,
    /// Only incidents (no retries left)
    incidents: Option<bool>,
    /// At most this many, oldest first (1–1000, default 200)
    limit: Option<i64>,
}

/// Jobs still to do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobList {
    /// Oldest first.
    pub jobs: Vec<JobRow>,
}

/// Jobs still to do, by topic, or the incidents
#[utoipa::path(get, path = "/api/v1/workflow/jobs", tag = "workflow", operation_id = "workflow_jobs",
    params(JobsQuery),
    responses(
        (status = 200, description = "Jobs", body = JobList),
        BadRequest, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn list_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    ApiQuery(q): ApiQuery<JobsQuery>,
) -> Result<Json<JobList>, WorkflowError> {
    let limit = q.limit.unwrap_or(200).clamp(1, MAX_FETCH);
    let jobs = s.workflow.jobs(q.topic.as_deref(), q.incidents.unwrap_or(false), limit).await?;
    Ok(Json(JobList { jobs }))
}

//! Workflow routes: deploy BPMN, start instances, work task pools, see diagrams.
//! Guarded by the platform administrator until identity brings roles and agency scopes.

use axum::body::Bytes;
use axum::extract::{FromRef, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cqdt_platform::auth::{scope_rule, ApiScope};
use cqdt_platform::{Admin, ApiQuery, FieldError, HttpError, Platform, Problem, RequestId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

mod admin;
mod instance;
mod jobs;
mod messages;

use crate::service::{InstanceDetail, Start, WorkflowError, WorkflowService};
use crate::store::{DefinitionRow, HistoryRow, InstanceRow, TaskRow};
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable, UnsupportedMediaType,
};

/// State of the workflow routes.
#[derive(Clone)]
pub struct WorkflowState {
    /// Platform core.
    pub platform: Platform,
    /// The engine.
    pub workflow: WorkflowService,
}

impl FromRef<WorkflowState> for Platform {
    fn from_ref(s: &WorkflowState) -> Platform {
        s.platform.clone()
    }
}

/// The workflow routes, ready to merge into the app.
pub fn router(state: WorkflowState) -> Router {
    // A BPMN file is deployed as the body: the upload limit there, the small default elsewhere.
    let upload = state.platform.upload_limit(1);
    let upload_page = state.platform.upload_limit(1);
    Router::new()
        .route("/api/v1/workflow/definitions", get(definitions_api).post(deploy_api).layer(upload))
        .route("/api/v1/workflow/definitions/{id}/diagram.svg", get(definition_svg))
        .route("/api/v1/workflow/instances", get(instances_api).post(start_api))
        .route("/api/v1/workflow/instances/{id}", get(instance_api))
        .route("/api/v1/workflow/instances/{id}/diagram.svg", get(instance_svg))
        .route("/api/v1/workflow/instances/{id}/cancel", post(cancel_api))
        .route("/api/v1/workflow/instances/{id}/retry", post(retry_api))
        .route("/api/v1/workflow/instances/{id}/move", post(move_api))
        .route("/api/v1/workflow/instances/{id}/migrate", post(migrate_api))
        .route("/api/v1/workflow/tasks", get(tasks_api))
        .route("/api/v1/workflow/tasks/{id}/claim", post(claim_api))
        .route("/api/v1/workflow/tasks/{id}/complete", post(complete_api))
        .route("/api/v1/workflow/timers/fire", post(fire_api))
        .route("/api/v1/workflow/messages", post(messages::correlate_api))
        .route("/api/v1/workflow/jobs", get(jobs::list_api))
        .route("/api/v1/workflow/jobs/fetch-and-lock", post(jobs::fetch_api))
        .route("/api/v1/workflow/jobs/{id}/complete", post(jobs::complete_api))
        .route("/api/v1/workflow/jobs/{id}/failure", post(jobs::failure_api))
        .route("/api/v1/workflow/jobs/{id}/bpmn-error", post(jobs::bpmn_error_api))
        .route("/api/v1/workflow/jobs/{id}/extend-lock", post(jobs::extend_api))
        .route("/api/v1/workflow/jobs/{id}/retries", post(jobs::retries_api))
        .route_layer(scope_rule(ApiScope::Workflow, ApiScope::Workflow))
        .route("/admin/workflow", get(admin::page).post(admin::upload).layer(upload_page))
        .route("/admin/workflow/huy/{id}", post(admin::cancel))
        .route("/admin/workflow/luot/{id}", get(instance::page))
        .route("/admin/workflow/luot/{id}/chuyen-buoc", post(instance::move_token))
        .route("/admin/workflow/luot/{id}/phien-ban", post(instance::migrate))
        .route("/admin/workflow/chay-lai/{id}", post(admin::retry))
        .route("/admin/workflow/thu-lai/{id}", post(admin::retry_job))
        .with_state(state)
}

impl From<WorkflowError> for HttpError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Bpmn(errors) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Tệp BPMN không được chấp nhận")
                    .with_detail(format!(
                        "{} lỗi, từng lỗi trong danh sách errors: {}",
                        errors.len(),
                        errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
                    ))
                    .with_errors(
                        errors
                            .iter()
                            .map(|e| FieldError {
                                field: e.element.clone().unwrap_or_default(),
                                message: e.to_string(),
                            })
                            .collect(),
                    )
                    .into()
            }
            WorkflowError::NotFound(m) => Problem::not_found(format!("Không tìm thấy {m}.")).into(),
            WorkflowError::Conflict(m) => Problem::conflict(m).into(),
            WorkflowError::BadRequest(m) => Problem::bad_request(m).into(),
            WorkflowError::Db(e) => HttpError::internal(e),
        }
    }
}

impl IntoResponse for WorkflowError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

/// Deployed definitions.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DefinitionList {
    /// By key, newest version first.
    pub definitions: Vec<DefinitionRow>,
}

/// Deployed process definitions
#[utoipa::path(get, path = "/api/v1/workflow/definitions", tag = "workflow", operation_id = "workflow_definitions",
    responses(
        (status = 200, description = "Definitions", body = DefinitionList),
        AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn definitions_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
) -> Result<Json<DefinitionList>, WorkflowError> {
    let definitions = s.workflow.definitions().await?;
    Ok(Json(DefinitionList { definitions }))
}

/// Deploy BPMN 2.0 XML as the next version (unsupported elements refused by id)
#[utoipa::path(post, path = "/api/v1/workflow/definitions", tag = "workflow", operation_id = "workflow_deploy",
    request_body(content = String, content_type = "application/xml", description = "BPMN 2.0 XML, UTF-8"),
    responses(
        (status = 201, description = "Deployed (or the same file again: its version)", body = DefinitionRow),
        BadRequest, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn deploy_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    body: Bytes,
) -> Result<Response, WorkflowError> {
    let xml = std::str::from_utf8(&body)
        .map_err(|_| WorkflowError::BadRequest("Tệp BPMN phải là văn bản UTF-8.".into()))?;
    let d = s.workflow.deploy(&admin.name, &rid, xml).await?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

fn svg(body: String) -> Response {
    ([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], body).into_response()
}

/// Diagram from the file's layout
#[utoipa::path(get, path = "/api/v1/workflow/definitions/{id}/diagram.svg", tag = "workflow", operation_id = "workflow_definition_svg",
    params(("id" = i64, Path, description = "Definition id")),
    responses(
        (status = 200, description = "SVG", body = String, content_type = "image/svg+xml"),
        BadRequest, NotFound, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn definition_svg(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, WorkflowError> {
    let p = s.workflow.model(id).await?;
    Ok(svg(crate::svg::render(&p, &[], &[], &[])))
}

/// What to start.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct StartBody {
    /// Process key (the BPMN process id); its newest version starts.
    pub key: String,
    /// The business object, e.g. a dossier code.
    pub business_key: Option<String>,
    /// Agency the work belongs to.
    pub agency: Option<String>,
    /// Initial variables.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// A started instance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Started {
    /// The instance id.
    pub id: i64,
    /// The user tasks the start opened, by id (a worker goes on with them without asking).
    pub opened: Vec<i64>,
}

/// The instance after a completed task, with the tasks the step opened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Completed {
    /// The instance.
    #[serde(flatten)]
    pub instance: InstanceRow,
    /// The user tasks the step opened, by id.
    pub opened: Vec<i64>,
}

impl From<crate::service::Step> for Completed {
    fn from(step: crate::service::Step) -> Completed {
        Completed { instance: step.instance, opened: step.opened }
    }
}

/// The variables of an optional JSON body.
fn variables(body: Option<Json<CompleteBody>>) -> Map<String, Value> {
    body.map(|Json(b)| b.variables).unwrap_or_default()
}

/// Start the newest version of a process
#[utoipa::path(post, path = "/api/v1/workflow/instances", tag = "workflow", operation_id = "workflow_start",
    request_body = StartBody,
    responses(
        (status = 201, description = "Started", body = Started),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn start_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Json(b): Json<StartBody>,
) -> Result<Response, WorkflowError> {
    let step = s
        .workflow
        .start_step(
            Start::new(&admin.name, &b.key)
                .request(&rid)
                .business_key(b.business_key.as_deref())
                .agency(b.agency.as_deref())
                .variables(b.variables),
        )
        .await?;
    let started = Started { id: step.instance.id, opened: step.opened };
    Ok((StatusCode::CREATED, Json(started)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct InstancesQuery {
    /// active, completed, incident or cancelled; `stuck`: running instances nothing can move
    /// on (no open task, job, message wait or timer)
    status: Option<String>,
    /// At most this many, newest first (1–1000, default 100)
    limit: Option<i64>,
}

/// Instances.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstanceList {
    /// Newest first.
    pub instances: Vec<InstanceRow>,
}

/// Instances
#[utoipa::path(get, path = "/api/v1/workflow/instances", tag = "workflow", operation_id = "workflow_instances",
    params(InstancesQuery),
    responses(
        (status = 200, description = "Instances", body = InstanceList),
        BadRequest, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn instances_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    ApiQuery(q): ApiQuery<InstancesQuery>,
) -> Result<Json<InstanceList>, WorkflowError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let instances = match q.status.as_deref() {
        Some("stuck") => s.workflow.stuck(limit).await?,
        status => s.workflow.instances(status, limit).await?,
    };
    Ok(Json(InstanceList { instances }))
}

/// Instance with tasks and history
#[utoipa::path(get, path = "/api/v1/workflow/instances/{id}", tag = "workflow", operation_id = "workflow_instance",
    params(("id" = i64, Path, description = "Instance id")),
    responses(
        (status = 200, description = "The instance", body = InstanceDetail),
        BadRequest, NotFound, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn instance_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Json<InstanceDetail>, WorkflowError> {
    Ok(Json(s.workflow.instance(id).await?))
}

/// Diagram with the current steps highlighted
#[utoipa::path(get, path = "/api/v1/workflow/instances/{id}/diagram.svg", tag = "workflow", operation_id = "workflow_instance_svg",
    params(("id" = i64, Path, description = "Instance id")),
    responses(
        (status = 200, description = "SVG", body = String, content_type = "image/svg+xml"),
        BadRequest, NotFound, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn instance_svg(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, WorkflowError> {
    Ok(svg(s.workflow.instance_diagram(id).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TasksQuery {
    /// Candidate role
    role: Option<String>,
    /// Agency code
    agency: Option<String>,
    /// open (default), completed, cancelled, or all
    status: Option<String>,
    /// At most this many, oldest first (1–5000, default 200)
    limit: Option<i64>,
}

/// Tasks of a pool.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskList {
    /// Oldest first.
    pub tasks: Vec<TaskRow>,
}

/// Task pool by role and agency
#[utoipa::path(get, path = "/api/v1/workflow/tasks", tag = "workflow", operation_id = "workflow_tasks",
    params(TasksQuery),
    responses(
        (status = 200, description = "Tasks", body = TaskList),
        BadRequest, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn tasks_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    ApiQuery(q): ApiQuery<TasksQuery>,
) -> Result<Json<TaskList>, WorkflowError> {
    let status = q.status.as_deref().or(Some("open")).filter(|s| *s != "all");
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    let tasks = s.workflow.tasks(q.role.as_deref(), q.agency.as_deref(), status, limit).await?;
    Ok(Json(TaskList { tasks }))
}

/// Claim a task
#[utoipa::path(post, path = "/api/v1/workflow/tasks/{id}/claim", tag = "workflow", operation_id = "workflow_claim",
    params(("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, description = "Claimed", body = TaskRow),
        BadRequest, NotFound, Conflict, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn claim_api(
    admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Json<TaskRow>, WorkflowError> {
    Ok(Json(s.workflow.claim(&admin.name, id).await?))
}

/// Variables a completion sets.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct CompleteBody {
    /// Merged into the instance's variables.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// Complete a task with variables
#[utoipa::path(post, path = "/api/v1/workflow/tasks/{id}/complete", tag = "workflow", operation_id = "workflow_complete",
    params(("id" = i64, Path, description = "Task id")),
    request_body(content = CompleteBody, description = "Optional; without a JSON body no variables are set"),
    responses(
        (status = 200, description = "The instance after the step, with the tasks it opened", body = Completed),
        BadRequest, NotFound, Conflict, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn complete_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    body: Option<Json<CompleteBody>>,
) -> Result<Json<Completed>, WorkflowError> {
    let step = s.workflow.complete_step(&admin.name, &rid, id, variables(body)).await?;
    Ok(Json(step.into()))
}

/// Why an instance is cancelled.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CancelBody {
    /// The reason, kept in the history and the audit log (3 to 1000 characters).
    pub reason: String,
}

/// Cancel a running instance with a reason (its open tasks end; audited)
#[utoipa::path(post, path = "/api/v1/workflow/instances/{id}/cancel", tag = "workflow", operation_id = "workflow_cancel",
    params(("id" = i64, Path, description = "Instance id")),
    request_body(content = CancelBody),
    responses(
        (status = 200, description = "The instance, cancelled", body = InstanceRow),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn cancel_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    body: Json<CancelBody>,
) -> Result<Json<InstanceRow>, WorkflowError> {
    Ok(Json(s.workflow.cancel(&admin.name, &rid, id, &body.reason).await?))
}

/// Run on an instance an incident stopped, with variables that fix its cause (audited)
#[utoipa::path(post, path = "/api/v1/workflow/instances/{id}/retry", tag = "workflow", operation_id = "workflow_retry",
    params(("id" = i64, Path, description = "Instance id")),
    request_body(content = CompleteBody, description = "Optional; variables merged before the tokens move on"),
    responses(
        (status = 200, description = "The instance after the step (an incident again if the cause remains), with the tasks it opened", body = Completed),
        BadRequest, NotFound, Conflict, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn retry_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    body: Option<Json<CompleteBody>>,
) -> Result<Json<Completed>, WorkflowError> {
    let step = s.workflow.retry_incident(&admin.name, &rid, id, variables(body)).await?;
    Ok(Json(step.into()))
}

/// Where a token goes, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MoveBody {
    /// The open task the token leaves (it is cancelled with its timers, job or message wait).
    pub from_task: i64,
    /// The element the token goes to (its BPMN id).
    pub to: String,
    /// The reason, kept in the history and the audit log (3 to 1000 characters).
    pub reason: String,
}

/// Move a token from an open task to another element (an administrator's correction; audited)
#[utoipa::path(post, path = "/api/v1/workflow/instances/{id}/move", tag = "workflow", operation_id = "workflow_move",
    params(("id" = i64, Path, description = "Instance id")),
    request_body(content = MoveBody),
    responses(
        (status = 200, description = "The instance after the step, with the tasks it opened", body = Completed),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn move_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(b): Json<MoveBody>,
) -> Result<Json<Completed>, WorkflowError> {
    let step = s.workflow.move_token(&admin.name, &rid, id, b.from_task, &b.to, &b.reason).await?;
    Ok(Json(step.into()))
}

/// The version an instance moves to, and why.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MigrateBody {
    /// The version of the same process (the newest when absent).
    #[serde(default)]
    pub version: Option<i64>,
    /// The reason, kept in the history and the audit log (3 to 1000 characters).
    pub reason: String,
}

/// Move a running instance to another version of its process (audited); refused with the
/// elements that block it when the new diagram cannot carry on from where it stands
#[utoipa::path(post, path = "/api/v1/workflow/instances/{id}/migrate", tag = "workflow", operation_id = "workflow_migrate",
    params(("id" = i64, Path, description = "Instance id")),
    request_body(content = MigrateBody),
    responses(
        (status = 200, description = "The instance, on its new version", body = InstanceRow),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn migrate_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Json(b): Json<MigrateBody>,
) -> Result<Json<InstanceRow>, WorkflowError> {
    Ok(Json(s.workflow.migrate(&admin.name, &rid, id, b.version, &b.reason).await?))
}

/// Timers fired.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Fired {
    /// How many.
    pub fired: usize,
}

/// Fire due working-day timers now
#[utoipa::path(post, path = "/api/v1/workflow/timers/fire", tag = "workflow", operation_id = "workflow_fire",
    responses(
        (status = 200, description = "How many fired", body = Fired),
        AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn fire_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
) -> Result<Json<Fired>, WorkflowError> {
    let fired = s.workflow.fire_due_timers().await?;
    Ok(Json(Fired { fired }))
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        definitions_api,
        deploy_api,
        definition_svg,
        instances_api,
        start_api,
        instance_api,
        instance_svg,
        tasks_api,
        claim_api,
        complete_api,
        cancel_api,
        retry_api,
        move_api,
        migrate_api,
        fire_api,
        jobs::list_api,
        jobs::fetch_api,
        jobs::complete_api,
        jobs::failure_api,
        jobs::bpmn_error_api,
        jobs::extend_api,
        jobs::retries_api,
        messages::correlate_api,
    ),
    components(schemas(
        DefinitionList,
        DefinitionRow,
        StartBody,
        Started,
        InstanceList,
        InstanceRow,
        InstanceDetail,
        crate::service::CalledInstance,
        TaskList,
        TaskRow,
        HistoryRow,
        CompleteBody,
        Completed,
        CancelBody,
        MoveBody,
        MigrateBody,
        Fired,
        jobs::JobList,
        crate::store::JobRow,
        jobs::FetchBody,
        crate::service::TopicRequest,
        jobs::Fetched,
        crate::service::LockedJob,
        jobs::JobCompleteBody,
        jobs::FailureBody,
        jobs::BpmnErrorBody,
        crate::service::ThrownError,
        jobs::ExtendBody,
        jobs::RetriesBody,
        messages::MessageBody,
        crate::service::Correlated,
    ))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #[test]
    fn every_bpmn_error_reaches_the_api_answer_and_the_page() {
        let errors: Vec<crate::BpmnError> = (0..16)
            .map(|i| crate::BpmnError {
                element: Some(format!("Task_{i}")),
                kind: Some("userTask".into()),
                message: "lỗi".into(),
            })
            .collect();
        let e = cqdt_platform::HttpError::from(super::WorkflowError::Bpmn(errors));
        assert_eq!(e.problem.errors.len(), 16);
        let detail = e.problem.detail.clone().unwrap_or_default();
        assert!(detail.contains("16 lỗi") && detail.contains("Task_15"), "{detail}");
        assert!(
            matches!(&e.page, cqdt_platform::PageError::BadRequest(m) if m.contains("Task_0") && m.contains("Task_15")),
            "{:?}",
            e.page
        );
    }

    #[test]
    fn the_document_has_every_api_route() {
        let doc = cqdt_platform::openapi::json::<super::ApiDoc>();
        let paths = doc["paths"].as_object().expect("paths");
        let mut routes: Vec<String> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object().into_iter().flatten().map(move |(m, _)| format!("{m} {p}"))
            })
            .collect();
        routes.sort_unstable();
        assert_eq!(
            routes,
            [
                "get /api/v1/workflow/definitions",
                "get /api/v1/workflow/definitions/{id}/diagram.svg",
                "get /api/v1/workflow/instances",
                "get /api/v1/workflow/instances/{id}",
                "get /api/v1/workflow/instances/{id}/diagram.svg",
                "get /api/v1/workflow/jobs",
                "get /api/v1/workflow/tasks",
                "post /api/v1/workflow/definitions",
                "post /api/v1/workflow/instances",
                "post /api/v1/workflow/instances/{id}/cancel",
                "post /api/v1/workflow/instances/{id}/migrate",
                "post /api/v1/workflow/instances/{id}/move",
                "post /api/v1/workflow/instances/{id}/retry",
                "post /api/v1/workflow/jobs/fetch-and-lock",
                "post /api/v1/workflow/jobs/{id}/bpmn-error",
                "post /api/v1/workflow/jobs/{id}/complete",
                "post /api/v1/workflow/jobs/{id}/extend-lock",
                "post /api/v1/workflow/jobs/{id}/failure",
                "post /api/v1/workflow/jobs/{id}/retries",
                "post /api/v1/workflow/messages",
                "post /api/v1/workflow/tasks/{id}/claim",
                "post /api/v1/workflow/tasks/{id}/complete",
                "post /api/v1/workflow/timers/fire",
            ]
        );
        let deploy = &paths["/api/v1/workflow/definitions"]["post"];
        assert!(deploy["requestBody"]["content"]["application/xml"].is_object());
        assert_eq!(deploy["responses"]["422"]["$ref"], "#/components/responses/Problem");
    }
}

//! Workflow routes: deploy BPMN, start instances, work task pools, see diagrams.
//! Guarded by the bootstrap administrator until identity brings roles and agency scopes.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, PageError, Platform, Problem, RequestId, Shell};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::service::{WorkflowError, WorkflowService};
use crate::store::{DefinitionRow, InstanceRow};

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
    Router::new()
        .route("/admin/workflow", get(page))
        .route(
            "/api/v1/workflow/definitions",
            get(definitions_api).post(deploy_api),
        )
        .route(
            "/api/v1/workflow/definitions/{id}/diagram.svg",
            get(definition_svg),
        )
        .route(
            "/api/v1/workflow/instances",
            get(instances_api).post(start_api),
        )
        .route("/api/v1/workflow/instances/{id}", get(instance_api))
        .route(
            "/api/v1/workflow/instances/{id}/diagram.svg",
            get(instance_svg),
        )
        .route("/api/v1/workflow/tasks", get(tasks_api))
        .route("/api/v1/workflow/tasks/{id}/claim", post(claim_api))
        .route("/api/v1/workflow/tasks/{id}/complete", post(complete_api))
        .route("/api/v1/workflow/timers/fire", post(fire_api))
        .with_state(state)
}

fn problem(e: WorkflowError) -> Problem {
    match e {
        WorkflowError::Bpmn(errors) => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tệp BPMN không được chấp nhận",
        )
        .with_detail(
            errors
                .iter()
                .take(5)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        )
        .with_errors(
            errors
                .iter()
                .map(|e| FieldError {
                    field: e.element.clone().unwrap_or_default(),
                    message: e.to_string(),
                })
                .collect(),
        ),
        WorkflowError::NotFound(m) => Problem::not_found(format!("Không tìm thấy {m}.")),
        WorkflowError::Conflict(m) => {
            Problem::new(StatusCode::CONFLICT, "Không thực hiện được").with_detail(m)
        }
        WorkflowError::Db(e) => Problem::internal(e),
    }
}

#[derive(Template)]
#[template(path = "workflow.html")]
struct WorkflowPage {
    shell: Shell,
    definitions: Vec<DefinitionRow>,
    instances: Vec<InstanceRow>,
}

async fn page(_admin: Admin, State(s): State<WorkflowState>) -> Result<Response, PageError> {
    let definitions = s
        .workflow
        .definitions()
        .await
        .map_err(PageError::internal)?;
    let instances = s
        .workflow
        .instances(None, 50)
        .await
        .map_err(PageError::internal)?;
    Ok(render(&WorkflowPage {
        shell: (*s.platform.shell).clone(),
        definitions,
        instances,
    }))
}

async fn definitions_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
) -> Result<Response, Problem> {
    Ok(
        Json(json!({"definitions": s.workflow.definitions().await.map_err(problem)?}))
            .into_response(),
    )
}

async fn deploy_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    body: Bytes,
) -> Result<Response, Problem> {
    let xml = std::str::from_utf8(&body)
        .map_err(|_| Problem::bad_request("Tệp BPMN phải là văn bản UTF-8."))?;
    let d = s
        .workflow
        .deploy(&admin.name, &rid, xml)
        .await
        .map_err(problem)?;
    Ok((StatusCode::CREATED, Json(d)).into_response())
}

fn svg(body: String) -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn definition_svg(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    let p = s.workflow.model(id).await.map_err(problem)?;
    Ok(svg(crate::svg::render(&p, &[], &[])))
}

#[derive(Deserialize)]
struct StartBody {
    key: String,
    business_key: Option<String>,
    agency: Option<String>,
    #[serde(default)]
    variables: Map<String, Value>,
}

async fn start_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Json(b): Json<StartBody>,
) -> Result<Response, Problem> {
    let id = s
        .workflow
        .start(
            &admin.name,
            &rid,
            &b.key,
            b.business_key.as_deref(),
            b.agency.as_deref(),
            b.variables,
        )
        .await
        .map_err(problem)?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    status: Option<String>,
    role: Option<String>,
    agency: Option<String>,
    limit: Option<i64>,
}

async fn instances_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Problem> {
    let list = s
        .workflow
        .instances(q.status.as_deref(), q.limit.unwrap_or(100).clamp(1, 1000))
        .await
        .map_err(problem)?;
    Ok(Json(json!({"instances": list})).into_response())
}

async fn instance_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    Ok(Json(s.workflow.instance(id).await.map_err(problem)?).into_response())
}

async fn instance_svg(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    Ok(svg(s
        .workflow
        .instance_diagram(id)
        .await
        .map_err(problem)?))
}

async fn tasks_api(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Problem> {
    let status = q.status.as_deref().or(Some("open")).filter(|s| *s != "all");
    let list = s
        .workflow
        .tasks(
            q.role.as_deref(),
            q.agency.as_deref(),
            status,
            q.limit.unwrap_or(200).clamp(1, 5000),
        )
        .await
        .map_err(problem)?;
    Ok(Json(json!({"tasks": list})).into_response())
}

async fn claim_api(
    admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    Ok(Json(s.workflow.claim(&admin.name, id).await.map_err(problem)?).into_response())
}

#[derive(Deserialize, Default)]
struct CompleteBody {
    #[serde(default)]
    variables: Map<String, Value>,
}

async fn complete_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    body: Option<Json<CompleteBody>>,
) -> Result<Response, Problem> {
    let vars = body.map(|Json(b)| b.variables).unwrap_or_default();
    Ok(Json(
        s.workflow
            .complete(&admin.name, &rid, id, vars)
            .await
            .map_err(problem)?,
    )
    .into_response())
}

async fn fire_api(_admin: Admin, State(s): State<WorkflowState>) -> Result<Response, Problem> {
    Ok(
        Json(json!({"fired": s.workflow.fire_due_timers().await.map_err(problem)?}))
            .into_response(),
    )
}

/// OpenAPI paths of the workflow module.
pub fn openapi_paths() -> Value {
    let id = json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let sec = json!([{"basic": []}]);
    json!({
        "/api/v1/workflow/definitions": {
            "get": {"summary": "Deployed process definitions", "tags": ["workflow"], "security": sec, "responses": {"200": {"description": "definitions"}}},
            "post": {"summary": "Deploy BPMN 2.0 XML as the next version (unsupported elements refused by id)", "tags": ["workflow"], "security": sec,
                "requestBody": {"content": {"application/xml": {"schema": {"type": "string"}}}},
                "responses": {"201": {"description": "deployed"}, "422": problem}}},
        "/api/v1/workflow/definitions/{id}/diagram.svg": {"get": {"summary": "Diagram from the file's layout", "tags": ["workflow"], "security": sec, "parameters": [id], "responses": {"200": {"description": "SVG"}}}},
        "/api/v1/workflow/instances": {
            "get": {"summary": "Instances", "tags": ["workflow"], "security": sec, "responses": {"200": {"description": "instances"}}},
            "post": {"summary": "Start the newest version of a process", "tags": ["workflow"], "security": sec,
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}, "business_key": {"type": "string"}, "agency": {"type": "string"}, "variables": {"type": "object"}}}}}},
                "responses": {"201": {"description": "started"}, "404": problem}}},
        "/api/v1/workflow/instances/{id}": {"get": {"summary": "Instance with tasks and history", "tags": ["workflow"], "security": sec, "parameters": [id], "responses": {"200": {"description": "instance"}, "404": problem}}},
        "/api/v1/workflow/instances/{id}/diagram.svg": {"get": {"summary": "Diagram with the current steps highlighted", "tags": ["workflow"], "security": sec, "parameters": [id], "responses": {"200": {"description": "SVG"}}}},
        "/api/v1/workflow/tasks": {"get": {"summary": "Task pool by role and agency", "tags": ["workflow"], "security": sec, "responses": {"200": {"description": "tasks"}}}},
        "/api/v1/workflow/tasks/{id}/claim": {"post": {"summary": "Claim a task", "tags": ["workflow"], "security": sec, "parameters": [id], "responses": {"200": {"description": "claimed"}, "409": problem}}},
        "/api/v1/workflow/tasks/{id}/complete": {"post": {"summary": "Complete a task with variables", "tags": ["workflow"], "security": sec, "parameters": [id], "responses": {"200": {"description": "instance"}, "409": problem}}},
        "/api/v1/workflow/timers/fire": {"post": {"summary": "Fire due working-day timers now", "tags": ["workflow"], "security": sec, "responses": {"200": {"description": "count"}}}}
    })
}

//! Routes of the platform core: home, health, metrics, the job queue admin, the file store API.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use crate::error::PlatformError;
use crate::model::{Job, JobStatus};
use crate::web::{render, Admin, PageError, Platform, Problem, Shell};

/// The platform core's routes.
pub fn router() -> Router<Platform> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/assets/app.css", get(crate::web::app_css))
        .route("/admin/jobs", get(jobs_page))
        .route("/admin/jobs/{id}/retry", post(retry_job_page))
        .route("/api/v1/admin/jobs", get(jobs_api))
        .route("/api/v1/admin/jobs/{id}", get(job_api))
        .route("/api/v1/admin/jobs/{id}/retry", post(retry_job_api))
        .route("/api/v1/files", post(upload_file))
        .route("/api/v1/files/{sha256}", get(download_file))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    shell: Shell,
}

async fn home(State(p): State<Platform>) -> Response {
    render(&HomePage {
        shell: (*p.shell).clone(),
    })
}

async fn healthz() -> impl IntoResponse {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(p): State<Platform>) -> Response {
    if p.db.ping().await {
        Json(json!({"status": "ready", "database": p.db.backend()})).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "not ready", "database": "unreachable"})),
        )
            .into_response()
    }
}

fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

async fn metrics(State(p): State<Platform>) -> Response {
    let mut out = p.metrics.render();
    out.push_str("# HELP cqdt_up Whether the database answers.\n# TYPE cqdt_up gauge\n");
    out.push_str(&format!("cqdt_up {}\n", u8::from(p.db.ping().await)));
    if let Ok(counts) = p.jobs.counts().await {
        out.push_str("# HELP cqdt_jobs Jobs in the outbox by status.\n# TYPE cqdt_jobs gauge\n");
        for (status, n) in counts {
            out.push_str(&format!("cqdt_jobs{{status=\"{status}\"}} {n}\n"));
        }
    }
    if let Some(rss) = resident_memory_bytes() {
        out.push_str("# HELP process_resident_memory_bytes Resident memory size in bytes.\n# TYPE process_resident_memory_bytes gauge\n");
        out.push_str(&format!("process_resident_memory_bytes {rss}\n"));
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[derive(Deserialize)]
struct JobFilter {
    status: Option<String>,
    limit: Option<i64>,
}

fn parse_status(s: Option<&str>) -> Result<Option<JobStatus>, String> {
    match s.filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => JobStatus::parse(s)
            .map(Some)
            .ok_or_else(|| format!("Trạng thái “{s}” không hợp lệ (pending, done, dead).")),
    }
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    shell: Shell,
    jobs: Vec<Job>,
    counts: Vec<(String, i64)>,
}

async fn jobs_page(
    _admin: Admin,
    State(p): State<Platform>,
    Query(f): Query<JobFilter>,
) -> Result<Response, PageError> {
    let status = parse_status(f.status.as_deref()).map_err(PageError::BadRequest)?;
    let jobs = p
        .jobs
        .list(status, f.limit.unwrap_or(200).clamp(1, 1000))
        .await
        .map_err(PageError::internal)?;
    let counts = p.jobs.counts().await.map_err(PageError::internal)?;
    Ok(render(&JobsPage {
        shell: (*p.shell).clone(),
        jobs,
        counts,
    }))
}

async fn retry_job_page(
    _admin: Admin,
    State(p): State<Platform>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    p.jobs.retry_dead(id).await.map_err(PageError::internal)?;
    Ok(Redirect::to("/admin/jobs?status=pending").into_response())
}

async fn jobs_api(
    _admin: Admin,
    State(p): State<Platform>,
    Query(f): Query<JobFilter>,
) -> Result<Response, Problem> {
    let status = parse_status(f.status.as_deref()).map_err(Problem::bad_request)?;
    let jobs = p
        .jobs
        .list(status, f.limit.unwrap_or(200).clamp(1, 1000))
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({ "jobs": jobs })).into_response())
}

async fn job_api(
    _admin: Admin,
    State(p): State<Platform>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    match p.jobs.get(id).await.map_err(Problem::internal)? {
        Some((job, attempts)) => {
            Ok(Json(json!({"job": job, "attempts": attempts})).into_response())
        }
        None => Err(Problem::not_found(format!("Không có công việc {id}."))),
    }
}

async fn retry_job_api(
    _admin: Admin,
    State(p): State<Platform>,
    Path(id): Path<i64>,
) -> Result<Response, Problem> {
    if p.jobs.retry_dead(id).await.map_err(Problem::internal)? {
        Ok(StatusCode::NO_CONTENT.into_response())
    } else {
        Err(Problem::new(StatusCode::CONFLICT, "Không thể thử lại")
            .with_detail(format!("Công việc {id} không ở trạng thái thất bại.")))
    }
}

async fn upload_file(
    _admin: Admin,
    State(p): State<Platform>,
    mut form: Multipart,
) -> Result<Response, Problem> {
    let field = form
        .next_field()
        .await
        .map_err(|e| Problem::bad_request(format!("Không đọc được tệp tải lên: {e}")))?
        .ok_or_else(|| Problem::bad_request("Không có tệp nào trong yêu cầu."))?;
    let name = field.file_name().map(str::to_string);
    let bytes = field.bytes().await.map_err(|e| {
        Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Tệp quá lớn").with_detail(format!(
            "Không nhận được tệp (tối đa {} byte): {e}",
            p.files.max_bytes()
        ))
    })?;
    match p.files.put(&bytes, name.as_deref()).await {
        Ok(file) => Ok((StatusCode::CREATED, Json(file)).into_response()),
        Err(PlatformError::Rejected(m)) => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Tệp không được chấp nhận",
        )
        .with_detail(m)),
        Err(e) => Err(Problem::internal(e)),
    }
}

async fn download_file(
    _admin: Admin,
    State(p): State<Platform>,
    Path(sha256): Path<String>,
) -> Result<Response, Problem> {
    match p.files.get(&sha256).await {
        Ok((meta, bytes)) => Ok((
            [
                (header::CONTENT_TYPE, meta.media_type.mime().to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{}\"", meta.sha256),
                ),
            ],
            bytes,
        )
            .into_response()),
        Err(PlatformError::NotFound(_)) => Err(Problem::not_found("Không có tệp này.")),
        Err(e) => Err(Problem::internal(e)),
    }
}

/// OpenAPI paths of the platform core.
pub fn openapi_paths() -> serde_json::Value {
    json!({
        "/healthz": {"get": {"summary": "Liveness", "tags": ["platform"], "responses": {"200": {"description": "alive"}}}},
        "/readyz": {"get": {"summary": "Readiness (database reachable)", "tags": ["platform"], "responses": {"200": {"description": "ready"}, "503": {"description": "not ready"}}}},
        "/metrics": {"get": {"summary": "Prometheus metrics", "tags": ["platform"], "responses": {"200": {"description": "text exposition format"}}}},
        "/api/v1/admin/jobs": {"get": {"summary": "List outbox jobs", "tags": ["platform"], "security": [{"basic": []}],
            "parameters": [{"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "done", "dead"]}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "jobs"}}}},
        "/api/v1/admin/jobs/{id}": {"get": {"summary": "A job and its attempts (delivery log)", "tags": ["platform"], "security": [{"basic": []}],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "job"}, "404": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/admin/jobs/{id}/retry": {"post": {"summary": "Requeue a dead job", "tags": ["platform"], "security": [{"basic": []}],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"204": {"description": "requeued"}, "409": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/files": {"post": {"summary": "Store an attachment (type checked by content)", "tags": ["platform"], "security": [{"basic": []}],
            "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"201": {"description": "stored"}, "413": {"$ref": "#/components/responses/Problem"}, "422": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/files/{sha256}": {"get": {"summary": "Read a stored file", "tags": ["platform"], "security": [{"basic": []}],
            "parameters": [{"name": "sha256", "in": "path", "required": true, "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"}}],
            "responses": {"200": {"description": "the file"}, "404": {"$ref": "#/components/responses/Problem"}}}}
    })
}

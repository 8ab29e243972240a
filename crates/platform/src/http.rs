//! Routes of the platform core (the home page is the portal's, in the procedures module): health, metrics, the job queue admin, the file store API.

use crate::auth::ApiScope;
use crate::filters;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::Backend;
use crate::model::{Job, JobAttempt, JobStatus, MediaType, StoredFile};
use crate::openapi::{AdminRefusal, BadRequest, Conflict, NotFound, TooLarge, Unprocessable};
use crate::service::upload_refused;
use crate::web::{render, Admin, ApiQuery, HttpError, Platform, Problem, Shell};

/// The platform core's routes; `p` sets the upload limit of `/api/v1/files`.
pub fn router(p: &Platform) -> Router<Platform> {
    Router::new()
        .route("/api/v1/admin/jobs", get(jobs_api))
        .route("/api/v1/admin/jobs/{id}", get(job_api))
        .route("/api/v1/admin/jobs/{id}/retry", post(retry_job_api))
        .route("/api/v1/files", post(upload_file).layer(p.upload_limit(1)))
        .route("/api/v1/files/{sha256}", get(download_file))
        .route_layer(crate::auth::scope_rule(ApiScope::Admin, ApiScope::Admin))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/assets/app.css", get(crate::web::app_css))
        .route("/admin", get(admin_home))
        .route("/admin/jobs", get(jobs_page))
        .route("/admin/jobs/{id}/retry", post(retry_job_page))
}

#[derive(Template)]
#[template(path = "admin_home.html")]
struct AdminHome {
    shell: Shell,
}

/// The administration landing page: the sections, each with what is there.
async fn admin_home(State(p): State<Platform>, _admin: Admin) -> Response {
    render(&AdminHome { shell: (*p.shell).clone() })
}

/// The answer of `/healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`: the process answers.
    pub status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "platform",
    operation_id = "platform_health",
    summary = "Liveness",
    responses((status = 200, description = "alive", body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The answer of `/readyz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    /// The backend (`sqlite`, `postgres`), or `unreachable`.
    pub database: &'static str,
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

#[utoipa::path(get, path = "/readyz", tag = "platform",
    operation_id = "platform_ready",
    summary = "Readiness (database reachable)",
    responses(
        (status = 200, description = "ready", body = Readiness),
        (status = 503, description = "not ready", body = Readiness)))]
async fn readyz(State(p): State<Platform>) -> (StatusCode, Json<Readiness>) {
    if p.db.ping().await {
        let database = backend_name(p.db.backend());
        let ready = Readiness { status: "ready", database };
        (StatusCode::OK, Json(ready))
    } else {
        let down = Readiness { status: "not ready", database: "unreachable" };
        (StatusCode::SERVICE_UNAVAILABLE, Json(down))
    }
}

fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[utoipa::path(get, path = "/metrics", tag = "platform",
    operation_id = "platform_metrics",
    summary = "Prometheus metrics",
    responses((status = 200, description = "text exposition format", body = String,
        content_type = "text/plain")))]
async fn metrics(
    State(p): State<Platform>,
    client: Option<axum::Extension<crate::web::ClientIp>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    if !p.metrics.may_read(auth, client.map(|c| c.0 .0)) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer realm=\"cqdt metrics\"")],
            "metrics need the configured bearer token (metrics_token)\n",
        )
            .into_response();
    }
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
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], out).into_response()
}

/// Which jobs to list.
#[derive(Debug, Deserialize)]
struct JobFilter {
    /// `pending`, `done` or `dead`; all when absent or empty.
    status: Option<String>,
    /// How many, newest first (1 to 1000, default 200).
    limit: Option<i64>,
}

impl JobFilter {
    fn status(&self) -> Result<Option<JobStatus>, Problem> {
        match self.status.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => JobStatus::parse(s).map(Some).ok_or_else(|| {
                Problem::bad_request(format!(
                    "Trạng thái “{s}” không hợp lệ (pending, done, dead)."
                ))
            }),
        }
    }

    fn limit(&self) -> i64 {
        self.limit.unwrap_or(200).clamp(1, 1000)
    }
}

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    shell: Shell,
    jobs: Vec<Job>,
    counts: Vec<(String, String, i64)>,
}

async fn jobs_page(
    _admin: Admin,
    State(p): State<Platform>,
    Query(f): Query<JobFilter>,
) -> Result<Response, HttpError> {
    let jobs = p.jobs.list(f.status()?, f.limit()).await?;
    let counts = p.jobs.counts().await?;
    // The status as stored for the tag's class, and in words.
    let counts = counts
        .into_iter()
        .map(|(status, n)| {
            let label = JobStatus::parse(&status).map_or(status.clone(), |s| s.label_vi().into());
            (status, label, n)
        })
        .collect();
    Ok(render(&JobsPage { shell: (*p.shell).clone(), jobs, counts }))
}

async fn retry_job_page(
    _admin: Admin,
    State(p): State<Platform>,
    Path(id): Path<i64>,
) -> Result<Redirect, HttpError> {
    p.jobs.retry_dead(id).await?;
    Ok(Redirect::to("/admin/jobs?status=pending"))
}

/// Jobs of the outbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobList {
    /// Newest first.
    pub jobs: Vec<Job>,
}

#[utoipa::path(get, path = "/api/v1/admin/jobs", tag = "platform",
    operation_id = "jobs_list",
    summary = "List outbox jobs",
    params(
        ("status" = Option<JobStatus>, Query, description = "Only jobs in this status"),
        ("limit" = Option<i64>, Query,
            description = "How many, newest first (default 200, kept within 1 to 1000)")),
    responses(
        (status = 200, description = "jobs", body = JobList),
        BadRequest,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn jobs_api(
    _admin: Admin,
    State(p): State<Platform>,
    ApiQuery(f): ApiQuery<JobFilter>,
) -> Result<Json<JobList>, HttpError> {
    let jobs = p.jobs.list(f.status()?, f.limit()).await?;
    Ok(Json(JobList { jobs }))
}

/// A job with its delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetail {
    /// The job.
    pub job: Job,
    /// Its attempts, oldest first.
    pub attempts: Vec<JobAttempt>,
}

#[utoipa::path(get, path = "/api/v1/admin/jobs/{id}", tag = "platform",
    operation_id = "jobs_get",
    summary = "A job and its attempts (delivery log)",
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "job", body = JobDetail),
        NotFound,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn job_api(
    _admin: Admin,
    State(p): State<Platform>,
    Path(id): Path<i64>,
) -> Result<Json<JobDetail>, HttpError> {
    let (job, attempts) = p
        .jobs
        .get(id)
        .await?
        .ok_or_else(|| Problem::not_found(format!("Không có công việc {id}.")))?;
    Ok(Json(JobDetail { job, attempts }))
}

#[utoipa::path(post, path = "/api/v1/admin/jobs/{id}/retry", tag = "platform",
    operation_id = "jobs_retry",
    summary = "Requeue a dead job",
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 204, description = "requeued"),
        Conflict,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn retry_job_api(
    _admin: Admin,
    State(p): State<Platform>,
    Path(id): Path<i64>,
) -> Result<StatusCode, HttpError> {
    if p.jobs.retry_dead(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(Problem::new(StatusCode::CONFLICT, "Không thể thử lại")
            .with_detail(format!("Công việc {id} không ở trạng thái thất bại."))
            .into())
    }
}

/// The form of `POST /api/v1/files`: one file.
#[derive(ToSchema)]
#[allow(dead_code)]
struct FileUpload {
    /// The file; its type is recognised from its content, its name only checked against it.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[utoipa::path(post, path = "/api/v1/files", tag = "platform",
    operation_id = "files_upload",
    summary = "Store an attachment (type checked by content)",
    request_body(content = inline(FileUpload), content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "stored", body = StoredFile),
        BadRequest, TooLarge, Unprocessable,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn upload_file(
    _admin: Admin,
    State(p): State<Platform>,
    mut form: Multipart,
) -> Result<(StatusCode, Json<StoredFile>), HttpError> {
    let field = form
        .next_field()
        .await
        .map_err(|e| Problem::bad_request(format!("Không đọc được tệp tải lên: {e}")))?
        .ok_or_else(|| Problem::bad_request("Không có tệp nào trong yêu cầu."))?;
    let name = field.file_name().map(str::to_string);
    let declared = field.content_type().map(str::to_string);
    let bytes = match field.bytes().await {
        Ok(bytes) => bytes,
        Err(e) => {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                let size = crate::auth::declared_length();
                upload_refused("body_limit", name.as_deref(), declared.as_deref(), size).await;
            }
            return Err(Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Tệp quá lớn")
                .with_detail(format!(
                    "Không nhận được tệp (tối đa {} byte): {e}",
                    p.files.max_bytes()
                ))
                .into());
        }
    };
    let file = p.files.put_declared(&bytes, name.as_deref(), declared.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(file)))
}

/// The bytes of a stored file, as answered.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
struct FileBytes(Vec<u8>);

#[utoipa::path(get, path = "/api/v1/files/{sha256}", tag = "platform",
    operation_id = "files_download",
    summary = "Read a stored file",
    params(("sha256" = String, Path, pattern = "^[0-9a-f]{64}$",
        description = "SHA-256 of the content, lowercase hex")),
    responses(
        (status = 200, description = "the file, with the type recognised when it was stored",
            content(
                (FileBytes = "application/pdf"), (FileBytes = "image/png"),
                (FileBytes = "image/jpeg"), (FileBytes = "application/zip"),
                (FileBytes = "application/xml"), (String = "text/plain"))),
        NotFound,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn download_file(
    _admin: Admin,
    State(p): State<Platform>,
    Path(sha256): Path<String>,
) -> Result<Response, HttpError> {
    let (meta, bytes) = p.files.get(&sha256).await?;
    let headers = [
        (header::CONTENT_TYPE, meta.media_type.mime().to_string()),
        (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{}\"", meta.sha256)),
    ];
    Ok((headers, bytes).into_response())
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(healthz, readyz, metrics, jobs_api, job_api, retry_job_api, upload_file, download_file),
    components(schemas(
        Health, Readiness, JobList, JobDetail, Job, JobAttempt, JobStatus, StoredFile, MediaType
    ))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_describes_every_route_with_known_security_schemes() {
        let doc = crate::openapi::json::<ApiDoc>();
        let paths = doc["paths"].as_object().expect("paths");
        for (path, method) in [
            ("/healthz", "get"),
            ("/readyz", "get"),
            ("/metrics", "get"),
            ("/api/v1/admin/jobs", "get"),
            ("/api/v1/admin/jobs/{id}", "get"),
            ("/api/v1/admin/jobs/{id}/retry", "post"),
            ("/api/v1/files", "post"),
            ("/api/v1/files/{sha256}", "get"),
        ] {
            assert!(paths[path].get(method).is_some(), "{method} {path}");
        }
        let known: Vec<&str> =
            crate::openapi::security_schemes().into_iter().map(|(name, _)| name).collect();
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("path item") {
                for requirement in op["security"].as_array().into_iter().flatten() {
                    for name in requirement.as_object().expect("requirement").keys() {
                        assert!(known.contains(&name.as_str()), "{method} {path}: {name}");
                    }
                }
            }
        }
        let upload = &paths["/api/v1/files"]["post"]["responses"];
        for status in ["201", "400", "401", "403", "413", "422", "429"] {
            assert!(upload.get(status).is_some(), "upload {status}");
        }
        for status in ["401", "403", "429"] {
            assert_eq!(
                upload[status]["$ref"], "#/components/responses/Problem",
                "the guard answers APIs with problem+json"
            );
        }
    }

    #[test]
    fn answers_have_the_shapes_the_document_gives_them() {
        let ready = serde_json::to_value(Readiness {
            status: "ready",
            database: backend_name(Backend::Postgres),
        })
        .expect("json");
        assert_eq!(ready, serde_json::json!({"status": "ready", "database": "postgres"}));
        // The backend's own name, as `/readyz` has always said it.
        assert_eq!(
            serde_json::to_value(Backend::Sqlite).expect("json"),
            backend_name(Backend::Sqlite)
        );
    }
}

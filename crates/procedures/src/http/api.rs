//! The JSON API (`/api/v1/procedures`): public search and reads, administrators' changes,
//! import and export in JSON and XLSX. Every handler is described for OpenAPI.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cqdt_platform::xlsx::MEDIA_TYPE as XLSX;
use cqdt_platform::{Admin, ApiJson, HttpError, Problem};
use serde::Serialize;
use utoipa::ToSchema;

use super::{filters, ProcedureState};
use crate::error::ProcedureError;
use crate::model::{Field, Level, OnlineLevel, Procedure, ProcessingTime, Status};
use crate::service::Entry;
use crate::store::Version;
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, TooLarge, Unprocessable, UnsupportedMediaType,
};

/// A procedure as lists show it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProcedureSummary)]
pub struct Summary {
    /// Provincial code.
    pub code: String,
    /// National code.
    pub national_code: String,
    /// Name.
    pub name: String,
    /// Field of activity.
    pub field: Field,
    /// Levels that implement it.
    pub levels: Vec<Level>,
    /// Online level.
    pub online_level: OnlineLevel,
    /// Processing time.
    pub processing_time: ProcessingTime,
    /// Sample data of the demo province.
    pub sample: bool,
}

impl From<&Procedure> for Summary {
    fn from(p: &Procedure) -> Self {
        Summary {
            code: p.code.clone(),
            national_code: p.national_code.clone(),
            name: p.name.clone(),
            field: p.field.clone(),
            levels: p.levels.clone(),
            online_level: p.online_level,
            processing_time: p.processing_time.clone(),
            sample: p.sample,
        }
    }
}

/// Search results, best first.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProcedureSearchResults)]
pub struct SearchResults {
    /// How many are listed.
    pub total: usize,
    /// The procedures found.
    pub items: Vec<Summary>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProcedureImport)]
pub struct Imported {
    /// Procedures created or updated.
    pub imported: usize,
}

/// Search published procedures (diacritics-insensitive, tolerant of small typos)
#[utoipa::path(get, path = "/api/v1/procedures", tag = "procedures",
    params(
        ("q" = Option<String>, Query, description = "words of the name or the code"),
        ("linh_vuc" = Option<String>, Query, description = "field code"),
        ("cap" = Option<Level>, Query, description = "implementing level"),
        ("muc_do" = Option<OnlineLevel>, Query, description = "online level"),
        ("co_quan" = Option<String>, Query, description = "implementing agency kind"),
        ("limit" = Option<i64>, Query, description = "1 to 200 (default 20)"),
    ),
    responses((status = 200, description = "{total, items}", body = SearchResults)))]
pub(super) async fn api_search(
    State(s): State<ProcedureState>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<SearchResults> {
    let limit = q.get("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(20).clamp(1, 200);
    let text = q.get("q").map(String::as_str).unwrap_or("");
    let hits = s.procedures.search(text, &filters(&q), limit);
    Json(SearchResults {
        total: hits.len(),
        items: hits.iter().map(|p| Summary::from(&**p)).collect(),
    })
}

/// One procedure with its status and version
#[utoipa::path(get, path = "/api/v1/procedures/{code}", tag = "procedures",
    params(("code" = String, Path, description = "provincial code")),
    responses(
        (status = 200, description = "procedure", body = Entry),
        NotFound,
    ))]
pub(super) async fn api_get(
    State(s): State<ProcedureState>,
    Path(code): Path<String>,
) -> Result<Json<Entry>, ProcedureError> {
    match s.procedures.get(&code).await? {
        Some(e) => Ok(Json(e)),
        None => Err(ProcedureError::NotFound(code)),
    }
}

/// Versions of a procedure
#[utoipa::path(get, path = "/api/v1/procedures/{code}/history", tag = "procedures",
    params(("code" = String, Path, description = "provincial code")),
    responses(
        (status = 200, description = "versions, newest first", body = Vec<Version>),
        NotFound, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_history(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
) -> Result<Json<Vec<Version>>, ProcedureError> {
    let versions = s.procedures.history(&code).await?;
    if versions.is_empty() {
        return Err(ProcedureError::NotFound(code));
    }
    Ok(Json(versions))
}

/// Create a procedure as a draft (audited)
#[utoipa::path(post, path = "/api/v1/procedures", tag = "procedures",
    request_body = Procedure,
    responses(
        (status = 201, description = "the procedure", body = Entry),
        BadRequest, Conflict, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_create(
    State(s): State<ProcedureState>,
    a: Admin,
    ApiJson(p): ApiJson<Procedure>,
) -> Result<(StatusCode, Json<Entry>), ProcedureError> {
    let e = s.procedures.create(&a.name, &p, Status::Draft).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// The version an `If-Match: "3"` header names; a malformed one is a 400.
fn if_match(headers: &HeaderMap) -> Result<Option<i64>, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    v.to_str()
        .ok()
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|t| t.parse::<i64>().ok())
        .map(Some)
        .ok_or_else(|| Problem::bad_request("If-Match phải là số phiên bản, ví dụ \"3\"."))
}

/// Replace a procedure's content (audited, versioned)
#[utoipa::path(put, path = "/api/v1/procedures/{code}", tag = "procedures",
    params(
        ("code" = String, Path, description = "provincial code"),
        ("If-Match" = Option<String>, Header,
            description = "the version read, e.g. \"3\": refuses a lost update with 409"),
    ),
    request_body = Procedure,
    responses(
        (status = 200, description = "procedure", body = Entry),
        BadRequest, NotFound, Conflict, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_update(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<ApiJson<Procedure>, HttpError>,
) -> Result<Json<Entry>, HttpError> {
    // The header is checked before the body, as it always was.
    let expected = if_match(&headers)?;
    let ApiJson(p) = body?;
    Ok(Json(s.procedures.update(&a.name, &code, &p, expected).await?))
}

/// Publish a draft
#[utoipa::path(post, path = "/api/v1/procedures/{code}/publish", tag = "procedures",
    params(("code" = String, Path, description = "provincial code")),
    responses(
        (status = 200, description = "procedure", body = Entry),
        NotFound, Conflict, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_publish(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
) -> Result<Json<Entry>, ProcedureError> {
    let e = s.procedures.set_status(&a.name, &code, Status::Published).await?;
    Ok(Json(e))
}

/// Retire a procedure (no new dossiers)
#[utoipa::path(post, path = "/api/v1/procedures/{code}/retire", tag = "procedures",
    params(("code" = String, Path, description = "provincial code")),
    responses(
        (status = 200, description = "procedure", body = Entry),
        NotFound, Conflict, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_retire(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
) -> Result<Json<Entry>, ProcedureError> {
    let e = s.procedures.set_status(&a.name, &code, Status::Retired).await?;
    Ok(Json(e))
}

/// Every procedure not retired, as a JSON array (the import format) or, with ?format=xlsx, a workbook
#[utoipa::path(get, path = "/api/v1/procedures/export", tag = "procedures",
    params(("format" = Option<String>, Query, description = "json (default) or xlsx")),
    responses(
        (status = 200, description = "procedures", content(
            (Vec<Procedure> = "application/json"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        BadRequest, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_export(
    State(s): State<ProcedureState>,
    _a: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    match q.get("format").map(String::as_str) {
        None | Some("json") => Ok(Json(s.procedures.export().await?).into_response()),
        Some("xlsx") => {
            let bytes = s.procedures.export_xlsx().await?;
            let disposition = "attachment; filename=\"thu-tuc-hanh-chinh.xlsx\"";
            Ok(([(header::CONTENT_TYPE, XLSX), (header::CONTENT_DISPOSITION, disposition)], bytes)
                .into_response())
        }
        Some(other) => Err(Problem::bad_request(format!(
            "Định dạng “{other}” không có; dùng format=json hoặc format=xlsx."
        ))
        .into()),
    }
}

/// The media type of a request, without parameters, in lower case.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Import procedures, all or nothing: a JSON array, or a workbook as exported (errors name sheet, row and column); ?publish=true publishes them
#[utoipa::path(post, path = "/api/v1/procedures/import", tag = "procedures",
    params(("publish" = Option<bool>, Query, description = "true: the procedures are published")),
    request_body(content(
        (Vec<Procedure> = "application/json"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    responses(
        (status = 200, description = "{imported}", body = Imported),
        BadRequest, TooLarge, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn api_import(
    State(s): State<ProcedureState>,
    a: Admin,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Imported>, HttpError> {
    let body = body.map_err(|e| {
        Problem::new(e.status(), "Không đọc được nội dung gửi lên").with_detail(e.body_text())
    })?;
    let publish = q.get("publish").is_some_and(|v| v == "true");
    let kind = media_type(&headers);
    let imported = if kind == XLSX {
        s.procedures.import_xlsx(&a.name, &body, publish).await?
    } else if kind == "application/json" || kind.ends_with("+json") {
        let Json(items) = Json::<Vec<Procedure>>::from_bytes(&body).map_err(|e| {
            Problem::bad_request(format!("Nội dung JSON không đọc được: {}", e.body_text()))
        })?;
        s.procedures.import(&a.name, &items, publish).await?
    } else {
        return Err(Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Định dạng không hỗ trợ")
            .with_detail(format!(
                "Gửi danh sách thủ tục dạng JSON (application/json) hoặc bảng tính ({XLSX})."
            ))
            .into());
    };
    Ok(Json(Imported { imported }))
}

//! The JSON API of the catalogs (`/api/v1/catalogs`): public reads, the administrator's
//! writes, imports and exports. Every handler is described for OpenAPI.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use cqdt_platform::{Admin, FieldError, HttpError, Problem, RequestId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{as_of, end_request, json_object, parse_list, AsOf, CatalogState, ListQuery};
use crate::model::{CatalogMeta, CodeKind, FieldDef};
use crate::service::{EntryDetail, EntryView, ExportRow, Format, ImportReport, Link, Page};
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable, UnsupportedMediaType,
};

/// A catalog's metadata, with its number of entries in lists.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogInfo {
    /// Catalog code.
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Where its data comes from.
    pub source: String,
    /// How codes are checked.
    pub code_kind: CodeKind,
    /// Extra fields of entries.
    pub fields: Vec<FieldDef>,
    /// Shipped with cqdt.
    pub builtin: bool,
    /// Recorded-current entries (every period) in lists; null for one catalog.
    pub entries: Option<i64>,
}

impl CatalogInfo {
    fn new(m: &CatalogMeta, entries: Option<i64>) -> Self {
        CatalogInfo {
            code: m.code.clone(),
            name: m.name.clone(),
            description: m.description.clone(),
            source: m.source.clone(),
            code_kind: m.code_kind,
            fields: m.fields.clone(),
            builtin: m.builtin,
            entries,
        }
    }
}

/// Every catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogList {
    /// Catalogs with entry counts.
    pub catalogs: Vec<CatalogInfo>,
}

/// An entry to add or change: the catalog's extra fields may also come at the top level.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CatalogEntryRequest)]
pub struct EntryRequest {
    /// Code (kept on update).
    pub code: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Parent code.
    pub parent: Option<String>,
    /// In force from (yyyy-mm-dd or dd/mm/yyyy).
    #[schema(format = Date)]
    pub valid_from: Option<String>,
    /// In force until, exclusive (yyyy-mm-dd or dd/mm/yyyy).
    #[schema(format = Date)]
    pub valid_to: Option<String>,
    /// Sample data, not an official value.
    pub sample: Option<bool>,
    /// The catalog's extra fields (or give them at the top level).
    #[schema(value_type = Option<Object>)]
    pub data: Option<serde_json::Value>,
}

/// Ends an entry on a date, linking what replaced it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = CatalogEndRequest)]
pub struct EndRequest {
    /// The first day it is no longer in force (yyyy-mm-dd or dd/mm/yyyy).
    #[schema(format = Date)]
    pub valid_to: String,
    /// Successor codes in force on that date.
    pub successors: Option<Vec<String>>,
}

/// Every recorded version of a code.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CatalogEntryHistory)]
pub struct EntryHistory {
    /// Oldest first, superseded ones included.
    pub history: Vec<EntryView>,
}

/// A code's successor links, and what it resolves to on a date.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = CatalogSuccessors)]
pub struct SuccessorsView {
    /// The code asked about.
    pub code: String,
    /// The date resolved on (default today).
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
    /// Direct successor links.
    pub successors: Vec<Link>,
    /// The units in force on `as_of` the code stands for.
    pub resolved: Vec<EntryView>,
}

/// Catalogs with entry counts
#[utoipa::path(get, path = "/api/v1/catalogs", tag = "catalogs",
    responses((status = 200, description = "catalogs", body = CatalogList)))]
pub(super) async fn list_api(
    State(s): State<CatalogState>,
) -> Result<Json<CatalogList>, HttpError> {
    let list = s.catalogs.catalogs().await?;
    Ok(Json(CatalogList {
        catalogs: list.iter().map(|(m, n)| CatalogInfo::new(m, Some(*n))).collect(),
    }))
}

/// A catalog's metadata: fields with labels and types, code kind
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog}", tag = "catalogs",
    params(("catalog" = String, Path, description = "catalog code")),
    responses(
        (status = 200, description = "metadata", body = CatalogInfo),
        NotFound,
    ))]
pub(super) async fn meta_api(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Json<CatalogInfo>, HttpError> {
    let m = s.catalogs.meta(&catalog).await?;
    Ok(Json(CatalogInfo::new(&m, None)))
}

/// A page of entries matching a list query.
pub(super) async fn find(
    s: &CatalogState,
    catalog: &str,
    q: &ListQuery,
) -> Result<Page, HttpError> {
    let (filter, page, size) = parse_list(q, 1000)
        .map_err(|e| Problem::bad_request("Điều kiện tra cứu không hợp lệ.").with_errors(e))?;
    Ok(s.catalogs.find(catalog, &filter, page, size).await?)
}

/// The path of one entry, documented once for every route under it.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub(super) struct EntryPath {
    /// catalog code
    catalog: String,
    /// entry code
    code: String,
}

/// Search entries
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog}/entries", tag = "catalogs",
    params(
        ("catalog" = String, Path, description = "catalog code"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "a page of entries", body = Page),
        BadRequest, NotFound,
    ))]
pub(super) async fn entries_api(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Page>, HttpError> {
    Ok(Json(find(&s, &catalog, &q).await?))
}

/// Add an entry (audited)
#[utoipa::path(post, path = "/api/v1/catalogs/{catalog}/entries", tag = "catalogs",
    params(("catalog" = String, Path, description = "catalog code")),
    request_body = EntryRequest,
    responses(
        (status = 201, description = "created", body = EntryView,
            headers(("Location" = String, description = "the entry's address"))),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn create_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, HttpError> {
    let raw = json_object(&headers, &body)?;
    let e = s.catalogs.create(&admin.name, &rid, &catalog, &raw).await?;
    let location = format!(
        "/api/v1/catalogs/{}/entries/{}",
        cqdt_platform::web::url_encode(&catalog),
        cqdt_platform::web::url_encode(&e.entry.code)
    );
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(e)).into_response())
}

/// One code as of a date (default today): the version in force, else the last one before with the units it resolves to; its other periods, successors and predecessors
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog}/entries/{code}", tag = "catalogs",
    params(
        EntryPath,
        ("as_of" = Option<String>, Query, description = "date"),
    ),
    responses(
        (status = 200, description = "entry", body = EntryDetail),
        BadRequest, NotFound,
    ))]
pub(super) async fn entry_api(
    State(s): State<CatalogState>,
    Path(EntryPath { catalog, code }): Path<EntryPath>,
    Query(q): Query<AsOf>,
) -> Result<Json<EntryDetail>, HttpError> {
    let d = as_of(&q)?;
    Ok(Json(s.catalogs.entry(&catalog, &code, d).await?))
}

/// Record a new version of an entry; fields left out keep their value; history kept; audited
#[utoipa::path(put, path = "/api/v1/catalogs/{catalog}/entries/{code}", tag = "catalogs",
    params(
        EntryPath,
        ("as_of" = Option<String>, Query, description = "which period to change, when the code has several"),
    ),
    request_body = EntryRequest,
    responses(
        (status = 200, description = "the new version", body = EntryView),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn update_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(EntryPath { catalog, code }): Path<EntryPath>,
    Query(q): Query<AsOf>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<EntryView>, HttpError> {
    let d = as_of(&q)?;
    let raw = json_object(&headers, &body)?;
    let e = s.catalogs.update(&admin.name, &rid, &catalog, &code, d, &raw).await?;
    Ok(Json(e))
}

/// End an entry: it ceases on valid_to; optional successor codes are linked (audited)
#[utoipa::path(post, path = "/api/v1/catalogs/{catalog}/entries/{code}/end", tag = "catalogs",
    params(
        EntryPath,
    ),
    request_body = EndRequest,
    responses(
        (status = 200, description = "the ended version", body = EntryView),
        BadRequest, NotFound, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn end_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(EntryPath { catalog, code }): Path<EntryPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<EntryView>, HttpError> {
    let raw = json_object(&headers, &body)?;
    let (valid_to, successors) = end_request(&raw).map_err(|e| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ").with_errors(e)
    })?;
    let e = s.catalogs.end(&admin.name, &rid, &catalog, &code, valid_to, &successors).await?;
    Ok(Json(e))
}

/// Every recorded version, superseded ones included, oldest first
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog}/entries/{code}/history", tag = "catalogs",
    params(
        EntryPath,
    ),
    responses(
        (status = 200, description = "history", body = EntryHistory),
        NotFound,
    ))]
pub(super) async fn history_api(
    State(s): State<CatalogState>,
    Path(EntryPath { catalog, code }): Path<EntryPath>,
) -> Result<Json<EntryHistory>, HttpError> {
    let history = s.catalogs.history(&catalog, &code).await?;
    Ok(Json(EntryHistory { history }))
}

/// Successor links and the units in force on as_of (default today) the code resolves to, transitively
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog}/entries/{code}/successors", tag = "catalogs",
    params(
        EntryPath,
        ("as_of" = Option<String>, Query, description = "date"),
    ),
    responses(
        (status = 200, description = "successors", body = SuccessorsView),
        BadRequest, NotFound,
    ))]
pub(super) async fn successors_api(
    State(s): State<CatalogState>,
    Path(EntryPath { catalog, code }): Path<EntryPath>,
    Query(q): Query<AsOf>,
) -> Result<Json<SuccessorsView>, HttpError> {
    let d = as_of(&q)?;
    let successors = s.catalogs.successors(&catalog, &code).await?;
    let resolved = s.catalogs.resolve(&catalog, &code, d).await?;
    Ok(Json(SuccessorsView {
        as_of: d.unwrap_or_else(|| s.catalogs.today()),
        code,
        successors,
        resolved,
    }))
}

/// The format of an import body: from its Content-Type, or sniffed when none or text/plain.
fn import_format(headers: &HeaderMap, body: &[u8]) -> Result<Format, Problem> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    match ct {
        None => Ok(Format::sniff(body)),
        Some(ct) if ct.trim_start().to_ascii_lowercase().starts_with("text/plain") => {
            Ok(Format::sniff(body))
        }
        Some(ct) => Format::from_content_type(ct).ok_or_else(|| {
            Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Kiểu nội dung không được hỗ trợ")
                .with_detail(format!(
                    "Gửi tệp CSV (text/csv) hoặc JSON (application/json), không phải “{ct}”."
                ))
        }),
    }
}

/// Import CSV (text/csv; header code,name,parent,valid_from,valid_to,<fields>) or JSON (application/json array); checked whole, all or nothing; audited
#[utoipa::path(post, path = "/api/v1/catalogs/{catalog}/import", tag = "catalogs",
    params(("catalog" = String, Path, description = "catalog code")),
    request_body(content(
        (String = "text/csv"),
        (Vec<EntryRequest> = "application/json"),
    )),
    responses(
        (status = 200, description = "import report", body = ImportReport),
        NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn import_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<ImportReport>, HttpError> {
    let format = import_format(&headers, &body)?;
    let report = s.catalogs.import(&admin.name, &rid, &catalog, &body, format).await?;
    Ok(Json(report))
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
}

/// Export every period of every entry, importable again
#[utoipa::path(get, path = "/api/v1/catalogs/{catalog}/export", tag = "catalogs",
    params(
        ("catalog" = String, Path, description = "catalog code"),
        ("format" = Option<String>, Query, description = "csv (default) or json"),
    ),
    responses(
        (status = 200, description = "file", content(
            (String = "text/csv"),
            (Vec<ExportRow> = "application/json"),
        )),
        BadRequest, NotFound,
    ))]
pub(super) async fn export_api(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, HttpError> {
    let asked = q.format.as_deref().unwrap_or("csv");
    let format = Format::parse(asked).ok_or_else(|| {
        Problem::bad_request(format!("Định dạng “{asked}” không hỗ trợ (csv, json).")).with_errors(
            vec![FieldError { field: "format".into(), message: "Chọn csv hoặc json.".into() }],
        )
    })?;
    let text = s.catalogs.export(&catalog, format).await?;
    let safe: String = catalog.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}.{}\"", format.extension()),
            ),
        ],
        text,
    )
        .into_response())
}

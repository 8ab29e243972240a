//! Catalog routes: the JSON API (`/api/v1/catalogs`), the LGSP catalog conventions
//! (`/dmdc/…`); the HTML pages are in `pages`. Reads are public (catalog data is public);
//! every write needs the administrator (`Admin`).

mod pages;

use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use cqdt_platform::{Admin, FieldError, Platform, Problem, RequestId};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::model::{parse_date, CatalogMeta};
use crate::service::{CatalogError, CatalogService, Format, Page, MAX_PAGE_SIZE};
use crate::store::EntryFilter;

/// State of the catalog routes.
#[derive(Clone)]
pub struct CatalogState {
    /// Platform core.
    pub platform: Platform,
    /// The catalogs.
    pub catalogs: CatalogService,
}

impl FromRef<CatalogState> for Platform {
    fn from_ref(s: &CatalogState) -> Platform {
        s.platform.clone()
    }
}

/// The catalog routes (API, LGSP conventions, public and admin pages), ready to merge.
pub fn router(state: CatalogState) -> Router {
    Router::new()
        .route("/api/v1/catalogs", get(list_api))
        .route("/api/v1/catalogs/{catalog}", get(meta_api))
        .route(
            "/api/v1/catalogs/{catalog}/entries",
            get(entries_api).post(create_api),
        )
        .route(
            "/api/v1/catalogs/{catalog}/entries/{code}",
            get(entry_api).put(update_api),
        )
        .route(
            "/api/v1/catalogs/{catalog}/entries/{code}/history",
            get(history_api),
        )
        .route(
            "/api/v1/catalogs/{catalog}/entries/{code}/successors",
            get(successors_api),
        )
        .route(
            "/api/v1/catalogs/{catalog}/entries/{code}/end",
            post(end_api),
        )
        .route("/api/v1/catalogs/{catalog}/import", post(import_api))
        .route("/api/v1/catalogs/{catalog}/export", get(export_api))
        .route("/dmdc/Metadata/{catalog}", get(lgsp_metadata))
        .route(
            "/dmdc/Category/{catalog}",
            get(lgsp_category).post(lgsp_post),
        )
        .merge(pages::routes())
        .with_state(state)
}

/// The problem+json answer to a service error.
fn problem(e: CatalogError) -> Problem {
    match e {
        CatalogError::NotFound(m) => Problem::not_found(format!("Không tìm thấy {m}.")),
        CatalogError::Invalid(errors) => {
            let detail = errors
                .iter()
                .take(5)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Dữ liệu không hợp lệ, không có gì được ghi",
            )
            .with_detail(detail)
            .with_errors(
                errors
                    .iter()
                    .map(|e| FieldError {
                        // A JSON pointer into the rows of a file, or the field of one entry.
                        field: match (e.row, e.field.is_empty()) {
                            (0, _) => e.field.clone(),
                            (row, true) => format!("/{row}"),
                            (row, false) => format!("/{row}/{}", e.field),
                        },
                        message: e.to_string(),
                    })
                    .collect(),
            )
        }
        CatalogError::Conflict(m) => {
            Problem::new(StatusCode::CONFLICT, "Xung đột dữ liệu").with_detail(m)
        }
        CatalogError::Db(e) => Problem::internal(e),
        CatalogError::Internal(m) => Problem::internal(m),
    }
}

/// Query of entry lists.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    parent: Option<String>,
    ancestor: Option<String>,
    level: Option<String>,
    q: Option<String>,
    as_of: Option<String>,
    code: Option<String>,
    roots: Option<String>,
    page: Option<String>,
    page_size: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn date_error(field: &str, s: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: format!("Ngày “{s}” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)."),
    }
}

/// The filter, page and page size of a list query, or what is wrong with it.
fn parse_list(
    q: &ListQuery,
    default_size: i64,
) -> Result<(EntryFilter, i64, i64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut int = |name: &str, v: &Option<String>, max: i64| -> Option<i64> {
        let s = nonempty(v)?;
        match s.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError {
                    field: name.into(),
                    message: format!("“{s}” phải là số nguyên từ 1 đến {max}."),
                });
                None
            }
        }
    };
    let level = int("level", &q.level, 10);
    let page = int("page", &q.page, 1_000_000).unwrap_or(1);
    let page_size = int("page_size", &q.page_size, MAX_PAGE_SIZE).unwrap_or(default_size);
    let as_of = match nonempty(&q.as_of) {
        None => None,
        Some(s) => match parse_date(&s) {
            Some(d) => Some(d),
            None => {
                errors.push(date_error("as_of", &s));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        EntryFilter {
            parent: nonempty(&q.parent),
            roots: q.roots.as_deref().is_some_and(|r| r == "true" || r == "1"),
            ancestor: nonempty(&q.ancestor),
            level,
            q: nonempty(&q.q),
            as_of,
            code: nonempty(&q.code),
        },
        page,
        page_size,
    ))
}

#[derive(Deserialize)]
struct AsOf {
    as_of: Option<String>,
}

fn as_of(q: &AsOf) -> Result<Option<NaiveDate>, Problem> {
    match nonempty(&q.as_of) {
        None => Ok(None),
        Some(s) => parse_date(&s).map(Some).ok_or_else(|| {
            Problem::bad_request("Ngày không hợp lệ.").with_errors(vec![date_error("as_of", &s)])
        }),
    }
}

/// A JSON object from a request body; anything else is a 400 or 415 problem.
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Problem> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        if Format::from_content_type(ct) != Some(Format::Json) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Kiểu nội dung không được hỗ trợ",
            )
            .with_detail(format!(
                "Gửi JSON với Content-Type: application/json (đã nhận “{ct}”)."
            )));
        }
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(Problem::bad_request("Nội dung phải là một đối tượng JSON.")),
        Err(e) => Err(Problem::bad_request(format!(
            "Nội dung không phải JSON hợp lệ: dòng {}, cột {}.",
            e.line(),
            e.column()
        ))),
    }
}

fn catalog_json(m: &CatalogMeta, entries: Option<i64>) -> Value {
    json!({"code": m.code, "name": m.name, "description": m.description, "source": m.source,
           "code_kind": m.code_kind, "fields": m.fields, "builtin": m.builtin, "entries": entries})
}

async fn list_api(State(s): State<CatalogState>) -> Result<Response, Problem> {
    let list = s.catalogs.catalogs().await.map_err(problem)?;
    Ok(Json(json!({"catalogs": list.iter().map(|(m, n)| catalog_json(m, Some(*n))).collect::<Vec<_>>()})).into_response())
}

async fn meta_api(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, Problem> {
    let m = s.catalogs.meta(&catalog).await.map_err(problem)?;
    Ok(Json(catalog_json(&m, None)).into_response())
}

async fn find(s: &CatalogState, catalog: &str, q: &ListQuery) -> Result<Page, Problem> {
    let (filter, page, size) = parse_list(q, 1000)
        .map_err(|e| Problem::bad_request("Điều kiện tra cứu không hợp lệ.").with_errors(e))?;
    s.catalogs
        .find(catalog, &filter, page, size)
        .await
        .map_err(problem)
}

async fn entries_api(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Problem> {
    Ok(Json(find(&s, &catalog, &q).await?).into_response())
}

async fn create_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let raw = json_object(&headers, &body)?;
    let e = s
        .catalogs
        .create(&admin.name, &rid, &catalog, &raw)
        .await
        .map_err(problem)?;
    let location = format!(
        "/api/v1/catalogs/{}/entries/{}",
        cqdt_platform::web::url_encode(&catalog),
        cqdt_platform::web::url_encode(&e.entry.code)
    );
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(e)).into_response())
}

async fn entry_api(
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, Problem> {
    let d = as_of(&q)?;
    Ok(Json(
        s.catalogs
            .entry(&catalog, &code, d)
            .await
            .map_err(problem)?,
    )
    .into_response())
}

async fn update_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let d = as_of(&q)?;
    let raw = json_object(&headers, &body)?;
    let e = s
        .catalogs
        .update(&admin.name, &rid, &catalog, &code, d, &raw)
        .await
        .map_err(problem)?;
    Ok(Json(e).into_response())
}

/// The end date and successors of an `end` request, or what is wrong with them.
fn end_request(raw: &Map<String, Value>) -> Result<(NaiveDate, Vec<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let valid_to = match raw.get("valid_to") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            let d = parse_date(s);
            if d.is_none() {
                errors.push(date_error("valid_to", s));
            }
            d
        }
        _ => {
            errors.push(FieldError {
                field: "valid_to".into(),
                message: "Nhập ngày hết hiệu lực (dd/mm/yyyy).".into(),
            });
            None
        }
    };
    let successors = match raw.get("successors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split([',', ';', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(_) => {
            errors.push(FieldError {
                field: "successors".into(),
                message: "Mã kế thừa phải là một danh sách mã.".into(),
            });
            Vec::new()
        }
    };
    match valid_to {
        Some(d) if errors.is_empty() => Ok((d, successors)),
        _ => Err(errors),
    }
}

async fn end_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let raw = json_object(&headers, &body)?;
    let (valid_to, successors) = end_request(&raw).map_err(|e| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ").with_errors(e)
    })?;
    let e = s
        .catalogs
        .end(&admin.name, &rid, &catalog, &code, valid_to, &successors)
        .await
        .map_err(problem)?;
    Ok(Json(e).into_response())
}

async fn history_api(
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
) -> Result<Response, Problem> {
    Ok(
        Json(json!({"history": s.catalogs.history(&catalog, &code).await.map_err(problem)?}))
            .into_response(),
    )
}

async fn successors_api(
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, Problem> {
    let d = as_of(&q)?;
    let successors = s
        .catalogs
        .successors(&catalog, &code)
        .await
        .map_err(problem)?;
    let resolved = s
        .catalogs
        .resolve(&catalog, &code, d)
        .await
        .map_err(problem)?;
    let day = d.unwrap_or_else(|| s.catalogs.today());
    Ok(
        Json(json!({"code": code, "as_of": day, "successors": successors, "resolved": resolved}))
            .into_response(),
    )
}

/// The format of an import body: from its Content-Type, or sniffed when none or text/plain.
fn import_format(headers: &HeaderMap, body: &[u8]) -> Result<Format, Problem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match ct {
        None => Ok(Format::sniff(body)),
        Some(ct)
            if ct
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("text/plain") =>
        {
            Ok(Format::sniff(body))
        }
        Some(ct) => Format::from_content_type(ct).ok_or_else(|| {
            Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Kiểu nội dung không được hỗ trợ",
            )
            .with_detail(format!(
                "Gửi tệp CSV (text/csv) hoặc JSON (application/json), không phải “{ct}”."
            ))
        }),
    }
}

async fn import_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let format = import_format(&headers, &body)?;
    let report = s
        .catalogs
        .import(&admin.name, &rid, &catalog, &body, format)
        .await
        .map_err(problem)?;
    Ok(Json(report).into_response())
}

#[derive(Deserialize)]
struct ExportQuery {
    format: Option<String>,
}

async fn export_api(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, Problem> {
    let asked = q.format.as_deref().unwrap_or("csv");
    let format = Format::parse(asked).ok_or_else(|| {
        Problem::bad_request(format!("Định dạng “{asked}” không hỗ trợ (csv, json).")).with_errors(
            vec![FieldError {
                field: "format".into(),
                message: "Chọn csv hoặc json.".into(),
            }],
        )
    })?;
    let text = s.catalogs.export(&catalog, format).await.map_err(problem)?;
    let safe: String = catalog
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
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

async fn lgsp_metadata(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, Problem> {
    let m = s.catalogs.meta(&catalog).await.map_err(problem)?;
    let mut fields = vec![
        json!({"name": "code", "label": "Mã", "type": "string", "required": true, "format": m.code_kind}),
        json!({"name": "name", "label": "Tên", "type": "string", "required": true}),
        json!({"name": "parent", "label": "Mã cấp trên", "type": "string", "required": false}),
        json!({"name": "valid_from", "label": "Hiệu lực từ ngày", "type": "date", "required": false}),
        json!({"name": "valid_to", "label": "Hết hiệu lực từ ngày", "type": "date", "required": false}),
        json!({"name": "sample", "label": "Dữ liệu mẫu", "type": "boolean", "required": false}),
    ];
    fields.extend(m.fields.iter().map(
        |f| json!({"name": f.name, "label": f.label, "type": f.kind, "required": f.required}),
    ));
    Ok(Json(json!({"success": true, "data": {"code": m.code, "name": m.name, "description": m.description, "source": m.source, "code_kind": m.code_kind, "fields": fields}})).into_response())
}

async fn lgsp_category(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, Problem> {
    let page = find(&s, &catalog, &q).await?;
    Ok(Json(json!({"success": true, "total": page.total, "page": page.page, "page_size": page.page_size, "data": page.entries})).into_response())
}

async fn lgsp_post(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    body: Bytes,
) -> Result<Response, Problem> {
    let report = s
        .catalogs
        .import(&admin.name, &rid, &catalog, &body, Format::Json)
        .await
        .map_err(problem)?;
    Ok(Json(json!({"success": true, "data": report})).into_response())
}

/// OpenAPI 3.1 path items of the catalog module.
pub fn openapi_paths() -> Value {
    let p = |name: &str| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
    let q = |name: &str, d: &str| json!({"name": name, "in": "query", "description": d, "schema": {"type": "string"}});
    let filters = json!([
        p("catalog"),
        q("parent", "direct children of this code"),
        q("ancestor", "all descendants of this code"),
        q("level", "level: data.level for administrative units (1 province, 2 district, 3 commune), else depth (1 = top)"),
        q("q", "name (diacritics ignored) or code prefix"),
        q("as_of", "only entries in force on this date (yyyy-mm-dd or dd/mm/yyyy); without it every period, each with its status"),
        q("code", "exactly this code"),
        q("roots", "true: only entries without parent"),
        q("page", "from 1"),
        q("page_size", "1 to 5000, default 1000")
    ]);
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let entry = json!({"type": "object", "properties": {
        "id": {"type": "integer"}, "code": {"type": "string"}, "name": {"type": "string"},
        "parent": {"type": ["string", "null"]}, "path": {"type": "string"}, "level": {"type": "integer"},
        "data": {"type": "object"}, "valid_from": {"type": ["string", "null"], "format": "date"},
        "valid_to": {"type": ["string", "null"], "format": "date"}, "sample": {"type": "boolean"},
        "status": {"type": "string", "enum": ["current", "retired", "future"]},
        "recorded_at": {"type": "string"}, "recorded_by": {"type": "string"},
        "superseded_at": {"type": ["string", "null"]}, "superseded_by": {"type": ["integer", "null"]}}});
    let ok = |d: &str, schema: Value| json!({"description": d, "content": {"application/json": {"schema": schema}}});
    let page = json!({"type": "object", "properties": {"entries": {"type": "array", "items": entry.clone()},
        "total": {"type": "integer"}, "page": {"type": "integer"}, "page_size": {"type": "integer"}}});
    let report = json!({"type": "object", "properties": {"rows": {"type": "integer"}, "created": {"type": "integer"},
        "updated": {"type": "integer"}, "unchanged": {"type": "integer"}}});
    let entry_body = json!({"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "parent": {"type": ["string", "null"]},
        "valid_from": {"type": ["string", "null"], "format": "date"}, "valid_to": {"type": ["string", "null"], "format": "date"},
        "sample": {"type": "boolean"}, "data": {"type": "object", "description": "the catalog's extra fields (or give them at the top level)"}}}}}});
    let basic = json!([{"basic": []}]);
    json!({
        "/api/v1/catalogs": {"get": {"summary": "Catalogs with entry counts", "tags": ["catalogs"], "responses": {"200": ok("catalogs", json!({"type": "object"}))}}},
        "/api/v1/catalogs/{catalog}": {"get": {"summary": "A catalog's metadata: fields with labels and types, code kind", "tags": ["catalogs"], "parameters": [p("catalog")], "responses": {"200": ok("metadata", json!({"type": "object"})), "404": problem}}},
        "/api/v1/catalogs/{catalog}/entries": {
            "get": {"summary": "Search entries", "tags": ["catalogs"], "parameters": filters, "responses": {"200": ok("a page of entries", page), "400": problem, "404": problem}},
            "post": {"summary": "Add an entry (audited)", "tags": ["catalogs"], "security": basic, "parameters": [p("catalog")], "requestBody": entry_body,
                "responses": {"201": ok("created", entry.clone()), "400": problem, "401": {"description": "administrator credentials needed"}, "404": problem, "409": problem, "415": problem, "422": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}": {
            "get": {"summary": "One code as of a date (default today): the version in force, else the last one before with the units it resolves to; its other periods, successors and predecessors", "tags": ["catalogs"],
                "parameters": [p("catalog"), p("code"), q("as_of", "date")], "responses": {"200": ok("entry", entry.clone()), "400": problem, "404": problem}},
            "put": {"summary": "Record a new version of an entry; fields left out keep their value; history kept; audited", "tags": ["catalogs"], "security": basic,
                "parameters": [p("catalog"), p("code"), q("as_of", "which period to change, when the code has several")], "requestBody": entry_body,
                "responses": {"200": ok("the new version", entry.clone()), "400": problem, "401": {"description": "administrator credentials needed"}, "404": problem, "409": problem, "415": problem, "422": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}/end": {"post": {"summary": "End an entry: it ceases on valid_to; optional successor codes are linked (audited)", "tags": ["catalogs"], "security": basic,
            "parameters": [p("catalog"), p("code")],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["valid_to"], "properties": {
                "valid_to": {"type": "string", "format": "date"}, "successors": {"type": "array", "items": {"type": "string"}}}}}}},
            "responses": {"200": ok("the ended version", entry.clone()), "400": problem, "401": {"description": "administrator credentials needed"}, "404": problem, "422": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}/history": {"get": {"summary": "Every recorded version, superseded ones included, oldest first", "tags": ["catalogs"], "parameters": [p("catalog"), p("code")], "responses": {"200": ok("history", json!({"type": "object", "properties": {"history": {"type": "array", "items": entry.clone()}}})), "404": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}/successors": {"get": {"summary": "Successor links and the units in force on as_of (default today) the code resolves to, transitively", "tags": ["catalogs"], "parameters": [p("catalog"), p("code"), q("as_of", "date")], "responses": {"200": ok("successors", json!({"type": "object", "properties": {"successors": {"type": "array"}, "resolved": {"type": "array", "items": entry}}})), "400": problem, "404": problem}}},
        "/api/v1/catalogs/{catalog}/import": {"post": {"summary": "Import CSV (text/csv; header code,name,parent,valid_from,valid_to,<fields>) or JSON (application/json array); checked whole, all or nothing; audited", "tags": ["catalogs"], "security": basic, "parameters": [p("catalog")],
            "requestBody": {"required": true, "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
            "responses": {"200": ok("import report", report.clone()), "401": {"description": "administrator credentials needed"}, "404": problem, "415": problem, "422": problem}}},
        "/api/v1/catalogs/{catalog}/export": {"get": {"summary": "Export every period of every entry, importable again", "tags": ["catalogs"], "parameters": [p("catalog"), q("format", "csv (default) or json")],
            "responses": {"200": {"description": "file", "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array"}}}}, "400": problem, "404": problem}}},
        "/dmdc/Metadata/{catalog}": {"get": {"summary": "LGSP convention: catalog metadata with typed fields", "tags": ["lgsp"], "parameters": [p("catalog")], "responses": {"200": ok("metadata", json!({"type": "object"})), "404": problem}}},
        "/dmdc/Category/{catalog}": {
            "get": {"summary": "LGSP convention: catalog entries (same filters as the entries API)", "tags": ["lgsp"], "parameters": filters, "responses": {"200": ok("entries", json!({"type": "object"})), "400": problem, "404": problem}},
            "post": {"summary": "LGSP convention: add or update entries (JSON array, all or nothing)", "tags": ["lgsp"], "security": basic, "parameters": [p("catalog")],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
                "responses": {"200": ok("import report", json!({"type": "object", "properties": {"success": {"type": "boolean"}, "data": report}})), "401": {"description": "administrator credentials needed"}, "404": problem, "422": problem}}}
    })
}

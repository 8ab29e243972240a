//! Catalog routes: the JSON API, the LGSP catalog conventions (`/dmdc/…`), public browse
//! pages and admin pages to edit and import.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRef, Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, PageError, Platform, Problem, RequestId, Shell};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::model::{parse_date, CatalogMeta, FieldType, RowError, Validity};
use crate::service::{CatalogError, CatalogService, EntryDetail, EntryView, Format, Page};
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

/// The catalog routes, ready to merge into the app.
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
            "/api/v1/catalogs/{catalog}/import",
            axum::routing::post(import_api),
        )
        .route("/api/v1/catalogs/{catalog}/export", get(export_api))
        .route("/dmdc/Metadata/{catalog}", get(lgsp_metadata))
        .route(
            "/dmdc/Category/{catalog}",
            get(lgsp_category).post(lgsp_post),
        )
        .route("/danh-muc", get(catalogs_page))
        .route("/danh-muc/{catalog}", get(browse_page))
        .route("/danh-muc/{catalog}/{code}", get(entry_page))
        .route(
            "/admin/catalogs",
            get(|| async { Redirect::to("/danh-muc") }),
        )
        .route(
            "/admin/catalogs/{catalog}/new",
            get(new_form).post(new_submit),
        )
        .route(
            "/admin/catalogs/{catalog}/entries/{code}/edit",
            get(edit_form).post(edit_submit),
        )
        .route(
            "/admin/catalogs/{catalog}/import",
            get(import_form).post(import_submit),
        )
        .with_state(state)
}

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
                        field: if e.row > 0 {
                            format!("/{}/{}", e.row, e.field)
                        } else {
                            e.field.clone()
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
    }
}

fn page_error(e: CatalogError) -> PageError {
    match e {
        CatalogError::NotFound(_) => PageError::NotFound,
        CatalogError::Invalid(errors) => PageError::BadRequest(
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
        CatalogError::Conflict(m) => PageError::BadRequest(m),
        CatalogError::Db(e) => PageError::internal(e),
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
    let page_size = int("page_size", &q.page_size, 20_000).unwrap_or(default_size);
    let as_of = match nonempty(&q.as_of) {
        None => None,
        Some(s) => match parse_date(&s) {
            Some(d) => Some(d),
            None => {
                errors.push(FieldError {
                    field: "as_of".into(),
                    message: format!("Ngày “{s}” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)."),
                });
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
            Problem::bad_request("Ngày không hợp lệ.").with_errors(vec![FieldError {
                field: "as_of".into(),
                message: format!("Ngày “{s}” không hợp lệ."),
            }])
        }),
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

fn body_object(v: Value) -> Result<Map<String, Value>, Problem> {
    match v {
        Value::Object(o) => Ok(o),
        _ => Err(Problem::bad_request("Nội dung phải là một đối tượng JSON.")),
    }
}

async fn create_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Json(body): Json<Value>,
) -> Result<Response, Problem> {
    let raw = body_object(body)?;
    let e = s
        .catalogs
        .create(&admin.name, &rid, &catalog, &raw)
        .await
        .map_err(problem)?;
    Ok((StatusCode::CREATED, Json(e)).into_response())
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
    Json(body): Json<Value>,
) -> Result<Response, Problem> {
    let d = as_of(&q)?;
    let raw = body_object(body)?;
    let e = s
        .catalogs
        .update(&admin.name, &rid, &catalog, &code, d, &raw)
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
    let detail = s
        .catalogs
        .entry(&catalog, &code, None)
        .await
        .map_err(problem)?;
    let resolved = s
        .catalogs
        .resolve(&catalog, &code, d)
        .await
        .map_err(problem)?;
    Ok(
        Json(json!({"code": code, "successors": detail.successors, "resolved": resolved}))
            .into_response(),
    )
}

fn format_of(headers: &HeaderMap) -> Format {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.contains("json") {
        Format::Json
    } else {
        Format::Csv
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
    let report = s
        .catalogs
        .import(&admin.name, &rid, &catalog, &body, format_of(&headers))
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
    let (format, ct, ext) = match q.format.as_deref().unwrap_or("csv") {
        "csv" => (Format::Csv, "text/csv; charset=utf-8", "csv"),
        "json" => (Format::Json, "application/json", "json"),
        other => {
            return Err(Problem::bad_request(format!(
                "Định dạng “{other}” không hỗ trợ (csv, json)."
            )))
        }
    };
    let text = s.catalogs.export(&catalog, format).await.map_err(problem)?;
    let safe: String = catalog
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, ct.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}.{ext}\""),
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
    ];
    fields.extend(m.fields.iter().map(
        |f| json!({"name": f.name, "label": f.label, "type": f.kind, "required": f.required}),
    ));
    Ok(Json(json!({"success": true, "data": {"code": m.code, "name": m.name, "description": m.description, "source": m.source, "fields": fields}})).into_response())
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

// ---- pages ----

struct CatalogRow {
    code: String,
    name: String,
    description: String,
    entries: i64,
}

#[derive(Template)]
#[template(path = "catalogs.html")]
struct CatalogsPage {
    shell: Shell,
    catalogs: Vec<CatalogRow>,
}

async fn catalogs_page(State(s): State<CatalogState>) -> Result<Response, PageError> {
    let list = s.catalogs.catalogs().await.map_err(page_error)?;
    Ok(render(&CatalogsPage {
        shell: (*s.platform.shell).clone(),
        catalogs: list
            .into_iter()
            .map(|(m, n)| CatalogRow {
                code: m.code,
                name: m.name,
                description: m.description,
                entries: n,
            })
            .collect(),
    }))
}

struct EntryRow {
    code: String,
    name: String,
    parent: String,
    valid_from: String,
    valid_to: String,
    status: &'static str,
    status_class: &'static str,
    sample: bool,
}

fn vn(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn status(v: Validity) -> (&'static str, &'static str) {
    match v {
        Validity::Current => ("Đang hiệu lực", "current"),
        Validity::Retired => ("Hết hiệu lực", "retired"),
        Validity::Future => ("Chưa hiệu lực", "future"),
    }
}

fn row(e: &EntryView) -> EntryRow {
    let (label, class) = status(e.status);
    EntryRow {
        code: e.entry.code.clone(),
        name: e.entry.name.clone(),
        parent: e.entry.parent.clone().unwrap_or_default(),
        valid_from: vn(e.entry.valid_from),
        valid_to: vn(e.entry.valid_to),
        status: label,
        status_class: class,
        sample: e.entry.sample,
    }
}

#[derive(Template)]
#[template(path = "browse.html")]
struct BrowsePage {
    shell: Shell,
    meta: CatalogMeta,
    errors: Vec<FieldError>,
    q: String,
    parent: String,
    as_of: String,
    rows: Vec<EntryRow>,
    total: i64,
    page: i64,
    pages: i64,
    link: String,
}

async fn browse_page(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let (errors, page) = match parse_list(&q, 50) {
        Ok((mut filter, page, _)) => {
            if filter.parent.is_none()
                && filter.q.is_none()
                && filter.ancestor.is_none()
                && filter.code.is_none()
            {
                filter.roots = true;
            }
            (
                Vec::new(),
                Some(
                    s.catalogs
                        .find(&catalog, &filter, page, 50)
                        .await
                        .map_err(page_error)?,
                ),
            )
        }
        Err(e) => (e, None),
    };
    let (rows, total, pg) = match &page {
        Some(p) => (p.entries.iter().map(row).collect(), p.total, p.page),
        None => (Vec::new(), 0, 1),
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let link = [
        ("q", text(&q.q)),
        ("parent", text(&q.parent)),
        ("as_of", text(&q.as_of)),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}&", url_encode(v)))
    .collect();
    Ok(render(&BrowsePage {
        shell: (*s.platform.shell).clone(),
        meta,
        errors,
        q: text(&q.q),
        parent: text(&q.parent),
        as_of: text(&q.as_of),
        rows,
        total,
        page: pg,
        pages: (total + 49) / 50,
        link,
    }))
}

#[derive(Template)]
#[template(path = "entry.html")]
struct EntryPage {
    shell: Shell,
    meta: CatalogMeta,
    e: EntryRow,
    data: Vec<(String, String)>,
    children: i64,
    detail: EntryDetail,
    resolved: Vec<EntryRow>,
    history: Vec<EntryRow>,
    history_recorded: Vec<(String, String, String)>,
}

async fn entry_page(
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Query(q): Query<AsOf>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let d = nonempty(&q.as_of).and_then(|s| parse_date(&s));
    let detail = s
        .catalogs
        .entry(&catalog, &code, d)
        .await
        .map_err(page_error)?;
    let history = s
        .catalogs
        .history(&catalog, &code)
        .await
        .map_err(page_error)?;
    let children = s
        .catalogs
        .find(
            &catalog,
            &EntryFilter {
                parent: Some(code.clone()),
                ..EntryFilter::default()
            },
            1,
            1,
        )
        .await
        .map_err(page_error)?
        .total;
    let data = meta
        .fields
        .iter()
        .filter_map(|f| {
            detail.entry.entry.data.get(&f.name).map(|v| {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Bool(true) => "Có".into(),
                    Value::Bool(false) => "Không".into(),
                    other => other.to_string(),
                };
                (f.label.clone(), text)
            })
        })
        .collect();
    Ok(render(&EntryPage {
        shell: (*s.platform.shell).clone(),
        e: row(&detail.entry),
        data,
        children,
        resolved: detail.resolved.iter().map(row).collect(),
        history_recorded: history
            .iter()
            .map(|h| {
                (
                    cqdt_platform::clock::parse_ts(&h.entry.recorded_at)
                        .map(cqdt_platform::clock::format_ts_vn)
                        .unwrap_or_else(|| h.entry.recorded_at.clone()),
                    h.entry.recorded_by.clone(),
                    h.entry.name.clone(),
                )
            })
            .collect(),
        history: history.iter().map(row).collect(),
        detail,
        meta,
    }))
}

/// One input of the entry form.
struct FormField {
    name: String,
    label: String,
    hint: String,
    value: String,
    error: String,
}

#[derive(Template)]
#[template(path = "entry_form.html")]
struct EntryFormPage {
    shell: Shell,
    meta: CatalogMeta,
    title: String,
    action: String,
    errors: Vec<FieldError>,
    fields: Vec<FormField>,
}

fn form_fields(
    meta: &CatalogMeta,
    new: bool,
    values: &Map<String, Value>,
    errors: &[FieldError],
) -> Vec<FormField> {
    let mut defs: Vec<(String, String, String)> = Vec::new();
    if new {
        defs.push((
            "code".into(),
            "Mã".into(),
            match meta.code_kind {
                crate::model::CodeKind::Agency => "Dạng 000.00.00.H51 (QĐ 20/2020/QĐ-TTg)".into(),
                crate::model::CodeKind::Gso => "Mã Tổng cục Thống kê: 2, 3 hoặc 5 chữ số".into(),
                _ => String::new(),
            },
        ));
    }
    defs.push(("name".into(), "Tên".into(), String::new()));
    defs.push((
        "parent".into(),
        "Mã cấp trên".into(),
        "Để trống nếu không có".into(),
    ));
    defs.push((
        "valid_from".into(),
        "Hiệu lực từ ngày".into(),
        "dd/mm/yyyy; để trống nếu đã có từ trước".into(),
    ));
    defs.push((
        "valid_to".into(),
        "Hết hiệu lực từ ngày".into(),
        "dd/mm/yyyy; để trống nếu còn hiệu lực".into(),
    ));
    for f in &meta.fields {
        let hint = match f.kind {
            FieldType::Date => "dd/mm/yyyy",
            FieldType::Integer => "Số nguyên",
            FieldType::Boolean => "true hoặc false",
            FieldType::String => "",
        };
        defs.push((
            f.name.clone(),
            format!(
                "{}{}",
                f.label,
                if f.required {
                    ""
                } else {
                    " (không bắt buộc)"
                }
            ),
            hint.into(),
        ));
    }
    defs.into_iter()
        .map(|(name, label, hint)| FormField {
            value: match values.get(&name) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Null) | None => String::new(),
                Some(v) => v.to_string(),
            },
            error: errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| e.message.clone())
                .unwrap_or_default(),
            name,
            label,
            hint,
        })
        .collect()
}

fn field_errors(errors: &[RowError]) -> Vec<FieldError> {
    errors
        .iter()
        .map(|e| FieldError {
            field: if e.field.is_empty() {
                "name".into()
            } else {
                e.field.clone()
            },
            message: e.to_string(),
        })
        .collect()
}

async fn new_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    Ok(render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        title: format!("Thêm mục vào danh mục {}", meta.name),
        action: format!("/admin/catalogs/{}/new", meta.code),
        fields: form_fields(&meta, true, &Map::new(), &[]),
        errors: Vec::new(),
        meta,
    }))
}

fn form_to_raw(form: Vec<(String, String)>) -> Map<String, Value> {
    form.into_iter()
        .filter(|(k, _)| k != "_csrf")
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

async fn new_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let raw = form_to_raw(form);
    let errors = match s.catalogs.create(&admin.name, &rid, &catalog, &raw).await {
        Ok(e) => {
            return Ok(Redirect::to(&format!(
                "/danh-muc/{}/{}",
                url_encode(&catalog),
                url_encode(&e.entry.code)
            ))
            .into_response())
        }
        Err(CatalogError::Invalid(e)) => field_errors(&e),
        Err(CatalogError::Conflict(m)) => vec![FieldError {
            field: "code".into(),
            message: m,
        }],
        Err(e) => return Err(page_error(e)),
    };
    let page = render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        title: format!("Thêm mục vào danh mục {}", meta.name),
        action: format!("/admin/catalogs/{}/new", meta.code),
        fields: form_fields(&meta, true, &raw, &errors),
        errors,
        meta,
    });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

async fn edit_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let detail = s
        .catalogs
        .entry(&catalog, &code, None)
        .await
        .map_err(page_error)?;
    let e = &detail.entry.entry;
    let mut values = e.data.clone();
    values.insert("name".into(), json!(e.name));
    values.insert("parent".into(), json!(e.parent.clone().unwrap_or_default()));
    values.insert("valid_from".into(), json!(vn(e.valid_from)));
    values.insert("valid_to".into(), json!(vn(e.valid_to)));
    Ok(render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        title: format!("Sửa {} – {}", e.code, e.name),
        action: format!(
            "/admin/catalogs/{}/entries/{}/edit",
            url_encode(&catalog),
            url_encode(&code)
        ),
        fields: form_fields(&meta, false, &values, &[]),
        errors: Vec::new(),
        meta,
    }))
}

async fn edit_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path((catalog, code)): Path<(String, String)>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let raw = form_to_raw(form);
    let errors = match s
        .catalogs
        .update(&admin.name, &rid, &catalog, &code, None, &raw)
        .await
    {
        Ok(_) => {
            return Ok(Redirect::to(&format!(
                "/danh-muc/{}/{}",
                url_encode(&catalog),
                url_encode(&code)
            ))
            .into_response())
        }
        Err(CatalogError::Invalid(e)) => field_errors(&e),
        Err(CatalogError::Conflict(m)) => vec![FieldError {
            field: "valid_from".into(),
            message: m,
        }],
        Err(e) => return Err(page_error(e)),
    };
    let page = render(&EntryFormPage {
        shell: (*s.platform.shell).clone(),
        title: format!("Sửa {code}"),
        action: format!(
            "/admin/catalogs/{}/entries/{}/edit",
            url_encode(&catalog),
            url_encode(&code)
        ),
        fields: form_fields(&meta, false, &raw, &errors),
        errors,
        meta,
    });
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    shell: Shell,
    meta: CatalogMeta,
    errors: Vec<FieldError>,
    done: Option<crate::service::ImportReport>,
}

async fn import_form(
    _admin: Admin,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    Ok(render(&ImportPage {
        shell: (*s.platform.shell).clone(),
        meta,
        errors: Vec::new(),
        done: None,
    }))
}

async fn import_submit(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let meta = s.catalogs.meta(&catalog).await.map_err(page_error)?;
    let mut file: Option<(String, Bytes)> = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("").to_ascii_lowercase();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| PageError::BadRequest("Không đọc được tệp tải lên.".into()))?;
            file = Some((name, bytes));
        }
    }
    let (errors, done, status) = match file.filter(|(_, b)| !b.is_empty()) {
        None => (
            vec![FieldError {
                field: "file".into(),
                message: "Chọn một tệp CSV hoặc JSON để nhập.".into(),
            }],
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Some((name, bytes)) => {
            let format = if name.ends_with(".json") {
                Format::Json
            } else {
                Format::Csv
            };
            match s
                .catalogs
                .import(&admin.name, &rid, &catalog, &bytes, format)
                .await
            {
                Ok(r) => (Vec::new(), Some(r), StatusCode::OK),
                Err(CatalogError::Invalid(e)) => (
                    e.iter()
                        .map(|e| FieldError {
                            field: "file".into(),
                            message: e.to_string(),
                        })
                        .collect(),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                Err(e) => return Err(page_error(e)),
            }
        }
    };
    Ok((
        status,
        render(&ImportPage {
            shell: (*s.platform.shell).clone(),
            meta,
            errors,
            done,
        }),
    )
        .into_response())
}

/// OpenAPI paths of the catalog module.
pub fn openapi_paths() -> Value {
    let p = |name: &str| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
    let q = |name: &str, d: &str| json!({"name": name, "in": "query", "description": d, "schema": {"type": "string"}});
    let filters = json!([
        p("catalog"),
        q("parent", "direct children of this code"),
        q("ancestor", "all descendants of this code"),
        q("level", "depth in the hierarchy, 1 = top"),
        q("q", "name (diacritics ignored) or code prefix"),
        q("as_of", "only entries in force on this date"),
        q("code", "exactly this code"),
        q("roots", "true: only entries without parent"),
        q("page", "from 1"),
        q("page_size", "up to 20000")
    ]);
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let entry_body = json!({"content": {"application/json": {"schema": {"type": "object", "properties": {
        "code": {"type": "string"}, "name": {"type": "string"}, "parent": {"type": "string"}, "valid_from": {"type": "string", "format": "date"},
        "valid_to": {"type": "string", "format": "date"}, "data": {"type": "object"}}}}}});
    json!({
        "/api/v1/catalogs": {"get": {"summary": "Catalogs with entry counts", "tags": ["catalogs"], "responses": {"200": {"description": "catalogs"}}}},
        "/api/v1/catalogs/{catalog}": {"get": {"summary": "A catalog's metadata", "tags": ["catalogs"], "parameters": [p("catalog")], "responses": {"200": {"description": "metadata"}, "404": problem}}},
        "/api/v1/catalogs/{catalog}/entries": {
            "get": {"summary": "Search entries", "tags": ["catalogs"], "parameters": filters, "responses": {"200": {"description": "a page of entries"}, "400": problem, "404": problem}},
            "post": {"summary": "Add an entry (audited)", "tags": ["catalogs"], "security": [{"basic": []}], "parameters": [p("catalog")], "requestBody": entry_body,
                "responses": {"201": {"description": "created"}, "409": problem, "422": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}": {
            "get": {"summary": "One code as of a date, with its other periods, successors and the units it resolves to", "tags": ["catalogs"],
                "parameters": [p("catalog"), p("code"), q("as_of", "date")], "responses": {"200": {"description": "entry"}, "404": problem}},
            "put": {"summary": "Record a new version of an entry (history kept, audited)", "tags": ["catalogs"], "security": [{"basic": []}],
                "parameters": [p("catalog"), p("code"), q("as_of", "which period to change")], "requestBody": entry_body,
                "responses": {"200": {"description": "new version"}, "409": problem, "422": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}/history": {"get": {"summary": "Every recorded version", "tags": ["catalogs"], "parameters": [p("catalog"), p("code")], "responses": {"200": {"description": "history"}, "404": problem}}},
        "/api/v1/catalogs/{catalog}/entries/{code}/successors": {"get": {"summary": "Successor links and the units in force they resolve to", "tags": ["catalogs"], "parameters": [p("catalog"), p("code"), q("as_of", "date")], "responses": {"200": {"description": "successors"}, "404": problem}}},
        "/api/v1/catalogs/{catalog}/import": {"post": {"summary": "Import CSV (text/csv) or JSON (application/json), all or nothing", "tags": ["catalogs"], "security": [{"basic": []}], "parameters": [p("catalog")],
            "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
            "responses": {"200": {"description": "import report"}, "422": problem}}},
        "/api/v1/catalogs/{catalog}/export": {"get": {"summary": "Export entries", "tags": ["catalogs"], "parameters": [p("catalog"), q("format", "csv or json")], "responses": {"200": {"description": "file"}}}},
        "/dmdc/Metadata/{catalog}": {"get": {"summary": "LGSP: catalog metadata", "tags": ["lgsp"], "parameters": [p("catalog")], "responses": {"200": {"description": "metadata"}, "404": problem}}},
        "/dmdc/Category/{catalog}": {
            "get": {"summary": "LGSP: catalog entries", "tags": ["lgsp"], "parameters": filters, "responses": {"200": {"description": "entries"}, "404": problem}},
            "post": {"summary": "LGSP: add or update entries (JSON array, all or nothing)", "tags": ["lgsp"], "security": [{"basic": []}], "parameters": [p("catalog")],
                "requestBody": {"content": {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}},
                "responses": {"200": {"description": "import report"}, "422": problem}}}
    })
}

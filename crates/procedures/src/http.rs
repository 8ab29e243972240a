//! Routes: the portal's procedure pages (`/dich-vu-cong`, `/thu-tuc`), the JSON API
//! (`/api/v1/procedures`) and the administrators' pages (`/admin/procedures`).

use std::collections::HashMap;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{FromRef, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cqdt_platform::web::render;
use cqdt_platform::xlsx::MEDIA_TYPE as XLSX;
use cqdt_platform::{Admin, FieldError, PageError, Platform, Problem, Shell};
use serde_json::{json, Value};

mod editor;

use crate::error::ProcedureError;
use crate::model::{vnd, Level, OnlineLevel, Procedure, Status};
use crate::search::Filters;
use crate::service::{Entry, ProcedureService};

/// State of the procedure routes.
#[derive(Clone)]
pub struct ProcedureState {
    /// Platform core.
    pub platform: Platform,
    /// The catalog.
    pub procedures: ProcedureService,
}

impl FromRef<ProcedureState> for Platform {
    fn from_ref(s: &ProcedureState) -> Platform {
        s.platform.clone()
    }
}

/// The routes, ready to merge into the app.
pub fn router(state: ProcedureState) -> Router {
    Router::new()
        .route("/dich-vu-cong", get(portal_home))
        .route("/thu-tuc", get(search_page))
        .route("/thu-tuc/{code}", get(procedure_page))
        .route("/api/v1/procedures", get(api_search).post(api_create))
        .route("/api/v1/procedures/export", get(api_export))
        .route("/api/v1/procedures/import", post(api_import))
        .route("/api/v1/procedures/{code}", get(api_get).put(api_update))
        .route("/api/v1/procedures/{code}/history", get(api_history))
        .route("/api/v1/procedures/{code}/publish", post(api_publish))
        .route("/api/v1/procedures/{code}/retire", post(api_retire))
        .route("/admin/procedures", get(admin_list))
        .route(
            "/admin/procedures/import",
            get(admin_import_form).post(admin_import),
        )
        .route("/admin/procedures/moi", get(admin_new).post(admin_create))
        .route(
            "/admin/procedures/{code}/sua",
            get(admin_edit).post(admin_save),
        )
        .route("/admin/procedures/{code}/lich-su", get(admin_history))
        .route(
            "/admin/procedures/{code}/lich-su/{version}/khoi-phuc",
            post(admin_restore),
        )
        .route("/admin/procedures/{code}/status", post(admin_status))
        .with_state(state)
}

fn problem(e: ProcedureError) -> Response {
    match e {
        ProcedureError::Invalid(errors) => {
            let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Thủ tục không hợp lệ")
                .with_detail("Xem danh sách lỗi theo từng trường.");
            p.errors = errors;
            p.into_response()
        }
        ProcedureError::NotFound(c) => {
            Problem::not_found(format!("Không có thủ tục {c}.")).into_response()
        }
        ProcedureError::Conflict(m) => Problem::new(StatusCode::CONFLICT, "Xung đột")
            .with_detail(m)
            .into_response(),
        other => Problem::internal(other).into_response(),
    }
}

fn filters(q: &HashMap<String, String>) -> Filters {
    let nonempty = |k: &str| {
        q.get(k)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Filters {
        field: nonempty("linh_vuc"),
        level: nonempty("cap").and_then(|l| Level::parse(&l)),
        online: nonempty("muc_do").and_then(|o| OnlineLevel::parse(&o)),
        agency_kind: nonempty("co_quan"),
    }
}

/// A procedure as lists show it.
fn summary(p: &Procedure) -> Value {
    json!({
        "code": p.code, "national_code": p.national_code, "name": p.name,
        "field": p.field, "levels": p.levels, "online_level": p.online_level,
        "processing_time": p.processing_time, "sample": p.sample,
    })
}

async fn api_search(
    State(s): State<ProcedureState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 200);
    let text = q.get("q").map(String::as_str).unwrap_or("");
    let hits = s.procedures.search(text, &filters(&q), limit);
    Json(json!({"total": hits.len(), "items": hits.iter().map(|p| summary(p)).collect::<Vec<_>>()}))
        .into_response()
}

async fn api_get(State(s): State<ProcedureState>, Path(code): Path<String>) -> Response {
    match s.procedures.get(&code).await {
        Ok(Some(e)) => Json(e).into_response(),
        Ok(None) => problem(ProcedureError::NotFound(code)),
        Err(e) => problem(e),
    }
}

async fn api_history(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
) -> Response {
    match s.procedures.history(&code).await {
        Ok(v) if !v.is_empty() => Json(v).into_response(),
        Ok(_) => problem(ProcedureError::NotFound(code)),
        Err(e) => problem(e),
    }
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Box<Response>> {
    body.map(|Json(v)| v).map_err(|e| {
        Box::new(
            Problem::bad_request(format!("Nội dung JSON không đọc được: {}", e.body_text()))
                .into_response(),
        )
    })
}

async fn api_create(
    State(s): State<ProcedureState>,
    a: Admin,
    body: Result<Json<Procedure>, JsonRejection>,
) -> Response {
    let p = match json_body(body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match s.procedures.create(&a.name, &p, Status::Draft).await {
        Ok(e) => (StatusCode::CREATED, Json(e)).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_update(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Json<Procedure>, JsonRejection>,
) -> Response {
    // `If-Match: "3"` (the version read) makes the update refuse a lost update with 409.
    let expected = match headers.get(header::IF_MATCH).map(|v| {
        v.to_str()
            .ok()
            .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
            .and_then(|t| t.parse::<i64>().ok())
    }) {
        None => None,
        Some(Some(v)) => Some(v),
        Some(None) => {
            return Problem::bad_request("If-Match phải là số phiên bản, ví dụ \"3\".")
                .into_response()
        }
    };
    let p = match json_body(body) {
        Ok(p) => p,
        Err(r) => return *r,
    };
    match s.procedures.update(&a.name, &code, &p, expected).await {
        Ok(e) => Json(e).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_publish(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
) -> Response {
    match s
        .procedures
        .set_status(&a.name, &code, Status::Published)
        .await
    {
        Ok(e) => Json(e).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_retire(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
) -> Response {
    match s
        .procedures
        .set_status(&a.name, &code, Status::Retired)
        .await
    {
        Ok(e) => Json(e).into_response(),
        Err(e) => problem(e),
    }
}

async fn api_export(
    State(s): State<ProcedureState>,
    _a: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match q.get("format").map(String::as_str) {
        None | Some("json") => match s.procedures.export().await {
            Ok(v) => Json(v).into_response(),
            Err(e) => problem(e),
        },
        Some("xlsx") => match s.procedures.export_xlsx().await {
            Ok(bytes) => (
                [
                    (header::CONTENT_TYPE, XLSX),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"thu-tuc-hanh-chinh.xlsx\"",
                    ),
                ],
                bytes,
            )
                .into_response(),
            Err(e) => problem(e),
        },
        Some(other) => Problem::bad_request(format!(
            "Định dạng “{other}” không có; dùng format=json hoặc format=xlsx."
        ))
        .into_response(),
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

/// Imports a JSON array of procedures, or a workbook when the body is declared as XLSX.
async fn api_import(
    State(s): State<ProcedureState>,
    a: Admin,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) => {
            return Problem::new(e.status(), "Không đọc được nội dung gửi lên")
                .with_detail(e.body_text())
                .into_response()
        }
    };
    let publish = q.get("publish").is_some_and(|v| v == "true");
    let kind = media_type(&headers);
    let result = if kind == XLSX {
        s.procedures.import_xlsx(&a.name, &body, publish).await
    } else if kind == "application/json" || kind.ends_with("+json") {
        let items = match json_body(Json::<Vec<Procedure>>::from_bytes(&body)) {
            Ok(p) => p,
            Err(r) => return *r,
        };
        s.procedures.import(&a.name, &items, publish).await
    } else {
        return Problem::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Định dạng không hỗ trợ")
            .with_detail(format!(
                "Gửi danh sách thủ tục dạng JSON (application/json) hoặc bảng tính ({XLSX})."
            ))
            .into_response();
    };
    match result {
        Ok(n) => Json(json!({"imported": n})).into_response(),
        Err(e) => problem(e),
    }
}

// ---- portal pages ----

/// A procedure as the portal's lists show it.
struct Card {
    code: String,
    name: String,
    field: String,
    levels: String,
    time: String,
    online: &'static str,
    full_online: bool,
}

fn card(p: &Procedure) -> Card {
    Card {
        code: p.code.clone(),
        name: p.name.clone(),
        field: p.field.name.clone(),
        levels: p
            .levels
            .iter()
            .map(|l| l.label())
            .collect::<Vec<_>>()
            .join(", "),
        time: p.time_text(),
        online: p.online_level.label(),
        full_online: p.online_level == OnlineLevel::Full,
    }
}

#[derive(Template)]
#[template(path = "portal_home.html")]
struct HomeTpl {
    shell: Shell,
    popular: Vec<Card>,
    fields: Vec<(String, String, usize)>,
    agencies: Vec<(String, usize)>,
    total: usize,
}

async fn portal_home(State(s): State<ProcedureState>) -> Response {
    render(&HomeTpl {
        shell: (*s.platform.shell).clone(),
        popular: s.procedures.popular(12).iter().map(|p| card(p)).collect(),
        fields: s
            .procedures
            .fields()
            .into_iter()
            .map(|(f, n)| (f.code, f.name, n))
            .collect(),
        agencies: s.procedures.agency_kinds(),
        total: s.procedures.published_count(),
    })
}

#[derive(Template)]
#[template(path = "procedure_search.html")]
struct SearchTpl {
    shell: Shell,
    q: String,
    field: String,
    level: String,
    online: String,
    agency: String,
    results: Vec<Card>,
    fields: Vec<(String, String, usize)>,
    searched: bool,
}

async fn search_page(
    State(s): State<ProcedureState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let text = q.get("q").cloned().unwrap_or_default();
    let f = filters(&q);
    let searched = !text.trim().is_empty()
        || f.field.is_some()
        || f.level.is_some()
        || f.online.is_some()
        || f.agency_kind.is_some();
    let results = if searched {
        s.procedures
            .search(&text, &f, 100)
            .iter()
            .map(|p| card(p))
            .collect()
    } else {
        Vec::new()
    };
    render(&SearchTpl {
        shell: (*s.platform.shell).clone(),
        q: text,
        field: f.field.clone().unwrap_or_default(),
        level: f.level.map(|l| l.as_str().to_string()).unwrap_or_default(),
        online: f.online.map(|o| o.as_str().to_string()).unwrap_or_default(),
        agency: f.agency_kind.clone().unwrap_or_default(),
        results,
        fields: s
            .procedures
            .fields()
            .into_iter()
            .map(|(f, n)| (f.code, f.name, n))
            .collect(),
        searched,
    })
}

#[derive(Template)]
#[template(path = "procedure.html")]
struct ProcedureTpl {
    shell: Shell,
    p: Procedure,
    status: Status,
    levels: String,
    time: String,
    fees: Vec<(String, String, String)>,
}

async fn procedure_page(State(s): State<ProcedureState>, Path(code): Path<String>) -> Response {
    let shell = &s.platform.shell;
    match s.procedures.get(&code).await {
        Ok(Some(Entry {
            procedure, status, ..
        })) if status != Status::Draft => render(&ProcedureTpl {
            shell: (**shell).clone(),
            levels: procedure
                .levels
                .iter()
                .map(|l| l.label())
                .collect::<Vec<_>>()
                .join(", "),
            time: procedure.time_text(),
            fees: procedure
                .fees
                .iter()
                .map(|f| {
                    (
                        f.name.clone(),
                        vnd(f.amount_vnd),
                        f.exempt.clone().unwrap_or_default(),
                    )
                })
                .collect(),
            p: procedure,
            status,
        }),
        Ok(_) => PageError::NotFound.with_shell(shell),
        Err(e) => PageError::internal(e).with_shell(shell),
    }
}

// ---- admin pages ----

#[derive(Template)]
#[template(path = "admin_procedures.html")]
struct AdminListTpl {
    shell: Shell,
    notice: String,
    entries: Vec<Entry>,
}

async fn admin_list(
    State(s): State<ProcedureState>,
    _a: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let status = q.get("trang_thai").and_then(|v| Status::parse(v));
    match s.procedures.list(status).await {
        Ok(entries) => render(&AdminListTpl {
            shell: (**shell).clone(),
            notice: match q.get("done").map(String::as_str) {
                Some("imported") => "Đã nhập danh sách thủ tục.".into(),
                Some("status") => "Đã cập nhật trạng thái thủ tục.".into(),
                _ => String::new(),
            },
            entries,
        }),
        Err(e) => PageError::internal(e).with_shell(shell),
    }
}

#[derive(Template)]
#[template(path = "admin_procedure_import.html")]
struct ImportTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    text: String,
    publish: bool,
    json_error: bool,
    file_error: bool,
}

fn import_page(
    s: &ProcedureState,
    errors: Vec<FieldError>,
    text: String,
    publish: bool,
) -> Response {
    render(&ImportTpl {
        shell: (*s.platform.shell).clone(),
        json_error: errors.iter().any(|e| e.field == "json"),
        file_error: errors.iter().any(|e| e.field == "file"),
        errors,
        text,
        publish,
    })
}

async fn admin_import_form(State(s): State<ProcedureState>, _a: Admin) -> Response {
    import_page(&s, Vec::new(), String::new(), false)
}

/// What the import page sent: the pasted JSON, an uploaded file, the publish choice.
#[derive(Default)]
struct ImportForm {
    text: String,
    file: Vec<u8>,
    publish: bool,
}

async fn import_form(s: &ProcedureState, req: Request) -> Result<ImportForm, PageError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let unreadable =
        || PageError::BadRequest("Không đọc được biểu mẫu (tệp quá lớn hoặc bị gián đoạn).".into());
    let mut form = ImportForm::default();
    if !multipart {
        // The form without a file, as browsers without the upload field send it.
        let Form(f) = Form::<HashMap<String, String>>::from_request(req, s)
            .await
            .map_err(|_| unreadable())?;
        form.text = f.get("json").cloned().unwrap_or_default();
        form.publish = f.get("publish").is_some_and(|v| v == "true");
        return Ok(form);
    }
    let mut m = Multipart::from_request(req, s)
        .await
        .map_err(|_| unreadable())?;
    while let Some(field) = m.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or("").to_string();
        let bytes = field.bytes().await.map_err(|_| unreadable())?;
        match name.as_str() {
            "json" => form.text = String::from_utf8_lossy(&bytes).into_owned(),
            "publish" => form.publish = &bytes[..] == b"true",
            "file" => form.file = bytes.to_vec(),
            _ => {}
        }
    }
    Ok(form)
}

async fn admin_import(State(s): State<ProcedureState>, a: Admin, req: Request) -> Response {
    let form = match import_form(&s, req).await {
        Ok(f) => f,
        Err(e) => return e.with_shell(&s.platform.shell),
    };
    let ImportForm {
        mut text,
        file,
        publish,
    } = form;
    let file_error = |message: &str| {
        Err(ProcedureError::Invalid(vec![FieldError {
            field: "file".into(),
            message: message.into(),
        }]))
    };
    // The file decides by its content, not its name: a workbook is a ZIP container.
    let result = if file.starts_with(b"PK\x03\x04") {
        s.procedures.import_xlsx(&a.name, &file, publish).await
    } else if !file.is_empty() && file.trim_ascii_start().starts_with(b"[") {
        match String::from_utf8(file) {
            Ok(t) => {
                text = t;
                import_json(&s, &a, &text, publish).await
            }
            Err(_) => file_error("Tệp JSON phải được mã hoá UTF-8."),
        }
    } else if !file.is_empty() {
        file_error("Tệp phải là bảng tính Excel (.xlsx) hoặc danh sách thủ tục JSON.")
    } else if text.trim().is_empty() {
        file_error("Chọn một tệp Excel (.xlsx) hoặc JSON, hoặc dán danh sách thủ tục JSON.")
    } else {
        import_json(&s, &a, &text, publish).await
    };
    match result {
        Ok(_) => Redirect::to("/admin/procedures?done=imported").into_response(),
        Err(ProcedureError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| match e.field.as_str() {
                    "json" | "file" => e,
                    // Workbook errors name their sheet and row in the message already.
                    f if f.starts_with('\'') => FieldError {
                        field: "file".into(),
                        message: e.message,
                    },
                    f => FieldError {
                        field: "json".into(),
                        message: format!("{f}: {}", e.message),
                    },
                })
                .collect();
            let mut res = import_page(&s, errors, text, publish);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            res
        }
        Err(e) => PageError::internal(e).with_shell(&s.platform.shell),
    }
}

async fn import_json(
    s: &ProcedureState,
    a: &Admin,
    text: &str,
    publish: bool,
) -> Result<usize, ProcedureError> {
    match serde_json::from_str::<Vec<Procedure>>(text) {
        Ok(items) => s.procedures.import(&a.name, &items, publish).await,
        Err(e) => Err(ProcedureError::Invalid(vec![FieldError {
            field: "json".into(),
            message: format!(
                "Nội dung không phải danh sách thủ tục JSON hợp lệ (dòng {}, cột {}): {e}",
                e.line(),
                e.column()
            ),
        }])),
    }
}

async fn admin_status(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let Some(status) = f.get("status").and_then(|v| Status::parse(v)) else {
        return PageError::BadRequest("Trạng thái không hợp lệ.".into())
            .with_shell(&s.platform.shell);
    };
    match s.procedures.set_status(&a.name, &code, status).await {
        Ok(_) => Redirect::to("/admin/procedures?done=status").into_response(),
        Err(ProcedureError::Conflict(m)) => PageError::BadRequest(m).with_shell(&s.platform.shell),
        Err(ProcedureError::NotFound(_)) => PageError::NotFound.with_shell(&s.platform.shell),
        Err(e) => PageError::internal(e).with_shell(&s.platform.shell),
    }
}

#[derive(Template)]
#[template(path = "admin_procedure_edit.html")]
struct EditTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    notice: String,
    is_new: bool,
    readonly: bool,
    code: String,
    action: String,
    status_label: &'static str,
    version: String,
    process_shape: String,
    process_key: String,
    sections: Vec<editor::Section>,
    groups: Vec<editor::Group>,
}

/// Renders the editor for a form as typed (or as stored), with its errors.
fn editor_page(
    s: &ProcedureState,
    form: &editor::EditorForm,
    errors: Vec<FieldError>,
    existing: Option<&Entry>,
    notice: &str,
) -> Response {
    let (sections, groups) = form.view(&errors, existing.is_none());
    let code = existing
        .map(|e| e.procedure.code.clone())
        .unwrap_or_default();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(&EditTpl {
        shell: (*s.platform.shell).clone(),
        errors,
        notice: notice.into(),
        is_new: existing.is_none(),
        readonly: existing.is_some_and(|e| e.status == Status::Retired),
        action: if existing.is_none() {
            "/admin/procedures/moi".into()
        } else {
            format!("/admin/procedures/{code}/sua")
        },
        code,
        status_label: existing.map(|e| e.status.label()).unwrap_or(""),
        version: form.version.clone(),
        process_shape: form.process_shape.clone(),
        process_key: form.process_key.clone(),
        sections,
        groups,
    });
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    res
}

async fn admin_new(State(s): State<ProcedureState>, _a: Admin) -> Response {
    editor_page(&s, &editor::EditorForm::blank(), Vec::new(), None, "")
}

/// What the editor's post asks for: a blank row added to a list, or the form saved.
fn posted(pairs: &[(String, String)]) -> (editor::EditorForm, Option<String>) {
    let form = editor::EditorForm::from_pairs(pairs);
    let add = pairs
        .iter()
        .find(|(k, _)| k == "them")
        .map(|(_, v)| v.clone());
    (form, add)
}

async fn admin_create(
    State(s): State<ProcedureState>,
    a: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let (mut form, add) = posted(&pairs);
    if let Some(list) = add {
        form.pad();
        form.add_row(&list);
        return editor_page(&s, &form, Vec::new(), None, "");
    }
    let result = match form.to_procedure() {
        Ok(p) => s.procedures.create(&a.name, &p, Status::Draft).await,
        Err(errors) => Err(ProcedureError::Invalid(errors)),
    };
    match result {
        Ok(e) => Redirect::to(&format!(
            "/admin/procedures/{}/sua?done=created",
            e.procedure.code
        ))
        .into_response(),
        Err(ProcedureError::Invalid(errors)) => {
            form.pad();
            editor_page(&s, &form, errors, None, "")
        }
        Err(ProcedureError::Conflict(m)) => {
            form.pad();
            let errors = vec![FieldError {
                field: "code".into(),
                message: m,
            }];
            editor_page(&s, &form, errors, None, "")
        }
        Err(e) => PageError::internal(e).with_shell(&s.platform.shell),
    }
}

async fn load_entry(s: &ProcedureState, code: &str) -> Result<Entry, Response> {
    match s.procedures.get(code).await {
        Ok(Some(e)) => Ok(e),
        Ok(None) => Err(PageError::NotFound.with_shell(&s.platform.shell)),
        Err(e) => Err(PageError::internal(e).with_shell(&s.platform.shell)),
    }
}

async fn admin_edit(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let entry = match load_entry(&s, &code).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let notice = match q.get("done").map(String::as_str) {
        Some("created") => "Đã tạo dự thảo thủ tục. Công bố ở danh mục khi sẵn sàng.",
        Some("saved") => "Đã lưu phiên bản mới.",
        _ => "",
    };
    let form = editor::EditorForm::from_procedure(&entry.procedure, entry.version);
    editor_page(&s, &form, Vec::new(), Some(&entry), notice)
}

async fn admin_save(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let entry = match load_entry(&s, &code).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let (mut form, add) = posted(&pairs);
    // The code is not editable; what the page shows is what is saved.
    form.code = code.clone();
    if let Some(list) = add {
        form.pad();
        form.add_row(&list);
        return editor_page(&s, &form, Vec::new(), Some(&entry), "");
    }
    let result = match form.to_procedure() {
        Ok(p) => {
            s.procedures
                .update(&a.name, &code, &p, form.expected_version())
                .await
        }
        Err(errors) => Err(ProcedureError::Invalid(errors)),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/procedures/{code}/sua?done=saved")).into_response(),
        Err(ProcedureError::Invalid(errors)) => {
            form.pad();
            editor_page(&s, &form, errors, Some(&entry), "")
        }
        Err(ProcedureError::Conflict(m)) => {
            form.pad();
            let errors = vec![FieldError {
                field: "name".into(),
                message: m,
            }];
            let mut res = editor_page(&s, &form, errors, Some(&entry), "");
            *res.status_mut() = StatusCode::CONFLICT;
            res
        }
        Err(ProcedureError::NotFound(_)) => PageError::NotFound.with_shell(&s.platform.shell),
        Err(e) => PageError::internal(e).with_shell(&s.platform.shell),
    }
}

/// A version as the history page shows it.
struct HistoryRow {
    version: crate::store::Version,
    status: Status,
    action: &'static str,
    version_changes: Vec<crate::model::Change>,
    restorable: bool,
}

#[derive(Template)]
#[template(path = "admin_procedure_history.html")]
struct HistoryTpl {
    shell: Shell,
    notice: String,
    code: String,
    name: String,
    current: i64,
    entries: Vec<HistoryRow>,
}

async fn admin_history(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let entry = match load_entry(&s, &code).await {
        Ok(e) => e,
        Err(r) => return r,
    };
    let history = match s.procedures.changes(&code).await {
        Ok(h) => h,
        Err(e) => return PageError::internal(e).with_shell(&s.platform.shell),
    };
    let entries = history
        .into_iter()
        .map(|h| {
            // Nothing to restore from a version with the content in force.
            let same = serde_json::from_str::<Procedure>(&h.version.doc)
                .is_ok_and(|p| p == entry.procedure);
            HistoryRow {
                action: match h.version.action.as_str() {
                    "create" => "tạo",
                    "update" => "sửa",
                    "publish" => "công bố",
                    "retire" => "bãi bỏ",
                    "import" => "nhập từ tệp",
                    _ => "thay đổi",
                },
                restorable: entry.status != Status::Retired && !same,
                status: h.status,
                version_changes: h.changes,
                version: h.version,
            }
        })
        .collect();
    render(&HistoryTpl {
        shell: (*s.platform.shell).clone(),
        notice: match q.get("done").map(String::as_str) {
            Some("restored") => "Đã khôi phục: nội dung cũ được ghi thành phiên bản mới.".into(),
            _ => String::new(),
        },
        code,
        name: entry.procedure.name,
        current: entry.version,
        entries,
    })
}

async fn admin_restore(
    State(s): State<ProcedureState>,
    a: Admin,
    Path((code, version)): Path<(String, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let expected = f.get("version").and_then(|v| v.parse::<i64>().ok());
    match s
        .procedures
        .restore(&a.name, &code, version, expected)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/admin/procedures/{code}/lich-su?done=restored")).into_response()
        }
        Err(ProcedureError::Conflict(m)) => PageError::BadRequest(m).with_shell(&s.platform.shell),
        Err(ProcedureError::Invalid(_)) => PageError::BadRequest(
            "Phiên bản này không còn qua được các kiểm tra hiện hành; hãy sửa thủ tục trực tiếp."
                .into(),
        )
        .with_shell(&s.platform.shell),
        Err(ProcedureError::NotFound(_)) => PageError::NotFound.with_shell(&s.platform.shell),
        Err(e) => PageError::internal(e).with_shell(&s.platform.shell),
    }
}

/// The OpenAPI paths of the procedure API.
pub fn openapi_paths() -> Value {
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let code =
        json!([{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}]);
    json!({
        "/api/v1/procedures": {
            "get": {"summary": "Search published procedures (diacritics-insensitive, tolerant of small typos)", "tags": ["procedures"],
                "parameters": [
                    {"name": "q", "in": "query", "schema": {"type": "string"}},
                    {"name": "linh_vuc", "in": "query", "description": "field code", "schema": {"type": "string"}},
                    {"name": "cap", "in": "query", "schema": {"type": "string", "enum": ["tinh", "huyen", "xa"]}},
                    {"name": "muc_do", "in": "query", "schema": {"type": "string", "enum": ["full", "partial"]}},
                    {"name": "co_quan", "in": "query", "description": "implementing agency kind", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
                "responses": {"200": {"description": "{total, items}"}}},
            "post": {"summary": "Create a procedure as a draft (audited)", "tags": ["procedures"], "security": [{"basic": []}],
                "responses": {"201": {"description": "the procedure"}, "409": problem, "422": problem}}},
        "/api/v1/procedures/{code}": {
            "get": {"summary": "One procedure with its status and version", "tags": ["procedures"], "parameters": code,
                "responses": {"200": {"description": "procedure"}, "404": problem}},
            "put": {"summary": "Replace a procedure's content (audited, versioned)", "tags": ["procedures"], "parameters": code,
                "security": [{"basic": []}], "responses": {"200": {"description": "procedure"}, "404": problem, "422": problem}}},
        "/api/v1/procedures/{code}/history": {"get": {"summary": "Versions of a procedure", "tags": ["procedures"], "parameters": code,
            "security": [{"basic": []}], "responses": {"200": {"description": "versions, newest first"}, "404": problem}}},
        "/api/v1/procedures/{code}/publish": {"post": {"summary": "Publish a draft", "tags": ["procedures"], "parameters": code,
            "security": [{"basic": []}], "responses": {"200": {"description": "procedure"}, "409": problem}}},
        "/api/v1/procedures/{code}/retire": {"post": {"summary": "Retire a procedure (no new dossiers)", "tags": ["procedures"], "parameters": code,
            "security": [{"basic": []}], "responses": {"200": {"description": "procedure"}, "409": problem}}},
        "/api/v1/procedures/export": {"get": {"summary": "Every procedure not retired, as a JSON array (the import format) or, with ?format=xlsx, a workbook", "tags": ["procedures"],
            "parameters": [{"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "xlsx"], "default": "json"}}],
            "security": [{"basic": []}], "responses": {"200": {"description": "procedures",
                "content": {"application/json": {}, XLSX: {}}}, "400": problem}}},
        "/api/v1/procedures/import": {"post": {"summary": "Import procedures, all or nothing: a JSON array, or a workbook as exported (errors name sheet, row and column); ?publish=true publishes them", "tags": ["procedures"],
            "requestBody": {"required": true, "content": {"application/json": {}, XLSX: {}}},
            "security": [{"basic": []}], "responses": {"200": {"description": "{imported}"}, "415": problem, "422": problem}}}
    })
}

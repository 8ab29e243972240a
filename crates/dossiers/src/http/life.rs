//! Routes of a dossier's life after submission: the applicant's dossier page with the
//! supplement answer, result download, rating and withdrawal (`/ho-so-cua-toi/{code}/…`),
//! the same for the API (`/api/v1/dossiers/{code}/…`), and the officials' API
//! (`/api/v1/office/dossiers…`) through which the one-stop back office moves dossiers on.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use chrono::NaiveDate;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Principal, Problem, Shell};
use serde_json::{json, Value};

use super::{page_error, problem, read_multipart, DossierState};
use crate::error::DossierError;
use crate::model::{rating_label, DossierStatus, SupplementItem, SupplementRequest};
use crate::service::{DossierView, OfficeAction, Upload};

/// The routes of this file, merged by the module's router.
pub(super) fn routes() -> Router<DossierState> {
    Router::new()
        .route("/ho-so-cua-toi/{code}", get(my_dossier))
        .route("/ho-so-cua-toi/{code}/bo-sung", post(supply_page))
        .route("/ho-so-cua-toi/{code}/rut", post(withdraw_page))
        .route("/ho-so-cua-toi/{code}/danh-gia", post(rate_page))
        .route("/ho-so-cua-toi/{code}/ket-qua/{seq}", get(result_download))
        .route("/api/v1/dossiers/{code}/supplement", post(api_supply))
        .route("/api/v1/dossiers/{code}/withdraw", post(api_withdraw))
        .route("/api/v1/dossiers/{code}/rating", post(api_rate))
        .route(
            "/api/v1/dossiers/{code}/results/{seq}",
            get(result_download),
        )
        .route("/api/v1/office/dossiers", get(office_queue))
        .route("/api/v1/office/dossiers/{code}", get(office_get))
        .route("/api/v1/office/dossiers/{code}/result", post(office_result))
        .route(
            "/api/v1/office/dossiers/{code}/result/draft",
            get(office_result_draft),
        )
        .route(
            "/api/v1/office/dossiers/{code}/result/generated",
            post(office_result_generated),
        )
        .route("/api/v1/office/dossiers/{code}/{action}", post(office_act))
}

#[derive(Template)]
#[template(path = "dossier.html")]
struct DossierTpl {
    shell: Shell,
    notice: String,
    errors: Vec<FieldError>,
    code: String,
    due: String,
    open_request: Option<SupplementRequest>,
    /// File inputs for the open request: (input name, label).
    supply_inputs: Vec<(String, String)>,
    can_rate: bool,
    can_withdraw: bool,
    scores: Vec<(i64, &'static str)>,
    rating_text: String,
    view: DossierView,
}

impl DossierTpl {
    fn errors_on(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

fn dossier_page(
    s: &DossierState,
    view: DossierView,
    notice: &str,
    errors: Vec<FieldError>,
) -> Response {
    let open_request = view
        .supplements
        .iter()
        .rev()
        .find(|r| r.answered_at.is_none())
        .filter(|_| view.dossier.status == DossierStatus::Supplement)
        .cloned();
    let mut supply_inputs: Vec<(String, String)> = Vec::new();
    if let Some(r) = &open_request {
        for i in &r.items {
            if let Some(c) = i.component.filter(|c| *c >= 0) {
                let name = format!("file_{c}");
                if !supply_inputs.iter().any(|(n, _)| *n == name) {
                    supply_inputs.push((name, format!("Tệp bổ sung: {}", i.text)));
                }
            }
        }
        supply_inputs.push(("file_khac".into(), "Tệp bổ sung khác".into()));
    }
    let status = view.dossier.status;
    let page = DossierTpl {
        shell: (*s.platform.shell).clone(),
        notice: notice.to_string(),
        code: view.dossier.code.clone().unwrap_or_default(),
        due: view
            .dossier
            .due_date
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default(),
        open_request,
        supply_inputs,
        can_rate: view.rating.is_none()
            && matches!(status, DossierStatus::Returned | DossierStatus::Refused),
        can_withdraw: matches!(
            status,
            DossierStatus::Submitted
                | DossierStatus::Received
                | DossierStatus::Supplement
                | DossierStatus::Processing
        ),
        scores: (1..=5).rev().map(|n| (n, rating_label(n))).collect(),
        rating_text: view
            .rating
            .as_ref()
            .map(|r| rating_label(r.score).to_string())
            .unwrap_or_default(),
        errors,
        view,
    };
    if page.errors.is_empty() {
        render(&page)
    } else {
        let mut res = render(&page);
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        res
    }
}

async fn my_dossier(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let notice = if q.contains_key("da-nop") {
        "Đã nộp hồ sơ. Thư xác nhận đã được gửi tới ông/bà."
    } else if q.contains_key("da-bo-sung") {
        "Đã gửi phần bổ sung. Hồ sơ tiếp tục được giải quyết."
    } else if q.contains_key("da-rut") {
        "Đã rút hồ sơ."
    } else if q.contains_key("da-danh-gia") {
        "Cảm ơn ông/bà đã đánh giá."
    } else {
        ""
    };
    match s.dossiers.view_for(&p.account_id, &code).await {
        Ok(view) => dossier_page(&s, view, notice, Vec::new()),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

/// Shows the dossier page again with the errors of a refused action, or the error page.
async fn refused(s: &DossierState, p: &Principal, code: &str, e: DossierError) -> Response {
    let errors = match e {
        DossierError::Invalid(errors) => errors,
        DossierError::Conflict(m) => vec![FieldError {
            field: "main".into(),
            message: m,
        }],
        other => return page_error(other, &s.platform.shell),
    };
    match s.dossiers.view_for(&p.account_id, code).await {
        Ok(view) => dossier_page(s, view, "", errors),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

async fn supply_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Multipart,
) -> Response {
    let (control, _, uploads) = match read_multipart(m).await {
        Ok(parts) => parts,
        Err(message) => {
            return refused(
                &s,
                &p,
                &code,
                DossierError::Invalid(vec![FieldError {
                    field: "files".into(),
                    message,
                }]),
            )
            .await
        }
    };
    let note = control.get("note").map(String::as_str).unwrap_or("");
    match s
        .dossiers
        .supply(&p.account_id, &p.actor, &code, &uploads, note)
        .await
    {
        Ok(_) => Redirect::to(&format!("/ho-so-cua-toi/{code}?da-bo-sung=1")).into_response(),
        Err(e) => refused(&s, &p, &code, e).await,
    }
}

#[derive(serde::Deserialize)]
struct WithdrawForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

async fn withdraw_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Form(f): Form<WithdrawForm>,
) -> Response {
    if f.confirm != "1" {
        let e = DossierError::Invalid(vec![FieldError {
            field: "confirm".into(),
            message: "Hãy đánh dấu xác nhận trước khi rút hồ sơ.".into(),
        }]);
        return refused(&s, &p, &code, e).await;
    }
    match s
        .dossiers
        .withdraw(&p.account_id, &p.actor, &code, &f.reason)
        .await
    {
        Ok(_) => Redirect::to(&format!("/ho-so-cua-toi/{code}?da-rut=1")).into_response(),
        Err(e) => refused(&s, &p, &code, e).await,
    }
}

#[derive(serde::Deserialize)]
struct RateForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

async fn rate_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Form(f): Form<RateForm>,
) -> Response {
    match s
        .dossiers
        .rate(&p.account_id, &p.actor, &code, &f.score, &f.comment)
        .await
    {
        Ok(_) => Redirect::to(&format!("/ho-so-cua-toi/{code}?da-danh-gia=1")).into_response(),
        Err(e) => refused(&s, &p, &code, e).await,
    }
}

async fn result_download(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, seq)): Path<(String, String)>,
) -> Response {
    let Ok(seq) = seq.parse::<i64>() else {
        return problem(DossierError::NotFound(code));
    };
    match s.dossiers.result_file(&p.account_id, &code, seq).await {
        Ok((doc, bytes)) => {
            // RFC 6266/5987: the UTF-8 name for browsers, an ASCII one for the rest.
            let ascii: String = cqdt_platform::web::fold(&doc.file_name)
                .chars()
                .map(|c| {
                    if c.is_ascii_graphic() && c != '"' && c != '\\' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let encoded: String = doc
                .file_name
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            let disposition =
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
            let mut res = bytes.into_response();
            let h = res.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&doc.media_type) {
                h.insert(header::CONTENT_TYPE, v);
            }
            if let Ok(v) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            res
        }
        Err(e) => problem(e),
    }
}

// ---- Applicant API ----

async fn api_supply(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Multipart,
) -> Response {
    let (control, _, uploads) = match read_multipart(m).await {
        Ok(parts) => parts,
        Err(message) => return Problem::bad_request(message).into_response(),
    };
    let note = control.get("note").map(String::as_str).unwrap_or("");
    match s
        .dossiers
        .supply(&p.account_id, &p.actor, &code, &uploads, note)
        .await
    {
        Ok(d) => {
            Json(json!({"code": d.code, "status": d.status, "status_label": d.status.label()}))
                .into_response()
        }
        Err(e) => problem(e),
    }
}

fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, String> {
    body.map(|Json(b)| b)
        .map_err(|e| format!("Nội dung JSON không đọc được: {}", e.body_text()))
}

#[derive(serde::Deserialize)]
struct WithdrawBody {
    #[serde(default)]
    reason: String,
}

async fn api_withdraw(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    body: Result<Json<WithdrawBody>, JsonRejection>,
) -> Response {
    let b = match json_body(body) {
        Ok(b) => b,
        Err(m) => return Problem::bad_request(m).into_response(),
    };
    match s
        .dossiers
        .withdraw(&p.account_id, &p.actor, &code, &b.reason)
        .await
    {
        Ok(d) => {
            Json(json!({"code": d.code, "status": d.status, "status_label": d.status.label()}))
                .into_response()
        }
        Err(e) => problem(e),
    }
}

#[derive(serde::Deserialize)]
struct RateBody {
    score: Value,
    #[serde(default)]
    comment: String,
}

async fn api_rate(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    body: Result<Json<RateBody>, JsonRejection>,
) -> Response {
    let b = match json_body(body) {
        Ok(b) => b,
        Err(m) => return Problem::bad_request(m).into_response(),
    };
    let score = match b.score {
        Value::String(s) => s,
        other => other.to_string(),
    };
    match s
        .dossiers
        .rate(&p.account_id, &p.actor, &code, &score, &b.comment)
        .await
    {
        Ok(r) => (StatusCode::CREATED, Json(json!({"score": r.score, "label": rating_label(r.score), "comment": r.comment, "rated_at": r.rated_at})))
            .into_response(),
        Err(e) => problem(e),
    }
}

// ---- Officials' API ----

async fn office_queue(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let status = match q.get("status").map(String::as_str).unwrap_or("submitted") {
        "draft" => return Problem::bad_request("Hồ sơ nháp không thuộc hàng chờ.").into_response(),
        other => match DossierStatus::parse(other) {
            Some(st) => st,
            None => {
                return Problem::bad_request(format!("Tình trạng “{other}” không có."))
                    .into_response()
            }
        },
    };
    match s.dossiers.queue(&p, status).await {
        Ok(v) => Json(json!({"dossiers": v})).into_response(),
        Err(e) => problem(e),
    }
}

async fn office_get(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Response {
    match s.dossiers.view_for_official(&p, &code).await {
        Ok(v) => Json(v).into_response(),
        Err(e) => problem(e),
    }
}

#[derive(serde::Deserialize, Default)]
struct ActBody {
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    items: Vec<SupplementItem>,
    #[serde(default)]
    note: String,
    #[serde(default)]
    reasons: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    new_due_date: String,
}

async fn office_act(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    // Actions without data (processing, return) may come with no body at all.
    let b: ActBody = if body.iter().all(u8::is_ascii_whitespace) {
        ActBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return Problem::bad_request(format!("Nội dung JSON không hợp lệ: {e}"))
                    .into_response()
            }
        }
    };
    let action = match action.as_str() {
        "receive" => {
            match b
                .due_date
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
            {
                None => OfficeAction::Receive { due_date: None },
                Some(due) => match NaiveDate::parse_from_str(due, "%Y-%m-%d") {
                    Ok(d) => OfficeAction::Receive { due_date: Some(d) },
                    Err(_) => {
                        return problem(DossierError::Invalid(vec![FieldError {
                            field: "due_date".into(),
                            message: "Ngày hẹn trả kết quả phải có dạng YYYY-MM-DD.".into(),
                        }]))
                    }
                },
            }
        }
        "supplement-request" => OfficeAction::RequestSupplement {
            items: b.items,
            note: b.note,
        },
        "processing" => OfficeAction::StartProcessing,
        "return" => OfficeAction::Return,
        "refuse" => OfficeAction::Refuse { reasons: b.reasons },
        "apologise" => match NaiveDate::parse_from_str(b.new_due_date.trim(), "%Y-%m-%d") {
            Ok(new_due) => OfficeAction::Apologise {
                reason: b.reason,
                new_due,
            },
            Err(_) => {
                return problem(DossierError::Invalid(vec![FieldError {
                    field: "new_due_date".into(),
                    message: "Ngày hẹn mới phải có dạng YYYY-MM-DD.".into(),
                }]))
            }
        },
        other => {
            return Problem::not_found(format!("Không có thao tác “{other}”.")).into_response()
        }
    };
    match s.dossiers.act(&p, &code, action).await {
        Ok(d) => Json(json!({"code": d.code, "status": d.status, "status_label": d.status.label(), "due_date": d.due_date}))
            .into_response(),
        Err(e) => problem(e),
    }
}

async fn office_result(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Multipart,
) -> Response {
    let (control, _, mut uploads) = match read_multipart(m).await {
        Ok(parts) => parts,
        Err(message) => return Problem::bad_request(message).into_response(),
    };
    let Some(upload) = uploads.pop().filter(|_| uploads.is_empty()) else {
        return problem(DossierError::Invalid(vec![FieldError {
            field: "file".into(),
            message: "Cần đính kèm đúng một tệp kết quả (trường file_0).".into(),
        }]));
    };
    let upload = Upload {
        component: 0,
        ..upload
    };
    let note = control.get("note").map(String::as_str).unwrap_or("");
    let online = matches!(
        control.get("online").map(String::as_str),
        Some("true" | "1")
    );
    match s
        .dossiers
        .add_result(&p, &code, &upload, note, online)
        .await
    {
        Ok(d) => {
            Json(json!({"code": d.code, "status": d.status, "status_label": d.status.label()}))
                .into_response()
        }
        Err(e) => problem(e),
    }
}

async fn office_result_draft(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Response {
    match s.dossiers.result_draft(&p, &code).await {
        Ok((_, draft)) => Json(draft).into_response(),
        Err(e) => problem(e),
    }
}

/// A generated result: the draft's fields to replace (the rest as the template fills them),
/// and whether to preview it or return it online.
#[derive(serde::Deserialize)]
struct GeneratedBody {
    number: Option<String>,
    title: Option<String>,
    body: Option<String>,
    signer_title: Option<String>,
    signer_name: Option<String>,
    #[serde(default)]
    online: bool,
    #[serde(default)]
    preview: bool,
}

async fn office_result_generated(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    body: Result<Json<GeneratedBody>, JsonRejection>,
) -> Response {
    let b = match json_body(body) {
        Ok(b) => b,
        Err(m) => return Problem::bad_request(m).into_response(),
    };
    let mut draft = match s.dossiers.result_draft(&p, &code).await {
        Ok((_, d)) => d,
        Err(e) => return problem(e),
    };
    for (field, value) in [
        (&mut draft.number, b.number),
        (&mut draft.title, b.title),
        (&mut draft.body, b.body),
        (&mut draft.signer_title, b.signer_title),
        (&mut draft.signer_name, b.signer_name),
    ] {
        if let Some(v) = value {
            *field = v;
        }
    }
    if b.preview {
        return match s.dossiers.result_preview(&p, &code, &draft).await {
            Ok(pdf) => ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response(),
            Err(e) => problem(e),
        };
    }
    match s
        .dossiers
        .generate_result(&p, &code, &draft, b.online)
        .await
    {
        Ok(d) => {
            Json(json!({"code": d.code, "status": d.status, "status_label": d.status.label()}))
                .into_response()
        }
        Err(e) => problem(e),
    }
}

/// The OpenAPI paths of this file's routes.
pub(super) fn openapi_paths() -> Value {
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let code =
        json!([{"name": "code", "in": "path", "required": true, "schema": {"type": "string"}}]);
    let code_seq = json!([
        {"name": "code", "in": "path", "required": true, "schema": {"type": "string"}},
        {"name": "seq", "in": "path", "required": true, "schema": {"type": "integer"}}
    ]);
    let multipart = |props: Value| json!({"content": {"multipart/form-data": {"schema": {"type": "object", "properties": props}}}});
    let body = |props: Value| json!({"content": {"application/json": {"schema": {"type": "object", "properties": props}}}});
    let changed = json!({"200": {"description": "{code, status, status_label}"}, "401": problem, "403": problem, "404": problem, "409": problem, "422": problem});
    json!({
        "/api/v1/dossiers/{code}/supplement": {"post": {"summary": "Answer the open supplement request with files (file_N per component, file_khac) and a note", "tags": ["dossiers"],
            "parameters": code, "requestBody": multipart(json!({"note": {"type": "string"}, "file_khac": {"type": "string", "format": "binary"}})), "responses": changed}},
        "/api/v1/dossiers/{code}/withdraw": {"post": {"summary": "Withdraw a dossier not yet decided", "tags": ["dossiers"],
            "parameters": code, "requestBody": body(json!({"reason": {"type": "string"}})), "responses": changed}},
        "/api/v1/dossiers/{code}/rating": {"post": {"summary": "Rate the service of a finished dossier (1–5), once", "tags": ["dossiers"],
            "parameters": code, "requestBody": body(json!({"score": {"type": "integer", "minimum": 1, "maximum": 5}, "comment": {"type": "string"}})),
            "responses": {"201": {"description": "the rating"}, "404": problem, "409": problem, "422": problem}}},
        "/api/v1/dossiers/{code}/results/{seq}": {"get": {"summary": "Download a result document", "tags": ["dossiers"],
            "parameters": code_seq, "responses": {"200": {"description": "the file"}, "404": problem}}},
        "/api/v1/office/dossiers": {"get": {"summary": "Dossiers in a status within the official's agency scope (default: submitted, the reception queue)", "tags": ["office"],
            "parameters": [{"name": "status", "in": "query", "schema": {"type": "string"}}], "responses": {"200": {"description": "{dossiers}"}, "401": problem}}},
        "/api/v1/office/dossiers/{code}": {"get": {"summary": "A dossier in the official's scope with files, timeline, supplement requests, results and rating", "tags": ["office"],
            "parameters": code, "responses": {"200": {"description": "dossier"}, "404": problem}}},
        "/api/v1/office/dossiers/{code}/receive": {"post": {"summary": "Receive (reception officer) with the appointment date", "tags": ["office"],
            "parameters": code, "requestBody": body(json!({"due_date": {"type": "string", "format": "date", "description": "omit to compute it from the procedure's processing time and the working-day calendar"}})), "responses": changed}},
        "/api/v1/office/dossiers/{code}/supplement-request": {"post": {"summary": "Ask for everything missing at once (Mẫu 02); the clock stops", "tags": ["office"],
            "parameters": code, "requestBody": body(json!({"items": {"type": "array", "items": {"type": "object", "properties": {"component": {"type": ["integer", "null"]}, "text": {"type": "string"}}}}, "note": {"type": "string"}})), "responses": changed}},
        "/api/v1/office/dossiers/{code}/processing": {"post": {"summary": "Hand a received dossier to processing", "tags": ["office"], "parameters": code, "responses": changed}},
        "/api/v1/office/dossiers/{code}/result": {"post": {"summary": "Attach the result document (processing officer or leader); online=true returns it through the portal", "tags": ["office"],
            "parameters": code, "requestBody": multipart(json!({"file_0": {"type": "string", "format": "binary"}, "note": {"type": "string"}, "online": {"type": "boolean"}})), "responses": changed}},
        "/api/v1/office/dossiers/{code}/result/draft": {"get": {"summary": "The result document as the procedure's template fills it from the dossier (processing officer or leader, while the result may be issued)", "tags": ["office"],
            "parameters": code, "responses": {"200": {"description": "{number, title, body, signer_title, signer_name}"}, "403": problem, "404": problem}}},
        "/api/v1/office/dossiers/{code}/result/generated": {"post": {"summary": "Generate the result document (A4 PDF, not digitally signed) from the draft with the given fields replaced; preview=true answers the PDF and stores nothing, otherwise it is issued as the result (online=true returns it through the portal)", "tags": ["office"],
            "parameters": code, "requestBody": body(json!({"number": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"}, "signer_title": {"type": "string"}, "signer_name": {"type": "string"}, "online": {"type": "boolean"}, "preview": {"type": "boolean"}})),
            "responses": {"200": {"description": "{code, status, status_label}, or application/pdf with preview"}, "400": problem, "401": problem, "403": problem, "404": problem, "409": problem, "422": problem}}},
        "/api/v1/office/dossiers/{code}/return": {"post": {"summary": "Record that the result was returned at the counter", "tags": ["office"], "parameters": code, "responses": changed}},
        "/api/v1/office/dossiers/{code}/refuse": {"post": {"summary": "Refuse with reasons (Mẫu 03)", "tags": ["office"],
            "parameters": code, "requestBody": body(json!({"reasons": {"type": "string"}})), "responses": changed}},
        "/api/v1/office/dossiers/{code}/apologise": {"post": {"summary": "Apologise for a late result with a new return date (Mẫu 04); the applicant is notified; statistics still count it late", "tags": ["office"],
            "parameters": code, "requestBody": body(json!({"reason": {"type": "string"}, "new_due_date": {"type": "string", "format": "date"}})), "responses": changed}}
    })
}

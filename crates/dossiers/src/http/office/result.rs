//! The result document generated from the procedure's template
//! (`/mot-cua/ho-so/{code}/ket-qua/tao`): the official checks and edits the filled-in text,
//! previews the PDF, and issues it as the dossier's result.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, PageError, Principal, Shell};

use crate::error::DossierError;
use crate::http::DossierState;
use crate::model::Dossier;
use crate::service::ResultDraft;

/// An input of the result document form.
struct DraftInput {
    id: &'static str,
    label: &'static str,
    hint: String,
    value: String,
    error: String,
    /// Rows of a textarea; 0 for a one-line input.
    rows: usize,
}

#[derive(Template)]
#[template(path = "office_result_form.html")]
struct ResultFormTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    code: String,
    procedure: String,
    inputs: Vec<DraftInput>,
    online: bool,
}

fn result_form_page(
    s: &DossierState,
    d: &Dossier,
    draft: &ResultDraft,
    online: bool,
    errors: Vec<FieldError>,
) -> Response {
    let error = |id: &str| {
        errors.iter().find(|e| e.field == id).map(|e| e.message.clone()).unwrap_or_default()
    };
    let input = |id: &'static str, label, hint: &str, value: &str, rows| DraftInput {
        id,
        label,
        hint: hint.to_string(),
        value: value.to_string(),
        error: error(id),
        rows,
    };
    let body_rows = draft.body.lines().count().clamp(6, 30) + 2;
    let head = crate::service::signer_title(&d.agency_name);
    let signer_hint = format!(
        "Người đứng đầu ký: {head}; cấp phó ký thay viết hai dòng KT. {head} / PHÓ {head}."
    );
    let inputs = vec![
        input(
            "number",
            "Số, ký hiệu",
            "Ví dụ 125/GXN-UBND; để trống nếu văn thư cấp số khi ký.",
            &draft.number,
            0,
        ),
        input("title", "Tên văn bản", "", &draft.title, 0),
        input("body", "Nội dung", "Mỗi dòng là một đoạn.", &draft.body, body_rows),
        input("signer_title", "Chức vụ người ký", &signer_hint, &draft.signer_title, 2),
        input("signer_name", "Họ tên người ký", "", &draft.signer_name, 0),
        input(
            "recipients",
            "Nơi nhận",
            "Mỗi dòng một nơi nhận, ví dụ “- Lưu: VT.”.",
            &draft.recipients,
            3,
        ),
    ];
    let mut res = render(&ResultFormTpl {
        shell: (*s.platform.shell).clone(),
        errors: errors.clone(),
        code: d.code.clone().unwrap_or_else(|| d.id.clone()),
        procedure: d.procedure_name.clone(),
        inputs,
        online,
    });
    if !errors.is_empty() && res.status().is_success() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

/// The draft as the procedure's template fills it.
pub(super) async fn result_form(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Result<Response, DossierError> {
    let (d, draft) = s.dossiers.result_draft(&p, &code).await?;
    Ok(result_form_page(&s, &d, &draft, true, Vec::new()))
}

/// The draft as the official edited it; text pasted from a word processor brings CR LF and
/// tabs, which the document wants neither of.
fn edited(f: &BTreeMap<String, String>) -> ResultDraft {
    let get =
        |k: &str| f.get(k).map(|v| v.replace("\r\n", "\n").replace('\t', " ")).unwrap_or_default();
    ResultDraft {
        number: get("number").trim().to_string(),
        title: get("title").trim().to_string(),
        body: get("body").trim_end().to_string(),
        signer_title: get("signer_title").trim().to_string(),
        signer_name: get("signer_name").trim().to_string(),
        recipients: get("recipients").trim().to_string(),
    }
}

/// The PDF, inline, for a preview.
fn preview(pdf: Vec<u8>) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/pdf"),
            (axum::http::header::CONTENT_DISPOSITION, "inline; filename=\"xem-truoc-ket-qua.pdf\""),
            (axum::http::header::CACHE_CONTROL, "no-store"),
        ],
        pdf,
    )
        .into_response()
}

/// Previews the edited document, or issues it; the form again with the errors.
pub(super) async fn result_submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let draft = edited(&f);
    let online = f.get("online").is_some_and(|v| v == "on");
    let refused = if f.get("action").map(String::as_str) == Some("xem-truoc") {
        match s.dossiers.result_preview(&p, &code, &draft).await {
            Ok(pdf) => return Ok(preview(pdf)),
            Err(e) => e,
        }
    } else {
        match s.dossiers.generate_result(&p, &code, &draft, online).await {
            Ok(_) => {
                return Ok(
                    Redirect::to(&format!("/mot-cua/ho-so/{code}?done=ket-qua")).into_response()
                )
            }
            Err(e) => e,
        }
    };
    match refused {
        DossierError::Invalid(errors) => {
            let (d, _) = s.dossiers.result_draft(&p, &code).await?;
            Ok(result_form_page(&s, &d, &draft, online, errors))
        }
        // Someone issued the result meanwhile: the error page, as a conflict.
        DossierError::Conflict(m) => {
            let mut res = PageError::BadRequest(m).with_shell(&s.platform.shell);
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        e => Err(e),
    }
}

//! Importing procedures from the admin page (`/admin/procedures/import`): pasted JSON, or
//! an uploaded JSON file or workbook; the page shows every error at once.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, HttpError, Problem, Shell};

use super::ProcedureState;
use crate::error::ProcedureError;
use crate::model::Procedure;

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

pub(super) async fn admin_import_form(State(s): State<ProcedureState>, _a: Admin) -> Response {
    import_page(&s, Vec::new(), String::new(), false)
}

/// What the import page sent: the pasted JSON, an uploaded file, the publish choice.
#[derive(Default)]
struct ImportForm {
    text: String,
    file: Vec<u8>,
    publish: bool,
}

async fn import_form(s: &ProcedureState, req: Request) -> Result<ImportForm, HttpError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let unreadable = || -> HttpError {
        Problem::bad_request("Không đọc được biểu mẫu (tệp quá lớn hoặc bị gián đoạn).").into()
    };
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
    let mut m = Multipart::from_request(req, s).await.map_err(|_| unreadable())?;
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

fn file_error(message: &str) -> ProcedureError {
    ProcedureError::Invalid(vec![FieldError { field: "file".into(), message: message.into() }])
}

/// Imports what the page sent; the file decides by its content, not its name (a workbook is
/// a ZIP container). Returns the JSON text to show again with the errors.
async fn import(
    s: &ProcedureState,
    a: &Admin,
    form: ImportForm,
) -> (Result<usize, ProcedureError>, String) {
    let ImportForm { mut text, file, publish } = form;
    let result = if file.starts_with(b"PK\x03\x04") {
        s.procedures.import_xlsx(&a.name, &file, publish).await
    } else if !file.is_empty() && file.trim_ascii_start().starts_with(b"[") {
        match String::from_utf8(file) {
            Ok(t) => {
                text = t;
                import_json(s, a, &text, publish).await
            }
            Err(_) => Err(file_error("Tệp JSON phải được mã hoá UTF-8.")),
        }
    } else if !file.is_empty() {
        Err(file_error("Tệp phải là bảng tính Excel (.xlsx) hoặc danh sách thủ tục JSON."))
    } else if text.trim().is_empty() {
        Err(file_error("Chọn một tệp Excel (.xlsx) hoặc JSON, hoặc dán danh sách thủ tục JSON."))
    } else {
        import_json(s, a, &text, publish).await
    };
    (result, text)
}

/// Import errors as the page shows them: under the pasted text or the file input.
fn page_errors(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| match e.field.as_str() {
            "json" | "file" => e,
            // Workbook errors name their sheet and row in the message already.
            f if f.starts_with('\'') => FieldError { field: "file".into(), message: e.message },
            f => FieldError { field: "json".into(), message: format!("{f}: {}", e.message) },
        })
        .collect()
}

pub(super) async fn admin_import(
    State(s): State<ProcedureState>,
    a: Admin,
    req: Request,
) -> Result<Response, HttpError> {
    let form = import_form(&s, req).await?;
    let publish = form.publish;
    match import(&s, &a, form).await {
        (Ok(_), _) => Ok(Redirect::to("/admin/procedures?done=imported").into_response()),
        (Err(ProcedureError::Invalid(errors)), text) => {
            let mut res = import_page(&s, page_errors(errors), text, publish);
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
        (Err(e), _) => Err(HttpError::internal(e)),
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

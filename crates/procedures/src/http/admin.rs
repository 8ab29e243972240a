//! The administrators' procedure pages (`/admin/procedures`): the list, publication and
//! retirement, the editor for new and existing procedures, the history with restore.
//! Imports are in `import`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, HttpError, PageError, Problem, Shell};

use super::{editor, ProcedureState};
use crate::error::ProcedureError;
use crate::model::{Procedure, Status};
use crate::service::{Entry, HistoryEntry};

#[derive(Template)]
#[template(path = "admin_procedures.html")]
struct AdminListTpl {
    shell: Shell,
    notice: String,
    entries: Vec<Entry>,
}

pub(super) async fn admin_list(
    State(s): State<ProcedureState>,
    _a: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ProcedureError> {
    let status = q.get("trang_thai").and_then(|v| Status::parse(v));
    let entries = s.procedures.list(status).await?;
    Ok(render(&AdminListTpl {
        shell: (*s.platform.shell).clone(),
        notice: match q.get("done").map(String::as_str) {
            Some("imported") => "Đã nhập danh sách thủ tục.".into(),
            Some("status") => "Đã cập nhật trạng thái thủ tục.".into(),
            Some("retired") => {
                "Đã bãi bỏ thủ tục. Có thể khôi phục áp dụng bằng nút “Khôi phục áp dụng”.".into()
            }
            Some("reinstated") => "Đã khôi phục áp dụng thủ tục.".into(),
            _ => String::new(),
        },
        entries,
    }))
}

pub(super) async fn admin_status(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let status = f
        .get("status")
        .and_then(|v| Status::parse(v))
        .ok_or_else(|| Problem::bad_request("Trạng thái không hợp lệ."))?;
    let old = s.procedures.get(&code).await?.map(|e| e.status);
    s.procedures.set_status(&a.name, &code, status).await?;
    let done = match (old, status) {
        (Some(Status::Retired), _) => "reinstated",
        (_, Status::Retired) => "retired",
        _ => "status",
    };
    Ok(Redirect::to(&format!("/admin/procedures?done={done}")).into_response())
}

#[derive(Template)]
#[template(path = "admin_procedure_retire.html")]
struct RetireTpl {
    shell: Shell,
    entry: Entry,
}

/// Asks before retiring: what it means, and that it can be undone.
pub(super) async fn admin_retire_confirm(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
) -> Result<Response, ProcedureError> {
    let entry = s.procedures.get(&code).await?.ok_or(ProcedureError::NotFound(code))?;
    Ok(render(&RetireTpl { shell: (*s.platform.shell).clone(), entry }))
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
    let code = existing.map(|e| e.procedure.code.clone()).unwrap_or_default();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
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

/// What the editor's post asks for: a blank row added to a list, or the form saved.
fn posted(pairs: &[(String, String)]) -> (editor::EditorForm, Option<String>) {
    let form = editor::EditorForm::from_pairs(pairs);
    let add = pairs.iter().find(|(k, _)| k == "them").map(|(_, v)| v.clone());
    (form, add)
}

pub(super) async fn admin_new(State(s): State<ProcedureState>, _a: Admin) -> Response {
    editor_page(&s, &editor::EditorForm::blank(), Vec::new(), None, "")
}

/// Refusals the editor shows on the form itself (422, or 409 for a lost update), with the
/// input they belong to; any other error is handed back for the error page.
fn form_errors(e: ProcedureError, conflict_field: &str) -> Result<Vec<FieldError>, ProcedureError> {
    match e {
        ProcedureError::Invalid(errors) => Ok(errors),
        ProcedureError::Conflict(m) => {
            Ok(vec![FieldError { field: conflict_field.into(), message: m }])
        }
        other => Err(other),
    }
}

pub(super) async fn admin_create(
    State(s): State<ProcedureState>,
    a: Admin,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let (mut form, add) = posted(&pairs);
    if let Some(list) = add {
        form.pad();
        form.add_row(&list);
        return Ok(editor_page(&s, &form, Vec::new(), None, ""));
    }
    let result = match form.to_procedure() {
        Ok(p) => s.procedures.create(&a.name, &p, Status::Draft).await,
        Err(errors) => Err(ProcedureError::Invalid(errors)),
    };
    match result {
        Ok(e) => {
            Ok(Redirect::to(&format!("/admin/procedures/{}/sua?done=created", e.procedure.code))
                .into_response())
        }
        Err(e) => {
            let errors = form_errors(e, "code").map_err(HttpError::internal)?;
            form.pad();
            Ok(editor_page(&s, &form, errors, None, ""))
        }
    }
}

async fn load_entry(s: &ProcedureState, code: &str) -> Result<Entry, ProcedureError> {
    s.procedures.get(code).await?.ok_or_else(|| ProcedureError::NotFound(code.into()))
}

pub(super) async fn admin_edit(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ProcedureError> {
    let entry = load_entry(&s, &code).await?;
    let notice = match q.get("done").map(String::as_str) {
        Some("created") => "Đã tạo dự thảo thủ tục. Công bố ở danh mục khi sẵn sàng.",
        Some("saved") => "Đã lưu phiên bản mới.",
        _ => "",
    };
    let form = editor::EditorForm::from_procedure(&entry.procedure, entry.version);
    Ok(editor_page(&s, &form, Vec::new(), Some(&entry), notice))
}

pub(super) async fn admin_save(
    State(s): State<ProcedureState>,
    a: Admin,
    Path(code): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HttpError> {
    let entry = load_entry(&s, &code).await?;
    let (mut form, add) = posted(&pairs);
    // The code is not editable; what the page shows is what is saved.
    form.code = code.clone();
    if let Some(list) = add {
        form.pad();
        form.add_row(&list);
        return Ok(editor_page(&s, &form, Vec::new(), Some(&entry), ""));
    }
    let result = match form.to_procedure() {
        Ok(p) => s.procedures.update(&a.name, &code, &p, form.expected_version()).await,
        Err(errors) => Err(ProcedureError::Invalid(errors)),
    };
    let conflict = matches!(result, Err(ProcedureError::Conflict(_)));
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/procedures/{code}/sua?done=saved")).into_response())
        }
        Err(e) => {
            let errors = form_errors(e, "name")?;
            form.pad();
            let mut res = editor_page(&s, &form, errors, Some(&entry), "");
            if conflict {
                *res.status_mut() = StatusCode::CONFLICT;
            }
            Ok(res)
        }
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

/// The history page's rows: each version with what it changed, and whether it can be
/// put back (not when the procedure is retired, nor for the content in force).
fn history_rows(entry: &Entry, history: Vec<HistoryEntry>) -> Vec<HistoryRow> {
    history
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
        .collect()
}

pub(super) async fn admin_history(
    State(s): State<ProcedureState>,
    _a: Admin,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ProcedureError> {
    let entry = load_entry(&s, &code).await?;
    let history = s.procedures.changes(&code).await?;
    let entries = history_rows(&entry, history);
    Ok(render(&HistoryTpl {
        shell: (*s.platform.shell).clone(),
        notice: match q.get("done").map(String::as_str) {
            Some("restored") => "Đã khôi phục: nội dung cũ được ghi thành phiên bản mới.".into(),
            _ => String::new(),
        },
        code,
        name: entry.procedure.name,
        current: entry.version,
        entries,
    }))
}

pub(super) async fn admin_restore(
    State(s): State<ProcedureState>,
    a: Admin,
    Path((code, version)): Path<(String, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, HttpError> {
    let expected = f.get("version").and_then(|v| v.parse::<i64>().ok());
    s.procedures.restore(&a.name, &code, version, expected).await.map_err(|e| match e {
        // An old version may not pass today's checks.
        ProcedureError::Invalid(_) => HttpError::from(e).with_page(PageError::BadRequest(
            "Phiên bản này không còn qua được các kiểm tra hiện hành; hãy sửa thủ tục trực tiếp."
                .into(),
        )),
        e => e.into(),
    })?;
    Ok(Redirect::to(&format!("/admin/procedures/{code}/lich-su?done=restored")).into_response())
}

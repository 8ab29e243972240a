//! The administrators' search synonyms (`/admin/procedures/tu-dong-nghia`): abbreviations and
//! everyday words people type for procedures, and what the search reads them as.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, Shell};
use serde::Deserialize;

use super::ProcedureState;
use crate::error::ProcedureError;
use crate::service::SynonymEntry;

#[derive(Template)]
#[template(path = "admin_synonyms.html")]
struct SynonymsTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    notice: &'static str,
    rows: Vec<SynonymEntry>,
    term: String,
    expansion: String,
}

impl SynonymsTpl {
    fn error_of(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

async fn page(
    s: &ProcedureState,
    errors: Vec<FieldError>,
    notice: &'static str,
    typed: SynonymForm,
) -> Result<Response, ProcedureError> {
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut res = render(&SynonymsTpl {
        shell: (*s.platform.shell).clone(),
        errors,
        notice,
        rows: s.procedures.synonyms().await?,
        term: typed.term,
        expansion: typed.expansion,
    });
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    Ok(res)
}

/// What the add form posts.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SynonymForm {
    #[serde(default)]
    term: String,
    #[serde(default)]
    expansion: String,
}

#[derive(Debug, Deserialize)]
pub(super) struct Done {
    done: Option<String>,
}

pub(super) async fn list(
    State(s): State<ProcedureState>,
    _a: Admin,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> Result<Response, ProcedureError> {
    let notice = match q.done.as_deref() {
        Some("saved") => "Đã lưu. Tìm kiếm dùng ngay cách gọi này.",
        Some("deleted") => "Đã xoá.",
        _ => "",
    };
    page(&s, Vec::new(), notice, SynonymForm::default()).await
}

pub(super) async fn save(
    State(s): State<ProcedureState>,
    a: Admin,
    Form(f): Form<SynonymForm>,
) -> Result<Response, ProcedureError> {
    match s.procedures.set_synonym(&a.name, &f.term, &f.expansion).await {
        Ok(()) => Ok(Redirect::to("/admin/procedures/tu-dong-nghia?done=saved").into_response()),
        Err(ProcedureError::Invalid(errors)) => page(&s, errors, "", f).await,
        Err(e) => Err(e),
    }
}

pub(super) async fn delete(
    State(s): State<ProcedureState>,
    a: Admin,
    Form(f): Form<SynonymForm>,
) -> Result<Response, ProcedureError> {
    s.procedures.delete_synonym(&a.name, &f.term).await?;
    Ok(Redirect::to("/admin/procedures/tu-dong-nghia?done=deleted").into_response())
}

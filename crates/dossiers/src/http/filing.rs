//! Filing on the portal: the e-form with attachments (`/nop-ho-so/{procedure}`), saved as a
//! draft and completed later, the review and submission, "Hồ sơ của tôi"
//! (`/ho-so-cua-toi`) and the public status lookup (`/tra-cuu-ho-so`).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Principal, Shell};

use super::form::{draft_values, FormPage};
use super::{applicant, read_multipart, DossierState};
use crate::error::DossierError;
use crate::model::{Dossier, DossierStatus};
use crate::service::{DossierView, PublicStatus};

/// The e-form of a procedure: a fresh one pre-filled from the account, or a draft.
pub(super) async fn form_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let who = applicant(&s, &p).await?;
    let procedure = s.dossiers.open_procedure(&code).await?;
    if let Some(id) = q.get("ho_so") {
        let v = s.dossiers.view_for(&who.account_id, id).await?;
        if v.dossier.status != DossierStatus::Draft {
            return Ok(Redirect::to(&format!("/ho-so-cua-toi/{id}")).into_response());
        }
        let values = draft_values(&v.dossier);
        let page = FormPage {
            draft: Some(&v.dossier),
            files: &v.files,
            ..FormPage::new(&procedure, &values, &v.dossier.agency_code)
        };
        return Ok(page.render(&s));
    }
    let values = crate::form::prefill(&procedure.form, &who.facts(), &s.dossiers.admin_units());
    let agencies = s.dossiers.receiving_agencies(&procedure);
    let agency = match &agencies[..] {
        [only] => only.code.as_str(),
        _ => "",
    };
    Ok(FormPage::new(&procedure, &values, agency).render(&s))
}

/// Saves the draft with its files; then the review, the form again with what is missing, or
/// (when only saving) the form with a notice.
pub(super) async fn form_submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, DossierError> {
    let who = applicant(&s, &p).await?;
    let parts = match multipart {
        Ok(m) => read_multipart(m).await,
        Err(e) => Err(format!("Biểu mẫu cần gửi dạng multipart/form-data: {e}")),
    }
    .map_err(DossierError::BadRequest)?;
    let procedure = s.dossiers.open_procedure(&code).await?;
    let draft_id = parts.control.get("ho_so").filter(|d| !d.is_empty());
    let agency = super::control(&parts.control, "agency");
    let outcome = s
        .dossiers
        .save_draft(
            &who,
            draft_id.map(String::as_str),
            &code,
            agency,
            &parts.values,
            &parts.uploads,
        )
        .await;
    let (d, problems) = match outcome {
        Ok(saved) => saved,
        Err(DossierError::Invalid(errors)) => {
            let draft = match draft_id {
                Some(id) => Some(s.dossiers.view_for(&who.account_id, id).await?),
                None => None,
            };
            return Ok(refused(&s, &procedure, draft.as_ref(), &parts.values, agency, errors));
        }
        Err(e) => return Err(e),
    };
    let files = s.dossiers.view_for(&who.account_id, &d.id).await?.files;
    let page = FormPage {
        draft: Some(&d),
        files: &files,
        ..FormPage::new(&procedure, &parts.values, &d.agency_code)
    };
    if super::control(&parts.control, "action") == "save" {
        return Ok(saved(page, problems).render(&s));
    }
    if problems.is_empty() {
        return Ok(Redirect::to(&format!("/nop-ho-so/{}/xem-lai?ho_so={}", procedure.code, d.id))
            .into_response());
    }
    Ok(FormPage { errors: problems, ..page }.render(&s))
}

/// The form again when even the draft was refused (a value longer than its field allows):
/// nothing was saved; the draft as it was, if there is one, and why.
fn refused(
    s: &DossierState,
    procedure: &cqdt_procedures::model::Procedure,
    draft: Option<&DossierView>,
    values: &BTreeMap<String, String>,
    agency: &str,
    errors: Vec<FieldError>,
) -> Response {
    let page = FormPage {
        draft: draft.map(|v| &v.dossier),
        files: draft.map(|v| v.files.as_slice()).unwrap_or_default(),
        errors,
        ..FormPage::new(procedure, values, agency)
    };
    page.render(s)
}

/// The form after saving a draft: a notice, or the files that were refused (reported even
/// when only saving; what is still missing is not).
fn saved<'a>(page: FormPage<'a>, problems: Vec<FieldError>) -> FormPage<'a> {
    let refused: Vec<FieldError> = problems
        .into_iter()
        .filter(|e| e.field.starts_with("file_") && !e.message.starts_with("Chưa"))
        .collect();
    if refused.is_empty() {
        FormPage {
            notice:
                "Đã lưu hồ sơ nháp. Ông/bà có thể quay lại hoàn thiện sau trong “Hồ sơ của tôi”.",
            ..page
        }
    } else {
        FormPage { errors: refused, ..page }
    }
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewTpl {
    shell: Shell,
    procedure_code: String,
    view: DossierView,
    rows: Vec<(String, String)>,
    components: Vec<(String, Vec<String>)>,
}

/// The draft once more, as it will be submitted.
pub(super) async fn review_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let who = applicant(&s, &p).await?;
    let procedure = s.dossiers.open_procedure(&code).await?;
    let id = q.get("ho_so").cloned().unwrap_or_default();
    let view = s.dossiers.view_for(&who.account_id, &id).await?;
    if view.dossier.status != DossierStatus::Draft {
        let d = view.dossier;
        return Ok(
            Redirect::to(&format!("/ho-so-cua-toi/{}", d.code.unwrap_or(d.id))).into_response()
        );
    }
    let rows = procedure
        .form
        .iter()
        .map(|f| {
            let value = s.dossiers.shown_value(f, &view.dossier.form);
            (f.label.clone(), value.unwrap_or_else(|| "–".into()))
        })
        .collect();
    let components = procedure
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let files = view.files.iter().filter(|f| f.component == i as i64);
            (c.name.clone(), files.map(|f| f.file_name.clone()).collect())
        })
        .collect();
    Ok(render(&ReviewTpl {
        shell: (*s.platform.shell).clone(),
        procedure_code: procedure.code.clone(),
        view,
        rows,
        components,
    }))
}

/// Submits the draft; back to the form if it is not complete after all.
pub(super) async fn submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let who = applicant(&s, &p).await?;
    let id = super::control(&f, "ho_so");
    match s.dossiers.submit(&who, id).await {
        Ok(d) => Ok(Redirect::to(&format!("/ho-so-cua-toi/{}?da-nop=1", d.code.unwrap_or(d.id)))
            .into_response()),
        Err(DossierError::Invalid(_)) => {
            Ok(Redirect::to(&format!("/nop-ho-so/{code}?ho_so={id}")).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "my_dossiers.html")]
struct ListTpl {
    shell: Shell,
    dossiers: Vec<Dossier>,
    notices: Vec<cqdt_notify::Notice>,
}

/// "Hồ sơ của tôi": the applicant's dossiers and latest notices.
pub(super) async fn my_list(
    State(s): State<DossierState>,
    p: Principal,
) -> Result<Response, DossierError> {
    let notices = s.dossiers.notices(&p.account_id).await?;
    let dossiers = s.dossiers.mine(&p.account_id).await?;
    Ok(render(&ListTpl { shell: (*s.platform.shell).clone(), dossiers, notices }))
}

#[derive(Template)]
#[template(path = "lookup.html")]
struct LookupTpl {
    shell: Shell,
    code: String,
    result: Option<PublicStatus>,
    searched: bool,
    /// The appointment date as people read it (dd/mm/yyyy).
    due: String,
}

/// The public status lookup by dossier code.
pub(super) async fn lookup_page(
    State(s): State<DossierState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let code = q.get("ma").map(|c| c.trim().to_string()).unwrap_or_default();
    let result = if code.is_empty() { None } else { s.dossiers.lookup(&code).await? };
    let due = result
        .as_ref()
        .and_then(|r| r.due_date.as_deref())
        .and_then(cqdt_platform::clock::parse_date)
        .map(cqdt_platform::clock::format_date_vn)
        .unwrap_or_default();
    Ok(render(&LookupTpl {
        shell: (*s.platform.shell).clone(),
        searched: !code.is_empty(),
        code: result.as_ref().and_then(|r| r.code.clone()).unwrap_or(code),
        result,
        due,
    }))
}

/// The address picker's script (progressive enhancement).
pub(super) async fn address_js() -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/address.js"),
    )
        .into_response()
}

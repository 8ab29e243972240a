//! The applicant's dossier page (`/ho-so-cua-toi/{code}`): status, timeline and results,
//! with the supplement answer, withdrawal and rating forms; an action refused for its input
//! shows the page again with the errors.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Principal, Shell};

use super::{control, read_multipart, DossierState};
use crate::error::DossierError;
use crate::model::{rating_label, DossierStatus, SupplementRequest};
use crate::service::DossierView;

/// The routes of this file, merged by the module's router.
pub(super) fn routes(up: super::Uploads) -> Router<DossierState> {
    Router::new()
        .route("/ho-so-cua-toi/{code}", get(my_dossier))
        .route("/ho-so-cua-toi/{code}/bo-sung", post(supply_page).layer(up.files))
        .route("/ho-so-cua-toi/{code}/rut", post(withdraw_page))
        .route("/ho-so-cua-toi/{code}/danh-gia", post(rate_page))
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
    /// The e-form as label and value, in words.
    values: Vec<(String, String)>,
    view: DossierView,
}

impl DossierTpl {
    fn errors_on(&self, field: &str) -> bool {
        self.errors.iter().any(|e| e.field == field)
    }
}

/// The file inputs an open request asks for: one per component it names, and one for
/// anything else.
fn supply_inputs(r: &SupplementRequest) -> Vec<(String, String)> {
    let mut inputs: Vec<(String, String)> = Vec::new();
    for i in &r.items {
        if let Some(c) = i.component.filter(|c| *c >= 0) {
            let name = format!("file_{c}");
            if !inputs.iter().any(|(n, _)| *n == name) {
                inputs.push((name, format!("Tệp bổ sung: {}", i.text)));
            }
        }
    }
    inputs.push(("file_khac".into(), "Tệp bổ sung khác".into()));
    inputs
}

/// The dossier page with a notice, or with the errors of a refused action (422).
async fn dossier_page(
    s: &DossierState,
    view: DossierView,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, DossierError> {
    let procedure = s.dossiers.procedure_of(&view.dossier).await?;
    let values =
        procedure.map(|pr| s.dossiers.shown_form(&pr.form, &view.dossier.form)).unwrap_or_default();
    let open_request = view
        .supplements
        .iter()
        .rev()
        .find(|r| r.answered_at.is_none())
        .filter(|_| view.dossier.status == DossierStatus::Supplement)
        .cloned();
    let status = view.dossier.status;
    use DossierStatus as S;
    let page = DossierTpl {
        shell: (*s.platform.shell).clone(),
        notice: notice.to_string(),
        code: view.dossier.code.clone().unwrap_or_default(),
        due: view
            .dossier
            .due_date
            .as_deref()
            .map(cqdt_platform::clock::local_date_text)
            .unwrap_or_default(),
        supply_inputs: open_request.as_ref().map(supply_inputs).unwrap_or_default(),
        open_request,
        can_rate: view.rating.is_none() && matches!(status, S::Returned | S::Refused),
        can_withdraw: matches!(status, S::Submitted | S::Received | S::Supplement | S::Processing),
        scores: (1..=5).rev().map(|n| (n, rating_label(n))).collect(),
        rating_text: view
            .rating
            .as_ref()
            .map(|r| rating_label(r.score).to_string())
            .unwrap_or_default(),
        values,
        errors,
        view,
    };
    let mut res = render(&page);
    if !page.errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

/// The applicant's dossier, with what just happened to it.
async fn my_dossier(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
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
    let view = s.dossiers.view_for(&p.account_id, &code).await?;
    dossier_page(&s, view, notice, Vec::new()).await
}

/// Where an applicant's action ends: the dossier page with `done`, the page again with the
/// errors of a refused action (its input, or the dossier's state), or the error page.
async fn done_or_refused<T>(
    s: &DossierState,
    p: &Principal,
    code: &str,
    outcome: Result<T, DossierError>,
    done: &str,
) -> Result<Response, DossierError> {
    let errors = match outcome {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/ho-so-cua-toi/{code}?{done}=1")).into_response())
        }
        Err(DossierError::Invalid(errors)) => errors,
        Err(DossierError::Conflict(m)) => vec![FieldError::new("main", m)],
        Err(other) => return Err(other),
    };
    let view = s.dossiers.view_for(&p.account_id, code).await?;
    dossier_page(s, view, "", errors).await
}

async fn supply_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Multipart,
) -> Result<Response, DossierError> {
    let outcome = match read_multipart(m).await {
        Ok(parts) => {
            let note = control(&parts.control, "note");
            s.dossiers.supply(&p.account_id, &p.actor, &code, &parts.uploads, note).await
        }
        Err(message) => Err(DossierError::Invalid(vec![FieldError::new("files", message)])),
    };
    done_or_refused(&s, &p, &code, outcome, "da-bo-sung").await
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
) -> Result<Response, DossierError> {
    let outcome = if f.confirm != "1" {
        Err(DossierError::Invalid(vec![FieldError::new(
            "confirm",
            "Hãy đánh dấu xác nhận trước khi rút hồ sơ.",
        )]))
    } else {
        s.dossiers.withdraw(&p.account_id, &p.actor, &code, &f.reason).await
    };
    done_or_refused(&s, &p, &code, outcome, "da-rut").await
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
) -> Result<Response, DossierError> {
    let outcome = s.dossiers.rate(&p.account_id, &p.actor, &code, &f.score, &f.comment).await;
    done_or_refused(&s, &p, &code, outcome, "da-danh-gia").await
}

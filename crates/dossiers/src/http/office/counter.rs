//! Dossiers brought to the counter (`/mot-cua/tiep-nhan-truc-tiep`): the reception officer
//! chooses the procedure, types the applicant's details and the e-form, attaches the
//! scanned documents, and the dossier is received at once; the receipt (Mẫu 01) follows.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Principal, Role, Shell};

use crate::error::DossierError;
use crate::http::form::{Counter, FormPage};
use crate::http::{read_multipart, DossierState};
use crate::service::Applicant;

#[derive(Template)]
#[template(path = "office_counter.html")]
struct CounterChooseTpl {
    shell: Shell,
    agency: String,
    procedures: Vec<(String, String)>,
}

/// The reception officer's own agency and its name; only reception officers of an agency
/// receive dossiers there.
fn counter_agency(s: &DossierState, p: &Principal) -> Result<(String, String), DossierError> {
    p.agency
        .clone()
        .filter(|a| p.can(Role::ReceptionOfficer, a))
        .map(|a| (a.clone(), s.dossiers.agency_name(&a)))
        .ok_or_else(|| DossierError::Forbidden("Trang dành cho cán bộ tiếp nhận.".into()))
}

/// The procedures the officer's agency receives.
pub(super) async fn counter_choose(
    State(s): State<DossierState>,
    p: Principal,
) -> Result<Response, DossierError> {
    let (code, name) = counter_agency(&s, &p)?;
    let procedures = s.dossiers.procedures_received_by(&code).await?;
    Ok(render(&CounterChooseTpl { shell: (*s.platform.shell).clone(), agency: name, procedures }))
}

/// The e-form of a procedure, with the applicant's details to type.
pub(super) async fn counter_form(
    State(s): State<DossierState>,
    p: Principal,
    Path(procedure): Path<String>,
) -> Result<Response, DossierError> {
    let agency = counter_agency(&s, &p)?;
    let pr = s.dossiers.open_procedure(&procedure).await?;
    let counter = Counter { agency: agency.clone(), applicant: BTreeMap::new() };
    let values = BTreeMap::new();
    let page = FormPage { counter: Some(&counter), ..FormPage::new(&pr, &values, &agency.0) };
    Ok(page.render(&s))
}

/// Checks the applicant's details typed at the counter.
fn walk_in(f: &BTreeMap<String, String>) -> Result<Applicant, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut errors = Vec::new();
    let err =
        |field: &str, message: &str| FieldError { field: field.into(), message: message.into() };
    let name = get("applicant_name");
    if name.chars().count() < 2 || name.chars().count() > 200 || name.chars().any(char::is_control)
    {
        errors.push(err("applicant_name", "Nhập họ và tên người nộp."));
    }
    let pid = match cqdt_platform::PersonalId::parse(&get("applicant_personal_id")) {
        Ok(p) => Some(p.as_str().to_string()),
        Err(m) => {
            errors.push(err("applicant_personal_id", &m));
            None
        }
    };
    let phone = match get("applicant_phone").as_str() {
        "" => None,
        t => match cqdt_notify::parse_vn_phone(t) {
            Ok(p) => Some(p),
            Err(_) => {
                errors.push(err(
                    "applicant_phone",
                    "Số điện thoại di động không hợp lệ (ví dụ 0912 345 678).",
                ));
                None
            }
        },
    };
    let email = match get("applicant_email").as_str() {
        "" => None,
        t => match cqdt_notify::parse_email(t) {
            Ok(e) => Some(e.to_lowercase()),
            Err(_) => {
                errors.push(err("applicant_email", "Địa chỉ thư điện tử không hợp lệ."));
                None
            }
        },
    };
    match pid {
        Some(pid) if errors.is_empty() => Ok(Applicant {
            // Not an account: the dossier is found by its code and the person's ID.
            account_id: format!("quay:{pid}"),
            actor: String::new(),
            name,
            personal_id: Some(pid),
            phone,
            email,
            birth_date: None,
            address: None,
        }),
        _ => Err(errors),
    }
}

/// Checks everything and receives the dossier; the form again with the errors, or the
/// receipt.
pub(super) async fn counter_submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(procedure): Path<String>,
    m: Multipart,
) -> Result<Response, DossierError> {
    let agency = counter_agency(&s, &p)?;
    let pr = s.dossiers.open_procedure(&procedure).await?;
    let parts = read_multipart(m)
        .await
        .map_err(|message| DossierError::Invalid(vec![FieldError::new("main", message)]))?;
    let counter = Counter { agency: agency.clone(), applicant: parts.control.clone() };
    let again = |errors: Vec<FieldError>| {
        let page = FormPage {
            errors,
            counter: Some(&counter),
            ..FormPage::new(&pr, &parts.values, &agency.0)
        };
        Ok(page.render(&s))
    };
    let mut applicant = match walk_in(&parts.control) {
        Ok(a) => a,
        Err(errors) => return again(errors),
    };
    applicant.actor = p.actor.clone();
    let filed = s
        .dossiers
        .file_at_counter(&p, &applicant, &procedure, &agency.0, &parts.values, &parts.uploads)
        .await;
    match filed {
        Ok(d) => {
            Ok(Redirect::to(&format!("/mot-cua/ho-so/{}/phieu/01", d.code.unwrap_or_default()))
                .into_response())
        }
        Err(DossierError::Invalid(errors)) => again(errors),
        Err(e) => Err(e),
    }
}

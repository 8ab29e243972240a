//! Dossiers brought to the counter (`/mot-cua/tiep-nhan-truc-tiep`): the reception officer
//! chooses the procedure, types the applicant's details and the e-form, attaches the
//! scanned documents, and the dossier is received at once; the receipt (Mẫu 01) follows.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use cqdt_national::{Citizen, Purpose};
use cqdt_platform::clock::format_ts_vn;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, PersonalId, Principal, Role, Shell};

use crate::error::DossierError;
use crate::http::form::{Counter, FormPage, Lookup};
use crate::http::{read_multipart, DossierState};
use crate::service::{applicant_from, Applicant};

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

/// `?cccd=`: the personal ID the officer looks up in the national population database.
#[derive(serde::Deserialize)]
pub(super) struct LookupQuery {
    cccd: Option<String>,
}

/// The e-form of a procedure, with the applicant's details to type; with `?cccd=` filled
/// from the national population database where it knows the person.
pub(super) async fn counter_form(
    State(s): State<DossierState>,
    p: Principal,
    Path(procedure): Path<String>,
    Query(q): Query<LookupQuery>,
) -> Result<Response, DossierError> {
    let agency = counter_agency(&s, &p)?;
    let pr = s.dossiers.open_procedure(&procedure).await?;
    let mut counter = Counter {
        agency: agency.clone(),
        applicant: BTreeMap::new(),
        lookup_offered: s.dossiers.population_connected(),
        lookup: None,
    };
    let mut values = BTreeMap::new();
    if let Some(typed) = q.cccd.as_deref().filter(|_| counter.lookup_offered) {
        let (lookup, found) = look_up(&s, &p, &agency.0, &pr.name, typed).await?;
        if let Some(c) = found {
            let a = applicant_from(&c);
            values = crate::form::prefill(&pr.form, &a.facts(), &s.dossiers.admin_units());
            counter.applicant.insert("applicant_name".into(), c.full_name.clone());
            counter.applicant.insert("applicant_personal_id".into(), c.personal_id.to_string());
        }
        counter.lookup = Some(lookup);
    }
    let page = FormPage { counter: Some(&counter), ..FormPage::new(&pr, &values, &agency.0) };
    Ok(page.render(&s))
}

/// Asks the population database for the person with the typed ID; what the page says, and
/// the record. A bad number, no record, a refusal or a failure are said on the page, the
/// form staying usable by hand.
async fn look_up(
    s: &DossierState,
    p: &Principal,
    agency: &str,
    procedure: &str,
    typed: &str,
) -> Result<(Lookup, Option<Citizen>), DossierError> {
    let said = |message: String| Lookup { found: false, message, facts: Vec::new() };
    let id = match PersonalId::parse(typed) {
        Ok(id) => id,
        Err(m) => return Ok((said(m), None)),
    };
    let stated: String =
        format!("Tiếp nhận hồ sơ thủ tục hành chính: {procedure}").chars().take(200).collect();
    let purpose = Purpose::parse(&stated).map_err(DossierError::BadRequest)?;
    match s.dossiers.look_up_citizen(p, agency, &id, &purpose).await {
        Ok(Some(c)) => {
            let source = if c.source.sandbox {
                format!("{} (môi trường thử nghiệm)", c.source.system)
            } else {
                c.source.system.clone()
            };
            let message = format!(
                "Đã điền sẵn từ {source}, tra cứu lúc {}. Mục đích đã ghi nhận: {}. Hãy đối chiếu với giấy tờ của người nộp.",
                format_ts_vn(c.source.answered_at),
                purpose.as_str()
            );
            let facts = vec![
                ("Họ và tên".to_string(), c.full_name.clone()),
                ("Số định danh cá nhân".to_string(), c.personal_id.to_string()),
                ("Ngày sinh".to_string(), c.birth_date.format("%d/%m/%Y").to_string()),
                ("Giới tính".to_string(), if c.female { "Nữ" } else { "Nam" }.to_string()),
                ("Dân tộc".to_string(), c.ethnicity.clone()),
                ("Nơi thường trú".to_string(), c.permanent_address.clone()),
                ("Nơi ở hiện tại".to_string(), c.current_address.clone()),
            ];
            Ok((Lookup { found: true, message, facts }, Some(c)))
        }
        Ok(None) => Ok((
            said(format!("CSDL quốc gia về dân cư không có công dân mang số định danh {id}.")),
            None,
        )),
        Err(DossierError::Upstream(m)) => Ok((said(format!("Không tra cứu được: {m}")), None)),
        Err(e) => Err(e),
    }
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
    let pid = match PersonalId::parse(&get("applicant_personal_id")) {
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
    let counter = Counter {
        agency: agency.clone(),
        applicant: parts.control.clone(),
        lookup_offered: s.dossiers.population_connected(),
        lookup: None,
    };
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

//! Dossiers brought to the counter (`/mot-cua/tiep-nhan-truc-tiep`): the reception officer
//! chooses the procedure, types the applicant's details and the e-form, attaches the
//! scanned documents, and the dossier is received at once; the receipt (Mẫu 01) follows.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use cqdt_national::{Citizen, Enterprise, Purpose, Source};
use cqdt_platform::clock::format_ts_vn;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, PersonalId, Principal, Role, Shell, TaxCode};

use crate::error::DossierError;
use crate::http::form::{Counter, FormPage, Lookup};
use crate::http::{read_multipart, DossierState};
use crate::service::{applicant_from, enterprise_values, Applicant};

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
        lookup_offered: s.dossiers.national_connected(),
        lookup_firms: s.dossiers.business_connected(),
        lookup: None,
    };
    let mut values = BTreeMap::new();
    if let Some(typed) = q.cccd.as_deref().filter(|_| counter.lookup_offered) {
        let digits = typed.chars().filter(char::is_ascii_digit).count();
        let ask = Ask { s: &s, p: &p, agency: &agency.0, purpose: counter_purpose(&pr.name)? };
        let (lookup, found) = if digits == 12 || !s.dossiers.business_connected() {
            look_up(ask, typed).await?
        } else {
            look_up_firm(ask, typed).await?
        };
        match found {
            Some(Found::Citizen(c)) => {
                let a = applicant_from(&c);
                values = crate::form::prefill(&pr.form, &a.facts(), &s.dossiers.admin_units());
                counter.applicant.insert("applicant_name".into(), c.full_name.clone());
                counter.applicant.insert("applicant_personal_id".into(), c.personal_id.to_string());
            }
            Some(Found::Firm(e)) => values = enterprise_values(&pr.form, &e),
            None => {}
        }
        counter.lookup = Some(lookup);
    }
    let page = FormPage { counter: Some(&counter), ..FormPage::new(&pr, &values, &agency.0) };
    Ok(page.render(&s))
}

/// What a lookup at the counter found.
enum Found {
    Citizen(Box<Citizen>),
    Firm(Box<Enterprise>),
}

/// The purpose stated for a lookup at the counter.
fn counter_purpose(procedure: &str) -> Result<Purpose, DossierError> {
    let stated: String =
        format!("Tiếp nhận hồ sơ thủ tục hành chính: {procedure}").chars().take(200).collect();
    Purpose::parse(&stated).map_err(DossierError::BadRequest)
}

/// Source and time of an answer, in words.
fn answered(source: &Source) -> String {
    let system = if source.sandbox {
        format!("{} (môi trường thử nghiệm)", source.system)
    } else {
        source.system.clone()
    };
    format!("{system}, tra cứu lúc {}", format_ts_vn(source.answered_at))
}

/// Who asks a national database at the counter, where, and why.
struct Ask<'a> {
    s: &'a DossierState,
    p: &'a Principal,
    agency: &'a str,
    purpose: Purpose,
}

/// What the page says when nothing was found.
fn said(message: String) -> Lookup {
    Lookup { found: false, message, facts: Vec::new() }
}

/// Asks the business registry for the enterprise with the typed code; what the page says,
/// and the record.
async fn look_up_firm(ask: Ask<'_>, typed: &str) -> Result<(Lookup, Option<Found>), DossierError> {
    let Ask { s, p, agency, purpose } = ask;
    let code = match TaxCode::parse(typed) {
        Ok(c) => c,
        Err(m) => return Ok((said(m), None)),
    };
    match s.dossiers.look_up_enterprise(p, agency, &code, &purpose).await {
        Ok(Some(e)) => {
            let mut message = format!(
                "Đã điền sẵn mã số và tên doanh nghiệp từ {}. Mục đích đã ghi nhận: {}.",
                answered(&e.source),
                purpose.as_str()
            );
            if !e.active {
                message += &format!(" Lưu ý: doanh nghiệp đang ở tình trạng “{}”.", e.status);
            }
            let facts = vec![
                ("Tên doanh nghiệp".to_string(), e.name.clone()),
                ("Mã số doanh nghiệp".to_string(), e.code.to_string()),
                ("Loại hình".to_string(), e.legal_form.clone()),
                ("Tình trạng".to_string(), e.status.clone()),
                ("Ngày thành lập".to_string(), e.founded_on.format("%d/%m/%Y").to_string()),
                ("Địa chỉ trụ sở".to_string(), e.address.clone()),
                (
                    "Người đại diện theo pháp luật".to_string(),
                    format!("{} ({})", e.representative.full_name, e.representative.title),
                ),
            ];
            Ok((Lookup { found: true, message, facts }, Some(Found::Firm(Box::new(e)))))
        }
        Ok(None) => Ok((
            said(format!("Không có doanh nghiệp mang mã số {code} trong hệ thống đăng ký doanh nghiệp quốc gia.")),
            None,
        )),
        Err(DossierError::Upstream(m)) => Ok((said(format!("Không tra cứu được: {m}")), None)),
        Err(e) => Err(e),
    }
}

/// Asks the population database for the person with the typed ID; what the page says, and
/// the record. A bad number, no record, a refusal or a failure are said on the page, the
/// form staying usable by hand.
async fn look_up(ask: Ask<'_>, typed: &str) -> Result<(Lookup, Option<Found>), DossierError> {
    let Ask { s, p, agency, purpose } = ask;
    let id = match PersonalId::parse(typed) {
        Ok(id) => id,
        Err(m) => return Ok((said(m), None)),
    };
    match s.dossiers.look_up_citizen(p, agency, &id, &purpose).await {
        Ok(Some(c)) => {
            let message = format!(
                "Đã điền sẵn từ {}. Mục đích đã ghi nhận: {}. Hãy đối chiếu với giấy tờ của người nộp.",
                answered(&c.source),
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
            Ok((Lookup { found: true, message, facts }, Some(Found::Citizen(Box::new(c)))))
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
        lookup_offered: s.dossiers.national_connected(),
        lookup_firms: s.dossiers.business_connected(),
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

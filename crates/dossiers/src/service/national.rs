//! The national population database at reception: the officer looks the applicant up by
//! personal ID to fill the form from the record instead of retyping it. Every lookup states
//! its purpose (sent to the database, which records it) and is audited here, found or not,
//! refused or not, so the citizen can later see who read their data and why.

use std::collections::BTreeMap;

use cqdt_audit::{AuditEvent, Outcome};
use cqdt_national::{Citizen, Enterprise, National, NationalError, Purpose, Source};
use cqdt_platform::clock::format_ts_vn;
use cqdt_platform::{PersonalId, Principal, Role, TaxCode};
use cqdt_procedures::model::{FieldType, FormField};
use serde_json::json;

use super::{Applicant, DossierService};
use crate::error::DossierError;

impl DossierService {
    /// This service asking `national` at reception.
    pub fn with_national(mut self, national: National) -> Self {
        self.national = national;
        self
    }

    /// Whether any national database is connected (the dossier page offers the check).
    pub fn national_connected(&self) -> bool {
        self.national.population.is_some() || self.national.business.is_some()
    }

    /// Whether the population database is connected (the counter offers the lookup only then).
    pub fn population_connected(&self) -> bool {
        self.national.population.is_some()
    }

    /// The citizen with `id` in the national population database, read by a reception
    /// officer of `agency` for `purpose`. Audited in every case; a refusal or failure of the
    /// database is [`DossierError::Upstream`] with its reason.
    #[tracing::instrument(skip_all, fields(agency))]
    pub async fn look_up_citizen(
        &self,
        p: &Principal,
        agency: &str,
        id: &PersonalId,
        purpose: &Purpose,
    ) -> Result<Option<Citizen>, DossierError> {
        receptionist(p, agency)?;
        self.read_citizen(p, agency, id, purpose).await
    }

    /// Reads a citizen and audits the read (no role check: the callers have made theirs).
    async fn read_citizen(
        &self,
        p: &Principal,
        agency: &str,
        id: &PersonalId,
        purpose: &Purpose,
    ) -> Result<Option<Citizen>, DossierError> {
        let found = match self.national.population() {
            Ok(population) => population.citizen(id, purpose).await,
            Err(e) => Err(e),
        };
        let (outcome, details) = match &found {
            Ok(Some(c)) => {
                (Outcome::Success, json!({ "found": true, "sandbox": c.source.sandbox }))
            }
            Ok(None) => (Outcome::Success, json!({ "found": false })),
            Err(NationalError::Refused { reason, .. }) => {
                (Outcome::Denied, json!({ "refused": cqdt_platform::web::clip(reason, 200) }))
            }
            Err(e) => (
                Outcome::Failure,
                json!({ "error": cqdt_platform::web::clip(&e.to_string(), 200) }),
            ),
        };
        let event = AuditEvent::new(&p.actor, "dossier.citizen_lookup", "citizen")
            .object(id.as_str())
            .purpose(purpose.as_str())
            .agency(agency)
            .outcome(outcome)
            .details(details);
        self.audited(event, found).await
    }

    /// Reads an enterprise and audits the read.
    async fn read_enterprise(
        &self,
        p: &Principal,
        agency: &str,
        code: &TaxCode,
        purpose: &Purpose,
    ) -> Result<Option<Enterprise>, DossierError> {
        let found = match self.national.business() {
            Ok(business) => business.enterprise(code).await,
            Err(e) => Err(e),
        };
        let (outcome, details) = outcome_of(&found, |e| e.source.sandbox);
        let event = AuditEvent::new(&p.actor, "dossier.enterprise_lookup", "enterprise")
            .object(code.as_str())
            .purpose(purpose.as_str())
            .agency(agency)
            .outcome(outcome)
            .details(details);
        self.audited(event, found).await
    }

    async fn audited<T>(
        &self,
        event: AuditEvent,
        found: Result<T, NationalError>,
    ) -> Result<T, DossierError> {
        let mut tx = self.db.begin().await?;
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        found.map_err(|e| DossierError::Upstream(e.to_string()))
    }

    /// The enterprise with `code` in the national business registry, read by a reception
    /// officer of `agency` for `purpose`; audited in every case.
    #[tracing::instrument(skip_all, fields(agency))]
    pub async fn look_up_enterprise(
        &self,
        p: &Principal,
        agency: &str,
        code: &TaxCode,
        purpose: &Purpose,
    ) -> Result<Option<Enterprise>, DossierError> {
        receptionist(p, agency)?;
        self.read_enterprise(p, agency, code, purpose).await
    }

    /// Whether the business registry is connected.
    pub fn business_connected(&self) -> bool {
        self.national.business.is_some()
    }

    /// The dossier's personal IDs and enterprise codes checked against the national
    /// databases, by an official who may see it: each with the record's facts and, where
    /// the e-form names the same person or enterprise beside it, whether the name (and
    /// birth date) agree. Every read is audited with the purpose "Đối chiếu hồ sơ …".
    #[tracing::instrument(skip_all)]
    pub async fn check_with_national(
        &self,
        p: &Principal,
        code: &str,
    ) -> Result<Vec<Check>, DossierError> {
        let d = self.view_for_official(p, code).await?.dossier;
        let Some(procedure) = self.procedure_of(&d).await? else {
            return Ok(Vec::new());
        };
        let stated: String =
            format!("Đối chiếu hồ sơ {code}: {}", d.procedure_name).chars().take(200).collect();
        let purpose = Purpose::parse(&stated).map_err(DossierError::BadRequest)?;
        let mut checks = Vec::new();
        for f in &procedure.form {
            let typed = form_value(&d.form, &f.key);
            if typed.is_empty() {
                continue;
            }
            let check = match f.kind {
                FieldType::PersonalId => match PersonalId::parse(typed) {
                    Ok(id) => {
                        let found = self.read_citizen(p, &d.agency_code, &id, &purpose).await;
                        citizen_check(
                            &f.label,
                            typed,
                            found,
                            paired(&procedure.form, &f.key, "personal_id"),
                            &d.form,
                        )
                    }
                    Err(m) => Check::said(&f.label, typed, m),
                },
                FieldType::TaxCode => match TaxCode::parse(typed) {
                    Ok(c) => {
                        let found = self.read_enterprise(p, &d.agency_code, &c, &purpose).await;
                        enterprise_check(
                            &f.label,
                            typed,
                            found,
                            paired(&procedure.form, &f.key, "tax_code"),
                            &d.form,
                        )
                    }
                    Err(m) => Check::said(&f.label, typed, m),
                },
                _ => continue,
            };
            checks.push(check?);
        }
        Ok(checks)
    }
}

/// Only a reception officer of `agency` looks people and enterprises up at its counter.
fn receptionist(p: &Principal, agency: &str) -> Result<(), DossierError> {
    if p.can(Role::ReceptionOfficer, agency) {
        Ok(())
    } else {
        Err(DossierError::Forbidden("Chỉ cán bộ tiếp nhận mới tra cứu được.".into()))
    }
}

/// The audit outcome and details of a national read.
fn outcome_of<T>(
    found: &Result<Option<T>, NationalError>,
    sandbox: impl Fn(&T) -> bool,
) -> (Outcome, serde_json::Value) {
    match found {
        Ok(Some(t)) => (Outcome::Success, json!({ "found": true, "sandbox": sandbox(t) })),
        Ok(None) => (Outcome::Success, json!({ "found": false })),
        Err(NationalError::Refused { reason, .. }) => {
            (Outcome::Denied, json!({ "refused": cqdt_platform::web::clip(reason, 200) }))
        }
        Err(e) => {
            (Outcome::Failure, json!({ "error": cqdt_platform::web::clip(&e.to_string(), 200) }))
        }
    }
}

/// One identifier of a dossier checked against a national database.
#[derive(Debug, Clone)]
pub struct Check {
    /// The e-form field's label.
    pub field: String,
    /// The value typed in the dossier.
    pub typed: String,
    /// All agree (`Some(true)`), something differs or the record is missing or not in force
    /// (`Some(false)`), or nothing could be compared (`None`).
    pub agrees: Option<bool>,
    /// What the check found, in sentences.
    pub findings: Vec<String>,
    /// The record's facts: label and value.
    pub facts: Vec<(String, String)>,
}

impl Check {
    fn said(field: &str, typed: &str, finding: String) -> Result<Check, DossierError> {
        Ok(Check {
            field: field.into(),
            typed: typed.into(),
            agrees: Some(false),
            findings: vec![finding],
            facts: Vec::new(),
        })
    }

    /// A lookup that could not be made: said, not an error of the page.
    fn unavailable(field: &str, typed: &str, e: DossierError) -> Result<Check, DossierError> {
        match e {
            DossierError::Upstream(m) => Ok(Check {
                field: field.into(),
                typed: typed.into(),
                agrees: None,
                findings: vec![format!("Không đối chiếu được: {m}")],
                facts: Vec::new(),
            }),
            other => Err(other),
        }
    }
}

/// The e-form fields that name the holder of identifier `key` (`owner_personal_id` →
/// `owner_full_name` or `owner_name`; `father_personal_id` → `father_full_name`), and its
/// birth date field: keys and labels.
struct Paired {
    name: Option<(String, String)>,
    birth: Option<(String, String)>,
}

fn paired(form: &[FormField], key: &str, suffix: &str) -> Paired {
    let prefix = key.strip_suffix(suffix).unwrap_or("");
    let find = |names: &[String]| {
        names.iter().find_map(|n| {
            form.iter().find(|f| &f.key == n).map(|f| (f.key.clone(), f.label.clone()))
        })
    };
    // A bare tax code belongs to the business the form is about, named by one of these.
    let business = ["business_name", "establishment_name", "company_name", "facility_name"];
    Paired {
        name: if prefix.is_empty() && suffix == "tax_code" {
            find(&business.map(String::from))
        } else {
            find(&[format!("{prefix}full_name"), format!("{prefix}name")])
        },
        birth: find(&[format!("{prefix}date_of_birth"), format!("{prefix}birth_date")]),
    }
}

/// A value of the dossier's e-form as typed (trimmed), or "".
fn form_value<'a>(form: &'a serde_json::Value, key: &str) -> &'a str {
    form.get(key).and_then(|v| v.as_str()).unwrap_or("").trim()
}

/// Names compared as people write them: Unicode NFC, case and spacing aside.
fn same_name(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        cqdt_platform::web::nfc(s).to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ")
    };
    norm(a) == norm(b)
}

fn compare_name(
    findings: &mut Vec<String>,
    agrees: &mut bool,
    pair: &Option<(String, String)>,
    form: &serde_json::Value,
    recorded: &str,
) {
    if let Some((key, label)) = pair {
        let typed = form_value(form, key);
        if same_name(typed, recorded) {
            findings.push(format!("“{label}” khớp với cơ sở dữ liệu."));
        } else {
            *agrees = false;
            findings.push(format!("“{label}” ghi “{typed}”, cơ sở dữ liệu ghi “{recorded}”."));
        }
    }
}

/// The record found, or the finished check that says why there is none.
fn found_or_said<T>(
    field: &str,
    typed: &str,
    found: Result<Option<T>, DossierError>,
    missing: &str,
) -> Result<Result<T, Check>, DossierError> {
    match found {
        Ok(Some(t)) => Ok(Ok(t)),
        Ok(None) => Check::said(field, typed, missing.into()).map(Err),
        Err(e) => Check::unavailable(field, typed, e).map(Err),
    }
}

fn citizen_check(
    field: &str,
    typed: &str,
    found: Result<Option<Citizen>, DossierError>,
    pair: Paired,
    form: &serde_json::Value,
) -> Result<Check, DossierError> {
    let missing = "CSDL quốc gia về dân cư không có công dân mang số này.";
    let c = match found_or_said(field, typed, found, missing)? {
        Ok(c) => c,
        Err(check) => return Ok(check),
    };
    let mut findings = Vec::new();
    let mut agrees = true;
    compare_name(&mut findings, &mut agrees, &pair.name, form, &c.full_name);
    if let Some((key, label)) = &pair.birth {
        let typed_birth = form_value(form, key);
        let shown = c.birth_date.format("%d/%m/%Y").to_string();
        if typed_birth == shown || typed_birth == c.birth_date.to_string() {
            findings.push(format!("“{label}” khớp với cơ sở dữ liệu."));
        } else {
            agrees = false;
            findings.push(format!("“{label}” ghi “{typed_birth}”, cơ sở dữ liệu ghi {shown}."));
        }
    }
    let compared = pair.name.is_some() || pair.birth.is_some();
    Ok(Check {
        field: field.into(),
        typed: typed.into(),
        agrees: compared.then_some(agrees),
        findings,
        facts: vec![
            ("Nguồn".into(), source_words(&c.source)),
            ("Họ và tên".into(), c.full_name.clone()),
            ("Ngày sinh".into(), c.birth_date.format("%d/%m/%Y").to_string()),
            ("Nơi thường trú".into(), c.permanent_address.clone()),
        ],
    })
}

fn enterprise_check(
    field: &str,
    typed: &str,
    found: Result<Option<Enterprise>, DossierError>,
    pair: Paired,
    form: &serde_json::Value,
) -> Result<Check, DossierError> {
    let missing =
        "Hệ thống thông tin quốc gia về đăng ký doanh nghiệp không có doanh nghiệp mang mã số này.";
    let e = match found_or_said(field, typed, found, missing)? {
        Ok(e) => e,
        Err(check) => return Ok(check),
    };
    let mut findings = Vec::new();
    let mut agrees = e.active;
    if !e.active {
        findings.push(format!("Doanh nghiệp đang ở tình trạng “{}”.", e.status));
    }
    compare_name(&mut findings, &mut agrees, &pair.name, form, &e.name);
    Ok(Check {
        field: field.into(),
        typed: typed.into(),
        agrees: Some(agrees),
        findings,
        facts: vec![
            ("Nguồn".into(), source_words(&e.source)),
            ("Tên doanh nghiệp".into(), e.name.clone()),
            ("Tình trạng".into(), e.status.clone()),
            ("Địa chỉ trụ sở".into(), e.address.clone()),
            (
                "Người đại diện theo pháp luật".into(),
                format!("{} ({})", e.representative.full_name, e.representative.title),
            ),
        ],
    })
}

/// Where an answer came from and when, in words.
fn source_words(s: &Source) -> String {
    let sandbox = if s.sandbox { " (môi trường thử nghiệm)" } else { "" };
    format!("{}{sandbox}, lúc {}", s.system, format_ts_vn(s.answered_at))
}

/// The e-form values an enterprise's record fills: every tax-code field with its code, and
/// the name field beside it (the same pairing as the check at reception) with its name.
pub fn enterprise_values(form: &[FormField], e: &Enterprise) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in form.iter().filter(|f| f.kind == FieldType::TaxCode) {
        out.insert(f.key.clone(), e.code.to_string());
        if let Some((key, _)) = paired(form, &f.key, "tax_code").name {
            out.insert(key, e.name.clone());
        }
    }
    out
}

/// The applicant as the population database describes them, for pre-filling the e-form.
pub fn applicant_from(c: &Citizen) -> Applicant {
    Applicant {
        account_id: format!("quay:{}", c.personal_id),
        actor: String::new(),
        name: c.full_name.clone(),
        personal_id: Some(c.personal_id.as_str().to_string()),
        phone: None,
        email: None,
        birth_date: Some(c.birth_date.format("%Y-%m-%d").to_string()),
        address: Some(c.permanent_address.clone()),
    }
}

#[cfg(test)]
mod tests {
    use cqdt_national::Representative;
    use serde_json::json;

    use super::*;

    fn form(fields: &[(&str, &str)]) -> Vec<FormField> {
        fields
            .iter()
            .map(|(key, kind)| {
                serde_json::from_value(
                    json!({ "key": key, "label": format!("Nhãn {key}"), "type": kind }),
                )
                .expect("field")
            })
            .collect()
    }

    fn firm(active: bool) -> Enterprise {
        Enterprise {
            code: TaxCode::parse("0100109106").expect("code"),
            name: "Công ty TNHH Thủy sản Sông Hậu".into(),
            legal_form: "Công ty trách nhiệm hữu hạn một thành viên".into(),
            status: if active { "Đang hoạt động" } else { "Tạm ngừng kinh doanh" }.into(),
            active,
            founded_on: chrono::NaiveDate::from_ymd_opt(2010, 5, 4).expect("date"),
            address: "Ấp 3, Xã Kế Sách, Thành phố Cần Thơ".into(),
            representative: Representative {
                full_name: "Lâm Văn Phol".into(),
                title: "Giám đốc".into(),
            },
            main_business: "Chế biến thủy sản".into(),
            source: Source {
                system: "ĐKDN".into(),
                sandbox: true,
                answered_at: chrono::Utc::now(),
            },
        }
    }

    #[test]
    fn an_identifier_is_paired_with_the_name_and_birth_fields_of_the_same_prefix_only() {
        let f = form(&[
            ("investor_name", "text"),
            ("investor_tax_code", "tax_code"),
            ("tax_code", "tax_code"),
            ("owner_full_name", "text"),
            ("owner_personal_id", "personal_id"),
            ("owner_date_of_birth", "date"),
        ]);
        let p = paired(&f, "investor_tax_code", "tax_code");
        assert_eq!(p.name.map(|n| n.0).as_deref(), Some("investor_name"));
        assert!(
            paired(&f, "tax_code", "tax_code").name.is_none(),
            "a bare tax code pairs only with a business's name field"
        );
        let p = paired(&f, "owner_personal_id", "personal_id");
        assert_eq!(p.name.map(|n| n.0).as_deref(), Some("owner_full_name"));
        assert_eq!(p.birth.map(|n| n.0).as_deref(), Some("owner_date_of_birth"));
    }

    #[test]
    fn an_enterprise_not_trading_or_named_otherwise_needs_checking_and_says_why() {
        let f = form(&[("investor_name", "text"), ("investor_tax_code", "tax_code")]);
        let values = json!({ "investor_name": "công ty tnhh thủy sản  sông hậu" });
        let pair = || paired(&f, "investor_tax_code", "tax_code");
        let ok = enterprise_check("Mã số", "0100109106", Ok(Some(firm(true))), pair(), &values)
            .expect("check");
        assert_eq!(ok.agrees, Some(true), "{:?}", ok.findings);
        let stopped =
            enterprise_check("Mã số", "0100109106", Ok(Some(firm(false))), pair(), &values)
                .expect("check");
        assert_eq!(stopped.agrees, Some(false));
        assert!(stopped.findings[0].contains("Tạm ngừng kinh doanh"));
        let other = json!({ "investor_name": "Công ty cổ phần Sông Hậu" });
        let named = enterprise_check("Mã số", "0100109106", Ok(Some(firm(true))), pair(), &other)
            .expect("check");
        assert_eq!(named.agrees, Some(false));
        assert!(named.findings[0].contains("Công ty cổ phần Sông Hậu"), "{:?}", named.findings);
        let down = enterprise_check(
            "Mã số",
            "0100109106",
            Err(DossierError::Upstream("không trả lời".into())),
            pair(),
            &values,
        )
        .expect("said on the page");
        assert_eq!(down.agrees, None);
    }
}

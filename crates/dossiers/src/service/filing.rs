//! Filing: drafts with their e-form and attachments, submission with a dossier code and a
//! confirmation by e-mail and SMS, dossiers entered at the counter, the applicant's list and
//! timeline, and the public lookup.

use std::collections::BTreeMap;

use chrono::Utc;
use cqdt_audit::AuditEvent;
use cqdt_notify::{Channel, NotificationRequest};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, Principal, Role, Tx};
use cqdt_procedures::model::Procedure;
use serde_json::{json, Value};

use super::{
    field_error, kinds_for, theirs, Agency, Applicant, DossierService, DossierView, Put, Upload,
};
use crate::error::DossierError;
use crate::form;
use crate::model::{dossier_code, Dossier, DossierEvent, DossierFile, DossierStatus};
use crate::service::OfficeAction;
use crate::store;

/// What anyone holding a dossier code may see: procedure, agency, status and dates; no
/// personal data.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicStatus {
    /// Dossier code.
    pub code: Option<String>,
    /// Procedure name.
    pub procedure_name: String,
    /// Receiving agency.
    pub agency_name: String,
    /// Status.
    pub status: DossierStatus,
    /// Status in Vietnamese.
    pub status_label: String,
    /// When it was submitted.
    pub submitted_at: Option<String>,
    /// Appointment date for the result (`YYYY-MM-DD`), once received.
    pub due_date: Option<String>,
    /// The steps, oldest first.
    pub steps: Vec<PublicStep>,
}

/// A step of a dossier as the public lookup shows it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PublicStep {
    /// When.
    pub at: String,
    /// Status after the step.
    pub status: DossierStatus,
    /// Status in Vietnamese.
    pub status_label: String,
}

impl DossierService {
    pub(super) fn agency(&self, p: &Procedure, code: &str) -> Result<Agency, FieldError> {
        let kinds: Vec<&str> =
            p.levels.iter().flat_map(|l| kinds_for(*l).iter().copied()).collect();
        self.directory
            .agencies()
            .iter()
            .find(|a| a.code == code && kinds.contains(&a.kind.as_str()))
            .cloned()
            .ok_or_else(|| {
                field_error("agency", "Hãy chọn cơ quan tiếp nhận hồ sơ trong danh sách.")
            })
    }

    /// Checks and stores uploads; the errors name the component's field (`file_N`).
    async fn store_uploads(
        &self,
        p: &Procedure,
        uploads: &[Upload],
    ) -> (Vec<DossierFile>, Vec<FieldError>) {
        let mut stored = Vec::new();
        let mut errors = Vec::new();
        for u in uploads {
            let field = format!("file_{}", u.component);
            let Some(component) = p.components.get(u.component) else {
                errors.push(field_error(&field, "Thành phần hồ sơ không có trong thủ tục."));
                continue;
            };
            let name = &component.name;
            match self.put_document(u).await {
                Put::Stored(f) => stored.push(DossierFile {
                    component: u.component as i64,
                    sha256: f.sha256,
                    file_name: u.file_name.chars().filter(|c| !c.is_control()).take(200).collect(),
                    media_type: f.media_type.mime().to_string(),
                    size: f.size,
                }),
                Put::WrongType => errors
                    .push(field_error(&field, format!("{name}: chỉ nhận tệp PDF, JPEG hoặc PNG."))),
                Put::Rejected(m) => errors.push(field_error(&field, format!("{name}: {m}"))),
                Put::Failed(e) => {
                    errors.push(field_error(&field, format!("{name}: không lưu được tệp ({e}).")));
                }
            }
        }
        (stored, errors)
    }

    /// Saves a draft (new when `draft_id` is `None`): the raw e-form values, the receiving
    /// agency and the files. Returns the draft and the problems that still stop submission.
    /// A value longer than its field allows is refused, and nothing is saved: a draft holds
    /// no more than a submission may.
    #[tracing::instrument(skip_all, fields(procedure = procedure_code, draft = ?draft_id))]
    pub async fn save_draft(
        &self,
        who: &Applicant,
        draft_id: Option<&str>,
        procedure_code: &str,
        agency_code: &str,
        submitted: &BTreeMap<String, String>,
        uploads: &[Upload],
    ) -> Result<(Dossier, Vec<FieldError>), DossierError> {
        let p = self.open_procedure(procedure_code).await?;
        let too_long = form::check_lengths(&p.form, submitted);
        if !too_long.is_empty() {
            return Err(DossierError::Invalid(too_long));
        }
        let (files, mut problems) = self.store_uploads(&p, uploads).await;
        let now = format_ts(self.clock.now());
        // An address travels in parts: the street under its key, province and commune beside
        // it; each within its length, checked above.
        let raw: serde_json::Map<String, Value> = p
            .form
            .iter()
            .flat_map(form::keys_with_limits)
            .filter_map(|(k, _)| submitted.get(&k).map(|v| (k.clone(), Value::String(v.clone()))))
            .collect();
        let agency = self.agency(&p, agency_code);
        let mut tx = self.db.begin().await?;
        let mut d = match draft_id {
            Some(id) => match store::get(&mut *tx, id).await? {
                Some(d)
                    if d.applicant_account == who.account_id
                        && d.status == DossierStatus::Draft
                        && d.procedure_code == p.code =>
                {
                    d
                }
                found => {
                    drop(tx);
                    theirs(found, &who.account_id, id).await;
                    return Err(DossierError::NotFound(id.into()));
                }
            },
            None => {
                let d = Dossier {
                    id: format!("{:032x}", rand::random::<u128>()),
                    code: None,
                    procedure_code: p.code.clone(),
                    procedure_name: p.name.clone(),
                    agency_code: String::new(),
                    agency_name: String::new(),
                    applicant_account: who.account_id.clone(),
                    applicant_name: who.name.clone(),
                    applicant_phone: who.phone.clone(),
                    applicant_email: who.email.clone(),
                    form: Value::Object(Default::default()),
                    status: DossierStatus::Draft,
                    created_at: now.clone(),
                    submitted_at: None,
                    updated_at: now.clone(),
                    due_date: None,
                    finished_at: None,
                };
                store::insert(&mut tx, &d).await?;
                self.audit
                    .record(
                        &mut tx,
                        AuditEvent::new(&who.actor, "dossier.draft", "dossier")
                            .object(d.id.clone())
                            .details(json!({"procedure": p.code})),
                    )
                    .await?;
                d
            }
        };
        d.form = Value::Object(raw);
        if let Ok(a) = &agency {
            d.agency_code = a.code.clone();
            d.agency_name = a.name.clone();
        }
        d.updated_at = now.clone();
        store::update(&mut tx, &d).await?;
        for f in &files {
            store::insert_file(&mut tx, &d.id, f, &now).await?;
        }
        let all_files = store::files(&mut *tx, &d.id).await?;
        tx.commit().await?;
        problems.extend(self.problems(&p, &d, &all_files).err().unwrap_or_default());
        if let Err(e) = agency {
            problems.insert(0, e);
        }
        Ok((d, dedup(problems)))
    }

    /// What stops a draft from being submitted: the e-form and the required components.
    fn problems(
        &self,
        p: &Procedure,
        d: &Dossier,
        files: &[DossierFile],
    ) -> Result<form::FormValues, Vec<FieldError>> {
        let submitted: BTreeMap<String, String> = d
            .form
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect();
        let mut errors = Vec::new();
        if d.agency_code.is_empty() {
            errors.push(field_error("agency", "Hãy chọn cơ quan tiếp nhận hồ sơ trong danh sách."));
        }
        let values = match form::check(
            &p.form,
            &submitted,
            &self.catalogs(),
            &self.directory.admin_units(),
            self.today(),
        ) {
            Ok(v) => Some(v),
            Err(e) => {
                errors.extend(e);
                None
            }
        };
        for (i, c) in p.components.iter().enumerate() {
            if c.required && !files.iter().any(|f| f.component == i as i64) {
                errors.push(field_error(
                    &format!("file_{i}"),
                    format!("Chưa đính kèm “{}”.", c.name),
                ));
            }
        }
        match values {
            Some(v) if errors.is_empty() => Ok(v),
            _ => Err(errors),
        }
    }

    /// Submits a draft: checks it again, gives it its code, records the step, and sends the
    /// confirmation by e-mail and SMS, all in one transaction.
    #[tracing::instrument(skip_all, fields(draft = draft_id))]
    pub async fn submit(&self, who: &Applicant, draft_id: &str) -> Result<Dossier, DossierError> {
        let mut tx = self.db.begin().await?;
        let found = store::get(&mut *tx, draft_id).await?;
        let mut d = match found {
            Some(d) if d.applicant_account == who.account_id => d,
            found => {
                drop(tx);
                theirs(found, &who.account_id, draft_id).await;
                return Err(DossierError::NotFound(draft_id.into()));
            }
        };
        if d.status != DossierStatus::Draft {
            return Err(DossierError::Conflict(format!(
                "Hồ sơ {} đã nộp.",
                d.code.clone().unwrap_or_default()
            )));
        }
        let p = self.open_procedure(&d.procedure_code).await?;
        let files = store::files(&mut *tx, &d.id).await?;
        let values = self.problems(&p, &d, &files).map_err(DossierError::Invalid)?;
        d.form = json!(values);
        self.finish_submission(&mut tx, who, &mut d, files.len(), false, None).await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(d)
    }

    /// A number for a dossier code, taken ahead of the submitting transaction on
    /// PostgreSQL: the counter row of a busy agency would otherwise stay locked until each
    /// submission commits, one after another. A submission that then fails leaves a gap in
    /// the day's numbers, which TT 01/2018 allows (codes must be unique, not gapless). On
    /// SQLite, where writers take turns anyway, the number is taken inside the transaction.
    pub(super) async fn early_seq(
        &self,
        agency: &str,
    ) -> Result<Option<(chrono::NaiveDate, i64)>, DossierError> {
        if self.db.backend() != cqdt_platform::Backend::Postgres {
            return Ok(None);
        }
        let mut conn = self.db.pool().acquire().await.map_err(|source| {
            cqdt_platform::DbError::Sqlx { context: "numbering a dossier", source }
        })?;
        let today = self.today();
        let day = today.format("%Y-%m-%d").to_string();
        Ok(Some((today, store::next_seq(&mut conn, agency, &day).await?)))
    }

    pub(super) async fn finish_submission(
        &self,
        tx: &mut Tx,
        who: &Applicant,
        d: &mut Dossier,
        file_count: usize,
        new_row: bool,
        seq: Option<(chrono::NaiveDate, i64)>,
    ) -> Result<(), DossierError> {
        let now = self.clock.now();
        // A number taken early belongs to the day it was taken on, even if midnight has
        // passed since: the code must name the day whose counter issued it.
        let (today, seq) = match seq {
            Some(early) => early,
            None => {
                let today = self.today();
                let day = today.format("%Y-%m-%d").to_string();
                (today, store::next_seq(tx, &d.agency_code, &day).await?)
            }
        };
        let code = dossier_code(&d.agency_code, today, seq);
        mark_submitted(d, code, &now);
        if new_row {
            store::insert(tx, d).await?;
        } else {
            store::update(tx, d).await?;
        }
        store::insert_event(tx, &d.id, &submission_step(who, d, file_count)).await?;
        for req in submission_notices(d, now) {
            self.notifier
                .send(tx, &req)
                .await
                .map_err(|e| DossierError::Internal(format!("thông báo: {e}")))?;
        }
        // Last, so that the audit chain's lock is held only until the commit that follows.
        self.audit.record(tx, submission_audit(who, d, file_count)).await?;
        Ok(())
    }

    /// Published procedures whose dossiers an agency receives, by name.
    #[tracing::instrument(skip(self))]
    pub async fn procedures_received_by(
        &self,
        agency_code: &str,
    ) -> Result<Vec<(String, String)>, DossierError> {
        let list = self
            .procedures
            .list(Some(cqdt_procedures::Status::Published))
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?;
        let mut out: Vec<(String, String)> = list
            .into_iter()
            .filter(|e| self.agency(&e.procedure, agency_code).is_ok())
            .map(|e| (e.procedure.code, e.procedure.name))
            .collect();
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    /// A dossier brought to the counter (trực tiếp): the reception officer enters the
    /// applicant, the e-form and the scanned documents, and it is received at once with its
    /// appointment date. Everything is checked before anything is written.
    #[tracing::instrument(skip_all, fields(procedure = procedure_code, agency = agency_code))]
    pub async fn file_at_counter(
        &self,
        official: &Principal,
        applicant: &Applicant,
        procedure_code: &str,
        agency_code: &str,
        submitted: &BTreeMap<String, String>,
        uploads: &[Upload],
    ) -> Result<Dossier, DossierError> {
        if !official.can(Role::ReceptionOfficer, agency_code) {
            return Err(DossierError::Forbidden(
                "Chỉ cán bộ tiếp nhận của cơ quan mới nhập hồ sơ tại quầy.".into(),
            ));
        }
        let p = self.open_procedure(procedure_code).await?;
        let missing = |name: &str| format!("Chưa có bản quét “{name}”.");
        self.check_filing(&p, agency_code, submitted, uploads, missing)
            .await
            .map_err(DossierError::Invalid)?;
        let (draft, problems) = self
            .save_draft(applicant, None, procedure_code, agency_code, submitted, uploads)
            .await?;
        if !problems.is_empty() {
            return Err(DossierError::Invalid(problems));
        }
        let d = self.submit(applicant, &draft.id).await?;
        let code = d.code.clone().unwrap_or_default();
        self.act(official, &code, OfficeAction::Receive { due_date: None }).await
    }

    /// Everything a dossier filed in one step must pass, as the portal's review does: the
    /// receiving agency, the e-form, each upload (recognised by its content: a PDF, JPEG or
    /// PNG within the size limit, not a file renamed) and every required component. The
    /// uploads are put in the file store (by content, so nothing of the dossier is written);
    /// `missing` words a required component without a file.
    async fn check_filing(
        &self,
        p: &Procedure,
        agency_code: &str,
        submitted: &BTreeMap<String, String>,
        uploads: &[Upload],
        missing: impl Fn(&str) -> String,
    ) -> Result<(Agency, form::FormValues, Vec<DossierFile>), Vec<FieldError>> {
        let mut errors = Vec::new();
        let agency = self.agency(p, agency_code).map_err(|e| errors.push(e)).ok();
        let values = form::check(
            &p.form,
            submitted,
            &self.catalogs(),
            &self.directory.admin_units(),
            self.today(),
        )
        .map_err(|e| errors.extend(e))
        .ok();
        let (mut files, problems) = self.store_uploads(p, uploads).await;
        errors.extend(problems);
        for (i, c) in p.components.iter().enumerate() {
            if c.required && !files.iter().any(|f| f.component == i as i64) {
                errors.push(field_error(&format!("file_{i}"), missing(&c.name)));
            }
        }
        // The same content sent twice for a component is attached once.
        let mut seen = std::collections::BTreeSet::new();
        files.retain(|f| seen.insert((f.component, f.sha256.clone())));
        match (agency, values) {
            (Some(agency), Some(values)) if errors.is_empty() => Ok((agency, values, files)),
            _ => Err(dedup(errors)),
        }
    }

    /// Files and submits in one step (the API for kiosks and mobile apps), with the same
    /// checks as the portal: e-form, attachments by content, required components.
    #[tracing::instrument(skip_all, fields(procedure = procedure_code, agency = agency_code))]
    pub async fn file_directly(
        &self,
        who: &Applicant,
        procedure_code: &str,
        agency_code: &str,
        submitted: &BTreeMap<String, String>,
        uploads: &[Upload],
    ) -> Result<Dossier, DossierError> {
        let p = self.open_procedure(procedure_code).await?;
        let missing = |name: &str| format!("Chưa đính kèm “{name}”.");
        let (agency, values, files) = self
            .check_filing(&p, agency_code, submitted, uploads, missing)
            .await
            .map_err(DossierError::Invalid)?;
        let now = format_ts(self.clock.now());
        let d = Dossier {
            id: format!("{:032x}", rand::random::<u128>()),
            code: None,
            procedure_code: p.code.clone(),
            procedure_name: p.name.clone(),
            agency_code: agency.code,
            agency_name: agency.name,
            applicant_account: who.account_id.clone(),
            applicant_name: who.name.clone(),
            applicant_phone: who.phone.clone(),
            applicant_email: who.email.clone(),
            form: json!(values),
            status: DossierStatus::Draft,
            created_at: now.clone(),
            submitted_at: None,
            updated_at: now,
            due_date: None,
            finished_at: None,
        };
        self.submit_batched(who, d, files).await
    }

    /// The applicant's dossiers, newest first.
    #[tracing::instrument(skip_all)]
    pub async fn mine(&self, account: &str) -> Result<Vec<Dossier>, DossierError> {
        Ok(store::of_applicant(self.db.pool(), account).await?)
    }

    /// The applicant's latest in-app notices (dossier status changes), newest first.
    #[tracing::instrument(skip_all)]
    pub async fn notices(&self, account: &str) -> Result<Vec<cqdt_notify::Notice>, DossierError> {
        self.notifier.notices(account, 10).await.map_err(|e| DossierError::Internal(e.to_string()))
    }

    /// One of the applicant's dossiers (by id or code) with files and timeline.
    #[tracing::instrument(skip_all, fields(dossier = id_or_code))]
    pub async fn view_for(
        &self,
        account: &str,
        id_or_code: &str,
    ) -> Result<DossierView, DossierError> {
        let found = store::get(self.db.pool(), id_or_code).await?;
        let d = theirs(found, account, id_or_code)
            .await
            .ok_or_else(|| DossierError::NotFound(id_or_code.into()))?;
        self.view_of(d).await
    }

    /// What anyone holding a code may see: procedure, agency, status and dates; no personal
    /// data.
    #[tracing::instrument(skip(self))]
    pub async fn lookup(&self, code: &str) -> Result<Option<PublicStatus>, DossierError> {
        // Codes are printed in capitals (…H51-…); people type them in any case.
        let code = code.trim().to_uppercase();
        let Some(d) = store::get(self.db.pool(), &code).await? else {
            return Ok(None);
        };
        if d.code.as_deref() != Some(code.as_str()) {
            return Ok(None);
        }
        let events = store::events(self.db.pool(), &d.id).await?;
        Ok(Some(PublicStatus {
            code: d.code,
            procedure_name: d.procedure_name,
            agency_name: d.agency_name,
            status: d.status,
            status_label: d.status.label().to_string(),
            submitted_at: d.submitted_at,
            due_date: d.due_date,
            steps: events
                .iter()
                .map(|e| PublicStep {
                    at: e.at.clone(),
                    status: e.status,
                    status_label: e.status.label().to_string(),
                })
                .collect(),
        }))
    }
}

pub(super) fn mark_submitted(d: &mut Dossier, code: String, now: &chrono::DateTime<Utc>) {
    d.code = Some(code);
    d.status = DossierStatus::Submitted;
    d.submitted_at = Some(format_ts(*now));
    d.updated_at = format_ts(*now);
}

/// The timeline step of a submission.
pub(super) fn submission_step(who: &Applicant, d: &Dossier, file_count: usize) -> DossierEvent {
    DossierEvent {
        at: d.updated_at.clone(),
        status: DossierStatus::Submitted,
        actor: who.actor.clone(),
        note: if file_count == 0 {
            format!(
                "Nộp hồ sơ trực tuyến tới {}; giấy tờ xuất trình khi cán bộ tiếp nhận.",
                d.agency_name
            )
        } else {
            format!("Nộp hồ sơ trực tuyến tới {}.", d.agency_name)
        },
    }
}

/// The e-mail and SMS that confirm a submission.
pub(super) fn submission_notices(
    d: &Dossier,
    now: chrono::DateTime<Utc>,
) -> Vec<NotificationRequest> {
    let code = d.code.clone().unwrap_or_default();
    let subject = format!("Đã nộp hồ sơ {code}");
    let body = format!(
        "Kính gửi ông/bà {},\n\nHệ thống đã nhận hồ sơ trực tuyến số {code} về thủ tục “{}”, gửi {} lúc {}.\nHồ sơ đang chờ cán bộ tiếp nhận kiểm tra; ông/bà sẽ nhận thông báo khi hồ sơ được tiếp nhận, kèm ngày hẹn trả kết quả.\n\nTra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng Dịch vụ công.",
        d.applicant_name,
        d.procedure_name,
        d.agency_name,
        cqdt_platform::clock::format_ts_vn(now)
    );
    let mut notices = Vec::new();
    if let Some(e) = &d.applicant_email {
        notices.push((Channel::Email, e.clone(), body));
    }
    if let Some(p) = &d.applicant_phone {
        notices.push((
            Channel::Sms,
            p.clone(),
            format!("Da nhan ho so {code} ({}), dang cho tiep nhan.", d.agency_name),
        ));
    }
    notices
        .into_iter()
        .map(|(channel, to, text)| {
            let mut req = NotificationRequest::new(channel, to, "generic");
            req.params.insert("subject".into(), subject.clone());
            req.params.insert("body".into(), text);
            req
        })
        .collect()
}

/// The audit event of a submission.
pub(super) fn submission_audit(who: &Applicant, d: &Dossier, file_count: usize) -> AuditEvent {
    AuditEvent::new(&who.actor, "dossier.submit", "dossier")
        .object(d.code.clone().unwrap_or_default())
        .agency(d.agency_code.clone())
        .details(json!({"procedure": d.procedure_code, "files": file_count}))
}

fn dedup(errors: Vec<FieldError>) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::new();
    for e in errors {
        if !out.iter().any(|x| x.field == e.field && x.message == e.message) {
            out.push(e);
        }
    }
    out
}

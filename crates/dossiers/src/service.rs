//! Use cases of filing: drafts with their e-form and attachments, submission with a dossier
//! code and a confirmation by e-mail and SMS, the applicant's list and timeline, the public
//! lookup. Every change is audited; nothing is written when a check fails.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use chrono::Utc;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_calendar::CalendarService;
use cqdt_notify::{Channel, NotificationRequest, Notifier};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, FieldError, FileStore, MediaType, Principal, Role, SharedClock, Tx};
use cqdt_procedures::model::{Level, Procedure};
use cqdt_procedures::{ProcedureService, Status};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::address::AdminUnits;
use crate::error::DossierError;
use crate::form::{self, CatalogValues};
use crate::model::{
    dossier_code, Dossier, DossierEvent, DossierFile, DossierStatus, Rating, ResultDoc,
    SupplementRequest,
};

mod life;
mod result_doc;
use crate::store;
pub use life::{may_issue_result, Deadline, OfficeAction, Statistics, StatsBy, WorkItem};
pub use result_doc::ResultDraft;

/// What the account knows about the person filing.
#[derive(Debug, Clone, Default)]
pub struct Applicant {
    /// Account id.
    pub account_id: String,
    /// Actor name for the audit log.
    pub actor: String,
    /// Full name.
    pub name: String,
    /// Personal ID, if a citizen.
    pub personal_id: Option<String>,
    /// Phone, `+84…`.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Date of birth, `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Contact address as the account holder wrote it.
    pub address: Option<String>,
}

impl Applicant {
    /// The facts the e-form is pre-filled with, as the applicant would type them.
    pub fn facts(&self) -> BTreeMap<&'static str, String> {
        let mut m = BTreeMap::new();
        m.insert("name", self.name.clone());
        if let Some(p) = &self.personal_id {
            m.insert("personal_id", p.clone());
        }
        if let Some(p) = &self.phone {
            m.insert("phone", p.replacen("+84", "0", 1));
        }
        if let Some(e) = &self.email {
            m.insert("email", e.clone());
        }
        if let Some(a) = &self.address {
            m.insert("address", a.clone());
        }
        if let Some(b) = &self.birth_date {
            if let Ok(d) = chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d") {
                m.insert("birth_date", d.format("%d/%m/%Y").to_string());
            }
        }
        m
    }
}

/// An agency that can receive dossiers.
#[derive(Debug, Clone)]
pub struct Agency {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Kind in the agency catalog (`department`, `district_committee`, `commune_committee`…).
    pub kind: String,
}

/// The directories the filing needs from other modules, read at the moment of use.
pub trait Directory: Send + Sync {
    /// Every agency of the province.
    fn agencies(&self) -> Arc<Vec<Agency>>;
    /// The values of the shared catalogs e-form choices name.
    fn catalogs(&self) -> Arc<CatalogValues>;
    /// The administrative units in force, for address fields.
    fn admin_units(&self) -> Arc<AdminUnits>;
}

/// A file as uploaded, for a component.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Index of the component in the procedure.
    pub component: usize,
    /// Name as the browser sent it.
    pub file_name: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A dossier with its files and timeline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DossierView {
    /// The dossier.
    #[serde(flatten)]
    pub dossier: Dossier,
    /// Files.
    pub files: Vec<DossierFile>,
    /// Timeline.
    pub events: Vec<DossierEvent>,
    /// Supplement requests with their answers.
    pub supplements: Vec<SupplementRequest>,
    /// Result documents.
    pub results: Vec<ResultDoc>,
    /// The applicant's rating, once given.
    pub rating: Option<Rating>,
    /// Apologies for lateness with new return dates (Mẫu 04).
    pub apologies: Vec<crate::model::Apology>,
}

/// The dossiers service. Cheap to clone.
#[derive(Clone)]
pub struct DossierService {
    db: Db,
    clock: SharedClock,
    audit: Audit,
    files: FileStore,
    notifier: Notifier,
    procedures: ProcedureService,
    calendar: CalendarService,
    workflow: cqdt_workflow::WorkflowService,
    directory: Arc<dyn Directory>,
    /// The batch writer of direct submissions, started on first use.
    batch: Arc<OnceLock<mpsc::Sender<Queued>>>,
}

/// A boxed future, for handlers that build applicants from other modules.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Kinds of agencies that receive dossiers of a level.
fn kinds_for(level: Level) -> &'static [&'static str] {
    match level {
        Level::Tinh => &["other", "department", "board", "office"],
        Level::Huyen => &["district_committee"],
        Level::Xa => &["commune_committee"],
    }
}

/// The other modules a dossier service works with, through their public APIs.
#[derive(Clone)]
pub struct Neighbours {
    /// The audit log.
    pub audit: Audit,
    /// Notifications by e-mail, SMS and in-app.
    pub notifier: Notifier,
    /// The procedure catalog.
    pub procedures: ProcedureService,
    /// The working-day calendar, for appointment dates.
    pub calendar: CalendarService,
    /// The business-process engine that runs each procedure's processing.
    pub workflow: cqdt_workflow::WorkflowService,
}

impl DossierService {
    /// A service over the platform's database and files and the neighbouring modules.
    pub fn new(
        db: Db,
        clock: SharedClock,
        files: FileStore,
        neighbours: Neighbours,
        directory: Arc<dyn Directory>,
    ) -> Self {
        let Neighbours {
            audit,
            notifier,
            procedures,
            calendar,
            workflow,
        } = neighbours;
        DossierService {
            db,
            clock,
            audit,
            files,
            notifier,
            procedures,
            calendar,
            workflow,
            directory,
            batch: Arc::new(OnceLock::new()),
        }
    }

    /// The catalogs of e-form choices.
    pub fn catalogs(&self) -> Arc<CatalogValues> {
        self.directory.catalogs()
    }

    /// An agency's name, or its code when the catalog does not know it.
    pub fn agency_name(&self, code: &str) -> String {
        self.directory
            .agencies()
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.name.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// The administrative units in force, for address fields.
    pub fn admin_units(&self) -> Arc<AdminUnits> {
        self.directory.admin_units()
    }

    /// The agencies that receive dossiers of a procedure (by its levels).
    pub fn receiving_agencies(&self, p: &Procedure) -> Vec<Agency> {
        let kinds: Vec<&str> = p
            .levels
            .iter()
            .flat_map(|l| kinds_for(*l).iter().copied())
            .collect();
        let mut v: Vec<Agency> = self
            .directory
            .agencies()
            .iter()
            .filter(|a| kinds.contains(&a.kind.as_str()))
            .cloned()
            .collect();
        // The one-stop centre first: it receives for the province's departments.
        v.sort_by_key(|a| (a.kind != "other", a.code.clone()));
        v
    }

    /// A procedure that takes dossiers now.
    pub async fn open_procedure(&self, code: &str) -> Result<Arc<Procedure>, DossierError> {
        if let Some(p) = self.procedures.published(code) {
            return Ok(p);
        }
        match self.procedures.get(code).await {
            Ok(Some(e)) if e.status == Status::Published => Ok(Arc::new(e.procedure)),
            Ok(Some(e)) if e.status == Status::Retired => Err(DossierError::Closed(format!(
                "Thủ tục “{}” đã bãi bỏ, không tiếp nhận hồ sơ mới.",
                e.procedure.name
            ))),
            Ok(_) => Err(DossierError::Closed(format!(
                "Không có thủ tục {code} đang áp dụng."
            ))),
            Err(e) => Err(DossierError::Internal(e.to_string())),
        }
    }

    fn today_vn(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    fn agency(&self, p: &Procedure, code: &str) -> Result<Agency, FieldError> {
        let kinds: Vec<&str> = p
            .levels
            .iter()
            .flat_map(|l| kinds_for(*l).iter().copied())
            .collect();
        self.directory
            .agencies()
            .iter()
            .find(|a| a.code == code && kinds.contains(&a.kind.as_str()))
            .cloned()
            .ok_or_else(|| {
                field_error(
                    "agency",
                    "Hãy chọn cơ quan tiếp nhận hồ sơ trong danh sách.",
                )
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
                errors.push(field_error(
                    &field,
                    "Thành phần hồ sơ không có trong thủ tục.",
                ));
                continue;
            };
            match self.files.put(&u.bytes, Some(&u.file_name)).await {
                Ok(f)
                    if matches!(
                        f.media_type,
                        MediaType::Pdf | MediaType::Png | MediaType::Jpeg
                    ) =>
                {
                    stored.push(DossierFile {
                        component: u.component as i64,
                        sha256: f.sha256,
                        file_name: u
                            .file_name
                            .chars()
                            .filter(|c| !c.is_control())
                            .take(200)
                            .collect(),
                        media_type: f.media_type.mime().to_string(),
                        size: f.size,
                    })
                }
                Ok(_) => errors.push(field_error(
                    &field,
                    format!("{}: chỉ nhận tệp PDF, JPEG hoặc PNG.", component.name),
                )),
                Err(cqdt_platform::PlatformError::Rejected(m)) => {
                    errors.push(field_error(&field, format!("{}: {m}", component.name)))
                }
                Err(e) => errors.push(field_error(
                    &field,
                    format!("{}: không lưu được tệp ({e}).", component.name),
                )),
            }
        }
        (stored, errors)
    }

    /// Saves a draft (new when `draft_id` is `None`): the raw e-form values, the receiving
    /// agency and the files. Returns the draft and the problems that still stop submission.
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
        let (files, mut problems) = self.store_uploads(&p, uploads).await;
        let now = format_ts(self.clock.now());
        let raw: serde_json::Map<String, Value> = p
            .form
            .iter()
            .flat_map(|f| {
                // An address travels in parts: the street under its key, province and commune
                // beside it.
                let (tinh, xa, _) = form::address_keys(&f.key);
                let mut keys = vec![f.key.clone()];
                if f.kind == cqdt_procedures::model::FieldType::Address {
                    keys.extend([tinh, xa]);
                }
                keys
            })
            .filter_map(|k| {
                submitted
                    .get(&k)
                    .map(|v| (k.clone(), Value::String(v.chars().take(10_000).collect())))
            })
            .collect();
        let agency = self.agency(&p, agency_code);
        let mut tx = self.db.begin().await?;
        let mut d = match draft_id {
            Some(id) => {
                let d = store::get(&mut *tx, id)
                    .await?
                    .filter(|d| {
                        d.applicant_account == who.account_id
                            && d.status == DossierStatus::Draft
                            && d.procedure_code == p.code
                    })
                    .ok_or_else(|| DossierError::NotFound(id.into()))?;
                d
            }
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
            errors.push(field_error(
                "agency",
                "Hãy chọn cơ quan tiếp nhận hồ sơ trong danh sách.",
            ));
        }
        let values = match form::check(
            &p.form,
            &submitted,
            &self.catalogs(),
            &self.directory.admin_units(),
            self.today_vn(),
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
    pub async fn submit(&self, who: &Applicant, draft_id: &str) -> Result<Dossier, DossierError> {
        let mut tx = self.db.begin().await?;
        let mut d = store::get(&mut *tx, draft_id)
            .await?
            .filter(|d| d.applicant_account == who.account_id)
            .ok_or_else(|| DossierError::NotFound(draft_id.into()))?;
        if d.status != DossierStatus::Draft {
            return Err(DossierError::Conflict(format!(
                "Hồ sơ {} đã nộp.",
                d.code.clone().unwrap_or_default()
            )));
        }
        let p = self.open_procedure(&d.procedure_code).await?;
        let files = store::files(&mut *tx, &d.id).await?;
        let values = self
            .problems(&p, &d, &files)
            .map_err(DossierError::Invalid)?;
        d.form = json!(values);
        self.finish_submission(&mut tx, who, &mut d, files.len(), false, None)
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(d)
    }

    /// A number for a dossier code, taken ahead of the submitting transaction on
    /// PostgreSQL: the counter row of a busy agency would otherwise stay locked until each
    /// submission commits, one after another. A submission that then fails leaves a gap in
    /// the day's numbers, which TT 01/2018 allows (codes must be unique, not gapless). On
    /// SQLite, where writers take turns anyway, the number is taken inside the transaction.
    async fn early_seq(
        &self,
        agency: &str,
    ) -> Result<Option<(chrono::NaiveDate, i64)>, DossierError> {
        if self.db.backend() != cqdt_platform::Backend::Postgres {
            return Ok(None);
        }
        let mut conn =
            self.db
                .pool()
                .acquire()
                .await
                .map_err(|source| cqdt_platform::DbError::Sqlx {
                    context: "numbering a dossier",
                    source,
                })?;
        let today = self.today_vn();
        let day = today.format("%Y-%m-%d").to_string();
        Ok(Some((
            today,
            store::next_seq(&mut conn, agency, &day).await?,
        )))
    }

    async fn finish_submission(
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
                let today = self.today_vn();
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
        self.audit
            .record(tx, submission_audit(who, d, file_count))
            .await?;
        Ok(())
    }

    /// Submits new dossiers through the batch writer: one transaction, and a handful of
    /// statements, for all the submissions waiting at that moment (group commit).
    async fn submit_batched(&self, who: &Applicant, d: Dossier) -> Result<Dossier, DossierError> {
        let writer = self
            .batch
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
                tokio::spawn(self.clone().write_batches(rx));
                tx
            })
            .clone();
        let (reply, answer) = oneshot::channel();
        writer
            .send(Queued {
                who: who.clone(),
                dossier: d,
                reply,
            })
            .await
            .map_err(|_| DossierError::Internal("bộ ghi hồ sơ đã dừng".into()))?;
        answer
            .await
            .map_err(|_| DossierError::Internal("bộ ghi hồ sơ đã dừng".into()))?
    }

    async fn write_batches(self, mut rx: mpsc::Receiver<Queued>) {
        let mut buf = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut buf, MAX_BATCH).await > 0 {
            let mut batch = std::mem::take(&mut buf);
            match self.commit_batch(&mut batch).await {
                Ok(()) => {
                    self.notifier.wake();
                    for q in batch {
                        let _ = q.reply.send(Ok(q.dossier));
                    }
                }
                Err(e) => {
                    if batch.len() > 1 {
                        tracing::warn!(error = %e, size = batch.len(), "batch of submissions failed; retrying one by one");
                    }
                    // Each alone, so that one bad submission fails only itself.
                    for mut q in batch {
                        let result = self.submit_alone(&q.who, &mut q.dossier).await;
                        let _ = q.reply.send(result.map(|()| q.dossier));
                    }
                }
            }
        }
    }

    async fn submit_alone(&self, who: &Applicant, d: &mut Dossier) -> Result<(), DossierError> {
        let seq = self.early_seq(&d.agency_code).await?;
        let mut tx = self.db.begin().await?;
        self.finish_submission(&mut tx, who, d, 0, true, seq)
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(())
    }

    async fn commit_batch(&self, batch: &mut [Queued]) -> Result<(), DossierError> {
        let now = self.clock.now();
        let today = self.today_vn();
        let day = today.format("%Y-%m-%d").to_string();
        let mut tx = self.db.begin().await?;
        let mut by_agency: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, q) in batch.iter().enumerate() {
            by_agency
                .entry(q.dossier.agency_code.clone())
                .or_default()
                .push(i);
        }
        for (agency, members) in by_agency {
            let n = members.len() as i64;
            let last = store::next_seqs(&mut tx, &agency, &day, n).await?;
            for (k, i) in members.into_iter().enumerate() {
                let code = dossier_code(&agency, today, last - n + 1 + k as i64);
                mark_submitted(&mut batch[i].dossier, code, &now);
            }
        }
        let dossiers: Vec<Dossier> = batch.iter().map(|q| q.dossier.clone()).collect();
        store::insert_many(&mut tx, &dossiers).await?;
        let steps: Vec<DossierEvent> = batch
            .iter()
            .map(|q| submission_step(&q.who, &q.dossier, 0))
            .collect();
        let firsts: Vec<(&str, &DossierEvent)> = batch
            .iter()
            .zip(&steps)
            .map(|(q, e)| (q.dossier.id.as_str(), e))
            .collect();
        store::insert_first_events(&mut tx, &firsts).await?;
        let notices: Vec<NotificationRequest> = batch
            .iter()
            .flat_map(|q| submission_notices(&q.dossier, now))
            .collect();
        self.notifier
            .send_many(&mut tx, &notices)
            .await
            .map_err(|e| DossierError::Internal(format!("thông báo: {e}")))?;
        let audits: Vec<AuditEvent> = batch
            .iter()
            .map(|q| submission_audit(&q.who, &q.dossier, 0))
            .collect();
        self.audit.record_many(&mut tx, &audits).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Published procedures whose dossiers an agency receives, by name.
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
        let mut errors = Vec::new();
        if let Err(e) = self.agency(&p, agency_code) {
            errors.push(e);
        }
        if let Err(e) = form::check(
            &p.form,
            submitted,
            &self.catalogs(),
            &self.directory.admin_units(),
            self.today_vn(),
        ) {
            errors.extend(e);
        }
        let (files, problems) = self.store_uploads(&p, uploads).await;
        errors.extend(problems);
        for (i, c) in p.components.iter().enumerate() {
            if c.required && !files.iter().any(|f| f.component == i as i64) {
                errors.push(field_error(
                    &format!("file_{i}"),
                    format!("Chưa có bản quét “{}”.", c.name),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(DossierError::Invalid(dedup(errors)));
        }
        let (draft, problems) = self
            .save_draft(
                applicant,
                None,
                procedure_code,
                agency_code,
                submitted,
                uploads,
            )
            .await?;
        if !problems.is_empty() {
            return Err(DossierError::Invalid(problems));
        }
        let d = self.submit(applicant, &draft.id).await?;
        let code = d.code.clone().unwrap_or_default();
        self.act(official, &code, OfficeAction::Receive { due_date: None })
            .await
    }

    /// Files and submits in one step (the API for kiosks and mobile apps; no attachments).
    pub async fn file_directly(
        &self,
        who: &Applicant,
        procedure_code: &str,
        agency_code: &str,
        submitted: &BTreeMap<String, String>,
    ) -> Result<Dossier, DossierError> {
        let p = self.open_procedure(procedure_code).await?;
        let mut errors = Vec::new();
        let agency = self
            .agency(&p, agency_code)
            .map_err(|e| errors.push(e))
            .ok();
        let values = form::check(
            &p.form,
            submitted,
            &self.catalogs(),
            &self.directory.admin_units(),
            self.today_vn(),
        )
        .map_err(|e| errors.extend(e))
        .ok();
        let (Some(agency), Some(values)) = (agency, values) else {
            return Err(DossierError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(DossierError::Invalid(errors));
        }
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
        self.submit_batched(who, d).await
    }

    /// The applicant's dossiers, newest first.
    pub async fn mine(&self, account: &str) -> Result<Vec<Dossier>, DossierError> {
        Ok(store::of_applicant(self.db.pool(), account).await?)
    }

    /// The applicant's latest in-app notices (dossier status changes), newest first.
    pub async fn notices(&self, account: &str) -> Result<Vec<cqdt_notify::Notice>, DossierError> {
        self.notifier
            .notices(account, 10)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))
    }

    /// One of the applicant's dossiers (by id or code) with files and timeline.
    pub async fn view_for(
        &self,
        account: &str,
        id_or_code: &str,
    ) -> Result<DossierView, DossierError> {
        let d = store::get(self.db.pool(), id_or_code)
            .await?
            .filter(|d| d.applicant_account == account)
            .ok_or_else(|| DossierError::NotFound(id_or_code.into()))?;
        self.view_of(d).await
    }

    /// What anyone holding a code may see: procedure, agency, status and dates; no personal
    /// data.
    pub async fn lookup(&self, code: &str) -> Result<Option<Value>, DossierError> {
        let Some(d) = store::get(self.db.pool(), code.trim()).await? else {
            return Ok(None);
        };
        if d.code.as_deref() != Some(code.trim()) {
            return Ok(None);
        }
        let events = store::events(self.db.pool(), &d.id).await?;
        Ok(Some(json!({
            "code": d.code, "procedure_name": d.procedure_name, "agency_name": d.agency_name,
            "status": d.status, "status_label": d.status.label(), "submitted_at": d.submitted_at,
            "steps": events.iter().map(|e| json!({"at": e.at, "status": e.status, "status_label": e.status.label()})).collect::<Vec<_>>(),
        })))
    }

    /// The current time, for views.
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.clock.now()
    }
}

/// Most submissions one batch transaction takes.
const MAX_BATCH: usize = 64;

/// A submission waiting for the batch writer.
struct Queued {
    who: Applicant,
    dossier: Dossier,
    reply: oneshot::Sender<Result<Dossier, DossierError>>,
}

fn mark_submitted(d: &mut Dossier, code: String, now: &chrono::DateTime<Utc>) {
    d.code = Some(code);
    d.status = DossierStatus::Submitted;
    d.submitted_at = Some(format_ts(*now));
    d.updated_at = format_ts(*now);
}

/// The timeline step of a submission.
fn submission_step(who: &Applicant, d: &Dossier, file_count: usize) -> DossierEvent {
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
fn submission_notices(d: &Dossier, now: chrono::DateTime<Utc>) -> Vec<NotificationRequest> {
    let code = d.code.clone().unwrap_or_default();
    let subject = format!("Đã nộp hồ sơ {code}");
    let body = format!(
        "Kính gửi ông/bà {},\n\nHệ thống đã nhận hồ sơ trực tuyến số {code} về thủ tục “{}”, gửi {} lúc {}.\nHồ sơ đang chờ cán bộ tiếp nhận kiểm tra; ông/bà sẽ nhận thông báo khi hồ sơ được tiếp nhận, kèm ngày hẹn trả kết quả.\n\nTra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng Dịch vụ công.",
        d.applicant_name,
        d.procedure_name,
        d.agency_name,
        (now + chrono::Duration::hours(7)).format("%H:%M ngày %d/%m/%Y")
    );
    let mut notices = Vec::new();
    if let Some(e) = &d.applicant_email {
        notices.push((Channel::Email, e.clone(), body));
    }
    if let Some(p) = &d.applicant_phone {
        notices.push((
            Channel::Sms,
            p.clone(),
            format!(
                "Da nhan ho so {code} ({}), dang cho tiep nhan.",
                d.agency_name
            ),
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
fn submission_audit(who: &Applicant, d: &Dossier, file_count: usize) -> AuditEvent {
    AuditEvent::new(&who.actor, "dossier.submit", "dossier")
        .object(d.code.clone().unwrap_or_default())
        .agency(d.agency_code.clone())
        .details(json!({"procedure": d.procedure_code, "files": file_count}))
}

fn dedup(errors: Vec<FieldError>) -> Vec<FieldError> {
    let mut out: Vec<FieldError> = Vec::new();
    for e in errors {
        if !out
            .iter()
            .any(|x| x.field == e.field && x.message == e.message)
        {
            out.push(e);
        }
    }
    out
}

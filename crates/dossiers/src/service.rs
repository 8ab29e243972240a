//! Use cases of dossiers: filing (drafts with their e-form and attachments, submission with
//! a dossier code and a confirmation by e-mail and SMS, the applicant's list and timeline,
//! the public lookup) in [`filing`]; the life after submission (the back office's actions,
//! the applicant's supplement, withdrawal and rating) in [`life`], each status change decided
//! by [`transition`] and written by one persist step; the back office's scope, process tasks,
//! deadlines, statistics and ledger. Every change is audited; nothing is written when a check
//! fails.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use cqdt_audit::Audit;
use cqdt_calendar::CalendarService;
use cqdt_notify::Notifier;
use cqdt_platform::auth::SecurityEvent;
use cqdt_platform::service::upload_refused;
use cqdt_platform::{
    Db, FieldError, FileStore, MediaType, PlatformError, Principal, SharedClock, StoredFile,
};
use cqdt_procedures::model::{FormField, Level, Procedure};
use cqdt_procedures::{ProcedureService, Status};
use tokio::sync::mpsc;

use crate::address::AdminUnits;
use crate::display::Labels;
use crate::error::DossierError;
use crate::form::CatalogValues;
use crate::model::{Dossier, DossierEvent, DossierFile, Rating, ResultDoc, SupplementRequest};
use crate::store;

mod batch;
mod deadlines;
mod filing;
mod life;
mod national;
mod office;
pub mod portal;
mod result_doc;
mod stats;
mod transition;

pub use deadlines::{appointment, deadline, Deadline};
pub use filing::{PublicStatus, PublicStep};
pub use national::{applicant_from, enterprise_values, Check};
pub use office::{opinion_key, task_allows, task_opinion, task_role_label, WorkItem};
pub use result_doc::{result_title, signer_title, ResultDraft};
pub use stats::{Statistics, StatsBy};
pub use transition::{may_issue_result, OfficeAction};

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
    /// The place documents are dated from when the instance names its province ("Sóc
    /// Trăng" for "tỉnh Sóc Trăng"), so that the brand and the date line agree; `None`
    /// dates them from the home province in force.
    fn place_name(&self) -> Option<String> {
        None
    }
}

/// A file as uploaded, for a component.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Index of the component in the procedure.
    pub component: usize,
    /// Name as the browser sent it.
    pub file_name: String,
    /// The type the browser declared (the part's `Content-Type`), only for the record of a
    /// refusal: the content decides.
    pub declared_type: Option<String>,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A dossier with its files and timeline.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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
    /// The national systems asked at reception.
    national: cqdt_national::National,
    /// The outbox that reports to the national portal, once connected.
    portal_jobs: Option<cqdt_platform::JobQueue>,
    /// The batch writer of direct submissions, started on first use.
    batch: Arc<OnceLock<mpsc::Sender<batch::Queued>>>,
}

/// What became of a document put in the file store.
pub(crate) enum Put {
    /// Stored: a PDF, JPEG or PNG.
    Stored(StoredFile),
    /// Stored, but not a PDF, JPEG or PNG.
    WrongType,
    /// Refused by the file store (too large, empty…), with its reason in Vietnamese.
    Rejected(String),
    /// The file store failed.
    Failed(PlatformError),
}

/// A boxed future, for handlers that build applicants from other modules.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
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

/// A dossier found for `account`, if it is theirs. Anyone else's is a security event (who,
/// which dossier, the route) and, for the caller, no dossier: answered exactly as a missing
/// one, so codes cannot be probed. No transaction may be open (the event is written in one
/// of its own).
pub(crate) async fn theirs(found: Option<Dossier>, account: &str, asked: &str) -> Option<Dossier> {
    let d = found?;
    if d.applicant_account == account {
        return Some(d);
    }
    not_theirs(account, asked, &d).await;
    None
}

/// Records that `who` asked for dossier `d` (as `asked`), which is not theirs to see.
pub(crate) async fn not_theirs(who: &str, asked: &str, d: &Dossier) {
    let asked: String = asked.chars().take(80).collect();
    SecurityEvent::here("security.dossier_not_theirs")
        .actor(who)
        .details(serde_json::json!({
            "asked": asked,
            "dossier_id": d.id,
            "dossier_code": d.code,
            "agency": d.agency_code,
        }))
        .record()
        .await;
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
        let Neighbours { audit, notifier, procedures, calendar, workflow } = neighbours;
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
            national: cqdt_national::National::default(),
            portal_jobs: None,
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

    /// An e-form field's value as a person reads it (words, not codes; see
    /// [`crate::display`]); `None` when it was left empty.
    pub fn shown_value(&self, f: &FormField, form: &serde_json::Value) -> Option<String> {
        let (catalogs, units) = (self.catalogs(), self.admin_units());
        Labels { catalogs: &catalogs, units: &units }.value(f, form)
    }

    /// The e-form as label and value a person reads, in the procedure's order, empty
    /// fields left out.
    pub fn shown_form(
        &self,
        fields: &[FormField],
        form: &serde_json::Value,
    ) -> Vec<(String, String)> {
        let (catalogs, units) = (self.catalogs(), self.admin_units());
        Labels { catalogs: &catalogs, units: &units }.rows(fields, form)
    }

    /// The agencies that receive dossiers of a procedure (by its levels).
    pub fn receiving_agencies(&self, p: &Procedure) -> Vec<Agency> {
        let kinds: Vec<&str> =
            p.levels.iter().flat_map(|l| kinds_for(*l).iter().copied()).collect();
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

    /// The agencies in an official's scope (code, name), for filters.
    pub fn agencies_in_scope(&self, who: &Principal) -> Vec<(String, String)> {
        self.directory
            .agencies()
            .iter()
            .filter(|a| who.can_any(&office::OFFICE, &a.code))
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect()
    }

    /// A procedure that takes dossiers now.
    #[tracing::instrument(skip(self))]
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
                "Không có thủ tục {} đang áp dụng.",
                cqdt_platform::web::clip(code, 100)
            ))),
            Err(e) => Err(DossierError::Internal(e.to_string())),
        }
    }

    /// The procedure a dossier was filed under, as the catalog has it now.
    #[tracing::instrument(skip_all, fields(procedure = %d.procedure_code))]
    pub async fn procedure_of(&self, d: &Dossier) -> Result<Option<Procedure>, DossierError> {
        Ok(self
            .procedures
            .get(&d.procedure_code)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?
            .map(|e| e.procedure))
    }

    /// The procedure `code` as the catalog has it now; none when it is missing or cannot be
    /// read (for what it only adds detail to).
    pub(crate) async fn procedure_if_readable(&self, code: &str) -> Option<Procedure> {
        self.procedures.get(code).await.ok().flatten().map(|e| e.procedure)
    }

    /// Stores a document in the file store and says whether it is one a dossier takes.
    pub(crate) async fn put_document(&self, u: &Upload) -> Put {
        let declared = u.declared_type.as_deref();
        match self.files.put_declared(&u.bytes, Some(&u.file_name), declared).await {
            Ok(f) if matches!(f.media_type, MediaType::Pdf | MediaType::Png | MediaType::Jpeg) => {
                Put::Stored(f)
            }
            Ok(f) => {
                let size = Some(f.size as u64);
                upload_refused("type_not_taken", Some(&u.file_name), declared, size).await;
                Put::WrongType
            }
            Err(PlatformError::Rejected(m)) => Put::Rejected(m),
            Err(e) => Put::Failed(e),
        }
    }

    /// Files, timeline, supplement requests, results and rating of a dossier.
    pub(crate) async fn view_of(&self, d: Dossier) -> Result<DossierView, DossierError> {
        let pool = self.db.pool();
        Ok(DossierView {
            files: store::files(pool, &d.id).await?,
            events: store::events(pool, &d.id).await?,
            supplements: store::supplements(pool, &d.id).await?,
            results: store::results(pool, &d.id).await?,
            rating: store::rating(pool, &d.id).await?,
            apologies: store::apologies(pool, &d.id).await?,
            dossier: d,
        })
    }

    /// Today, by the service's clock (Vietnam time).
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.today()
    }

    /// The current time, for views.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

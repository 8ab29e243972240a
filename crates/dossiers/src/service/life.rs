//! The life of a dossier after submission: what the one-stop back office does to it
//! (receive with an appointment date, ask for a supplement, process, attach the result,
//! return it, refuse) and what the applicant does (answer a supplement request, withdraw,
//! download the result, rate the service). Every change is one transaction: the status
//! (moved only from the status it was read in, so two officials cannot both act), the
//! timeline step, the audit event and the applicant's notices by e-mail, SMS and in-app.

use chrono::NaiveDate;
use cqdt_audit::AuditEvent;
use cqdt_calendar::WorkingCalendar;
use cqdt_notify::{Channel, NotificationRequest};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, MediaType, Principal, Role, Tx};
use cqdt_procedures::model::{ProcessingTime, TimeUnit};
use serde_json::json;

use super::{field_error, DossierService, DossierView, Upload};
use crate::error::DossierError;
use crate::model::{
    rating_label, Apology, Dossier, DossierEvent, DossierFile, DossierStatus, Rating, ResultDoc,
    SupplementItem, SupplementRequest,
};
use crate::store;

/// What an official does to a dossier.
#[derive(Debug, Clone)]
pub enum OfficeAction {
    /// Accepts an online dossier as complete; the appointment date starts to run.
    Receive {
        /// Appointment date for the result; when absent, computed from the procedure's
        /// processing time and the working-day calendar ([`appointment`]).
        due_date: Option<NaiveDate>,
    },
    /// Asks the applicant for everything missing at once (Mẫu 02); the clock stops.
    RequestSupplement {
        /// What is missing or must be corrected.
        items: Vec<SupplementItem>,
        /// Guidance.
        note: String,
    },
    /// Hands the received dossier to processing.
    StartProcessing,
    /// Records that the result is returned to the applicant (at the counter, or online).
    Return,
    /// Refuses the dossier with reasons (Mẫu 03 at reception, or a refusal on the merits).
    Refuse {
        /// Why, in Vietnamese.
        reasons: String,
    },
    /// Apologises for a result that will be late and sets a new return date (Mẫu 04); the
    /// statistics still count the dossier against its statutory due date.
    Apologise {
        /// Why the result is late.
        reason: String,
        /// The new return date.
        new_due: NaiveDate,
    },
}

impl OfficeAction {
    fn name(&self) -> &'static str {
        match self {
            OfficeAction::Receive { .. } => "receive",
            OfficeAction::RequestSupplement { .. } => "request_supplement",
            OfficeAction::StartProcessing => "start_processing",
            OfficeAction::Return => "return",
            OfficeAction::Refuse { .. } => "refuse",
            OfficeAction::Apologise { .. } => "apologise",
        }
    }

    /// Roles that may take the action, and the statuses it starts from.
    fn rule(&self) -> (&'static [Role], &'static [DossierStatus]) {
        use DossierStatus as S;
        match self {
            OfficeAction::Receive { .. } => (&[Role::ReceptionOfficer], &[S::Submitted]),
            OfficeAction::RequestSupplement { .. } => (
                &[Role::ReceptionOfficer, Role::ProcessingOfficer],
                &[S::Submitted, S::Received, S::Processing],
            ),
            OfficeAction::StartProcessing => (
                &[Role::ReceptionOfficer, Role::ProcessingOfficer],
                &[S::Received],
            ),
            OfficeAction::Return => (&[Role::ReceptionOfficer], &[S::ResultReady]),
            OfficeAction::Refuse { .. } => (
                &[
                    Role::ReceptionOfficer,
                    Role::ProcessingOfficer,
                    Role::Leader,
                ],
                &[S::Submitted, S::Received, S::Processing, S::Supplement],
            ),
            OfficeAction::Apologise { .. } => (
                &[Role::ProcessingOfficer, Role::Leader],
                &[S::Received, S::Processing],
            ),
        }
    }
}

/// How a dossier stands against its appointment date, as work lists flag it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// No running deadline (not yet received, clock stopped for a supplement, or finished).
    None,
    /// More than one working day left.
    OnTime,
    /// Due today or on the next working day.
    DueSoon,
    /// The appointment date has passed.
    Overdue,
}

impl Deadline {
    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            Deadline::None => "",
            Deadline::OnTime => "Trong hạn",
            Deadline::DueSoon => "Sắp đến hạn",
            Deadline::Overdue => "Quá hạn",
        }
    }

    /// CSS class of its tag.
    pub fn css(self) -> &'static str {
        match self {
            Deadline::None | Deadline::OnTime => "tag",
            Deadline::DueSoon => "tag tag-sample",
            Deadline::Overdue => "tag tag-failed",
        }
    }
}

/// Where a dossier in `status` due on `due` stands on `today`, counting working days.
pub fn deadline(
    cal: &WorkingCalendar,
    today: NaiveDate,
    status: DossierStatus,
    due: Option<NaiveDate>,
) -> Deadline {
    let running = matches!(status, DossierStatus::Received | DossierStatus::Processing);
    match due {
        Some(due) if running => {
            if today > due {
                Deadline::Overdue
            } else if due <= cal.add_working_days(today, 1) {
                Deadline::DueSoon
            } else {
                Deadline::OnTime
            }
        }
        _ => Deadline::None,
    }
}

impl OfficeAction {
    /// Whether `who` may take this action on `d` now: a role it allows in scope, from a
    /// status it starts from (pages offer only these).
    pub fn allowed(&self, who: &Principal, d: &Dossier) -> bool {
        let (roles, from) = self.rule();
        who.can_any(roles, &d.agency_code) && from.contains(&d.status)
    }
}

/// Roles that issue results, and the statuses from which they can.
const RESULT_ROLES: [Role; 2] = [Role::ProcessingOfficer, Role::Leader];
const RESULT_FROM: [DossierStatus; 2] = [DossierStatus::Received, DossierStatus::Processing];

/// Whether `who` may issue a dossier's result now, as far as role and status go (a running
/// process is checked apart).
pub fn may_issue_result(who: &Principal, d: &Dossier) -> bool {
    who.can_any(&RESULT_ROLES, &d.agency_code) && RESULT_FROM.contains(&d.status)
}

/// Roles that work on dossiers in the back office.
const OFFICE: [Role; 5] = [
    Role::ReceptionOfficer,
    Role::ProcessingOfficer,
    Role::Leader,
    Role::Clerk,
    Role::Auditor,
];

/// The e-form's values as process variables: numbers as numbers, the rest as text.
fn process_form(
    p: &cqdt_procedures::model::Procedure,
    form: &serde_json::Value,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for f in &p.form {
        let Some(v) = form.get(&f.key) else { continue };
        let v = match (f.kind, v.as_str()) {
            (cqdt_procedures::model::FieldType::Number, Some(t)) => t
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| v.clone()),
            _ => v.clone(),
        };
        out.insert(f.key.clone(), v);
    }
    serde_json::Value::Object(out)
}

/// How the one-stop statistics group dossiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatsBy {
    /// By receiving agency.
    Agency,
    /// By field (lĩnh vực) of the procedure.
    Field,
    /// By procedure.
    Procedure,
    /// By month received.
    Month,
}

impl StatsBy {
    /// Every grouping.
    pub const ALL: [StatsBy; 4] = [
        StatsBy::Agency,
        StatsBy::Field,
        StatsBy::Procedure,
        StatsBy::Month,
    ];

    /// URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            StatsBy::Agency => "co-quan",
            StatsBy::Field => "linh-vuc",
            StatsBy::Procedure => "thu-tuc",
            StatsBy::Month => "thang",
        }
    }

    /// Parses the URL form.
    pub fn parse(s: &str) -> Option<Self> {
        StatsBy::ALL.into_iter().find(|b| b.as_str() == s)
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            StatsBy::Agency => "Cơ quan",
            StatsBy::Field => "Lĩnh vực",
            StatsBy::Procedure => "Thủ tục",
            StatsBy::Month => "Tháng",
        }
    }
}

/// The one-stop statistics of a period.
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    /// Groups: label and counts, in order.
    pub groups: Vec<(String, crate::model::Counts)>,
    /// Every month of the period with its counts (for the chart).
    pub months: Vec<(String, crate::model::Counts)>,
    /// The whole period.
    pub total: crate::model::Counts,
}

/// Whether an official may do a process task: its role within its agency.
fn task_allows(who: &Principal, t: &cqdt_workflow::store::TaskRow) -> bool {
    match (t.role.as_deref().and_then(Role::parse), t.agency.as_deref()) {
        (Some(role), Some(agency)) => who.can(role, agency),
        _ => false,
    }
}

/// A process task in an official's work list.
#[derive(Debug, Clone)]
pub struct WorkItem {
    /// The task.
    pub task: cqdt_workflow::store::TaskRow,
    /// The dossier it is for.
    pub dossier_code: String,
    /// How it stands against its own due date.
    pub deadline: Deadline,
}

/// The dossier's supplement request that is still open, if any.
fn open_request(list: &[SupplementRequest]) -> Option<&SupplementRequest> {
    list.iter().rev().find(|r| r.answered_at.is_none())
}

/// `2026-11` → `11/2026`.
fn vn_month(m: &str) -> String {
    match m.split_once('-') {
        Some((y, mm)) => format!("{mm}/{y}"),
        None => m.to_string(),
    }
}

fn vn_time(ts: chrono::DateTime<chrono::Utc>) -> String {
    (ts + chrono::Duration::hours(7))
        .format("%H:%M ngày %d/%m/%Y")
        .to_string()
}

impl DossierService {
    /// The appointment date of a dossier of a procedure received at `received`.
    pub async fn appointment_for(
        &self,
        procedure_code: &str,
        received: chrono::DateTime<chrono::Utc>,
    ) -> Result<NaiveDate, DossierError> {
        let p = self
            .procedures
            .get(procedure_code)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?
            .ok_or_else(|| DossierError::NotFound(procedure_code.into()))?;
        Ok(appointment(
            &self.calendar.calendar(),
            &p.procedure.processing_time,
            cqdt_platform::clock::to_vn(received).naive_local(),
        ))
    }

    /// The procedure a dossier was filed under, as the catalog has it now.
    pub async fn procedure_of(
        &self,
        d: &Dossier,
    ) -> Result<Option<cqdt_procedures::model::Procedure>, DossierError> {
        Ok(self
            .procedures
            .get(&d.procedure_code)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?
            .map(|e| e.procedure))
    }

    /// The one-stop statistics of dossiers submitted or received from `from` to `to`, grouped
    /// `by`; only agencies in an official's scope, or every agency for the public summary.
    pub async fn statistics(
        &self,
        who: Option<&Principal>,
        from: NaiveDate,
        to: NaiveDate,
        by: StatsBy,
    ) -> Result<Statistics, DossierError> {
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        let rows = store::counts(
            self.db.pool(),
            &day(from),
            &day(to),
            &day(self.clock.today()),
        )
        .await?;
        let rows: Vec<_> = rows
            .into_iter()
            .filter(|r| who.is_none_or(|w| w.can_any(&OFFICE, &r.agency_code)))
            .collect();
        let mut fields: std::collections::HashMap<String, String> = Default::default();
        for r in &rows {
            if by == StatsBy::Field && !fields.contains_key(&r.procedure_code) {
                let name = self
                    .procedures
                    .get(&r.procedure_code)
                    .await
                    .ok()
                    .flatten()
                    .map(|e| e.procedure.field.name)
                    .unwrap_or_else(|| "Khác".into());
                fields.insert(r.procedure_code.clone(), name);
            }
        }
        let mut groups: Vec<(String, crate::model::Counts)> = Vec::new();
        let mut months: Vec<(String, crate::model::Counts)> = Vec::new();
        let mut total = crate::model::Counts::default();
        let add = |list: &mut Vec<(String, crate::model::Counts)>, key: String, c| match list
            .iter_mut()
            .find(|(k, _)| *k == key)
        {
            Some((_, sum)) => sum.add(c),
            None => {
                let mut sum = crate::model::Counts::default();
                sum.add(c);
                list.push((key, sum));
            }
        };
        for r in &rows {
            let label = match by {
                StatsBy::Agency => r.agency_name.clone(),
                StatsBy::Field => fields.get(&r.procedure_code).cloned().unwrap_or_default(),
                StatsBy::Procedure => r.procedure_name.clone(),
                StatsBy::Month => vn_month(&r.month),
            };
            add(&mut groups, label, &r.counts);
            add(&mut months, r.month.clone(), &r.counts);
            total.add(&r.counts);
        }
        if by != StatsBy::Month {
            groups.sort_by(|a, b| b.1.received.cmp(&a.1.received).then(a.0.cmp(&b.0)));
        }
        months.sort_by(|a, b| a.0.cmp(&b.0));
        for m in &mut months {
            m.0 = vn_month(&m.0);
        }
        Ok(Statistics {
            groups,
            months,
            total,
        })
    }

    /// The ledger (Mẫu 06) of the agencies in an official's scope, optionally of one agency
    /// and one procedure; at most `limit` lines.
    pub async fn ledger(
        &self,
        who: &Principal,
        from: NaiveDate,
        to: NaiveDate,
        agency: Option<&str>,
        procedure: Option<&str>,
        limit: i64,
    ) -> Result<Vec<store::LedgerRow>, DossierError> {
        let agencies: Vec<String> = self
            .agencies_in_scope(who)
            .into_iter()
            .map(|(code, _)| code)
            .filter(|code| agency.is_none_or(|x| x == code))
            .collect();
        let day = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        Ok(store::ledger(
            self.db.pool(),
            &day(from),
            &day(to),
            &agencies,
            procedure,
            limit,
        )
        .await?)
    }

    /// The agencies in an official's scope (code, name), for filters.
    pub fn agencies_in_scope(&self, who: &Principal) -> Vec<(String, String)> {
        self.directory
            .agencies()
            .iter()
            .filter(|a| who.can_any(&OFFICE, &a.code))
            .map(|a| (a.code.clone(), a.name.clone()))
            .collect()
    }

    /// Today, by the service's clock (Vietnam time).
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// The appointment date a dossier of a procedure would get if received now.
    pub async fn appointment_if_received_now(
        &self,
        procedure_code: &str,
    ) -> Result<NaiveDate, DossierError> {
        self.appointment_for(procedure_code, self.clock.now()).await
    }

    /// Where a dossier stands against its appointment date today.
    pub fn deadline_of(&self, d: &Dossier) -> Deadline {
        let due = d
            .due_date
            .as_deref()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        deadline(&self.calendar.calendar(), self.clock.today(), d.status, due)
    }

    async fn submitted(&self, code: &str) -> Result<Dossier, DossierError> {
        store::get(self.db.pool(), code.trim())
            .await?
            .filter(|d| d.code.is_some() && d.status != DossierStatus::Draft)
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))
    }

    /// A dossier as an official in whose scope it is sees it.
    pub async fn view_for_official(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<DossierView, DossierError> {
        let d = self.in_scope(who, code).await?;
        self.view_of(d).await
    }

    /// A submitted dossier of an agency in the official's scope; outside it the dossier
    /// does not exist for them (so codes cannot be probed across agencies).
    pub(super) async fn in_scope(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Dossier, DossierError> {
        let d = self.submitted(code).await?;
        if who.can_any(&OFFICE, &d.agency_code) {
            return Ok(d);
        }
        // Officials of another agency see a dossier whose process gave them work (liên thông).
        if let Some(code) = &d.code {
            if let Some(p) = self.process(code).await? {
                if p.tasks.iter().any(|t| task_allows(who, t)) {
                    return Ok(d);
                }
            }
        }
        // Outside the official's scope it does not exist for them.
        Err(DossierError::NotFound(code.chars().take(80).collect()))
    }

    /// The process instance of a dossier, if its processing started one.
    async fn process(
        &self,
        code: &str,
    ) -> Result<Option<cqdt_workflow::service::InstanceDetail>, DossierError> {
        self.workflow
            .instance_for(code)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))
    }

    /// The process of a dossier as an official in scope sees it: tasks and history.
    pub async fn process_for_official(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Option<cqdt_workflow::service::InstanceDetail>, DossierError> {
        let d = self.in_scope(who, code).await?;
        match &d.code {
            Some(c) => self.process(c).await,
            None => Ok(None),
        }
    }

    /// A dossier's process drawn as SVG, the open steps highlighted (empty if it cannot be).
    pub async fn process_diagram(&self, p: &cqdt_workflow::InstanceDetail) -> String {
        self.workflow.diagram_of(p).await.unwrap_or_default()
    }

    /// Whether the official doing a task decides where the process goes (approve or send
    /// back).
    pub async fn task_decides(&self, p: &cqdt_workflow::InstanceDetail, node: &str) -> bool {
        self.workflow
            .decides_after(p.instance.definition_id, node)
            .await
    }

    /// The open process tasks an official may do, oldest first, with the dossier code.
    pub async fn work_for(&self, who: &Principal) -> Result<Vec<WorkItem>, DossierError> {
        let roles: Vec<&str> = OFFICE
            .iter()
            .filter(|r| who.has_role(**r))
            .map(|r| r.as_str())
            .collect();
        let tasks = self
            .workflow
            .open_tasks_for_roles(&roles, 2000)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?;
        let cal = self.calendar.calendar();
        let today = self.clock.today();
        Ok(tasks
            .into_iter()
            .filter(|(t, _)| task_allows(who, t))
            .filter_map(|(task, key)| {
                let due = task
                    .due_date
                    .as_deref()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
                Some(WorkItem {
                    deadline: deadline(&cal, today, DossierStatus::Processing, due),
                    dossier_code: key?,
                    task,
                })
            })
            .take(500)
            .collect())
    }

    /// An official completes a task of a dossier's process with their opinion; the process
    /// moves on to the next agency, department or person.
    pub async fn complete_task(
        &self,
        who: &Principal,
        code: &str,
        task_id: i64,
        note: &str,
        approve: bool,
    ) -> Result<(), DossierError> {
        let d = self.in_scope(who, code).await?;
        let Some(p) = self.process(d.code.as_deref().unwrap_or(code)).await? else {
            return Err(DossierError::NotFound(format!("công việc {task_id}")));
        };
        let Some(task) = p.tasks.iter().find(|t| t.id == task_id) else {
            return Err(DossierError::NotFound(format!("công việc {task_id}")));
        };
        if !task_allows(who, task) {
            return Err(DossierError::Forbidden(format!(
                "Công việc “{}” dành cho cán bộ khác.",
                task.name
            )));
        }
        if task.status != "open" {
            return Err(DossierError::Conflict(format!(
                "Công việc “{}” đã được hoàn thành.",
                task.name
            )));
        }
        if note.chars().count() > 2000 {
            return Err(DossierError::Invalid(vec![field_error(
                "note",
                "Ý kiến tối đa 2000 ký tự.",
            )]));
        }
        let mut vars = serde_json::Map::new();
        let decides = self
            .workflow
            .decides_after(p.instance.definition_id, &task.node_id)
            .await;
        if !approve && !decides {
            return Err(DossierError::Conflict(format!(
                "Bước “{}” không có đường trả lại trong quy trình.",
                task.name
            )));
        }
        vars.insert(
            "decision".into(),
            json!(if approve { "dong_y" } else { "tra_lai" }),
        );
        if !note.trim().is_empty() {
            vars.insert(format!("note_{}", task.node_id), json!(note.trim()));
        }
        self.workflow
            .complete(&who.actor, "", task_id, vars)
            .await
            .map_err(|e| match e {
                cqdt_workflow::service::WorkflowError::Conflict(m) => DossierError::Conflict(m),
                other => DossierError::Internal(other.to_string()),
            })?;
        Ok(())
    }

    /// Online dossiers in a status within the official's scope, oldest first (the
    /// reception queue when `status` is submitted).
    pub async fn queue(
        &self,
        who: &Principal,
        status: DossierStatus,
    ) -> Result<Vec<Dossier>, DossierError> {
        let office = [
            Role::ReceptionOfficer,
            Role::ProcessingOfficer,
            Role::Leader,
        ];
        Ok(store::by_status(self.db.pool(), status, 2000)
            .await?
            .into_iter()
            .filter(|d| who.can_any(&office, &d.agency_code))
            .take(500)
            .collect())
    }

    /// An official acts on a dossier of an agency in their scope.
    pub async fn act(
        &self,
        who: &Principal,
        code: &str,
        action: OfficeAction,
    ) -> Result<Dossier, DossierError> {
        let mut d = self.in_scope(who, code).await?;
        let (roles, from) = action.rule();
        if !who.can_any(roles, &d.agency_code) {
            return Err(DossierError::Forbidden(format!(
                "Tài khoản không có quyền “{}” đối với hồ sơ của {}.",
                match action {
                    OfficeAction::Receive { .. } => "tiếp nhận",
                    OfficeAction::RequestSupplement { .. } => "yêu cầu bổ sung",
                    OfficeAction::StartProcessing => "chuyển xử lý",
                    OfficeAction::Return => "trả kết quả",
                    OfficeAction::Refuse { .. } => "từ chối",
                    OfficeAction::Apologise { .. } => "xin lỗi, hẹn lại",
                },
                d.agency_name
            )));
        }
        let was = d.status;
        if !from.contains(&was) {
            return Err(DossierError::Conflict(format!(
                "Hồ sơ đang ở tình trạng “{}”, không thực hiện được thao tác này.",
                was.label()
            )));
        }
        let now = self.clock.now();
        let today = self.clock.today();
        let mut errors: Vec<FieldError> = Vec::new();
        let old_due = d.due_date.clone();
        let (status, note, notice) = match &action {
            OfficeAction::Receive { due_date } => {
                let due_date = match due_date {
                    Some(d) => *d,
                    None => self.appointment_for(&d.procedure_code, now).await?,
                };
                if due_date < today {
                    errors.push(field_error(
                        "due_date",
                        "Ngày hẹn trả kết quả không được trước ngày hôm nay.",
                    ));
                }
                d.due_date = Some(due_date.format("%Y-%m-%d").to_string());
                let due = due_date.format("%d/%m/%Y");
                (
                    DossierStatus::Received,
                    format!("Hồ sơ được tiếp nhận; hẹn trả kết quả ngày {due}."),
                    format!("Hồ sơ đã được {} tiếp nhận. Ngày hẹn trả kết quả: {due}.", d.agency_name),
                )
            }
            OfficeAction::RequestSupplement { items, note } => {
                let items: Vec<&SupplementItem> =
                    items.iter().filter(|i| !i.text.trim().is_empty()).collect();
                if items.is_empty() {
                    errors.push(field_error(
                        "items",
                        "Cần liệt kê đầy đủ một lần các giấy tờ, nội dung phải bổ sung.",
                    ));
                }
                if items.iter().any(|i| i.text.chars().count() > 1000) || note.chars().count() > 4000 {
                    errors.push(field_error("items", "Nội dung yêu cầu quá dài."));
                }
                let list = items
                    .iter()
                    .enumerate()
                    .map(|(n, i)| format!("{}. {}", n + 1, i.text.trim()))
                    .collect::<Vec<_>>()
                    .join("\n");
                (
                    DossierStatus::Supplement,
                    format!("Yêu cầu bổ sung hồ sơ:\n{list}"),
                    format!(
                        "Hồ sơ cần bổ sung:\n{list}\n{}\nÔng/bà bổ sung trực tuyến tại mục Hồ sơ của tôi.",
                        note.trim()
                    ),
                )
            }
            OfficeAction::StartProcessing => (
                DossierStatus::Processing,
                "Hồ sơ được chuyển xử lý.".to_string(),
                "Hồ sơ đang được giải quyết.".to_string(),
            ),
            OfficeAction::Return => (
                DossierStatus::Returned,
                "Đã trả kết quả cho người nộp.".to_string(),
                "Kết quả giải quyết hồ sơ đã được trả. Mời ông/bà đánh giá mức độ hài lòng tại mục Hồ sơ của tôi.".to_string(),
            ),
            OfficeAction::Apologise { reason, new_due } => {
                let current = d
                    .due_date
                    .as_deref()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
                if reason.trim().is_empty() || reason.chars().count() > 2000 {
                    errors.push(field_error(
                        "reason",
                        "Cần nêu lý do chậm trả kết quả (tối đa 2000 ký tự).",
                    ));
                }
                match current {
                    Some(c) if *new_due <= c || *new_due < today => errors.push(field_error(
                        "new_due",
                        format!(
                            "Ngày hẹn mới phải sau ngày hẹn cũ ({}) và không trước hôm nay.",
                            c.format("%d/%m/%Y")
                        ),
                    )),
                    None => errors.push(field_error("new_due", "Hồ sơ chưa có ngày hẹn.")),
                    _ => {}
                }
                let old = current.map(|c| c.format("%d/%m/%Y").to_string()).unwrap_or_default();
                let new = new_due.format("%d/%m/%Y");
                d.due_date = Some(new_due.format("%Y-%m-%d").to_string());
                (
                    was,
                    format!("Xin lỗi vì trễ hẹn (Mẫu 04): {}; hẹn lại ngày {new}.", reason.trim()),
                    format!(
                        "{} xin lỗi ông/bà vì hồ sơ không có kết quả đúng hẹn ngày {old}. Lý do: {}. Ngày hẹn trả kết quả mới: {new}.",
                        d.agency_name,
                        reason.trim()
                    ),
                )
            }
            OfficeAction::Refuse { reasons } => {
                if reasons.trim().is_empty() {
                    errors.push(field_error("reasons", "Cần nêu rõ lý do từ chối."));
                }
                if reasons.chars().count() > 4000 {
                    errors.push(field_error("reasons", "Lý do quá dài (tối đa 4000 ký tự)."));
                }
                (
                    DossierStatus::Refused,
                    format!("Từ chối: {}", reasons.trim()),
                    format!("Hồ sơ bị từ chối. Lý do: {}", reasons.trim()),
                )
            }
        };
        if !errors.is_empty() {
            return Err(DossierError::Invalid(errors));
        }
        d.status = status;
        d.updated_at = format_ts(now);
        if status.is_final() {
            d.finished_at = Some(format_ts(now));
        }
        // Handing to processing starts the procedure's process, if it has one; the e-form's
        // values go with it, so that its gateways can decide on them (`form.floors >= 7`).
        let process = match action {
            OfficeAction::StartProcessing => self.procedure_of(&d).await?.and_then(|p| {
                let form = process_form(&p, &d.form);
                p.process_key.map(|k| (k, form))
            }),
            _ => None,
        };
        let mut tx = self.db.begin().await?;
        if !store::advance(&mut tx, &d, was).await? {
            return Err(DossierError::Conflict(
                "Hồ sơ vừa được người khác xử lý; hãy tải lại trang.".into(),
            ));
        }
        if let (Some((key, form)), Some(code)) = (&process, &d.code) {
            let mut vars = serde_json::Map::new();
            vars.insert("dossier".into(), json!(code));
            vars.insert("procedure".into(), json!(d.procedure_code));
            vars.insert("form".into(), form.clone());
            self.workflow
                .start_in(
                    &mut tx,
                    &who.actor,
                    "",
                    key,
                    Some(code),
                    Some(&d.agency_code),
                    vars,
                )
                .await
                .map_err(|e| match e {
                    cqdt_workflow::service::WorkflowError::NotFound(m) => DossierError::Conflict(
                        format!("Chưa triển khai {m} cho thủ tục này; báo quản trị hệ thống."),
                    ),
                    other => DossierError::Internal(other.to_string()),
                })?;
        }
        if let OfficeAction::RequestSupplement { items, note } = &action {
            let r = SupplementRequest {
                seq: 0,
                requested_at: format_ts(now),
                requested_by: who.actor.clone(),
                items: items
                    .iter()
                    .filter(|i| !i.text.trim().is_empty())
                    .map(|i| SupplementItem {
                        component: i.component,
                        text: i.text.trim().to_string(),
                    })
                    .collect(),
                note: note.trim().to_string(),
                // A dossier asked for more before reception goes back to the queue.
                resume_status: if was == DossierStatus::Submitted {
                    DossierStatus::Submitted
                } else {
                    was
                },
                answered_at: None,
                answer_note: None,
            };
            store::insert_supplement(&mut tx, &d.id, &r).await?;
        }
        match &action {
            OfficeAction::Receive { .. } => {
                let due = d.due_date.clone().unwrap_or_default();
                store::set_received(&mut tx, &d.id, &today.format("%Y-%m-%d").to_string(), &due)
                    .await?;
            }
            OfficeAction::Apologise { reason, new_due } => {
                let a = Apology {
                    seq: 0,
                    issued_at: format_ts(now),
                    issued_by: who.actor.clone(),
                    agency_name: d.agency_name.clone(),
                    reason: reason.trim().to_string(),
                    old_due: old_due.clone().unwrap_or_default(),
                    new_due: new_due.format("%Y-%m-%d").to_string(),
                };
                store::insert_apology(&mut tx, &d.id, &a).await?;
            }
            _ => {}
        }
        self.step(&mut tx, &d, &who.actor, &note, &notice).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(&who.actor, &format!("dossier.{}", action.name()), "dossier")
                    .object(d.code.as_deref().unwrap_or(&d.id))
                    .agency(who.agency.as_deref().unwrap_or(""))
                    .details(json!({"from": was.as_str(), "to": status.as_str()})),
            )
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(d)
    }

    /// Attaches a result document (PDF or image) and marks the result ready; with
    /// `online` the result is returned through the portal at once.
    pub async fn add_result(
        &self,
        who: &Principal,
        code: &str,
        upload: &Upload,
        note: &str,
        online: bool,
    ) -> Result<Dossier, DossierError> {
        let mut d = self.in_scope(who, code).await?;
        if !who.can_any(&RESULT_ROLES, &d.agency_code) {
            return Err(DossierError::Forbidden(format!(
                "Tài khoản không có quyền ban hành kết quả cho hồ sơ của {}.",
                d.agency_name
            )));
        }
        let was = d.status;
        if !RESULT_FROM.contains(&was) {
            return Err(DossierError::Conflict(format!(
                "Hồ sơ đang ở tình trạng “{}”, chưa thể có kết quả.",
                was.label()
            )));
        }
        if let Some(p) = self.process(d.code.as_deref().unwrap_or(code)).await? {
            if p.instance.status == "active" {
                let open: Vec<&str> = p
                    .tasks
                    .iter()
                    .filter(|t| t.status == "open")
                    .map(|t| t.name.as_str())
                    .collect();
                return Err(DossierError::Conflict(format!(
                    "Quy trình xử lý chưa xong (còn: {}); chưa thể ban hành kết quả.",
                    open.join(", ")
                )));
            }
        }
        let f = match self.files.put(&upload.bytes, Some(&upload.file_name)).await {
            Ok(f)
                if matches!(
                    f.media_type,
                    MediaType::Pdf | MediaType::Png | MediaType::Jpeg
                ) =>
            {
                f
            }
            Ok(_) => {
                return Err(DossierError::Invalid(vec![field_error(
                    "file",
                    "Kết quả chỉ nhận tệp PDF, JPEG hoặc PNG.",
                )]))
            }
            Err(cqdt_platform::PlatformError::Rejected(m)) => {
                return Err(DossierError::Invalid(vec![field_error("file", m)]))
            }
            Err(e) => return Err(DossierError::Internal(e.to_string())),
        };
        let now = self.clock.now();
        let doc = ResultDoc {
            seq: 0,
            sha256: f.sha256,
            file_name: clean_name(&upload.file_name),
            media_type: f.media_type.mime().to_string(),
            size: f.size,
            added_at: format_ts(now),
            added_by: who.actor.clone(),
            note: note.trim().chars().take(500).collect(),
        };
        d.status = if online {
            DossierStatus::Returned
        } else {
            DossierStatus::ResultReady
        };
        d.updated_at = format_ts(now);
        if online {
            d.finished_at = Some(format_ts(now));
        }
        let (step, notice) = if online {
            (
                format!("Có kết quả giải quyết, trả trực tuyến: {}.", doc.file_name),
                "Hồ sơ đã có kết quả, trả trực tuyến: ông/bà tải kết quả và đánh giá mức độ hài lòng tại mục Hồ sơ của tôi.".to_string(),
            )
        } else {
            (
                format!("Có kết quả giải quyết: {}; chờ trả tại bộ phận một cửa.", doc.file_name),
                format!(
                    "Hồ sơ đã có kết quả. Mời ông/bà nhận kết quả tại bộ phận một cửa của {}; bản điện tử xem tại mục Hồ sơ của tôi.",
                    d.agency_name
                ),
            )
        };
        let mut tx = self.db.begin().await?;
        if !store::advance(&mut tx, &d, was).await? {
            return Err(DossierError::Conflict(
                "Hồ sơ vừa được người khác xử lý; hãy tải lại trang.".into(),
            ));
        }
        store::insert_result(&mut tx, &d.id, &doc).await?;
        let resolved_on = self.clock.today().format("%Y-%m-%d").to_string();
        store::set_resolved(&mut tx, &d.id, &resolved_on).await?;
        self.step(&mut tx, &d, &who.actor, &step, &notice).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(&who.actor, "dossier.result", "dossier")
                    .object(d.code.as_deref().unwrap_or(&d.id))
                    .agency(who.agency.as_deref().unwrap_or(""))
                    .details(json!({"sha256": doc.sha256, "online": online})),
            )
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(d)
    }

    /// The applicant answers the open supplement request with files (per component or
    /// as "other", component -1) and a note; the dossier goes back where it was.
    pub async fn supply(
        &self,
        account: &str,
        actor: &str,
        code: &str,
        uploads: &[Upload],
        note: &str,
    ) -> Result<Dossier, DossierError> {
        let mut d = self
            .submitted(code)
            .await?
            .into_owned_by(account)
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))?;
        if d.status != DossierStatus::Supplement {
            return Err(DossierError::Conflict(
                "Hồ sơ không có yêu cầu bổ sung nào đang chờ.".into(),
            ));
        }
        let requests = store::supplements(self.db.pool(), &d.id).await?;
        let Some(open) = open_request(&requests).cloned() else {
            return Err(DossierError::Conflict(
                "Hồ sơ không có yêu cầu bổ sung nào đang chờ.".into(),
            ));
        };
        let p = self.procedures.get(&d.procedure_code).await.ok().flatten();
        let mut errors = Vec::new();
        if uploads.is_empty() && note.trim().is_empty() {
            errors.push(field_error(
                "files",
                "Hãy đính kèm giấy tờ được yêu cầu hoặc ghi rõ nội dung bổ sung.",
            ));
        }
        if note.chars().count() > 4000 {
            errors.push(field_error("note", "Ghi chú quá dài (tối đa 4000 ký tự)."));
        }
        let mut stored = Vec::new();
        for u in uploads {
            let field = format!("file_{}", u.component);
            let known = u.component == usize::MAX
                || p.as_ref()
                    .is_some_and(|e| u.component < e.procedure.components.len());
            if !known {
                errors.push(field_error(
                    &field,
                    "Thành phần hồ sơ không có trong thủ tục.",
                ));
                continue;
            }
            match self.files.put(&u.bytes, Some(&u.file_name)).await {
                Ok(f)
                    if matches!(
                        f.media_type,
                        MediaType::Pdf | MediaType::Png | MediaType::Jpeg
                    ) =>
                {
                    stored.push(DossierFile {
                        component: if u.component == usize::MAX {
                            -1
                        } else {
                            u.component as i64
                        },
                        sha256: f.sha256,
                        file_name: clean_name(&u.file_name),
                        media_type: f.media_type.mime().to_string(),
                        size: f.size,
                    })
                }
                Ok(_) => errors.push(field_error(
                    &field,
                    format!(
                        "{}: chỉ nhận tệp PDF, JPEG hoặc PNG.",
                        clean_name(&u.file_name)
                    ),
                )),
                Err(cqdt_platform::PlatformError::Rejected(m)) => errors.push(field_error(
                    &field,
                    format!("{}: {m}", clean_name(&u.file_name)),
                )),
                Err(e) => return Err(DossierError::Internal(e.to_string())),
            }
        }
        if !errors.is_empty() {
            return Err(DossierError::Invalid(errors));
        }
        let now = self.clock.now();
        let was = d.status;
        d.status = open.resume_status;
        d.updated_at = format_ts(now);
        // The clock stood still from the request to the answer: the appointment and the
        // statutory due date move by the working days it stood.
        let cal = self.calendar.calendar();
        let today = self.clock.today();
        let stopped = cqdt_platform::clock::parse_ts(&open.requested_at)
            .map(|t| cqdt_platform::clock::to_vn(t).date_naive())
            .map(|asked| cal.working_days_between(asked, today).max(0))
            .unwrap_or(0);
        let shift = |due: &str| {
            NaiveDate::parse_from_str(due, "%Y-%m-%d").ok().map(|d| {
                cal.add_working_days(d, stopped)
                    .format("%Y-%m-%d")
                    .to_string()
            })
        };
        if stopped > 0 {
            if let Some(moved) = d.due_date.as_deref().and_then(shift) {
                d.due_date = Some(moved);
            }
        }
        let mut tx = self.db.begin().await?;
        if !store::advance(&mut tx, &d, was).await? {
            return Err(DossierError::Conflict(
                "Hồ sơ vừa thay đổi tình trạng; hãy tải lại trang.".into(),
            ));
        }
        if stopped > 0 {
            if let Some(moved) = store::statutory_due(&mut *tx, &d.id)
                .await?
                .as_deref()
                .and_then(shift)
            {
                store::set_statutory_due(&mut tx, &d.id, &moved).await?;
            }
        }
        for f in &stored {
            store::insert_file(&mut tx, &d.id, f, &format_ts(now)).await?;
        }
        store::answer_supplement(&mut tx, &d.id, open.seq, &format_ts(now), note.trim()).await?;
        let step = if stored.is_empty() {
            format!("Người nộp đã bổ sung hồ sơ: {}", note.trim())
        } else {
            format!(
                "Người nộp đã bổ sung {} tệp{}",
                stored.len(),
                if note.trim().is_empty() {
                    ".".to_string()
                } else {
                    format!(": {}", note.trim())
                }
            )
        };
        self.step(
            &mut tx,
            &d,
            actor,
            &step,
            "Hệ thống đã nhận phần bổ sung hồ sơ của ông/bà; hồ sơ tiếp tục được giải quyết.",
        )
        .await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "dossier.supply", "dossier")
                    .object(d.code.as_deref().unwrap_or(&d.id))
                    .details(json!({"files": stored.len(), "request": open.seq})),
            )
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(d)
    }

    /// The applicant withdraws a dossier that is not yet decided.
    pub async fn withdraw(
        &self,
        account: &str,
        actor: &str,
        code: &str,
        reason: &str,
    ) -> Result<Dossier, DossierError> {
        let mut d = self
            .submitted(code)
            .await?
            .into_owned_by(account)
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))?;
        let was = d.status;
        if !matches!(
            was,
            DossierStatus::Submitted
                | DossierStatus::Received
                | DossierStatus::Supplement
                | DossierStatus::Processing
        ) {
            return Err(DossierError::Conflict(format!(
                "Hồ sơ đang ở tình trạng “{}”, không rút được.",
                was.label()
            )));
        }
        if reason.chars().count() > 2000 {
            return Err(DossierError::Invalid(vec![field_error(
                "reason",
                "Lý do quá dài (tối đa 2000 ký tự).",
            )]));
        }
        let now = self.clock.now();
        d.status = DossierStatus::Withdrawn;
        d.updated_at = format_ts(now);
        d.finished_at = Some(format_ts(now));
        let mut tx = self.db.begin().await?;
        if !store::advance(&mut tx, &d, was).await? {
            return Err(DossierError::Conflict(
                "Hồ sơ vừa thay đổi tình trạng; hãy tải lại trang.".into(),
            ));
        }
        let step = if reason.trim().is_empty() {
            "Người nộp rút hồ sơ.".to_string()
        } else {
            format!("Người nộp rút hồ sơ: {}", reason.trim())
        };
        self.step(
            &mut tx,
            &d,
            actor,
            &step,
            &format!(
                "Hồ sơ đã được rút theo yêu cầu của ông/bà lúc {}.",
                vn_time(now)
            ),
        )
        .await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "dossier.withdraw", "dossier")
                    .object(d.code.as_deref().unwrap_or(&d.id)),
            )
            .await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(d)
    }

    /// The applicant rates the service of a finished dossier, once.
    pub async fn rate(
        &self,
        account: &str,
        actor: &str,
        code: &str,
        score: &str,
        comment: &str,
    ) -> Result<Rating, DossierError> {
        let d = self
            .submitted(code)
            .await?
            .into_owned_by(account)
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))?;
        if !matches!(d.status, DossierStatus::Returned | DossierStatus::Refused) {
            return Err(DossierError::Conflict(
                "Chỉ đánh giá được khi hồ sơ đã giải quyết xong.".into(),
            ));
        }
        let mut errors = Vec::new();
        let score = match score.trim().parse::<i64>() {
            Ok(n) if (1..=5).contains(&n) => n,
            _ => {
                errors.push(field_error("score", "Hãy chọn một mức hài lòng."));
                0
            }
        };
        if comment.chars().count() > 2000 {
            errors.push(field_error("comment", "Góp ý quá dài (tối đa 2000 ký tự)."));
        }
        if !errors.is_empty() {
            return Err(DossierError::Invalid(errors));
        }
        let r = Rating {
            rated_at: format_ts(self.clock.now()),
            score,
            comment: comment.trim().to_string(),
        };
        let mut tx = self.db.begin().await?;
        if !store::insert_rating(&mut tx, &d.id, &r).await? {
            return Err(DossierError::Conflict("Hồ sơ này đã được đánh giá.".into()));
        }
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "dossier.rate", "dossier")
                    .object(d.code.as_deref().unwrap_or(&d.id))
                    .details(json!({"score": score, "label": rating_label(score)})),
            )
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// A result document of one of the applicant's dossiers, with its content.
    pub async fn result_file(
        &self,
        account: &str,
        code: &str,
        seq: i64,
    ) -> Result<(ResultDoc, Vec<u8>), DossierError> {
        let d = self
            .submitted(code)
            .await?
            .into_owned_by(account)
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))?;
        let doc = store::results(self.db.pool(), &d.id)
            .await?
            .into_iter()
            .find(|r| r.seq == seq)
            .ok_or_else(|| DossierError::NotFound(format!("{code}/{seq}")))?;
        let (_, bytes) = self
            .files
            .get(&doc.sha256)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?;
        Ok((doc, bytes))
    }

    /// Adds a timeline step and the applicant's notices (e-mail, SMS, in-app).
    async fn step(
        &self,
        tx: &mut Tx,
        d: &Dossier,
        actor: &str,
        note: &str,
        notice: &str,
    ) -> Result<(), DossierError> {
        let now = self.clock.now();
        store::insert_event(
            tx,
            &d.id,
            &DossierEvent {
                at: format_ts(now),
                status: d.status,
                actor: actor.to_string(),
                note: note.to_string(),
            },
        )
        .await?;
        let code = d.code.clone().unwrap_or_default();
        let subject = format!("Hồ sơ {code}: {}", d.status.label());
        let body = format!(
            "Kính gửi ông/bà {},\n\nHồ sơ số {code} về thủ tục “{}” chuyển sang tình trạng “{}” lúc {}.\n\n{notice}\n\nTra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng Dịch vụ công.",
            d.applicant_name,
            d.procedure_name,
            d.status.label(),
            vn_time(now),
        );
        let mut requests =
            vec![
                NotificationRequest::new(Channel::InApp, d.applicant_account.clone(), "generic")
                    .link(format!("/ho-so-cua-toi/{code}")),
            ];
        if let Some(e) = &d.applicant_email {
            requests.push(NotificationRequest::new(
                Channel::Email,
                e.clone(),
                "generic",
            ));
        }
        if let Some(p) = &d.applicant_phone {
            requests.push(NotificationRequest::new(Channel::Sms, p.clone(), "generic"));
        }
        for mut req in requests {
            let text = if req.channel == Channel::Sms {
                format!(
                    "Ho so {code}: {}. Xem chi tiet tren Cong Dich vu cong.",
                    ascii(d.status.label())
                )
            } else if req.channel == Channel::InApp {
                notice.to_string()
            } else {
                body.clone()
            };
            req.params.insert("subject".into(), subject.clone());
            req.params.insert("body".into(), text);
            self.notifier
                .send(tx, &req)
                .await
                .map_err(|e| DossierError::Internal(e.to_string()))?;
        }
        Ok(())
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
}

impl Dossier {
    fn into_owned_by(self, account: &str) -> Option<Dossier> {
        (self.applicant_account == account).then_some(self)
    }
}

fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect()
}

/// Vietnamese without diacritics (lower case), for SMS: GSM 7-bit keeps messages short.
fn ascii(s: &str) -> String {
    cqdt_platform::web::fold(s)
}

/// The appointment date for a dossier received at `received` (Vietnam time) under a
/// processing time: working days count from the day after reception and skip weekends,
/// holidays and swapped days; calendar days that end on a day off end on the next working
/// day (Civil Code art. 148); hours count office hours only.
pub fn appointment(
    cal: &WorkingCalendar,
    time: &ProcessingTime,
    received: chrono::NaiveDateTime,
) -> NaiveDate {
    let day = received.date();
    let n = i64::from(time.amount);
    match time.unit {
        TimeUnit::WorkingDays => cal.add_working_days(day, n),
        TimeUnit::CalendarDays => {
            let end = day
                .checked_add_days(chrono::Days::new(n.unsigned_abs()))
                .unwrap_or(NaiveDate::MAX);
            if cal.is_working_day(end) {
                end
            } else {
                cal.add_working_days(end, 1)
            }
        }
        TimeUnit::Hours => cal.add_working_hours(received, n * 60).date(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqdt_calendar::OfficeHours;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(Vec::new(), OfficeHours::default())
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .expect("a real time")
    }

    fn time(amount: u32, unit: TimeUnit) -> ProcessingTime {
        ProcessingTime {
            amount,
            unit,
            note: None,
        }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    #[test]
    fn due_soon_and_overdue_count_working_days_across_holidays() {
        let s = DossierStatus::Processing;
        // Wednesday 29/4/2026: 30/4 and 1/5 are holidays, 2–3/5 a weekend, so Monday 4/5
        // is the next working day: due soon, though five calendar days away.
        let wed = day(2026, 4, 29);
        assert_eq!(
            deadline(&cal(), wed, s, Some(day(2026, 5, 4))),
            Deadline::DueSoon
        );
        assert_eq!(
            deadline(&cal(), wed, s, Some(day(2026, 5, 5))),
            Deadline::OnTime
        );
        assert_eq!(deadline(&cal(), wed, s, Some(wed)), Deadline::DueSoon);
        assert_eq!(
            deadline(&cal(), day(2026, 5, 5), s, Some(day(2026, 5, 4))),
            Deadline::Overdue
        );
        // The clock stops while the applicant supplements, and after the result.
        let late = Some(day(2026, 4, 1));
        for st in [
            DossierStatus::Supplement,
            DossierStatus::Returned,
            DossierStatus::Submitted,
        ] {
            assert_eq!(deadline(&cal(), wed, st, late), Deadline::None);
        }
    }

    #[test]
    fn working_days_skip_the_weekend_and_the_april_and_may_holidays() {
        // Wednesday 29/4/2026: 30/4 and 1/5 are holidays, 2–3/5 a weekend.
        let due = appointment(&cal(), &time(3, TimeUnit::WorkingDays), at(2026, 4, 29, 9));
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 5, 6).expect("date"));
        // Friday afternoon, one working day: Monday.
        let due = appointment(
            &cal(),
            &time(1, TimeUnit::WorkingDays),
            at(2026, 11, 27, 15),
        );
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"));
    }

    #[test]
    fn calendar_days_ending_on_a_day_off_end_on_the_next_working_day() {
        // 10 days after Wednesday 18/11/2026 is Saturday 28/11: due Monday 30/11.
        let due = appointment(
            &cal(),
            &time(10, TimeUnit::CalendarDays),
            at(2026, 11, 18, 9),
        );
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"));
    }

    #[test]
    fn hours_count_office_hours_only() {
        // Four office hours from Friday 16:00 end on Monday.
        let due = appointment(&cal(), &time(4, TimeUnit::Hours), at(2026, 11, 27, 16));
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 30).expect("date"));
        // Two hours from 8:00 end the same day.
        let due = appointment(&cal(), &time(2, TimeUnit::Hours), at(2026, 11, 25, 8));
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"));
    }
}

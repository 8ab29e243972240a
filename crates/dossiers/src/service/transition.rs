//! A dossier's status change as a pure function: the dossier as read, what is done to it and
//! the facts it needs (the time, the appointment the procedure gives, the files stored) in;
//! the dossier as it will be, the timeline step, the applicant's notices, the audit event
//! and the other writes out — or why not. Nothing here reads or writes anything;
//! [`DossierService::persist`](super::DossierService) writes a [`Change`] in one
//! transaction, moving the status only from the one it was read in.

use chrono::{DateTime, NaiveDate, Utc};
use cqdt_audit::AuditEvent;
use cqdt_calendar::WorkingCalendar;
use cqdt_notify::{Channel, NotificationRequest};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, Principal, Role};
use serde_json::{json, Map, Value};

use super::field_error;
use crate::error::DossierError;
use crate::model::{
    Apology, Dossier, DossierEvent, DossierFile, DossierStatus, ResultDoc, SupplementItem,
    SupplementRequest,
};

/// What an official does to a dossier.
#[derive(Debug, Clone)]
pub enum OfficeAction {
    /// Accepts an online dossier as complete; the appointment date starts to run.
    Receive {
        /// Appointment date for the result; when absent, computed from the procedure's
        /// processing time and the working-day calendar ([`super::appointment`]).
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
    /// The action's key, and what it is called in a refusal.
    fn names(&self) -> (&'static str, &'static str) {
        match self {
            OfficeAction::Receive { .. } => ("receive", "tiếp nhận"),
            OfficeAction::RequestSupplement { .. } => ("request_supplement", "yêu cầu bổ sung"),
            OfficeAction::StartProcessing => ("start_processing", "chuyển xử lý"),
            OfficeAction::Return => ("return", "trả kết quả"),
            OfficeAction::Refuse { .. } => ("refuse", "từ chối"),
            OfficeAction::Apologise { .. } => ("apologise", "xin lỗi, hẹn lại"),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        self.names().0
    }

    /// What the action is called in a refusal.
    fn verb(&self) -> &'static str {
        self.names().1
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
            OfficeAction::StartProcessing => {
                (&[Role::ReceptionOfficer, Role::ProcessingOfficer], &[S::Received])
            }
            OfficeAction::Return => (&[Role::ReceptionOfficer], &[S::ResultReady]),
            OfficeAction::Refuse { .. } => (
                &[Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader],
                &[S::Submitted, S::Received, S::Processing, S::Supplement],
            ),
            OfficeAction::Apologise { .. } => {
                (&[Role::ProcessingOfficer, Role::Leader], &[S::Received, S::Processing])
            }
        }
    }

    /// Whether `who` may take this action on `d` now: a role it allows in scope, from a
    /// status it starts from (pages offer only these).
    pub fn allowed(&self, who: &Principal, d: &Dossier) -> bool {
        let (roles, from) = self.rule();
        who.can_any(roles, &d.agency_code) && from.contains(&d.status)
    }

    /// Refuses an official without the role in scope (403), or a dossier in a status the
    /// action does not start from (409).
    pub(crate) fn authorize(&self, who: &Principal, d: &Dossier) -> Result<(), DossierError> {
        let (roles, from) = self.rule();
        let right = format!("“{}” đối với", self.verb());
        check(who, d, (roles, &right), (from, "không thực hiện được thao tác này"))
    }
}

/// Refuses `who` without one of `roles` at the dossier's agency (403, "no right to `right`
/// the agency's dossier"), or a dossier whose status is not in `from` (409, "in that status,
/// `not_now`").
fn check(
    who: &Principal,
    d: &Dossier,
    (roles, right): (&[Role], &str),
    (from, not_now): (&[DossierStatus], &str),
) -> Result<(), DossierError> {
    if !who.can_any(roles, &d.agency_code) {
        return Err(DossierError::Forbidden(format!(
            "Tài khoản không có quyền {right} hồ sơ của {}.",
            d.agency_name
        )));
    }
    if !from.contains(&d.status) {
        return Err(DossierError::Conflict(format!(
            "Hồ sơ đang ở tình trạng “{}”, {not_now}.",
            d.status.label()
        )));
    }
    Ok(())
}

/// Roles that issue results, and the statuses from which they can.
const RESULT_ROLES: [Role; 2] = [Role::ProcessingOfficer, Role::Leader];
const RESULT_FROM: [DossierStatus; 2] = [DossierStatus::Received, DossierStatus::Processing];

/// Whether `who` may issue a dossier's result now, as far as role and status go (a running
/// process is checked apart).
pub fn may_issue_result(who: &Principal, d: &Dossier) -> bool {
    who.can_any(&RESULT_ROLES, &d.agency_code) && RESULT_FROM.contains(&d.status)
}

/// Refuses an official who may not issue results of the dossier's agency (403), or a
/// dossier not being resolved (409).
pub(crate) fn authorize_result(who: &Principal, d: &Dossier) -> Result<(), DossierError> {
    check(who, d, (&RESULT_ROLES, "ban hành kết quả cho"), (&RESULT_FROM, "chưa thể có kết quả"))
}

/// Refuses a withdrawal of a dossier already decided.
pub(crate) fn authorize_withdrawal(d: &Dossier) -> Result<(), DossierError> {
    use DossierStatus as S;
    if matches!(d.status, S::Submitted | S::Received | S::Supplement | S::Processing) {
        Ok(())
    } else {
        Err(DossierError::Conflict(format!(
            "Hồ sơ đang ở tình trạng “{}”, không rút được.",
            d.status.label()
        )))
    }
}

/// Refuses a supplement when none is asked for.
pub(crate) fn authorize_supply(d: &Dossier) -> Result<(), DossierError> {
    if d.status == DossierStatus::Supplement {
        Ok(())
    } else {
        Err(no_open_request())
    }
}

/// The refusal of a supplement nobody asked for.
pub(crate) fn no_open_request() -> DossierError {
    DossierError::Conflict("Hồ sơ không có yêu cầu bổ sung nào đang chờ.".into())
}

/// When a change happens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At {
    /// The moment.
    pub now: DateTime<Utc>,
    /// The day in Vietnam.
    pub today: NaiveDate,
}

/// A status change decided, ready to be written in one transaction.
#[derive(Debug)]
pub(crate) struct Change {
    /// The dossier as it will be.
    pub dossier: Dossier,
    /// The status it was read in, which it must still have when written.
    pub from: DossierStatus,
    /// Said when someone else moved it first.
    pub raced: &'static str,
    /// Writes besides the status, in order.
    pub effects: Vec<Effect>,
    /// The timeline step.
    pub event: DossierEvent,
    /// The applicant's notices: in-app, and e-mail and SMS where known.
    pub notices: Vec<NotificationRequest>,
    /// The audit event, recorded last.
    pub audit: AuditEvent,
}

/// A write that comes with a status change.
#[derive(Debug)]
pub(crate) enum Effect {
    /// Start the procedure's process with these variables (handing to processing).
    StartProcess {
        /// The process definition's key.
        key: String,
        /// Process variables: the dossier code, the procedure and the e-form.
        vars: Map<String, Value>,
    },
    /// Record the supplement request (Mẫu 02).
    OpenSupplement(SupplementRequest),
    /// Record the reception day and the statutory due date.
    Received {
        /// yyyy-mm-dd.
        on: String,
        /// yyyy-mm-dd.
        due: String,
    },
    /// Record the apology (Mẫu 04).
    Apology(Apology),
    /// Record the result document and the day the result was ready.
    Result {
        /// The document.
        doc: ResultDoc,
        /// yyyy-mm-dd.
        resolved_on: String,
    },
    /// Move the statutory due date by the working days the clock stood still.
    ShiftStatutoryDue {
        /// Working days.
        days: i64,
    },
    /// Attach the files of a supplement.
    AddFiles(Vec<DossierFile>),
    /// Mark the supplement request answered.
    AnswerSupplement {
        /// The request.
        seq: i64,
        /// The applicant's note.
        note: String,
    },
}

/// Said when another official moved the dossier first.
const RACED_OFFICE: &str = "Hồ sơ vừa được người khác xử lý; hãy tải lại trang.";
/// Said when the dossier changed under the applicant.
const RACED_APPLICANT: &str = "Hồ sơ vừa thay đổi tình trạng; hãy tải lại trang.";

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// A change to `d`, read in `from`, made by `actor` at `at`.
struct Draft<'a> {
    d: Dossier,
    from: DossierStatus,
    actor: &'a str,
    at: At,
}

impl<'a> Draft<'a> {
    fn new(d: &Dossier, actor: &'a str, at: At) -> Self {
        Draft { from: d.status, d: d.clone(), actor, at }
    }

    /// The dossier moves to `status` now (finished, if the status is final).
    fn to(mut self, status: DossierStatus) -> Self {
        self.d.status = status;
        self.d.updated_at = format_ts(self.at.now);
        if status.is_final() {
            self.d.finished_at = Some(format_ts(self.at.now));
        }
        self
    }

    fn finish(
        self,
        raced: &'static str,
        step: String,
        notice: &str,
        effects: Vec<Effect>,
        audit: AuditEvent,
    ) -> Change {
        let notices = notices(&self.d, notice, self.at.now);
        Change {
            event: DossierEvent {
                at: format_ts(self.at.now),
                status: self.d.status,
                actor: self.actor.to_string(),
                note: step,
            },
            audit: audit.object(self.d.code.as_deref().unwrap_or(&self.d.id)),
            from: self.from,
            dossier: self.d,
            raced,
            effects,
            notices,
        }
    }
}

/// What an official's action needs from elsewhere, looked up before it is decided.
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    /// A reception without a date: the appointment the procedure's processing time gives.
    pub appointment: Option<NaiveDate>,
    /// Handing to processing: the procedure's process key and the e-form as process
    /// variables, when the procedure has a process.
    pub process: Option<(String, Value)>,
}

/// What an official's action does to `d`: every check (role, status, input), then the new
/// state, the step, the notices, the audit event and the other writes.
pub(crate) fn office(
    d: &Dossier,
    action: &OfficeAction,
    who: &Principal,
    facts: Facts,
    at: At,
) -> Result<Change, DossierError> {
    action.authorize(who, d)?;
    let draft = Draft::new(d, &who.actor, at);
    let (draft, step, notice, effects) = match action {
        OfficeAction::Receive { due_date } => receive(draft, *due_date, facts.appointment)?,
        OfficeAction::RequestSupplement { items, note } => request_supplement(draft, items, note)?,
        OfficeAction::StartProcessing => {
            let mut effects = Vec::new();
            if let (Some((key, form)), Some(code)) = (facts.process, &d.code) {
                let mut vars = Map::new();
                vars.insert("dossier".into(), json!(code));
                vars.insert("procedure".into(), json!(d.procedure_code));
                vars.insert("form".into(), form);
                effects.push(Effect::StartProcess { key, vars });
            }
            (
                draft.to(DossierStatus::Processing),
                "Hồ sơ được chuyển xử lý.".to_string(),
                "Hồ sơ đang được giải quyết.".to_string(),
                effects,
            )
        }
        OfficeAction::Return => (
            draft.to(DossierStatus::Returned),
            "Đã trả kết quả cho người nộp.".to_string(),
            "Kết quả giải quyết hồ sơ đã được trả. Mời ông/bà đánh giá mức độ hài lòng tại mục Hồ sơ của tôi.".to_string(),
            Vec::new(),
        ),
        OfficeAction::Refuse { reasons } => {
            let mut errors = Vec::new();
            if reasons.trim().is_empty() {
                errors.push(field_error("reasons", "Cần nêu rõ lý do từ chối."));
            }
            if reasons.chars().count() > 4000 {
                errors.push(field_error("reasons", "Lý do quá dài (tối đa 4000 ký tự)."));
            }
            if garbled(reasons) {
                errors.push(field_error(
                    "reasons",
                    "Lý do không được có ký tự điều khiển.",
                ));
            }
            invalid_if_any(errors)?;
            (
                draft.to(DossierStatus::Refused),
                format!("Từ chối: {}", reasons.trim()),
                format!("Hồ sơ bị từ chối. Lý do: {}", reasons.trim()),
                Vec::new(),
            )
        }
        OfficeAction::Apologise { reason, new_due } => apologise(draft, reason, *new_due)?,
    };
    let audit = AuditEvent::new(&who.actor, &format!("dossier.{}", action.name()), "dossier")
        .agency(who.agency.as_deref().unwrap_or(""))
        .details(json!({"from": d.status.as_str(), "to": draft.d.status.as_str()}));
    Ok(draft.finish(RACED_OFFICE, step, &notice, effects, audit))
}

type Decided<'a> = (Draft<'a>, String, String, Vec<Effect>);

/// Whether text for the applicant's notices has control characters (other than line
/// breaks and tabs), which no notice can carry.
fn garbled(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

fn invalid_if_any(errors: Vec<FieldError>) -> Result<(), DossierError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DossierError::Invalid(errors))
    }
}

fn receive(
    draft: Draft<'_>,
    due_date: Option<NaiveDate>,
    appointment: Option<NaiveDate>,
) -> Result<Decided<'_>, DossierError> {
    let due_date = due_date
        .or(appointment)
        .ok_or_else(|| DossierError::Internal("ngày hẹn trả kết quả chưa được tính".into()))?;
    if due_date < draft.at.today {
        return Err(DossierError::Invalid(vec![field_error(
            "due_date",
            "Ngày hẹn trả kết quả không được trước ngày hôm nay.",
        )]));
    }
    let mut draft = draft.to(DossierStatus::Received);
    draft.d.due_date = Some(ymd(due_date));
    let due = due_date.format("%d/%m/%Y");
    let notice =
        format!("Hồ sơ đã được {} tiếp nhận. Ngày hẹn trả kết quả: {due}.", draft.d.agency_name);
    let effects = vec![Effect::Received { on: ymd(draft.at.today), due: ymd(due_date) }];
    Ok((draft, format!("Hồ sơ được tiếp nhận; hẹn trả kết quả ngày {due}."), notice, effects))
}

fn request_supplement<'a>(
    draft: Draft<'a>,
    items: &[SupplementItem],
    note: &str,
) -> Result<Decided<'a>, DossierError> {
    let items: Vec<&SupplementItem> = items.iter().filter(|i| !i.text.trim().is_empty()).collect();
    let mut errors = Vec::new();
    if items.is_empty() {
        errors.push(field_error(
            "items",
            "Cần liệt kê đầy đủ một lần các giấy tờ, nội dung phải bổ sung.",
        ));
    }
    // Each item, the note, and the whole list go into one notice (at most 10,000 characters).
    let total: usize = items.iter().map(|i| i.text.chars().count() + 8).sum();
    if items.iter().any(|i| i.text.chars().count() > 1000)
        || note.chars().count() > 4000
        || total > 5000
    {
        errors.push(field_error("items", "Nội dung yêu cầu quá dài."));
    }
    if items.iter().any(|i| garbled(&i.text)) || garbled(note) {
        errors.push(field_error("items", "Nội dung yêu cầu không được có ký tự điều khiển."));
    }
    invalid_if_any(errors)?;
    let list = items
        .iter()
        .enumerate()
        .map(|(n, i)| format!("{}. {}", n + 1, i.text.trim()))
        .collect::<Vec<_>>()
        .join("\n");
    let request = SupplementRequest {
        seq: 0,
        requested_at: format_ts(draft.at.now),
        requested_by: draft.actor.to_string(),
        items: items
            .iter()
            .map(|i| SupplementItem { component: i.component, text: i.text.trim().to_string() })
            .collect(),
        note: note.trim().to_string(),
        // A dossier asked for more before reception goes back to the queue.
        resume_status: draft.from,
        answered_at: None,
        answer_note: None,
    };
    Ok((
        draft.to(DossierStatus::Supplement),
        format!("Yêu cầu bổ sung hồ sơ:\n{list}"),
        format!(
            "Hồ sơ cần bổ sung:\n{list}\n{}\nÔng/bà bổ sung trực tuyến tại mục Hồ sơ của tôi.",
            note.trim()
        ),
        vec![Effect::OpenSupplement(request)],
    ))
}

fn apologise<'a>(
    draft: Draft<'a>,
    reason: &str,
    new_due: NaiveDate,
) -> Result<Decided<'a>, DossierError> {
    let today = draft.at.today;
    let current = draft.d.due_date.as_deref().and_then(parse_ymd);
    let mut errors = Vec::new();
    if reason.trim().is_empty() || reason.chars().count() > 2000 {
        errors.push(field_error("reason", "Cần nêu lý do chậm trả kết quả (tối đa 2000 ký tự)."));
    }
    if garbled(reason) {
        errors.push(field_error("reason", "Lý do không được có ký tự điều khiển."));
    }
    match current {
        Some(c) if new_due <= c || new_due < today => errors.push(field_error(
            "new_due",
            format!(
                "Ngày hẹn mới phải sau ngày hẹn cũ ({}) và không trước hôm nay.",
                c.format("%d/%m/%Y")
            ),
        )),
        None => errors.push(field_error("new_due", "Hồ sơ chưa có ngày hẹn.")),
        _ => {}
    }
    invalid_if_any(errors)?;
    let old = current.map(|c| c.format("%d/%m/%Y").to_string()).unwrap_or_default();
    let new = new_due.format("%d/%m/%Y");
    let apology = Apology {
        seq: 0,
        issued_at: format_ts(draft.at.now),
        issued_by: draft.actor.to_string(),
        agency_name: draft.d.agency_name.clone(),
        reason: reason.trim().to_string(),
        old_due: draft.d.due_date.clone().unwrap_or_default(),
        new_due: ymd(new_due),
    };
    let status = draft.from;
    let mut draft = draft.to(status);
    draft.d.due_date = Some(ymd(new_due));
    let notice = format!(
        "{} xin lỗi ông/bà vì hồ sơ không có kết quả đúng hẹn ngày {old}. Lý do: {}. Ngày hẹn trả kết quả mới: {new}.",
        draft.d.agency_name,
        reason.trim()
    );
    Ok((
        draft,
        format!("Xin lỗi vì trễ hẹn (Mẫu 04): {}; hẹn lại ngày {new}.", reason.trim()),
        notice,
        vec![Effect::Apology(apology)],
    ))
}

/// The result document is issued: ready at the counter, or returned online at once.
pub(crate) fn result(
    d: &Dossier,
    who: &Principal,
    doc: ResultDoc,
    online: bool,
    at: At,
) -> Result<Change, DossierError> {
    authorize_result(who, d)?;
    let draft = Draft::new(d, &who.actor, at).to(if online {
        DossierStatus::Returned
    } else {
        DossierStatus::ResultReady
    });
    let (step, notice) = if online {
        (
            format!("Có kết quả giải quyết, trả trực tuyến: {}.", doc.file_name),
            "Hồ sơ đã có kết quả, trả trực tuyến: ông/bà tải kết quả và đánh giá mức độ hài lòng tại mục Hồ sơ của tôi.".to_string(),
        )
    } else {
        (
            format!(
                "Có kết quả giải quyết: {}; chờ trả tại bộ phận một cửa.",
                doc.file_name
            ),
            format!(
                "Hồ sơ đã có kết quả. Mời ông/bà nhận kết quả tại bộ phận một cửa của {}; bản điện tử xem tại mục Hồ sơ của tôi.",
                d.agency_name
            ),
        )
    };
    let audit = AuditEvent::new(&who.actor, "dossier.result", "dossier")
        .agency(who.agency.as_deref().unwrap_or(""))
        .details(json!({"sha256": doc.sha256, "online": online}));
    let effects = vec![Effect::Result { doc, resolved_on: ymd(at.today) }];
    Ok(draft.finish(RACED_OFFICE, step, &notice, effects, audit))
}

/// What the applicant supplies in answer to the open request.
pub(crate) struct Supply<'a> {
    /// The open request.
    pub request: &'a SupplementRequest,
    /// Whether any file was sent.
    pub uploaded: bool,
    /// The files stored.
    pub files: Vec<DossierFile>,
    /// The problems with the files sent, by input.
    pub file_errors: Vec<FieldError>,
    /// The applicant's note.
    pub note: &'a str,
}

/// The applicant answers the open request: the dossier goes back where it was, and its
/// appointment moves by the working days the clock stood still.
pub(crate) fn supply(
    d: &Dossier,
    actor: &str,
    s: Supply<'_>,
    cal: &WorkingCalendar,
    at: At,
) -> Result<Change, DossierError> {
    authorize_supply(d)?;
    let note = s.note.trim();
    let mut errors = Vec::new();
    if !s.uploaded && note.is_empty() {
        errors.push(field_error(
            "files",
            "Hãy đính kèm giấy tờ được yêu cầu hoặc ghi rõ nội dung bổ sung.",
        ));
    }
    if s.note.chars().count() > 4000 {
        errors.push(field_error("note", "Ghi chú quá dài (tối đa 4000 ký tự)."));
    }
    errors.extend(s.file_errors);
    invalid_if_any(errors)?;
    let mut draft = Draft::new(d, actor, at).to(s.request.resume_status);
    // The clock stood still from the request to the answer.
    let stopped = cqdt_platform::clock::parse_ts(&s.request.requested_at)
        .map(|t| cqdt_platform::clock::to_vn(t).date_naive())
        .map(|asked| cal.working_days_between(asked, at.today).max(0))
        .unwrap_or(0);
    let mut effects = Vec::new();
    if stopped > 0 {
        if let Some(due) = draft.d.due_date.as_deref().and_then(parse_ymd) {
            draft.d.due_date = Some(ymd(cal.add_working_days(due, stopped)));
        }
        effects.push(Effect::ShiftStatutoryDue { days: stopped });
    }
    let step = if s.files.is_empty() {
        format!("Người nộp đã bổ sung hồ sơ: {note}")
    } else {
        format!(
            "Người nộp đã bổ sung {} tệp{}",
            s.files.len(),
            if note.is_empty() { ".".to_string() } else { format!(": {note}") }
        )
    };
    let audit = AuditEvent::new(actor, "dossier.supply", "dossier")
        .details(json!({"files": s.files.len(), "request": s.request.seq}));
    effects.push(Effect::AddFiles(s.files));
    effects.push(Effect::AnswerSupplement { seq: s.request.seq, note: note.to_string() });
    Ok(draft.finish(
        RACED_APPLICANT,
        step,
        "Hệ thống đã nhận phần bổ sung hồ sơ của ông/bà; hồ sơ tiếp tục được giải quyết.",
        effects,
        audit,
    ))
}

/// The applicant withdraws a dossier that is not yet decided.
pub(crate) fn withdraw(
    d: &Dossier,
    actor: &str,
    reason: &str,
    at: At,
) -> Result<Change, DossierError> {
    authorize_withdrawal(d)?;
    if reason.chars().count() > 2000 {
        return Err(DossierError::Invalid(vec![field_error(
            "reason",
            "Lý do quá dài (tối đa 2000 ký tự).",
        )]));
    }
    let step = if reason.trim().is_empty() {
        "Người nộp rút hồ sơ.".to_string()
    } else {
        format!("Người nộp rút hồ sơ: {}", reason.trim())
    };
    let notice = format!("Hồ sơ đã được rút theo yêu cầu của ông/bà lúc {}.", vn_time(at.now));
    let audit = AuditEvent::new(actor, "dossier.withdraw", "dossier");
    Ok(Draft::new(d, actor, at).to(DossierStatus::Withdrawn).finish(
        RACED_APPLICANT,
        step,
        &notice,
        Vec::new(),
        audit,
    ))
}

pub(crate) use cqdt_platform::clock::format_ts_vn as vn_time;

/// The applicant's notices of a change: in-app (with `notice`), e-mail (the whole story)
/// and SMS (short, without diacritics: GSM 7-bit keeps messages short).
fn notices(d: &Dossier, notice: &str, now: DateTime<Utc>) -> Vec<NotificationRequest> {
    let code = d.code.clone().unwrap_or_default();
    let subject = format!("Hồ sơ {code}: {}", d.status.label());
    let body = format!(
        "Kính gửi ông/bà {},\n\nHồ sơ số {code} về thủ tục “{}” chuyển sang tình trạng “{}” lúc {}.\n\n{notice}\n\nTra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng Dịch vụ công.",
        d.applicant_name,
        d.procedure_name,
        d.status.label(),
        vn_time(now),
    );
    let mut requests = vec![(
        NotificationRequest::new(Channel::InApp, d.applicant_account.clone(), "generic")
            .link(format!("/ho-so-cua-toi/{code}")),
        notice.to_string(),
    )];
    if let Some(e) = &d.applicant_email {
        requests.push((NotificationRequest::new(Channel::Email, e.clone(), "generic"), body));
    }
    if let Some(p) = &d.applicant_phone {
        requests.push((
            NotificationRequest::new(Channel::Sms, p.clone(), "generic"),
            format!(
                "Ho so {code}: {}. Xem chi tiet tren Cong Dich vu cong.",
                cqdt_platform::web::fold(d.status.label())
            ),
        ));
    }
    requests
        .into_iter()
        .map(|(mut req, text)| {
            req.params.insert("subject".into(), subject.clone());
            req.params.insert("body".into(), text);
            req
        })
        .collect()
}

#[cfg(test)]
mod tests;

//! A dossier as the back office sees it (`/mot-cua/ho-so/{code}`): the e-form and files, the
//! timeline, the process tasks with the diagram, the slips to print, and the actions the
//! official's role allows now; an action refused for its input shows the page again with
//! the errors.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::NaiveDate;
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Principal, Shell};
use cqdt_procedures::model::Procedure;
use cqdt_workflow::InstanceDetail;

use super::{component_files, vn_date, vn_ts};
use crate::error::DossierError;
use crate::http::{control, read_multipart, DossierState};
use crate::model::{Dossier, DossierStatus, SupplementItem};
use crate::service::{
    task_allows, task_opinion, task_role_label, Check, Deadline, DossierView, OfficeAction, Upload,
};

#[derive(Template)]
#[template(path = "office_dossier.html")]
struct DossierTpl {
    shell: Shell,
    notice: String,
    errors: Vec<FieldError>,
    code: String,
    view: DossierView,
    submitted: String,
    due: String,
    deadline: Deadline,
    /// The e-form as label and value.
    values: Vec<(String, String)>,
    /// Components: name, the files attached.
    components: Vec<(String, Vec<FileLink>)>,
    /// The results issued, with when and by whom.
    results: Vec<(FileLink, String)>,
    /// Appointment date a reception would give now (dd/mm/yyyy).
    proposed_due: String,
    can_receive: bool,
    can_supplement: bool,
    can_refuse: bool,
    can_process: bool,
    can_return: bool,
    can_result: bool,
    can_apologise: bool,
    slips: Vec<(&'static str, &'static str)>,
    /// The process's tasks, in order.
    tasks: Vec<TaskView>,
    /// Whether the process still runs.
    process_running: bool,
    /// What stopped the process, when an incident or a cancellation did.
    process_state: String,
    /// The process drawn, open steps highlighted (SVG).
    diagram: String,
    /// The dossier's history: its steps and the process's done tasks with their opinions.
    history: Vec<Step>,
    /// A national database is connected: the page offers the check.
    can_check: bool,
    /// The check was asked for: its results follow.
    checked: bool,
    checks: Vec<Check>,
}

/// One line of the dossier's history as officials read it.
struct Step {
    what: String,
    when: String,
    who: String,
    note: String,
}

/// People as the page names them: officials by their full name (not their login), the
/// applicant by the name on the dossier.
struct Names(BTreeMap<String, String>);

impl Names {
    /// The names of everyone who did something on the dossier or its process.
    async fn of(s: &DossierState, view: &DossierView, process: Option<&InstanceDetail>) -> Names {
        let d = &view.dossier;
        let actors = view.events.iter().map(|e| &e.actor);
        let actors = actors.chain(view.results.iter().map(|r| &r.added_by));
        let tasks = process.into_iter().flat_map(|p| p.tasks.iter());
        let actors = actors.chain(tasks.filter_map(|t| t.completed_by.as_ref()));
        let mut names = BTreeMap::new();
        for actor in actors {
            if names.contains_key(actor) {
                continue;
            }
            let words = crate::display::actor_text(actor, d);
            let name = match actor.strip_prefix("account:") {
                Some(id) if id == d.applicant_account => words,
                _ if actor == "system" => words,
                _ => s.applicants.full_name(actor).await.unwrap_or(words),
            };
            names.insert(actor.clone(), name);
        }
        Names(names)
    }

    fn of_actor(&self, actor: &str) -> String {
        self.0.get(actor).cloned().unwrap_or_else(|| actor.to_string())
    }
}

/// The dossier's timeline merged with the process tasks done, in the order they happened,
/// each with who, when and what they wrote.
fn history(view: &DossierView, process: Option<&InstanceDetail>, names: &Names) -> Vec<Step> {
    let instant = |at: &str| chrono::DateTime::parse_from_rfc3339(at).ok();
    let mut steps: Vec<_> = view
        .events
        .iter()
        .map(|e| {
            let step = Step {
                what: e.status.label().to_string(),
                when: vn_ts(&e.at),
                who: names.of_actor(&e.actor),
                note: e.note.clone(),
            };
            (instant(&e.at), step)
        })
        .collect();
    let done = process.into_iter().flat_map(|p| p.tasks.iter().map(move |t| (p, t)));
    for (p, t) in done {
        let (Some(at), Some(by)) = (&t.completed_at, &t.completed_by) else { continue };
        let opinion = task_opinion(p, t);
        let step = Step {
            what: match t.status.as_str() {
                "cancelled" => format!("Huỷ “{}”", t.name),
                _ => format!("Hoàn thành “{}”", t.name),
            },
            when: vn_ts(at),
            who: names.of_actor(by),
            note: if opinion.is_empty() { String::new() } else { format!("Ý kiến: {opinion}") },
        };
        steps.push((instant(at), step));
    }
    // Stable: steps at the same instant keep the dossier's order, then the process's.
    steps.sort_by_key(|(at, _)| *at);
    steps.into_iter().map(|(_, s)| s).collect()
}

/// A process task as the dossier page shows it.
struct TaskView {
    id: i64,
    name: String,
    agency: String,
    role: String,
    created: String,
    due: String,
    done: String,
    /// The opinion given when it was done.
    opinion: String,
    mine: bool,
    /// The official decides here: approve, or send back.
    decides: bool,
}

/// A file as the dossier page lists it: its name, what it is, and where it opens.
struct FileLink {
    name: String,
    /// Kind and size in words, e.g. "PDF, 11 KB".
    about: String,
    href: String,
}

impl FileLink {
    fn new(code: &str, name: &str, media_type: &str, size: i64, sha256: &str) -> FileLink {
        FileLink {
            name: name.to_string(),
            about: format!("{}, {}", filters::kind_text(media_type), filters::size_text(size)),
            href: format!("/mot-cua/ho-so/{code}/tep/{sha256}"),
        }
    }
}

/// Each component of the procedure with the files attached to it.
fn components(
    code: &str,
    procedure: Option<&Procedure>,
    view: &DossierView,
) -> Vec<(String, Vec<FileLink>)> {
    component_files(procedure, view)
        .map(|(c, files)| {
            let links = files
                .iter()
                .map(|f| FileLink::new(code, &f.file_name, &f.media_type, f.size, &f.sha256))
                .collect();
            (c.name.clone(), links)
        })
        .collect()
}

/// The process's tasks as the page lists them, with the ones where the official decides.
async fn tasks(
    s: &DossierState,
    p: &Principal,
    names: &Names,
    process: &InstanceDetail,
) -> Vec<TaskView> {
    let mut deciding = Vec::new();
    for t in process.tasks.iter().filter(|t| t.status == "open") {
        if s.dossiers.task_decides(process, &t.node_id).await {
            deciding.push(t.id);
        }
    }
    process
        .tasks
        .iter()
        .map(|t| TaskView {
            decides: deciding.contains(&t.id),
            id: t.id,
            name: t.name.clone(),
            agency: s.dossiers.agency_name(t.agency.as_deref().unwrap_or("")),
            role: task_role_label(t),
            created: vn_ts(&t.created_at),
            due: t.due_date.as_deref().map(vn_date).unwrap_or_default(),
            done: match (&t.completed_at, &t.completed_by) {
                (Some(at), Some(by)) if t.status == "cancelled" => {
                    format!("Đã huỷ {} – {}", vn_ts(at), names.of_actor(by))
                }
                (Some(at), Some(by)) => {
                    format!("{} – {}", vn_ts(at), names.of_actor(by))
                }
                _ => String::new(),
            },
            opinion: task_opinion(process, t),
            mine: t.status == "open" && task_allows(p, t),
        })
        .collect()
}

/// The slips (TT 01/2018 forms) the dossier has so far: number and title.
fn slips(view: &DossierView, process: bool) -> Vec<(&'static str, &'static str)> {
    let d = &view.dossier;
    [
        (d.due_date.is_some(), "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)"),
        (!view.supplements.is_empty(), "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"),
        (
            d.status == DossierStatus::Refused,
            "03",
            "Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)",
        ),
        (!view.apologies.is_empty(), "04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"),
        (process, "05", "Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)"),
    ]
    .into_iter()
    .filter(|(has, _, _)| *has)
    .map(|(_, form, title)| (form, title))
    .collect()
}

/// The appointment date (dd/mm/yyyy) a dossier waiting for reception would get now.
async fn proposed_due(s: &DossierState, d: &Dossier) -> String {
    if d.status != DossierStatus::Submitted {
        return String::new();
    }
    s.dossiers
        .appointment_if_received_now(&d.procedure_code)
        .await
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

/// The dossier page with a notice, or with the errors of a refused action (422).
async fn show(
    s: &DossierState,
    p: &Principal,
    code: &str,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, DossierError> {
    show_with(s, p, code, notice, errors, None).await
}

/// The dossier page, with the national check's results when it was asked for.
async fn show_with(
    s: &DossierState,
    p: &Principal,
    code: &str,
    notice: &str,
    errors: Vec<FieldError>,
    checks: Option<Vec<Check>>,
) -> Result<Response, DossierError> {
    let view = s.dossiers.view_for_official(p, code).await?;
    let procedure = s.dossiers.procedure_of(&view.dossier).await?;
    let d = &view.dossier;
    let proposed_due = proposed_due(s, d).await;
    let process = s.dossiers.process_for_official(p, code).await?;
    let names = Names::of(s, &view, process.as_ref()).await;
    let (tasks, diagram) = match &process {
        Some(pr) => (tasks(s, p, &names, pr).await, s.dossiers.process_diagram(pr).await),
        None => (Vec::new(), String::new()),
    };
    let process_running = process.as_ref().is_some_and(|pr| pr.instance.status == "active");
    let process_state = match process.as_ref().map(|pr| &pr.instance) {
        Some(i) if i.status == "incident" => format!(
            "Quy trình gặp sự cố ({}); quản trị hệ thống cần xử lý trước khi giải quyết tiếp.",
            i.incident.as_deref().unwrap_or("không rõ")
        ),
        Some(i) if i.status == "cancelled" => {
            "Quy trình đã bị huỷ; hồ sơ được giải quyết tiếp không theo quy trình.".to_string()
        }
        _ => String::new(),
    };
    let allowed = |a: OfficeAction| a.allowed(p, d);
    let tpl = DossierTpl {
        shell: (*s.platform.shell).clone(),
        notice: notice.into(),
        code: code.into(),
        submitted: d.submitted_at.as_deref().map(vn_ts).unwrap_or_default(),
        due: d.due_date.as_deref().map(vn_date).unwrap_or_default(),
        deadline: s.dossiers.deadline_of(d),
        values: procedure
            .as_ref()
            .map(|pr| s.dossiers.shown_form(&pr.form, &d.form))
            .unwrap_or_default(),
        components: components(code, procedure.as_ref(), &view),
        results: view
            .results
            .iter()
            .map(|r| {
                let link = FileLink::new(code, &r.file_name, &r.media_type, r.size, &r.sha256);
                let when = format!("{} – {}", vn_ts(&r.added_at), names.of_actor(&r.added_by));
                (link, if r.note.is_empty() { when } else { format!("{when}: {}", r.note) })
            })
            .collect(),
        proposed_due,
        can_receive: allowed(OfficeAction::Receive { due_date: None }),
        can_supplement: allowed(OfficeAction::RequestSupplement {
            items: Vec::new(),
            note: String::new(),
        }),
        can_refuse: allowed(OfficeAction::Refuse { reasons: String::new() }),
        can_process: allowed(OfficeAction::StartProcessing),
        can_return: allowed(OfficeAction::Return),
        can_apologise: d.due_date.is_some()
            && allowed(OfficeAction::Apologise {
                reason: String::new(),
                new_due: s.dossiers.today(),
            }),
        can_result: !process_running
            && process.as_ref().is_none_or(|pr| pr.instance.status != "incident")
            && crate::service::may_issue_result(p, d),
        process_state,
        slips: slips(&view, process.is_some()),
        history: history(&view, process.as_ref(), &names),
        tasks,
        process_running,
        diagram,
        errors,
        view,
        can_check: s.dossiers.national_connected(),
        checked: checks.is_some(),
        checks: checks.unwrap_or_default(),
    };
    let mut res = render(&tpl);
    if res.status() == StatusCode::OK && !tpl.errors.is_empty() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(res)
}

pub(super) async fn dossier_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let notice = match q.get("done").map(String::as_str) {
        Some("tiep-nhan") => "Đã tiếp nhận hồ sơ. In giấy tiếp nhận (Mẫu 01) để giao người nộp.",
        Some("bo-sung") => "Đã gửi yêu cầu bổ sung (Mẫu 02) tới người nộp.",
        Some("tu-choi") => "Đã từ chối hồ sơ (Mẫu 03); người nộp đã được thông báo.",
        Some("chuyen-xu-ly") => "Đã chuyển hồ sơ sang xử lý.",
        Some("tra-ket-qua") => "Đã ghi nhận trả kết quả.",
        Some("cong-viec") => "Đã hoàn thành công việc; hồ sơ chuyển sang bước tiếp theo.",
        Some("ket-qua") => "Đã ban hành kết quả.",
        Some("xin-loi") => "Đã gửi thư xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04) tới người nộp.",
        _ => "",
    };
    show(&s, &p, &code, notice, Vec::new()).await
}

/// The dossier's personal IDs and enterprise codes checked against the national databases.
pub(super) async fn check_national(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Result<Response, DossierError> {
    let checks = s.dossiers.check_with_national(&p, &code).await?;
    show_with(&s, &p, &code, "", Vec::new(), Some(checks)).await
}

/// A date typed as dd/mm/yyyy, or the error for `field`.
fn vn_day(typed: &str, field: &str, message: &str) -> Result<NaiveDate, Vec<FieldError>> {
    NaiveDate::parse_from_str(typed, "%d/%m/%Y").map_err(|_| vec![FieldError::new(field, message)])
}

/// Reads the action a form posted, with its data, into an [`OfficeAction`].
fn action_of(name: &str, f: &BTreeMap<String, String>) -> Result<OfficeAction, Vec<FieldError>> {
    let text = |k: &str| control(f, k).trim().to_string();
    Ok(match name {
        "tiep-nhan" => OfficeAction::Receive {
            due_date: match text("due_date") {
                typed if typed.is_empty() => None,
                typed => Some(vn_day(
                    &typed,
                    "due_date",
                    "Ngày hẹn trả kết quả viết theo dạng ngày/tháng/năm, ví dụ 08/12/2026.",
                )?),
            },
        },
        "bo-sung" => OfficeAction::RequestSupplement {
            items: text("items")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| SupplementItem { component: None, text: l.to_string() })
                .collect(),
            note: text("note"),
        },
        "tu-choi" => OfficeAction::Refuse { reasons: text("reasons") },
        "xin-loi" => OfficeAction::Apologise {
            new_due: vn_day(
                &text("new_due"),
                "new_due",
                "Ngày hẹn mới viết theo dạng ngày/tháng/năm, ví dụ 15/12/2026.",
            )?,
            reason: text("reason"),
        },
        "chuyen-xu-ly" => OfficeAction::StartProcessing,
        "tra-ket-qua" => OfficeAction::Return,
        _ => return Err(vec![FieldError::new("main", "Thao tác không có.")]),
    })
}

/// Where an official's action ends: the dossier page with `done`, the page again with the
/// errors of a refused action (its input: 422; the dossier's state: 409), or the error page.
async fn done_or_refused<T>(
    s: &DossierState,
    p: &Principal,
    code: &str,
    outcome: Result<T, DossierError>,
    done: &str,
) -> Result<Response, DossierError> {
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/mot-cua/ho-so/{code}?done={done}")).into_response()),
        Err(DossierError::Invalid(errors)) => show(s, p, code, "", errors).await,
        Err(DossierError::Conflict(m)) => {
            let mut res = show(s, p, code, "", vec![FieldError::new("main", m)]).await?;
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
        Err(e) => Err(e),
    }
}

/// An action from the dossier page's forms.
pub(super) async fn act(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, name)): Path<(String, String)>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let action = match action_of(&name, &f) {
        Ok(a) => a,
        Err(errors) => return show(&s, &p, &code, "", errors).await,
    };
    let outcome = s.dossiers.act(&p, &code, action).await;
    done_or_refused(&s, &p, &code, outcome, &name).await
}

/// A process task done, with the official's opinion and decision.
pub(super) async fn complete_task(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, task)): Path<(String, i64)>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    let approve = control(&f, "decision") != "tra_lai";
    let outcome = s.dossiers.complete_task(&p, &code, task, control(&f, "note"), approve).await;
    done_or_refused(&s, &p, &code, outcome, "cong-viec").await
}

/// Query of a file link: `tai-ve` asks for a download instead of the browser's viewer.
#[derive(serde::Deserialize)]
pub(super) struct FileQuery {
    #[serde(rename = "tai-ve")]
    download: Option<String>,
}

/// A file of the dossier (attachment, supplied paper or result), opened in the browser's
/// PDF or image viewer so reception can check it before receiving, or downloaded.
pub(super) async fn file(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, sha256)): Path<(String, String)>,
    Query(q): Query<FileQuery>,
) -> Result<Response, DossierError> {
    let (name, media_type, bytes) = s.dossiers.file_for_official(&p, &code, &sha256).await?;
    Ok(crate::http::file_response(&name, &media_type, bytes, q.download.is_none()))
}

/// A result document uploaded from the dossier page.
pub(super) async fn add_result(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: Multipart,
) -> Result<Response, DossierError> {
    let refused = |message: String| DossierError::Invalid(vec![FieldError::new("file_0", message)]);
    let outcome = match read_multipart(m).await {
        Err(message) => Err(refused(message)),
        Ok(mut parts) => match parts.uploads.pop().filter(|_| parts.uploads.is_empty()) {
            None => Err(refused("Chọn tệp kết quả (PDF, JPEG hoặc PNG).".into())),
            Some(upload) => {
                let upload = Upload { component: 0, ..upload };
                let note = control(&parts.control, "note");
                let online = control(&parts.control, "online") == "on";
                s.dossiers.add_result(&p, &code, &upload, note, online).await
            }
        },
    };
    // The service names the file `file`; the page's input is `file_0`.
    let outcome = outcome.map_err(|e| match e {
        DossierError::Invalid(errors) => DossierError::Invalid(
            errors
                .into_iter()
                .map(|e| match e.field.as_str() {
                    "file" => FieldError::new("file_0", e.message),
                    _ => e,
                })
                .collect(),
        ),
        other => other,
    });
    done_or_refused(&s, &p, &code, outcome, "ket-qua").await
}

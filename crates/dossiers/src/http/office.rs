//! The one-stop back office's pages (`/mot-cua`): officials' work lists by status with
//! due-soon and overdue flags, a dossier with the actions the official's role allows
//! (receive, ask for a supplement, refuse, hand to processing, return the result), and
//! the printable slips of TT 01/2018: receipt Mẫu 01, supplement request Mẫu 02 and
//! refusal Mẫu 03, on A5 with a QR code of the dossier code.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::NaiveDate;
use cqdt_platform::web::{qr_svg, render};
use cqdt_platform::{FieldError, Principal, Role, Shell};

use super::{page_error, DossierState};
use crate::error::DossierError;
use crate::model::Counts;
use crate::model::{Dossier, DossierStatus, SupplementItem};
use crate::service::{Deadline, DossierView, OfficeAction, Statistics, StatsBy};

/// The routes of this file, merged by the module's router.
pub(super) fn routes() -> Router<DossierState> {
    Router::new()
        .route("/mot-cua", get(work_list))
        .route("/mot-cua/ho-so/{code}", get(dossier_page))
        .route("/mot-cua/thong-ke", get(statistics_page))
        .route("/mot-cua/tiep-nhan-truc-tiep", get(counter_choose))
        .route(
            "/mot-cua/tiep-nhan-truc-tiep/{procedure}",
            get(counter_form).post(counter_submit),
        )
        .route("/mot-cua/so-theo-doi", get(ledger_page))
        .route("/thong-ke-ho-so", get(public_statistics))
        .route("/mot-cua/ho-so/{code}/phieu/{form}", get(slip))
        .route(
            "/mot-cua/ho-so/{code}/cong-viec/{task}",
            post(complete_task),
        )
        .route("/mot-cua/ho-so/{code}/ket-qua", post(add_result))
        .route(
            "/mot-cua/ho-so/{code}/ket-qua/tao",
            get(result_form).post(result_submit),
        )
        .route("/mot-cua/ho-so/{code}/{action}", post(act))
}

/// The statuses an official's work list has tabs for.
const TABS: [DossierStatus; 5] = [
    DossierStatus::Submitted,
    DossierStatus::Received,
    DossierStatus::Processing,
    DossierStatus::Supplement,
    DossierStatus::ResultReady,
];

/// A dossier as the work list shows it.
struct Row {
    code: String,
    procedure: String,
    applicant: String,
    submitted: String,
    due: String,
    deadline: Deadline,
}

#[derive(Template)]
#[template(path = "office_list.html")]
struct ListTpl {
    shell: Shell,
    tabs: Vec<(&'static str, &'static str, bool)>,
    title: &'static str,
    rows: Vec<Row>,
    overdue: usize,
    due_soon: usize,
    /// Process tasks, on the "my work" tab: (task name, agency name).
    tasks: Vec<(Row, String)>,
    work_tab: bool,
}

/// Value of the "my work" tab.
const WORK_TAB: &str = "viec";

/// Sort key: overdue first, then due soon, then the rest in their order.
fn urgency(d: Deadline) -> u8 {
    match d {
        Deadline::Overdue => 0,
        Deadline::DueSoon => 1,
        _ => 2,
    }
}

fn vn_date(s: &str) -> String {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn vn_ts(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| {
            cqdt_platform::clock::to_vn(t.with_timezone(&chrono::Utc))
                .format("%H:%M %d/%m/%Y")
                .to_string()
        })
        .unwrap_or_else(|_| s.to_string())
}

async fn work_list(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    // Clerks have no counter of their own but get process tasks (records searches…).
    let office = [
        Role::ReceptionOfficer,
        Role::ProcessingOfficer,
        Role::Leader,
        Role::Clerk,
    ];
    if !office.iter().any(|r| p.has_role(*r)) {
        return page_error(
            DossierError::Forbidden("Trang dành cho cán bộ một cửa.".into()),
            shell,
        );
    }
    let mut tabs: Vec<(&'static str, &'static str, bool)> = vec![(
        WORK_TAB,
        "Việc của tôi",
        q.get("tinh-trang").map(String::as_str) == Some(WORK_TAB),
    )];
    if tabs[0].2 {
        let work = match s.dossiers.work_for(&p).await {
            Ok(w) => w,
            Err(e) => return page_error(e, shell),
        };
        let mut tasks: Vec<(Row, String)> = work
            .into_iter()
            .map(|w| {
                let agency = s
                    .dossiers
                    .agency_name(w.task.agency.as_deref().unwrap_or(""));
                (
                    Row {
                        code: w.dossier_code,
                        procedure: w.task.name,
                        applicant: String::new(),
                        submitted: vn_ts(&w.task.created_at),
                        due: w.task.due_date.as_deref().map(vn_date).unwrap_or_default(),
                        deadline: w.deadline,
                    },
                    agency,
                )
            })
            .collect();
        tasks.sort_by_key(|(r, _)| urgency(r.deadline));
        tabs.extend(TABS.iter().map(|t| (t.as_str(), t.label(), false)));
        return render(&ListTpl {
            shell: (**shell).clone(),
            tabs,
            title: "Việc của tôi",
            overdue: tasks
                .iter()
                .filter(|(r, _)| r.deadline == Deadline::Overdue)
                .count(),
            due_soon: tasks
                .iter()
                .filter(|(r, _)| r.deadline == Deadline::DueSoon)
                .count(),
            rows: Vec::new(),
            tasks,
            work_tab: true,
        });
    }
    let status = q
        .get("tinh-trang")
        .and_then(|v| DossierStatus::parse(v))
        .filter(|st| TABS.contains(st))
        .unwrap_or(DossierStatus::Submitted);
    let dossiers = match s.dossiers.queue(&p, status).await {
        Ok(d) => d,
        Err(e) => return page_error(e, shell),
    };
    let mut rows: Vec<Row> = dossiers
        .iter()
        .map(|d| Row {
            code: d.code.clone().unwrap_or_default(),
            procedure: d.procedure_name.clone(),
            applicant: d.applicant_name.clone(),
            submitted: d.submitted_at.as_deref().map(vn_ts).unwrap_or_default(),
            due: d.due_date.as_deref().map(vn_date).unwrap_or_default(),
            deadline: s.dossiers.deadline_of(d),
        })
        .collect();
    // The most urgent first: overdue, then due soon, then the oldest.
    rows.sort_by_key(|r| urgency(r.deadline));
    tabs.extend(TABS.iter().map(|t| (t.as_str(), t.label(), *t == status)));
    render(&ListTpl {
        shell: (**shell).clone(),
        tabs,
        tasks: Vec::new(),
        work_tab: false,
        title: status.label(),
        overdue: rows
            .iter()
            .filter(|r| r.deadline == Deadline::Overdue)
            .count(),
        due_soon: rows
            .iter()
            .filter(|r| r.deadline == Deadline::DueSoon)
            .count(),
        rows,
    })
}

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
    /// Components: name, file names attached.
    components: Vec<(String, String)>,
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
    /// The process drawn, open steps highlighted (SVG).
    diagram: String,
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
    mine: bool,
    /// The official decides here: approve, or send back.
    decides: bool,
}

async fn show(
    s: &DossierState,
    p: &Principal,
    code: &str,
    notice: &str,
    errors: Vec<FieldError>,
) -> Response {
    let shell = &s.platform.shell;
    let view = match s.dossiers.view_for_official(p, code).await {
        Ok(v) => v,
        Err(e) => return page_error(e, shell),
    };
    let procedure = match s.dossiers.procedure_of(&view.dossier).await {
        Ok(p) => p,
        Err(e) => return page_error(e, shell),
    };
    let d = &view.dossier;
    let values = match &procedure {
        Some(pr) => pr
            .form
            .iter()
            .filter_map(|f| {
                let v = d.form.get(&f.key)?;
                let text = v
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string());
                Some((f.label.clone(), text))
            })
            .collect(),
        None => Vec::new(),
    };
    let components = match &procedure {
        Some(pr) => pr
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let files: Vec<&str> = view
                    .files
                    .iter()
                    .filter(|f| f.component == i as i64)
                    .map(|f| f.file_name.as_str())
                    .collect();
                (
                    c.name.clone(),
                    if files.is_empty() {
                        "Chưa có".to_string()
                    } else {
                        files.join(", ")
                    },
                )
            })
            .collect(),
        None => Vec::new(),
    };
    let st = d.status;
    let allowed = |a: OfficeAction| a.allowed(p, d);
    use DossierStatus as S;
    let proposed_due = if st == S::Submitted {
        s.dossiers
            .appointment_if_received_now(&d.procedure_code)
            .await
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let process = match s.dossiers.process_for_official(p, code).await {
        Ok(pr) => pr,
        Err(e) => return page_error(e, shell),
    };
    let mut deciding = Vec::new();
    if let Some(pr) = &process {
        for t in pr.tasks.iter().filter(|t| t.status == "open") {
            if s.dossiers.task_decides(pr, &t.node_id).await {
                deciding.push(t.id);
            }
        }
    }
    let diagram = match &process {
        Some(pr) => s.dossiers.process_diagram(pr).await,
        None => String::new(),
    };
    let tasks: Vec<TaskView> = process
        .as_ref()
        .map(|pr| {
            pr.tasks
                .iter()
                .map(|t| TaskView {
                    decides: deciding.contains(&t.id),
                    id: t.id,
                    name: t.name.clone(),
                    agency: s.dossiers.agency_name(t.agency.as_deref().unwrap_or("")),
                    role: t
                        .role
                        .as_deref()
                        .and_then(Role::parse)
                        .map(|r| r.label().to_string())
                        .unwrap_or_default(),
                    created: vn_ts(&t.created_at),
                    due: t.due_date.as_deref().map(vn_date).unwrap_or_default(),
                    done: match (&t.completed_at, &t.completed_by) {
                        (Some(at), Some(by)) => format!("{} – {by}", vn_ts(at)),
                        _ => String::new(),
                    },
                    mine: t.status == "open"
                        && t.role
                            .as_deref()
                            .and_then(Role::parse)
                            .zip(t.agency.as_deref())
                            .is_some_and(|(r, a)| p.can(r, a)),
                })
                .collect()
        })
        .unwrap_or_default();
    let process_running = process
        .as_ref()
        .is_some_and(|pr| pr.instance.status == "active");
    let mut slips = Vec::new();
    if d.due_date.is_some() {
        slips.push(("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Mẫu 01)"));
    }
    if !view.supplements.is_empty() {
        slips.push(("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (Mẫu 02)"));
    }
    if st == S::Refused {
        slips.push(("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ (Mẫu 03)"));
    }
    if !view.apologies.is_empty() {
        slips.push(("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"));
    }
    if process.is_some() {
        slips.push(("05", "Phiếu kiểm soát quá trình giải quyết hồ sơ (Mẫu 05)"));
    }
    let tpl = DossierTpl {
        shell: (**shell).clone(),
        notice: notice.into(),
        code: code.into(),
        submitted: d.submitted_at.as_deref().map(vn_ts).unwrap_or_default(),
        due: d.due_date.as_deref().map(vn_date).unwrap_or_default(),
        deadline: s.dossiers.deadline_of(d),
        values,
        components,
        proposed_due,
        can_receive: allowed(OfficeAction::Receive { due_date: None }),
        can_supplement: allowed(OfficeAction::RequestSupplement {
            items: Vec::new(),
            note: String::new(),
        }),
        can_refuse: allowed(OfficeAction::Refuse {
            reasons: String::new(),
        }),
        can_process: allowed(OfficeAction::StartProcessing),
        can_return: allowed(OfficeAction::Return),
        can_apologise: d.due_date.is_some()
            && allowed(OfficeAction::Apologise {
                reason: String::new(),
                new_due: s.dossiers.today(),
            }),
        can_result: !process_running && crate::service::may_issue_result(p, d),
        slips,
        tasks,
        process_running,
        diagram,
        errors,
        view,
    };
    let status = if tpl.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut res = render(&tpl);
    if res.status() == StatusCode::OK {
        *res.status_mut() = status;
    }
    res
}

async fn dossier_page(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
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

/// Reads the action a form posted, with its data, into an [`OfficeAction`].
fn action_of(name: &str, f: &BTreeMap<String, String>) -> Result<OfficeAction, Vec<FieldError>> {
    let text = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    match name {
        "tiep-nhan" => {
            let typed = text("due_date");
            if typed.is_empty() {
                return Ok(OfficeAction::Receive { due_date: None });
            }
            match NaiveDate::parse_from_str(&typed, "%d/%m/%Y") {
                Ok(d) => Ok(OfficeAction::Receive { due_date: Some(d) }),
                Err(_) => Err(vec![FieldError {
                    field: "due_date".into(),
                    message:
                        "Ngày hẹn trả kết quả viết theo dạng ngày/tháng/năm, ví dụ 08/12/2026."
                            .into(),
                }]),
            }
        }
        "bo-sung" => Ok(OfficeAction::RequestSupplement {
            items: text("items")
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| SupplementItem {
                    component: None,
                    text: l.to_string(),
                })
                .collect(),
            note: text("note"),
        }),
        "tu-choi" => Ok(OfficeAction::Refuse {
            reasons: text("reasons"),
        }),
        "xin-loi" => match NaiveDate::parse_from_str(&text("new_due"), "%d/%m/%Y") {
            Ok(new_due) => Ok(OfficeAction::Apologise {
                reason: text("reason"),
                new_due,
            }),
            Err(_) => Err(vec![FieldError {
                field: "new_due".into(),
                message: "Ngày hẹn mới viết theo dạng ngày/tháng/năm, ví dụ 15/12/2026.".into(),
            }]),
        },
        "chuyen-xu-ly" => Ok(OfficeAction::StartProcessing),
        "tra-ket-qua" => Ok(OfficeAction::Return),
        _ => Err(vec![FieldError {
            field: "main".into(),
            message: "Thao tác không có.".into(),
        }]),
    }
}

async fn act(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, name)): Path<(String, String)>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let action = match action_of(&name, &f) {
        Ok(a) => a,
        Err(errors) => return show(&s, &p, &code, "", errors).await,
    };
    match s.dossiers.act(&p, &code, action).await {
        Ok(_) => Redirect::to(&format!("/mot-cua/ho-so/{code}?done={name}")).into_response(),
        Err(e) => refused(&s, &p, &code, e).await,
    }
}

async fn complete_task(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, task)): Path<(String, i64)>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    let note = f.get("note").map(String::as_str).unwrap_or("");
    let approve = f.get("decision").map(String::as_str) != Some("tra_lai");
    match s
        .dossiers
        .complete_task(&p, &code, task, note, approve)
        .await
    {
        Ok(()) => Redirect::to(&format!("/mot-cua/ho-so/{code}?done=cong-viec")).into_response(),
        Err(e) => refused(&s, &p, &code, e).await,
    }
}

/// The dossier page again with why an action was refused, or the error page.
async fn refused(s: &DossierState, p: &Principal, code: &str, e: DossierError) -> Response {
    match e {
        DossierError::Invalid(errors) => show(s, p, code, "", errors).await,
        DossierError::Conflict(m) => {
            let errors = vec![FieldError {
                field: "main".into(),
                message: m,
            }];
            let mut res = show(s, p, code, "", errors).await;
            *res.status_mut() = StatusCode::CONFLICT;
            res
        }
        e => page_error(e, &s.platform.shell),
    }
}

async fn add_result(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    m: axum::extract::Multipart,
) -> Response {
    let (control, _, mut uploads) = match super::read_multipart(m).await {
        Ok(parts) => parts,
        Err(message) => {
            return refused(
                &s,
                &p,
                &code,
                DossierError::Invalid(vec![FieldError {
                    field: "file_0".into(),
                    message,
                }]),
            )
            .await
        }
    };
    let Some(upload) = uploads.pop().filter(|_| uploads.is_empty()) else {
        let e = DossierError::Invalid(vec![FieldError {
            field: "file_0".into(),
            message: "Chọn tệp kết quả (PDF, JPEG hoặc PNG).".into(),
        }]);
        return refused(&s, &p, &code, e).await;
    };
    let upload = crate::service::Upload {
        component: 0,
        ..upload
    };
    let note = control.get("note").map(String::as_str).unwrap_or("");
    let online = control.get("online").is_some_and(|v| v == "on");
    match s
        .dossiers
        .add_result(&p, &code, &upload, note, online)
        .await
    {
        Ok(_) => Redirect::to(&format!("/mot-cua/ho-so/{code}?done=ket-qua")).into_response(),
        Err(DossierError::Invalid(errors)) => {
            let errors = errors
                .into_iter()
                .map(|e| FieldError {
                    field: if e.field == "file" {
                        "file_0".into()
                    } else {
                        e.field
                    },
                    message: e.message,
                })
                .collect();
            refused(&s, &p, &code, DossierError::Invalid(errors)).await
        }
        Err(e) => refused(&s, &p, &code, e).await,
    }
}

#[derive(Template)]
#[template(path = "office_slip.html")]
struct SlipTpl {
    shell: Shell,
    form: &'static str,
    title: &'static str,
    d: Dossier,
    qr: String,
    received: String,
    due: String,
    time: String,
    components: Vec<(String, String)>,
    items: Vec<String>,
    note: String,
    reasons: String,
    /// Mẫu 04: the appointment that will be missed.
    old_due: String,
    official: String,
    today: String,
    /// Mẫu 05 rows: receiving agency and role, hand-over times, result against the due date,
    /// note.
    control: Vec<[String; 4]>,
}

async fn slip(
    State(s): State<DossierState>,
    p: Principal,
    Path((code, form)): Path<(String, String)>,
) -> Response {
    let shell = &s.platform.shell;
    let view = match s.dossiers.view_for_official(&p, &code).await {
        Ok(v) => v,
        Err(e) => return page_error(e, shell),
    };
    let procedure = match s.dossiers.procedure_of(&view.dossier).await {
        Ok(p) => p,
        Err(e) => return page_error(e, shell),
    };
    let d = view.dossier.clone();
    let process = match s.dossiers.process_for_official(&p, &code).await {
        Ok(pr) => pr,
        Err(e) => return page_error(e, shell),
    };
    let (form, title) = match form.as_str() {
        "04" if !view.apologies.is_empty() => ("04", "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
        "05" if process.is_some() => ("05", "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"),
        "01" if d.due_date.is_some() => ("01", "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        "02" if !view.supplements.is_empty() => ("02", "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        "03" if d.status == DossierStatus::Refused => {
            ("03", "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ")
        }
        _ => return page_error(DossierError::NotFound(form), shell),
    };
    // Who received it, and when: the step that moved it to "received".
    let received = view
        .events
        .iter()
        .find(|e| e.status == DossierStatus::Received)
        .map(|e| (vn_ts(&e.at), e.actor.clone()));
    let last_request = view.supplements.last();
    let refusal = view
        .events
        .iter()
        .rev()
        .find(|e| e.status == DossierStatus::Refused);
    let components = procedure
        .as_ref()
        .map(|pr| {
            pr.components
                .iter()
                .enumerate()
                .filter(|(i, _)| view.files.iter().any(|f| f.component == *i as i64))
                .map(|(_, c)| {
                    (
                        c.name.clone(),
                        format!("{} bản chính, {} bản sao (điện tử)", c.originals, c.copies),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let control = process
        .as_ref()
        .map(|pr| {
            let mut from = d.agency_name.clone();
            pr.tasks
                .iter()
                .map(|t| {
                    let agency = s.dossiers.agency_name(t.agency.as_deref().unwrap_or(""));
                    let role = t
                        .role
                        .as_deref()
                        .and_then(Role::parse)
                        .map(|r| r.label())
                        .unwrap_or("");
                    let handover = format!(
                        "Giao: {from}, {}. Nhận: {} ({role}).",
                        vn_ts(&t.created_at),
                        t.name
                    );
                    from = agency.clone();
                    let done_on = t.completed_at.as_deref().and_then(|c| {
                        chrono::DateTime::parse_from_rfc3339(c).ok().map(|c| {
                            cqdt_platform::clock::to_vn(c.with_timezone(&chrono::Utc)).date_naive()
                        })
                    });
                    let due = t
                        .due_date
                        .as_deref()
                        .and_then(|x| NaiveDate::parse_from_str(x, "%Y-%m-%d").ok());
                    let result = match (t.status.as_str(), done_on, due) {
                        ("completed", Some(on), Some(due)) if on < due => "Trước hạn",
                        ("completed", Some(on), Some(due)) if on == due => "Đúng hạn",
                        ("completed", Some(_), Some(_)) => "Quá hạn",
                        ("completed", _, None) => "Hoàn thành",
                        ("cancelled", _, _) => "Huỷ",
                        _ => "Đang giải quyết",
                    };
                    let note = match (&t.completed_by, &t.completed_at) {
                        (Some(by), Some(at)) => format!("{by}, {}", vn_ts(at)),
                        _ => t
                            .due_date
                            .as_deref()
                            .map(|x| format!("Hạn {}", vn_date(x)))
                            .unwrap_or_default(),
                    };
                    [agency, handover, result.to_string(), note]
                })
                .collect()
        })
        .unwrap_or_default();
    let code_text = d.code.clone().unwrap_or_default();
    render(&SlipTpl {
        shell: (**shell).clone(),
        form,
        title,
        qr: qr_svg(&code_text, &format!("Mã QR của mã hồ sơ {code_text}")).unwrap_or_default(),
        received: received.as_ref().map(|r| r.0.clone()).unwrap_or_default(),
        official: match form {
            "01" => received.map(|r| r.1).unwrap_or_default(),
            "04" => view
                .apologies
                .last()
                .map(|a| a.issued_by.clone())
                .unwrap_or_default(),
            "02" => last_request
                .map(|r| r.requested_by.clone())
                .unwrap_or_default(),
            _ => refusal.map(|e| e.actor.clone()).unwrap_or_default(),
        },
        due: d.due_date.as_deref().map(vn_date).unwrap_or_default(),
        time: procedure
            .as_ref()
            .map(|p| p.time_text())
            .unwrap_or_default(),
        components,
        items: last_request
            .map(|r| r.items.iter().map(|i| i.text.clone()).collect())
            .unwrap_or_default(),
        note: last_request.map(|r| r.note.clone()).unwrap_or_default(),
        reasons: match form {
            "04" => view
                .apologies
                .last()
                .map(|a| a.reason.clone())
                .unwrap_or_default(),
            _ => refusal
                .map(|e| e.note.trim_start_matches("Từ chối: ").to_string())
                .unwrap_or_default(),
        },
        old_due: view
            .apologies
            .last()
            .map(|a| vn_date(&a.old_due))
            .unwrap_or_default(),
        today: s
            .dossiers
            .today()
            .format("ngày %d tháng %m năm %Y")
            .to_string(),
        control,
        d,
    })
}

#[derive(Template)]
#[template(path = "office_stats.html")]
struct StatsTpl {
    shell: Shell,
    public: bool,
    from: String,
    to: String,
    by: StatsBy,
    bys: Vec<(&'static str, &'static str, bool)>,
    stats: Statistics,
    chart: String,
    error: String,
}

/// The period and grouping a statistics page was asked for; this year to date by default.
fn period(
    q: &BTreeMap<String, String>,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate, StatsBy, String) {
    let start_of_year =
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let date = |k: &str| {
        q.get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .map(|v| NaiveDate::parse_from_str(v, "%Y-%m-%d"))
    };
    let mut error = String::new();
    let from = match date("tu") {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            error = "Ngày không hợp lệ; đang hiển thị từ đầu năm.".into();
            start_of_year
        }
        None => start_of_year,
    };
    let to = match date("den") {
        Some(Ok(d)) if d >= from => d,
        Some(_) => {
            error = "Khoảng thời gian không hợp lệ; đang hiển thị đến hôm nay.".into();
            today
        }
        None => today,
    };
    let by = q
        .get("theo")
        .and_then(|v| StatsBy::parse(v))
        .unwrap_or(StatsBy::Agency);
    (from, to, by, error)
}

/// A stacked bar chart of resolutions per month (early, on time, late), as an SVG image
/// with a text alternative; the table beside it carries the same numbers.
fn chart(months: &[(String, Counts)]) -> String {
    if months.is_empty() {
        return String::new();
    }
    let max = months
        .iter()
        .map(|(_, c)| c.resolved().max(c.received))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let (bar, gap, label_w, width) = (18.0, 10.0, 70.0, 420.0);
    let height = months.len() as f64 * (bar + gap) + 30.0;
    let mut svg = format!(
        "<svg role=\"img\" aria-labelledby=\"chart-title\" viewBox=\"0 0 {} {height}\" width=\"100%\" class=\"chart\"><title id=\"chart-title\">Hồ sơ giải quyết trước hạn, đúng hạn và trễ hạn theo tháng (số liệu trong bảng)</title>",
        label_w + width + 60.0
    );
    for (i, (month, c)) in months.iter().enumerate() {
        let y = i as f64 * (bar + gap) + 4.0;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{}\" font-size=\"13\">{month}</text>",
            y + bar - 4.0
        ));
        let mut x = label_w;
        for (n, colour) in [
            (c.early, "#00703c"),
            (c.on_time, "#1d70b8"),
            (c.late, "#b3261e"),
        ] {
            let w = n as f64 / max * width;
            if w > 0.0 {
                svg.push_str(&format!(
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{colour}\"/>"
                ));
            }
            x += w;
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"13\">{}</text>",
            x + 4.0,
            y + bar - 4.0,
            c.resolved()
        ));
    }
    let ly = height - 10.0;
    for (i, (name, colour)) in [
        ("Trước hạn", "#00703c"),
        ("Đúng hạn", "#1d70b8"),
        ("Trễ hạn", "#b3261e"),
    ]
    .iter()
    .enumerate()
    {
        let lx = label_w + i as f64 * 110.0;
        svg.push_str(&format!(
            "<rect x=\"{lx}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\"/><text x=\"{}\" y=\"{ly}\" font-size=\"13\">{name}</text>",
            ly - 10.0,
            lx + 16.0
        ));
    }
    svg.push_str("</svg>");
    svg
}

async fn stats_response(
    s: &DossierState,
    who: Option<&Principal>,
    q: &BTreeMap<String, String>,
) -> Response {
    let shell = &s.platform.shell;
    let (from, to, by, error) = period(q, s.dossiers.today());
    let stats = match s.dossiers.statistics(who, from, to, by).await {
        Ok(st) => st,
        Err(e) => return page_error(e, shell),
    };
    if q.get("dinh-dang").map(String::as_str) == Some("xlsx") {
        return stats_xlsx(&stats, by);
    }
    render(&StatsTpl {
        shell: (**shell).clone(),
        public: who.is_none(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        bys: StatsBy::ALL
            .iter()
            .map(|b| (b.as_str(), b.label(), *b == by))
            .collect(),
        by,
        chart: chart(&stats.months),
        stats,
        error,
    })
}

/// A one-sheet workbook as a download.
fn xlsx_response(sheet: &cqdt_platform::xlsx::Sheet, file_name: &'static str) -> Response {
    match cqdt_platform::xlsx::write(std::slice::from_ref(sheet)) {
        Ok(bytes) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    cqdt_platform::xlsx::MEDIA_TYPE.to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file_name}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => cqdt_platform::PageError::internal(e).into_response(),
    }
}

/// The statistics as a workbook: one row per group, then the total.
fn stats_xlsx(stats: &Statistics, by: StatsBy) -> Response {
    use cqdt_platform::xlsx::{Cell, Column, Sheet};
    let headers = [
        by.label(),
        "Tiếp nhận",
        "Trước hạn",
        "Đúng hạn",
        "Trễ hạn",
        "Đang giải quyết",
        "Quá hạn",
        "Chờ bổ sung",
        "Từ chối",
        "Rút hồ sơ",
        "Có thư xin lỗi",
    ];
    let row = |label: &str, c: &Counts| -> Vec<Cell> {
        let mut r = vec![Cell::from(label)];
        for n in [
            c.received,
            c.early,
            c.on_time,
            c.late,
            c.in_progress,
            c.overdue,
            c.supplement,
            c.refused,
            c.withdrawn,
            c.apologies,
        ] {
            r.push(Cell::Number(n as f64));
        }
        r
    };
    let mut rows: Vec<Vec<Cell>> = stats.groups.iter().map(|(l, c)| row(l, c)).collect();
    rows.push(row("Tổng cộng", &stats.total));
    let sheet = Sheet {
        name: "Thống kê".into(),
        columns: headers
            .iter()
            .enumerate()
            .map(|(i, h)| Column {
                header: (*h).to_string(),
                width: if i == 0 { 48.0 } else { 14.0 },
                ..Column::default()
            })
            .collect(),
        rows,
    };
    xlsx_response(&sheet, "thong-ke-ho-so.xlsx")
}

async fn statistics_page(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let office = [
        Role::ReceptionOfficer,
        Role::ProcessingOfficer,
        Role::Leader,
        Role::Clerk,
        Role::Auditor,
    ];
    if !office.iter().any(|r| p.has_role(*r)) {
        return page_error(
            DossierError::Forbidden("Trang dành cho cán bộ.".into()),
            &s.platform.shell,
        );
    }
    stats_response(&s, Some(&p), &q).await
}

/// The public summary: counts only, every agency, no personal data.
async fn public_statistics(
    State(s): State<DossierState>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    stats_response(&s, None, &q).await
}

/// A ledger line as the page and the workbook show it.
struct LedgerLine {
    code: String,
    procedure: String,
    applicant: String,
    phone: String,
    agency: String,
    received: String,
    due: String,
    resolved: String,
    finished: String,
    note: String,
}

fn ledger_line(r: crate::store::LedgerRow) -> LedgerLine {
    let date = |d: &Option<String>| d.as_deref().map(vn_date).unwrap_or_default();
    let note = match (&r.resolved_on, &r.statutory_due) {
        (Some(done), Some(due)) if done > due => "Trễ hạn".to_string(),
        (Some(done), Some(due)) if done == due => "Đúng hạn".to_string(),
        (Some(_), Some(_)) => "Trước hạn".to_string(),
        _ => r.status.label().to_string(),
    };
    let due = match (&r.statutory_due, &r.due_date) {
        (Some(s), Some(d)) if s != d => format!("{} (hẹn lại {})", vn_date(s), vn_date(d)),
        (Some(s), _) => vn_date(s),
        (None, d) => date(d),
    };
    LedgerLine {
        code: r.code,
        procedure: r.procedure_name,
        applicant: r.applicant_name,
        phone: r
            .applicant_phone
            .map(|p| p.replacen("+84", "0", 1))
            .unwrap_or_default(),
        agency: r.agency_name,
        received: match &r.received_on {
            Some(d) => vn_date(d),
            None => r.submitted_at.as_deref().map(vn_ts).unwrap_or_default(),
        },
        due,
        resolved: date(&r.resolved_on),
        finished: r.finished_at.as_deref().map(vn_ts).unwrap_or_default(),
        note,
    }
}

#[derive(Template)]
#[template(path = "office_ledger.html")]
struct LedgerTpl {
    shell: Shell,
    from: String,
    to: String,
    agency: String,
    procedure: String,
    agencies: Vec<(String, String)>,
    lines: Vec<LedgerLine>,
    truncated: bool,
    error: String,
}

/// Lines a ledger page shows; the workbook takes more.
const LEDGER_PAGE: i64 = 2000;
const LEDGER_XLSX: i64 = 100_000;

async fn ledger_page(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let agencies = s.dossiers.agencies_in_scope(&p);
    if agencies.is_empty() {
        return page_error(
            DossierError::Forbidden("Trang dành cho cán bộ một cửa.".into()),
            shell,
        );
    }
    let (from, to, _, error) = period(&q, s.dossiers.today());
    let agency = q
        .get("co-quan")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let procedure = q
        .get("thu-tuc")
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let xlsx = q.get("dinh-dang").map(String::as_str) == Some("xlsx");
    let limit = if xlsx { LEDGER_XLSX } else { LEDGER_PAGE + 1 };
    let rows = match s
        .dossiers
        .ledger(&p, from, to, agency.as_deref(), procedure.as_deref(), limit)
        .await
    {
        Ok(r) => r,
        Err(e) => return page_error(e, shell),
    };
    let truncated = !xlsx && rows.len() as i64 > LEDGER_PAGE;
    let lines: Vec<LedgerLine> = rows
        .into_iter()
        .take(limit as usize)
        .map(ledger_line)
        .collect();
    if xlsx {
        return ledger_xlsx(&lines);
    }
    render(&LedgerTpl {
        shell: (**shell).clone(),
        from: from.format("%Y-%m-%d").to_string(),
        to: to.format("%Y-%m-%d").to_string(),
        agency: agency.unwrap_or_default(),
        procedure: procedure.unwrap_or_default(),
        agencies,
        lines: lines.into_iter().take(LEDGER_PAGE as usize).collect(),
        truncated,
        error,
    })
}

/// The ledger as a workbook, the columns of Mẫu 06.
fn ledger_xlsx(lines: &[LedgerLine]) -> Response {
    use cqdt_platform::xlsx::{Cell, Column, Sheet};
    let columns = [
        ("STT", 6.0, false),
        ("Mã hồ sơ", 26.0, true),
        ("Tên thủ tục hành chính", 48.0, false),
        ("Tên cá nhân, tổ chức", 26.0, false),
        ("Số điện thoại", 14.0, true),
        ("Cơ quan chủ trì giải quyết", 32.0, false),
        ("Ngày nhận hồ sơ", 16.0, true),
        ("Hạn xử lý", 22.0, true),
        ("Ngày có kết quả", 16.0, true),
        ("Ngày trả kết quả / kết thúc", 20.0, true),
        ("Ghi chú", 18.0, false),
    ];
    let rows = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                Cell::Number((i + 1) as f64),
                Cell::from(l.code.as_str()),
                Cell::from(l.procedure.as_str()),
                Cell::from(l.applicant.as_str()),
                Cell::from(l.phone.as_str()),
                Cell::from(l.agency.as_str()),
                Cell::from(l.received.as_str()),
                Cell::from(l.due.as_str()),
                Cell::from(l.resolved.as_str()),
                Cell::from(l.finished.as_str()),
                Cell::from(l.note.as_str()),
            ]
        })
        .collect();
    let sheet = Sheet {
        name: "Sổ theo dõi hồ sơ".into(),
        columns: columns
            .iter()
            .map(|(h, w, text)| Column {
                header: (*h).to_string(),
                width: *w,
                text: *text,
                ..Column::default()
            })
            .collect(),
        rows,
    };
    xlsx_response(&sheet, "so-theo-doi-ho-so.xlsx")
}

#[derive(Template)]
#[template(path = "office_counter.html")]
struct CounterChooseTpl {
    shell: Shell,
    agency: String,
    procedures: Vec<(String, String)>,
}

/// The reception officer's own agency and its name, if they receive dossiers there.
fn counter_agency(s: &DossierState, p: &Principal) -> Option<(String, String)> {
    p.agency
        .clone()
        .filter(|a| p.can(Role::ReceptionOfficer, a))
        .map(|a| (a.clone(), s.dossiers.agency_name(&a)))
}

/// The refusal for someone who is not a reception officer of an agency.
fn not_reception(s: &DossierState) -> Response {
    page_error(
        DossierError::Forbidden("Trang dành cho cán bộ tiếp nhận.".into()),
        &s.platform.shell,
    )
}

async fn counter_choose(State(s): State<DossierState>, p: Principal) -> Response {
    let Some((code, name)) = counter_agency(&s, &p) else {
        return not_reception(&s);
    };
    match s.dossiers.procedures_received_by(&code).await {
        Ok(procedures) => render(&CounterChooseTpl {
            shell: (*s.platform.shell).clone(),
            agency: name,
            procedures,
        }),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

async fn counter_form(
    State(s): State<DossierState>,
    p: Principal,
    Path(procedure): Path<String>,
) -> Response {
    let Some(agency) = counter_agency(&s, &p) else {
        return not_reception(&s);
    };
    let pr = match s.dossiers.open_procedure(&procedure).await {
        Ok(pr) => pr,
        Err(e) => return page_error(e, &s.platform.shell),
    };
    let counter = super::Counter {
        agency: agency.clone(),
        applicant: BTreeMap::new(),
    };
    super::render_form(
        &s,
        &pr,
        None,
        &[],
        &BTreeMap::new(),
        Vec::new(),
        "",
        &agency.0,
        Some(&counter),
    )
}

/// Checks the applicant's details typed at the counter.
fn walk_in(f: &BTreeMap<String, String>) -> Result<crate::service::Applicant, Vec<FieldError>> {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut errors = Vec::new();
    let err = |field: &str, message: &str| FieldError {
        field: field.into(),
        message: message.into(),
    };
    let name = get("applicant_name");
    if name.chars().count() < 2 || name.chars().count() > 200 {
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
        Some(pid) if errors.is_empty() => Ok(crate::service::Applicant {
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

async fn counter_submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(procedure): Path<String>,
    m: axum::extract::Multipart,
) -> Response {
    let Some(agency) = counter_agency(&s, &p) else {
        return not_reception(&s);
    };
    let pr = match s.dossiers.open_procedure(&procedure).await {
        Ok(pr) => pr,
        Err(e) => return page_error(e, &s.platform.shell),
    };
    let (control, values, uploads) = match super::read_multipart(m).await {
        Ok(parts) => parts,
        Err(message) => {
            return page_error(
                DossierError::Invalid(vec![FieldError {
                    field: "main".into(),
                    message,
                }]),
                &s.platform.shell,
            )
        }
    };
    let counter = super::Counter {
        agency: agency.clone(),
        applicant: control.clone(),
    };
    let again = |errors: Vec<FieldError>| {
        super::render_form(
            &s,
            &pr,
            None,
            &[],
            &values,
            errors,
            "",
            &agency.0,
            Some(&counter),
        )
    };
    let mut applicant = match walk_in(&control) {
        Ok(a) => a,
        Err(errors) => return again(errors),
    };
    applicant.actor = p.actor.clone();
    match s
        .dossiers
        .file_at_counter(&p, &applicant, &procedure, &agency.0, &values, &uploads)
        .await
    {
        Ok(d) => Redirect::to(&format!(
            "/mot-cua/ho-so/{}/phieu/01",
            d.code.unwrap_or_default()
        ))
        .into_response(),
        Err(DossierError::Invalid(errors)) => again(errors),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

/// An input of the result document form.
struct DraftInput {
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    value: String,
    error: String,
    /// Rows of a textarea; 0 for a one-line input.
    rows: usize,
}

#[derive(Template)]
#[template(path = "office_result_form.html")]
struct ResultFormTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    code: String,
    procedure: String,
    inputs: Vec<DraftInput>,
    online: bool,
}

fn result_form_page(
    s: &DossierState,
    d: &Dossier,
    draft: &crate::service::ResultDraft,
    online: bool,
    errors: Vec<FieldError>,
) -> Response {
    let error = |id: &str| {
        errors
            .iter()
            .find(|e| e.field == id)
            .map(|e| e.message.clone())
            .unwrap_or_default()
    };
    let input =
        |id: &'static str, label: &'static str, hint: &'static str, value: &str, rows: usize| {
            DraftInput {
                id,
                label,
                hint,
                value: value.to_string(),
                error: error(id),
                rows,
            }
        };
    let body_rows = draft.body.lines().count().clamp(6, 30) + 2;
    let inputs = vec![
        input(
            "number",
            "Số, ký hiệu",
            "Ví dụ 125/GXN-UBND; để trống nếu văn thư cấp số khi ký.",
            &draft.number,
            0,
        ),
        input("title", "Tên văn bản", "", &draft.title, 0),
        input(
            "body",
            "Nội dung",
            "Mỗi dòng là một đoạn.",
            &draft.body,
            body_rows,
        ),
        input(
            "signer_title",
            "Chức vụ người ký",
            "Ví dụ CHỦ TỊCH, hoặc hai dòng KT. CHỦ TỊCH / PHÓ CHỦ TỊCH.",
            &draft.signer_title,
            2,
        ),
        input("signer_name", "Họ tên người ký", "", &draft.signer_name, 0),
    ];
    let mut res = render(&ResultFormTpl {
        shell: (*s.platform.shell).clone(),
        errors: errors.clone(),
        code: d.code.clone().unwrap_or_else(|| d.id.clone()),
        procedure: d.procedure_name.clone(),
        inputs,
        online,
    });
    if !errors.is_empty() && res.status().is_success() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    res
}

async fn result_form(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
) -> Response {
    match s.dossiers.result_draft(&p, &code).await {
        Ok((d, draft)) => result_form_page(&s, &d, &draft, true, Vec::new()),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

async fn result_submit(
    State(s): State<DossierState>,
    p: Principal,
    Path(code): Path<String>,
    Form(f): Form<BTreeMap<String, String>>,
) -> Response {
    // Text pasted from a word processor brings CR LF and tabs; the document wants neither.
    let get = |k: &str| {
        f.get(k)
            .map(|v| v.replace("\r\n", "\n").replace('\t', " "))
            .unwrap_or_default()
    };
    let draft = crate::service::ResultDraft {
        number: get("number").trim().to_string(),
        title: get("title").trim().to_string(),
        body: get("body").trim_end().to_string(),
        signer_title: get("signer_title").trim().to_string(),
        signer_name: get("signer_name").trim().to_string(),
    };
    let online = f.get("online").is_some_and(|v| v == "on");
    let outcome = if f.get("action").map(String::as_str) == Some("xem-truoc") {
        match s.dossiers.result_preview(&p, &code, &draft).await {
            Ok(pdf) => {
                return (
                    [
                        (
                            axum::http::header::CONTENT_TYPE,
                            "application/pdf".to_string(),
                        ),
                        (
                            axum::http::header::CONTENT_DISPOSITION,
                            "inline; filename=\"xem-truoc-ket-qua.pdf\"".to_string(),
                        ),
                        (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
                    ],
                    pdf,
                )
                    .into_response()
            }
            Err(e) => e,
        }
    } else {
        match s.dossiers.generate_result(&p, &code, &draft, online).await {
            Ok(_) => {
                return Redirect::to(&format!("/mot-cua/ho-so/{code}?done=ket-qua")).into_response()
            }
            Err(e) => e,
        }
    };
    match outcome {
        DossierError::Invalid(errors) => match s.dossiers.result_draft(&p, &code).await {
            Ok((d, _)) => result_form_page(&s, &d, &draft, online, errors),
            Err(e) => page_error(e, &s.platform.shell),
        },
        DossierError::Conflict(m) => {
            let mut res = page_error(DossierError::Conflict(m), &s.platform.shell);
            *res.status_mut() = StatusCode::CONFLICT;
            res
        }
        e => page_error(e, &s.platform.shell),
    }
}

//! Officials' work lists (`/mot-cua`): the dossiers in each status of the officials'
//! agencies, and the process tasks waiting for them, the most urgent first.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use cqdt_platform::web::render;
use cqdt_platform::{Principal, Role, Shell};

use super::{vn_date, vn_ts};
use crate::error::DossierError;
use crate::http::DossierState;
use crate::model::DossierStatus;
use crate::service::Deadline;

/// The statuses an official's work list has tabs for.
const TABS: [DossierStatus; 5] = [
    DossierStatus::Submitted,
    DossierStatus::Received,
    DossierStatus::Processing,
    DossierStatus::Supplement,
    DossierStatus::ResultReady,
];

/// Value of the "my work" tab.
const WORK_TAB: &str = "viec";

/// A dossier (or a process task of one) as the work list shows it.
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

/// Sort key: overdue first, then due soon, then the rest in their order.
fn urgency(d: Deadline) -> u8 {
    match d {
        Deadline::Overdue => 0,
        Deadline::DueSoon => 1,
        _ => 2,
    }
}

/// How many are overdue and how many due soon.
fn flags<'a>(deadlines: impl Iterator<Item = &'a Deadline> + Clone) -> (usize, usize) {
    let count = |d: Deadline| deadlines.clone().filter(|x| **x == d).count();
    (count(Deadline::Overdue), count(Deadline::DueSoon))
}

/// The tabs: "my work", then the statuses, `current` marked.
fn tabs(current: Option<DossierStatus>) -> Vec<(&'static str, &'static str, bool)> {
    let mut tabs = vec![(WORK_TAB, "Việc của tôi", current.is_none())];
    tabs.extend(TABS.iter().map(|t| (t.as_str(), t.label(), Some(*t) == current)));
    tabs
}

/// The work list: a status tab (submitted by default), or the official's process tasks.
pub(super) async fn work_list(
    State(s): State<DossierState>,
    p: Principal,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, DossierError> {
    // Clerks have no counter of their own but get process tasks (records searches…).
    let office = [Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader, Role::Clerk];
    if !office.iter().any(|r| p.has_role(*r)) {
        return Err(DossierError::Forbidden("Trang dành cho cán bộ một cửa.".into()));
    }
    let tab = q.get("tinh-trang").map(String::as_str);
    let page = if tab == Some(WORK_TAB) {
        tasks_tab(&s, &p).await?
    } else {
        let status = tab
            .and_then(DossierStatus::parse)
            .filter(|st| TABS.contains(st))
            .unwrap_or(DossierStatus::Submitted);
        status_tab(&s, &p, status).await?
    };
    Ok(render(&page))
}

/// The open process tasks the official may do.
async fn tasks_tab(s: &DossierState, p: &Principal) -> Result<ListTpl, DossierError> {
    let work = s.dossiers.work_for(p).await?;
    let mut tasks: Vec<(Row, String)> = work
        .into_iter()
        .map(|w| {
            let agency = s.dossiers.agency_name(w.task.agency.as_deref().unwrap_or(""));
            let row = Row {
                code: w.dossier_code,
                procedure: w.task.name,
                applicant: String::new(),
                submitted: vn_ts(&w.task.created_at),
                due: w.task.due_date.as_deref().map(vn_date).unwrap_or_default(),
                deadline: w.deadline,
            };
            (row, agency)
        })
        .collect();
    tasks.sort_by_key(|(r, _)| urgency(r.deadline));
    let (overdue, due_soon) = flags(tasks.iter().map(|(r, _)| &r.deadline));
    Ok(ListTpl {
        shell: (*s.platform.shell).clone(),
        tabs: tabs(None),
        title: "Việc của tôi",
        overdue,
        due_soon,
        rows: Vec::new(),
        tasks,
        work_tab: true,
    })
}

/// The dossiers in a status of the official's agencies.
async fn status_tab(
    s: &DossierState,
    p: &Principal,
    status: DossierStatus,
) -> Result<ListTpl, DossierError> {
    let dossiers = s.dossiers.queue(p, status).await?;
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
    let (overdue, due_soon) = flags(rows.iter().map(|r| &r.deadline));
    Ok(ListTpl {
        shell: (*s.platform.shell).clone(),
        tabs: tabs(Some(status)),
        tasks: Vec::new(),
        work_tab: false,
        title: status.label(),
        overdue,
        due_soon,
        rows,
    })
}

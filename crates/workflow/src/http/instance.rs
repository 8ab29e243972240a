//! The page of one instance, `/admin/workflow/luot/{id}`: where it stands on its diagram,
//! its open work, its history in words, and an administrator's token move (audited, with a
//! reason) — the same service call as the API's `…/move`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cqdt_platform::filters::StoredTime;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, Role, Shell};

use super::admin::InstanceForm;
use super::WorkflowState;
use crate::model::{Node, NodeKind, Process};
use crate::service::{InstanceDetail, WorkflowError};
use crate::store::{HistoryRow, TaskRow};

/// An open task as the administrator reads it.
struct OpenWork {
    id: i64,
    name: String,
    /// Who does it, or what ends the wait.
    who: String,
    /// The instance it waits for, when it is a call activity's row.
    called: Option<i64>,
    since: String,
    due: String,
}

/// A line of the history in words.
struct Line {
    at: String,
    step: String,
    what: &'static str,
    by: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "workflow_instance.html")]
struct InstancePage {
    shell: Shell,
    notice: String,
    errors: Vec<FieldError>,
    id: i64,
    process: String,
    business_key: String,
    status: &'static str,
    incident: String,
    started: String,
    ended: String,
    /// The instance that called this one.
    caller: Option<i64>,
    /// Instances this one called: (id, status in words).
    called: Vec<(i64, &'static str)>,
    open: Vec<OpenWork>,
    /// Elements a token may be moved to: (id, label).
    targets: Vec<(String, String)>,
    history: Vec<Line>,
    /// The newest version of the process, when newer than the one the instance runs.
    newer: Option<i64>,
    /// The form as sent, when it is shown again with errors.
    from: String,
    to: String,
    reason: String,
}

impl InstancePage {
    /// The error shown at `field`, if any.
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

/// What a node is, in words, for a node drawn without a name.
fn kind_word(k: &NodeKind) -> &'static str {
    match k {
        NodeKind::StartEvent => "sự kiện bắt đầu",
        NodeKind::MessageStart { .. } => "bắt đầu khi có thông điệp",
        NodeKind::EndEvent => "sự kiện kết thúc",
        NodeKind::TerminateEnd => "kết thúc toàn bộ",
        NodeKind::ErrorEnd { .. } => "kết thúc báo lỗi",
        NodeKind::EscalationEnd { .. } => "kết thúc báo cấp trên",
        NodeKind::EscalationBoundary { .. } => "nhận báo cấp trên",
        NodeKind::MessageBoundary { .. } => "nhận thông điệp",
        NodeKind::UserTask { .. } => "công việc",
        NodeKind::PassThrough => "bước",
        NodeKind::ThrowEvent => "mốc",
        NodeKind::EscalationThrow { .. } => "báo cấp trên",
        NodeKind::LinkThrow { .. } => "chuyển tới liên kết",
        NodeKind::LinkCatch { .. } => "điểm liên kết",
        NodeKind::ServiceTask { .. } => "việc của hệ thống",
        NodeKind::ExternalTask { .. } => "việc tự động",
        NodeKind::MessageCatch { .. } => "chờ thông điệp",
        NodeKind::TimerCatch { .. } => "chờ hẹn giờ",
        NodeKind::ExclusiveGateway { .. } => "cổng rẽ nhánh",
        NodeKind::ParallelGateway => "cổng song song",
        NodeKind::InclusiveGateway { .. } => "cổng bao hàm",
        NodeKind::EventGateway => "cổng theo sự kiện",
        NodeKind::SubProcess { .. } => "giai đoạn",
        NodeKind::CallActivity { .. } => "gọi quy trình",
        NodeKind::TimerBoundary { .. } => "hẹn giờ",
        NodeKind::ErrorBoundary { .. } => "bắt lỗi",
    }
}

/// A node's name as drawn, or what it is when it has none.
fn node_name(p: &Process, id: &str) -> String {
    match p.nodes.get(id) {
        Some(n) if !n.name.is_empty() => n.name.clone(),
        Some(n) => {
            let word = kind_word(&n.kind);
            let mut c = word.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
        }
        None if id == p.key => "Lượt chạy".into(),
        None => id.to_string(),
    }
}

/// What an event of the history says.
fn event_word(event: &str) -> &'static str {
    match event {
        "started" => "Bắt đầu",
        "task_created" => "Mở công việc",
        "claimed" => "Nhận xử lý",
        "completed" => "Hoàn thành",
        "passed" => "Đi qua",
        "took" => "Đi tiếp",
        "ended" => "Kết thúc nhánh",
        "terminated" => "Kết thúc toàn bộ",
        "timer_fired" => "Đến hẹn giờ",
        "stage_completed" => "Xong giai đoạn",
        "loop_skipped" => "Không cần làm (điều kiện lặp sai)",
        "loop_completed" => "Xong mọi phiên",
        "race_won" => "Đến trước, các nơi chờ khác được huỷ",
        "service_done" => "Hệ thống xử lý xong",
        "error_caught" => "Bắt lỗi",
        "error_thrown" => "Báo lỗi",
        "escalated" => "Báo cấp trên",
        "incident" => "Gặp sự cố",
        "incident_resolved" => "Chạy lại sau sự cố",
        "job_retries" => "Giao lại việc tự động",
        "job_failed" => "Việc tự động lỗi, sẽ thử lại",
        "job_incident" => "Việc tự động hết lượt thử",
        "cancelled" => "Huỷ lượt chạy",
        "token_moved" => "Chuyển bước",
        "migrated" => "Chuyển phiên bản quy trình",
        "message_caught" => "Nhận thông điệp",
        _ => "Sự kiện khác",
    }
}

/// The history line's detail in words: the element a flow led to, the reason given.
fn detail_words(p: &Process, h: &HistoryRow) -> String {
    let d = h.detail.as_deref().unwrap_or("");
    match h.event.as_str() {
        "took" => match p.flows.get(d) {
            Some(f) if !f.name.is_empty() => {
                format!("“{}”, tới {}", f.name, node_name(p, &f.target))
            }
            Some(f) => format!("tới {}", node_name(p, &f.target)),
            None => String::new(),
        },
        "task_created" => format!("công việc số {d}"),
        // "từ {from} tới {to}: {reason}"
        "token_moved" => match d.split_once(": ") {
            Some((path, why)) => match path.split_once(" tới ") {
                Some((_, to)) => format!("Tới {}. Lý do: {why}", node_name(p, to)),
                None => format!("Lý do: {why}"),
            },
            None => String::new(),
        },
        "race_won" | "started" => String::new(),
        _ => d.to_string(),
    }
}

/// Who does a task: its roles, agency and assignee in words; what ends a wait no person does.
fn who(p: &Process, shell: &Shell, t: &TaskRow) -> String {
    match p.nodes.get(&t.node_id).map(|n| &n.kind) {
        Some(NodeKind::UserTask { .. }) | None => {}
        Some(k) => return kind_word(k).to_string(),
    }
    let mut parts: Vec<String> = t
        .role
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|r| !r.is_empty())
        .map(|r| Role::parse(r).map_or_else(|| r.to_string(), |r| r.label().to_string()))
        .collect();
    if let Some(a) = &t.agency {
        parts.push(shell.agency(a));
    }
    if let Some(a) = &t.assignee {
        parts.push(format!("đã giao cho {a}"));
    }
    parts.join(", ")
}

/// Elements an administrator may move a token to, by name: not a start or boundary event,
/// not a join, nothing drawn without a name (a person could not tell which it is).
fn move_targets(p: &Process) -> Vec<(String, String)> {
    let allowed = |n: &&Node| {
        !n.name.is_empty()
            && match n.kind {
                NodeKind::StartEvent
                | NodeKind::MessageStart { .. }
                | NodeKind::TimerBoundary { .. }
                | NodeKind::ErrorBoundary { .. }
                | NodeKind::EscalationBoundary { .. }
                | NodeKind::MessageBoundary { .. } => false,
                NodeKind::ParallelGateway | NodeKind::InclusiveGateway { .. } => {
                    n.incoming.len() < 2
                }
                _ => true,
            }
    };
    let mut out: Vec<(String, String)> = p
        .nodes
        .values()
        .filter(allowed)
        .map(|n| (n.id.clone(), format!("{} ({})", node_name(p, &n.id), kind_word(&n.kind))))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

fn status_word(status: &str) -> &'static str {
    match status {
        "active" => "Đang chạy",
        "completed" => "Đã hoàn thành",
        "incident" => "Gặp sự cố",
        "cancelled" => "Đã huỷ",
        _ => "Không rõ",
    }
}

/// The page's view of an instance.
async fn view(
    s: &WorkflowState,
    d: InstanceDetail,
    notice: String,
    errors: Vec<FieldError>,
    form: [String; 3],
) -> Result<InstancePage, WorkflowError> {
    let p = s.workflow.model(d.instance.definition_id).await?;
    let definitions = s.workflow.definitions().await?;
    let version = definitions.iter().find(|x| x.id == d.instance.definition_id);
    let newest = definitions.iter().filter(|x| x.key == p.key).map(|x| x.version).max();
    let newer = newest.filter(|n| version.is_some_and(|v| v.version < *n));
    let shell = (*s.platform.shell).clone();
    let open = d
        .tasks
        .iter()
        .filter(|t| t.status == "open")
        .map(|t| OpenWork {
            id: t.id,
            name: if t.name.is_empty() { node_name(&p, &t.node_id) } else { t.name.clone() },
            who: who(&p, &shell, t),
            called: d.called.iter().find(|c| c.task_id == t.id).map(|c| c.instance_id),
            since: t.created_at.local_time(),
            due: t.due_date.as_deref().map(|d| d.local_date()).unwrap_or_default(),
        })
        .collect();
    let history = d
        .history
        .iter()
        .map(|h| Line {
            at: h.at.local_time(),
            step: node_name(&p, &h.node_id),
            what: event_word(&h.event),
            by: if h.actor == "system" { "Hệ thống".into() } else { h.actor.clone() },
            detail: detail_words(&p, h),
        })
        .collect();
    let i = &d.instance;
    let [from, to, reason] = form;
    Ok(InstancePage {
        shell,
        notice,
        errors,
        id: i.id,
        process: match version {
            Some(v) => format!(
                "{}, phiên bản {}",
                if p.name.is_empty() { &p.key } else { &p.name },
                v.version
            ),
            None => p.name.clone(),
        },
        business_key: i.business_key.clone().unwrap_or_default(),
        status: status_word(&i.status),
        incident: i.incident.clone().unwrap_or_default(),
        started: i.started_at.local_time(),
        ended: i.ended_at.as_deref().map(|e| e.local_time()).unwrap_or_default(),
        caller: d.caller,
        called: d.called.iter().map(|c| (c.instance_id, status_word(&c.status))).collect(),
        open,
        targets: move_targets(&p),
        newer: newer.filter(|_| i.status == "active"),
        history,
        from,
        to,
        reason,
    })
}

pub(super) async fn page(
    _admin: Admin,
    State(s): State<WorkflowState>,
    Path(id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WorkflowError> {
    let d = s.workflow.instance(id).await?;
    let notice = match (q.get("chuyen"), q.get("phien-ban")) {
        (Some(_), _) => "Đã chuyển bước; lý do đã được ghi vào lịch sử và nhật ký kiểm toán.".into(),
        (_, Some(v)) => format!(
            "Lượt chạy đã chuyển sang phiên bản {v}; lý do đã được ghi vào lịch sử và nhật ký kiểm toán."
        ),
        _ => String::new(),
    };
    Ok(render(&view(&s, d, notice, Vec::new(), Default::default()).await?))
}

/// Moves a token from the page; a refusal shows the page again with the reason at its field.
pub(super) async fn move_token(
    State(s): State<WorkflowState>,
    f: InstanceForm,
) -> Result<Response, WorkflowError> {
    let (id, from, to, reason) = (f.id, f.field("from"), f.field("to"), f.field("reason"));
    let result = match from.parse::<i64>() {
        Err(_) => Err(WorkflowError::Conflict("Chọn công việc đang mở cần chuyển đi.".into())),
        Ok(task) => s.workflow.move_token(&f.admin.name, &f.rid, id, task, &to, &reason).await,
    };
    let (status, error) = match result {
        Ok(_) => {
            return Ok(Redirect::to(&format!("/admin/workflow/luot/{id}?chuyen=1")).into_response())
        }
        Err(WorkflowError::BadRequest(m)) if m.contains("lý do") => {
            (StatusCode::UNPROCESSABLE_ENTITY, FieldError { field: "reason".into(), message: m })
        }
        Err(WorkflowError::BadRequest(m)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, FieldError { field: "to".into(), message: m })
        }
        Err(WorkflowError::Conflict(m)) => {
            (StatusCode::CONFLICT, FieldError { field: "from".into(), message: m })
        }
        Err(e) => return Err(e),
    };
    let d = s.workflow.instance(id).await?;
    let mut res = render(&view(&s, d, String::new(), vec![error], [from, to, reason]).await?);
    *res.status_mut() = status;
    Ok(res)
}

/// Moves the instance to the newest version of its process from the page; what blocks it
/// is listed at the form.
pub(super) async fn migrate(
    State(s): State<WorkflowState>,
    f: InstanceForm,
) -> Result<Response, WorkflowError> {
    let (id, reason) = (f.id, f.field("reason"));
    let at = |field: &str, message: String| FieldError { field: field.into(), message };
    let errors = match s.workflow.migrate(&f.admin.name, &f.rid, id, None, &reason).await {
        Ok(i) => {
            let version =
                s.workflow.definitions().await?.into_iter().find(|d| d.id == i.definition_id);
            let v = version.map(|d| d.version).unwrap_or_default();
            let to = format!("/admin/workflow/luot/{id}?phien-ban={v}");
            return Ok(Redirect::to(&to).into_response());
        }
        Err(WorkflowError::BadRequest(m)) => vec![at("migrate-reason", m)],
        Err(WorkflowError::Bpmn(errs)) => {
            errs.iter().map(|e| at("migrate-reason", format!("Không chuyển được: {e}"))).collect()
        }
        Err(WorkflowError::Conflict(m)) => vec![at("migrate-reason", m)],
        Err(e) => return Err(e),
    };
    let d = s.workflow.instance(id).await?;
    let form = [String::new(), String::new(), String::new()];
    let mut res = render(&view(&s, d, String::new(), errors, form).await?);
    *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(res)
}

//! Operating running processes: an administrator cancels an instance, with a reason, when
//! its work is to end outside the diagram (a dossier withdrawn by other means, a process
//! started by mistake). Audited; the instance's open tasks and their timers end with it.

use cqdt_audit::AuditEvent;
use cqdt_platform::Tx;
use serde_json::{json, Map, Value};

use super::batch::Step;
use super::walk::{Arrival, Effects, Logged};
use super::{WorkflowError, WorkflowService};
use crate::model::NodeKind;
use crate::store::{self, InstanceRow};

impl WorkflowService {
    /// Cancels a running instance, or one stopped by an incident: its open tasks are
    /// cancelled with their timers, nothing moves on, and the reason is kept in the history
    /// and the audit log. An instance that has ended is a conflict.
    #[tracing::instrument(skip(self, actor, request_id, reason))]
    pub async fn cancel(
        &self,
        actor: &str,
        request_id: &str,
        id: i64,
        reason: &str,
    ) -> Result<InstanceRow, WorkflowError> {
        let reason = reason_for(reason, "huỷ quy trình")?;
        let mut tx = self.db.begin().await?;
        // Locked (PostgreSQL) like a step's batch: a step in flight finishes first, and the
        // tasks it opened are among those cancelled here.
        let mut inst = locked(&mut tx, id).await?;
        if !matches!(inst.status.as_str(), "active" | "incident") {
            return Err(WorkflowError::Conflict(format!(
                "Quy trình {id} đã kết thúc; không huỷ được."
            )));
        }
        if let Some(caller) = inst.parent_task_id {
            let by = store::get_task(&mut tx, caller).await?.map_or(0, |t| t.instance_id);
            return Err(WorkflowError::Conflict(format!(
                "Lượt {id} do bước gọi của lượt {by} chạy; huỷ lượt {by}, hoặc chuyển bước của lượt đó."
            )));
        }
        let p = self.model(inst.definition_id).await?;
        let now = self.now();
        let open = end_open_work(&mut tx, id, actor, &now).await?;
        inst.status = "cancelled".into();
        inst.tokens = 0;
        inst.ended_at = Some(now.clone());
        let mut fx = Effects::default();
        fx.log(id, &p.key, "cancelled", actor, Some(reason.to_string()));
        store::save_instances(&mut tx, &[&inst], &now).await?;
        store::insert_history(&mut tx, &fx.history, &now).await?;
        let event = AuditEvent::new(actor, "workflow.instance.cancel", "process_instance")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"reason": reason, "tasks_cancelled": open}));
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(inst)
    }
}

impl WorkflowService {
    /// Runs on an instance an incident stopped, once an administrator fixed the cause (a
    /// variable set here, a handler registered, a catalog entry added): the tokens move on
    /// from where they stood — the element that failed is tried again, then the rest of
    /// that step. Audited. An incident with nowhere to run on from (one raised outside a
    /// walk) is a conflict: cancel the instance instead.
    #[tracing::instrument(skip(self, actor, request_id, variables))]
    pub async fn retry_incident(
        &self,
        actor: &str,
        request_id: &str,
        id: i64,
        variables: Map<String, Value>,
    ) -> Result<Step, WorkflowError> {
        let mut tx = self.db.begin().await?;
        let mut inst = locked(&mut tx, id).await?;
        if inst.status != "incident" {
            return Err(WorkflowError::Conflict(format!(
                "Quy trình {id} không dừng vì sự cố (đang ở trạng thái {}).",
                inst.status
            )));
        }
        let stopped = store::take_stopped(&mut tx, id).await?;
        let arrivals: Vec<Arrival> =
            stopped.and_then(|json| serde_json::from_str(&json).ok()).ok_or_else(|| {
                WorkflowError::Conflict(format!(
                    "Quy trình {id} không có chỗ dừng để chạy lại; hãy huỷ lượt này."
                ))
            })?;
        let p = self.model(inst.definition_id).await?;
        let now = self.now();
        let was = inst.incident.take().unwrap_or_default();
        inst.status = "active".into();
        inst.variables.extend(variables.clone());
        let why = Logged {
            node: &p.key,
            event: "incident_resolved",
            detail: Some(was.clone()),
            interrupts: None,
        };
        let opened = self.step_alone(&mut tx, &p, &mut inst, arrivals, actor, why, &now).await?;
        // Called instances that ended while it was stopped: their callers' rows go on now.
        if inst.status == "active" {
            let ended = self.ended_calls(&mut tx, &inst).await?;
            if !ended.is_empty() {
                self.follow_up(&mut tx, ended).await?;
                inst = locked(&mut tx, id).await?;
            }
        }
        let names: Vec<&String> = variables.keys().collect();
        let event = AuditEvent::new(actor, "workflow.instance.retry", "process_instance")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"incident": was, "variables": names, "status": inst.status}));
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Step { instance: inst, opened })
    }
}

impl WorkflowService {
    /// Moves a token (an administrator's correction, audited with a reason): the open task
    /// `from` of instance `id` is cancelled with its timers, job or message wait, and a
    /// token arrives at element `to`, which runs as if reached by a flow. Refused: a task
    /// of a multi-instance activity (its other tasks would be left), a parallel join (which
    /// flow the token came down would be a guess), boundary and start events.
    #[tracing::instrument(skip(self, actor, request_id, reason))]
    #[allow(clippy::too_many_arguments)]
    pub async fn move_token(
        &self,
        actor: &str,
        request_id: &str,
        id: i64,
        from: i64,
        to: &str,
        reason: &str,
    ) -> Result<Step, WorkflowError> {
        let reason = reason_for(reason, "chuyển bước")?;
        let mut tx = self.db.begin().await?;
        let mut inst = running(&mut tx, id, "không chuyển bước được").await?;
        let p = self.model(inst.definition_id).await?;
        let task = store::get_task(&mut tx, from)
            .await?
            .filter(|t| t.instance_id == id && t.status == "open")
            .ok_or_else(|| {
                WorkflowError::Conflict(format!("Công việc {from} không đang mở trong lượt {id}."))
            })?;
        let bad = |why: String| Err(WorkflowError::BadRequest(why));
        match (p.nodes.get(&task.node_id).map(|n| &n.kind), p.nodes.get(to)) {
            (_, None) => return bad(format!("Không có phần tử “{to}” trong quy trình.")),
            (Some(NodeKind::UserTask { multi: Some(_), .. }), _) => {
                return bad("Không chuyển riêng một công việc của hoạt động nhiều phiên.".into())
            }
            _ if p.race_of(&task.node_id).is_some() => {
                return bad("Không chuyển riêng một nơi chờ của cổng theo sự kiện.".into())
            }
            (Some(NodeKind::SubProcess { .. }), _) => {
                return bad(
                    "Không chuyển cả một giai đoạn; chuyển một công việc bên trong nó.".into()
                )
            }
            (_, Some(n)) if n.scope != p.nodes.get(&task.node_id).and_then(|t| t.scope.clone()) => {
                return bad(format!(
                    "“{to}” ở giai đoạn khác; chỉ chuyển trong cùng một giai đoạn."
                ))
            }
            (_, Some(n)) => match &n.kind {
                NodeKind::ParallelGateway | NodeKind::InclusiveGateway { .. }
                    if n.incoming.len() > 1 =>
                {
                    return bad(format!("“{to}” là cổng hợp nhánh; chuyển tới một bước trước nó."))
                }
                NodeKind::StartEvent
                | NodeKind::MessageStart { .. }
                | NodeKind::TimerBoundary { .. }
                | NodeKind::ErrorBoundary { .. }
                | NodeKind::EscalationBoundary { .. }
                | NodeKind::MessageBoundary { .. } => {
                    return bad(format!(
                        "Không chuyển tới sự kiện bắt đầu hay sự kiện biên “{to}”."
                    ))
                }
                _ => {}
            },
        }
        let now = self.now();
        cancel_tasks(&mut tx, &[from], actor, &now).await?;
        let detail = format!("từ {} tới {to}: {reason}", task.node_id);
        let why = Logged {
            node: &task.node_id,
            event: "token_moved",
            detail: Some(detail),
            interrupts: None,
        };
        let arrival = vec![(to.to_string(), None)];
        let opened = self.step_alone(&mut tx, &p, &mut inst, arrival, actor, why, &now).await?;
        let event = AuditEvent::new(actor, "workflow.token.move", "process_instance")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"from_task": from, "from": task.node_id, "to": to, "reason": reason}));
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Step { instance: inst, opened })
    }
}

/// Cancels an instance's open tasks with their timers, jobs and message waits (an instance
/// cancelled, or one that reached a terminate end event); answers the tasks cancelled.
pub(crate) async fn end_open_work(
    tx: &mut Tx,
    instance: i64,
    actor: &str,
    now: &str,
) -> Result<Vec<i64>, WorkflowError> {
    let open = store::open_task_ids(tx, instance).await?;
    cancel_tasks(tx, &open, actor, now).await?;
    store::delete_loops(tx, instance).await?;
    store::delete_stopped(tx, instance).await?;
    Ok(open)
}

/// Cancels open tasks with what waits on them: timers, jobs, message waits.
pub(crate) async fn cancel_tasks(
    tx: &mut Tx,
    tasks: &[i64],
    actor: &str,
    now: &str,
) -> Result<(), WorkflowError> {
    // Level by level: the instances a cancelled call activity started are cancelled, and
    // what their own call activities started (call.rs).
    let mut level = tasks.to_vec();
    while !level.is_empty() {
        for task in &level {
            store::close_task(tx, *task, "cancelled", actor, now).await?;
        }
        store::cancel_timers_of(tx, &level).await?;
        store::delete_jobs(tx, &level).await?;
        store::delete_subscriptions(tx, &level).await?;
        level = super::call::cancel_called(tx, &level, actor, now).await?;
    }
    Ok(())
}

/// A reason an administrator gives (3 to 1000 characters, one line), trimmed.
pub(super) fn reason_for<'a>(reason: &'a str, what: &str) -> Result<&'a str, WorkflowError> {
    let reason = reason.trim();
    let n = reason.chars().count();
    if !(3..=1000).contains(&n) || reason.chars().any(char::is_control) {
        return Err(WorkflowError::BadRequest(format!(
            "Nêu lý do {what} (3 đến 1000 ký tự, một dòng)."
        )));
    }
    Ok(reason)
}

/// A running instance, locked; one that is not running is a conflict saying what cannot be
/// done (`what`).
pub(super) async fn running(
    tx: &mut Tx,
    id: i64,
    what: &str,
) -> Result<InstanceRow, WorkflowError> {
    let inst = locked(tx, id).await?;
    if inst.status != "active" {
        return Err(WorkflowError::Conflict(format!(
            "Lượt {id} không chạy ({}); {what}.",
            inst.status
        )));
    }
    Ok(inst)
}

/// An instance, locked (PostgreSQL) as a step's batch locks it.
async fn locked(tx: &mut Tx, id: i64) -> Result<InstanceRow, WorkflowError> {
    store::instances_by_ids(tx, &[id])
        .await?
        .pop()
        .ok_or_else(|| WorkflowError::NotFound(format!("quy trình {id}")))
}

//! Moving a running instance to another version of its process (issue 14 item 7), when the
//! new diagram can carry on from where the instance stands: every element holding a token —
//! an open task, a multi-instance activity, a wait for a message or a job, a pending timer,
//! a token at a join, one wait of a race — is in the new version as the same kind of element
//! in the same stage, waiting for the same thing. Otherwise it is refused naming each element
//! that blocks it, and nothing changes.

use std::mem::discriminant;

use cqdt_audit::AuditEvent;
use serde_json::json;

use super::operate::{reason_for, running};
use super::walk::Effects;
use super::{WorkflowError, WorkflowService};
use crate::model::{BpmnError, NodeKind, Process};
use crate::store::{self, InstanceRow};

/// Why the element `node` of version `old` cannot carry on in `new`, if it cannot.
fn blocks(old: &Process, new: &Process, node: &str) -> Option<String> {
    let (Some(a), Some(b)) = (old.nodes.get(node), new.nodes.get(node)) else {
        return Some("không còn trong phiên bản mới".into());
    };
    if discriminant(&a.kind) != discriminant(&b.kind) {
        return Some("đổi loại phần tử trong phiên bản mới".into());
    }
    if a.scope != b.scope {
        return Some("ở giai đoạn khác trong phiên bản mới".into());
    }
    let waits_for = |k: &NodeKind| match k {
        NodeKind::MessageCatch { message, key, .. } => Some(format!("{message}/{key:?}")),
        NodeKind::ExternalTask { topic, .. } => Some(topic.clone()),
        // What its called instance returns, and where to.
        NodeKind::CallActivity { called, outputs, .. } => Some(format!("{called}/{outputs:?}")),
        NodeKind::UserTask { multi, .. } => Some(format!("{}", multi.is_some())),
        NodeKind::TimerBoundary { attached_to, interrupting, .. } => {
            Some(format!("{attached_to}/{interrupting}"))
        }
        _ => None,
    };
    // The message a task's or stage's row waits for on its boundary, too.
    let boundary = |p: &Process| match p.message_boundary(node).map(|b| &b.kind) {
        Some(NodeKind::MessageBoundary { message, key, .. }) => Some(format!("{message}/{key:?}")),
        _ => None,
    };
    if waits_for(&a.kind) != waits_for(&b.kind) || boundary(old) != boundary(new) {
        return Some("chờ điều khác (thông điệp, loại việc tự động, nhiều phiên, hẹn giờ, quy trình được gọi) trong phiên bản mới".into());
    }
    let mut rivals = (old.rivals_of(node), new.rivals_of(node));
    rivals.0.sort_unstable();
    rivals.1.sort_unstable();
    (rivals.0 != rivals.1).then(|| "thuộc cổng theo sự kiện khác trong phiên bản mới".into())
}

impl WorkflowService {
    /// Moves instance `id` to `version` of its process (the newest when `None`), audited
    /// with a reason; `Err(Bpmn)` lists the elements that block it.
    #[tracing::instrument(skip(self, actor, request_id, reason))]
    pub async fn migrate(
        &self,
        actor: &str,
        request_id: &str,
        id: i64,
        version: Option<i64>,
        reason: &str,
    ) -> Result<InstanceRow, WorkflowError> {
        let reason = reason_for(reason, "chuyển phiên bản")?;
        let mut tx = self.db.begin().await?;
        let why = "chỉ chuyển phiên bản lượt đang chạy (lượt gặp sự cố: chạy lại hoặc huỷ trước)";
        let mut inst = running(&mut tx, id, why).await?;
        let old = self.model(inst.definition_id).await?;
        let definitions = self.definitions().await?;
        let from = definitions.iter().find(|d| d.id == inst.definition_id);
        let target = definitions
            .iter()
            .filter(|d| d.key == old.key)
            .filter(|d| version.is_none_or(|v| d.version == v))
            .max_by_key(|d| d.version);
        let (Some(from), Some(to)) = (from, target) else {
            let v = version.map(|v| format!(" phiên bản {v}")).unwrap_or_default();
            return Err(WorkflowError::NotFound(format!("quy trình “{}”{v}", old.key)));
        };
        if to.id == from.id {
            return Err(WorkflowError::Conflict(format!(
                "Lượt {id} đã chạy phiên bản {}.",
                from.version
            )));
        }
        let new = self.model(to.id).await?;
        // Where the instance's tokens are.
        let mut fx = Effects::default();
        fx.load_open_tasks(&mut tx, &[id]).await?;
        let mut held: Vec<String> = fx.task_places(id).into_iter().map(str::to_string).collect();
        held.extend(store::pending_timer_nodes(&mut tx, id).await?);
        let mut errors = Vec::new();
        for (_, key, n) in store::joins_of(&mut tx, &[id]).await? {
            let (join, flow) = key.split_once('#').unwrap_or((key.as_str(), ""));
            held.push(join.to_string());
            let incoming = new.nodes.get(join).map(|j| j.incoming.contains(&flow.to_string()));
            if n > 0 && !flow.is_empty() && incoming == Some(false) {
                let why = format!("luồng “{flow}” không còn đi vào cổng này trong phiên bản mới");
                errors.push(BpmnError::new(Some(join), None, why));
            }
        }
        held.sort();
        held.dedup();
        for node in &held {
            if let Some(why) = blocks(&old, &new, node) {
                let kind = old.nodes.get(node).map(|n| crate::model::kind_name(&n.kind));
                errors.push(BpmnError::new(Some(node), kind, why));
            }
        }
        if !errors.is_empty() {
            return Err(WorkflowError::Bpmn(errors));
        }
        let now = self.now();
        store::set_definition(&mut tx, id, to.id, &now).await?;
        inst.definition_id = to.id;
        let detail = format!("phiên bản {} → {}: {reason}", from.version, to.version);
        fx.log(id, &old.key, "migrated", actor, Some(detail));
        store::insert_history(&mut tx, &fx.history, &now).await?;
        let event = AuditEvent::new(actor, "workflow.instance.migrate", "process_instance")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"from": from.version, "to": to.version, "reason": reason}));
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(inst)
    }
}

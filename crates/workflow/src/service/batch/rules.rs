//! The rules a batch applies to each command — who or what may end a wait, how many times a
//! looping task has run — and the answers and audit events it gives back.

use std::collections::HashMap;

use cqdt_audit::AuditEvent;
use serde_json::{json, Map, Value};

use super::{Answers, Batch, By, Command, Complete, Step};
use crate::model::NodeKind;
use crate::service::WorkflowError;
use crate::store::{InstanceRow, JobRow, TaskRow};

/// The times a task with a standard loop has been done, this one included (its
/// `loopCounter`).
pub(super) fn times(task: &TaskRow) -> u32 {
    task.local_vars
        .as_deref()
        .and_then(|l| serde_json::from_str::<Map<String, Value>>(l).ok())
        .and_then(|l| l.get("loopCounter").and_then(Value::as_u64))
        .map_or(1, |n| n as u32)
}

/// Whether `c` may end the wait at a node of `kind`: a person a user task, a worker holding
/// the lock an external task, a message a message wait; `Err` says why not.
pub(super) fn may_complete(
    jobs: &HashMap<i64, JobRow>,
    now: &str,
    c: &Complete,
    kind: Option<&NodeKind>,
) -> Result<(), WorkflowError> {
    let id = c.task_id;
    match (&c.by, kind) {
        (By::Worker(w), Some(NodeKind::ExternalTask { .. })) => {
            if jobs.get(&id).is_some_and(|j| j.held_by(w, now)) {
                Ok(())
            } else {
                Err(WorkflowError::Conflict(format!(
                    "worker “{w}” không giữ khóa của việc {id} (chưa nhận, đã hết hạn hoặc do worker khác giữ)"
                )))
            }
        }
        (By::Message { .. }, Some(NodeKind::MessageCatch { .. }))
        | (By::Called(_), Some(NodeKind::CallActivity { .. })) => Ok(()),
        (By::Person, Some(NodeKind::ExternalTask { .. })) => Err(WorkflowError::Conflict(format!(
            "công việc {id} là việc tự động do worker làm; hoàn thành qua API công việc (jobs)"
        ))),
        (By::Person, Some(NodeKind::TimerCatch { .. })) => Err(WorkflowError::Conflict(format!(
            "công việc {id} chờ hẹn giờ; quy trình tự đi tiếp khi đến giờ"
        ))),
        (By::Person, Some(NodeKind::MessageCatch { .. })) => Err(WorkflowError::Conflict(format!(
            "công việc {id} chờ một thông điệp; gửi thông điệp qua API đối chiếu (messages)"
        ))),
        (By::Person, Some(NodeKind::SubProcess { .. })) => Err(WorkflowError::Conflict(format!(
            "công việc {id} là một giai đoạn (quy trình con); giai đoạn xong khi mọi bước trong đó xong"
        ))),
        (By::Person, Some(NodeKind::CallActivity { .. })) => Err(WorkflowError::Conflict(format!(
            "công việc {id} chờ một lượt quy trình được gọi; bước gọi xong khi lượt đó xong"
        ))),
        (By::Person, _) => Ok(()),
        (By::Worker(_), _) => Err(WorkflowError::NotFound(format!("việc tự động (job) {id}"))),
        (By::Message { .. }, _) => Err(WorkflowError::NotFound(format!("nơi chờ thông điệp {id}"))),
        (By::Called(_), _) => Err(WorkflowError::NotFound(format!("bước gọi quy trình {id}"))),
    }
}

/// Fills the answer of every command the walks did not refuse, and returns the audit event
/// of each.
pub(super) fn answer(
    commands: &[Command],
    b: &Batch,
    opened_ids: &[(usize, i64)],
    results: &mut Answers,
) -> Vec<AuditEvent> {
    let mut audits = Vec::new();
    let created: HashMap<usize, &InstanceRow> = b.created.iter().map(|(k, i)| (*k, i)).collect();
    for (k, c) in commands.iter().enumerate() {
        if results[k].is_some() {
            continue;
        }
        let opened: Vec<i64> =
            opened_ids.iter().filter(|(cmd, _)| *cmd == k).map(|(_, id)| *id).collect();
        let (event, instance) = match c {
            Command::Start(s) => {
                let Some(inst) = created.get(&k) else {
                    continue;
                };
                let version = b.definitions.get(&s.key).map(|d| d.1);
                let event = AuditEvent::new(
                    &s.actor,
                    "workflow.instance.start",
                    "process_instance",
                )
                .object(inst.id.to_string())
                .request(&s.request_id)
                .details(json!({"key": s.key, "version": version, "business_key": s.business_key}));
                (event, Some(*inst))
            }
            Command::Complete(c) => {
                let Some(task) = b.tasks.get(&c.task_id) else {
                    continue;
                };
                let event = AuditEvent::new(&c.actor, "workflow.task.complete", "task")
                    .object(c.task_id.to_string())
                    .request(&c.request_id)
                    .details(json!({"instance": task.instance_id, "node": task.node_id, "by": c.by.detail()}));
                (event, b.instances.get(&task.instance_id))
            }
        };
        audits.push(event);
        if let Some(inst) = instance {
            results[k] = Some(Ok(Step { instance: inst.clone(), opened }));
        }
    }
    audits
}

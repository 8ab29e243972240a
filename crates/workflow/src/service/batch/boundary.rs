//! A message for the message boundary event of a person's task or a stage (issue 14 item 3):
//! correlated like a message for a receive task, it takes the event's path instead of
//! completing the task; interrupting, the task (or everything inside the stage) ends,
//! else the task goes on and keeps waiting for the next such message.

use super::{Batch, By, Complete};
use crate::model::NodeKind;
use crate::service::{WorkflowError, WorkflowService};

impl WorkflowService {
    /// Walks a message caught by a boundary event; `None` when `c` is something else.
    pub(super) fn message_at_boundary(
        &self,
        b: &mut Batch,
        c: &Complete,
    ) -> Option<Result<(), WorkflowError>> {
        let By::Message { id, name } = &c.by else {
            return None;
        };
        let task_id = c.task_id;
        let task = b.tasks.get(&task_id)?;
        let (instance, node) = (task.instance_id, task.node_id.clone());
        let p = b.instances.get(&instance).and_then(|i| b.models.get(&i.definition_id))?.clone();
        let e = p.message_boundary(&node).filter(
            |e| matches!(&e.kind, NodeKind::MessageBoundary { message, .. } if message == name),
        )?;
        let inst = b.instances.get_mut(&instance)?;
        if task.status != "open" || b.closed.contains(&task_id) || inst.status != "active" {
            return Some(Err(WorkflowError::Conflict(format!("công việc {task_id} đã đóng"))));
        }
        let interrupting = matches!(e.kind, NodeKind::MessageBoundary { interrupting: true, .. });
        b.messages.push((id.clone(), name.clone(), task_id, inst.id));
        inst.variables.extend(c.variables.clone());
        b.fx.log(inst.id, &e.id, "message_caught", &c.actor, c.by.detail());
        match p.nodes.get(&node).map(|n| &n.kind) {
            // The stage's row goes with everything inside it; one token leaves.
            Some(NodeKind::SubProcess { .. }) if interrupting => {
                b.fx.interrupt_stage(&p, inst, &node, &mut Default::default());
                inst.tokens += 1;
            }
            // The task's token leaves down the event's flow.
            _ if interrupting => {
                b.fx.task_closed(inst.id, task_id);
                b.fx.cancels.push(task_id);
            }
            // The task or stage goes on, its message wait with it; one more token.
            _ => {
                b.kept.insert(task_id);
                inst.tokens += 1;
            }
        }
        if interrupting {
            b.closed.insert(task_id);
        }
        let next = self.targets(&p, &e.outgoing);
        self.walk(&p, inst, next, &c.actor, &b.at, &mut b.fx);
        if !b.dirty.contains(&instance) {
            b.dirty.push(instance);
        }
        Some(Ok(()))
    }
}

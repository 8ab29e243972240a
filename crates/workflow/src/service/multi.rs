//! Multi-instance user tasks (issue 14 item 3): one task per item of a list — the agencies
//! to consult, say — all at once or one after another. The activity holds its token until
//! every task is done or its completion condition holds; then the tasks still open are
//! cancelled, the outputs collected (Zeebe's `outputCollection`) and the token moves on.
//! Its progress is a `wf_loops` row, read with the instance and written with its batch.

use cqdt_platform::Tx;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::walk::{open_user_task, Arrival, Effects, Moment};
use super::{WorkflowError, WorkflowService};
use crate::model::{MultiInstance, Node, Process};
use crate::store::{self, InstanceRow, TaskRow};

/// A multi-instance activity in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct LoopState {
    /// The list it was started with (a later change of the variable does not change it).
    items: Vec<Value>,
    /// Tasks opened so far (all at once, or one after another).
    opened: usize,
    /// Tasks completed.
    done: usize,
    /// Outputs collected, by the item's position (when the diagram collects them).
    outputs: Vec<Value>,
}

impl Effects {
    /// Reads the activities in progress of some instances.
    pub(crate) async fn load_loops(
        &mut self,
        tx: &mut Tx,
        instance_ids: &[i64],
    ) -> Result<(), WorkflowError> {
        for (i, node, state) in store::loops_of(tx, instance_ids).await? {
            let state: LoopState = serde_json::from_str(&state).map_err(|e| {
                WorkflowError::Conflict(format!("trạng thái nhiều phiên của {node} hỏng: {e}"))
            })?;
            self.loops.insert((i, node), state);
        }
        Ok(())
    }

    /// Records an activity's state, or (None) its end.
    fn set_loop(&mut self, instance: i64, node: &str, state: Option<LoopState>) {
        let key = (instance, node.to_string());
        match &state {
            Some(s) => self.loops.insert(key, s.clone()),
            None => self.loops.remove(&key),
        };
        self.loop_writes.push((instance, node.to_string(), state));
    }

    /// Forgets every activity of an instance (a terminate end event).
    pub(crate) fn clear_loops(&mut self, instance: i64) {
        let nodes: Vec<String> =
            self.loops.keys().filter(|(i, _)| *i == instance).map(|(_, n)| n.clone()).collect();
        for node in nodes {
            self.set_loop(instance, &node, None);
        }
    }

    /// Whether an activity is in progress (a task of it may be completed).
    pub(crate) fn loop_running(&self, instance: i64, node: &str) -> bool {
        self.loops.contains_key(&(instance, node.to_string()))
    }
}

/// The variables only the task for item `index` sees: its item and `loopCounter` (from 1).
fn local(m: &MultiInstance, items: &[Value], index: usize) -> Map<String, Value> {
    let mut l = Map::new();
    if let Some(e) = &m.element {
        l.insert(e.clone(), items[index].clone());
    }
    l.insert("loopCounter".into(), Value::from(index as u64 + 1));
    l
}

impl WorkflowService {
    /// A token arrives at a multi-instance task: opens its tasks (all, or the first);
    /// answers where the token goes on at once (an empty list passes the activity), or the
    /// reason of an incident.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn enter_multi(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        node: &Node,
        m: &MultiInstance,
        actor: &str,
        at: &Moment,
        fx: &mut Effects,
    ) -> Result<Vec<Arrival>, String> {
        let Some(Value::Array(items)) = inst.variables.get(&m.collection).cloned() else {
            return Err(format!(
                "biến “{}” không phải danh sách để mở công việc nhiều phiên",
                m.collection
            ));
        };
        if fx.loop_running(inst.id, &node.id) {
            return Err("công việc nhiều phiên đang chạy; chưa xong thì không vào lại".into());
        }
        if items.is_empty() {
            if let Some((collection, _)) = &m.output {
                inst.variables.insert(collection.clone(), Value::Array(Vec::new()));
            }
            fx.log(inst.id, &node.id, "passed", actor, Some("danh sách rỗng".into()));
            return Ok(self.targets(p, &node.outgoing));
        }
        let first = if m.sequential { 1 } else { items.len() };
        // All the tasks or none: a failure halfway (an item naming no agency) leaves nothing
        // opened, so that running the instance on after the fix opens each task once.
        let (opened, logged) = (fx.opened.len(), fx.history.len());
        for i in 0..first {
            if let Err((_, why)) =
                open_user_task(p, inst, node, Some(&local(m, &items, i)), actor, at, fx)
            {
                fx.opened.truncate(opened);
                fx.history.truncate(logged);
                return Err(why);
            }
        }
        let outputs = if m.output.is_some() { vec![Value::Null; items.len()] } else { Vec::new() };
        fx.set_loop(inst.id, &node.id, Some(LoopState { items, opened: first, done: 0, outputs }));
        Ok(Vec::new())
    }

    /// One task of a multi-instance activity is completed (its variables already merged,
    /// the collected `output` taken out of them): opens the next task of a sequential one,
    /// or ends the activity when every task is done or the completion condition holds.
    /// Answers where the token goes on (nothing while the activity runs).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn multi_step(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        task: &TaskRow,
        m: &MultiInstance,
        output: Option<Value>,
        actor: &str,
        at: &Moment,
        fx: &mut Effects,
    ) -> Result<Vec<Arrival>, String> {
        let Some(node) = p.nodes.get(&task.node_id) else {
            return Err("phần tử không có trong định nghĩa".into());
        };
        let Some(mut state) = fx.loops.get(&(inst.id, node.id.clone())).cloned() else {
            return Err("không có trạng thái của công việc nhiều phiên".into());
        };
        let index = task
            .local_vars
            .as_deref()
            .and_then(|l| serde_json::from_str::<Map<String, Value>>(l).ok())
            .and_then(|l| l.get("loopCounter").and_then(Value::as_u64))
            .map(|c| c as usize - 1)
            .filter(|i| *i < state.items.len())
            .ok_or("công việc nhiều phiên không biết mục của mình")?;
        if let (Some(slot), Some(v)) = (state.outputs.get_mut(index), output) {
            *slot = v;
        }
        state.done += 1;
        let total = state.items.len();
        let active = state.opened - state.done;
        let finished = state.done == total
            || m.completion.as_deref().is_some_and(|c| {
                let mut scope = inst.variables.clone();
                scope.insert("nrOfInstances".into(), Value::from(total as u64));
                scope.insert("nrOfCompletedInstances".into(), Value::from(state.done as u64));
                scope.insert("nrOfActiveInstances".into(), Value::from(active as u64));
                crate::condition::parse(c).is_ok_and(|e| crate::condition::eval(&e, &scope))
            });
        if finished {
            if let Some((collection, _)) = &m.output {
                inst.variables.insert(collection.clone(), Value::Array(state.outputs));
            }
            if active > 0 {
                fx.loop_cancels.push((inst.id, node.id.clone()));
                let detail = format!("điều kiện kết thúc đạt; huỷ {active} công việc còn mở");
                fx.log(inst.id, &node.id, "loop_completed", actor, Some(detail));
            }
            fx.set_loop(inst.id, &node.id, None);
            return Ok(self.targets(p, &node.outgoing));
        }
        if m.sequential {
            let next = local(m, &state.items, state.opened);
            open_user_task(p, inst, node, Some(&next), actor, at, fx).map_err(|(_, why)| why)?;
            state.opened += 1;
        }
        fx.set_loop(inst.id, &node.id, Some(state));
        Ok(Vec::new())
    }
}

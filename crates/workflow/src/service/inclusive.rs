//! Inclusive gateways (issue 14 item 2). As a fork, every outgoing flow whose condition holds
//! is taken (a flow without a condition always is; the default flow only when nothing else
//! is). As a join, BPMN 2.0 (§13.4.3) activates it once at least one incoming flow holds a
//! token and no other token of the instance could still bring one to an empty incoming flow
//! without also reaching a filled one; it then consumes one token from each filled flow.
//! Where the other tokens are is known in memory: those moving in the walk (the check runs only
//! when every one has come to rest), those at open tasks (read with the instance, less the
//! ones this batch closes, plus the ones it opens) and those waiting at joins.

use std::collections::{HashMap, HashSet};

use cqdt_platform::Tx;
use serde_json::{Map, Value};

use super::walk::{Arrival, Effects};
use super::{WorkflowError, WorkflowService};
use crate::model::{Node, Process};
use crate::store::{self, InstanceRow};

/// The key of tokens waiting at `join` that came down `flow`.
pub(crate) fn join_key(join: &str, flow: &str) -> String {
    format!("{join}#{flow}")
}

/// The join a key of waiting tokens is at (a key of the release before is the join alone).
pub(crate) fn join_of(key: &str) -> &str {
    key.split_once('#').map_or(key, |(join, _)| join)
}

/// Whether the condition of flow `f` holds (a flow without one always does).
pub(crate) fn holds(p: &Process, f: &str, variables: &Map<String, Value>) -> bool {
    match p.flows.get(f).and_then(|f| f.condition.as_deref()) {
        None => true,
        Some(_) => p.condition(f).is_some_and(|c| crate::condition::eval(&c, variables)),
    }
}

impl Effects {
    /// Reads where the tokens of some instances wait at open tasks.
    pub(crate) async fn load_open_tasks(
        &mut self,
        tx: &mut Tx,
        instance_ids: &[i64],
    ) -> Result<(), WorkflowError> {
        for id in instance_ids {
            self.open_tasks.entry(*id).or_default();
        }
        for (instance, task, node) in store::open_tasks_of(tx, instance_ids).await? {
            self.open_tasks.entry(instance).or_default().push((task, node));
        }
        Ok(())
    }

    /// A task of an instance whose open tasks are followed is closed by this batch.
    pub(crate) fn task_closed(&mut self, instance: i64, task: i64) {
        if self.open_tasks.contains_key(&instance) {
            self.gone.insert(task);
        }
    }

    /// The nodes where tokens of `instance` wait at open tasks, as the batch leaves them.
    pub(crate) fn task_places(&self, instance: i64) -> Vec<&str> {
        let cancelled: HashSet<&str> = self
            .loop_cancels
            .iter()
            .filter(|(i, _)| *i == instance)
            .map(|(_, n)| n.as_str())
            .collect();
        self.stored_open(instance)
            .filter(|(_, node)| !cancelled.contains(node.as_str()))
            .map(|(_, node)| node.as_str())
            .chain(self.new_open(instance).map(|(_, node)| node))
            .collect()
    }

    /// The open tasks of `instance` as read, less those this batch has closed: (id, node).
    pub(crate) fn stored_open(&self, instance: i64) -> impl Iterator<Item = &(i64, String)> {
        let read = self.open_tasks.get(&instance).into_iter().flatten();
        read.filter(|(task, _)| !self.gone.contains(task))
    }

    /// The tasks this batch opened for `instance` and has not ended: (index in `opened`,
    /// node).
    pub(crate) fn new_open(&self, instance: i64) -> impl Iterator<Item = (usize, &str)> {
        let new = self.opened.iter().enumerate();
        new.filter(move |(k, o)| o.task.instance_id == instance && !self.closed_new(*k))
            .map(|(k, o)| (k, o.task.node_id.as_str()))
    }

    /// Counts a token arriving at a join down `flow`.
    pub(crate) fn record_arrival(&mut self, instance: i64, join: &str, flow: &str) {
        let key = (instance, join_key(join, flow));
        let here = self.arrivals.entry(key.clone()).or_insert(0);
        *here += 1;
        let n = *here;
        self.joins.push((instance, key.1, Some(n)));
    }

    /// Takes one token from each of `flows` waiting at `join`.
    pub(crate) fn consume(&mut self, instance: i64, join: &str, flows: &[String]) {
        for f in flows {
            let k = (instance, join_key(join, f));
            let left = self.arrivals.get(&k).copied().unwrap_or(1) - 1;
            if left > 0 {
                self.arrivals.insert(k.clone(), left);
            } else {
                self.arrivals.remove(&k);
            }
            self.joins.push((instance, k.1, (left > 0).then_some(left)));
        }
    }

    /// Tokens waiting at `join`, by incoming flow.
    fn waiting(&self, instance: i64, join: &Node) -> Vec<String> {
        join.incoming
            .iter()
            .filter(|f| {
                self.arrivals.get(&(instance, join_key(&join.id, f))).is_some_and(|n| *n > 0)
            })
            .cloned()
            .collect()
    }
}

/// The flows a token can go on from where it waits: out of its task and the task's boundary
/// events; from an end event inside a stage, out of the stage.
fn exits<'a>(p: &'a Process, node: &'a str) -> Vec<&'a str> {
    let here = p.nodes.get(node);
    if let Some(n) = here.filter(|n| matches!(n.kind, crate::model::NodeKind::EndEvent)) {
        return n.scope.as_deref().map(|s| exits(p, s)).unwrap_or_default();
    }
    let at = here.into_iter().chain(p.boundaries_of(node));
    at.flat_map(|n| n.outgoing.iter().map(String::as_str)).collect()
}

/// The incoming flows of `join` reachable from `starts` without passing through `join`.
fn reached<'a>(p: &'a Process, join: &Node, starts: Vec<&'a str>) -> HashSet<&'a str> {
    let (mut seen, mut out) = (HashSet::new(), HashSet::new());
    let mut stack = starts;
    while let Some(f) = stack.pop() {
        if !seen.insert(f) {
            continue;
        }
        let Some(flow) = p.flows.get(f) else {
            continue;
        };
        if flow.target == join.id {
            out.insert(f);
            continue;
        }
        stack.extend(exits(p, &flow.target));
    }
    out
}

impl WorkflowService {
    /// An inclusive join of `inst` that may fire now that every token of the walk is at rest:
    /// its id and the flows whose tokens it consumes.
    fn ready_inclusive_join(
        &self,
        p: &Process,
        inst: &InstanceRow,
        fx: &Effects,
    ) -> Option<(String, Vec<String>)> {
        // Where the instance's other tokens are, as the flows they can go on from.
        let mut places: Vec<(Option<&str>, Vec<&str>)> =
            fx.task_places(inst.id).into_iter().map(|n| (None, exits(p, n))).collect();
        let mut at_joins: HashMap<&str, Vec<&str>> = HashMap::new();
        for ((i, key), n) in &fx.arrivals {
            if *i != inst.id || *n <= 0 {
                continue;
            }
            match key.split_once('#') {
                Some((join, flow)) => at_joins.entry(join).or_default().push(flow),
                // A parallel join's row of the release before: its tokens go on from it.
                None => places.push((Some(key), exits(p, key))),
            }
        }
        for (join, flows) in &at_joins {
            for f in flows {
                places.push((Some(join), vec![*f]));
            }
        }
        p.nodes.values().filter(|n| n.is_inclusive_join()).find_map(|j| {
            let filled = fx.waiting(inst.id, j);
            if filled.is_empty() {
                return None;
            }
            let blocked =
                places.iter().filter(|(at, _)| *at != Some(j.id.as_str())).any(|(_, starts)| {
                    let r = reached(p, j, starts.clone());
                    let to_filled = filled.iter().any(|f| r.contains(f.as_str()));
                    !to_filled && r.iter().any(|f| !filled.iter().any(|g| g == f))
                });
            (!blocked).then(|| (j.id.clone(), filled))
        })
    }

    /// Fires an inclusive join of `inst` that may fire now (`inclusive`: its process has
    /// such joins): consumes its tokens and answers the arrival of the one that goes on.
    pub(crate) fn fire_inclusive(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        inclusive: bool,
        fx: &mut Effects,
    ) -> Option<Arrival> {
        if !inclusive || inst.status != "active" {
            return None;
        }
        let (join, filled) = self.ready_inclusive_join(p, inst, fx)?;
        fx.consume(inst.id, &join, &filled);
        inst.tokens -= filled.len() as i64 - 1;
        Some((join, None))
    }

    /// Forks at an inclusive gateway: every flow whose condition holds, in document order,
    /// else the default flow; `Err` (an incident) when there is neither.
    pub(crate) fn fork_inclusive(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        node: &Node,
        default: Option<&String>,
        actor: &str,
        fx: &mut Effects,
    ) -> Result<Vec<Arrival>, String> {
        let mut taken: Vec<String> = node
            .outgoing
            .iter()
            .filter(|f| Some(*f) != default && holds(p, f, &inst.variables))
            .cloned()
            .collect();
        if taken.is_empty() {
            taken.extend(default.cloned());
        }
        if taken.is_empty() {
            return Err("không điều kiện nào đúng và không có luồng mặc định".into());
        }
        for f in &taken {
            fx.log(inst.id, &node.id, "took", actor, Some(f.clone()));
        }
        inst.tokens += taken.len() as i64 - 1;
        Ok(self.targets(p, &taken))
    }
}

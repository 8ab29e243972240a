//! Embedded sub-processes (issue 14 item 3): a stage of a process with its own start and end
//! events. A row no person's pool holds stands for the stage while it runs, so that the
//! timers on its boundary have a task to hang on, as on a user task. The token goes in at the
//! stage's start event; when no token is left inside (every one ended, none waiting at a task
//! or a join within it) the row is completed and the token goes on down the stage's flow. An
//! interrupting timer on the stage cancels everything inside it.

use std::collections::{HashSet, VecDeque};

use super::inclusive::join_of;
use super::walk::{Arrival, Effects};
use super::WorkflowService;
use crate::model::{NodeKind, Process};
use crate::store::InstanceRow;

/// A stage's row: written before this batch, or opened by it (its index in `opened`).
#[derive(Clone, Copy)]
enum Row {
    Stored(i64),
    New(usize),
}

impl Effects {
    /// The stages of `inst` running as the batch leaves them.
    fn stages<'a>(&'a self, p: &Process, inst: i64) -> Vec<(Row, &'a str)> {
        let is_stage =
            |n: &str| matches!(p.nodes.get(n).map(|n| &n.kind), Some(NodeKind::SubProcess { .. }));
        let stored = self.stored_open(inst).map(|(id, n)| (Row::Stored(*id), n.as_str()));
        let new = self.new_open(inst).map(|(k, n)| (Row::New(k), n));
        stored.chain(new).filter(|(_, n)| is_stage(n)).collect()
    }

    /// Whether a task this batch opened is already ended by it.
    pub(crate) fn closed_new(&self, k: usize) -> bool {
        self.opened_done.contains(&k) || self.opened_cancelled.contains(&k)
    }

    /// Ends everything inside the stage `stage` of `inst` (an interrupting timer on it fired,
    /// an error thrown inside it was caught on it): tokens moving inside it in `queue`, its
    /// tasks with their timers, jobs and message waits, its row, tokens waiting at its joins,
    /// multi-instance progress; the instance loses the tokens that were inside.
    pub(crate) fn interrupt_stage(
        &mut self,
        p: &Process,
        inst: &mut InstanceRow,
        stage: &str,
        queue: &mut VecDeque<Arrival>,
    ) {
        let here = |n: &str| n == stage || p.within(n, stage);
        let before = queue.len();
        queue.retain(|(n, _)| !p.within(n, stage));
        let mut tokens = (before - queue.len()) as i64;
        // One token a task, one a multi-instance activity whatever its tasks, none a stage's
        // row (its tokens are inside it).
        let mut activities: HashSet<String> = HashSet::new();
        let mut count = |n: &str| match p.nodes.get(n).map(|n| &n.kind) {
            Some(NodeKind::SubProcess { .. }) => 0,
            Some(NodeKind::UserTask { multi: Some(_), .. }) => {
                i64::from(activities.insert(n.into()))
            }
            _ => 1,
        };
        let stored: Vec<(i64, String)> =
            self.stored_open(inst.id).filter(|(_, n)| here(n)).cloned().collect();
        for (t, n) in stored {
            self.gone.insert(t);
            self.cancels.push(t);
            tokens += count(&n);
        }
        let new: Vec<(usize, String)> =
            self.new_open(inst.id).filter(|(_, n)| here(n)).map(|(k, n)| (k, n.into())).collect();
        for (k, n) in new {
            self.opened_cancelled.insert(k);
            tokens += count(&n);
        }
        let waiting: Vec<((i64, String), i64)> = self
            .arrivals
            .iter()
            .filter(|((i, key), _)| *i == inst.id && p.within(join_of(key), stage))
            .map(|(k, n)| (k.clone(), *n))
            .collect();
        for (key, n) in waiting {
            tokens += n;
            self.arrivals.remove(&key);
            self.joins.push((key.0, key.1, None));
        }
        let loops: Vec<(i64, String)> = self
            .loops
            .keys()
            .filter(|(i, n)| *i == inst.id && p.within(n, stage))
            .cloned()
            .collect();
        for key in loops {
            self.loops.remove(&key);
            self.loop_writes.push((key.0, key.1, None));
        }
        inst.tokens -= tokens;
    }

    /// Whether a token of `inst` is still inside the stage `stage`: at a task or a join.
    fn busy(&self, p: &Process, inst: i64, stage: &str) -> bool {
        self.task_places(inst).iter().any(|n| p.within(n, stage))
            || self
                .arrivals
                .iter()
                .any(|((i, key), n)| *i == inst && *n > 0 && p.within(join_of(key), stage))
    }
}

impl WorkflowService {
    /// Ends a stage of `inst` nothing is left inside of, now that every token of the walk is
    /// at rest: its row is completed and the token goes on down the stage's flow.
    pub(crate) fn finish_stage(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        actor: &str,
        fx: &mut Effects,
    ) -> Option<Arrival> {
        if inst.status != "active" {
            return None;
        }
        let stages = fx.stages(p, inst.id);
        let (row, stage) = stages.into_iter().find(|(_, s)| !fx.busy(p, inst.id, s))?;
        let stage = stage.to_string();
        match row {
            Row::Stored(id) => {
                fx.gone.insert(id);
                fx.stages_done.push(id);
            }
            Row::New(k) => {
                fx.opened_done.insert(k);
            }
        }
        inst.tokens += 1;
        fx.log(inst.id, &stage, "stage_completed", actor, None);
        let node = p.nodes.get(&stage)?;
        self.targets(p, &node.outgoing).into_iter().next()
    }
}

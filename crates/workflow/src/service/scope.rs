//! Embedded sub-processes (issue 14 item 3): a stage of a process with its own start and end
//! events. A row no person's pool holds stands for the stage while it runs, so that the
//! timers on its boundary have a task to hang on, as on a user task. The token goes in at the
//! stage's start event; when no token is left inside (every one ended, none waiting at a task
//! or a join within it) the row is completed and the token goes on down the stage's flow. An
//! interrupting timer on the stage cancels everything inside it.

use cqdt_platform::Tx;

use super::walk::{Arrival, Effects};
use super::{WorkflowError, WorkflowService};
use crate::model::{NodeKind, Process};
use crate::store::{self, InstanceRow};

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
        let stored = self.open_tasks.get(&inst).into_iter().flatten();
        let stored = stored
            .filter(|(id, n)| !self.gone.contains(id) && is_stage(n))
            .map(|(id, n)| (Row::Stored(*id), n.as_str()));
        let new = self.opened.iter().enumerate().filter(|(k, o)| {
            o.task.instance_id == inst && !self.opened_done.contains(k) && is_stage(&o.task.node_id)
        });
        stored.chain(new.map(|(k, o)| (Row::New(k), o.task.node_id.as_str()))).collect()
    }

    /// Whether a token of `inst` is still inside the stage `stage`: at a task or a join.
    fn busy(&self, p: &Process, inst: i64, stage: &str) -> bool {
        self.task_places(inst).iter().any(|n| p.within(n, stage))
            || self.arrivals.iter().any(|((i, key), n)| {
                *i == inst && *n > 0 && p.within(key.split('#').next().unwrap_or(key), stage)
            })
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

    /// An interrupting timer on the stage `stage` fired: everything inside it is cancelled
    /// (tasks with their timers, jobs and message waits, tokens at joins, multi-instance
    /// progress) and its tokens go; the caller moves one on down the timer's flow.
    pub(crate) async fn cancel_stage(
        &self,
        tx: &mut Tx,
        p: &Process,
        inst: &mut InstanceRow,
        stage: &str,
        now: &str,
    ) -> Result<(), WorkflowError> {
        let open = store::open_tasks_of(tx, &[inst.id]).await?;
        let inside: Vec<(i64, String)> = open
            .into_iter()
            .filter(|(_, _, n)| p.within(n, stage))
            .map(|(_, t, n)| (t, n))
            .collect();
        // Tokens: one a task, one a multi-instance activity whatever its tasks, none a stage
        // (its tokens are inside it), each one waiting at a join.
        let mut tokens = 0;
        let mut activities: Vec<&str> = Vec::new();
        for (_, n) in &inside {
            match p.nodes.get(n).map(|n| &n.kind) {
                Some(NodeKind::SubProcess { .. }) => {}
                Some(NodeKind::UserTask { multi: Some(_), .. }) => {
                    if !activities.contains(&n.as_str()) {
                        activities.push(n);
                        tokens += 1;
                    }
                }
                _ => tokens += 1,
            }
        }
        for activity in &activities {
            store::set_loop(tx, inst.id, activity, None).await?;
        }
        for (_, key, n) in store::joins_of(tx, &[inst.id]).await? {
            if p.within(key.split('#').next().unwrap_or(&key), stage) {
                tokens += n;
                store::set_join(tx, inst.id, &key, None).await?;
            }
        }
        let ids: Vec<i64> = inside.iter().map(|(t, _)| *t).collect();
        super::operate::cancel_tasks(tx, &ids, "system", now).await?;
        inst.tokens += 1 - tokens;
        Ok(())
    }
}

//! Call activities (issue 14 item 3): the token waits at a row no person's pool holds while
//! an instance of another process runs — a shared appraisal stage, a consultation process
//! deployed once and called by many. Everything happens in the transaction of the step that
//! leads to it: the step that reaches a call activity also starts the called instance (and
//! walks it to its first waits); the step that ends a called instance also completes its
//! caller's row and walks the caller on. These are follow-up commands, run in rounds after
//! the step is written. Cancelling the caller's row (a timer on the call activity, a
//! terminate end event, the instance cancelled, a token moved) cancels the called instance,
//! and what it called in turn.

use cqdt_platform::Tx;

use super::batch::{By, Command, Complete};
use super::walk::Effects;
use super::{WorkflowError, WorkflowService};
use crate::model::{NodeKind, Process};
use crate::store::{self, InstanceRow};

/// Most rounds of follow-up commands one step leads to (a called instance that calls
/// another, that ends at once, …): beyond it, the calls are taken for an endless recursion.
const MAX_CALL_DEPTH: usize = 32;

impl WorkflowService {
    /// Reads the newest definition of each process `p` calls that `fx` does not know yet.
    pub(crate) async fn load_callees(
        &self,
        tx: &mut Tx,
        p: &Process,
        fx: &mut Effects,
    ) -> Result<(), WorkflowError> {
        for key in p.called() {
            if fx.callees.contains_key(key) {
                continue;
            }
            if let Some((id, _, _)) = store::latest_definition(tx, key).await? {
                fx.callees.insert(key.to_string(), id);
            }
        }
        Ok(())
    }

    /// Runs the commands a written step leads to, round after round, in its transaction. A
    /// start refused fails the step; a caller that cannot take its called instance's end now
    /// (an incident stopped it) keeps its row open, and running it on takes the end then.
    pub(crate) async fn follow_up(
        &self,
        tx: &mut Tx,
        mut follow: Vec<Command>,
    ) -> Result<(), WorkflowError> {
        let mut rounds = 0;
        while !follow.is_empty() {
            rounds += 1;
            if rounds > MAX_CALL_DEPTH {
                return Err(WorkflowError::Conflict(format!(
                    "các lượt quy trình gọi nhau quá {MAX_CALL_DEPTH} tầng trong một bước; nghi là gọi đệ quy không dừng"
                )));
            }
            let commands = follow.clone();
            let (results, more) = self.execute_round(tx, follow).await?;
            for (c, r) in commands.iter().zip(results) {
                match (c, r) {
                    (_, Ok(_)) => {}
                    (Command::Complete(c), Err(e)) if matches!(c.by, By::Called(_)) => {
                        tracing::info!(task = c.task_id, reason = %e, "call activity not resumed now");
                    }
                    (_, Err(e)) => return Err(e),
                }
            }
            follow = more;
        }
        Ok(())
    }

    /// The ends of the called instances of `inst` that completed while it was stopped by an
    /// incident, to run once it runs again.
    pub(crate) async fn ended_calls(
        &self,
        tx: &mut Tx,
        inst: &InstanceRow,
    ) -> Result<Vec<Command>, WorkflowError> {
        let ended = store::ended_calls(tx, inst.id).await?;
        Ok(ended.iter().filter_map(report_end).collect())
    }
}

/// The command that reports a called instance's end to its caller's row, when `inst` was
/// called and has completed: the caller takes its variables (through the call activity's
/// output mapping) and goes on.
pub(crate) fn report_end(inst: &InstanceRow) -> Option<Command> {
    let task_id = inst.parent_task_id?;
    (inst.status == "completed").then(|| {
        Command::Complete(Complete {
            actor: "system".into(),
            request_id: String::new(),
            task_id,
            variables: inst.variables.clone(),
            by: By::Called(inst.id),
        })
    })
}

/// The variables a call activity's row takes from its called instance's end.
pub(crate) fn returned(
    kind: Option<&NodeKind>,
    by: &By,
    variables: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    match (kind, by) {
        (Some(NodeKind::CallActivity { outputs, .. }), By::Called(_)) => outputs.apply(variables),
        _ => variables.clone(),
    }
}

/// Cancels the running instances that the callers' rows `tasks` (just cancelled) started:
/// their open work goes as for a cancelled instance, with a history line saying why.
/// Answers their open tasks, cancelled in turn by the caller (so what they called goes too).
pub(crate) async fn cancel_called(
    tx: &mut Tx,
    tasks: &[i64],
    actor: &str,
    now: &str,
) -> Result<Vec<i64>, WorkflowError> {
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    let called = store::running_called_from(tx, tasks).await?;
    let mut open = Vec::new();
    let mut history = Vec::new();
    let mut ended = Vec::with_capacity(called.len());
    // Many called instances share a few definitions: each key read once.
    let mut keys: std::collections::HashMap<i64, String> = std::collections::HashMap::new();
    for mut inst in called {
        open.extend(store::open_task_ids(tx, inst.id).await?);
        store::delete_loops(tx, inst.id).await?;
        store::delete_stopped(tx, inst.id).await?;
        inst.status = "cancelled".into();
        inst.tokens = 0;
        inst.ended_at = Some(now.to_string());
        let why = format!("bước gọi {} của lượt gọi đã kết thúc", inst.parent_task_id.unwrap_or(0));
        history.push(store::NewHistory {
            instance_id: inst.id,
            node_id: match keys.get(&inst.definition_id) {
                Some(k) => k.clone(),
                None => {
                    let k = store::definition_key(tx, inst.definition_id).await?;
                    keys.insert(inst.definition_id, k.clone());
                    k
                }
            },
            event: "cancelled",
            actor: actor.to_string(),
            detail: Some(why),
        });
        ended.push(inst);
    }
    let rows: Vec<&InstanceRow> = ended.iter().collect();
    store::save_instances(tx, &rows, now).await?;
    store::insert_history(tx, &history, now).await?;
    Ok(open)
}

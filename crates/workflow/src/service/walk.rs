//! The walk: tokens move through the graph in memory, from node to node, until every one
//! waits at a user task or a join, or ends; what they change is gathered in [`Effects`] and
//! written by the batch afterwards. The engine's inner loop: no I/O, no spans.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use cqdt_calendar::WorkingCalendar;
use cqdt_platform::clock::{format_ts, parse_ts};
use cqdt_platform::Tx;
use serde_json::{Map, Value};

use super::{WorkflowError, WorkflowService};
use crate::model::{Node, NodeKind, Process, Timing};
use crate::store::{self, InstanceRow, NewHistory, NewTask};

/// Most nodes one walk visits before it is taken for an endless loop.
const MAX_STEPS: usize = 10_000;

/// The time a batch runs at: its timestamp, the working calendar and today's date.
pub(crate) struct Moment {
    /// Timestamp of every row the batch writes.
    pub now: String,
    /// The calendar due dates count in.
    pub calendar: Arc<WorkingCalendar>,
    /// Today, in Vietnam.
    pub today: NaiveDate,
}

/// A task the walk opened, with the timers on its boundary.
pub(crate) struct Opened {
    pub task: NewTask,
    pub timers: Vec<(String, String)>,
    /// Index of its `task_created` history line, whose detail is the task id.
    pub history: usize,
    /// The command that opened it.
    pub command: usize,
    /// What, other than a person, ends the wait: a job or a message.
    pub wait: Option<Waiting>,
}

/// A wait that no person ends.
#[derive(Debug, Clone)]
pub(crate) enum Waiting {
    /// An external task: a worker does it through the job API.
    Job { topic: String, retries: Option<i64> },
    /// A message, by name, with the correlation key's value when the diagram names one.
    Message { name: String, key: Option<String> },
    /// An instance of another process, started once the row is written (call.rs).
    Call(Box<super::Start>),
}

/// Everything a batch changes, gathered in memory before it is written.
#[derive(Default)]
pub(crate) struct Effects {
    pub opened: Vec<Opened>,
    pub history: Vec<NewHistory>,
    /// Final arrivals at joins (None: cleared), last one wins. The key is `join#flow`:
    /// tokens waiting at a join, counted per incoming flow; a key without `#` is a row of
    /// the release before, which counted arrivals at the join whatever their flow.
    pub joins: Vec<(i64, String, Option<i64>)>,
    /// Arrivals at joins as the walk sees them, by the same keys.
    pub arrivals: HashMap<(i64, String), i64>,
    /// The command whose walk is running (its index in the batch).
    pub command: usize,
    /// Instances that reached a terminate end event: their open work is cancelled once the
    /// batch's tasks are written (placeholder ids of new instances are fixed then).
    pub terminated: Vec<i64>,
    /// Multi-instance activities in progress as the walks see them, by (instance, node).
    pub loops: HashMap<(i64, String), super::multi::LoopState>,
    /// Their final states to write (None: the activity ended), last one wins.
    pub loop_writes: Vec<(i64, String, Option<super::multi::LoopState>)>,
    /// Activities whose completion condition ended them: their other tasks are cancelled.
    pub loop_cancels: Vec<(i64, String)>,
    /// Instances an incident stopped, with the arrivals to run on when it is resolved.
    pub stopped: Vec<(i64, Vec<Arrival>)>,
    /// Open tasks (id, node) as read, of the instances whose process has inclusive joins.
    pub open_tasks: HashMap<i64, Vec<(i64, String)>>,
    /// Tasks of those instances the batch closes.
    pub gone: std::collections::HashSet<i64>,
    /// Tasks written before that this batch cancels (waits that lost a race, the inside of an
    /// interrupted stage), with what hangs on them.
    pub cancels: Vec<i64>,
    /// Tasks this batch opened and also cancelled, by index in `opened`.
    pub opened_cancelled: std::collections::HashSet<usize>,
    /// Rows of stages (sub-processes) written before and ended by this batch.
    pub stages_done: Vec<i64>,
    /// Tasks this batch opened and also ended (a stage entered and left in one step), by
    /// index in `opened`: written as completed.
    pub opened_done: std::collections::HashSet<usize>,
    /// The newest definition id of each process a call activity of the walked instances
    /// calls, read before the walks (call.rs).
    pub callees: HashMap<String, i64>,
    /// Commands the written batch leads to in the same transaction: the starts of the
    /// instances call activities call, the call activities whose instance ended.
    pub follow: Vec<super::batch::Command>,
}

impl Effects {
    /// Reads the arrivals already waiting at the joins of some instances.
    pub(crate) async fn load_arrivals(
        &mut self,
        tx: &mut Tx,
        instance_ids: &[i64],
    ) -> Result<(), WorkflowError> {
        for (i, node, n) in store::joins_of(tx, instance_ids).await? {
            self.arrivals.insert((i, node), n);
        }
        Ok(())
    }

    /// Opens a task (with the timers on its boundary, or as a job), logging its creation.
    pub(crate) fn open(
        &mut self,
        task: NewTask,
        timers: Vec<(String, String)>,
        wait: Option<Waiting>,
        actor: &str,
    ) {
        self.log(task.instance_id, &task.node_id, "task_created", actor, None);
        let history = self.history.len() - 1;
        let command = self.command;
        self.opened.push(Opened { task, timers, history, command, wait });
    }

    pub(crate) fn log(
        &mut self,
        instance_id: i64,
        node_id: &str,
        event: &'static str,
        actor: &str,
        detail: Option<String>,
    ) {
        self.history.push(NewHistory {
            instance_id,
            node_id: node_id.to_string(),
            event,
            actor: actor.to_string(),
            detail,
        });
    }
}

/// A token arriving at a node, down a flow (none for the start event).
pub(crate) type Arrival = (String, Option<String>);

impl Effects {
    /// Forgets every token waiting at a join of an instance (a terminate end event).
    fn clear_joins(&mut self, instance: i64) {
        let keys: Vec<(i64, String)> =
            self.arrivals.keys().filter(|(i, _)| *i == instance).cloned().collect();
        for key in keys {
            self.arrivals.remove(&key);
            self.joins.push((instance, key.1, None));
        }
    }

    /// Counts a token arriving at a parallel join down `flow`; answers whether the join
    /// fires (a token waits on every incoming flow), consuming one token per flow.
    fn arrive_at_join(
        &mut self,
        instance: i64,
        join: &str,
        flow: &str,
        incoming: &[String],
    ) -> bool {
        // An instance that was waiting at this join under the release before keeps that
        // release's count, so that it fires as it would have.
        let legacy = (instance, join.to_string());
        if let Some(n) = self.arrivals.get(&legacy).copied() {
            let n = n + 1;
            if n < incoming.len() as i64 {
                self.arrivals.insert(legacy.clone(), n);
                self.joins.push((instance, join.to_string(), Some(n)));
                return false;
            }
            self.arrivals.remove(&legacy);
            self.joins.push((instance, join.to_string(), None));
            return true;
        }
        self.record_arrival(instance, join, flow);
        let key = |f: &str| (instance, super::inclusive::join_key(join, f));
        if !incoming.iter().all(|f| self.arrivals.get(&key(f)).is_some_and(|n| *n > 0)) {
            return false;
        }
        self.consume(instance, join, incoming);
        true
    }
}

impl WorkflowService {
    /// The targets of some sequence flows, with the flow each token comes down.
    pub(crate) fn targets(&self, p: &Process, flows: &[String]) -> Vec<Arrival> {
        flows
            .iter()
            .filter_map(|f| p.flows.get(f))
            .map(|f| (f.target.clone(), Some(f.id.clone())))
            .collect()
    }

    /// Moves tokens from the given arrivals until every one waits at a task or join, or ends;
    /// in memory, into `fx` (tasks it opens belong to `fx.command`).
    pub(crate) fn walk(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        arrivals: Vec<Arrival>,
        actor: &str,
        at: &Moment,
        fx: &mut Effects,
    ) {
        let now = at.now.as_str();
        let mut queue: std::collections::VecDeque<Arrival> = arrivals.into();
        let mut steps = 0;
        let inclusive = p.has_inclusive_joins();
        let staged = p.nodes.values().any(|n| matches!(n.kind, NodeKind::SubProcess { .. }));
        // Once every token of the walk is at rest, an inclusive join nothing more can reach
        // fires (its token goes on from the gateway down no flow).
        'walk: while let Some((node_id, via)) = queue
            .pop_front()
            .or_else(|| self.fire_inclusive(p, inst, inclusive, fx))
            .or_else(|| staged.then(|| self.finish_stage(p, inst, actor, fx)).flatten())
        {
            steps += 1;
            let node = p.nodes.get(&node_id);
            let why = match node {
                None => Some("phần tử không có trong định nghĩa"),
                Some(_) if steps > MAX_STEPS => Some("quy trình lặp vô hạn"),
                Some(_) => None,
            };
            let (Some(node), None) = (node, why) else {
                let why = why.unwrap_or_default();
                return halt(inst, &node_id.clone(), why, fx, (node_id, via), queue);
            };
            // An element that cannot go on as written stops the instance (an incident).
            let failed: Option<(String, String)> = 'step: {
                match &node.kind {
                    NodeKind::StartEvent
                    | NodeKind::MessageStart { .. }
                    | NodeKind::TimerBoundary { .. }
                    | NodeKind::ErrorBoundary { .. }
                    | NodeKind::EscalationBoundary { .. }
                    | NodeKind::MessageBoundary { .. } => {
                        queue.extend(self.targets(p, &node.outgoing));
                    }
                    NodeKind::PassThrough
                    | NodeKind::ThrowEvent
                    | NodeKind::LinkThrow { .. }
                    | NodeKind::LinkCatch { .. } => {
                        fx.log(inst.id, &node_id, "passed", actor, None);
                        queue.extend(self.targets(p, &node.outgoing));
                    }
                    NodeKind::EndEvent => {
                        inst.tokens -= 1;
                        fx.log(inst.id, &node_id, "ended", actor, None);
                    }
                    NodeKind::ErrorEnd { code } => {
                        // Caught on an enclosing stage (checked at deployment): everything
                        // inside that stage ends, and this token goes down the boundary's flow.
                        let code = code.as_deref().unwrap_or("");
                        let Some((stage, boundary)) = p.error_catcher(&node_id, code) else {
                            let why = format!("lỗi “{code}” không có sự kiện biên nào bắt");
                            break 'step Some((node_id.clone(), why));
                        };
                        fx.log(inst.id, &node_id, "error_thrown", actor, Some(code.to_string()));
                        fx.interrupt_stage(p, inst, stage, &mut queue);
                        let detail = format!("lỗi “{code}” bắt tại {}", boundary.id);
                        fx.log(inst.id, &node_id, "error_caught", actor, Some(detail));
                        queue.extend(self.targets(p, &boundary.outgoing));
                    }
                    NodeKind::EscalationEnd { code } | NodeKind::EscalationThrow { code } => {
                        // Caught on an enclosing stage (checked at deployment); interrupting, it
                        // ends the stage's inside as an error does, else the stage goes on and
                        // a token leaves down the boundary's flow — this one from an end event,
                        // a new one from a throw event, whose own token goes on too.
                        let code = code.as_deref().unwrap_or("");
                        let Some((stage, boundary)) = p.escalation_catcher(&node_id, code) else {
                            let why =
                                format!("báo cấp trên “{code}” không có sự kiện biên nào bắt");
                            break 'step Some((node_id.clone(), why));
                        };
                        let interrupting = matches!(
                            boundary.kind,
                            NodeKind::EscalationBoundary { interrupting: true, .. }
                        );
                        if interrupting {
                            fx.interrupt_stage(p, inst, stage, &mut queue);
                        }
                        let detail = format!("“{code}” bắt tại {}", boundary.id);
                        fx.log(inst.id, &node_id, "escalated", actor, Some(detail));
                        queue.extend(self.targets(p, &boundary.outgoing));
                        let throw = matches!(node.kind, NodeKind::EscalationThrow { .. });
                        if throw && !interrupting {
                            inst.tokens += 1;
                            queue.extend(self.targets(p, &node.outgoing));
                        }
                    }
                    NodeKind::TerminateEnd => {
                        // Every other token of the instance ends here too: those still moving in
                        // this walk, those waiting at joins, and (when the batch is written)
                        // those waiting at tasks, jobs, messages and timers.
                        queue.clear();
                        fx.clear_joins(inst.id);
                        fx.clear_loops(inst.id);
                        fx.terminated.push(inst.id);
                        inst.tokens = 0;
                        fx.log(inst.id, &node_id, "terminated", actor, None);
                    }
                    NodeKind::UserTask { multi: Some(m), .. } => {
                        match self.enter_multi(p, inst, node, m, actor, at, fx) {
                            Ok(next) => queue.extend(next),
                            Err(why) => break 'step Some((node_id.clone(), why)),
                        }
                    }
                    NodeKind::UserTask { repeat: Some(r), .. } => {
                        // A while loop may not run at all; each time sees its number.
                        if r.test_before && !r.again(&inst.variables, 0) {
                            fx.log(inst.id, &node_id, "loop_skipped", actor, None);
                            queue.extend(self.targets(p, &node.outgoing));
                        } else if let Err(failed) = open_again(p, inst, node, 1, actor, at, fx) {
                            break 'step Some(failed);
                        }
                    }
                    NodeKind::UserTask { .. } => {
                        if let Err((at_node, why)) =
                            open_user_task(p, inst, node, None, actor, at, fx)
                        {
                            break 'step Some((at_node, why));
                        }
                    }
                    NodeKind::ExternalTask { topic, retries } => {
                        // The token waits at a task row, as at a user task, with no pool: a
                        // worker takes it through the job API, never a person's worklist.
                        let task = unpooled(inst, node);
                        let job = Waiting::Job { topic: topic.clone(), retries: *retries };
                        fx.open(task, Vec::new(), Some(job), actor);
                    }
                    NodeKind::TimerCatch { .. } => {
                        // The token waits at a task row no person's pool holds, with the timer on
                        // it; the timer's firing completes it and moves on.
                        let fire = node.kind.timing().and_then(|t| fire_time(&t, at));
                        let Some(fire) = fire else {
                            break 'step Some((
                                node_id.clone(),
                                "thời điểm hẹn giờ vượt quá lịch".to_string(),
                            ));
                        };
                        let task = unpooled(inst, node);
                        fx.open(task, vec![(node_id.clone(), fire)], None, actor);
                    }
                    NodeKind::MessageCatch { message, key, .. } => {
                        let key = match correlation_key(inst, key.as_deref()) {
                            Ok(k) => k,
                            Err(why) => break 'step Some((node_id.clone(), why)),
                        };
                        let task = unpooled(inst, node);
                        let wait = Waiting::Message { name: message.clone(), key };
                        fx.open(task, Vec::new(), Some(wait), actor);
                    }
                    NodeKind::ServiceTask { handler } => {
                        let h = self.handlers.read().ok().and_then(|m| m.get(handler).cloned());
                        match h {
                            Some(h) => match h(&mut inst.variables) {
                                Ok(()) => {
                                    fx.log(
                                        inst.id,
                                        &node_id,
                                        "service_done",
                                        "system",
                                        Some(handler.clone()),
                                    );
                                    queue.extend(self.targets(p, &node.outgoing));
                                }
                                Err(e) => {
                                    let why = format!("xử lý “{handler}” lỗi: {e}");
                                    break 'step Some((node_id.clone(), why));
                                }
                            },
                            None => {
                                let why = format!("chưa có bộ xử lý cho loại “{handler}”");
                                break 'step Some((node_id.clone(), why));
                            }
                        }
                    }
                    NodeKind::ExclusiveGateway { default } => {
                        // Document order, the default flow last; a flow without a condition
                        // (only allowed as the single way out) is taken as it is.
                        let chosen = node
                            .outgoing
                            .iter()
                            .filter(|f| Some(*f) != default.as_ref())
                            .find(|f| super::inclusive::holds(p, f, &inst.variables))
                            .cloned()
                            .or_else(|| default.clone());
                        match chosen {
                            Some(f) => {
                                fx.log(inst.id, &node_id, "took", actor, Some(f.clone()));
                                queue.extend(self.targets(p, &[f]));
                            }
                            None => {
                                let why = "không điều kiện nào đúng và không có luồng mặc định";
                                break 'step Some((node_id.clone(), why.to_string()));
                            }
                        }
                    }
                    NodeKind::InclusiveGateway { .. }
                        if node.incoming.len() > 1 && via.is_some() =>
                    {
                        // The token waits; whether the join fires is known once every token
                        // of the walk is at rest (below). It leaves down no flow (`None`).
                        let flow = via.as_deref().unwrap_or_default();
                        fx.record_arrival(inst.id, &node_id, flow);
                    }
                    NodeKind::InclusiveGateway { default } => {
                        match self.fork_inclusive(p, inst, node, default.as_ref(), actor, fx) {
                            Ok(next) => queue.extend(next),
                            Err(why) => break 'step Some((node_id.clone(), why)),
                        }
                    }
                    NodeKind::SubProcess { start } => {
                        // The stage's row carries the timers and the message wait on its
                        // boundary (scope.rs).
                        let waits = boundary_timers(p, node, at)
                            .and_then(|t| Ok((t, boundary_message(p, inst, node)?)));
                        match waits {
                            Ok((timers, wait)) => {
                                fx.open(unpooled(inst, node), timers, wait, actor);
                            }
                            Err(failed) => break 'step Some(failed),
                        }
                        queue.push_back((start.clone(), None));
                    }
                    NodeKind::CallActivity { called, inputs, .. } => {
                        // The token waits at a row no person's pool holds (with the timers
                        // on its boundary) while the called instance runs (call.rs).
                        if !fx.callees.contains_key(called) {
                            let why = format!("quy trình được gọi “{called}” chưa được triển khai");
                            break 'step Some((node_id.clone(), why));
                        }
                        let timers = match boundary_timers(p, node, at) {
                            Ok(t) => t,
                            Err(failed) => break 'step Some(failed),
                        };
                        let start = super::Start::new(actor, called)
                            .business_key(inst.business_key.as_deref())
                            .agency(inst.agency.as_deref())
                            .variables(inputs.apply(&inst.variables));
                        fx.open(
                            unpooled(inst, node),
                            timers,
                            Some(Waiting::Call(start.into())),
                            actor,
                        );
                    }
                    NodeKind::EventGateway => {
                        // A token waits at every event after it (race.rs): one wait each.
                        let waits: Vec<&str> = node
                            .outgoing
                            .iter()
                            .filter_map(|f| p.flows.get(f))
                            .map(|f| f.target.as_str())
                            .collect();
                        if fx.task_places(inst.id).iter().any(|n| waits.contains(n)) {
                            let why = "một lượt khác của quy trình đang chờ ở cổng theo sự kiện này; hai lượt cùng chờ một cổng chưa được hỗ trợ";
                            break 'step Some((node_id.clone(), why.to_string()));
                        }
                        inst.tokens += waits.len() as i64 - 1;
                        fx.log(inst.id, &node_id, "passed", actor, None);
                        queue.extend(self.targets(p, &node.outgoing));
                    }
                    NodeKind::ParallelGateway => {
                        let ins = node.incoming.len() as i64;
                        if ins > 1 {
                            let flow = via.as_deref().unwrap_or_default();
                            if !fx.arrive_at_join(inst.id, &node_id, flow, &node.incoming) {
                                continue 'walk;
                            }
                            inst.tokens -= ins - 1;
                        }
                        inst.tokens += node.outgoing.len() as i64 - 1;
                        queue.extend(self.targets(p, &node.outgoing));
                    }
                }
                None
            };
            if let Some((at_node, why)) = failed {
                return halt(inst, &at_node, &why, fx, (node_id, via), queue);
            }
        }
        if inst.tokens <= 0 && inst.status == "active" {
            inst.status = "completed".into();
            inst.ended_at = Some(now.to_string());
            fx.log(inst.id, &p.key, "completed", actor, None);
        }
    }
}

/// The history line a step outside a batch starts with.
pub(crate) struct Logged<'a> {
    pub node: &'a str,
    pub event: &'static str,
    pub detail: Option<String>,
    /// A stage whose inside ends before the walk (a timer on it fired, an error thrown in
    /// it was caught on it): one token goes on from the arrivals.
    pub interrupts: Option<&'a str>,
}

impl WorkflowService {
    /// Moves one instance's tokens from `arrivals` outside a batch (a timer firing, a
    /// worker's error caught, an administrator's retry or move), in the caller's
    /// transaction: reads the state its process needs (join arrivals, multi-instance
    /// progress), logs `why`, walks and writes. Answers the tasks opened, in order.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn step_alone(
        &self,
        tx: &mut Tx,
        p: &Process,
        inst: &mut InstanceRow,
        arrivals: Vec<Arrival>,
        actor: &str,
        why: Logged<'_>,
        now: &str,
    ) -> Result<Vec<i64>, WorkflowError> {
        let mut fx = Effects::default();
        if p.has_joins() {
            fx.load_arrivals(tx, &[inst.id]).await?;
        }
        if p.has_loops() {
            fx.load_loops(tx, &[inst.id]).await?;
        }
        // The caller has closed the task it moves on from, so what is read is what remains.
        if p.tracks_places() {
            fx.load_open_tasks(tx, &[inst.id]).await?;
        }
        self.load_callees(tx, p, &mut fx).await?;
        // A timer catch event that fired first wins its race, if it is in one (a boundary
        // timer never is).
        if why.event == "timer_fired" {
            fx.win_race(p, inst, why.node, actor);
        }
        if let Some(stage) = why.interrupts {
            fx.interrupt_stage(p, inst, stage, &mut Default::default());
            inst.tokens += 1;
        }
        fx.log(inst.id, why.node, why.event, actor, why.detail);
        let at = Moment {
            now: now.to_string(),
            calendar: self.calendar.calendar(),
            today: self.clock.today(),
        };
        self.walk(p, inst, arrivals, actor, &at, &mut fx);
        let opened = self.write_effects(tx, &mut fx, &|id| id, &[&*inst], now).await?;
        let mut follow = std::mem::take(&mut fx.follow);
        follow.extend(super::call::report_end(inst));
        self.follow_up(tx, follow).await?;
        Ok(opened.into_iter().map(|(_, id)| id).collect())
    }
}

/// Opens a person's task at `node` (with the timers on its boundary); `local` holds the
/// variables only this task sees (a multi-instance task's item), read before the instance's.
/// `Err` is the element and the reason of an incident.
pub(crate) fn open_user_task(
    p: &Process,
    inst: &InstanceRow,
    node: &Node,
    local: Option<&Map<String, Value>>,
    actor: &str,
    at: &Moment,
    fx: &mut Effects,
) -> Result<(), (String, String)> {
    let NodeKind::UserTask { role, days, agency, assignee, .. } = &node.kind else {
        return Err((node.id.clone(), "không phải công việc của người dùng".into()));
    };
    // Liên thông: a task may belong to another agency than the instance's, named on the task
    // or held in a variable; an unset variable stops the instance rather than give the work
    // to nobody.
    let task_agency = match agency.as_deref() {
        Some(a) => match a.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
            Some(var) => {
                let var = var.trim();
                let value = local.and_then(|l| l.get(var)).or_else(|| inst.variables.get(var));
                match value.and_then(Value::as_str) {
                    Some(v) => Some(v.to_string()),
                    None => {
                        let why =
                            format!("biến “{var}” không cho biết cơ quan thực hiện công việc");
                        return Err((node.id.clone(), why));
                    }
                }
            }
            None => Some(a.to_string()),
        },
        None => inst.agency.clone(),
    };
    let due = days.map(|d| {
        at.calendar.add_working_days(at.today, d.ceil() as i64).format("%Y-%m-%d").to_string()
    });
    let timers = boundary_timers(p, node, at)?;
    let wait = boundary_message(p, inst, node)?;
    let task = NewTask {
        instance_id: inst.id,
        node_id: node.id.clone(),
        name: node.name.clone(),
        role: role.clone(),
        agency: task_agency,
        assignee: assignee.clone(),
        due_date: due,
        local_vars: local.map(|l| Value::Object(l.clone()).to_string()),
    };
    fx.open(task, timers, wait, actor);
    Ok(())
}

/// Opens time `n` (from 1) of a task with a standard loop.
pub(crate) fn open_again(
    p: &Process,
    inst: &InstanceRow,
    node: &Node,
    n: u32,
    actor: &str,
    at: &Moment,
    fx: &mut Effects,
) -> Result<(), (String, String)> {
    let mut local = Map::new();
    local.insert("loopCounter".into(), n.into());
    open_user_task(p, inst, node, Some(&local), actor, at, fx)
}

/// A Zeebe subscription's correlation key: the variable's value when the wait begins; without
/// a value no message could ever find the instance (`Err`, an incident).
fn correlation_key(inst: &InstanceRow, var: Option<&str>) -> Result<Option<String>, String> {
    let Some(var) = var else {
        return Ok(None);
    };
    match inst.variables.get(var) {
        Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        _ => Err(format!("biến khóa đối chiếu “{var}” không có giá trị")),
    }
}

/// The message wait of the message boundary event on `node`, if it has one; `Err` is the
/// event and the reason of an incident.
fn boundary_message(
    p: &Process,
    inst: &InstanceRow,
    node: &Node,
) -> Result<Option<Waiting>, (String, String)> {
    let Some(b) = p.message_boundary(&node.id) else {
        return Ok(None);
    };
    let NodeKind::MessageBoundary { message, key, .. } = &b.kind else {
        return Ok(None);
    };
    let key = correlation_key(inst, key.as_deref()).map_err(|why| (b.id.clone(), why))?;
    Ok(Some(Waiting::Message { name: message.clone(), key }))
}

/// The timers on the boundary of `node` starting now, with when each fires; `Err` is the
/// timer and the reason of an incident. A calendar-time timer fires at an instant (stored as
/// a timestamp); a working-time one on a working day (stored as the date).
fn boundary_timers(
    p: &Process,
    node: &Node,
    at: &Moment,
) -> Result<Vec<(String, String)>, (String, String)> {
    let mut timers = Vec::new();
    for t in p.timers_on(&node.id) {
        let Some(timing) = t.kind.timing() else {
            continue;
        };
        let Some(fire) = fire_time(&timing, at) else {
            return Err((t.id.clone(), "thời điểm hẹn giờ vượt quá lịch".into()));
        };
        timers.push((t.id.clone(), fire));
    }
    Ok(timers)
}

/// When a timer started now fires: an instant (`timeDate`) or a cycle's start as given;
/// calendar time as an instant (stored as a timestamp); working time on a working day (stored
/// as the date); `None` past the calendar's end.
fn fire_time(t: &Timing, at: &Moment) -> Option<String> {
    if let Some(date) = &t.date {
        return Some(date.clone());
    }
    let calendar = match &t.cycle {
        Some(c) if c.start.is_some() => return c.start.clone(),
        Some(c) => Some(&c.every),
        None => t.calendar.as_ref(),
    };
    match calendar {
        Some(c) => parse_ts(&at.now).and_then(|n| c.after(n)).map(format_ts),
        None => Some(
            at.calendar
                .add_working_days(at.today, t.days.ceil() as i64)
                .format("%Y-%m-%d")
                .to_string(),
        ),
    }
}

/// A task no person's pool holds: a job, a message wait or a timer catch event.
fn unpooled(inst: &InstanceRow, node: &Node) -> NewTask {
    NewTask {
        instance_id: inst.id,
        node_id: node.id.clone(),
        name: node.name.clone(),
        role: None,
        agency: inst.agency.clone(),
        assignee: None,
        due_date: None,
        local_vars: None,
    }
}

/// An incident in the middle of a walk: the instance stops, and the arrival that failed
/// with the others still queued is kept, so that an administrator who fixed the cause runs
/// them on from there (`retry_incident`).
fn halt(
    inst: &mut InstanceRow,
    node: &str,
    why: &str,
    fx: &mut Effects,
    here: Arrival,
    queue: std::collections::VecDeque<Arrival>,
) {
    incident(inst, node, why, fx);
    let mut arrivals = vec![here];
    arrivals.extend(queue);
    fx.stopped.push((inst.id, arrivals));
}

pub(crate) fn incident(inst: &mut InstanceRow, node: &str, why: &str, fx: &mut Effects) {
    inst.status = "incident".into();
    inst.incident = Some(format!("{node}: {why}"));
    fx.log(inst.id, node, "incident", "system", Some(why.to_string()));
}

//! Group commit: the starts and completions waiting at one moment run in one transaction.
//! Tokens move in memory (see `walk`); the batch then writes what changed with a few
//! set-wise statements (tasks, timers, instances, history, audit), so the cost of a commit
//! and of a statement is shared by every command in the batch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use cqdt_platform::Tx;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use super::walk::{Effects, Moment, Waiting};
use super::{WorkflowError, WorkflowService};
use crate::model::{NodeKind, Process};
use crate::store::{self, InstanceRow, JobRow, NewJob, NewSubscription, NewTask, TaskRow};

/// Most commands written in one transaction.
pub(crate) const MAX_BATCH: usize = 256;

/// A start of the newest version of a process: `Start::new(actor, key)`, then what the
/// caller knows of it.
#[derive(Debug, Clone)]
pub struct Start {
    pub(crate) actor: String,
    pub(crate) request_id: String,
    pub(crate) key: String,
    pub(crate) business_key: Option<String>,
    pub(crate) agency: Option<String>,
    pub(crate) variables: Map<String, Value>,
    /// The message (id, name) that starts it, recorded with it so that the same message
    /// again starts nothing.
    pub(crate) message: Option<(String, String)>,
    /// The caller's task, when a call activity starts it.
    pub(crate) parent: Option<i64>,
}

impl Start {
    /// Starts process `key` on behalf of `actor` (recorded in the history and audit log).
    pub fn new(actor: &str, key: &str) -> Start {
        Start {
            actor: actor.to_string(),
            request_id: String::new(),
            key: key.to_string(),
            business_key: None,
            agency: None,
            variables: Map::new(),
            message: None,
            parent: None,
        }
    }

    /// The request that asked for it, for the audit log.
    pub fn request(mut self, request_id: &str) -> Start {
        self.request_id = request_id.to_string();
        self
    }

    /// The business object it is about (a dossier code).
    pub fn business_key(mut self, key: Option<&str>) -> Start {
        self.business_key = key.map(str::to_string);
        self
    }

    /// The agency whose officials get its tasks.
    pub fn agency(mut self, agency: Option<&str>) -> Start {
        self.agency = agency.map(str::to_string);
        self
    }

    /// The process variables it starts with.
    pub fn variables(mut self, variables: Map<String, Value>) -> Start {
        self.variables = variables;
        self
    }
}

/// Complete an open task.
#[derive(Debug, Clone)]
pub(crate) struct Complete {
    pub actor: String,
    pub request_id: String,
    pub task_id: i64,
    pub variables: Map<String, Value>,
    /// Who or what ends the wait.
    pub by: By,
}

/// What completes a task: a person (a user task), a worker holding the job's lock (an
/// external task), or a message correlated to it (a receive task or message catch event).
#[derive(Debug, Clone)]
pub(crate) enum By {
    Person,
    Worker(String),
    Message {
        id: String,
        name: String,
    },
    /// The instance a call activity started, which has ended.
    Called(i64),
}

impl By {
    /// Who or what it was, for the history and the audit log; nothing for a person (the
    /// actor says who).
    fn detail(&self) -> Option<String> {
        match self {
            By::Person => None,
            By::Worker(w) => Some(format!("worker {w}")),
            By::Message { id, name } => Some(format!("thông điệp “{name}” ({id})")),
            By::Called(id) => Some(format!("lượt được gọi {id} đã xong")),
        }
    }
}

/// A command to the engine.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    Start(Start),
    Complete(Complete),
}

/// What a start or a completion did: the instance after it and the tasks it opened.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Step {
    /// The instance as committed with the step (after every command of its batch).
    pub instance: InstanceRow,
    /// Tasks opened by the step, in order.
    pub opened: Vec<i64>,
}

pub(crate) struct Queued {
    pub command: Command,
    pub reply: oneshot::Sender<Result<Step, WorkflowError>>,
}

/// The answer of each command of a batch, in order; `None` until it is known.
type Answers = Vec<Option<Result<Step, WorkflowError>>>;

/// What one batch works on, read before its walks, and what they change, in memory.
struct Batch {
    at: Moment,
    /// Tasks the completions act on, by id.
    tasks: HashMap<i64, TaskRow>,
    /// Jobs of the tasks workers complete, by task id.
    jobs: HashMap<i64, JobRow>,
    /// Instances of those tasks, by id, as the walks leave them.
    instances: HashMap<i64, InstanceRow>,
    /// Models by definition id.
    models: HashMap<i64, Arc<Process>>,
    /// Newest (definition id, version) by process key.
    definitions: HashMap<String, (i64, i64)>,
    fx: Effects,
    /// Tasks completed, with who completed them.
    closing: Vec<(i64, String)>,
    closed: HashSet<i64>,
    /// Messages correlated: (message id, name, task, instance).
    messages: Vec<(String, String, i64, i64)>,
    /// Tasks whose message wait stays (a non-interrupting message boundary event).
    kept: HashSet<i64>,
    /// Completed tasks whose boundary timers go.
    cancel_timers: Vec<i64>,
    /// Existing instances that moved, in order.
    dirty: Vec<i64>,
    /// Instances started, with their command, under placeholder ids below zero.
    created: Vec<(usize, InstanceRow)>,
}

impl WorkflowService {
    /// Sends a command to the batch writer and waits until its batch committed.
    pub(crate) async fn submit(&self, command: Command) -> Result<Step, WorkflowError> {
        let writer = self
            .writer
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
                let rx = Arc::new(tokio::sync::Mutex::new(rx));
                // SQLite writes one transaction at a time; PostgreSQL can work on one batch
                // while the next is read, and row locks keep two batches off one instance.
                match self.db.backend() {
                    cqdt_platform::Backend::Sqlite => self.spawn_own_thread(rx),
                    cqdt_platform::Backend::Postgres => {
                        for _ in 0..2 {
                            tokio::spawn(self.clone().write_batches(rx.clone()));
                        }
                    }
                }
                tx
            })
            .clone();
        let (reply, answer) = oneshot::channel();
        let stopped = || WorkflowError::Conflict("bộ ghi quy trình đã dừng".into());
        writer.send(Queued { command, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// SQLite's one writer, on a thread of its own (`spawn_own_thread`). It holds no sender
    /// of the queue, so that it ends once every handle of the engine has gone.
    fn spawn_own_thread(&self, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Queued>>>) {
        let mut me = self.clone();
        me.writer = Arc::new(OnceLock::new());
        cqdt_platform::db::spawn_own_thread("cqdt-workflow-writer", me.write_batches(rx));
    }

    async fn write_batches(self, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Queued>>>) {
        let mut buf = Vec::with_capacity(MAX_BATCH);
        loop {
            // Hold the queue only while taking a batch, so another writer takes the next.
            if rx.lock().await.recv_many(&mut buf, MAX_BATCH).await == 0 {
                break;
            }
            let (commands, replies): (Vec<Command>, Vec<_>) =
                std::mem::take(&mut buf).into_iter().map(|q| (q.command, q.reply)).unzip();
            match self.execute_alone(commands.clone()).await {
                Ok(results) => {
                    // Workers waiting for jobs look again (`fetch_and_lock_waiting`).
                    self.committed.notify_waiters();
                    for (r, reply) in results.into_iter().zip(replies) {
                        let _ = reply.send(r);
                    }
                }
                Err(e) => {
                    if commands.len() > 1 {
                        tracing::warn!(error = %e, size = commands.len(), "workflow batch failed; retrying one by one");
                    }
                    // Each alone, so that one bad command fails only itself.
                    for (c, reply) in commands.into_iter().zip(replies) {
                        let r = match self.execute_alone(vec![c]).await {
                            Ok(mut v) => v.pop().unwrap_or_else(|| {
                                Err(WorkflowError::Conflict("không có kết quả".into()))
                            }),
                            Err(e) => Err(e),
                        };
                        let _ = reply.send(r);
                    }
                }
            }
        }
    }

    async fn execute_alone(
        &self,
        commands: Vec<Command>,
    ) -> Result<Vec<Result<Step, WorkflowError>>, WorkflowError> {
        let mut tx = self.db.begin().await?;
        let out = self.execute(&mut tx, commands).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Runs commands in the caller's transaction, in order, then what they lead to (the
    /// instances call activities start or resume: call.rs); each command's own refusal is in
    /// its slot, a database failure fails them all (and the caller rolls back).
    pub(crate) async fn execute(
        &self,
        tx: &mut Tx,
        commands: Vec<Command>,
    ) -> Result<Vec<Result<Step, WorkflowError>>, WorkflowError> {
        let (results, follow) = self.execute_round(tx, commands).await?;
        self.follow_up(tx, follow).await?;
        Ok(results)
    }

    /// Runs commands in the caller's transaction, in order; answers each one's result and
    /// the commands that follow from them.
    pub(crate) async fn execute_round(
        &self,
        tx: &mut Tx,
        commands: Vec<Command>,
    ) -> Result<(Vec<Result<Step, WorkflowError>>, Vec<Command>), WorkflowError> {
        let mut b = self.read_batch(tx, &commands).await?;
        // Walk every command in memory, in order.
        let mut results: Answers = (0..commands.len()).map(|_| None).collect();
        for (k, c) in commands.iter().enumerate() {
            b.fx.command = k;
            let walked = match c {
                Command::Complete(c) => self.walk_completion(&mut b, c),
                Command::Start(s) => self.walk_start(tx, &mut b, k, s).await?,
            };
            if let Err(refused) = walked {
                results[k] = Some(Err(refused));
            }
        }
        let opened = self.write_batch(tx, &mut b).await?;
        let audits = answer(&commands, &b, &opened, &mut results);
        self.audit.record_many(tx, &audits).await?;
        // Called instances that ended report to their callers.
        let mut follow = std::mem::take(&mut b.fx.follow);
        let created = b.created.iter().map(|(_, i)| i);
        let moved = b.dirty.iter().filter_map(|id| b.instances.get(id));
        follow.extend(created.chain(moved).filter_map(super::call::report_end));
        let results = results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(WorkflowError::Conflict("không có kết quả".into()))))
            .collect();
        Ok((results, follow))
    }

    /// Reads what the completions act on, in one statement each: tasks, their instances
    /// (locked), their models and the arrivals waiting at their joins.
    async fn read_batch(&self, tx: &mut Tx, commands: &[Command]) -> Result<Batch, WorkflowError> {
        let at = Moment {
            now: self.now(),
            calendar: self.calendar.calendar(),
            today: self.clock.today(),
        };
        let task_ids: Vec<i64> = commands
            .iter()
            .filter_map(|c| match c {
                Command::Complete(c) => Some(c.task_id),
                Command::Start(_) => None,
            })
            .collect();
        let tasks: HashMap<i64, TaskRow> =
            store::tasks_by_ids(tx, &task_ids).await?.into_iter().map(|t| (t.id, t)).collect();
        let job_ids: Vec<i64> = commands
            .iter()
            .filter_map(|c| match c {
                Command::Complete(c) if matches!(c.by, By::Worker(_)) => Some(c.task_id),
                _ => None,
            })
            .collect();
        let jobs: HashMap<i64, JobRow> = if job_ids.is_empty() {
            HashMap::new()
        } else {
            store::jobs_by_ids(tx, &job_ids).await?.into_iter().map(|j| (j.task_id, j)).collect()
        };
        let mut instance_ids: Vec<i64> = tasks.values().map(|t| t.instance_id).collect();
        instance_ids.sort_unstable();
        instance_ids.dedup();
        let instances: HashMap<i64, InstanceRow> = store::instances_by_ids(tx, &instance_ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let mut models: HashMap<i64, Arc<Process>> = HashMap::new();
        let mut definition_ids: Vec<i64> = instances.values().map(|i| i.definition_id).collect();
        definition_ids.sort_unstable();
        definition_ids.dedup();
        let mut fx = Effects::default();
        for id in definition_ids {
            let p = self.model(id).await?;
            self.load_callees(tx, &p, &mut fx).await?;
            models.insert(id, p);
        }
        // Instances whose process needs a kind of state read before the walks.
        let needing = |what: fn(&Process) -> bool| -> Vec<i64> {
            let uses = |i: &&InstanceRow| models.get(&i.definition_id).is_some_and(|p| what(p));
            instances.values().filter(uses).map(|i| i.id).collect()
        };
        let (with_joins, with_loops) = (needing(Process::has_joins), needing(Process::has_loops));
        if !with_joins.is_empty() {
            fx.load_arrivals(tx, &with_joins).await?;
        }
        if !with_loops.is_empty() {
            fx.load_loops(tx, &with_loops).await?;
        }
        let with_places = needing(Process::tracks_places);
        if !with_places.is_empty() {
            fx.load_open_tasks(tx, &with_places).await?;
        }
        Ok(Batch {
            at,
            tasks,
            jobs,
            instances,
            models,
            definitions: HashMap::new(),
            fx,
            closing: Vec::new(),
            messages: Vec::new(),
            kept: HashSet::new(),
            closed: HashSet::new(),
            cancel_timers: Vec::new(),
            dirty: Vec::new(),
            created: Vec::new(),
        })
    }

    /// Completes a task in memory and walks its instance on; `Err` refuses the command.
    fn walk_completion(&self, b: &mut Batch, c: &Complete) -> Result<(), WorkflowError> {
        if let Some(done) = self.message_at_boundary(b, c) {
            return done;
        }
        let task_id = c.task_id;
        let Some(task) = b.tasks.get(&task_id) else {
            return Err(WorkflowError::NotFound(format!("công việc {task_id}")));
        };
        if task.status != "open" || b.closed.contains(&task_id) {
            return Err(WorkflowError::Conflict(format!("công việc {task_id} đã đóng")));
        }
        // Whom a person's task is assigned to matters to people, not to a message for it.
        let person = matches!(c.by, By::Person);
        if person && task.assignee.as_deref().is_some_and(|a| a != c.actor) {
            return Err(WorkflowError::Conflict(format!(
                "công việc {task_id} do người khác nhận xử lý"
            )));
        }
        let p = b
            .instances
            .get(&task.instance_id)
            .and_then(|i| b.models.get(&i.definition_id))
            .cloned();
        let (Some(inst), Some(p)) = (b.instances.get_mut(&task.instance_id), p) else {
            return Err(WorkflowError::NotFound(format!("instance {}", task.instance_id)));
        };
        if inst.status != "active" {
            return Err(WorkflowError::Conflict(format!(
                "quy trình {} không còn chạy ({})",
                inst.id, inst.status
            )));
        }
        let kind = p.nodes.get(&task.node_id).map(|n| &n.kind);
        may_complete(&b.jobs, &b.at.now, c, kind)?;
        let multi = match kind {
            Some(NodeKind::UserTask { multi: Some(m), .. }) => Some(m.clone()),
            _ => None,
        };
        if multi.is_some() && !b.fx.loop_running(inst.id, &task.node_id) {
            // Its activity ended (its completion condition held) since the task was read.
            return Err(WorkflowError::Conflict(format!(
                "công việc {task_id} thuộc công việc nhiều phiên đã kết thúc"
            )));
        }
        b.closed.insert(task_id);
        b.fx.task_closed(inst.id, task_id);
        b.closing.push((task_id, c.actor.clone()));
        if !p.timers_on(&task.node_id).is_empty() {
            b.cancel_timers.push(task_id);
        }
        let mut variables = c.variables.clone();
        // A collected output stays the task's own, not the instance's (Zeebe's
        // outputElement is a variable of the inner instance).
        let output = multi
            .as_ref()
            .and_then(|m| m.output.as_ref())
            .and_then(|(_, element)| variables.remove(element));
        inst.variables.extend(super::call::returned(kind, &c.by, &variables));
        if let By::Message { id, name } = &c.by {
            b.messages.push((id.clone(), name.clone(), task_id, inst.id));
        }
        b.fx.log(inst.id, &task.node_id, "completed", &c.actor, c.by.detail());
        b.fx.win_race(&p, inst, &task.node_id, &c.actor);
        let repeat = match kind {
            Some(NodeKind::UserTask { repeat: Some(r), .. }) => Some(r.clone()),
            _ => None,
        };
        let next = match &multi {
            // A standard loop: the task again while its condition holds, the token staying.
            None if repeat.as_ref().is_some_and(|r| r.again(&inst.variables, times(task))) => {
                let n = times(task) + 1;
                let again = p.nodes.get(&task.node_id).map(|node| {
                    super::walk::open_again(&p, inst, node, n, &c.actor, &b.at, &mut b.fx)
                });
                if let Some(Err((at_node, why))) = again {
                    super::walk::incident(inst, &at_node, &why, &mut b.fx);
                }
                Vec::new()
            }
            None => p
                .nodes
                .get(&task.node_id)
                .map(|n| self.targets(&p, &n.outgoing))
                .unwrap_or_default(),
            Some(m) => {
                let (at, fx) = (&b.at, &mut b.fx);
                match self.multi_step(&p, inst, task, m, output, &c.actor, at, fx) {
                    Ok(next) => next,
                    Err(why) => {
                        super::walk::incident(inst, &task.node_id, &why, fx);
                        Vec::new()
                    }
                }
            }
        };
        self.walk(&p, inst, next, &c.actor, &b.at, &mut b.fx);
        if !b.dirty.contains(&inst.id) {
            b.dirty.push(inst.id);
        }
        Ok(())
    }

    /// Starts an instance in memory and walks it to its first waits; the outer `Err` is a
    /// database failure, the inner one refuses the command.
    async fn walk_start(
        &self,
        tx: &mut Tx,
        b: &mut Batch,
        k: usize,
        s: &Start,
    ) -> Result<Result<(), WorkflowError>, WorkflowError> {
        let def = match b.definitions.get(&s.key) {
            Some(d) => Some(*d),
            None => {
                store::latest_definition(tx, &s.key).await?.map(|(id, version, _)| (id, version))
            }
        };
        let Some((def_id, version)) = def else {
            let key = &s.key;
            return Ok(Err(WorkflowError::NotFound(format!("quy trình “{key}”"))));
        };
        b.definitions.insert(s.key.clone(), (def_id, version));
        let p = match b.models.get(&def_id) {
            Some(p) => p.clone(),
            None => {
                let p = self.model(def_id).await?;
                self.load_callees(tx, &p, &mut b.fx).await?;
                b.models.insert(def_id, p.clone());
                p
            }
        };
        // Until it is written, the instance goes by a placeholder id below zero.
        let mut inst = InstanceRow {
            id: -(k as i64) - 1,
            definition_id: def_id,
            business_key: s.business_key.clone(),
            agency: s.agency.clone(),
            status: "active".into(),
            tokens: 1,
            variables: s.variables.clone(),
            incident: None,
            started_at: b.at.now.clone(),
            ended_at: None,
            parent_task_id: s.parent,
        };
        let detail = Some(format!("{} v{version}", s.key));
        b.fx.log(inst.id, &p.start, "started", &s.actor, detail);
        if let Some((id, name)) = &s.message {
            // No task: the message started the instance (0 in place of a task id).
            b.messages.push((id.clone(), name.clone(), 0, inst.id));
        }
        let start = vec![(p.start.clone(), None)];
        self.walk(&p, &mut inst, start, &s.actor, &b.at, &mut b.fx);
        b.created.push((k, inst));
        Ok(Ok(()))
    }

    /// Writes a batch's changes: completed tasks, cancelled timers, new instances (their
    /// real ids replace the placeholders), then what the walks produced. Returns
    /// (command, task id) of each task opened.
    async fn write_batch(
        &self,
        tx: &mut Tx,
        b: &mut Batch,
    ) -> Result<Vec<(usize, i64)>, WorkflowError> {
        let now = b.at.now.as_str();
        let mut by_actor: HashMap<&str, Vec<i64>> = HashMap::new();
        for (t, a) in &b.closing {
            by_actor.entry(a.as_str()).or_default().push(*t);
        }
        for (actor, ids) in by_actor {
            let done = store::complete_tasks(tx, &ids, actor, now).await?;
            if done.len() != ids.len() {
                // Closed by another writer since it was read (PostgreSQL): the whole batch
                // fails and each command is retried alone, which reports it properly.
                return Err(WorkflowError::Conflict(
                    "công việc vừa được người khác hoàn thành".into(),
                ));
            }
        }
        store::cancel_timers_of(tx, &b.cancel_timers).await?;
        let done_jobs: Vec<i64> =
            b.closing.iter().map(|(t, _)| *t).filter(|t| b.jobs.contains_key(t)).collect();
        store::delete_jobs(tx, &done_jobs).await?;
        let received: Vec<i64> =
            b.messages.iter().map(|m| m.2).filter(|t| *t != 0 && !b.kept.contains(t)).collect();
        store::delete_subscriptions(tx, &received).await?;
        let rows: Vec<&InstanceRow> = b.created.iter().map(|(_, i)| i).collect();
        let ids = store::insert_instances(tx, &rows, now).await?;
        let real: HashMap<i64, i64> =
            b.created.iter().zip(&ids).map(|((_, i), id)| (i.id, *id)).collect();
        let fix = |id: i64| {
            if id < 0 {
                real.get(&id).copied().unwrap_or(id)
            } else {
                id
            }
        };
        for (_, inst) in b.created.iter_mut() {
            inst.id = fix(inst.id);
        }
        for h in b.fx.history.iter_mut() {
            h.instance_id = fix(h.instance_id);
        }
        for o in b.fx.opened.iter_mut() {
            o.task.instance_id = fix(o.task.instance_id);
        }
        // A message that started an instance is recorded with it, under its real id.
        for m in b.messages.iter_mut() {
            m.3 = fix(m.3);
        }
        store::insert_messages(tx, &b.messages, now).await?;
        let saved: Vec<&InstanceRow> =
            b.dirty.iter().filter_map(|id| b.instances.get(id)).collect();
        self.write_effects(tx, &mut b.fx, &fix, &saved, now).await
    }

    /// Writes what walks produced — tasks, timers, joins, the state of the instances that
    /// moved (`saved`) and history — and returns (command, task id) of each task opened, in
    /// the order they were opened.
    pub(crate) async fn write_effects(
        &self,
        tx: &mut Tx,
        fx: &mut Effects,
        fix: &(dyn Fn(i64) -> i64 + Sync),
        saved: &[&InstanceRow],
        now: &str,
    ) -> Result<Vec<(usize, i64)>, WorkflowError> {
        // The rest of an activity ended by its completion condition goes before new tasks are
        // written: a loop in the diagram may open the same activity again in this batch.
        for (instance, node) in &fx.loop_cancels {
            store::cancel_node_tasks(tx, fix(*instance), node, now).await?;
        }
        let rows: Vec<NewTask> = fx.opened.iter().map(|o| o.task.clone()).collect();
        let mut ids: HashMap<(i64, String), Vec<i64>> = HashMap::new();
        for (id, instance, node) in store::insert_tasks(tx, &rows, now).await? {
            ids.entry((instance, node)).or_default().push(id);
        }
        for v in ids.values_mut() {
            // Two tokens at one task of one instance make identical rows; any pairing holds.
            v.sort_unstable_by(|a, b| b.cmp(a));
        }
        let mut out = Vec::with_capacity(fx.opened.len());
        let mut timers = Vec::new();
        let mut jobs = Vec::new();
        let mut subscriptions = Vec::new();
        let mut calls = Vec::new();
        // Stages that ended: those written before, and those this batch entered and left.
        let mut ended = std::mem::take(&mut fx.stages_done);
        for (k, o) in fx.opened.iter().enumerate() {
            let Some(id) =
                ids.get_mut(&(o.task.instance_id, o.task.node_id.clone())).and_then(Vec::pop)
            else {
                return Err(WorkflowError::Conflict(format!(
                    "công việc {} không được tạo",
                    o.task.node_id
                )));
            };
            if let Some(h) = fx.history.get_mut(o.history) {
                h.detail = Some(id.to_string());
            }
            if fx.opened_done.contains(&k) {
                ended.push(id);
                continue;
            }
            if fx.opened_cancelled.contains(&k) {
                fx.cancels.push(id);
                continue;
            }
            for (node, fire_on) in &o.timers {
                timers.push((o.task.instance_id, id, node.clone(), fire_on.clone()));
            }
            let instance_id = o.task.instance_id;
            match &o.wait {
                Some(Waiting::Job { topic, retries }) => {
                    let (topic, retries) = (topic.clone(), *retries);
                    jobs.push(NewJob { task_id: id, instance_id, topic, retries });
                }
                Some(Waiting::Message { name, key }) => {
                    let (name, key) = (name.clone(), key.clone());
                    subscriptions.push(NewSubscription { task_id: id, instance_id, name, key });
                }
                Some(Waiting::Call(start)) => {
                    let mut start = (**start).clone();
                    start.parent = Some(id);
                    calls.push(Command::Start(start));
                }
                None => {}
            }
            out.push((o.command, id));
        }
        fx.follow.extend(calls);
        store::insert_timers(tx, &timers).await?;
        store::insert_jobs(tx, &jobs, now).await?;
        store::insert_subscriptions(tx, &subscriptions, now).await?;
        if !fx.cancels.is_empty() {
            super::operate::cancel_tasks(tx, &fx.cancels, "system", now).await?;
        }
        if !ended.is_empty() {
            store::complete_tasks(tx, &ended, "system", now).await?;
            store::cancel_timers_of(tx, &ended).await?;
        }
        for id in &fx.terminated {
            super::operate::end_open_work(tx, fix(*id), "system", now).await?;
        }
        let mut last: HashMap<(i64, String), Option<i64>> = HashMap::new();
        let mut order = Vec::new();
        for (i, node, n) in &fx.joins {
            let key = (fix(*i), node.clone());
            if last.insert(key.clone(), *n).is_none() {
                order.push(key);
            }
        }
        for key in order {
            let n = last.get(&key).copied().flatten();
            store::set_join(tx, key.0, &key.1, n).await?;
        }
        let mut states: HashMap<(i64, String), Option<String>> = HashMap::new();
        let mut order = Vec::new();
        for (i, node, state) in &fx.loop_writes {
            let key = (fix(*i), node.clone());
            let json = state.as_ref().map(|s| serde_json::to_string(s).unwrap_or_default());
            if states.insert(key.clone(), json).is_none() {
                order.push(key);
            }
        }
        for key in order {
            let state = states.get(&key).cloned().flatten();
            store::set_loop(tx, key.0, &key.1, state.as_deref()).await?;
        }
        for (instance, arrivals) in &fx.stopped {
            let json = serde_json::to_string(arrivals).unwrap_or_default();
            store::set_stopped(tx, fix(*instance), &json, now).await?;
        }
        store::save_instances(tx, saved, now).await?;
        store::insert_history(tx, &fx.history, now).await?;
        Ok(out)
    }
}

mod boundary;
mod rules;
use rules::{answer, may_complete, times};
#[cfg(test)]
mod tests;

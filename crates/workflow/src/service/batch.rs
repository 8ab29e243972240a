//! Group commit: the starts and completions waiting at one moment run in one transaction.
//! Tokens move in memory; the batch then writes what changed with a few set-wise statements
//! (tasks, timers, instances, history, audit), so the cost of a commit and of a statement is
//! shared by every command in the batch.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cqdt_audit::AuditEvent;
use cqdt_platform::Tx;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot};

use super::{WorkflowError, WorkflowService};
use crate::model::{NodeKind, Process};
use crate::store::{self, InstanceRow, NewHistory, NewTask};

/// Most commands written in one transaction.
pub(crate) const MAX_BATCH: usize = 256;

/// A command to the engine.
#[derive(Debug, Clone)]
pub(crate) enum Command {
    /// Start the newest version of a process.
    Start {
        actor: String,
        request_id: String,
        key: String,
        business_key: Option<String>,
        agency: Option<String>,
        variables: Map<String, Value>,
    },
    /// Complete an open task.
    Complete {
        actor: String,
        request_id: String,
        task_id: i64,
        variables: Map<String, Value>,
    },
}

impl Command {
    /// A start, from borrowed arguments.
    pub(crate) fn start(
        actor: &str,
        request_id: &str,
        key: &str,
        business_key: Option<&str>,
        agency: Option<&str>,
        variables: Map<String, Value>,
    ) -> Command {
        Command::Start {
            actor: actor.to_string(),
            request_id: request_id.to_string(),
            key: key.to_string(),
            business_key: business_key.map(str::to_string),
            agency: agency.map(str::to_string),
            variables,
        }
    }
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

/// A task the walk opened, with the timers on its boundary.
pub(crate) struct Opened {
    pub task: NewTask,
    pub timers: Vec<(String, String)>,
    /// Index of its `task_created` history line, whose detail is the task id.
    pub history: usize,
    /// The command that opened it.
    pub command: usize,
}

/// Everything a batch changes, gathered in memory before it is written.
#[derive(Default)]
pub(crate) struct Effects {
    pub opened: Vec<Opened>,
    pub history: Vec<NewHistory>,
    /// Final arrivals at joins (None: cleared), last one wins.
    pub joins: Vec<(i64, String, Option<i64>)>,
    /// Arrivals at joins as the walk sees them.
    pub arrivals: HashMap<(i64, String), i64>,
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
                let writers = match self.db.backend() {
                    cqdt_platform::Backend::Sqlite => 1,
                    cqdt_platform::Backend::Postgres => 2,
                };
                for _ in 0..writers {
                    tokio::spawn(self.clone().write_batches(rx.clone()));
                }
                tx
            })
            .clone();
        let (reply, answer) = oneshot::channel();
        let stopped = || WorkflowError::Conflict("bộ ghi quy trình đã dừng".into());
        writer
            .send(Queued { command, reply })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    async fn write_batches(self, rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Queued>>>) {
        let mut buf = Vec::with_capacity(MAX_BATCH);
        loop {
            // Hold the queue only while taking a batch, so another writer takes the next.
            if rx.lock().await.recv_many(&mut buf, MAX_BATCH).await == 0 {
                break;
            }
            let (commands, replies): (Vec<Command>, Vec<_>) = std::mem::take(&mut buf)
                .into_iter()
                .map(|q| (q.command, q.reply))
                .unzip();
            match self.execute_alone(commands.clone()).await {
                Ok(results) => {
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

    /// Runs commands in the caller's transaction, in order; each command's own refusal is in
    /// its slot, a database failure fails them all (and the caller rolls back).
    pub(crate) async fn execute(
        &self,
        tx: &mut Tx,
        commands: Vec<Command>,
    ) -> Result<Vec<Result<Step, WorkflowError>>, WorkflowError> {
        let now = self.now();
        let cal = self.calendar.calendar();
        let today = self.clock.today();

        // Read what the completions act on, in one statement each.
        let task_ids: Vec<i64> = commands
            .iter()
            .filter_map(|c| match c {
                Command::Complete { task_id, .. } => Some(*task_id),
                Command::Start { .. } => None,
            })
            .collect();
        let tasks: HashMap<i64, store::TaskRow> = store::tasks_by_ids(tx, &task_ids)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect();
        let mut instance_ids: Vec<i64> = tasks.values().map(|t| t.instance_id).collect();
        instance_ids.sort_unstable();
        instance_ids.dedup();
        let mut instances: HashMap<i64, InstanceRow> = store::instances_by_ids(tx, &instance_ids)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect();
        let mut models: HashMap<i64, Arc<Process>> = HashMap::new();
        let mut definition_ids: Vec<i64> = instances.values().map(|i| i.definition_id).collect();
        definition_ids.sort_unstable();
        definition_ids.dedup();
        for id in definition_ids {
            models.insert(id, self.model(id).await?);
        }
        let mut fx = Effects::default();
        let with_joins: Vec<i64> = instances
            .values()
            .filter(|i| models.get(&i.definition_id).is_some_and(|p| p.has_joins()))
            .map(|i| i.id)
            .collect();
        if !with_joins.is_empty() {
            fx.load_arrivals(tx, &with_joins).await?;
        }

        // Walk every command in memory, in order.
        let mut results: Vec<Option<Result<Step, WorkflowError>>> =
            (0..commands.len()).map(|_| None).collect();
        let mut closing: Vec<(i64, String)> = Vec::new(); // (task, actor)
        let mut closed: HashSet<i64> = HashSet::new();
        let mut cancel_timers: Vec<i64> = Vec::new();
        let mut dirty: Vec<i64> = Vec::new();
        let mut created: Vec<(usize, InstanceRow)> = Vec::new();
        let mut definitions: HashMap<String, (i64, i64)> = HashMap::new();
        for (k, c) in commands.iter().enumerate() {
            match c {
                Command::Complete {
                    actor,
                    task_id,
                    variables,
                    ..
                } => {
                    let Some(task) = tasks.get(task_id) else {
                        results[k] =
                            Some(Err(WorkflowError::NotFound(format!("công việc {task_id}"))));
                        continue;
                    };
                    if task.status != "open" || closed.contains(task_id) {
                        results[k] = Some(Err(WorkflowError::Conflict(format!(
                            "công việc {task_id} đã đóng"
                        ))));
                        continue;
                    }
                    if task.assignee.as_deref().is_some_and(|a| a != actor) {
                        results[k] = Some(Err(WorkflowError::Conflict(format!(
                            "công việc {task_id} do người khác nhận xử lý"
                        ))));
                        continue;
                    }
                    let p = instances
                        .get(&task.instance_id)
                        .and_then(|i| models.get(&i.definition_id))
                        .cloned();
                    let (Some(inst), Some(p)) = (instances.get_mut(&task.instance_id), p) else {
                        results[k] = Some(Err(WorkflowError::NotFound(format!(
                            "instance {}",
                            task.instance_id
                        ))));
                        continue;
                    };
                    if inst.status != "active" {
                        results[k] = Some(Err(WorkflowError::Conflict(format!(
                            "quy trình {} không còn chạy ({})",
                            inst.id, inst.status
                        ))));
                        continue;
                    }
                    closed.insert(*task_id);
                    closing.push((*task_id, actor.clone()));
                    if !p.timers_on(&task.node_id).is_empty() {
                        cancel_timers.push(*task_id);
                    }
                    inst.variables.extend(variables.clone());
                    fx.log(inst.id, &task.node_id, "completed", actor, None);
                    let next = p
                        .nodes
                        .get(&task.node_id)
                        .map(|n| self.targets(&p, &n.outgoing))
                        .unwrap_or_default();
                    self.walk(&p, inst, next, actor, &now, &cal, today, &mut fx, k);
                    if !dirty.contains(&inst.id) {
                        dirty.push(inst.id);
                    }
                }
                Command::Start {
                    actor,
                    key,
                    business_key,
                    agency,
                    variables,
                    ..
                } => {
                    let def = match definitions.get(key) {
                        Some(d) => Some(*d),
                        None => store::latest_definition(tx, key)
                            .await?
                            .map(|(id, version, _)| (id, version)),
                    };
                    let Some((def_id, version)) = def else {
                        results[k] =
                            Some(Err(WorkflowError::NotFound(format!("quy trình “{key}”"))));
                        continue;
                    };
                    definitions.insert(key.clone(), (def_id, version));
                    let p = match models.get(&def_id) {
                        Some(p) => p.clone(),
                        None => {
                            let p = self.model(def_id).await?;
                            models.insert(def_id, p.clone());
                            p
                        }
                    };
                    // Until it is written, the instance goes by a placeholder id below zero.
                    let mut inst = InstanceRow {
                        id: -(k as i64) - 1,
                        definition_id: def_id,
                        business_key: business_key.clone(),
                        agency: agency.clone(),
                        status: "active".into(),
                        tokens: 1,
                        variables: variables.clone(),
                        incident: None,
                        started_at: now.clone(),
                        ended_at: None,
                    };
                    fx.log(
                        inst.id,
                        &p.start,
                        "started",
                        actor,
                        Some(format!("{key} v{version}")),
                    );
                    self.walk(
                        &p,
                        &mut inst,
                        vec![p.start.clone()],
                        actor,
                        &now,
                        &cal,
                        today,
                        &mut fx,
                        k,
                    );
                    created.push((k, inst));
                }
            }
        }

        // Write it all.
        let mut by_actor: HashMap<&str, Vec<i64>> = HashMap::new();
        for (t, a) in &closing {
            by_actor.entry(a.as_str()).or_default().push(*t);
        }
        for (actor, ids) in by_actor {
            let done = store::complete_tasks(tx, &ids, actor, &now).await?;
            if done.len() != ids.len() {
                // Closed by another writer since it was read (PostgreSQL): the whole batch
                // fails and each command is retried alone, which reports it properly.
                return Err(WorkflowError::Conflict(
                    "công việc vừa được người khác hoàn thành".into(),
                ));
            }
        }
        store::cancel_timers_of(tx, &cancel_timers).await?;
        let rows: Vec<&InstanceRow> = created.iter().map(|(_, i)| i).collect();
        let ids = store::insert_instances(tx, &rows, &now).await?;
        let real: HashMap<i64, i64> = created
            .iter()
            .zip(&ids)
            .map(|((_, i), id)| (i.id, *id))
            .collect();
        let fix = |id: i64| {
            if id < 0 {
                real.get(&id).copied().unwrap_or(id)
            } else {
                id
            }
        };
        for (_, inst) in created.iter_mut() {
            inst.id = fix(inst.id);
        }
        for h in fx.history.iter_mut() {
            h.instance_id = fix(h.instance_id);
        }
        for o in fx.opened.iter_mut() {
            o.task.instance_id = fix(o.task.instance_id);
        }
        let saved: Vec<&InstanceRow> = dirty.iter().filter_map(|id| instances.get(id)).collect();
        let opened_ids = self.write_effects(tx, &mut fx, &fix, &saved, &now).await?;

        // Audit, and the answers.
        let mut audits = Vec::new();
        let created: HashMap<usize, InstanceRow> = created.into_iter().collect();
        for (k, c) in commands.iter().enumerate() {
            if results[k].is_some() {
                continue;
            }
            let opened: Vec<i64> = opened_ids
                .iter()
                .filter(|(cmd, _)| *cmd == k)
                .map(|(_, id)| *id)
                .collect();
            match c {
                Command::Start {
                    actor,
                    request_id,
                    key,
                    business_key,
                    ..
                } => {
                    let Some(inst) = created.get(&k) else {
                        continue;
                    };
                    let version = definitions.get(key).map(|d| d.1);
                    audits.push(
                        AuditEvent::new(actor, "workflow.instance.start", "process_instance")
                            .object(inst.id.to_string())
                            .request(request_id)
                            .details(json!({"key": key, "version": version, "business_key": business_key})),
                    );
                    results[k] = Some(Ok(Step {
                        instance: inst.clone(),
                        opened,
                    }));
                }
                Command::Complete {
                    actor,
                    request_id,
                    task_id,
                    ..
                } => {
                    let Some(task) = tasks.get(task_id) else {
                        continue;
                    };
                    audits.push(
                        AuditEvent::new(actor, "workflow.task.complete", "task")
                            .object(task_id.to_string())
                            .request(request_id)
                            .details(json!({"instance": task.instance_id, "node": task.node_id})),
                    );
                    if let Some(inst) = instances.get(&task.instance_id) {
                        results[k] = Some(Ok(Step {
                            instance: inst.clone(),
                            opened,
                        }));
                    }
                }
            }
        }
        self.audit.record_many(tx, &audits).await?;
        Ok(results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(WorkflowError::Conflict("không có kết quả".into()))))
            .collect())
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
        for o in &fx.opened {
            let Some(id) = ids
                .get_mut(&(o.task.instance_id, o.task.node_id.clone()))
                .and_then(Vec::pop)
            else {
                return Err(WorkflowError::Conflict(format!(
                    "công việc {} không được tạo",
                    o.task.node_id
                )));
            };
            if let Some(h) = fx.history.get_mut(o.history) {
                h.detail = Some(id.to_string());
            }
            for (node, fire_on) in &o.timers {
                timers.push((o.task.instance_id, id, node.clone(), fire_on.clone()));
            }
            out.push((o.command, id));
        }
        store::insert_timers(tx, &timers).await?;
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
        store::save_instances(tx, saved, now).await?;
        store::insert_history(tx, &fx.history, now).await?;
        Ok(out)
    }

    /// Moves tokens from the given arrivals until every one waits at a task or join, or ends;
    /// in memory, into `fx`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn walk(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        arrivals: Vec<String>,
        actor: &str,
        now: &str,
        cal: &cqdt_calendar::WorkingCalendar,
        today: chrono::NaiveDate,
        fx: &mut Effects,
        command: usize,
    ) {
        let mut queue: std::collections::VecDeque<String> = arrivals.into();
        let mut steps = 0;
        while let Some(node_id) = queue.pop_front() {
            steps += 1;
            let Some(node) = p.nodes.get(&node_id) else {
                return incident(inst, &node_id, "phần tử không có trong định nghĩa", fx);
            };
            if steps > super::MAX_STEPS {
                return incident(inst, &node_id, "quy trình lặp vô hạn", fx);
            }
            match &node.kind {
                NodeKind::StartEvent => queue.extend(self.targets(p, &node.outgoing)),
                NodeKind::EndEvent => {
                    inst.tokens -= 1;
                    fx.log(inst.id, &node_id, "ended", actor, None);
                }
                NodeKind::UserTask { role, days, agency } => {
                    // Liên thông: a task may belong to another agency than the instance's,
                    // named on the task or held in a variable; an unset variable stops the
                    // instance rather than give the work to nobody.
                    let task_agency = match agency.as_deref() {
                        Some(a) => match a.strip_prefix("${").and_then(|v| v.strip_suffix('}')) {
                            Some(var) => {
                                match inst.variables.get(var.trim()).and_then(Value::as_str) {
                                    Some(v) => Some(v.to_string()),
                                    None => {
                                        let why = format!(
                                            "biến “{}” không cho biết cơ quan thực hiện công việc",
                                            var.trim()
                                        );
                                        return incident(inst, &node_id, &why, fx);
                                    }
                                }
                            }
                            None => Some(a.to_string()),
                        },
                        None => inst.agency.clone(),
                    };
                    let due = days.map(|d| {
                        cal.add_working_days(today, d.ceil() as i64)
                            .format("%Y-%m-%d")
                            .to_string()
                    });
                    let timers = p
                        .timers_on(&node_id)
                        .into_iter()
                        .filter_map(|t| match t.kind {
                            NodeKind::TimerBoundary { days, .. } => Some((
                                t.id.clone(),
                                cal.add_working_days(today, days.ceil() as i64)
                                    .format("%Y-%m-%d")
                                    .to_string(),
                            )),
                            _ => None,
                        })
                        .collect();
                    fx.log(inst.id, &node_id, "task_created", actor, None);
                    let history = fx.history.len() - 1;
                    fx.opened.push(Opened {
                        task: NewTask {
                            instance_id: inst.id,
                            node_id: node_id.clone(),
                            name: node.name.clone(),
                            role: role.clone(),
                            agency: task_agency,
                            due_date: due,
                        },
                        timers,
                        history,
                        command,
                    });
                }
                NodeKind::ServiceTask { handler } => {
                    let h = self
                        .handlers
                        .read()
                        .ok()
                        .and_then(|m| m.get(handler).cloned());
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
                                return incident(inst, &node_id, &why, fx);
                            }
                        },
                        None => {
                            let why = format!("chưa có bộ xử lý cho loại “{handler}”");
                            return incident(inst, &node_id, &why, fx);
                        }
                    }
                }
                NodeKind::ExclusiveGateway { default } => {
                    let chosen = if node.outgoing.len() == 1 {
                        node.outgoing.first().cloned()
                    } else {
                        node.outgoing
                            .iter()
                            .filter(|f| Some(*f) != default.as_ref())
                            .find(|f| {
                                p.condition(f)
                                    .is_some_and(|c| crate::condition::eval(&c, &inst.variables))
                            })
                            .cloned()
                            .or_else(|| default.clone())
                    };
                    match chosen {
                        Some(f) => {
                            fx.log(inst.id, &node_id, "took", actor, Some(f.clone()));
                            queue.extend(self.targets(p, &[f]));
                        }
                        None => {
                            return incident(
                                inst,
                                &node_id,
                                "không điều kiện nào đúng và không có luồng mặc định",
                                fx,
                            )
                        }
                    }
                }
                NodeKind::ParallelGateway => {
                    let ins = node.incoming.len() as i64;
                    if ins > 1 {
                        let key = (inst.id, node_id.clone());
                        let arrived = fx.arrivals.get(&key).copied().unwrap_or(0) + 1;
                        if arrived < ins {
                            fx.arrivals.insert(key, arrived);
                            fx.joins.push((inst.id, node_id.clone(), Some(arrived)));
                            continue;
                        }
                        fx.arrivals.remove(&key);
                        fx.joins.push((inst.id, node_id.clone(), None));
                        inst.tokens -= ins - 1;
                    }
                    inst.tokens += node.outgoing.len() as i64 - 1;
                    queue.extend(self.targets(p, &node.outgoing));
                }
                NodeKind::TimerBoundary { .. } => queue.extend(self.targets(p, &node.outgoing)),
            }
        }
        if inst.tokens <= 0 && inst.status == "active" {
            inst.status = "completed".into();
            inst.ended_at = Some(now.to_string());
            fx.log(inst.id, &p.key, "completed", actor, None);
        }
    }
}

fn incident(inst: &mut InstanceRow, node: &str, why: &str, fx: &mut Effects) {
    inst.status = "incident".into();
    inst.incident = Some(format!("{node}: {why}"));
    fx.log(inst.id, node, "incident", "system", Some(why.to_string()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqdt_platform::testing::TestDb;
    use cqdt_platform::{SharedClock, SystemClock};

    const BPMN: &str = include_str!("../../tests/fixtures/tiep-nhan-xu-ly.bpmn");

    fn start(key: &str) -> Command {
        Command::start("admin", "", key, None, Some("000.01.41.H51"), Map::new())
    }

    fn complete(task_id: i64, actor: &str) -> Command {
        Command::Complete {
            actor: actor.into(),
            request_id: String::new(),
            task_id,
            variables: Map::new(),
        }
    }

    async fn engine(t: &TestDb) -> WorkflowService {
        let clock: SharedClock = Arc::new(SystemClock);
        let audit = cqdt_audit::Audit::new(t.db.clone(), clock.clone());
        let calendar = cqdt_calendar::CalendarService::load(
            t.db.clone(),
            clock.clone(),
            audit.clone(),
            cqdt_calendar::OfficeHours::default(),
        )
        .await
        .expect("calendar");
        WorkflowService::new(t.db.clone(), clock, audit, calendar)
    }

    async fn run(w: &WorkflowService, commands: Vec<Command>) -> Vec<Result<Step, WorkflowError>> {
        let mut tx = w.db.begin().await.expect("begin");
        let out = w.execute(&mut tx, commands).await.expect("batch");
        tx.commit().await.expect("commit");
        out
    }

    #[tokio::test]
    async fn one_batch_runs_its_commands_in_order_and_refuses_each_bad_one_alone() {
        let t = TestDb::new().await;
        let w = engine(&t).await;
        w.deploy("admin", "", BPMN).await.expect("deploy");

        let out = run(
            &w,
            vec![
                start("tiep_nhan_xu_ly"),
                start("khong_co"),
                start("tiep_nhan_xu_ly"),
            ],
        )
        .await;
        assert!(matches!(out[1], Err(WorkflowError::NotFound(_))));
        let (a, b) = match (&out[0], &out[2]) {
            (Ok(a), Ok(b)) => (a.clone(), b.clone()),
            other => panic!("starts failed: {other:?}"),
        };
        assert!(
            a.instance.id > 0 && b.instance.id > a.instance.id,
            "ids in order"
        );
        assert_eq!(a.opened.len(), 1);
        assert_eq!(b.opened.len(), 1);

        // The same task twice, and a stranger's: only the first completion counts.
        let out = run(
            &w,
            vec![
                complete(a.opened[0], "x"),
                complete(a.opened[0], "x"),
                complete(b.opened[0], "x"),
                complete(999_999, "x"),
            ],
        )
        .await;
        assert!(matches!(out[1], Err(WorkflowError::Conflict(_))));
        assert!(matches!(out[3], Err(WorkflowError::NotFound(_))));
        let fork_a = out[0].as_ref().expect("first").opened.clone();
        let fork_b = out[2].as_ref().expect("other").opened.clone();
        assert_eq!(
            (fork_a.len(), fork_b.len()),
            (2, 2),
            "parallel branches opened"
        );

        // Both branches of both instances in one batch: each join fires exactly once.
        let out = run(
            &w,
            vec![
                complete(fork_a[0], "x"),
                complete(fork_b[1], "x"),
                complete(fork_a[1], "x"),
                complete(fork_b[0], "x"),
            ],
        )
        .await;
        let opened: Vec<usize> = out
            .iter()
            .map(|r| r.as_ref().expect("branch").opened.len())
            .collect();
        assert_eq!(
            opened,
            [0, 0, 1, 1],
            "the second arrival at each join moves on"
        );
        for id in [a.instance.id, b.instance.id] {
            let d = w.instance(id).await.expect("detail");
            let open: Vec<&str> = d
                .tasks
                .iter()
                .filter(|t| t.status == "open")
                .map(|t| t.node_id.as_str())
                .collect();
            assert_eq!(open, ["Task_PheDuyet"]);
            assert_eq!(d.instance.tokens, 1);
            let created = d
                .history
                .iter()
                .filter(|h| h.event == "task_created")
                .count();
            assert_eq!(created, 4, "reception, two branches, approval");
            assert!(d
                .history
                .iter()
                .filter(|h| h.event == "task_created")
                .all(|h| h
                    .detail
                    .as_deref()
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some()));
        }
        let timers: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM wf_timers WHERE status = 'pending'")
                .fetch_one(w.db.pool())
                .await
                .expect("timers");
        assert_eq!(timers, 2, "one escalation timer per approval task");
        let joins: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM wf_joins")
            .fetch_one(w.db.pool())
            .await
            .expect("joins");
        assert_eq!(joins, 0, "fired joins are cleared");
    }
}

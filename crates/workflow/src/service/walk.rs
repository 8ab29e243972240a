//! The walk: tokens move through the graph in memory, from node to node, until every one
//! waits at a user task or a join, or ends; what they change is gathered in [`Effects`] and
//! written by the batch afterwards. The engine's inner loop: no I/O, no spans.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use cqdt_calendar::WorkingCalendar;
use cqdt_platform::Tx;
use serde_json::Value;

use super::{WorkflowError, WorkflowService};
use crate::model::{NodeKind, Process};
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
    /// The command whose walk is running (its index in the batch).
    pub command: usize,
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
    /// The targets of some sequence flows.
    pub(crate) fn targets(&self, p: &Process, flows: &[String]) -> Vec<String> {
        flows.iter().filter_map(|f| p.flows.get(f)).map(|f| f.target.clone()).collect()
    }

    /// Moves tokens from the given arrivals until every one waits at a task or join, or ends;
    /// in memory, into `fx` (tasks it opens belong to `fx.command`).
    pub(crate) fn walk(
        &self,
        p: &Process,
        inst: &mut InstanceRow,
        arrivals: Vec<String>,
        actor: &str,
        at: &Moment,
        fx: &mut Effects,
    ) {
        let (now, cal, today) = (at.now.as_str(), &at.calendar, at.today);
        let mut queue: std::collections::VecDeque<String> = arrivals.into();
        let mut steps = 0;
        while let Some(node_id) = queue.pop_front() {
            steps += 1;
            let Some(node) = p.nodes.get(&node_id) else {
                return incident(inst, &node_id, "phần tử không có trong định nghĩa", fx);
            };
            if steps > MAX_STEPS {
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
                        cal.add_working_days(today, d.ceil() as i64).format("%Y-%m-%d").to_string()
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
                        command: fx.command,
                    });
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

//! The engine: deploys definitions, starts instances, moves tokens through the graph in one
//! transaction per step, creates tasks and working-day timers, records history and audit.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use cqdt_audit::{Audit, AuditEvent};
use cqdt_calendar::CalendarService;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, SharedClock, Tx};
use serde_json::{json, Map, Value};

use crate::condition;
use crate::model::{parse_bpmn, BpmnError, NodeKind, Process};
use crate::store::{self, DefinitionRow, HistoryRow, InstanceRow, TaskRow};

/// Errors of the workflow engine.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The BPMN file was refused.
    #[error("tệp BPMN không hợp lệ ({} lỗi)", .0.len())]
    Bpmn(Vec<BpmnError>),
    /// Not found.
    #[error("không tìm thấy: {0}")]
    NotFound(String),
    /// The request does not fit the current state.
    #[error("{0}")]
    Conflict(String),
}

/// A service task handler: works on the instance variables; `Err` raises an incident.
pub type Handler = Arc<dyn Fn(&mut Map<String, Value>) -> Result<(), String> + Send + Sync>;

/// The workflow engine.
#[derive(Clone)]
pub struct WorkflowService {
    db: Db,
    clock: SharedClock,
    audit: Audit,
    calendar: CalendarService,
    handlers: Arc<RwLock<HashMap<String, Handler>>>,
    models: Arc<RwLock<HashMap<i64, Arc<Process>>>>,
}

/// An instance with its tasks and history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InstanceDetail {
    /// The instance.
    #[serde(flatten)]
    pub instance: InstanceRow,
    /// Its tasks.
    pub tasks: Vec<TaskRow>,
    /// Its history.
    pub history: Vec<HistoryRow>,
}

const MAX_STEPS: usize = 10_000;

impl WorkflowService {
    /// The engine over `db`.
    pub fn new(db: Db, clock: SharedClock, audit: Audit, calendar: CalendarService) -> Self {
        let handlers: HashMap<String, Handler> = HashMap::from([(
            "noop".to_string(),
            Arc::new(|_: &mut Map<String, Value>| Ok(())) as Handler,
        )]);
        WorkflowService {
            db,
            clock,
            audit,
            calendar,
            handlers: Arc::new(RwLock::new(handlers)),
            models: Arc::new(RwLock::new(HashMap::new())),
        }
    }

    /// Registers the handler for service tasks of a type.
    pub fn register_handler(&self, kind: &str, handler: Handler) {
        if let Ok(mut h) = self.handlers.write() {
            h.insert(kind.to_string(), handler);
        }
    }

    fn now(&self) -> String {
        format_ts(self.clock.now())
    }

    /// Checks and stores a BPMN file as the next version of its process (the same file again
    /// is not a new version); audited.
    pub async fn deploy(
        &self,
        actor: &str,
        request_id: &str,
        xml: &str,
    ) -> Result<DefinitionRow, WorkflowError> {
        let process = parse_bpmn(xml).map_err(WorkflowError::Bpmn)?;
        let mut tx = self.db.begin().await?;
        let latest = store::latest_definition(&mut tx, &process.key).await?;
        if let Some((id, version, old_xml)) = &latest {
            if old_xml == xml {
                drop(tx);
                return self
                    .definitions()
                    .await?
                    .into_iter()
                    .find(|d| d.id == *id && d.version == *version)
                    .ok_or_else(|| WorkflowError::NotFound(process.key.clone()));
            }
        }
        let version = latest.map(|l| l.1 + 1).unwrap_or(1);
        let model =
            serde_json::to_string(&process).map_err(|e| WorkflowError::Conflict(e.to_string()))?;
        let id = store::insert_definition(
            &mut tx,
            &process.key,
            version,
            &process.name,
            xml,
            &model,
            actor,
            &self.now(),
        )
        .await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "workflow.definition.deploy", "process_definition")
                    .object(format!("{}:{version}", process.key))
                    .request(request_id),
            )
            .await?;
        tx.commit().await?;
        Ok(DefinitionRow {
            id,
            key: process.key,
            version,
            name: process.name,
            created_at: self.now(),
            created_by: actor.to_string(),
        })
    }

    /// Deployed definitions.
    pub async fn definitions(&self) -> Result<Vec<DefinitionRow>, WorkflowError> {
        Ok(store::list_definitions(&self.db).await?)
    }

    /// A definition's parsed model (cached; definitions never change).
    pub async fn model(&self, definition_id: i64) -> Result<Arc<Process>, WorkflowError> {
        if let Some(p) = self
            .models
            .read()
            .ok()
            .and_then(|m| m.get(&definition_id).cloned())
        {
            return Ok(p);
        }
        let json = store::definition_model(&self.db, definition_id)
            .await?
            .ok_or_else(|| {
                WorkflowError::NotFound(format!("định nghĩa quy trình {definition_id}"))
            })?;
        let p: Arc<Process> = Arc::new(
            serde_json::from_str(&json)
                .map_err(|e| WorkflowError::Conflict(format!("stored model unreadable: {e}")))?,
        );
        if let Ok(mut m) = self.models.write() {
            m.insert(definition_id, p.clone());
        }
        Ok(p)
    }

    /// Starts the newest version of a process; returns the instance id.
    pub async fn start(
        &self,
        actor: &str,
        request_id: &str,
        key: &str,
        business_key: Option<&str>,
        agency: Option<&str>,
        variables: Map<String, Value>,
    ) -> Result<i64, WorkflowError> {
        let mut tx = self.db.begin().await?;
        let id = self
            .start_in(
                &mut tx,
                actor,
                request_id,
                key,
                business_key,
                agency,
                variables,
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Starts a process inside the caller's transaction, so that the business change that
    /// starts it (a dossier handed to processing) and the instance commit together.
    #[allow(clippy::too_many_arguments)]
    pub async fn start_in(
        &self,
        tx: &mut Tx,
        actor: &str,
        request_id: &str,
        key: &str,
        business_key: Option<&str>,
        agency: Option<&str>,
        variables: Map<String, Value>,
    ) -> Result<i64, WorkflowError> {
        let (def_id, version, _) = store::latest_definition(&mut *tx, key)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("quy trình “{key}”")))?;
        let process = self.model(def_id).await?;
        let now = self.now();
        let id = store::insert_instance(
            &mut *tx,
            def_id,
            business_key,
            agency,
            &Value::Object(variables).to_string(),
            &now,
        )
        .await?;
        let mut inst = store::get_instance(&mut *tx, id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("instance {id}")))?;
        store::history(
            &mut *tx,
            id,
            &process.start,
            "started",
            actor,
            &now,
            Some(&format!("{key} v{version}")),
        )
        .await?;
        self.run(tx, &process, &mut inst, vec![process.start.clone()], actor)
            .await?;
        self.audit
            .record(
                tx,
                AuditEvent::new(actor, "workflow.instance.start", "process_instance")
                    .object(id.to_string())
                    .request(request_id)
                    .details(json!({"key": key, "version": version, "business_key": business_key})),
            )
            .await?;
        Ok(id)
    }

    /// Claims a task for a person.
    pub async fn claim(&self, actor: &str, task_id: i64) -> Result<TaskRow, WorkflowError> {
        let mut tx = self.db.begin().await?;
        if !store::claim_task(&mut tx, task_id, actor).await? {
            return Err(WorkflowError::Conflict(format!(
                "công việc {task_id} không còn mở hoặc đã có người nhận"
            )));
        }
        let t = store::get_task(&mut tx, task_id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("công việc {task_id}")))?;
        store::history(
            &mut tx,
            t.instance_id,
            &t.node_id,
            "claimed",
            actor,
            &self.now(),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(t)
    }

    /// Completes an open task with variables and moves the instance on.
    pub async fn complete(
        &self,
        actor: &str,
        request_id: &str,
        task_id: i64,
        variables: Map<String, Value>,
    ) -> Result<InstanceRow, WorkflowError> {
        let mut tx = self.db.begin().await?;
        let task = store::get_task(&mut tx, task_id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("công việc {task_id}")))?;
        if task.assignee.as_deref().is_some_and(|a| a != actor) {
            return Err(WorkflowError::Conflict(format!(
                "công việc {task_id} do người khác nhận xử lý"
            )));
        }
        let now = self.now();
        if !store::close_task(&mut tx, task_id, "completed", actor, &now).await? {
            return Err(WorkflowError::Conflict(format!(
                "công việc {task_id} đã đóng"
            )));
        }
        store::cancel_timers(&mut tx, task_id).await?;
        let mut inst = store::get_instance(&mut tx, task.instance_id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("instance {}", task.instance_id)))?;
        if inst.status != "active" {
            return Err(WorkflowError::Conflict(format!(
                "quy trình {} không còn chạy ({})",
                inst.id, inst.status
            )));
        }
        let process = self.model(inst.definition_id).await?;
        inst.variables.extend(variables);
        store::history(
            &mut tx,
            inst.id,
            &task.node_id,
            "completed",
            actor,
            &now,
            None,
        )
        .await?;
        let next = process
            .nodes
            .get(&task.node_id)
            .map(|n| self.targets(&process, &n.outgoing))
            .unwrap_or_default();
        self.run(&mut tx, &process, &mut inst, next, actor).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "workflow.task.complete", "task")
                    .object(task_id.to_string())
                    .request(request_id)
                    .details(json!({"instance": inst.id, "node": task.node_id})),
            )
            .await?;
        tx.commit().await?;
        Ok(inst)
    }

    /// Fires every timer due today or earlier; returns how many fired.
    pub async fn fire_due_timers(&self) -> Result<usize, WorkflowError> {
        let today = self.clock.today().format("%Y-%m-%d").to_string();
        let mut fired = 0;
        for (timer_id, instance_id, task_id, node_id) in store::due_timers(&self.db, &today).await?
        {
            let mut tx = self.db.begin().await?;
            if !store::fire_timer(&mut tx, timer_id).await? {
                continue;
            }
            let Some(mut inst) = store::get_instance(&mut tx, instance_id).await? else {
                continue;
            };
            if inst.status != "active" {
                tx.commit().await?;
                continue;
            }
            let process = self.model(inst.definition_id).await?;
            let Some(node) = process.nodes.get(&node_id) else {
                continue;
            };
            let now = self.now();
            store::history(
                &mut tx,
                instance_id,
                &node_id,
                "timer_fired",
                "system",
                &now,
                None,
            )
            .await?;
            if let NodeKind::TimerBoundary { interrupting, .. } = node.kind {
                if interrupting {
                    store::close_task(&mut tx, task_id, "cancelled", "system", &now).await?;
                    store::cancel_timers(&mut tx, task_id).await?;
                } else {
                    inst.tokens += 1;
                }
            }
            let next = self.targets(&process, &node.outgoing);
            self.run(&mut tx, &process, &mut inst, next, "system")
                .await?;
            tx.commit().await?;
            fired += 1;
        }
        Ok(fired)
    }

    fn targets(&self, p: &Process, flows: &[String]) -> Vec<String> {
        flows
            .iter()
            .filter_map(|f| p.flows.get(f))
            .map(|f| f.target.clone())
            .collect()
    }

    /// Moves tokens from the given arrivals until every one waits at a task or join, or ends.
    async fn run(
        &self,
        tx: &mut Tx,
        p: &Process,
        inst: &mut InstanceRow,
        arrivals: Vec<String>,
        actor: &str,
    ) -> Result<(), WorkflowError> {
        let mut queue: VecDeque<String> = arrivals.into();
        let now = self.now();
        let mut steps = 0;
        let cal = self.calendar.calendar();
        let today = self.clock.today();
        while let Some(node_id) = queue.pop_front() {
            steps += 1;
            let Some(node) = p.nodes.get(&node_id) else {
                return self
                    .incident(
                        tx,
                        inst,
                        &node_id,
                        "phần tử không có trong định nghĩa",
                        &now,
                    )
                    .await;
            };
            if steps > MAX_STEPS {
                return self
                    .incident(tx, inst, &node_id, "quy trình lặp vô hạn", &now)
                    .await;
            }
            match &node.kind {
                NodeKind::StartEvent => queue.extend(self.targets(p, &node.outgoing)),
                NodeKind::EndEvent => {
                    inst.tokens -= 1;
                    store::history(tx, inst.id, &node_id, "ended", actor, &now, None).await?;
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
                                        return self
                                        .incident(
                                            tx,
                                            inst,
                                            &node_id,
                                            &format!("biến “{}” không cho biết cơ quan thực hiện công việc", var.trim()),
                                            &now,
                                        )
                                        .await;
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
                    let task_id = store::insert_task(
                        tx,
                        inst.id,
                        &node_id,
                        &node.name,
                        role.as_deref(),
                        task_agency.as_deref(),
                        due.as_deref(),
                        &now,
                    )
                    .await?;
                    store::history(
                        tx,
                        inst.id,
                        &node_id,
                        "task_created",
                        actor,
                        &now,
                        Some(&task_id.to_string()),
                    )
                    .await?;
                    for timer in p.timers_on(&node_id) {
                        if let NodeKind::TimerBoundary { days, .. } = timer.kind {
                            let fire_on = cal
                                .add_working_days(today, days.ceil() as i64)
                                .format("%Y-%m-%d")
                                .to_string();
                            store::insert_timer(tx, inst.id, task_id, &timer.id, &fire_on).await?;
                        }
                    }
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
                                store::history(
                                    tx,
                                    inst.id,
                                    &node_id,
                                    "service_done",
                                    "system",
                                    &now,
                                    Some(handler),
                                )
                                .await?;
                                queue.extend(self.targets(p, &node.outgoing));
                            }
                            Err(e) => {
                                return self
                                    .incident(
                                        tx,
                                        inst,
                                        &node_id,
                                        &format!("xử lý “{handler}” lỗi: {e}"),
                                        &now,
                                    )
                                    .await
                            }
                        },
                        None => {
                            return self
                                .incident(
                                    tx,
                                    inst,
                                    &node_id,
                                    &format!("chưa có bộ xử lý cho loại “{handler}”"),
                                    &now,
                                )
                                .await
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
                                    .is_some_and(|c| condition::eval(&c, &inst.variables))
                            })
                            .cloned()
                            .or_else(|| default.clone())
                    };
                    match chosen {
                        Some(f) => {
                            store::history(tx, inst.id, &node_id, "took", actor, &now, Some(&f))
                                .await?;
                            queue.extend(self.targets(p, &[f]));
                        }
                        None => {
                            return self
                                .incident(
                                    tx,
                                    inst,
                                    &node_id,
                                    "không điều kiện nào đúng và không có luồng mặc định",
                                    &now,
                                )
                                .await
                        }
                    }
                }
                NodeKind::ParallelGateway => {
                    let ins = node.incoming.len() as i64;
                    if ins > 1 {
                        let arrived = store::join_arrive(tx, inst.id, &node_id).await?;
                        if arrived < ins {
                            continue;
                        }
                        store::join_reset(tx, inst.id, &node_id).await?;
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
            inst.ended_at = Some(now.clone());
            store::history(tx, inst.id, &p.key, "completed", actor, &now, None).await?;
        }
        store::save_instance(tx, inst, &now).await?;
        Ok(())
    }

    async fn incident(
        &self,
        tx: &mut Tx,
        inst: &mut InstanceRow,
        node: &str,
        why: &str,
        now: &str,
    ) -> Result<(), WorkflowError> {
        inst.status = "incident".into();
        inst.incident = Some(format!("{node}: {why}"));
        store::history(tx, inst.id, node, "incident", "system", now, Some(why)).await?;
        store::save_instance(tx, inst, now).await?;
        Ok(())
    }

    /// An instance with its tasks and history.
    pub async fn instance(&self, id: i64) -> Result<InstanceDetail, WorkflowError> {
        let mut conn = self
            .db
            .pool()
            .acquire()
            .await
            .map_err(|source| DbError::Sqlx {
                context: "acquiring connection",
                source,
            })?;
        let instance = store::get_instance(&mut conn, id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("quy trình {id}")))?;
        drop(conn);
        Ok(InstanceDetail {
            tasks: store::find_tasks(&self.db, None, None, None, Some(id), 1000).await?,
            history: store::get_history(&self.db, id).await?,
            instance,
        })
    }

    /// Instances, newest first.
    pub async fn instances(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<InstanceRow>, WorkflowError> {
        Ok(store::list_instances(&self.db, status, limit).await?)
    }

    /// Tasks of a pool (role within agency), by status.
    pub async fn tasks(
        &self,
        role: Option<&str>,
        agency: Option<&str>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TaskRow>, WorkflowError> {
        Ok(store::find_tasks(&self.db, role, agency, status, None, limit).await?)
    }

    /// The newest instance started for a business object (a dossier code), with its tasks
    /// and history.
    pub async fn instance_for(
        &self,
        business_key: &str,
    ) -> Result<Option<InstanceDetail>, WorkflowError> {
        match store::instance_by_business_key(&self.db, business_key).await? {
            Some(id) => Ok(Some(self.instance(id).await?)),
            None => Ok(None),
        }
    }

    /// Open tasks for any of the given roles, with their instance's business key.
    pub async fn open_tasks_for_roles(
        &self,
        roles: &[&str],
        limit: i64,
    ) -> Result<Vec<(TaskRow, Option<String>)>, WorkflowError> {
        Ok(store::open_tasks_for_roles(&self.db, roles, limit).await?)
    }

    /// Whether the person doing a task of an instance decides where the process goes next.
    pub async fn decides_after(&self, definition_id: i64, node: &str) -> bool {
        self.model(definition_id)
            .await
            .is_ok_and(|p| p.decides_after(node))
    }

    /// One task.
    pub async fn task(&self, id: i64) -> Result<Option<TaskRow>, WorkflowError> {
        let mut conn =
            self.db
                .pool()
                .acquire()
                .await
                .map_err(|source| cqdt_platform::DbError::Sqlx {
                    context: "acquiring a connection",
                    source,
                })?;
        Ok(store::get_task(&mut conn, id).await?)
    }

    /// The business key of an instance.
    pub async fn business_key_of(&self, instance_id: i64) -> Result<Option<String>, WorkflowError> {
        Ok(self.instance(instance_id).await?.instance.business_key)
    }

    /// The diagram of an instance: open tasks highlighted, passed steps marked.
    pub async fn instance_diagram(&self, id: i64) -> Result<String, WorkflowError> {
        self.diagram_of(&self.instance(id).await?).await
    }

    /// The diagram of an instance already read.
    pub async fn diagram_of(&self, d: &InstanceDetail) -> Result<String, WorkflowError> {
        let p = self.model(d.instance.definition_id).await?;
        let active: Vec<String> = d
            .tasks
            .iter()
            .filter(|t| t.status == "open")
            .map(|t| t.node_id.clone())
            .collect();
        let done: Vec<String> = d.history.iter().map(|h| h.node_id.clone()).collect();
        Ok(crate::svg::render(&p, &active, &done))
    }
}

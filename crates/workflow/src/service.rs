//! The engine: deploys definitions, starts instances, moves tokens through the graph in one
//! transaction per step, creates tasks and working-day timers, records history and audit.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use cqdt_audit::{Audit, AuditEvent};
use cqdt_calendar::CalendarService;
use cqdt_platform::clock::{format_ts, parse_ts};
use cqdt_platform::{Db, DbError, SharedClock, Tx};
use serde_json::{Map, Value};

use crate::model::{parse_bpmn, BpmnError, NodeKind, Process};
use crate::store::{
    self, DefinitionRow, HistoryRow, InstanceRow, NewDefinition, TaskFilter, TaskRow,
};

mod batch;
mod call;
mod errors;
mod inclusive;
mod jobs;
mod messages;
mod migrate;
mod multi;
mod operate;
mod race;
mod scope;
mod walk;
use batch::{By, Command, Complete, Queued};
pub use batch::{Start, Step};
pub use errors::ThrownError;
pub use jobs::{Failure, LockedJob, TopicRequest, MAX_FETCH};
pub use messages::{Correlated, Message, Recipient};
use walk::{Effects, Logged};

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
    /// The request itself cannot be read; the message is for the user, in Vietnamese.
    #[error("{0}")]
    BadRequest(String),
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
    /// The batch writer of starts and completions, started on first use.
    writer: Arc<OnceLock<tokio::sync::mpsc::Sender<Queued>>>,
    /// Woken when a batch has committed (new jobs may be there for waiting workers).
    committed: Arc<tokio::sync::Notify>,
}

/// An instance with its tasks and history.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct InstanceDetail {
    /// The instance.
    #[serde(flatten)]
    pub instance: InstanceRow,
    /// Its tasks.
    pub tasks: Vec<TaskRow>,
    /// Its history.
    pub history: Vec<HistoryRow>,
    /// The instance whose call activity started it, if one did.
    pub caller: Option<i64>,
    /// The instances its call activities started, in order.
    pub called: Vec<CalledInstance>,
}

/// An instance a call activity started.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CalledInstance {
    /// The call activity's row (a task of the caller).
    pub task_id: i64,
    /// The instance it started.
    pub instance_id: i64,
    /// Its status: active, completed, incident or cancelled.
    pub status: String,
}

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
            writer: Arc::new(OnceLock::new()),
            committed: Arc::new(tokio::sync::Notify::new()),
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
    #[tracing::instrument(skip_all)]
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
        let new =
            NewDefinition { key: &process.key, version, name: &process.name, xml, model: &model };
        let id = store::insert_definition(&mut tx, &new, actor, &self.now()).await?;
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
    #[tracing::instrument(skip_all)]
    pub async fn definitions(&self) -> Result<Vec<DefinitionRow>, WorkflowError> {
        Ok(store::list_definitions(&self.db).await?)
    }

    /// A definition's parsed model (cached; definitions never change).
    pub async fn model(&self, definition_id: i64) -> Result<Arc<Process>, WorkflowError> {
        if let Some(p) = self.models.read().ok().and_then(|m| m.get(&definition_id).cloned()) {
            return Ok(p);
        }
        let json = store::definition_model(&self.db, definition_id).await?.ok_or_else(|| {
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
    pub async fn start(&self, start: Start) -> Result<i64, WorkflowError> {
        Ok(self.start_step(start).await?.instance.id)
    }

    /// Starts the newest version of a process; answers with the instance and the tasks its
    /// first steps opened. Committed (with whatever else is waiting) before it answers.
    #[tracing::instrument(skip_all, fields(key = %start.key))]
    pub async fn start_step(&self, start: Start) -> Result<Step, WorkflowError> {
        self.submit(Command::Start(start)).await
    }

    /// Starts a process inside the caller's transaction, so that the business change that
    /// starts it (a dossier handed to processing) and the instance commit together.
    #[tracing::instrument(skip_all, fields(key = %start.key))]
    pub async fn start_in(&self, tx: &mut Tx, start: Start) -> Result<i64, WorkflowError> {
        let mut out = self.execute(tx, vec![Command::Start(start)]).await?;
        match out.pop() {
            Some(step) => Ok(step?.instance.id),
            None => Err(WorkflowError::Conflict("không có kết quả".into())),
        }
    }

    /// Claims a task for a person.
    #[tracing::instrument(skip(self, actor))]
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
        let mut fx = Effects::default();
        fx.log(t.instance_id, &t.node_id, "claimed", actor, None);
        store::insert_history(&mut tx, &fx.history, &self.now()).await?;
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
        Ok(self.complete_step(actor, request_id, task_id, variables).await?.instance)
    }

    /// Completes an open task; answers with the instance and the tasks that opened next.
    /// Committed (with whatever else is waiting) before it answers.
    #[tracing::instrument(skip(self, actor, request_id, variables))]
    pub async fn complete_step(
        &self,
        actor: &str,
        request_id: &str,
        task_id: i64,
        variables: Map<String, Value>,
    ) -> Result<Step, WorkflowError> {
        self.submit(Command::Complete(Complete {
            actor: actor.to_string(),
            request_id: request_id.to_string(),
            task_id,
            variables,
            by: By::Person,
        }))
        .await
    }

    /// Fires every timer due: working-time ones due today or earlier, calendar-time ones due
    /// now or earlier; returns how many fired.
    #[tracing::instrument(skip_all)]
    pub async fn fire_due_timers(&self) -> Result<usize, WorkflowError> {
        let today = self.clock.today();
        let day = today.format("%Y-%m-%d").to_string();
        let mut fired = 0;
        let due = store::due_timers(&self.db, &day, &self.now()).await?;
        for (timer_id, instance_id, task_id, node_id, fire_on) in due {
            let mut tx = self.db.begin().await?;
            if !store::fire_timer(&mut tx, timer_id).await? {
                continue;
            }
            let Some(mut inst) = store::instances_by_ids(&mut tx, &[instance_id]).await?.pop()
            else {
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
            let now = now.as_str();
            match node.kind {
                // On a stage, the step ends what is inside it (`Effects::interrupt_stage`).
                // On a call activity, the called instance is cancelled with its row.
                NodeKind::TimerBoundary { interrupting: true, .. } => {
                    operate::cancel_tasks(&mut tx, &[task_id], "system", now).await?;
                }
                NodeKind::TimerBoundary { interrupting: false, ref cycle, .. } => {
                    inst.tokens += 1;
                    // A cycle sets its next firing a period after this one (not after now,
                    // so that it does not drift), until its count is reached.
                    if let Some(c) = cycle {
                        let fired = store::times_fired(&mut tx, task_id, &node_id).await?;
                        let more = c.repeat.is_none_or(|r| fired < i64::from(r));
                        let next = parse_ts(&fire_on).and_then(|f| c.every.after(f));
                        if let (true, Some(next)) = (more, next) {
                            let row = (instance_id, task_id, node_id.clone(), format_ts(next));
                            store::insert_timers(&mut tx, &[row]).await?;
                        }
                    }
                }
                // The wait at an intermediate timer is over: its token moves on.
                NodeKind::TimerCatch { .. } => {
                    store::close_task(&mut tx, task_id, "completed", "system", now).await?;
                }
                _ => {}
            }
            let next = self.targets(&process, &node.outgoing);
            let interrupts = process.stage_interrupted_by(&node_id);
            let why = Logged { node: &node_id, event: "timer_fired", detail: None, interrupts };
            self.step_alone(&mut tx, &process, &mut inst, next, "system", why, now).await?;
            tx.commit().await?;
            fired += 1;
        }
        Ok(fired)
    }

    /// An instance with its tasks and history.
    #[tracing::instrument(skip(self))]
    pub async fn instance(&self, id: i64) -> Result<InstanceDetail, WorkflowError> {
        let mut conn = self.connection().await?;
        let instance = store::get_instance(&mut conn, id)
            .await?
            .ok_or_else(|| WorkflowError::NotFound(format!("quy trình {id}")))?;
        let caller = match instance.parent_task_id {
            Some(t) => store::get_task(&mut conn, t).await?.map(|t| t.instance_id),
            None => None,
        };
        let called = store::called_by(&mut conn, id)
            .await?
            .into_iter()
            .map(|(task_id, instance_id, status)| CalledInstance { task_id, instance_id, status })
            .collect();
        drop(conn);
        Ok(InstanceDetail {
            caller,
            called,
            tasks: store::find_tasks(
                &self.db,
                TaskFilter { instance: Some(id), ..TaskFilter::default() },
                1000,
            )
            .await?,
            history: store::get_history(&self.db, id).await?,
            instance,
        })
    }

    /// Running instances that nothing can move on (no open task, job, message wait or
    /// timer): flagged for an administrator, who cancels them or finds the diagram's fault.
    #[tracing::instrument(skip(self))]
    pub async fn stuck(&self, limit: i64) -> Result<Vec<InstanceRow>, WorkflowError> {
        let mut stuck = store::stuck_instances(&self.db, limit).await?;
        // Only stages' rows open, with nothing inside them that a person, a worker, a message
        // or a timer could move on: a join inside waits for good.
        let candidates = store::stuck_in_stages(&self.db, limit).await?;
        if !candidates.is_empty() {
            let ids: Vec<i64> = candidates.iter().map(|i| i.id).collect();
            let open = store::open_tasks_of(&mut *self.connection().await?, &ids).await?;
            for inst in candidates {
                let p = self.model(inst.definition_id).await?;
                let staged = |node: &str| {
                    matches!(p.nodes.get(node).map(|n| &n.kind), Some(NodeKind::SubProcess { .. }))
                };
                if open.iter().filter(|(i, _, _)| *i == inst.id).all(|(_, _, n)| staged(n)) {
                    stuck.push(inst);
                }
            }
            stuck.sort_by_key(|i| std::cmp::Reverse(i.id));
            stuck.truncate(limit.max(0) as usize);
        }
        Ok(stuck)
    }

    /// A connection of the pool, for reads outside a transaction.
    async fn connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, WorkflowError> {
        let acquired = self.db.pool().acquire().await;
        Ok(acquired.map_err(|source| DbError::Sqlx { context: "acquiring connection", source })?)
    }

    /// Instances, newest first.
    #[tracing::instrument(skip(self))]
    pub async fn instances(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<InstanceRow>, WorkflowError> {
        Ok(store::list_instances(&self.db, status, limit).await?)
    }

    /// Tasks of a pool (role within agency), by status.
    #[tracing::instrument(skip(self))]
    pub async fn tasks(
        &self,
        role: Option<&str>,
        agency: Option<&str>,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TaskRow>, WorkflowError> {
        let filter = TaskFilter { role, agency, status, instance: None };
        Ok(store::find_tasks(&self.db, filter, limit).await?)
    }

    /// The newest instance started for a business object (a dossier code), with its tasks
    /// and history.
    #[tracing::instrument(skip(self))]
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
    #[tracing::instrument(skip(self))]
    pub async fn open_tasks_for_roles(
        &self,
        roles: &[&str],
        limit: i64,
    ) -> Result<Vec<(TaskRow, Option<String>)>, WorkflowError> {
        Ok(store::open_tasks_for_roles(&self.db, roles, limit).await?)
    }

    /// Whether the person doing a task of an instance decides where the process goes next.
    pub async fn decides_after(&self, definition_id: i64, node: &str) -> bool {
        self.model(definition_id).await.is_ok_and(|p| p.decides_after(node))
    }

    /// One task.
    #[tracing::instrument(skip(self))]
    pub async fn task(&self, id: i64) -> Result<Option<TaskRow>, WorkflowError> {
        let mut conn = self
            .db
            .pool()
            .acquire()
            .await
            .map_err(|source| DbError::Sqlx { context: "acquiring a connection", source })?;
        Ok(store::get_task(&mut conn, id).await?)
    }

    /// The business key of an instance.
    pub async fn business_key_of(&self, instance_id: i64) -> Result<Option<String>, WorkflowError> {
        Ok(self.instance(instance_id).await?.instance.business_key)
    }

    /// The diagram of an instance: open tasks highlighted, passed steps marked.
    #[tracing::instrument(skip(self))]
    pub async fn instance_diagram(&self, id: i64) -> Result<String, WorkflowError> {
        self.diagram_of(&self.instance(id).await?).await
    }

    /// The diagram of an instance already read.
    pub async fn diagram_of(&self, d: &InstanceDetail) -> Result<String, WorkflowError> {
        let p = self.model(d.instance.definition_id).await?;
        let active: Vec<String> =
            d.tasks.iter().filter(|t| t.status == "open").map(|t| t.node_id.clone()).collect();
        let reached: Vec<String> = d.history.iter().map(|h| h.node_id.clone()).collect();
        let took: Vec<String> = d
            .history
            .iter()
            .filter(|h| h.event == "took")
            .filter_map(|h| h.detail.clone())
            .collect();
        let (taken, done) = crate::svg::path_taken(&p, &reached, &took, &active);
        Ok(crate::svg::render(&p, &active, &done, &taken))
    }
}

//! BPMN errors thrown by workers (the job API's `bpmn-error`): caught by an error boundary
//! event on the external task — the task is interrupted and the token takes the event's
//! path, in one transaction — or on an enclosing stage (everything inside it ends), or,
//! with nothing to catch it, the job becomes an incident
//! naming the code, as Zeebe does with an uncaught error.

use cqdt_audit::AuditEvent;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::batch::Step;
use super::walk::Logged;
use super::{WorkflowError, WorkflowService};
use crate::store::{self, InstanceRow, JobRow};

/// What became of a BPMN error a worker threw.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ThrownError {
    /// Whether an error boundary event caught it (the instance moved on along its path).
    pub caught: bool,
    /// The boundary event that caught it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub boundary: Option<String>,
    /// The instance after the step, when caught.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<InstanceRow>,
    /// Tasks the step opened, when caught.
    pub opened: Vec<i64>,
    /// The job, now an incident naming the code, when nothing caught it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<JobRow>,
}

impl ThrownError {
    pub(crate) fn uncaught(job: JobRow) -> ThrownError {
        ThrownError {
            caught: false,
            boundary: None,
            instance: None,
            opened: Vec::new(),
            job: Some(job),
        }
    }
}

impl WorkflowService {
    /// Catches a worker's error at an error boundary event of its task, if the diagram has
    /// one for `code`: the worker must hold the job's lock; the task is interrupted (its
    /// job and timers go), `variables` reach the instance and the token takes the event's
    /// path. `None` when nothing catches it (nothing is changed then).
    pub(crate) async fn catch_error(
        &self,
        actor: &str,
        request_id: &str,
        worker: &str,
        id: i64,
        code: &str,
        variables: Map<String, Value>,
    ) -> Result<Option<(String, Step)>, WorkflowError> {
        let mut tx = self.db.begin().await?;
        let Some(task) = store::get_task(&mut tx, id).await? else {
            return Ok(None);
        };
        // Locked (PostgreSQL) like a step's batch, so that the two never cross.
        let Some(mut inst) = store::instances_by_ids(&mut tx, &[task.instance_id]).await?.pop()
        else {
            return Ok(None);
        };
        let p = self.model(inst.definition_id).await?;
        // On the task itself, else on the nearest enclosing stage that catches it.
        let (boundary, stage) = match p.error_boundary(&task.node_id, code) {
            Some(b) => (b, None),
            None => match p.error_catcher(&task.node_id, code) {
                Some((stage, b)) => (b, Some(stage)),
                None => return Ok(None),
            },
        };
        let now = self.now();
        let held = store::jobs_by_ids(&mut tx, &[id])
            .await?
            .pop()
            .is_some_and(|j| j.held_by(worker, &now));
        if !held || inst.status != "active" || task.status != "open" {
            return Err(WorkflowError::Conflict(format!(
                "worker “{worker}” không giữ khóa của việc {id} (chưa nhận, đã hết hạn, do worker khác giữ hoặc quy trình không còn chạy)"
            )));
        }
        // Caught on a stage, the task ends with everything else inside it (`interrupts`).
        if stage.is_none() {
            store::close_task(&mut tx, id, "cancelled", actor, &now).await?;
            store::cancel_timers_of(&mut tx, &[id]).await?;
            store::delete_jobs(&mut tx, &[id]).await?;
        }
        inst.variables.extend(variables);
        let detail = format!("lỗi “{code}” từ worker {worker}, bắt tại {}", boundary.id);
        let next = self.targets(&p, &boundary.outgoing);
        let why = Logged {
            node: &task.node_id,
            event: "error_caught",
            detail: Some(detail),
            interrupts: stage,
        };
        let opened = self.step_alone(&mut tx, &p, &mut inst, next, actor, why, &now).await?;
        let event = AuditEvent::new(actor, "workflow.job.bpmn_error", "job")
            .object(id.to_string())
            .request(request_id)
            .details(json!({"worker": worker, "code": code, "caught_by": boundary.id}));
        self.audit.record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Some((boundary.id.clone(), Step { instance: inst, opened })))
    }
}

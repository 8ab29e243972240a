//! The back office's view of dossiers: which dossiers an official may see (their agencies',
//! and those whose process gave them work), the queues by status, and the process tasks of
//! a dossier's processing (liên thông across agencies).

use chrono::NaiveDate;
use cqdt_platform::{Principal, Role};
use serde_json::json;

use super::deadlines::{deadline, Deadline};
use super::{field_error, DossierService, DossierView};
use crate::error::DossierError;
use crate::model::{Dossier, DossierStatus};
use crate::store;

/// Roles that work on dossiers in the back office.
pub(super) const OFFICE: [Role; 5] =
    [Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader, Role::Clerk, Role::Auditor];

/// The e-form's values as process variables: numbers as numbers, the rest as text.
pub(super) fn process_form(
    p: &cqdt_procedures::model::Procedure,
    form: &serde_json::Value,
) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for f in &p.form {
        let Some(v) = form.get(&f.key) else { continue };
        let v = match (f.kind, v.as_str()) {
            (cqdt_procedures::model::FieldType::Number, Some(t)) => t
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| v.clone()),
            _ => v.clone(),
        };
        out.insert(f.key.clone(), v);
    }
    serde_json::Value::Object(out)
}

/// A process task's candidate roles: the workflow stores several comma-separated
/// (`candidateGroups="a, b"`); names that are no platform role give no one the task.
pub fn task_roles(t: &cqdt_workflow::store::TaskRow) -> Vec<Role> {
    t.role.as_deref().unwrap_or("").split(',').filter_map(Role::parse).collect()
}

/// The Vietnamese names of a task's candidate roles, as pages show them.
pub fn task_role_label(t: &cqdt_workflow::store::TaskRow) -> String {
    task_roles(t).iter().map(|r| r.label()).collect::<Vec<_>>().join(", ")
}

/// Whether an official may do a process task: any of its roles within its agency.
pub fn task_allows(who: &Principal, t: &cqdt_workflow::store::TaskRow) -> bool {
    t.agency.as_deref().is_some_and(|agency| who.can_any(&task_roles(t), agency))
}

/// The process variable holding the opinion given when task `id` was done.
pub fn opinion_key(id: i64) -> String {
    format!("note_{id}")
}

/// The opinion an official gave on a done task; instances from before opinions were keyed
/// by task kept one per element (`note_<element id>`), which is the task's only when the
/// element ran once.
pub fn task_opinion(
    p: &cqdt_workflow::InstanceDetail,
    t: &cqdt_workflow::store::TaskRow,
) -> String {
    let vars = &p.instance.variables;
    let by_task = vars.get(&opinion_key(t.id));
    let by_element = || {
        let once = p.tasks.iter().filter(|o| o.node_id == t.node_id).count() == 1;
        vars.get(&format!("note_{}", t.node_id)).filter(|_| once)
    };
    by_task.or_else(by_element).and_then(|v| v.as_str()).unwrap_or("").to_string()
}

/// A process task in an official's work list.
#[derive(Debug, Clone)]
pub struct WorkItem {
    /// The task.
    pub task: cqdt_workflow::store::TaskRow,
    /// The dossier it is for.
    pub dossier_code: String,
    /// How it stands against its own due date.
    pub deadline: Deadline,
}

impl DossierService {
    pub(super) async fn submitted(&self, code: &str) -> Result<Dossier, DossierError> {
        store::get(self.db.pool(), code.trim())
            .await?
            .filter(|d| d.code.is_some() && d.status != DossierStatus::Draft)
            .ok_or_else(|| DossierError::NotFound(code.chars().take(80).collect()))
    }

    /// A dossier as an official in whose scope it is sees it.
    #[tracing::instrument(skip(self, who))]
    pub async fn view_for_official(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<DossierView, DossierError> {
        let d = self.in_scope(who, code).await?;
        self.view_of(d).await
    }

    /// A file of a dossier in the official's scope (an attachment, a supplied paper or a
    /// result), by its content hash: its name, media type and bytes.
    #[tracing::instrument(skip(self, who))]
    pub async fn file_for_official(
        &self,
        who: &Principal,
        code: &str,
        sha256: &str,
    ) -> Result<(String, String, Vec<u8>), DossierError> {
        let view = self.view_for_official(who, code).await?;
        let attached = view.files.iter().map(|f| (&f.sha256, &f.file_name, &f.media_type));
        let results = view.results.iter().map(|r| (&r.sha256, &r.file_name, &r.media_type));
        let (_, name, media_type) = attached
            .chain(results)
            .find(|(sha, _, _)| sha.as_str() == sha256)
            .ok_or_else(|| {
                DossierError::NotFound(format!(
                    "{code}/{}",
                    sha256.chars().take(64).collect::<String>()
                ))
            })?;
        let (_, bytes) =
            self.files.get(sha256).await.map_err(|e| DossierError::Internal(e.to_string()))?;
        Ok((name.clone(), media_type.clone(), bytes))
    }

    /// A submitted dossier of an agency in the official's scope; outside it the dossier
    /// does not exist for them (so codes cannot be probed across agencies).
    pub(super) async fn in_scope(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Dossier, DossierError> {
        let d = self.submitted(code).await?;
        if who.can_any(&OFFICE, &d.agency_code) {
            return Ok(d);
        }
        // Officials of another agency see a dossier whose process gave them work (liên thông).
        if let Some(code) = &d.code {
            if let Some(p) = self.process(code).await? {
                if p.tasks.iter().any(|t| task_allows(who, t)) {
                    return Ok(d);
                }
            }
        }
        // Outside the official's scope it does not exist for them.
        super::not_theirs(&who.account_id, code, &d).await;
        Err(DossierError::NotFound(code.chars().take(80).collect()))
    }

    /// The process instance of a dossier, if its processing started one.
    pub(super) async fn process(
        &self,
        code: &str,
    ) -> Result<Option<cqdt_workflow::service::InstanceDetail>, DossierError> {
        self.workflow.instance_for(code).await.map_err(|e| DossierError::Internal(e.to_string()))
    }

    /// The process of a dossier as an official in scope sees it: tasks and history.
    #[tracing::instrument(skip(self, who))]
    pub async fn process_for_official(
        &self,
        who: &Principal,
        code: &str,
    ) -> Result<Option<cqdt_workflow::service::InstanceDetail>, DossierError> {
        let d = self.in_scope(who, code).await?;
        match &d.code {
            Some(c) => self.process(c).await,
            None => Ok(None),
        }
    }

    /// A dossier's process drawn as SVG, the open steps highlighted (empty if it cannot be).
    #[tracing::instrument(skip_all)]
    pub async fn process_diagram(&self, p: &cqdt_workflow::InstanceDetail) -> String {
        self.workflow.diagram_of(p).await.unwrap_or_default()
    }

    /// Whether the official doing a task decides where the process goes (approve or send
    /// back).
    #[tracing::instrument(skip_all)]
    pub async fn task_decides(&self, p: &cqdt_workflow::InstanceDetail, node: &str) -> bool {
        self.workflow.decides_after(p.instance.definition_id, node).await
    }

    /// The open process tasks an official may do, oldest first, with the dossier code.
    #[tracing::instrument(skip_all)]
    pub async fn work_for(&self, who: &Principal) -> Result<Vec<WorkItem>, DossierError> {
        let roles: Vec<&str> =
            OFFICE.iter().filter(|r| who.has_role(**r)).map(|r| r.as_str()).collect();
        let tasks = self
            .workflow
            .open_tasks_for_roles(&roles, 2000)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?;
        let cal = self.calendar.calendar();
        let today = self.clock.today();
        Ok(tasks
            .into_iter()
            .filter(|(t, _)| task_allows(who, t))
            .filter_map(|(task, key)| {
                let due = task
                    .due_date
                    .as_deref()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
                Some(WorkItem {
                    deadline: deadline(&cal, today, DossierStatus::Processing, due),
                    dossier_code: key?,
                    task,
                })
            })
            .take(500)
            .collect())
    }

    /// An official completes a task of a dossier's process with their opinion; the process
    /// moves on to the next agency, department or person.
    #[tracing::instrument(skip(self, who, note))]
    pub async fn complete_task(
        &self,
        who: &Principal,
        code: &str,
        task_id: i64,
        note: &str,
        approve: bool,
    ) -> Result<(), DossierError> {
        let d = self.in_scope(who, code).await?;
        let Some(p) = self.process(d.code.as_deref().unwrap_or(code)).await? else {
            return Err(DossierError::NotFound(format!("công việc {task_id}")));
        };
        let Some(task) = p.tasks.iter().find(|t| t.id == task_id) else {
            return Err(DossierError::NotFound(format!("công việc {task_id}")));
        };
        if !task_allows(who, task) {
            return Err(DossierError::Forbidden(format!(
                "Công việc “{}” dành cho cán bộ khác.",
                task.name
            )));
        }
        if task.status != "open" {
            return Err(DossierError::Conflict(format!(
                "Công việc “{}” đã được hoàn thành.",
                task.name
            )));
        }
        if note.chars().count() > 2000 {
            return Err(DossierError::Invalid(vec![field_error(
                "note",
                "Ý kiến tối đa 2000 ký tự.",
            )]));
        }
        let mut vars = serde_json::Map::new();
        let decides = self.workflow.decides_after(p.instance.definition_id, &task.node_id).await;
        if !approve && !decides {
            return Err(DossierError::Conflict(format!(
                "Bước “{}” không có đường trả lại trong quy trình.",
                task.name
            )));
        }
        vars.insert("decision".into(), json!(if approve { "dong_y" } else { "tra_lai" }));
        if !note.trim().is_empty() {
            // Keyed by the task, not its element, so a step done twice (sent back and done
            // again) keeps both opinions for the dossier's history.
            vars.insert(opinion_key(task.id), json!(note.trim()));
        }
        self.workflow.complete(&who.actor, "", task_id, vars).await.map_err(|e| match e {
            cqdt_workflow::service::WorkflowError::Conflict(m) => DossierError::Conflict(m),
            other => DossierError::Internal(other.to_string()),
        })?;
        Ok(())
    }

    /// Online dossiers in a status within the official's scope, oldest first (the
    /// reception queue when `status` is submitted).
    #[tracing::instrument(skip(self, who))]
    pub async fn queue(
        &self,
        who: &Principal,
        status: DossierStatus,
    ) -> Result<Vec<Dossier>, DossierError> {
        let office = [Role::ReceptionOfficer, Role::ProcessingOfficer, Role::Leader];
        Ok(store::by_status(self.db.pool(), status, 2000)
            .await?
            .into_iter()
            .filter(|d| who.can_any(&office, &d.agency_code))
            .take(500)
            .collect())
    }
}

//! Message correlation: a reply from another agency or a citizen's supplement resumes the
//! instance waiting for it (a receive task or message catch event), as Camunda's
//! `POST /message` does. A message names what it is and which instance it is for: the
//! correlation key of a Zeebe subscription, the instance's business key (a dossier code) or
//! its id. No waiting instance is a 404; two are a conflict (nothing is guessed). Each
//! message carries an id: delivered again, it answers as the first time and changes nothing.

use serde_json::{Map, Value};

use std::collections::HashMap;

use super::batch::{By, Command, Complete, Start, Step};
use super::{WorkflowError, WorkflowService};
use crate::store::{self, InstanceRow, Selector};

/// A message to correlate.
#[derive(Debug, Clone)]
pub struct Message {
    /// Its name, as the diagram's `message` element names it.
    pub name: String,
    /// The sender's id for it: the same id again has no second effect.
    pub id: String,
    /// Which instance it is for.
    pub to: Recipient,
    /// Merged into the instance's variables.
    pub variables: Map<String, Value>,
}

/// Which instance a message is for.
#[derive(Debug, Clone)]
pub enum Recipient {
    /// The correlation key value (a Zeebe subscription's).
    Key(String),
    /// The instance's business key (a dossier code).
    BusinessKey(String),
    /// The instance.
    Instance(i64),
}

/// What a message did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Correlated {
    /// The wait it ended (a task id); none when it started the instance (a message start
    /// event).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub task_id: Option<i64>,
    /// Whether this message id had been correlated before (nothing was done again).
    pub duplicate: bool,
    /// The instance after it.
    pub instance: InstanceRow,
    /// Tasks the step opened.
    pub opened: Vec<i64>,
}

fn text(value: &str, what: &str) -> Result<String, WorkflowError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > 200 || v.chars().any(char::is_control) {
        return Err(WorkflowError::BadRequest(format!("{what}: từ 1 đến 200 ký tự, một dòng.")));
    }
    Ok(v.to_string())
}

impl WorkflowService {
    /// Correlates a message to the one instance waiting for it and moves that instance on.
    #[tracing::instrument(skip(self, actor, request_id, message), fields(name = %message.name))]
    pub async fn correlate(
        &self,
        actor: &str,
        request_id: &str,
        message: Message,
    ) -> Result<Correlated, WorkflowError> {
        let name = text(&message.name, "name")?;
        let id = text(&message.id, "message_id")?;
        if let Some(done) = self.correlated_before(&id, &name).await? {
            return Ok(done);
        }
        let (selector, said) = match &message.to {
            Recipient::Key(k) => {
                let k = text(k, "correlation_key")?;
                (k.clone(), format!("khóa đối chiếu “{k}”"))
            }
            Recipient::BusinessKey(k) => {
                let k = text(k, "business_key")?;
                (k.clone(), format!("hồ sơ “{k}”"))
            }
            Recipient::Instance(i) => (i.to_string(), format!("quy trình {i}")),
        };
        let select = match &message.to {
            Recipient::Key(_) => Selector::Key(&selector),
            Recipient::BusinessKey(_) => Selector::BusinessKey(&selector),
            Recipient::Instance(i) => Selector::Instance(*i),
        };
        let waiting = store::waiting_for(&self.db, &name, select).await?;
        let task_id = match waiting.as_slice() {
            // Nothing waits: a process whose start event waits for this message starts, for
            // the dossier named (as Camunda correlates to a message start event last).
            [] => {
                let (Recipient::BusinessKey(key), Some(key_name)) =
                    (&message.to, self.started_by(&name).await?)
                else {
                    return Err(WorkflowError::NotFound(format!(
                        "quy trình nào đang chờ thông điệp “{name}” cho {said}"
                    )));
                };
                let mut start = Start::new(actor, &key_name)
                    .request(request_id)
                    .business_key(Some(key))
                    .variables(message.variables);
                start.message = Some((id.clone(), name.clone()));
                return match self.submit(Command::Start(start)).await {
                    Ok(Step { instance, opened }) => {
                        Ok(Correlated { task_id: None, duplicate: false, instance, opened })
                    }
                    Err(e) => match self.correlated_before(&id, &name).await? {
                        Some(done) => Ok(done),
                        None => Err(e),
                    },
                };
            }
            [one] => *one,
            _ => {
                return Err(WorkflowError::Conflict(format!(
                    "nhiều quy trình đang chờ thông điệp “{name}” cho {said}; gửi kèm mã quy trình (instance_id)"
                )))
            }
        };
        let by = By::Message { id: id.clone(), name: name.clone() };
        let command = Complete {
            actor: actor.to_string(),
            request_id: request_id.to_string(),
            task_id,
            variables: message.variables,
            by,
        };
        match self.submit(Command::Complete(command)).await {
            Ok(Step { instance, opened }) => {
                Ok(Correlated { task_id: Some(task_id), duplicate: false, instance, opened })
            }
            // The same message delivered twice at once: the first ended the wait.
            Err(e) => match self.correlated_before(&id, &name).await? {
                Some(done) => Ok(done),
                None => Err(e),
            },
        }
    }

    /// The answer to a message id already correlated; a different message under the same id
    /// is a conflict.
    async fn correlated_before(
        &self,
        id: &str,
        name: &str,
    ) -> Result<Option<Correlated>, WorkflowError> {
        let Some(m) = store::message_by_id(&self.db, id).await? else {
            return Ok(None);
        };
        if m.name != name {
            return Err(WorkflowError::Conflict(format!(
                "mã thông điệp “{id}” đã dùng cho thông điệp “{}”",
                m.name
            )));
        }
        let instance = self.instance(m.instance_id).await?.instance;
        let task_id = (m.task_id != 0).then_some(m.task_id);
        Ok(Some(Correlated { task_id, duplicate: true, instance, opened: Vec::new() }))
    }

    /// The process (its key) whose newest version starts on message `name`; two such
    /// processes are a conflict (nothing is guessed).
    async fn started_by(&self, name: &str) -> Result<Option<String>, WorkflowError> {
        let mut newest: HashMap<String, (i64, i64)> = HashMap::new();
        for d in self.definitions().await? {
            let e = newest.entry(d.key.clone()).or_insert((d.version, d.id));
            if d.version > e.0 {
                *e = (d.version, d.id);
            }
        }
        let mut found = Vec::new();
        for (key, (_, id)) in newest {
            if self.model(id).await?.start_message() == Some(name) {
                found.push(key);
            }
        }
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            many => Err(WorkflowError::Conflict(format!(
                "thông điệp “{name}” bắt đầu nhiều quy trình ({}); mỗi thông điệp chỉ được bắt đầu một quy trình",
                many.join(", ")
            ))),
        }
    }
}

//! Message correlation over HTTP: another agency's system, the LGSP or the portal (a
//! citizen's supplement) resumes the instance waiting for a message.

use axum::extract::State;
use axum::Json;
use cqdt_platform::{Admin, RequestId};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::WorkflowState;
use crate::service::{Correlated, Message, Recipient, WorkflowError};
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable, UnsupportedMediaType,
};

/// A message to correlate: its name and id, and exactly one of `correlation_key`,
/// `business_key` and `instance_id` saying which instance it is for.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MessageBody {
    /// The message's name, as the diagram's `message` element names it.
    pub name: String,
    /// The sender's id for this message: sent again, it has no second effect.
    pub message_id: String,
    /// The correlation key value (a Zeebe subscription's correlationKey).
    #[serde(default)]
    pub correlation_key: Option<String>,
    /// The instance's business key (a dossier code).
    #[serde(default)]
    pub business_key: Option<String>,
    /// The instance's id.
    #[serde(default)]
    pub instance_id: Option<i64>,
    /// Merged into the instance's variables.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub variables: Map<String, Value>,
}

/// Correlate a message to the instance waiting for it
#[utoipa::path(post, path = "/api/v1/workflow/messages", tag = "workflow", operation_id = "workflow_message",
    request_body(content = MessageBody),
    responses(
        (status = 200, description = "The wait it ended and the instance after it (duplicate: the same message id again, nothing done twice)", body = Correlated),
        BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn correlate_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<WorkflowState>,
    Json(b): Json<MessageBody>,
) -> Result<Json<Correlated>, WorkflowError> {
    let to = match (b.correlation_key, b.business_key, b.instance_id) {
        (Some(k), None, None) => Recipient::Key(k),
        (None, Some(k), None) => Recipient::BusinessKey(k),
        (None, None, Some(i)) => Recipient::Instance(i),
        _ => {
            return Err(WorkflowError::BadRequest(
                "Nêu đúng một trong correlation_key, business_key, instance_id.".into(),
            ))
        }
    };
    let message = Message { name: b.name, id: b.message_id, to, variables: b.variables };
    Ok(Json(s.workflow.correlate(&admin.name, &rid, message).await?))
}

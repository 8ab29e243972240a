//! The asynchronous exchange over HTTP, for member systems with their `lgsp` token: send a
//! message to another system, follow its status; read one's own queue, fetch a body, report.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cqdt_platform::openapi::{AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable};
use cqdt_platform::ApiQuery;
use serde::Deserialize;

use super::{ConsumerSystem, LgspState};
use crate::exchange::{Message, MessageStatus};
use crate::model::{LgspError, Subsystem};

/// The calling system, which must be a member's (from the registry's snapshot: no query).
async fn caller(s: &LgspState, client_id: &str) -> Result<Subsystem, LgspError> {
    s.gateway.snapshot().await?.consumer(client_id).cloned().ok_or_else(|| {
        LgspError::Forbidden(format!(
            "Ứng dụng “{client_id}” chưa được đăng ký là hệ thống của thành viên nào trên trục LGSP."
        ))
    })
}

/// Where a message goes.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct SendQuery {
    /// The receiving system, `member/system` (e.g. `000.00.03.H51/ho-tich`).
    to: String,
}

/// Send a message to another member system (stored, then pulled by the recipient)
#[utoipa::path(post, path = "/api/v1/lgsp/messages", tag = "lgsp", operation_id = "lgsp_send_message",
    params(SendQuery, ("X-Lgsp-Message-Id" = String, Header, description = "The sender's own id for the message (1–200 visible ASCII characters); the same id sent again has no second effect")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The body, any media type (Content-Type is kept), at most 10 MiB"),
    responses(
        (status = 202, description = "Accepted and stored for the recipient", body = Message),
        (status = 200, description = "The same message was accepted before; nothing changed", body = Message),
        BadRequest, NotFound, Conflict, Unprocessable, AdminRefusal,
    ),
    security(("bearer" = [])))]
pub(super) async fn send(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
    ApiQuery(q): ApiQuery<SendQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, LgspError> {
    let sender = caller(&s, &client_id).await?;
    let message_id = headers.get("x-lgsp-message-id").and_then(|v| v.to_str().ok()).unwrap_or("");
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    let to = q.to.trim();
    let recipient = s.gateway.snapshot().await?.system(to).cloned().ok_or_else(|| {
        LgspError::NotFound(format!("Không có hệ thống nhận “{to}” trên trục LGSP."))
    })?;
    let (m, new) = s.exchange.send(&sender, &recipient, message_id, content_type, &body).await?;
    let status = if new { StatusCode::ACCEPTED } else { StatusCode::OK };
    Ok((status, Json(m)).into_response())
}

/// A message this system sent or receives, with its status
#[utoipa::path(get, path = "/api/v1/lgsp/messages/{id}", tag = "lgsp", operation_id = "lgsp_message",
    params(("id" = String, Path, description = "The platform's message id")),
    responses((status = 200, description = "The message (without its body)", body = Message), NotFound, AdminRefusal),
    security(("bearer" = [])))]
pub(super) async fn message(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Json<Message>, LgspError> {
    let me = caller(&s, &client_id).await?;
    Ok(Json(s.exchange.message(&me, &id).await?))
}

/// How many messages.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct InboxQuery {
    /// Most messages, 1–1000 (100).
    limit: Option<i64>,
}

/// This system's queue: messages not yet reported on, oldest first
#[utoipa::path(get, path = "/api/v1/lgsp/inbox", tag = "lgsp", operation_id = "lgsp_inbox",
    params(InboxQuery),
    responses((status = 200, description = "Waiting messages, oldest first", body = Vec<Message>), BadRequest, Unprocessable, AdminRefusal),
    security(("bearer" = [])))]
pub(super) async fn inbox(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> Result<Json<Vec<Message>>, LgspError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(LgspError::field("limit", "Số thông điệp từ 1 đến 1000."));
    }
    let me = caller(&s, &client_id).await?;
    Ok(Json(s.exchange.inbox(&me, limit).await?))
}

/// A received message's body, exactly as sent
#[utoipa::path(get, path = "/api/v1/lgsp/inbox/{id}/content", tag = "lgsp", operation_id = "lgsp_message_content",
    params(("id" = String, Path, description = "The platform's message id")),
    responses((status = 200, description = "The body, with the Content-Type it was sent with", content_type = "application/octet-stream", body = Vec<u8>), NotFound, AdminRefusal),
    security(("bearer" = [])))]
pub(super) async fn content(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Response, LgspError> {
    let me = caller(&s, &client_id).await?;
    let (m, body) = s.exchange.body(&me, &id).await?;
    let mut res = body.into_response();
    if let Ok(v) = header::HeaderValue::from_str(&m.content_type) {
        res.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    Ok(res)
}

/// What the recipient did with a message.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ReportBody {
    /// `received`, `processed` or `failed`.
    pub status: String,
    /// Why (required for `failed`), at most 1000 characters.
    #[serde(default)]
    pub note: String,
}

/// Report on a received message: received, processed, or failed with the reason
#[utoipa::path(post, path = "/api/v1/lgsp/inbox/{id}/status", tag = "lgsp", operation_id = "lgsp_report_message",
    params(("id" = String, Path, description = "The platform's message id")),
    request_body(content = ReportBody),
    responses((status = 200, description = "The message after the report (the same answer again for a repeated report)", body = Message), BadRequest, NotFound, Conflict, Unprocessable, AdminRefusal),
    security(("bearer" = [])))]
pub(super) async fn report(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
    Path(id): Path<String>,
    Json(b): Json<ReportBody>,
) -> Result<Json<Message>, LgspError> {
    let to = match MessageStatus::parse(b.status.trim()) {
        Some(st) if !matches!(st, MessageStatus::Queued | MessageStatus::Dead) => st,
        _ => return Err(LgspError::field("status", "Báo cáo là received, processed hoặc failed.")),
    };
    let me = caller(&s, &client_id).await?;
    Ok(Json(s.exchange.report(&me, &id, to, &b.note).await?))
}

/// Send a message of this system's from the dead letter again (queued anew, pushed again)
#[utoipa::path(post, path = "/api/v1/lgsp/messages/{id}/redeliver", tag = "lgsp", operation_id = "lgsp_redeliver_message",
    params(("id" = String, Path, description = "The platform's message id")),
    responses((status = 200, description = "The message, queued again", body = Message), NotFound, Conflict, AdminRefusal),
    security(("bearer" = [])))]
pub(super) async fn redeliver(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Json<Message>, LgspError> {
    let me = caller(&s, &client_id).await?;
    Ok(Json(s.exchange.redeliver(&me, &id).await?))
}

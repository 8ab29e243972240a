//! The bodies the message log keeps for a service: listed for its provider's administrator,
//! and each read back (audited, checked against the log's digest) as a download — never shown
//! inline, since it is whatever a consumer or provider sent.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use cqdt_platform::openapi::{AdminRefusal, Conflict, NotFound};
use cqdt_platform::RequestId;

use super::{LgspState, Steward};
use crate::bodies::{BodySide, KeptBody};
use crate::model::LgspError;

/// The latest bodies a service kept, newest first (their sizes and exchanges, not their content)
#[utoipa::path(get, path = "/api/v1/lgsp/services/{id}/bodies", tag = "lgsp", operation_id = "lgsp_kept_bodies",
    params(("id" = String, Path, description = "The service's id")),
    responses((status = 200, description = "Kept bodies", body = Vec<KeptBody>), NotFound, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn kept(
    Steward(actor): Steward,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<KeptBody>>, LgspError> {
    let (service, _) = s.registry.service(&id).await?;
    actor.require(&service.member_code)?;
    let key = format!("{}/{}", service.member_code, service.code);
    Ok(Json(s.registry.kept_bodies(&key, 200).await?))
}

/// One kept body, as it passed the gateway (audited; refused when it does not match the message log's digest)
#[utoipa::path(get, path = "/api/v1/lgsp/log/{seq}/bodies/{side}", tag = "lgsp", operation_id = "lgsp_kept_body",
    params(
        ("seq" = i64, Path, description = "The record's position in the message log"),
        ("side" = String, Path, description = "`request` or `response`"),
    ),
    responses((status = 200, description = "The body, with the Content-Type it was sent with, as an attachment", content_type = "application/octet-stream", body = Vec<u8>), NotFound, Conflict, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn body(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path((seq, side)): Path<(String, String)>,
) -> Result<Response, LgspError> {
    let seq: i64 = seq.parse().map_err(|_| {
        LgspError::NotFound(format!("“{seq}” không phải số thứ tự trong nhật ký trao đổi."))
    })?;
    let side = BodySide::parse(&side).ok_or_else(|| {
        LgspError::NotFound(format!("“{side}” không phải nội dung gửi hay nội dung trả lời."))
    })?;
    let opened = s.registry.read_body(&actor, &rid, seq, side).await?;
    let content_type = opened
        .content_type
        .as_deref()
        .and_then(|t| HeaderValue::from_str(t).ok())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let name = format!("attachment; filename=\"lgsp-{seq}-{}.bin\"", side.as_str());
    let mut res = opened.data.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, content_type);
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

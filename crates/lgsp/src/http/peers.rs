//! Peer platforms (federation): registered by the platform's administrator, listed for the
//! registry's stewards.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable, UnsupportedMediaType,
};
use cqdt_platform::RequestId;

use super::{LgspState, Steward};
use crate::federation::{Peer, PeerDraft};
use crate::model::{LgspError, Service};

/// Which of a peer's services.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub struct PeerServiceBody {
    /// The providing member's code, as at the peer.
    pub member_code: String,
    /// The service's code, as at the peer.
    pub code: String,
}

/// Register a peer's service here (or bring it up to date) from the peer's metadata services
#[utoipa::path(post, path = "/api/v1/lgsp/peers/{code}/services", tag = "lgsp", operation_id = "lgsp_import_peer_service",
    params(("code" = String, Path, description = "The peer's code")),
    request_body(content = PeerServiceBody),
    responses((status = 201, description = "The service, reached at the peer's gateway", body = Service), BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn import_service(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path(code): Path<String>,
    Json(b): Json<PeerServiceBody>,
) -> Result<(StatusCode, Json<Service>), LgspError> {
    let service = s
        .gateway
        .import_from_peer(&actor, &rid, &code, b.member_code.trim(), b.code.trim())
        .await?;
    Ok((StatusCode::CREATED, Json(service)))
}

/// Connect another platform (the national NDXP, another province) as a peer (platform administrator)
#[utoipa::path(post, path = "/api/v1/lgsp/peers", tag = "lgsp", operation_id = "lgsp_add_peer",
    request_body(content = PeerDraft),
    responses((status = 201, description = "The peer (its client secret is kept sealed, never shown)", body = Peer), BadRequest, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn add_peer(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Json(d): Json<PeerDraft>,
) -> Result<(StatusCode, Json<Peer>), LgspError> {
    Ok((StatusCode::CREATED, Json(s.registry.add_peer(&actor, &rid, &d).await?)))
}

/// Disconnect a peer platform (platform administrator; refused while services here are its)
#[utoipa::path(delete, path = "/api/v1/lgsp/peers/{code}", tag = "lgsp", operation_id = "lgsp_remove_peer",
    params(("code" = String, Path, description = "The peer's code")),
    responses((status = 204, description = "Disconnected"), NotFound, Conflict, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn remove_peer(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path(code): Path<String>,
) -> Result<StatusCode, LgspError> {
    s.registry.remove_peer(&actor, &rid, &code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The peer platforms
#[utoipa::path(get, path = "/api/v1/lgsp/peers", tag = "lgsp", operation_id = "lgsp_peers",
    responses((status = 200, description = "Peers, by code", body = Vec<Peer>), AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn peers(
    _s: Steward,
    State(s): State<LgspState>,
) -> Result<Json<Vec<Peer>>, LgspError> {
    Ok(Json(s.registry.peers().await?))
}

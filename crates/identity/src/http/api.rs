//! The administrators' JSON API for OAuth clients and signing keys (problem+json errors).
//! The bootstrap administrator (HTTP Basic) or a platform administrator (session cookie or
//! bearer token) may use it: the security schemes `cqdt_platform::openapi::{BASIC, SESSION,
//! BEARER}`, written as literals because `utoipa::path` takes no constants there.

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cqdt_platform::auth::{scope_rule, ApiScope};
use cqdt_platform::{Admin, HttpError, Problem, RequestId};
use serde::Serialize;

use super::IdentityState;
use crate::error::IdentityError;
use crate::model::{NewClient, OAuthClient, SigningKeyInfo};
use cqdt_platform::openapi::{AdminRefusal, BadRequest, NotFound, Unprocessable};

pub(super) fn routes() -> Router<IdentityState> {
    Router::new()
        .route("/api/v1/identity/clients", get(list_clients).post(add_client))
        .route("/api/v1/identity/clients/{id}/disable", post(disable_client))
        .route("/api/v1/identity/clients/{id}/enable", post(enable_client))
        .route("/api/v1/identity/clients/{id}/secret", post(rotate_secret))
        .route("/api/v1/identity/keys", get(list_keys))
        .route("/api/v1/identity/keys/rotate", post(rotate_key))
        .route_layer(scope_rule(ApiScope::Admin, ApiScope::Admin))
}

/// The registered clients.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct OAuthClientList {
    /// Every client, by name.
    clients: Vec<OAuthClient>,
}

/// A client just registered, with its secret (in this answer only).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct CreatedOAuthClient {
    /// The client.
    client: OAuthClient,
    /// The secret; `null` for a public client.
    client_secret: Option<String>,
}

/// A client's new secret (in this answer only).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct NewClientSecret {
    /// The client.
    client_id: String,
    /// Its new secret.
    client_secret: String,
}

/// The signing keys.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct SigningKeyList {
    /// Every key, newest first, public facts only.
    keys: Vec<SigningKeyInfo>,
}

/// A JSON answer that holds a secret: it must not be cached anywhere.
fn with_secret<T: Serialize>(status: StatusCode, body: T) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Registered OAuth clients.
#[utoipa::path(get, path = "/api/v1/identity/clients", tag = "identity",
    summary = "Registered OAuth clients",
    responses(
        (status = 200, description = "clients", body = OAuthClientList),
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn list_clients(
    State(s): State<IdentityState>,
    _admin: Admin,
) -> Result<Json<OAuthClientList>, IdentityError> {
    let clients = s.identity.list_clients().await?;
    Ok(Json(OAuthClientList { clients }))
}

/// Registers a client.
#[utoipa::path(post, path = "/api/v1/identity/clients", tag = "identity",
    summary = "Register an OAuth client (audited); the secret is in this answer only",
    request_body = NewClient,
    responses(
        (status = 201, description = "client and client_secret", body = CreatedOAuthClient),
        BadRequest, Unprocessable, AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn add_client(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    body: Result<Json<NewClient>, JsonRejection>,
) -> Result<Response, HttpError> {
    let Json(new) = body.map_err(|e| {
        Problem::bad_request(format!("Nội dung JSON không hợp lệ: {}", e.body_text()))
    })?;
    let created = s.identity.add_client(&admin.name, &request_id, &new).await?;
    let body = CreatedOAuthClient {
        client_secret: created.secret.as_ref().map(|s| s.expose().to_string()),
        client: created.client,
    };
    Ok(with_secret(StatusCode::CREATED, body))
}

/// Disables a client.
#[utoipa::path(post, path = "/api/v1/identity/clients/{id}/disable", tag = "identity",
    summary = "Disable a client (audited)",
    params(("id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "client", body = OAuthClient),
        NotFound, AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn disable_client(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Result<Json<OAuthClient>, IdentityError> {
    let client = s.identity.set_client_enabled(&admin.name, &request_id, &id, false).await?;
    Ok(Json(client))
}

/// Enables a client again.
#[utoipa::path(post, path = "/api/v1/identity/clients/{id}/enable", tag = "identity",
    summary = "Enable a client again (audited)",
    params(("id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "client", body = OAuthClient),
        NotFound, AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn enable_client(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Result<Json<OAuthClient>, IdentityError> {
    let client = s.identity.set_client_enabled(&admin.name, &request_id, &id, true).await?;
    Ok(Json(client))
}

/// Replaces a client's secret.
#[utoipa::path(post, path = "/api/v1/identity/clients/{id}/secret", tag = "identity",
    summary = "Replace a client's secret (audited); the new one is in this answer only",
    params(("id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "client_secret", body = NewClientSecret),
        NotFound, Unprocessable, AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn rotate_secret(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Result<Response, IdentityError> {
    let secret = s.identity.rotate_client_secret(&admin.name, &request_id, &id).await?;
    let body = NewClientSecret { client_secret: secret.expose().to_string(), client_id: id };
    Ok(with_secret(StatusCode::OK, body))
}

/// The signing keys.
#[utoipa::path(get, path = "/api/v1/identity/keys", tag = "identity",
    summary = "Signing keys (public facts only)",
    responses(
        (status = 200, description = "keys", body = SigningKeyList),
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn list_keys(
    State(s): State<IdentityState>,
    _admin: Admin,
) -> Result<Json<SigningKeyList>, IdentityError> {
    let keys = s.identity.signing_keys().await?;
    Ok(Json(SigningKeyList { keys }))
}

/// Makes a new active signing key.
#[utoipa::path(post, path = "/api/v1/identity/keys/rotate", tag = "identity",
    summary = "Make a new active signing key (audited)",
    responses(
        (status = 201, description = "the new key", body = SigningKeyInfo),
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn rotate_key(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
) -> Result<(StatusCode, Json<SigningKeyInfo>), IdentityError> {
    let key = s.identity.rotate_signing_key(&admin.name, &request_id).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

//! Identity routes: OpenID Connect discovery, JWKS, the OAuth token, introspection and
//! revocation endpoints (errors in the RFC 6749 JSON format, not problem+json), and the
//! administrators' JSON API for OAuth clients and signing keys (problem+json).

use std::collections::HashMap;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{FromRef, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::Engine;
use cqdt_platform::{Admin, Platform, Problem, RequestId};
use serde_json::json;

use crate::error::{IdentityError, OAuthErrorCode};
use crate::model::{NewClient, OAuthClient};
use crate::oauth::{AuthMethod, ClientCredentials, TokenRequest};
use crate::service::IdentityService;

mod admin;
pub(crate) mod pages;

/// Whether an agency code is in the agency catalog (the app keeps a refreshed snapshot).
pub type AgencyCheck = std::sync::Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// State of the identity routes.
#[derive(Clone)]
pub struct IdentityState {
    /// Platform core.
    pub platform: Platform,
    /// The identity provider.
    pub identity: IdentityService,
    /// The audit log, for the sign-in history page.
    pub audit: cqdt_audit::Audit,
    /// Agency codes known to the catalog.
    pub agency_exists: AgencyCheck,
}

/// Resolves the session cookie, or a bearer access token issued to a person, to the
/// principal the platform's extractors hand to every module.
impl cqdt_platform::SessionResolver for IdentityService {
    fn resolve<'a>(
        &'a self,
        parts: &'a axum::http::request::Parts,
    ) -> cqdt_platform::auth::ResolveFuture<'a> {
        Box::pin(async move {
            if let Some(cookie) = pages::session_cookie(&parts.headers) {
                if let Ok(Some(p)) = self.principal(&cookie).await {
                    return Some(p);
                }
            }
            let bearer = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))?;
            let claims = self.validate_access_token(bearer.trim()).await.ok()??;
            let account = self.account(&claims.sub).await.ok()??;
            if account.status != crate::account::AccountStatus::Active {
                return None;
            }
            self.principal_of(&account, &format!("token:{}", claims.jti))
                .await
                .ok()
        })
    }
}

impl FromRef<IdentityState> for Platform {
    fn from_ref(s: &IdentityState) -> Platform {
        s.platform.clone()
    }
}

/// The identity routes, ready to merge into the app.
pub fn router(state: IdentityState) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/token", post(token))
        .route("/oauth/introspect", post(introspect))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
        .route(
            "/api/v1/identity/clients",
            get(list_clients).post(add_client),
        )
        .route(
            "/api/v1/identity/clients/{id}/disable",
            post(disable_client),
        )
        .route("/api/v1/identity/clients/{id}/enable", post(enable_client))
        .route("/api/v1/identity/clients/{id}/secret", post(rotate_secret))
        .route("/api/v1/identity/keys", get(list_keys))
        .route("/api/v1/identity/keys/rotate", post(rotate_key))
        .merge(pages::routes())
        .merge(admin::routes())
        .with_state(state)
}

/// Userinfo (OpenID Connect Core §5.3): the bearer token in the Authorization header.
async fn userinfo(State(s): State<IdentityState>, headers: HeaderMap) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let unauthorized = |e: &'static str| {
        let mut res = no_store(
            StatusCode::UNAUTHORIZED,
            json!({"error": e, "error_description": "a valid bearer access token with scope openid is required"}).to_string(),
        );
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&format!("Bearer realm=\"cqdt\", error=\"{e}\""))
                .unwrap_or(HeaderValue::from_static("Bearer")),
        );
        res
    };
    let Some(token) = token else {
        return unauthorized("invalid_request");
    };
    match s.identity.userinfo(token).await {
        Ok(Some(v)) => no_store(StatusCode::OK, v.to_string()),
        Ok(None) => unauthorized("invalid_token"),
        Err(e) => oauth_error(e),
    }
}

fn public_json(body: std::sync::Arc<str>, max_age: u32) -> Response {
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, cache),
            // Browser-based clients read these from other origins.
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn discovery(State(s): State<IdentityState>) -> Response {
    public_json(s.identity.discovery(), 3600)
}

async fn jwks(State(s): State<IdentityState>) -> Response {
    // Short, so that verifiers pick up a rotation soon.
    public_json(s.identity.jwks(), 60)
}

/// A JSON answer of the OAuth endpoints, never cached (RFC 6749 §5.1).
fn no_store(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// An error in the format of RFC 6749 §5.2.
fn oauth_error(e: IdentityError) -> Response {
    let IdentityError::OAuth {
        code,
        description,
        retry_after,
    } = e
    else {
        tracing::error!(error = %e, "OAuth endpoint failed");
        return no_store(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "server_error", "error_description": "internal error; nothing was issued"})
                .to_string(),
        );
    };
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = no_store(
        status,
        json!({"error": code.as_str(), "error_description": description}).to_string(),
    );
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"cqdt oauth\", charset=\"UTF-8\""),
        );
    }
    if let Some(secs) = retry_after {
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    res
}

fn invalid_request(description: impl Into<String>) -> IdentityError {
    IdentityError::oauth(OAuthErrorCode::InvalidRequest, description)
}

/// The form parameters: repeated ones are refused (RFC 6749 §3.1), empty ones are omitted.
fn form_params(
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<HashMap<String, String>, IdentityError> {
    let Form(pairs) = form.map_err(|_| {
        invalid_request("the body must be application/x-www-form-urlencoded parameters")
    })?;
    let mut params = HashMap::with_capacity(pairs.len());
    for (k, v) in pairs {
        if v.is_empty() {
            continue;
        }
        if params.contains_key(&k) {
            return Err(invalid_request(format!(
                "parameter {} is repeated",
                k.chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(40)
                    .collect::<String>()
            )));
        }
        params.insert(k, v);
    }
    Ok(params)
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space).
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The client's credentials, from HTTP Basic or the form; using both is refused (RFC 6749 §2.3).
fn client_credentials(
    headers: &HeaderMap,
    params: &mut HashMap<String, String>,
) -> Result<ClientCredentials, IdentityError> {
    let malformed = || {
        IdentityError::oauth(
            OAuthErrorCode::InvalidClient,
            "malformed HTTP Basic client credentials",
        )
    };
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| malformed())?;
        let (scheme, b64) = value.trim().split_once(' ').ok_or_else(malformed)?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(IdentityError::oauth(
                OAuthErrorCode::InvalidClient,
                "use client_secret_basic or client_secret_post",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| malformed())?;
        let decoded = String::from_utf8(decoded).map_err(|_| malformed())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
        let client_id = form_decode(id).ok_or_else(malformed)?;
        let secret = form_decode(secret).ok_or_else(malformed)?;
        if params.contains_key("client_secret") {
            return Err(invalid_request(
                "use one client authentication method, not both HTTP Basic and client_secret",
            ));
        }
        if params
            .remove("client_id")
            .is_some_and(|form_id| form_id != client_id)
        {
            return Err(invalid_request(
                "client_id does not match the HTTP Basic credentials",
            ));
        }
        return Ok(ClientCredentials {
            client_id,
            secret: Some(secret),
            method: AuthMethod::ClientSecretBasic,
        });
    }
    let Some(client_id) = params.remove("client_id") else {
        return Err(IdentityError::oauth(
            OAuthErrorCode::InvalidClient,
            "client authentication is required",
        ));
    };
    let secret = params.remove("client_secret");
    let method = if secret.is_some() {
        AuthMethod::ClientSecretPost
    } else {
        AuthMethod::None
    };
    Ok(ClientCredentials {
        client_id,
        secret,
        method,
    })
}

async fn token(
    State(s): State<IdentityState>,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let result = async {
        let mut params = form_params(form)?;
        let creds = client_credentials(&headers, &mut params)?;
        let grant_type = params
            .remove("grant_type")
            .ok_or_else(|| invalid_request("grant_type is required"))?;
        let scope = params.remove("scope");
        let req = TokenRequest {
            grant_type,
            scope,
            params,
        };
        s.identity.token(&creds, &req, &request_id).await
    }
    .await;
    json_reply(result)
}

/// An OAuth endpoint's JSON answer (never cached), or its RFC-format error.
fn json_reply<T: serde::Serialize>(result: Result<T, IdentityError>) -> Response {
    match result
        .and_then(|v| serde_json::to_string(&v).map_err(|e| IdentityError::Key(e.to_string())))
    {
        Ok(body) => no_store(StatusCode::OK, body),
        Err(e) => oauth_error(e),
    }
}

async fn introspect(
    State(s): State<IdentityState>,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let result = async {
        let mut params = form_params(form)?;
        let creds = client_credentials(&headers, &mut params)?;
        let token = params
            .remove("token")
            .ok_or_else(|| invalid_request("token is required"))?;
        s.identity.introspect(&creds, &token, &request_id).await
    }
    .await;
    json_reply(result)
}

async fn revoke(
    State(s): State<IdentityState>,
    RequestId(request_id): RequestId,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let result = async {
        let mut params = form_params(form)?;
        let creds = client_credentials(&headers, &mut params)?;
        let token = params
            .remove("token")
            .ok_or_else(|| invalid_request("token is required"))?;
        s.identity.revoke(&creds, &token, &request_id).await
    }
    .await;
    match result {
        Ok(()) => no_store(StatusCode::OK, String::new()),
        Err(e) => oauth_error(e),
    }
}

fn problem(e: IdentityError) -> Response {
    match e {
        IdentityError::Invalid(m) => {
            Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ")
                .with_detail(m)
                .into_response()
        }
        IdentityError::NotFound(m) => {
            Problem::not_found(format!("Không tìm thấy {m}.")).into_response()
        }
        other => Problem::internal(other).into_response(),
    }
}

fn secret_response(status: StatusCode, body: serde_json::Value) -> Response {
    let mut res = (status, Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn list_clients(State(s): State<IdentityState>, _admin: Admin) -> Response {
    match s.identity.list_clients().await {
        Ok(clients) => Json(json!({ "clients": clients })).into_response(),
        Err(e) => problem(e),
    }
}

async fn add_client(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    body: Result<Json<NewClient>, JsonRejection>,
) -> Response {
    let Json(new) = match body {
        Ok(b) => b,
        Err(e) => {
            return Problem::bad_request(format!("Nội dung JSON không hợp lệ: {}", e.body_text()))
                .into_response()
        }
    };
    match s.identity.add_client(&admin.name, &request_id, &new).await {
        Ok(created) => secret_response(
            StatusCode::CREATED,
            json!({"client": created.client, "client_secret": created.secret.as_ref().map(|s| s.expose())}),
        ),
        Err(e) => problem(e),
    }
}

async fn set_enabled(
    s: &IdentityState,
    admin: &Admin,
    request_id: &str,
    id: &str,
    on: bool,
) -> Response {
    match s
        .identity
        .set_client_enabled(&admin.name, request_id, id, on)
        .await
    {
        Ok(client) => Json::<OAuthClient>(client).into_response(),
        Err(e) => problem(e),
    }
}

async fn disable_client(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Response {
    set_enabled(&s, &admin, &request_id, &id, false).await
}

async fn enable_client(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Response {
    set_enabled(&s, &admin, &request_id, &id, true).await
}

async fn rotate_secret(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
    Path(id): Path<String>,
) -> Response {
    match s
        .identity
        .rotate_client_secret(&admin.name, &request_id, &id)
        .await
    {
        Ok(secret) => secret_response(
            StatusCode::OK,
            json!({"client_id": id, "client_secret": secret.expose()}),
        ),
        Err(e) => problem(e),
    }
}

async fn list_keys(State(s): State<IdentityState>, _admin: Admin) -> Response {
    match s.identity.signing_keys().await {
        Ok(keys) => Json(json!({ "keys": keys })).into_response(),
        Err(e) => problem(e),
    }
}

async fn rotate_key(
    State(s): State<IdentityState>,
    admin: Admin,
    RequestId(request_id): RequestId,
) -> Response {
    match s
        .identity
        .rotate_signing_key(&admin.name, &request_id)
        .await
    {
        Ok(key) => (StatusCode::CREATED, Json(key)).into_response(),
        Err(e) => problem(e),
    }
}

/// The OpenAPI 3.1 paths of the identity routes.
pub fn openapi_paths() -> serde_json::Value {
    let oauth_error = json!({"description": "OAuth error (RFC 6749 §5.2): {\"error\", \"error_description\"}",
        "content": {"application/json": {"schema": {"type": "object", "required": ["error"], "properties": {
            "error": {"type": "string"}, "error_description": {"type": "string"}}}}}});
    let form = |required: &[&str], props: serde_json::Value| {
        json!({"required": true, "content": {
        "application/x-www-form-urlencoded": {"schema": {"type": "object", "required": required, "properties": props}}}})
    };
    // Client authentication (HTTP Basic with the client's id and secret, or both in the form)
    // is described in the text: the document's only security scheme is the administrator's.
    let client_auth = "Clients authenticate with client_secret_basic (HTTP Basic, form-urlencoded id and secret) or client_secret_post.";
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let id = json!([{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]);
    json!({
        "/.well-known/openid-configuration": {"get": {"summary": "OpenID Connect discovery document", "tags": ["identity"],
            "responses": {"200": {"description": "provider metadata"}}}},
        "/oauth/jwks": {"get": {"summary": "JSON Web Key Set: the active and retiring ES256 public keys", "tags": ["identity"],
            "responses": {"200": {"description": "JWKS"}}}},
        "/oauth/authorize": {"get": {"summary": "Authorization endpoint (code flow, PKCE S256 required); a browser page, not JSON",
            "tags": ["identity"], "parameters": [
                {"name": "response_type", "in": "query", "required": true, "schema": {"type": "string", "enum": ["code"]}},
                {"name": "client_id", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "redirect_uri", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "scope", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "state", "in": "query", "schema": {"type": "string"}},
                {"name": "nonce", "in": "query", "schema": {"type": "string"}},
                {"name": "code_challenge", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "code_challenge_method", "in": "query", "required": true, "schema": {"type": "string", "enum": ["S256"]}},
                {"name": "prompt", "in": "query", "schema": {"type": "string"}}],
            "responses": {"303": {"description": "to the login page, the consent page, or the client with a code or an error"},
                "400": {"description": "unknown client or unregistered redirect_uri (never redirected)"}}}},
        "/oauth/userinfo": {"get": {"summary": "UserInfo (OpenID Connect Core §5.3), bearer access token with scope openid",
            "tags": ["identity"], "responses": {"200": {"description": "claims by scope"}, "401": oauth_error}}},
        "/oauth/logout": {"get": {"summary": "RP-initiated logout (id_token_hint, post_logout_redirect_uri, state)",
            "tags": ["identity"], "responses": {"303": {"description": "to the registered post-logout URI"}, "200": {"description": "confirmation page"}}}},
        "/oauth/token": {"post": {"summary": "Token endpoint: client_credentials, authorization_code (with code_verifier), refresh_token (rotated)",
            "description": client_auth, "tags": ["identity"],
            "requestBody": form(&["grant_type"], json!({"grant_type": {"type": "string", "enum": ["client_credentials", "authorization_code", "refresh_token"]},
                "scope": {"type": "string"}, "client_id": {"type": "string"}, "client_secret": {"type": "string"},
                "code": {"type": "string"}, "redirect_uri": {"type": "string"}, "code_verifier": {"type": "string"},
                "refresh_token": {"type": "string"}})),
            "responses": {"200": {"description": "access token (RFC 9068 JWT, ES256), with id_token and refresh_token for people"}, "400": oauth_error, "401": oauth_error}}},
        "/oauth/introspect": {"post": {"summary": "Token introspection (RFC 7662), for authenticated clients", "tags": ["identity"],
            "description": client_auth,
            "requestBody": form(&["token"], json!({"token": {"type": "string"}, "token_type_hint": {"type": "string"}})),
            "responses": {"200": {"description": "{\"active\": …} and the token's claims when active"}, "400": oauth_error, "401": oauth_error}}},
        "/oauth/revoke": {"post": {"summary": "Token revocation (RFC 7009)", "tags": ["identity"], "description": client_auth,
            "requestBody": form(&["token"], json!({"token": {"type": "string"}, "token_type_hint": {"type": "string"}})),
            "responses": {"200": {"description": "revoked (or nothing to revoke)"}, "400": oauth_error, "401": oauth_error}}},
        "/api/v1/identity/clients": {
            "get": {"summary": "Registered OAuth clients", "tags": ["identity"], "security": [{"basic": []}],
                "responses": {"200": {"description": "clients"}}},
            "post": {"summary": "Register an OAuth client (audited); the secret is in this answer only", "tags": ["identity"],
                "security": [{"basic": []}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["name", "grants"], "properties": {
                    "name": {"type": "string"}, "grants": {"type": "array", "items": {"type": "string", "enum": ["client_credentials", "authorization_code"]}},
                    "redirect_uris": {"type": "array", "items": {"type": "string"}}, "public": {"type": "boolean"},
                    "scopes": {"type": "array", "items": {"type": "string"}}, "first_party": {"type": "boolean"}}}}}},
                "responses": {"201": {"description": "client and client_secret"}, "400": problem, "422": problem}}},
        "/api/v1/identity/clients/{id}/disable": {"post": {"summary": "Disable a client (audited)", "tags": ["identity"],
            "security": [{"basic": []}], "parameters": id, "responses": {"200": {"description": "client"}, "404": problem}}},
        "/api/v1/identity/clients/{id}/enable": {"post": {"summary": "Enable a client again (audited)", "tags": ["identity"],
            "security": [{"basic": []}], "parameters": id, "responses": {"200": {"description": "client"}, "404": problem}}},
        "/api/v1/identity/clients/{id}/secret": {"post": {"summary": "Replace a client's secret (audited); the new one is in this answer only",
            "tags": ["identity"], "security": [{"basic": []}], "parameters": id,
            "responses": {"200": {"description": "client_secret"}, "404": problem, "422": problem}}},
        "/api/v1/identity/keys": {"get": {"summary": "Signing keys (public facts only)", "tags": ["identity"],
            "security": [{"basic": []}], "responses": {"200": {"description": "keys"}}}},
        "/api/v1/identity/keys/rotate": {"post": {"summary": "Make a new active signing key (audited)", "tags": ["identity"],
            "security": [{"basic": []}], "responses": {"201": {"description": "the new key"}}}}
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        if let Ok(v) = HeaderValue::from_str(&format!("Basic {v}")) {
            h.insert(header::AUTHORIZATION, v);
        }
        h
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut params = HashMap::new();
        let c = client_credentials(&basic("a%3Ab", "s+%2B%25"), &mut params).expect("creds");
        assert_eq!(c.client_id, "a:b");
        assert_eq!(c.secret.as_deref(), Some("s +%"));
        assert_eq!(c.method, AuthMethod::ClientSecretBasic);
        assert!(client_credentials(&basic("a", "%zz"), &mut params).is_err());
    }

    #[test]
    fn two_authentication_methods_at_once_are_refused() {
        let mut params = HashMap::from([("client_secret".to_string(), "x".to_string())]);
        let e = client_credentials(&basic("a", "b"), &mut params).err();
        assert_eq!(
            e.and_then(|e| e.oauth_code()),
            Some(OAuthErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn form_credentials_and_missing_credentials() {
        let mut params = HashMap::from([
            ("client_id".to_string(), "a".to_string()),
            ("client_secret".to_string(), "b".to_string()),
        ]);
        let c = client_credentials(&HeaderMap::new(), &mut params).expect("creds");
        assert_eq!(c.method, AuthMethod::ClientSecretPost);
        assert!(
            params.is_empty(),
            "credentials are taken out of the parameters"
        );
        let e = client_credentials(&HeaderMap::new(), &mut HashMap::new()).err();
        assert_eq!(
            e.and_then(|e| e.oauth_code()),
            Some(OAuthErrorCode::InvalidClient)
        );
    }

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_ignored() {
        let f = |pairs: &[(&str, &str)]| {
            form_params(Ok(Form(
                pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )))
        };
        assert!(f(&[("scope", "a"), ("scope", "b")]).is_err());
        let p = f(&[("scope", ""), ("grant_type", "client_credentials")]).expect("params");
        assert!(!p.contains_key("scope"));
    }

    #[test]
    fn debug_output_of_credentials_hides_the_secret() {
        let c = ClientCredentials {
            client_id: "a".into(),
            secret: Some("cqdtcs_topsecret".into()),
            method: AuthMethod::ClientSecretPost,
        };
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}

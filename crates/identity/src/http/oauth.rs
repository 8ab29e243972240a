//! The OAuth 2.0 / OpenID Connect protocol endpoints: discovery, JWKS, token, introspection,
//! revocation and userinfo. Their errors keep the formats of RFC 6749 §5.2 and RFC 6750 §3
//! (`{"error", "error_description"}`, never cached), not problem+json.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use base64::Engine;
use cqdt_platform::RequestId;
use serde::Serialize;

use super::pages::Peer;
use super::IdentityState;
use crate::error::{IdentityError, OAuthErrorCode};
use crate::model::TokenResponse;
use crate::oauth::{AuthMethod, ClientCredentials, TokenRequest};

pub(super) fn routes() -> Router<IdentityState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/.well-known/oauth-authorization-server", get(discovery))
        .route("/oauth/jwks", get(jwks))
        .route("/oauth/token", post(token))
        .route("/oauth/introspect", post(introspect))
        .route("/oauth/revoke", post(revoke))
        .route("/oauth/userinfo", get(userinfo).post(userinfo))
}

/// How clients authenticate at the token, introspection and revocation endpoints (described
/// in text: the document's security schemes are for people and the administrator).
const CLIENT_AUTH: &str = "Clients authenticate with client_secret_basic (HTTP Basic, form-urlencoded id and secret) or client_secret_post.";

/// An error of an OAuth endpoint (RFC 6749 §5.2, RFC 6750 §3).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(super) struct OAuthErrorBody {
    /// The error code (`invalid_request`, `invalid_client`, `invalid_grant`…).
    error: String,
    /// Explanation for the client's developer (ASCII).
    error_description: String,
}

/// The form of the token endpoint, as the API document describes it. The handler reads the
/// parameters as pairs (a repeated parameter is refused, RFC 6749 §3.1).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct TokenForm {
    grant_type: TokenGrantType,
    #[schema(nullable = false)]
    scope: Option<String>,
    #[schema(nullable = false)]
    client_id: Option<String>,
    #[schema(nullable = false)]
    client_secret: Option<String>,
    #[schema(nullable = false)]
    code: Option<String>,
    #[schema(nullable = false)]
    redirect_uri: Option<String>,
    #[schema(nullable = false)]
    code_verifier: Option<String>,
    #[schema(nullable = false)]
    refresh_token: Option<String>,
}

/// The grant types of the token endpoint.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub(super) enum TokenGrantType {
    ClientCredentials,
    AuthorizationCode,
    RefreshToken,
}

/// The form of the introspection and revocation endpoints, as the API document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct TokenHintForm {
    token: String,
    #[schema(nullable = false)]
    token_type_hint: Option<String>,
}

/// What an OAuth endpoint answers when it fails, in the RFCs' format.
#[derive(Debug)]
pub(super) enum OAuthError {
    /// An error of the token, introspection or revocation endpoint (RFC 6749 §5.2); anything
    /// but a protocol error is a logged `server_error`.
    Endpoint(IdentityError),
    /// No valid bearer access token at the userinfo endpoint (RFC 6750 §3), with this code;
    /// none when the request carried no token at all (§3.1: then no error code is given).
    Bearer(Option<&'static str>),
}

impl From<IdentityError> for OAuthError {
    fn from(e: IdentityError) -> Self {
        OAuthError::Endpoint(e)
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        match self {
            OAuthError::Endpoint(e) => endpoint_error(e),
            OAuthError::Bearer(None) => (
                StatusCode::UNAUTHORIZED,
                [
                    (header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"cqdt\"")),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
            )
                .into_response(),
            OAuthError::Bearer(Some(code)) => {
                let mut res = no_store(
                    StatusCode::UNAUTHORIZED,
                    &OAuthErrorBody {
                        error: code.into(),
                        error_description:
                            "a valid bearer access token with scope openid is required".into(),
                    },
                );
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(&format!("Bearer realm=\"cqdt\", error=\"{code}\""))
                        .unwrap_or(HeaderValue::from_static("Bearer")),
                );
                res
            }
        }
    }
}

/// An error in the format of RFC 6749 §5.2.
fn endpoint_error(e: IdentityError) -> Response {
    let IdentityError::OAuth { code, description, retry_after } = e else {
        tracing::error!(error = %e, "OAuth endpoint failed");
        return no_store(
            StatusCode::INTERNAL_SERVER_ERROR,
            &OAuthErrorBody {
                error: "server_error".into(),
                error_description: "internal error; nothing was issued".into(),
            },
        );
    };
    let status = StatusCode::from_u16(code.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut res = no_store(
        status,
        &OAuthErrorBody { error: code.as_str().into(), error_description: description },
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

/// A JSON answer of the OAuth endpoints, never cached (RFC 6749 §5.1).
fn no_store_body(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

/// `body` as JSON, never cached; a body that does not serialize is a `server_error`.
fn no_store<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_string(body) {
        Ok(body) => no_store_body(status, body),
        Err(e) => endpoint_error(IdentityError::Key(e.to_string())),
    }
}

/// A successful answer of an OAuth endpoint: 200, JSON, never cached.
pub(super) struct NoStore<T>(T);

impl<T: Serialize> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        no_store(StatusCode::OK, &self.0)
    }
}

fn public_json(body: std::sync::Arc<str>, max_age: u32) -> Response {
    let cache = HeaderValue::from_str(&format!("public, max-age={max_age}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (header::CACHE_CONTROL, cache),
            // Browser-based clients read these from other origins.
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The provider's metadata (also served at `/.well-known/oauth-authorization-server`).
#[utoipa::path(get, path = "/.well-known/openid-configuration", tag = "identity",
    summary = "OpenID Connect discovery document",
    responses((status = 200, description = "provider metadata")))]
pub(super) async fn discovery(State(s): State<IdentityState>) -> Response {
    public_json(s.identity.discovery(), 3600)
}

/// The public signing keys.
#[utoipa::path(get, path = "/oauth/jwks", tag = "identity",
    summary = "JSON Web Key Set: the active and retiring ES256 public keys",
    responses((status = 200, description = "JWKS")))]
pub(super) async fn jwks(State(s): State<IdentityState>) -> Response {
    // Short, so that verifiers pick up a rotation soon.
    public_json(s.identity.jwks(), 60)
}

/// Userinfo (OpenID Connect Core §5.3): the bearer token in the Authorization header.
#[utoipa::path(get, path = "/oauth/userinfo", tag = "identity",
    summary = "UserInfo (OpenID Connect Core §5.3), bearer access token with scope openid",
    responses((status = 200, description = "claims by scope"),
        // No body schema: a request without a token gets a bare challenge with no body
        // (RFC 6750 §3.1); a bad token gets `invalid_token` in the challenge and a JSON body.
        (status = 401, description = "no token: a bare WWW-Authenticate challenge and no body \
            (RFC 6750 §3.1); an invalid token: error=\"invalid_token\" in the challenge and \
            an OAuth error body {error, error_description}")))]
pub(super) async fn userinfo(
    State(s): State<IdentityState>,
    headers: HeaderMap,
) -> Result<Response, OAuthError> {
    let token = super::bearer_token(&headers).ok_or(OAuthError::Bearer(None))?;
    let claims =
        s.identity.userinfo(token).await?.ok_or(OAuthError::Bearer(Some("invalid_token")))?;
    Ok(no_store_body(StatusCode::OK, claims.to_string()))
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
                k.chars().filter(|c| c.is_ascii_graphic()).take(40).collect::<String>()
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

fn malformed_basic() -> IdentityError {
    IdentityError::oauth(OAuthErrorCode::InvalidClient, "malformed HTTP Basic client credentials")
}

/// The id and secret of HTTP Basic client authentication (RFC 6749 §2.3.1: both
/// form-urlencoded before encoding).
fn basic_credentials(value: &HeaderValue) -> Result<(String, String), IdentityError> {
    let value = value.to_str().map_err(|_| malformed_basic())?;
    let (scheme, b64) = value.trim().split_once(' ').ok_or_else(malformed_basic)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(IdentityError::oauth(
            OAuthErrorCode::InvalidClient,
            "use client_secret_basic or client_secret_post",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| malformed_basic())?;
    let decoded = String::from_utf8(decoded).map_err(|_| malformed_basic())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed_basic)?;
    let client_id = form_decode(id).ok_or_else(malformed_basic)?;
    let secret = form_decode(secret).ok_or_else(malformed_basic)?;
    Ok((client_id, secret))
}

/// The client's credentials, from HTTP Basic or the form; using both is refused (RFC 6749 §2.3).
fn client_credentials(
    headers: &HeaderMap,
    params: &mut HashMap<String, String>,
    address: Option<IpAddr>,
) -> Result<ClientCredentials, IdentityError> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let (client_id, secret) = basic_credentials(value)?;
        if params.contains_key("client_secret") {
            return Err(invalid_request(
                "use one client authentication method, not both HTTP Basic and client_secret",
            ));
        }
        if params.remove("client_id").is_some_and(|form_id| form_id != client_id) {
            return Err(invalid_request("client_id does not match the HTTP Basic credentials"));
        }
        return Ok(ClientCredentials {
            client_id,
            secret: Some(secret),
            method: AuthMethod::ClientSecretBasic,
            address,
        });
    }
    let Some(client_id) = params.remove("client_id") else {
        return Err(IdentityError::oauth(
            OAuthErrorCode::InvalidClient,
            "client authentication is required",
        ));
    };
    let secret = params.remove("client_secret");
    let method = if secret.is_some() { AuthMethod::ClientSecretPost } else { AuthMethod::None };
    Ok(ClientCredentials { client_id, secret, method, address })
}

/// The token endpoint.
#[utoipa::path(post, path = "/oauth/token", tag = "identity",
    summary = "Token endpoint: client_credentials, authorization_code (with code_verifier), refresh_token (rotated)",
    description = CLIENT_AUTH,
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "access token (RFC 9068 JWT, ES256), with id_token and refresh_token for people", body = TokenResponse),
        (status = 400, description = "OAuth error (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 401, description = "OAuth error (RFC 6749 §5.2)", body = OAuthErrorBody)))]
pub(super) async fn token(
    State(s): State<IdentityState>,
    RequestId(request_id): RequestId,
    Peer(address): Peer,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<NoStore<TokenResponse>, OAuthError> {
    let mut params = form_params(form)?;
    let creds = client_credentials(&headers, &mut params, address)?;
    let grant_type =
        params.remove("grant_type").ok_or_else(|| invalid_request("grant_type is required"))?;
    let scope = params.remove("scope");
    let req = TokenRequest { grant_type, scope, params };
    Ok(NoStore(s.identity.token(&creds, &req, &request_id).await?))
}

/// The client's credentials, the `token` and the `token_type_hint` of introspection and
/// revocation.
fn token_params(
    headers: &HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
    address: Option<IpAddr>,
) -> Result<(ClientCredentials, String, Option<String>), IdentityError> {
    let mut params = form_params(form)?;
    let creds = client_credentials(headers, &mut params, address)?;
    let token = params.remove("token").ok_or_else(|| invalid_request("token is required"))?;
    Ok((creds, token, params.remove("token_type_hint")))
}

/// Token introspection.
#[utoipa::path(post, path = "/oauth/introspect", tag = "identity",
    summary = "Token introspection (RFC 7662), for authenticated clients",
    description = CLIENT_AUTH,
    request_body(content = TokenHintForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "{\"active\": …} and the token's claims when active"),
        (status = 400, description = "OAuth error (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 401, description = "OAuth error (RFC 6749 §5.2)", body = OAuthErrorBody)))]
pub(super) async fn introspect(
    State(s): State<IdentityState>,
    RequestId(request_id): RequestId,
    Peer(address): Peer,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, OAuthError> {
    let (creds, token, hint) = token_params(&headers, form, address)?;
    let answer = s.identity.introspect(&creds, &token, hint.as_deref(), &request_id).await?;
    Ok(NoStore(answer).into_response())
}

/// Token revocation.
#[utoipa::path(post, path = "/oauth/revoke", tag = "identity",
    summary = "Token revocation (RFC 7009)",
    description = CLIENT_AUTH,
    request_body(content = TokenHintForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "revoked (or nothing to revoke)"),
        (status = 400, description = "OAuth error (RFC 6749 §5.2)", body = OAuthErrorBody),
        (status = 401, description = "OAuth error (RFC 6749 §5.2)", body = OAuthErrorBody)))]
pub(super) async fn revoke(
    State(s): State<IdentityState>,
    RequestId(request_id): RequestId,
    Peer(address): Peer,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, OAuthError> {
    // The hint only speeds a search up (RFC 7009 §2.1); both kinds are tried anyway.
    let (creds, token, _hint) = token_params(&headers, form, address)?;
    s.identity.revoke(&creds, &token, &request_id).await?;
    // RFC 7009 §2.2: 200 and nothing else; an empty body is no JSON, so no JSON type.
    Ok((
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
        ],
    )
        .into_response())
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
        let c = client_credentials(&basic("a%3Ab", "s+%2B%25"), &mut params, None).expect("creds");
        assert_eq!(c.client_id, "a:b");
        assert_eq!(c.secret.as_deref(), Some("s +%"));
        assert_eq!(c.method, AuthMethod::ClientSecretBasic);
        assert!(client_credentials(&basic("a", "%zz"), &mut params, None).is_err());
    }

    #[test]
    fn two_authentication_methods_at_once_are_refused() {
        let mut params = HashMap::from([("client_secret".to_string(), "x".to_string())]);
        let e = client_credentials(&basic("a", "b"), &mut params, None).err();
        assert_eq!(e.and_then(|e| e.oauth_code()), Some(OAuthErrorCode::InvalidRequest));
    }

    #[test]
    fn form_credentials_and_missing_credentials() {
        let mut params = HashMap::from([
            ("client_id".to_string(), "a".to_string()),
            ("client_secret".to_string(), "b".to_string()),
        ]);
        let c = client_credentials(&HeaderMap::new(), &mut params, None).expect("creds");
        assert_eq!(c.method, AuthMethod::ClientSecretPost);
        assert!(params.is_empty(), "credentials are taken out of the parameters");
        let e = client_credentials(&HeaderMap::new(), &mut HashMap::new(), None).err();
        assert_eq!(e.and_then(|e| e.oauth_code()), Some(OAuthErrorCode::InvalidClient));
    }

    #[test]
    fn repeated_parameters_are_refused_and_empty_ones_ignored() {
        let f = |pairs: &[(&str, &str)]| {
            form_params(Ok(Form(
                pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
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
            address: None,
        };
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}

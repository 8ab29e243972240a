//! The provider's HTTP endpoints: discovery, JWKS, authorization (page and form), token and
//! userinfo. Every handler is public by nature of the protocol: the token endpoint requires
//! client authentication, userinfo a bearer token, and the rest nothing.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, ORIGIN, PRAGMA,
    REFERRER_POLICY, WWW_AUTHENTICATE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::grants::{CodeGrant, Grants, TOKEN_LIFE};
use crate::identities::{identity_claims, test_identities, typed_identity, TestIdentity};
use crate::jose::{b64url, IdTokenSigner};
use crate::oauth::{
    check_authorization, origin_of, param, parse_basic, parse_bearer, same_secret, with_query,
    Param, Refusal, SCOPES,
};
use crate::page::{self, Typed};
use crate::SandboxConfig;

/// Parameters as decoded from a query string or form body, in order, repeats kept.
type Params = Vec<(String, String)>;

/// The provider: its registration, its key and its memory.
pub(crate) struct Provider {
    config: SandboxConfig,
    signer: IdTokenSigner,
    grants: Mutex<Grants>,
}

type Shared = Arc<Provider>;

impl Provider {
    fn grants(&self) -> MutexGuard<'_, Grants> {
        // Grants stay consistent even if a holder panicked: every change is a single insert
        // or remove.
        self.grants.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.config.issuer)
    }
}

/// The current time in Unix seconds, read once per request at the boundary.
fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The routes, served at the root of the issuer URL.
pub(crate) fn routes(config: SandboxConfig, signer: IdTokenSigner) -> Router {
    let provider = Arc::new(Provider { config, signer, grants: Mutex::new(Grants::default()) });
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/authorize", get(authorize_page).post(authorize_decision))
        .route("/token", axum::routing::post(token))
        .route("/userinfo", get(userinfo).post(userinfo))
        .with_state(provider)
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3). Public.
async fn discovery(State(p): State<Shared>) -> Json<Value> {
    Json(json!({
        "issuer": p.config.issuer,
        "authorization_endpoint": p.endpoint("/authorize"),
        "token_endpoint": p.endpoint("/token"),
        "userinfo_endpoint": p.endpoint("/userinfo"),
        "jwks_uri": p.endpoint("/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": SCOPES,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "at_hash",
            "name", "birthdate", "gender", "address", "phone_number", "phone_number_verified",
            "email", "email_verified", "personal_id",
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
        "ui_locales_supported": ["vi"],
    }))
}

/// `GET /jwks`: the public signing key. Public.
async fn jwks(State(p): State<Shared>) -> Json<Value> {
    Json(p.signer.jwks())
}

fn no_store(response: &mut Response) {
    let h = response.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

/// An HTML page with the headers that keep it from being framed, cached or restyled.
fn html(status: StatusCode, body: String) -> Response {
    let mut r = (status, Html(body)).into_response();
    no_store(&mut r);
    let h = r.headers_mut();
    h.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Same-origin keeps the form's Origin header (checked below) and sends no Referer to
    // the client's callback.
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    r
}

fn redirect(status: StatusCode, location: String) -> Response {
    match HeaderValue::try_from(location) {
        Ok(v) => {
            let mut r = status.into_response();
            r.headers_mut().insert(LOCATION, v);
            no_store(&mut r);
            r
        }
        Err(_) => html(
            StatusCode::INTERNAL_SERVER_ERROR,
            page::refusal("Không tạo được địa chỉ chuyển hướng về ứng dụng."),
        ),
    }
}

/// Why a request to `/authorize` is not answered with the consent page or a code: a page that
/// tells the person what is wrong, or an error response at the client's redirect URI (with
/// `iss`, RFC 9207), as OAuth 2.0 §4.1.2.1 says.
#[derive(Debug)]
enum AuthorizeError {
    /// A page with this status and Vietnamese message.
    Page(StatusCode, &'static str),
    /// The request checks refused it; `status` is the redirect's.
    Refused { refusal: Refusal, status: StatusCode, issuer: String },
}

impl Provider {
    /// A refusal of an authorization request, answered by `status` when it redirects.
    fn refused(&self, refusal: Refusal, status: StatusCode) -> AuthorizeError {
        AuthorizeError::Refused { refusal, status, issuer: self.config.issuer.clone() }
    }
}

impl IntoResponse for AuthorizeError {
    fn into_response(self) -> Response {
        match self {
            AuthorizeError::Page(status, message) => html(status, page::refusal(message)),
            AuthorizeError::Refused { refusal: Refusal::Page(message), .. } => {
                tracing::info!(%message, "authorization request refused");
                html(StatusCode::BAD_REQUEST, page::refusal(&message))
            }
            AuthorizeError::Refused {
                refusal: Refusal::Redirect { redirect_uri, state, error, description },
                status,
                issuer,
            } => {
                tracing::info!(error, %description, "authorization request refused");
                let mut pairs = vec![("error", error), ("error_description", description.as_str())];
                if let Some(s) = &state {
                    pairs.push(("state", s));
                }
                pairs.push(("iss", &issuer));
                redirect(status, with_query(&redirect_uri, &pairs))
            }
        }
    }
}

/// `GET /authorize`: checks the request and shows the consent page. Public: whoever holds
/// the browser is the person logging in.
async fn authorize_page(
    State(p): State<Shared>,
    query: Result<Query<Params>, QueryRejection>,
) -> Result<Response, AuthorizeError> {
    let Query(params) = query.map_err(|_| {
        AuthorizeError::Page(
            StatusCode::BAD_REQUEST,
            "Không đọc được các tham số của yêu cầu xác thực.",
        )
    })?;
    let request = check_authorization(&params, &p.config)
        .map_err(|refusal| p.refused(refusal, StatusCode::FOUND))?;
    let body = page::consent(
        &p.endpoint("/authorize"),
        &request,
        &test_identities(),
        None,
        &Typed::default(),
        None,
    );
    Ok(html(StatusCode::OK, body))
}

/// A browser names the page a form came from; only our own consent page may post here.
fn check_origin(p: &Provider, headers: &HeaderMap) -> Result<(), AuthorizeError> {
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    if origin.to_str().map(str::to_ascii_lowercase).ok() == Some(origin_of(&p.config.issuer)) {
        Ok(())
    } else {
        Err(AuthorizeError::Page(
            StatusCode::FORBIDDEN,
            "Biểu mẫu được gửi từ một trang khác, không phải cổng xác thực.",
        ))
    }
}

/// Who the person chose on the consent page: a test identity, or one typed in; the error is
/// the Vietnamese message to show on the page again.
fn chosen_identity(field: impl Fn(&str) -> String) -> (Typed, Result<TestIdentity, String>) {
    let typed =
        Typed { personal_id: field("custom_personal_id"), full_name: field("custom_full_name") };
    let who = if typed.personal_id.is_empty() {
        let chosen = field("identity");
        test_identities().into_iter().find(|person| person.personal_id == chosen).ok_or_else(|| {
            "Hãy chọn một danh tính thử nghiệm hoặc nhập số định danh cá nhân.".to_string()
        })
    } else {
        typed_identity(&typed.personal_id, &typed.full_name)
    };
    (typed, who)
}

/// `POST /authorize`: the person's decision; re-checks the request, then redirects to the
/// client with a one-time code, or with `access_denied`. Public, but only from our own page.
async fn authorize_decision(
    State(p): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Result<Response, AuthorizeError> {
    check_origin(&p, &headers)?;
    let Form(params) = form.map_err(|_| {
        AuthorizeError::Page(StatusCode::BAD_REQUEST, "Không đọc được biểu mẫu đã gửi.")
    })?;
    let request = check_authorization(&params, &p.config)
        .map_err(|refusal| p.refused(refusal, StatusCode::SEE_OTHER))?;
    let field = |name: &str| match param(&params, name) {
        Param::Value(v) => v.trim().to_string(),
        _ => String::new(),
    };
    let refusal = |error: &'static str, description: &str| {
        let refusal = Refusal::Redirect {
            redirect_uri: request.redirect_uri.clone(),
            state: request.state.clone(),
            error,
            description: description.into(),
        };
        p.refused(refusal, StatusCode::SEE_OTHER)
    };
    if field("decision") == "deny" {
        return Err(refusal("access_denied", "the person declined to log in"));
    }
    let who = match chosen_identity(field) {
        (_, Ok(who)) => who,
        // The consent page again, with the message: the person corrects and sends again.
        (typed, Err(message)) => {
            let chosen = Some(field("identity")).filter(|c| !c.is_empty());
            let body = page::consent(
                &p.endpoint("/authorize"),
                &request,
                &test_identities(),
                chosen.as_deref(),
                &typed,
                Some(&message),
            );
            return Ok(html(StatusCode::BAD_REQUEST, body));
        }
    };
    let subject = crate::identities::subject(&who.personal_id);
    let code = p
        .grants()
        .issue_code(request.clone(), who, now())
        .map_err(|_| refusal("temporarily_unavailable", "too many codes outstanding"))?;
    tracing::info!(client_id = %request.client_id, sub = %subject, scope = %request.scope, "authorization code issued");
    let mut pairs = vec![("code", code.as_str())];
    if let Some(s) = &request.state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", &p.config.issuer));
    Ok(redirect(StatusCode::SEE_OTHER, with_query(&request.redirect_uri, &pairs)))
}

/// A token endpoint error (RFC 6749 §5.2).
#[derive(Debug)]
struct TokenError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

fn token_error(status: StatusCode, error: &'static str, description: &str) -> TokenError {
    TokenError { status, error, description: description.into() }
}

fn invalid_request(description: &str) -> TokenError {
    token_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

fn invalid_client(description: &str) -> TokenError {
    token_error(StatusCode::UNAUTHORIZED, "invalid_client", description)
}

impl IntoResponse for TokenError {
    fn into_response(self) -> Response {
        tracing::info!(error = self.error, description = %self.description, "token request refused");
        let body = json!({"error": self.error, "error_description": self.description});
        let mut r = (self.status, Json(body)).into_response();
        no_store(&mut r);
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"VNeID sandbox\""),
            );
        }
        r
    }
}

/// `POST /token`: exchanges a code for an access token and an ID token. Needs the registered
/// client's credentials.
async fn token(
    State(p): State<Shared>,
    headers: HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Result<Response, TokenError> {
    let body = exchange(&p, &headers, form)?;
    let mut r = Json(body).into_response();
    no_store(&mut r);
    Ok(r)
}

/// Authenticates the client (HTTP Basic or `client_secret_post`, exactly one), returning its id.
fn authenticate(p: &Provider, headers: &HeaderMap, params: &Params) -> Result<String, TokenError> {
    let value = |name: &str| match param(params, name) {
        Param::Value(v) => Some(v),
        _ => None,
    };
    let basic = match headers.get(AUTHORIZATION) {
        None => None,
        Some(h) => Some(
            h.to_str()
                .ok()
                .and_then(parse_basic)
                .ok_or_else(|| invalid_client("malformed HTTP Basic client credentials"))?,
        ),
    };
    let (client_id, secret) = match (basic, value("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(invalid_request("more than one client authentication method was used"))
        }
        (Some((id, secret)), None) => {
            if value("client_id").is_some_and(|c| c != id) {
                return Err(invalid_client("client_id differs from the authenticated client"));
            }
            (id, secret)
        }
        (None, Some(secret)) => match value("client_id") {
            Some(id) => (id.to_string(), secret.to_string()),
            None => return Err(invalid_client("client_id is required with client_secret")),
        },
        (None, None) => return Err(invalid_client("client authentication is required")),
    };
    if client_id != p.config.client_id || !same_secret(&secret, &p.config.client_secret) {
        return Err(invalid_client("unknown client or wrong client secret"));
    }
    Ok(client_id)
}

/// The signed ID token of a redeemed code (OpenID Connect Core §3.1.3.6).
fn id_token(
    p: &Provider,
    grant: &CodeGrant,
    client_id: &str,
    access_token: &str,
    now: i64,
) -> String {
    let mut claims = identity_claims(&grant.identity, &grant.request.scope);
    claims.insert("iss".into(), json!(p.config.issuer));
    claims.insert("aud".into(), json!(client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + TOKEN_LIFE));
    claims.insert("auth_time".into(), json!(grant.auth_time));
    // Left half of the SHA-256 of the access token.
    let digest = Sha256::digest(access_token.as_bytes());
    claims.insert("at_hash".into(), json!(b64url(&digest[..16])));
    if let Some(nonce) = &grant.request.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    p.signer.sign(&Value::Object(claims))
}

fn exchange(
    p: &Provider,
    headers: &HeaderMap,
    form: Result<Form<Params>, FormRejection>,
) -> Result<Value, TokenError> {
    let Ok(Form(params)) = form else {
        return Err(invalid_request("the body must be application/x-www-form-urlencoded"));
    };
    let names =
        ["grant_type", "code", "redirect_uri", "code_verifier", "client_id", "client_secret"];
    if let Some(name) = names.iter().find(|n| param(&params, n) == Param::Repeated) {
        return Err(invalid_request(&format!("parameter {name} is repeated")));
    }
    let client_id = authenticate(p, headers, &params)?;
    let required = |name: &'static str| match param(&params, name) {
        Param::Value(v) => Ok(v),
        _ => Err(invalid_request(&format!("{name} is required"))),
    };
    match required("grant_type")? {
        "authorization_code" => {}
        _ => {
            return Err(token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only grant_type=authorization_code is supported",
            ))
        }
    }
    let (code, redirect_uri) = (required("code")?, required("redirect_uri")?);
    let verifier = required("code_verifier")?;
    let now = now();
    let (grant, access_token) = {
        let mut grants = p.grants();
        let grant = grants
            .redeem(code, &client_id, redirect_uri, verifier, now)
            .map_err(|d| token_error(StatusCode::BAD_REQUEST, "invalid_grant", d))?;
        let token = grants.issue_token(code, &grant, now).map_err(|_| {
            let busy = StatusCode::SERVICE_UNAVAILABLE;
            token_error(busy, "temporarily_unavailable", "too many tokens outstanding")
        })?;
        (grant, token)
    };
    let id_token = id_token(p, &grant, &client_id, &access_token, now);
    tracing::info!(%client_id, sub = %crate::identities::subject(&grant.identity.personal_id), "tokens issued");
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": TOKEN_LIFE,
        "id_token": id_token,
        "scope": grant.request.scope,
    }))
}

/// Why `/userinfo` refuses a request (RFC 6750 §3).
#[derive(Debug)]
enum UserinfoError {
    /// No credentials at all: no error code (§3.1).
    NoToken,
    /// A token that is unknown or expired.
    InvalidToken,
}

impl IntoResponse for UserinfoError {
    fn into_response(self) -> Response {
        match self {
            UserinfoError::NoToken => {
                let mut r = StatusCode::UNAUTHORIZED.into_response();
                r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
            UserinfoError::InvalidToken => {
                let body = json!({"error": "invalid_token", "error_description": "the access token is unknown or expired"});
                let mut r = (StatusCode::UNAUTHORIZED, Json(body)).into_response();
                r.headers_mut().insert(
                    WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                r
            }
        }
    }
}

/// `GET` or `POST /userinfo`: the claims an access token grants. Needs a live bearer token in
/// the `Authorization` header.
async fn userinfo(State(p): State<Shared>, headers: HeaderMap) -> Result<Response, UserinfoError> {
    let header = headers.get(AUTHORIZATION).ok_or(UserinfoError::NoToken)?;
    let claims = {
        let grants = p.grants();
        let token = header.to_str().ok().and_then(parse_bearer);
        token.and_then(|t| grants.token(t, now())).map(|g| identity_claims(&g.identity, &g.scope))
    }
    .ok_or(UserinfoError::InvalidToken)?;
    let mut r = Json(Value::Object(claims)).into_response();
    no_store(&mut r);
    Ok(r)
}

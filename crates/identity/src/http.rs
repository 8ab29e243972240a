//! Identity routes: OpenID Connect discovery, JWKS, the OAuth token, introspection and
//! revocation endpoints (errors in the RFC 6749 JSON format, not problem+json), the
//! administrators' JSON API for OAuth clients and signing keys (problem+json), and the pages
//! people and administrators use.
//!
//! [`IdentityError`] renders itself: problem+json on `/api/…`, the Vietnamese error page
//! elsewhere (through the app's `error_pages` middleware). The OAuth protocol endpoints answer
//! in their own formats instead (see `oauth.rs`).

use axum::extract::FromRef;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use cqdt_platform::auth::{Access, TokenGrant};
use cqdt_platform::{HttpError, Platform, Principal, Problem, Role, RoleGrant};

use crate::error::IdentityError;
use crate::service::IdentityService;

mod admin;
mod api;
mod oauth;
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

/// Resolves the session cookie, or a bearer access token, to the principal the platform's
/// extractors hand to every module. A person's token carries its client and scopes (the
/// platform's auth hook checks them against the route); a client-credentials token (`sub` is
/// the client itself) is the client's `System` principal.
impl cqdt_platform::SessionResolver for IdentityService {
    fn display_names<'a>(&'a self, actors: &'a [String]) -> cqdt_platform::auth::NamesFuture<'a> {
        Box::pin(async move {
            // A page that cannot name people still shows what they did.
            self.display_names(actors).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, "account names could not be read");
                Default::default()
            })
        })
    }

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
            let bearer = bearer_token(&parts.headers)?;
            let claims = self.validate_access_token(bearer).await.ok()??;
            let client = self.cached_client(&claims.client_id).await.ok()??;
            let system = claims.sub == claims.client_id;
            let grant =
                TokenGrant::new(&client.client_id, client.first_party, system, &claims.scope);
            let session = format!("token:{}", claims.jti);
            if system {
                return Some(Principal {
                    account_id: client.client_id.clone(),
                    actor: format!("client:{}", client.client_id),
                    name: client.name.clone(),
                    kind: "system".into(),
                    agency: None,
                    roles: vec![RoleGrant {
                        role: Role::System,
                        agency: String::new(),
                        subtree: false,
                    }],
                    session_id: session,
                    access: Access::Token(grant),
                });
            }
            let account = self.account(&claims.sub).await.ok()??;
            if account.status != crate::account::AccountStatus::Active {
                return None;
            }
            let mut p = self.principal_of(&account, &session).await.ok()?;
            p.access = Access::Token(grant);
            Some(p)
        })
    }
}

/// The bearer token of a request (RFC 6750 §2.1; the scheme name is case-insensitive).
pub(super) fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRef<IdentityState> for Platform {
    fn from_ref(s: &IdentityState) -> Platform {
        s.platform.clone()
    }
}

/// The identity routes, ready to merge into the app.
pub fn router(state: IdentityState) -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(api::routes())
        .merge(pages::routes())
        .merge(admin::routes())
        .with_state(state)
}

/// How an identity error is shown: `NotFound` as 404, `Invalid` as 422 (a 400 page with the
/// message), `Forbidden` as 403, anything else as a logged 500. Protocol errors of the OAuth
/// endpoints never come this way (they have their RFC format).
impl From<IdentityError> for HttpError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::NotFound(m) => Problem::not_found(format!("Không tìm thấy {m}.")).into(),
            IdentityError::Invalid(m) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ")
                    .with_detail(m)
                    .into()
            }
            IdentityError::Forbidden(m) => Problem::forbidden(m).into(),
            other => HttpError::internal(other),
        }
    }
}

impl IntoResponse for IdentityError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    oauth::discovery,
    oauth::jwks,
    pages::oidc::authorize,
    oauth::userinfo,
    pages::oidc::rp_logout,
    oauth::token,
    oauth::introspect,
    oauth::revoke,
    api::list_clients,
    api::add_client,
    api::disable_client,
    api::enable_client,
    api::rotate_secret,
    api::list_keys,
    api::rotate_key,
))]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> serde_json::Value {
        cqdt_platform::openapi::json::<ApiDoc>()
    }

    #[test]
    fn the_document_lists_the_identity_endpoints() {
        let doc = doc();
        let paths: Vec<&str> =
            doc["paths"].as_object().expect("paths").keys().map(String::as_str).collect();
        for p in [
            "/.well-known/openid-configuration",
            "/oauth/jwks",
            "/oauth/authorize",
            "/oauth/userinfo",
            "/oauth/logout",
            "/oauth/token",
            "/oauth/introspect",
            "/oauth/revoke",
            "/api/v1/identity/clients",
            "/api/v1/identity/clients/{id}/disable",
            "/api/v1/identity/clients/{id}/enable",
            "/api/v1/identity/clients/{id}/secret",
            "/api/v1/identity/keys",
            "/api/v1/identity/keys/rotate",
        ] {
            assert!(paths.contains(&p), "{p} missing from {paths:?}");
        }
        assert_eq!(paths.len(), 14, "{paths:?}");
        let clients = &doc["paths"]["/api/v1/identity/clients"];
        assert!(clients["get"].is_object() && clients["post"].is_object());
    }

    #[test]
    fn security_requirements_name_the_platform_schemes() {
        use cqdt_platform::openapi::{BASIC, BEARER, SESSION};
        let doc = doc();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("operations") {
                let schemes: Vec<&str> = op["security"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .flat_map(|req| req.as_object().expect("requirement").keys())
                    .map(String::as_str)
                    .collect();
                if path.starts_with("/api/") {
                    assert_eq!(schemes, [SESSION, BEARER, BASIC], "{method} {path}");
                } else {
                    assert!(schemes.is_empty(), "{method} {path}: {schemes:?}");
                }
            }
        }
    }

    #[test]
    fn api_errors_are_problems_and_oauth_errors_keep_their_format() {
        let doc = doc();
        let add = &doc["paths"]["/api/v1/identity/clients"]["post"]["responses"];
        for status in ["400", "422"] {
            assert_eq!(add[status]["$ref"], "#/components/responses/Problem", "{status}");
        }
        let token = &doc["paths"]["/oauth/token"]["post"];
        assert_eq!(
            token["responses"]["400"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/OAuthErrorBody"
        );
        assert!(token["requestBody"]["content"]["application/x-www-form-urlencoded"].is_object());
        let schemas = &doc["components"]["schemas"];
        for s in ["OAuthClient", "NewClient", "SigningKeyInfo", "TokenResponse"] {
            assert!(schemas[s].is_object(), "schema {s} missing");
        }
    }

    #[test]
    fn errors_keep_their_problems() {
        let p = HttpError::from(IdentityError::NotFound("ứng dụng x".into())).problem;
        assert_eq!((p.status, p.title.as_str()), (404, "Không tìm thấy"));
        assert_eq!(p.detail.as_deref(), Some("Không tìm thấy ứng dụng x."));
        let p = HttpError::from(IdentityError::Invalid("Sai.".into())).problem;
        assert_eq!((p.status, p.title.as_str()), (422, "Dữ liệu không hợp lệ"));
        assert_eq!(p.detail.as_deref(), Some("Sai."));
        let e = HttpError::from(IdentityError::Invalid("Sai.".into()));
        assert!(matches!(e.page, cqdt_platform::PageError::BadRequest(m) if m == "Sai."));
        let e = HttpError::from(IdentityError::Forbidden("Không.".into()));
        assert!(matches!(e.page, cqdt_platform::PageError::Forbidden));
        let e = HttpError::from(IdentityError::Locked(5));
        assert_eq!(e.problem.status, 500);
        assert!(matches!(e.page, cqdt_platform::PageError::Internal));
    }
}

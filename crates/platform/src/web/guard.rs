//! Guards every request passes: the bootstrap admin, request ids, security headers and the
//! CSRF origin check.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;

use super::{PageError, Platform, Problem, Shell};

/// The bootstrap administrator, authenticated by HTTP Basic (user `admin`).
#[derive(Debug, Clone)]
pub struct Admin {
    /// Name recorded as the actor in the audit log.
    pub name: String,
}

/// Refusal to let a request through the admin guard.
pub enum AdminRejection {
    /// No or wrong credentials.
    Unauthorized,
    /// Too many failed attempts from this source.
    Locked,
    /// Signed in, but not as a platform administrator.
    Forbidden,
    /// A bearer token that does not grant this route.
    Scope(crate::auth::AuthRejection),
}

impl IntoResponse for AdminRejection {
    fn into_response(self) -> Response {
        if let AdminRejection::Scope(r) = self {
            return r.into_response();
        }
        if let AdminRejection::Forbidden = self {
            return PageError::Forbidden.into_response();
        }
        if let AdminRejection::Locked = self {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, HeaderValue::from_static("900"))],
                Html("<!doctype html><html lang=\"vi\"><title>Tạm khoá đăng nhập</title><h1>Tạm khoá đăng nhập</h1><p>Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.</p></html>"),
            )
                .into_response();
        }
        (
            StatusCode::UNAUTHORIZED,
            [(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"cqdt quan tri\", charset=\"UTF-8\""),
            )],
            Html("<!doctype html><html lang=\"vi\"><title>Cần đăng nhập</title><h1>Cần đăng nhập quản trị</h1><p>Trang này dành cho quản trị viên. <a href=\"/dang-nhap\">Đăng nhập</a> bằng tài khoản quản trị hệ thống.</p></html>"),
        )
            .into_response()
    }
}

impl AdminRejection {
    /// The refusal as an API client gets it: problem+json with the same status and headers.
    fn problem(self) -> Response {
        let (status, title, detail) = match self {
            AdminRejection::Scope(r) => return r.into_response(),
            AdminRejection::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Cần đăng nhập",
                "Thao tác này dành cho quản trị viên hệ thống.",
            ),
            AdminRejection::Locked => (
                StatusCode::TOO_MANY_REQUESTS,
                "Tạm khoá đăng nhập",
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.",
            ),
            AdminRejection::Forbidden => (
                StatusCode::FORBIDDEN,
                "Không có quyền",
                "Chỉ quản trị viên hệ thống được thực hiện thao tác này.",
            ),
        };
        let mut res = Problem::new(status, title).with_detail(detail).into_response();
        let h = res.headers_mut();
        match self {
            AdminRejection::Unauthorized => {
                h.insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"cqdt quan tri\", charset=\"UTF-8\""),
                );
            }
            AdminRejection::Locked => {
                h.insert(header::RETRY_AFTER, HeaderValue::from_static("900"));
            }
            AdminRejection::Forbidden | AdminRejection::Scope(_) => {}
        }
        res
    }
}

impl<S> FromRequestParts<S> for Admin
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    // A page gets the HTML refusal, an API (`/api/…`) problem+json.
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let api = super::is_api_path(parts.uri.path());
        admit(parts, state).await.map_err(|refusal| {
            if api {
                refusal.problem()
            } else {
                refusal.into_response()
            }
        })
    }
}

async fn admit<S>(
    parts: &mut axum::http::request::Parts,
    state: &S,
) -> Result<Admin, AdminRejection>
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    {
        let platform = Platform::from_ref(state);
        let basic = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic "));
        if !basic {
            // A platform administrator signed in through the identity module, or a system
            // whose token carries the scope the route declares.
            if let Some(p) = platform.auth.principal(parts).await.map_err(AdminRejection::Scope)? {
                if p.is_platform_admin() || p.has_role(crate::Role::System) {
                    return Ok(Admin { name: p.actor });
                }
                return Err(AdminRejection::Forbidden);
            }
        }
        let creds = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(AdminRejection::Unauthorized)?;
        let source = parts
            .extensions
            .get::<super::ClientIp>()
            .map(|c| c.0)
            .or_else(|| {
                parts
                    .extensions
                    .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                    .map(|c| c.0.ip())
            })
            .map(|ip| ip.to_string())
            .unwrap_or_else(|| "unknown".into());
        if platform.admin.locked_until(&source).is_some() {
            let event = crate::auth::SecurityEvent::of("security.admin_locked_out", parts);
            platform.auth.security(event).await;
            return Err(AdminRejection::Locked);
        }
        let (user, password) = creds.split_once(':').ok_or(AdminRejection::Unauthorized)?;
        if user != "admin" || !platform.admin.sign_in(&source, password).await {
            let user: String = user.chars().take(60).collect();
            let event = crate::auth::SecurityEvent::of("security.admin_sign_in_failed", parts)
                .details(serde_json::json!({"user": user}));
            platform.auth.security(event).await;
            return Err(AdminRejection::Unauthorized);
        }
        Ok(Admin { name: "admin".into() })
    }
}

/// The request id of the current request, for audit records.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(RequestId(
            parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
        ))
    }
}

/// Makes a fresh request id unless a trusted proxy sent one.
#[derive(Clone, Default)]
pub struct MakeRequestId;

impl tower_http::request_id::MakeRequestId for MakeRequestId {
    fn make_request_id<B>(
        &mut self,
        _request: &axum::http::Request<B>,
    ) -> Option<tower_http::request_id::RequestId> {
        let id = hex::encode(rand::random::<[u8; 12]>());
        HeaderValue::from_str(&id).ok().map(tower_http::request_id::RequestId::new)
    }
}

/// Origins besides our own that a page's forms may lead to: the relying party's registered
/// redirect URI on the sign-in, second-factor and consent pages of an OpenID Connect flow.
/// Browsers apply `form-action` to every redirect that follows a form's submission, so
/// without it the browser stops at the last hop to the application, which then never gets
/// its code. A handler puts this in its response's extensions; [`security_headers`] reads it.
#[derive(Debug, Clone, Default)]
pub struct FormTargets(pub Vec<String>);

impl FormTargets {
    /// The origin (`scheme://host[:port]`) of an absolute `http`/`https` URL, if it has one
    /// that can stand in a policy (no characters that would end the directive).
    pub fn origin_of(url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://")?;
        if !matches!(scheme, "https" | "http") {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next()?;
        let ok = !authority.is_empty()
            && !authority.contains('@')
            && authority.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        ok.then(|| format!("{scheme}://{}", authority.to_ascii_lowercase()))
    }
}

const CSP_BASE: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; \
    script-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; \
    form-action 'self'";

fn content_security_policy(targets: Option<&FormTargets>) -> HeaderValue {
    let extra: Vec<&str> = targets
        .map(|t| {
            t.0.iter()
                .filter(|o| FormTargets::origin_of(o).as_deref() == Some(o))
                .map(String::as_str)
                .collect()
        })
        .unwrap_or_default();
    if extra.is_empty() {
        return HeaderValue::from_static(CSP_BASE);
    }
    HeaderValue::from_str(&format!("{CSP_BASE} {}", extra.join(" ")))
        .unwrap_or_else(|_| HeaderValue::from_static(CSP_BASE))
}

/// Adds security headers to every response.
pub async fn security_headers(
    State(shell): State<Arc<Shell>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let csp = content_security_policy(res.extensions().get::<FormTargets>());
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    // Pages and answers are about someone (a dossier, an account, a queue): no shared or
    // browser cache keeps them unless the handler said the response is public (assets,
    // discovery documents).
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if shell.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod csp_tests {
    use super::*;

    #[test]
    fn a_form_target_adds_only_a_well_formed_origin_to_form_action() {
        let t = FormTargets(vec![
            "https://rp.example:8443".into(),
            "https://evil.example; script-src *".into(),
        ]);
        let csp = content_security_policy(Some(&t));
        let csp = csp.to_str().expect("ascii");
        assert!(csp.ends_with("form-action 'self' https://rp.example:8443"), "{csp}");
        assert!(!csp.contains("evil"), "{csp}");
        assert!(content_security_policy(None)
            .to_str()
            .expect("ascii")
            .ends_with("form-action 'self'"));
    }

    #[test]
    fn the_origin_of_a_redirect_uri_is_its_scheme_host_and_port() {
        assert_eq!(
            FormTargets::origin_of("https://App.example:8443/cb?x=1").as_deref(),
            Some("https://app.example:8443")
        );
        assert_eq!(
            FormTargets::origin_of("http://127.0.0.1:9/cb").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(FormTargets::origin_of("com.example.app:/cb"), None);
        assert_eq!(FormTargets::origin_of("https://u@evil.example/"), None);
    }
}

/// Refuses a request whose path or query carries a NUL character (`%00`): no field of ours
/// may hold one, and PostgreSQL refuses it in text, which would otherwise surface as a 500.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let nul = |s: &str| s.as_bytes().windows(3).any(|w| w.eq_ignore_ascii_case(b"%00"));
    if nul(uri.path()) || uri.query().is_some_and(nul) {
        let message = "Địa chỉ yêu cầu chứa ký tự NUL (%00), không được chấp nhận.";
        return if super::is_api_path(uri.path()) {
            Problem::bad_request(message).into_response()
        } else {
            PageError::BadRequest(message.into()).into_response()
        };
    }
    next.run(req).await
}

/// The one route a browser may post to from another site: the authorization endpoint takes
/// the client's form (OpenID Connect Core §3.1.2.1) as it takes a link; nothing changes there
/// until the person signs in or consents on this site's own pages.
const CROSS_SITE_POSTS: [&str; 1] = ["/oauth/authorize"];

/// Refuses state-changing requests that a browser sent from another site (CSRF), but for
/// [`CROSS_SITE_POSTS`].
pub async fn csrf_guard(
    State(auth): State<crate::auth::AuthHook>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if cross_site(req.headers()) && !CROSS_SITE_POSTS.contains(&req.uri().path()) {
        let (parts, _) = req.into_parts();
        let origin = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let event = crate::auth::SecurityEvent::of("security.csrf_refused", &parts)
            .details(serde_json::json!({"method": parts.method.as_str(), "origin": origin}));
        auth.security(event).await;
        return PageError::Forbidden.into_response();
    }
    next.run(req).await
}

fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    match (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => {
            let origin_host = origin.split("://").nth(1).unwrap_or(origin);
            origin_host != host
        }
        (Some(_), None) => true,
        // No Origin: not a browser form post from another site (curl, API clients).
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_nul_in_the_query_is_refused_before_any_handler() {
        use axum::body::Body;
        use axum::routing::get;
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route("/api/v1/tasks", get(|| async { "handled" }))
            .layer(axum::middleware::from_fn(refuse_nul));
        let res = app
            .clone()
            .oneshot(Request::get("/api/v1/tasks?role=a%00b").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
        let ok = app
            .oneshot(Request::get("/api/v1/tasks?role=a%20b").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::OK);
    }

    #[test]
    fn a_post_from_another_site_is_cross_site() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("cqdt.local:8080"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(cross_site(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("http://cqdt.local:8080"));
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h));
    }
}

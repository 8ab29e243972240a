//! The web shell: shared state, the page layout, errors in Vietnamese and problem+json,
//! the bootstrap admin guard, security headers, CSRF origin checks and request metrics.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use askama::Template;
use axum::extract::{FromRef, FromRequestParts, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use serde::Serialize;

use crate::clock::SharedClock;
use crate::db::Db;
use crate::service::{AdminCredentials, FileStore, JobQueue, Settings};

/// A module as the home page and navigation show it.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleInfo {
    /// Module id from DESIGN.md (M1, M3, …).
    pub id: &'static str,
    /// Vietnamese name.
    pub name: &'static str,
    /// One sentence in Vietnamese on what it offers.
    pub summary: &'static str,
    /// Where it starts.
    pub href: &'static str,
}

/// What every page's layout needs.
#[derive(Debug, Clone)]
pub struct Shell {
    /// Name of the instance (the province).
    pub instance_name: String,
    /// True when the demo province is loaded: pages show a banner.
    pub demo: bool,
    /// The modules running in this binary.
    pub modules: Vec<ModuleInfo>,
    /// Whether the public address is HTTPS (turns on HSTS).
    pub tls: bool,
}

/// Shared state of the platform core, reachable from every module's router.
#[derive(Clone)]
pub struct Platform {
    /// The database.
    pub db: Db,
    /// The clock.
    pub clock: SharedClock,
    /// Outbox / job queue.
    pub jobs: JobQueue,
    /// Attachment store.
    pub files: FileStore,
    /// Settings.
    pub settings: Settings,
    /// Bootstrap admin credentials.
    pub admin: AdminCredentials,
    /// Page shell.
    pub shell: Arc<Shell>,
    /// Request metrics.
    pub metrics: Arc<Metrics>,
    /// Where the identity module resolves sessions to signed-in people.
    pub auth: crate::auth::AuthHook,
}

/// Renders a template into a response, or the Vietnamese error page if rendering fails.
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            PageError::Internal.into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    shell: Shell,
    title: &'a str,
    message: &'a str,
}

fn bare_shell() -> Shell {
    Shell {
        instance_name: "cqdt".into(),
        demo: false,
        modules: Vec::new(),
        tls: false,
    }
}

/// An error shown to a person as a Vietnamese page.
#[derive(Debug)]
pub enum PageError {
    /// 404.
    NotFound,
    /// 400 with a message for the user.
    BadRequest(String),
    /// 403.
    Forbidden,
    /// 500; details go to the log, not the page.
    Internal,
}

impl PageError {
    /// Logs an internal failure and turns it into a 500 page.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        PageError::Internal
    }
}

impl PageError {
    /// The error page inside the instance's own shell (navigation, demo banner).
    pub fn with_shell(self, shell: &Shell) -> Response {
        self.render(shell.clone())
    }

    fn render(self, shell: Shell) -> Response {
        let (status, title, message) = match &self {
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Không tìm thấy trang",
                "Trang bạn tìm không tồn tại hoặc đã được chuyển đi. Hãy kiểm tra lại địa chỉ, hoặc quay về trang chủ.",
            ),
            PageError::BadRequest(m) => (StatusCode::BAD_REQUEST, "Yêu cầu không hợp lệ", m.as_str()),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Không được phép",
                "Bạn không có quyền thực hiện thao tác này.",
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Hệ thống đang gặp sự cố",
                "Đã có lỗi xảy ra phía máy chủ. Dữ liệu của bạn không bị thay đổi. Vui lòng thử lại sau ít phút.",
            ),
        };
        let page = ErrorPage {
            shell,
            title,
            message,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("<h1>{title}</h1><p>{message}</p>"));
        (status, Html(body)).into_response()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        self.render(bare_shell())
    }
}

/// One field-level problem in a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    /// Which field (a name, or a JSON pointer such as `/rows/3/code`).
    pub field: String,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

/// An RFC 9457 problem detail for JSON APIs.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// Problem type URI.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Explanation of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level details.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    /// A problem with a status and a title.
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Problem {
            kind: "about:blank".into(),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
        }
    }

    /// 400 with a detail.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, "Dữ liệu không hợp lệ").with_detail(detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, "Không tìm thấy").with_detail(detail)
    }

    /// 500; the cause goes to the log only.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Lỗi hệ thống")
            .with_detail("Đã có lỗi phía máy chủ; không có dữ liệu nào bị thay đổi.")
    }

    /// Adds a detail.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds field errors.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}

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
}

impl IntoResponse for AdminRejection {
    fn into_response(self) -> Response {
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

impl<S> FromRequestParts<S> for Admin
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AdminRejection;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let platform = Platform::from_ref(state);
        let basic = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Basic "));
        if !basic {
            // A platform administrator signed in through the identity module.
            if let Some(p) = platform.auth.principal(parts).await {
                if p.is_platform_admin() {
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
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or(AdminRejection::Unauthorized)?;
        let source = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        if platform.admin.locked_until(&source).is_some() {
            return Err(AdminRejection::Locked);
        }
        let (user, password) = creds.split_once(':').ok_or(AdminRejection::Unauthorized)?;
        if user != "admin" || !platform.admin.sign_in(&source, password).await {
            return Err(AdminRejection::Unauthorized);
        }
        Ok(Admin {
            name: "admin".into(),
        })
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
        HeaderValue::from_str(&id)
            .ok()
            .map(tower_http::request_id::RequestId::new)
    }
}

/// Adds security headers to every response.
pub async fn security_headers(
    State(shell): State<Arc<Shell>>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if shell.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Refuses state-changing requests that a browser sent from another site (CSRF).
pub async fn csrf_guard(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    if cross_site(req.headers()) {
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

/// Counters and latency histograms of HTTP requests, for Prometheus.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<MetricsInner>,
}

#[derive(Default)]
struct MetricsInner {
    requests: BTreeMap<(String, String, u16), u64>,
    durations: BTreeMap<String, Histogram>,
}

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; 10],
    count: u64,
    sum: f64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.inner.lock() {
            *m.requests
                .entry((method.to_string(), route.to_string(), status))
                .or_default() += 1;
            let h = m.durations.entry(route.to_string()).or_default();
            for (i, b) in BUCKETS.iter().enumerate() {
                if seconds <= *b {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += seconds;
        }
    }

    /// The Prometheus text exposition of the request metrics.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP cqdt_http_requests_total HTTP requests by method, route and status.\n# TYPE cqdt_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "cqdt_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape_label(route)
            );
        }
        out.push_str("# HELP cqdt_http_request_duration_seconds HTTP request latency by route.\n# TYPE cqdt_http_request_duration_seconds histogram\n");
        for (route, h) in &m.durations {
            let route = escape_label(route);
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "cqdt_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{b}\"}} {}",
                    h.counts[i]
                );
            }
            let _ = writeln!(
                out,
                "cqdt_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "cqdt_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "cqdt_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out
    }
}

fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Records each request's route, status and latency.
pub async fn track_metrics(
    State(metrics): State<Arc<Metrics>>,
    req: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    metrics.observe(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}

/// The stylesheet of the design system, embedded in the binary.
pub const APP_CSS: &str = include_str!("../assets/app.css");

/// Serves the stylesheet.
pub async fn app_css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        APP_CSS,
    )
}

/// Percent-encodes a query value or path segment (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Folds Vietnamese text for diacritic-insensitive search: "Giấy phép" → "giay phep".
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        out.push(fold_char(c));
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn fold_char(c: char) -> char {
    const GROUPS: [(&str, char); 7] = [
        ("àáảãạăằắẳẵặâầấẩẫậ", 'a'),
        ("èéẻẽẹêềếểễệ", 'e'),
        ("ìíỉĩị", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợ", 'o'),
        ("ùúủũụưừứửữự", 'u'),
        ("ỳýỷỹỵ", 'y'),
        ("đ", 'd'),
    ];
    if c.is_ascii() {
        return c;
    }
    for (set, base) in GROUPS {
        if set.contains(c) {
            return base;
        }
    }
    c
}

/// The QR code of `text` as an SVG image with a text alternative.
pub fn qr_svg(text: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Drop the XML declaration and label the image for screen readers.
    let start = svg.find("<svg")?;
    let escaped = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    Some(svg[start..].replacen(
        "<svg",
        &format!("<svg role=\"img\" aria-label=\"{escaped}\""),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_ignores_vietnamese_diacritics_and_case() {
        assert_eq!(fold("Giấy phép  Xây dựng"), "giay phep xay dung");
        assert_eq!(fold("ĐƯỜNG Sóc Trăng"), "duong soc trang");
    }

    #[test]
    fn a_post_from_another_site_is_cross_site() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("cqdt.local:8080"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(cross_site(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://cqdt.local:8080"),
        );
        assert!(!cross_site(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(cross_site(&h));
    }

    #[test]
    fn metrics_are_exposed_in_prometheus_text_format() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, 0.002);
        let text = m.render();
        assert!(text.contains(
            "cqdt_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "cqdt_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.0025\"} 1"
        ));
        assert!(text.contains(
            "cqdt_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"0.001\"} 0"
        ));
    }
}

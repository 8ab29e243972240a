//! Errors that render themselves: RFC 9457 problem+json on `/api/…`, the Vietnamese error page
//! (inside the instance's shell) everywhere else.
//!
//! A module's error type converts into [`HttpError`] (status, problem and page), and implements
//! `IntoResponse` through it, so handlers return `Result<_, ModuleError>` and use `?`. The
//! response carries the problem+json body and the page to show as an extension; the
//! [`error_pages`] middleware, which knows the request path and the shell, swaps in the page
//! for requests outside `/api/`.

use std::sync::Arc;

use askama::Template;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use super::{clip, Shell};

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
        menu: &[],
        admin_sections: &[],
    }
}

/// An error shown to a person as a Vietnamese page.
#[derive(Debug, Clone)]
pub enum PageError {
    /// 404.
    NotFound,
    /// 400 with a message for the user.
    BadRequest(String),
    /// 403.
    Forbidden,
    /// 413 with a message for the user: more sent than the form takes.
    TooLarge(String),
    /// 500; details go to the log, not the page.
    Internal,
}

impl PageError {
    /// Logs an internal failure and turns it into a 500 page.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "internal error");
        PageError::Internal
    }

    /// The error page inside the instance's own shell (navigation, demo banner).
    pub fn with_shell(self, shell: &Shell) -> Response {
        self.render(shell.clone())
    }

    fn status(&self) -> StatusCode {
        match self {
            PageError::NotFound => StatusCode::NOT_FOUND,
            PageError::BadRequest(_) => StatusCode::BAD_REQUEST,
            PageError::Forbidden => StatusCode::FORBIDDEN,
            PageError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            PageError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn render(self, shell: Shell) -> Response {
        let (title, message) = match &self {
            PageError::NotFound => (
                "Không tìm thấy trang",
                "Trang bạn tìm không tồn tại hoặc đã được chuyển đi. Hãy kiểm tra lại địa chỉ, hoặc quay về trang chủ.",
            ),
            PageError::BadRequest(m) => ("Yêu cầu không hợp lệ", m.as_str()),
            PageError::TooLarge(m) => ("Nội dung quá lớn", m.as_str()),
            PageError::Forbidden => (
                "Không được phép",
                "Bạn không có quyền thực hiện thao tác này.",
            ),
            PageError::Internal => (
                "Hệ thống đang gặp sự cố",
                "Đã có lỗi xảy ra phía máy chủ. Dữ liệu của bạn không bị thay đổi. Vui lòng thử lại sau ít phút.",
            ),
        };
        // Several field messages may be joined here; still, none grows with the input.
        let message = &clip(message, 8 * MESSAGE_LIMIT);
        let page = ErrorPage { shell, title, message };
        let body = page.render().unwrap_or_else(|_| format!("<h1>{title}</h1><p>{message}</p>"));
        (self.status(), Html(body)).into_response()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        // Rendered in a bare shell here; `error_pages` re-renders it in the instance's shell.
        let mut res = self.clone().render(bare_shell());
        res.extensions_mut().insert(PageOnly(self));
        res
    }
}

/// One field-level problem in a request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// Which field (a name, or a JSON pointer such as `/rows/3/code`).
    pub field: String,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl FieldError {
    /// A problem with one field.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// An RFC 9457 problem detail for JSON APIs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// A machine-readable error code where a standard names one (an RFC 9457 extension
    /// member), e.g. RFC 6750's `insufficient_scope`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
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
            code: None,
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

    /// 403 with a detail.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::FORBIDDEN, "Không có quyền").with_detail(detail)
    }

    /// 409 with a detail.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::CONFLICT, "Không thực hiện được").with_detail(detail)
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

    /// Adds a machine-readable error code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// Adds field errors.
    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The page a person sees for this problem: 404 and 403 as the standard pages, 5xx as
    /// the internal-error page, anything else as a bad request with the detail (or the field
    /// messages) as its text.
    pub fn page(&self) -> PageError {
        match self.status {
            404 => PageError::NotFound,
            403 => PageError::Forbidden,
            413 => PageError::TooLarge(self.detail.clone().unwrap_or_else(|| self.title.clone())),
            s if s >= 500 => PageError::Internal,
            _ => {
                let fields =
                    self.errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" ");
                PageError::BadRequest(match &self.detail {
                    Some(d) if fields.is_empty() => d.clone(),
                    _ if !fields.is_empty() => fields,
                    _ => self.title.clone(),
                })
            }
        }
    }
}

/// Most characters of a parser's message (which quotes the input) an answer repeats.
const ECHO_LIMIT: usize = 300;

/// Most characters of a detail or a field message any answer carries: messages quote what
/// was sent, and no answer may grow with the input.
const MESSAGE_LIMIT: usize = 1000;

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        self.detail = self.detail.map(|d| clip(&d, MESSAGE_LIMIT));
        for e in &mut self.errors {
            e.field = clip(&e.field, 200);
            e.message = clip(&e.message, MESSAGE_LIMIT);
        }
        let body = serde_json::to_string(&self).unwrap_or_else(|_| "{}".into());
        (self.status_code(), [(header::CONTENT_TYPE, "application/problem+json")], body)
            .into_response()
    }
}

/// An error as HTTP knows it: the problem an API client gets and the page a person gets.
///
/// Every module error converts into this (`impl From<ModuleError> for HttpError`) and
/// implements `IntoResponse` by way of it.
#[derive(Debug, Clone)]
pub struct HttpError {
    /// What `/api/…` answers.
    pub problem: Problem,
    /// What a page answers (its status is the page kind's own: a 409 problem is a 400
    /// "bad request" page, as pages have always answered).
    pub page: PageError,
}

impl HttpError {
    /// An error whose page follows from its problem (see [`Problem::page`]).
    pub fn new(problem: Problem) -> Self {
        let page = problem.page();
        HttpError { problem, page }
    }

    /// Shows `page` to people instead of the page the problem implies.
    pub fn with_page(mut self, page: PageError) -> Self {
        self.page = page;
        self
    }

    /// 500; the cause goes to the log only.
    pub fn internal(e: impl std::fmt::Display) -> Self {
        HttpError::new(Problem::internal(e))
    }
}

impl From<Problem> for HttpError {
    fn from(problem: Problem) -> Self {
        HttpError::new(problem)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut res = self.problem.into_response();
        res.extensions_mut().insert(PageOnly(self.page));
        res
    }
}

/// The page to show instead of a response's body when the request came from a page.
#[derive(Debug, Clone)]
struct PageOnly(PageError);

/// Whether a path belongs to a machine API (problem+json errors) rather than to pages: the
/// APIs, the catalog API `/dmdc/` and the integration platform's gateway `/lgsp/`.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/dmdc/") || path.starts_with("/lgsp/")
}

/// Middleware: for requests outside `/api/` (and the catalog API `/dmdc/`), replaces an error response's body with the
/// Vietnamese error page in the instance's shell. API requests keep problem+json.
pub async fn error_pages(State(shell): State<Arc<Shell>>, req: Request, next: Next) -> Response {
    let api = is_api_path(req.uri().path());
    let mut res = next.run(req).await;
    if api && plain_text_error(&res) {
        return problem_from_plain_text(res).await;
    }
    match res.extensions_mut().remove::<PageOnly>() {
        Some(PageOnly(page)) if !api => {
            let mut page_res = page.with_shell(&shell);
            // Headers the handler set (Retry-After, WWW-Authenticate…) stay.
            for (k, v) in res.headers() {
                if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                    page_res.headers_mut().insert(k.clone(), v.clone());
                }
            }
            page_res
        }
        _ => res,
    }
}

/// An error answered as plain text: axum's own rejections (a path segment that is not a
/// number, a malformed query or multipart body, a wrong method).
fn plain_text_error(res: &Response) -> bool {
    (res.status().is_client_error() || res.status().is_server_error())
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"))
}

/// The same error as problem+json, so that every API error has the documented form.
async fn problem_from_plain_text(res: Response) -> Response {
    let (parts, body) = res.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let title = match parts.status {
        StatusCode::NOT_FOUND => "Không tìm thấy",
        StatusCode::METHOD_NOT_ALLOWED => "Phương thức không được hỗ trợ",
        StatusCode::PAYLOAD_TOO_LARGE => "Nội dung quá lớn",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Kiểu nội dung không được hỗ trợ",
        s if s.is_server_error() => "Lỗi hệ thống",
        _ => "Dữ liệu không hợp lệ",
    };
    let mut problem = Problem::new(parts.status, title);
    if !text.is_empty() && !parts.status.is_server_error() {
        problem =
            problem.with_detail(format!("Yêu cầu không đọc được: {}", clip(&text, ECHO_LIMIT)));
    }
    let mut out = problem.into_response();
    for (k, v) in &parts.headers {
        if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
            out.headers_mut().insert(k.clone(), v.clone());
        }
    }
    out
}

/// A JSON request body whose rejection is a problem+json 400 in Vietnamese.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    axum::Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(HttpError::new(
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Nội dung quá lớn")
                    .with_detail("Nội dung JSON vượt quá giới hạn cho phép của yêu cầu này."),
            )),
            // The parser's message quotes the value it could not take: clipped.
            Err(e) => Err(HttpError::new(Problem::bad_request(format!(
                "Nội dung JSON không đọc được: {}",
                clip(&e.body_text(), ECHO_LIMIT)
            )))),
        }
    }
}

/// Query parameters whose rejection is a problem+json 400 in Vietnamese.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    axum::extract::Query<T>: FromRequestParts<S, Rejection = QueryRejection>,
    S: Send + Sync,
{
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(HttpError::new(Problem::bad_request(format!(
                "Tham số truy vấn không đọc được: {}",
                clip(&e.body_text(), ECHO_LIMIT)
            )))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_is_a_bad_request_page_with_its_detail() {
        let p = Problem::conflict("Hồ sơ đã kết thúc.");
        assert!(matches!(p.page(), PageError::BadRequest(m) if m == "Hồ sơ đã kết thúc."));
    }

    #[test]
    fn field_errors_become_one_sentence_on_a_page() {
        let p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Chưa hợp lệ")
            .with_detail("Xem danh sách lỗi.")
            .with_errors(vec![
                FieldError::new("a", "Thiếu họ tên."),
                FieldError::new("b", "Sai ngày sinh."),
            ]);
        assert!(
            matches!(p.page(), PageError::BadRequest(m) if m == "Thiếu họ tên. Sai ngày sinh.")
        );
    }

    #[test]
    fn not_found_forbidden_and_internal_keep_their_pages() {
        assert!(matches!(Problem::not_found("x").page(), PageError::NotFound));
        assert!(matches!(Problem::forbidden("x").page(), PageError::Forbidden));
        assert!(matches!(Problem::internal("x").page(), PageError::Internal));
    }

    #[tokio::test]
    async fn a_page_request_gets_the_page_and_an_api_request_the_problem() {
        use axum::body::Body;
        use axum::routing::get;
        use tower::ServiceExt;
        async fn fails() -> Result<&'static str, HttpError> {
            Err(Problem::conflict("Đã được xử lý.").into())
        }
        let shell = Arc::new(Shell { instance_name: "Tỉnh thử".into(), ..bare_shell() });
        let app = axum::Router::new()
            .route("/trang", get(fails))
            .route("/api/v1/x", get(fails))
            .layer(axum::middleware::from_fn_with_state(shell, error_pages));
        let page =
            app.clone().oneshot(Request::get("/trang").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        let body = axum::body::to_bytes(page.into_body(), 1 << 20).await.unwrap();
        let html = String::from_utf8_lossy(&body);
        assert!(html.contains("Đã được xử lý.") && html.contains("Tỉnh thử"), "{html}");
        let api =
            app.oneshot(Request::get("/api/v1/x").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(api.status(), StatusCode::CONFLICT);
        assert_eq!(api.headers()[header::CONTENT_TYPE], "application/problem+json");
    }

    #[tokio::test]
    async fn a_rejected_path_parameter_on_the_api_is_problem_json() {
        use axum::body::Body;
        use axum::extract::Path;
        use axum::routing::get;
        use tower::ServiceExt;
        async fn task(Path(id): Path<i64>) -> String {
            id.to_string()
        }
        let app = axum::Router::new()
            .route("/api/v1/tasks/{id}", get(task))
            .layer(axum::middleware::from_fn_with_state(Arc::new(bare_shell()), error_pages));
        let res = app
            .oneshot(Request::get("/api/v1/tasks/khong-phai-so").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/problem+json");
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.unwrap();
        let p: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(p["status"], 400);
        assert!(p["detail"].as_str().unwrap().contains("Cannot parse"), "{p}");
    }

    #[tokio::test]
    async fn a_json_body_over_the_routes_limit_is_a_413_and_a_bad_value_is_not_echoed_whole() {
        use axum::body::Body;
        use axum::extract::DefaultBodyLimit;
        use axum::routing::post;
        use tower::ServiceExt;
        #[derive(serde::Deserialize)]
        struct Score {
            #[allow(dead_code)]
            score: i64,
        }
        async fn rate(ApiJson(_): ApiJson<Score>) -> &'static str {
            "ok"
        }
        let app = |limit: usize| {
            axum::Router::new()
                .route("/api/v1/rate", post(rate))
                .layer(DefaultBodyLimit::max(limit))
                .layer(axum::middleware::from_fn_with_state(Arc::new(bare_shell()), error_pages))
        };
        let send = |limit: usize, body: String| async move {
            let req = Request::post("/api/v1/rate")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap();
            let res = app(limit).oneshot(req).await.unwrap();
            let status = res.status();
            let body = axum::body::to_bytes(res.into_body(), 64 << 20).await.unwrap();
            (status, String::from_utf8_lossy(&body).to_string())
        };
        let big = format!("{{\"score\": \"{}\"}}", "x".repeat(6_000_000));
        let (status, body) = send(1024 * 1024, big.clone()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert!(body.contains("quá lớn"), "{body}");
        let (status, body) = send(8 << 20, big).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.len() < 2000 && body.contains("invalid type") && body.contains('…'), "{body}");
    }

    #[test]
    fn no_problem_or_page_carries_a_message_longer_than_its_limit() {
        let huge = "y".repeat(6_000_000);
        let p = Problem::bad_request(huge.clone())
            .with_errors(vec![FieldError::new(huge.clone(), huge.clone())]);
        let res = p.into_response();
        let body = futures_body(res);
        assert!(body.len() < 4000, "{}", body.len());
        let page = PageError::BadRequest(huge).render(bare_shell());
        assert!(futures_body(page).len() < 64 * 1024);
    }

    fn futures_body(res: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let bytes = rt.block_on(axum::body::to_bytes(res.into_body(), 64 << 20)).unwrap();
        String::from_utf8_lossy(&bytes).to_string()
    }
}

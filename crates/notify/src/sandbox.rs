//! SANDBOX: a stand-in for a real SMS gateway, for tests and demos (`cqdt sandbox sms`).
//!
//! It speaks the same protocol as [`crate::channels::HttpSmsGateway`]: `POST /api/sms` with
//! JSON `{"to": "...", "text": "..."}` and an optional bearer token. Messages are kept in
//! memory (the newest 1,000) and never leave the machine; `GET /api/sms` lists them as JSON
//! and `GET /` shows them on a page clearly labelled as a sandbox.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use cqdt_platform::Problem;

use crate::model::{parse_vn_phone, MAX_SMS_CHARS};

/// How many messages the sandbox remembers.
pub const SANDBOX_CAPACITY: usize = 1000;

/// A message the sandbox accepted.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxSms {
    /// Sequence number, from 1.
    pub id: u64,
    /// Recipient, normalised to `+84…`.
    pub to: String,
    /// Text.
    pub text: String,
    /// When it arrived (RFC 3339, UTC).
    pub received_at: String,
}

impl SandboxSms {
    /// When it arrived, in Vietnamese local time.
    pub fn received_at_vn(&self) -> String {
        crate::model::ts_vn(&self.received_at)
    }
}

#[derive(Default)]
struct Inbox {
    next_id: u64,
    messages: VecDeque<SandboxSms>,
}

/// The SMS gateway sandbox: its configuration and its in-memory inbox.
#[derive(Clone, Default)]
pub struct SmsSandbox {
    token: Option<String>,
    inbox: Arc<Mutex<Inbox>>,
}

impl SmsSandbox {
    /// A sandbox that requires `token` as a bearer token when one is given.
    pub fn new(token: Option<String>) -> Self {
        SmsSandbox { token: token.filter(|t| !t.is_empty()), inbox: Arc::default() }
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<SandboxSms> {
        self.inbox.lock().map(|i| i.messages.iter().cloned().collect()).unwrap_or_default()
    }

    /// The sandbox's routes.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(page))
            .route("/api/sms", get(list).post(accept))
            .route("/healthz", get(|| async { Json(json!({"status": "ok", "sandbox": "sms"})) }))
            .route("/assets/app.css", get(cqdt_platform::web::app_css))
            .with_state(self.clone())
    }

    fn store(&self, to: String, text: String) -> SandboxSms {
        let received_at = cqdt_platform::clock::format_ts(chrono::Utc::now());
        let Ok(mut inbox) = self.inbox.lock() else {
            return SandboxSms { id: 0, to, text, received_at };
        };
        inbox.next_id += 1;
        let sms = SandboxSms { id: inbox.next_id, to, text, received_at };
        inbox.messages.push_back(sms.clone());
        while inbox.messages.len() > SANDBOX_CAPACITY {
            inbox.messages.pop_front();
        }
        sms
    }
}

/// The SMS gateway sandbox's routes, with no token required.
pub fn sms_sandbox_router() -> Router {
    SmsSandbox::new(None).router()
}

/// Why the sandbox refused a message, answered as the gateway answers: problem+json, except
/// for a bad token (plain JSON with `WWW-Authenticate: Bearer`).
#[derive(Debug)]
enum Refusal {
    /// The bearer token is missing or wrong.
    Token,
    /// The body is not JSON.
    NotJson(String),
    /// The number is not a Vietnamese mobile number.
    Number(String),
    /// The text is empty or too long.
    Text,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, title, detail) =
            match self {
                Refusal::Token => return (
                    StatusCode::UNAUTHORIZED,
                    [(header::WWW_AUTHENTICATE, "Bearer")],
                    Json(json!({"type": "about:blank", "title": "Sai mã truy cập", "status": 401})),
                )
                    .into_response(),
                Refusal::NotJson(e) => (
                    StatusCode::BAD_REQUEST,
                    "Dữ liệu không hợp lệ",
                    format!("Nội dung không phải JSON hợp lệ: {e}"),
                ),
                Refusal::Number(detail) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "Số điện thoại không hợp lệ", detail)
                }
                Refusal::Text => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Nội dung không hợp lệ",
                    format!("Nội dung tin nhắn phải có từ 1 đến {MAX_SMS_CHARS} ký tự."),
                ),
            };
        Problem::new(status, title).with_detail(detail).into_response()
    }
}

impl SmsSandbox {
    /// Checks the bearer token, when one is required.
    fn authorize(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if given == Some(expected.as_str()) {
            Ok(())
        } else {
            tracing::warn!(sandbox = "sms", "SANDBOX: SMS refused, bad or missing bearer token");
            Err(Refusal::Token)
        }
    }
}

/// What a client posts: `{"to": "...", "text": "..."}`, checked as the gateway checks it.
fn parse_message(body: &[u8]) -> Result<(String, String), Refusal> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| Refusal::NotJson(e.to_string()))?;
    let to = value.get("to").and_then(|v| v.as_str()).unwrap_or("");
    let text = value.get("text").and_then(|v| v.as_str()).unwrap_or("");
    let to = parse_vn_phone(to).map_err(|e| {
        Refusal::Number(
            e.field_errors().first().map(|f| f.message.clone()).unwrap_or_else(|| e.to_string()),
        )
    })?;
    if text.trim().is_empty() || text.chars().count() > MAX_SMS_CHARS {
        return Err(Refusal::Text);
    }
    Ok((to, text.to_string()))
}

async fn accept(
    State(s): State<SmsSandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    s.authorize(&headers)?;
    let (to, text) = parse_message(&body)?;
    let sms = s.store(to, text);
    tracing::info!(sandbox = "sms", id = sms.id, to = %sms.to, "SANDBOX: SMS accepted (not sent to any real phone)");
    Ok((StatusCode::ACCEPTED, Json(json!({"id": sms.id, "status": "accepted", "sandbox": true})))
        .into_response())
}

async fn list(State(s): State<SmsSandbox>) -> Response {
    Json(json!({"sandbox": true, "messages": s.messages()})).into_response()
}

#[derive(Template)]
#[template(path = "sms_sandbox.html")]
struct SandboxPage {
    messages: Vec<SandboxSms>,
    token_required: bool,
}

async fn page(State(s): State<SmsSandbox>) -> Response {
    let mut messages = s.messages();
    messages.reverse();
    let page = SandboxPage { messages, token_required: s.token.is_some() };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "sandbox page");
            (StatusCode::INTERNAL_SERVER_ERROR, "sandbox page failed").into_response()
        }
    }
}

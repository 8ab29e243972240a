//! The request a task is serving, as a security event needs it: the client's address, the
//! request id, the route, who is signed in and where events go. The [`request_context`]
//! middleware keeps it task-local for the request's handler, so that a service deep in a
//! handler (a dossier asked for by someone else, a refused upload in the file store) records
//! a [`SecurityEvent`] with [`SecurityEvent::here`] without the request being passed down.

use std::sync::{Arc, OnceLock};

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;

use super::{AuthHook, SecurityEvent};

/// The request being served (see the module's documentation).
#[derive(Clone)]
struct RequestContext {
    ip: String,
    request_id: String,
    user_agent: String,
    path: String,
    /// The length the client declared for its body.
    content_length: Option<u64>,
    /// Who is signed in, once an extractor has resolved them.
    actor: Arc<OnceLock<String>>,
    log: AuthHook,
}

tokio::task_local! {
    static CONTEXT: RequestContext;
}

/// Keeps the request's context for its handler (after the client's address and the request
/// id are settled, so inside those layers).
pub async fn request_context(State(log): State<AuthHook>, req: Request, next: Next) -> Response {
    let context = context_of(&req, log);
    CONTEXT.scope(context, next.run(req)).await
}

/// What a security event needs of `req` (a plain function: a borrow of the request must not
/// live across the handler's await, or the future would not be `Send`).
fn context_of(req: &Request, log: AuthHook) -> RequestContext {
    let header = |name: header::HeaderName, max: usize| -> String {
        let value = req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("");
        value.chars().take(max).collect()
    };
    RequestContext {
        ip: req
            .extensions()
            .get::<crate::web::ClientIp>()
            .map(|c| c.0.to_string())
            .unwrap_or_default(),
        request_id: header(header::HeaderName::from_static("x-request-id"), 100),
        user_agent: header(header::USER_AGENT, 200),
        path: req.uri().path().chars().take(300).collect(),
        content_length: header(header::CONTENT_LENGTH, 20).parse().ok(),
        actor: Arc::default(),
        log,
    }
}

/// Notes who is signed in on the current request, for its security events (the first
/// resolution wins; outside a request, nothing).
pub(super) fn note_actor(account_id: &str) {
    let _ = CONTEXT.try_with(|c| c.actor.set(account_id.to_string()));
}

/// The body length the current request declared, if any.
pub fn declared_length() -> Option<u64> {
    CONTEXT.try_with(|c| c.content_length).ok().flatten()
}

impl SecurityEvent {
    /// An event about the request being served (empty address and route outside one).
    pub fn here(action: &'static str) -> SecurityEvent {
        let mut event = SecurityEvent {
            action,
            actor: "anonymous".into(),
            ip: String::new(),
            request_id: String::new(),
            path: String::new(),
            user_agent: String::new(),
            details: serde_json::Value::Null,
        };
        let _ = CONTEXT.try_with(|c| {
            event.ip = c.ip.clone();
            event.request_id = c.request_id.clone();
            event.path = c.path.clone();
            event.user_agent = c.user_agent.clone();
            if let Some(actor) = c.actor.get() {
                event.actor = actor.clone();
            }
        });
        event
    }

    /// Says who asked, where the caller knows better than the request.
    pub fn actor(mut self, actor: &str) -> SecurityEvent {
        self.actor = actor.chars().take(100).collect();
        self
    }

    /// Records the event in the current request's security log (outside a request, in the
    /// service's log only).
    pub async fn record(self) {
        match CONTEXT.try_with(|c| c.log.clone()) {
            Ok(log) => log.security(self).await,
            Err(_) => {
                tracing::warn!(action = self.action, details = %self.details, "security event");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn outside_a_request_an_event_has_no_address_and_records_nowhere() {
        let e = SecurityEvent::here("security.test").actor("a");
        assert_eq!((e.ip.as_str(), e.path.as_str(), e.actor.as_str()), ("", "", "a"));
        e.record().await;
        assert_eq!(declared_length(), None);
    }
}

//! SANDBOX: the time-stamping authority `cqdt sandbox tsa` serves, so that the message log's
//! seals (and later the signatures) are time-stamped offline. Its tokens are real RFC 3161
//! tokens that `openssl ts -verify` accepts with its CA; they prove nothing outside a test,
//! which every answer says (`X-Sandbox`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::authority::Authority;

/// The time the sandbox stamps (the caller's clock, so that tests can set it).
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Clone)]
struct Sandbox {
    authority: Arc<Authority>,
    now: Now,
}

const LABEL: &str = "cqdt time-stamping sandbox: not a real time-stamping authority";
/// The largest request taken (a request is under 200 bytes; extensions are refused anyway).
const MAX_REQUEST: usize = 16 * 1024;

/// The sandbox's routes: `POST /` (and `/tsa`) with `application/timestamp-query`,
/// `GET /ca.pem`, and `GET /` saying what it is.
pub fn router(authority: Arc<Authority>, now: Now) -> Router {
    Router::new()
        .route("/", get(about).post(stamp))
        .route("/tsa", post(stamp))
        .route("/ca.pem", get(ca))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_REQUEST))
        .with_state(Sandbox { authority, now })
}

fn labelled(status: StatusCode, content_type: &str, body: impl IntoResponse) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, content_type),
            (header::HeaderName::from_static("x-sandbox"), LABEL),
        ],
        body,
    )
        .into_response()
}

async fn about() -> Response {
    labelled(
        StatusCode::OK,
        "text/plain; charset=utf-8",
        "SANDBOX: cqdt time-stamping authority (RFC 3161). POST a TimeStampReq as \
         application/timestamp-query to / ; GET /ca.pem for its CA. Its tokens are for tests \
         and demonstrations only.\n",
    )
}

async fn ca(State(s): State<Sandbox>) -> Response {
    labelled(StatusCode::OK, "application/x-pem-file", s.authority.ca_pem().to_string())
}

async fn stamp(State(s): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Response {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.trim().eq_ignore_ascii_case("application/timestamp-query") {
        return labelled(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "text/plain; charset=utf-8",
            "send a TimeStampReq as application/timestamp-query (RFC 3161 §3.4)\n",
        );
    }
    let answer = s.authority.respond(&body, (s.now)());
    labelled(StatusCode::OK, "application/timestamp-reply", answer)
}

//! The text of every request, composed at the boundary: query strings, urlencoded forms and
//! JSON bodies are put in Unicode normalisation form C ([`super::nfc`]) before any handler
//! reads them, so that what a "Unicode tổ hợp" keyboard or a macOS file name sends is stored,
//! compared and searched as the same text as its composed spelling. A body whose text holds a
//! NUL character is refused here, like a path or query holding one ([`super::refuse_nul`]).

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::Request;
use axum::http::uri::PathAndQuery;
use axum::http::{header, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::RequestExt;

use super::text::nfc;
use super::{HttpError, Problem};

/// Paths whose parameters are opaque protocol values (OAuth `state`, `nonce`, PKCE, redirect
/// URIs): clients compare them byte for byte, so they are passed on as sent. The gateway
/// (`/lgsp/`) passes calls between systems on unchanged and streams their bodies; messages
/// between systems (`/api/v1/lgsp/messages`) are kept byte for byte.
const VERBATIM: [&str; 4] = ["/oauth/", "/.well-known/", "/lgsp/", "/api/v1/lgsp/messages"];

/// Whether a field is a secret (a password, a client secret): it is hashed and compared byte
/// for byte, and hashes stored before this boundary composed text must keep matching.
fn secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name.contains("secret")
}

/// What a body's text is, by its content type.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Form,
    Json,
}

fn kind(req: &Request) -> Option<Kind> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = value.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/x-www-form-urlencoded" {
        Some(Kind::Form)
    } else if essence == "application/json" || essence.ends_with("+json") {
        Some(Kind::Json)
    } else {
        None
    }
}

fn nul_refused() -> Response {
    HttpError::new(Problem::bad_request(
        "Dữ liệu gửi lên chứa ký tự NUL (\\u0000), không được chấp nhận.",
    ))
    .into_response()
}

/// An urlencoded form or query with every name and value composed, if that changes it.
/// (Re-encoding keeps what each pair decodes to; only the spelling of the escapes changes.)
fn compose_form(encoded: &str) -> Option<String> {
    let pairs: Vec<(Cow<str>, Cow<str>)> = form_urlencoded::parse(encoded.as_bytes()).collect();
    let composes = |text: &str| matches!(nfc(text), Cow::Owned(_));
    let changed = pairs.iter().any(|(k, v)| !secret_field(k) && (composes(k) || composes(v)));
    if !changed {
        return None;
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        if secret_field(k) {
            out.append_pair(k, v);
        } else {
            out.append_pair(&nfc(k), &nfc(v));
        }
    }
    Some(out.finish())
}

fn form_has_nul(encoded: &str) -> bool {
    form_urlencoded::parse(encoded.as_bytes()).any(|(k, v)| k.contains('\0') || v.contains('\0'))
}

/// Composes every string (member names included) of a JSON value; whether any changed.
fn compose_json(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => match nfc(s) {
            Cow::Owned(composed) => {
                *s = composed;
                true
            }
            Cow::Borrowed(_) => false,
        },
        Value::Array(items) => items.iter_mut().fold(false, |any, v| compose_json(v) | any),
        Value::Object(members) => {
            let renamed = members.keys().any(|k| matches!(nfc(k), Cow::Owned(_)));
            if renamed {
                let old = std::mem::take(members);
                for (k, v) in old {
                    members.insert(nfc(&k).into_owned(), v);
                }
            }
            members
                .iter_mut()
                .filter(|(k, _)| !secret_field(k))
                .fold(renamed, |any, (_, v)| compose_json(v) | any)
        }
        _ => false,
    }
}

fn json_has_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(members) => members.iter().any(|(k, v)| k.contains('\0') || json_has_nul(v)),
        _ => false,
    }
}

/// A body whose text holds a NUL character.
struct HoldsNul;

/// The body composed (`None`: unchanged), or why it is refused. A JSON body that does not
/// parse is passed on untouched: the handler's extractor refuses it with its own message.
fn compose_body(kind: Kind, bytes: &[u8]) -> Result<Option<Vec<u8>>, HoldsNul> {
    match kind {
        Kind::Form => {
            let text = String::from_utf8_lossy(bytes);
            if form_has_nul(&text) {
                return Err(HoldsNul);
            }
            Ok(compose_form(&text).map(String::into_bytes))
        }
        Kind::Json => {
            let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
                return Ok(None);
            };
            if json_has_nul(&value) {
                return Err(HoldsNul);
            }
            // Writing a value just parsed cannot fail; if it did, the body would go on as sent.
            Ok(compose_json(&mut value).then(|| serde_json::to_vec(&value).ok()).flatten())
        }
    }
}

fn with_query(uri: &Uri, query: &str) -> Option<Uri> {
    let mut parts = uri.clone().into_parts();
    let path_and_query = format!("{}?{query}", uri.path());
    parts.path_and_query = Some(PathAndQuery::try_from(path_and_query).ok()?);
    Uri::from_parts(parts).ok()
}

/// Middleware: composes the text of the query string and of urlencoded and JSON bodies
/// (NFC), and refuses a body whose text holds a NUL. Runs inside `error_pages`, so that its
/// refusals render as pages or problem+json like any handler's.
pub async fn compose_text(req: Request, next: Next) -> Response {
    if VERBATIM.iter().any(|p| req.uri().path().starts_with(p)) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    if let Some(composed) = parts.uri.query().and_then(compose_form) {
        if let Some(uri) = with_query(&parts.uri, &composed) {
            parts.uri = uri;
        }
    }
    let req = Request::from_parts(parts, body);
    let Some(kind) = kind(&req) else {
        return next.run(req).await;
    };
    // The body limit the router sets applies here as it would in the handler's extractor.
    let (mut parts, body) = req.with_limited_body().into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return HttpError::new(
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Nội dung quá lớn")
                    .with_detail("Dữ liệu gửi lên vượt quá giới hạn cho phép."),
            )
            .into_response()
        }
    };
    let body = match compose_body(kind, &bytes) {
        Err(HoldsNul) => return nul_refused(),
        Ok(Some(composed)) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(composed)
        }
        Ok(None) => Body::from(bytes),
    };
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::{get, post};
    use tower::ServiceExt;

    async fn echo_query(uri: Uri) -> String {
        uri.query().unwrap_or("").to_string()
    }

    async fn echo_body(body: String) -> String {
        body
    }

    fn app() -> axum::Router {
        axum::Router::new()
            .route("/q", get(echo_query))
            .route("/b", post(echo_body))
            .route("/oauth/authorize", get(echo_query))
            .layer(axum::middleware::from_fn(compose_text))
    }

    async fn send(req: Request) -> (StatusCode, String) {
        let res = app().oneshot(req).await.expect("response");
        let status = res.status();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20).await.expect("body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn post_body(content_type: &str, body: &str) -> Request {
        Request::post("/b")
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_string()))
            .expect("request")
    }

    /// "Lý lịch" with its tones as combining marks, percent-encoded.
    const LY_LICH_NFD_QUERY: &str = "q=Ly%CC%81+li%CC%A3ch&x=1";

    #[tokio::test]
    async fn a_decomposed_query_reaches_the_handler_composed() {
        let get = |uri: String| Request::get(uri).body(Body::empty()).expect("request");
        let (_, query) = send(get(format!("/q?{LY_LICH_NFD_QUERY}"))).await;
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        assert_eq!(pairs, [("q".into(), "Lý lịch".into()), ("x".into(), "1".into())]);
        let (_, kept) = send(get("/q?q=L%C3%BD%20l%E1%BB%8Bch".into())).await;
        assert_eq!(kept, "q=L%C3%BD%20l%E1%BB%8Bch", "composed text is passed on as sent");
        let (_, opaque) = send(get(format!("/oauth/authorize?{LY_LICH_NFD_QUERY}"))).await;
        assert_eq!(opaque, LY_LICH_NFD_QUERY, "protocol values are passed on as sent");
    }

    #[tokio::test]
    async fn decomposed_form_and_json_bodies_reach_the_handler_composed() {
        let form = "application/x-www-form-urlencoded";
        let (_, body) = send(post_body(form, LY_LICH_NFD_QUERY)).await;
        assert_eq!(body, "q=L%C3%BD+l%E1%BB%8Bch&x=1");
        let (_, body) = send(post_body(form, "password=a%CC%81&name=a%CC%81")).await;
        assert_eq!(body, "password=a%CC%81&name=%C3%A1", "a password is hashed as typed");
        let json = r#"{"name":"Ly\u0301 li\u0323ch","list":["a\u0301"],"n":12.5,"new_password":"a\u0301"}"#;
        let (_, body) = send(post_body("application/json", json)).await;
        let v: serde_json::Value = serde_json::from_str(&body).expect("json");
        let expected = serde_json::json!({
            "name": "Lý lịch", "list": ["á"], "n": 12.5, "new_password": "a\u{301}"
        });
        assert_eq!(v, expected);
        let (_, body) = send(post_body("application/json", "{not json")).await;
        assert_eq!(body, "{not json", "the handler's extractor refuses it");
    }

    #[tokio::test]
    async fn a_nul_in_a_form_or_json_body_is_refused() {
        let (status, _) = send(post_body("application/x-www-form-urlencoded", "q=a%00b")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = send(post_body("application/json", r#"{"q":"a\u0000b"}"#)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = send(post_body("text/plain", "a\0b")).await;
        assert_eq!(status, StatusCode::OK, "other bodies are the handler's to judge");
    }
}

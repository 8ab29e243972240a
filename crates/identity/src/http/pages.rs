//! The pages people use (Vietnamese, no JavaScript): register, verify, log in, the second
//! factor, forgot and reset password, the account, its sessions and businesses, login with
//! VNeID; and the browser side of OpenID Connect: authorize, consent, logout.
//!
//! One file per section; this one holds the route table and what the sections share: the form
//! page, the message page, the session cookie and the request's origin.

use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use cqdt_platform::web::{render, FormTargets};
use cqdt_platform::{FieldError, RequestId, Shell};

use super::IdentityState;
use crate::login::{Client, LiveSession, SESSION_COOKIE, SESSION_MAX};

mod account;
mod enrolment;
mod login;
pub(super) mod oidc;
mod registration;
mod reset;
mod second_factor;
mod vneid;

pub(super) fn routes() -> Router<IdentityState> {
    Router::new()
        .route("/dang-nhap", get(login::login_form).post(login::login_submit))
        .route(
            "/dang-nhap/xac-thuc-hai-lop",
            get(second_factor::mfa_form).post(second_factor::mfa_submit),
        )
        .route(
            "/dang-nhap/cai-dat-hai-lop",
            get(enrolment::enrol_form).post(enrolment::enrol_submit),
        )
        .route(
            "/tai-khoan/xac-thuc-hai-lop",
            get(enrolment::enrol_form).post(enrolment::enrol_submit),
        )
        .route("/dang-ky", get(registration::register_form).post(registration::register_submit))
        .route(
            "/xac-thuc-tai-khoan",
            get(registration::verify_form).post(registration::verify_submit),
        )
        .route("/xac-thuc-tai-khoan/gui-lai", post(registration::verify_resend))
        .route("/quen-mat-khau", get(reset::forgot_form).post(reset::forgot_submit))
        .route("/dat-lai-mat-khau", get(reset::reset_form).post(reset::reset_submit))
        .route("/dang-xuat", get(login::logout_form).post(login::logout_submit))
        .route("/tai-khoan", get(account::account_page))
        .route("/tai-khoan/phien", get(account::sessions_page))
        .route("/tai-khoan/dia-chi", get(account::address_form).post(account::address_submit))
        .route("/tai-khoan/phien/{id}/ket-thuc", post(account::end_session))
        .route(
            "/tai-khoan/doi-mat-khau",
            get(account::password_form).post(account::password_submit),
        )
        .route(
            "/tai-khoan/doanh-nghiep",
            get(account::business_form).post(account::business_submit),
        )
        .route("/dang-nhap/vneid", get(vneid::vneid_start))
        .route("/dang-nhap/vneid/callback", get(vneid::vneid_callback))
        .route("/oauth/authorize", get(oidc::authorize).post(oidc::authorize_posted))
        .route("/oauth/authorize/consent", post(oidc::consent_submit))
        .route("/oauth/logout", get(oidc::rp_logout).post(oidc::rp_logout_confirm))
}

/// One field of a form page.
#[derive(Debug, Clone, Default)]
pub(super) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub error: String,
    pub hint: &'static str,
    pub autocomplete: &'static str,
    pub options: Vec<(String, String)>,
}

pub(super) fn field(name: &'static str, label: &'static str, kind: &'static str) -> Field {
    Field { name, label, kind, ..Field::default() }
}

impl Field {
    pub(super) fn hint(mut self, h: &'static str) -> Self {
        self.hint = h;
        self
    }
    pub(super) fn auto(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    pub(super) fn value(mut self, v: impl Into<String>) -> Self {
        self.value = v.into();
        self
    }
}

/// A page with one form.
#[derive(Debug, Clone, Default)]
pub(super) struct FormPage {
    pub title: &'static str,
    pub intro: Vec<String>,
    pub notice: String,
    pub qr_svg: String,
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    pub extra_button: &'static str,
    pub links: Vec<(String, String)>,
    pub alt_heading: &'static str,
    pub alt_action: String,
    pub alt_label: &'static str,
}

#[derive(Template)]
#[template(path = "form_page.html")]
pub(super) struct FormTpl {
    pub shell: Shell,
    pub errors: Vec<FieldError>,
    pub page: FormPage,
}

impl FormPage {
    /// Renders with errors placed on their fields; passwords are never echoed back.
    pub(super) fn render(mut self, shell: &Shell, errors: Vec<FieldError>) -> Response {
        for f in &mut self.fields {
            if f.kind == "password" {
                f.value.clear();
            }
            if let Some(e) = errors.iter().find(|e| e.field == f.name) {
                f.error = e.message.clone();
            }
        }
        let status =
            if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        let mut res = render(&FormTpl { shell: shell.clone(), errors, page: self });
        if res.status() == StatusCode::OK {
            *res.status_mut() = status;
        }
        res
    }
}

/// One error on one field, for re-rendering a form.
pub(super) fn field_error(field: &str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError::new(field, message)]
}

#[derive(Template)]
#[template(path = "message.html")]
pub(super) struct MessageTpl {
    pub shell: Shell,
    pub title: &'static str,
    pub paragraphs: Vec<String>,
    pub codes: Vec<String>,
    pub link_href: String,
    pub link_label: &'static str,
}

pub(super) fn message(
    shell: &Shell,
    title: &'static str,
    paragraphs: Vec<String>,
    link: (&str, &'static str),
) -> Response {
    render(&MessageTpl {
        shell: shell.clone(),
        title,
        paragraphs,
        codes: Vec::new(),
        link_href: link.0.to_string(),
        link_label: link.1,
    })
}

/// The page after a session has ended, without the session cookie.
pub(super) fn signed_out(shell: &Shell, paragraph: &str) -> Response {
    // The header must not name the person whose session just ended.
    cqdt_platform::web::forget_viewer();
    clear_cookie(
        message(shell, "Đã đăng xuất", vec![paragraph.into()], ("/dang-nhap", "Đăng nhập lại")),
        shell.tls,
    )
}

/// The client's address: behind a trusted proxy the forwarded one, else the connection's.
pub(super) struct Peer(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let believed = parts.extensions.get::<cqdt_platform::web::ClientIp>().map(|c| c.0);
        let peer = || parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(Peer(believed.or_else(peer)))
    }
}

/// Who sent a request: its origin (for sessions and the audit log) and its session cookie.
/// One extractor, so that handlers do not each take the request id, peer and headers apart.
pub(super) struct Caller {
    pub client: Client,
    pub cookie: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let RequestId(rid) = RequestId::from_request_parts(parts, state).await?;
        let addr = Peer::from_request_parts(parts, state).await?;
        Ok(Caller {
            client: client_of(&addr, &parts.headers, &rid),
            cookie: session_cookie(&parts.headers),
        })
    }
}

impl Caller {
    /// The caller's live session, if its cookie names one.
    pub(super) async fn live(&self, s: &IdentityState) -> Option<LiveSession> {
        let cookie = self.cookie.as_deref()?;
        s.identity.session(cookie).await.ok().flatten()
    }
}

/// The request's origin, for sessions and the audit log.
pub(super) fn client_of(addr: &Peer, headers: &HeaderMap, request_id: &str) -> Client {
    Client {
        ip: addr.0.map(|a| a.to_string()).unwrap_or_default(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(300)
            .collect(),
        request_id: request_id.to_string(),
    }
}

/// The session cookie's value, if sent.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn cookie_header(value: &str, max_age: u64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("cqdt_session=; Path=/; Max-Age=0"))
}

pub(super) fn with_cookie(mut res: Response, value: &str, tls: bool) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie_header(value, SESSION_MAX.as_secs(), tls));
    res
}

pub(super) fn clear_cookie(mut res: Response, tls: bool) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie_header("", 0, tls));
    res
}

/// A local path to return to after signing in; anything else becomes `/tai-khoan`.
/// The origin of the relying party an OpenID Connect flow goes on to after this page's form:
/// `next` is our authorization endpoint with an enabled client and one of that client's
/// registered redirect URIs. Anything else leads nowhere outside.
pub(super) async fn rp_origin(s: &IdentityState, next: &str) -> Option<String> {
    if !next.starts_with("/oauth/authorize?") {
        return None;
    }
    let uri: axum::http::Uri = next.parse().ok()?;
    let axum::extract::Query(q) =
        axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(&uri)
            .ok()?;
    let client = s.identity.cached_client(q.get("client_id")?).await.ok()??;
    let redirect = q.get("redirect_uri")?;
    let registered = client.enabled && client.redirect_uris.iter().any(|r| r.as_str() == redirect);
    registered.then(|| FormTargets::origin_of(redirect)).flatten()
}

/// Lets the page's form lead on to `origin` (see [`FormTargets`]).
pub(super) fn leading_to(mut res: Response, origin: Option<String>) -> Response {
    if let Some(o) = origin {
        res.extensions_mut().insert(FormTargets(vec![o]));
    }
    res
}

pub(super) fn safe_next(next: Option<&String>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(char::is_control)
                && n.len() < 4000 =>
        {
            n.clone()
        }
        _ => "/tai-khoan".into(),
    }
}

pub(super) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

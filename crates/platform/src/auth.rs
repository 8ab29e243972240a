//! Who is asking: the signed-in person as every module's handlers see it, roles scoped to an
//! agency subtree, and the extractors that require them.
//!
//! The identity module resolves session cookies; the platform only defines the shape
//! ([`Principal`]) and the hook ([`SessionResolver`]) so that modules check permissions without
//! depending on the identity module.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;

use crate::web::{url_encode, PageError, Platform, Problem};

mod context;
mod scope;
pub use context::{declared_length, request_context};
pub use scope::{scope_rule, Access, ApiScope, ScopeRule, TokenGrant};

/// The roles of DESIGN.md §4. Citizens and businesses hold their role by the kind of account;
/// officials are granted the others within an agency scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A person acting for themself.
    Citizen,
    /// A person acting for a business they are linked to.
    Business,
    /// Receives dossiers at the one-stop counter (cán bộ tiếp nhận).
    ReceptionOfficer,
    /// Processes dossiers in a department (chuyên viên xử lý).
    ProcessingOfficer,
    /// Approves and signs (lãnh đạo).
    Leader,
    /// Records clerk (văn thư).
    Clerk,
    /// Manages the officials and settings of an agency subtree (quản trị đơn vị).
    AgencyAdmin,
    /// Runs the platform (quản trị hệ thống).
    PlatformAdmin,
    /// Reads logs and records for inspection (thanh tra, kiểm tra).
    Auditor,
    /// Another system acting through an OAuth client.
    System,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 10] = [
        Role::Citizen,
        Role::Business,
        Role::ReceptionOfficer,
        Role::ProcessingOfficer,
        Role::Leader,
        Role::Clerk,
        Role::AgencyAdmin,
        Role::PlatformAdmin,
        Role::Auditor,
        Role::System,
    ];

    /// The roles an agency admin may grant to officials.
    pub const OFFICIAL: [Role; 7] = [
        Role::ReceptionOfficer,
        Role::ProcessingOfficer,
        Role::Leader,
        Role::Clerk,
        Role::AgencyAdmin,
        Role::PlatformAdmin,
        Role::Auditor,
    ];

    /// The stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Citizen => "citizen",
            Role::Business => "business",
            Role::ReceptionOfficer => "reception_officer",
            Role::ProcessingOfficer => "processing_officer",
            Role::Leader => "leader",
            Role::Clerk => "clerk",
            Role::AgencyAdmin => "agency_admin",
            Role::PlatformAdmin => "platform_admin",
            Role::Auditor => "auditor",
            Role::System => "system",
        }
    }

    /// Parses the stored and API name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    /// The Vietnamese name shown on pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Citizen => "Công dân",
            Role::Business => "Doanh nghiệp",
            Role::ReceptionOfficer => "Cán bộ tiếp nhận",
            Role::ProcessingOfficer => "Chuyên viên xử lý",
            Role::Leader => "Lãnh đạo",
            Role::Clerk => "Văn thư",
            Role::AgencyAdmin => "Quản trị đơn vị",
            Role::PlatformAdmin => "Quản trị hệ thống",
            Role::Auditor => "Thanh tra, kiểm tra",
            Role::System => "Hệ thống kết nối",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role held within an agency: the agency itself, or the agency and every unit below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleGrant {
    /// The role.
    pub role: Role,
    /// The agency's electronic identifier (QĐ 20/2020 format, e.g. `000.00.03.H51`).
    pub agency: String,
    /// Whether the grant covers the units below the agency too.
    pub subtree: bool,
}

impl RoleGrant {
    /// Whether this grant covers `agency`.
    pub fn covers(&self, agency: &str) -> bool {
        if self.subtree {
            agency_within(agency, &self.agency)
        } else {
            agency == self.agency
        }
    }
}

/// Whether agency code `code` lies in the subtree rooted at `root`.
///
/// Codes of QĐ 20/2020/QĐ-TTg read `LLL.KK.NN.PPP` from the smallest unit to the province
/// (`PPP`, e.g. `H51`); a zero segment means "the unit itself at that level". A root covers a
/// code when the province matches and every non-zero segment of the root, from the province
/// down, matches. Malformed codes cover and are covered by nothing but themselves.
pub fn agency_within(code: &str, root: &str) -> bool {
    if code == root {
        return true;
    }
    let (Some(c), Some(r)) = (agency_segments(code), agency_segments(root)) else {
        return false;
    };
    // Province first, then the levels below it; the root's first zero ends its path.
    for i in (0..4).rev() {
        if i < 3 && r[i].bytes().all(|b| b == b'0') {
            return true;
        }
        if c[i] != r[i] {
            return false;
        }
    }
    true
}

fn agency_segments(code: &str) -> Option<[&str; 4]> {
    let mut it = code.split('.');
    let s = [it.next()?, it.next()?, it.next()?, it.next()?];
    let shape = [3usize, 2, 2, 3];
    let ok = it.next().is_none()
        && s.iter().zip(shape).enumerate().all(|(i, (seg, len))| {
            seg.len() == len
                && if i < 3 {
                    seg.bytes().all(|b| b.is_ascii_digit())
                } else {
                    seg.bytes().all(|b| b.is_ascii_alphanumeric())
                }
        });
    ok.then_some(s)
}

/// The signed-in person (or system) making a request.
#[derive(Debug, Clone, Serialize)]
pub struct Principal {
    /// Stable account id (the OpenID Connect `sub`).
    pub account_id: String,
    /// What the audit log records as the actor (login name or account id).
    pub actor: String,
    /// Full name, for pages.
    pub name: String,
    /// `citizen`, `business` or `official`.
    pub kind: String,
    /// The official's own agency, if any.
    pub agency: Option<String>,
    /// Roles held, with their scopes. Citizens hold [`Role::Citizen`] everywhere.
    pub roles: Vec<RoleGrant>,
    /// The session this request belongs to (an opaque id, not the cookie value).
    pub session_id: String,
    /// How the request proved it: the platform's session, or a token with its scopes.
    pub access: Access,
}

impl Principal {
    /// Whether the person holds `role` anywhere.
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|g| g.role == role)
    }

    /// Whether the person holds `role` in a scope that covers `agency`.
    pub fn can(&self, role: Role, agency: &str) -> bool {
        self.roles.iter().any(|g| g.role == role && g.covers(agency))
    }

    /// Whether the person holds any of `roles` in a scope that covers `agency`.
    pub fn can_any(&self, roles: &[Role], agency: &str) -> bool {
        roles.iter().any(|r| self.can(*r, agency))
    }

    /// The agency roots in which the person holds `role`, to filter lists by scope.
    pub fn scopes(&self, role: Role) -> Vec<&RoleGrant> {
        self.roles.iter().filter(|g| g.role == role).collect()
    }

    /// Whether this is a platform administrator.
    pub fn is_platform_admin(&self) -> bool {
        self.has_role(Role::PlatformAdmin)
    }
}

/// A boxed future, for the object-safe [`SessionResolver`].
pub type ResolveFuture<'a> = Pin<Box<dyn Future<Output = Option<Principal>> + Send + 'a>>;

/// Resolves a request's session (cookie) to the signed-in person. Implemented by the
/// identity module and installed once at start-up with [`AuthHook::install`].
pub trait SessionResolver: Send + Sync {
    /// The person signed in on this request, if any (fully signed in: second factor done).
    fn resolve<'a>(&'a self, parts: &'a Parts) -> ResolveFuture<'a>;

    /// Full names of the people the audit log names as `actors` (a login name or
    /// `account:<id>`), for pages that say who did what; unknown actors are absent.
    fn display_names<'a>(&'a self, actors: &'a [String]) -> NamesFuture<'a> {
        let _ = actors;
        Box::pin(async { HashMap::new() })
    }
}

/// A boxed future of [`SessionResolver::display_names`].
pub type NamesFuture<'a> = Pin<Box<dyn Future<Output = HashMap<String, String>> + Send + 'a>>;

/// A refusal worth an auditor's attention, recorded in the audit log (issue 13, item 10):
/// administrator sign-in failures and lockouts, cross-site posts, disallowed redirect URIs,
/// refused uploads, requests for someone else's records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecurityEvent {
    /// The audit action, `security.<what>` (e.g. `security.csrf_refused`).
    pub action: &'static str,
    /// Who, as far as known (`anonymous` when nobody is signed in).
    pub actor: String,
    /// The client's address.
    pub ip: String,
    /// The request's id.
    pub request_id: String,
    /// The path asked for.
    pub path: String,
    /// The client's `User-Agent`, clipped.
    pub user_agent: String,
    /// What else an auditor needs (never secrets).
    pub details: serde_json::Value,
}

impl SecurityEvent {
    /// An event about a request, from its parts.
    pub fn of(action: &'static str, parts: &Parts) -> SecurityEvent {
        let ip = parts
            .extensions
            .get::<crate::web::ClientIp>()
            .map(|c| c.0.to_string())
            .unwrap_or_default();
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        SecurityEvent {
            action,
            actor: "anonymous".into(),
            ip,
            request_id,
            path: parts.uri.path().chars().take(300).collect(),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.chars().take(200).collect())
                .unwrap_or_default(),
            details: serde_json::Value::Null,
        }
    }

    /// Adds details.
    pub fn details(mut self, details: serde_json::Value) -> SecurityEvent {
        self.details = details;
        self
    }
}

/// Where security events go (the binary installs the audit log).
pub trait SecurityLog: Send + Sync {
    /// Records one event; failures are the log's own to report.
    fn record<'a>(&'a self, event: SecurityEvent) -> Pin<Box<dyn Future<Output = ()> + Send + 'a>>;
}

/// The slot where the identity module installs its resolver, and the binary the security log.
#[derive(Clone, Default)]
pub struct AuthHook(Arc<OnceLock<Arc<dyn SessionResolver>>>, Arc<OnceLock<Arc<dyn SecurityLog>>>);

impl AuthHook {
    /// Installs the resolver; later calls are ignored.
    pub fn install(&self, resolver: Arc<dyn SessionResolver>) {
        let _ = self.0.set(resolver);
    }

    /// Installs the security log; later calls are ignored.
    pub fn install_security_log(&self, log: Arc<dyn SecurityLog>) {
        let _ = self.1.set(log);
    }

    /// Full names for audit actors (see [`SessionResolver::display_names`]); none until the
    /// identity module is installed.
    pub async fn display_names(&self, actors: &[String]) -> HashMap<String, String> {
        match self.0.get() {
            Some(r) if !actors.is_empty() => r.display_names(actors).await,
            _ => HashMap::new(),
        }
    }

    /// Records a security event (nowhere, until a log is installed).
    pub async fn security(&self, event: SecurityEvent) {
        tracing::warn!(action = event.action, ip = %event.ip, path = %event.path, "security event");
        if let Some(log) = self.1.get() {
            log.record(event).await;
        }
    }

    /// The person signed in on this request, if any, with what a bearer token grants
    /// checked: a token must carry the scope the route declares ([`scope_rule`]; a route
    /// that declares none accepts no token), and a person's token keeps only the roles its
    /// scopes reach.
    pub async fn principal(&self, parts: &Parts) -> Result<Option<Principal>, AuthRejection> {
        let Some(resolver) = self.0.get() else { return Ok(None) };
        let Some(mut p) = resolver.resolve(parts).await else { return Ok(None) };
        let Access::Token(grant) = &p.access else { return Ok(Some(p)) };
        let needed = parts.extensions.get::<ScopeRule>().map(|r| r.needed(&parts.method));
        match needed {
            Some(scope) if grant.allows(scope) => {
                if !grant.system {
                    let grant = grant.clone();
                    p.roles.retain(|g| grant.keeps(g.role));
                }
                Ok(Some(p))
            }
            _ => Err(AuthRejection::InsufficientScope {
                scope: needed,
                api: refuses_in_json(parts.uri.path()),
            }),
        }
    }
}

/// The person signed in, if any, without requiring one.
#[derive(Debug, Clone)]
pub struct MaybePrincipal(pub Option<Principal>);

impl<S> FromRequestParts<S> for MaybePrincipal
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    // A bearer token that does not grant this route is refused, not taken as nobody.
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(MaybePrincipal(Some(p.clone())));
        }
        let platform = Platform::from_ref(state);
        let p = platform.auth.principal(parts).await?;
        if let Some(p) = &p {
            context::note_actor(&p.account_id);
            parts.extensions.insert(p.clone());
        }
        Ok(MaybePrincipal(p))
    }
}

/// Refusal of a request that needs a signed-in person.
#[derive(Debug)]
pub enum AuthRejection {
    /// Nobody is signed in: pages send the browser to the login page, APIs answer 401.
    SignIn {
        /// Where to come back to after signing in.
        next: String,
        /// Whether the request was for a JSON API.
        api: bool,
    },
    /// Signed in, but without the permission asked for.
    Forbidden {
        /// Whether the request was for a JSON API.
        api: bool,
    },
    /// A bearer token without the scope the route needs (RFC 6750 §3.1), or on a route that
    /// accepts no token.
    InsufficientScope {
        /// The scope the route needs; `None` where the route accepts no token.
        scope: Option<ApiScope>,
        /// Whether the request was for a JSON API.
        api: bool,
    },
}

/// Whether an authentication refusal on this path is answered in JSON: the APIs
/// ([`crate::web::is_api_path`]) and the OAuth endpoints, which machines call. (The error-page
/// middleware leaves `/oauth/` to pages, because `/oauth/authorize` is one a person sees.)
fn refuses_in_json(path: &str) -> bool {
    crate::web::is_api_path(path) || path.starts_with("/oauth/")
}

impl AuthRejection {
    /// The rejection for a request without the permission it needs.
    pub fn forbidden(parts: &Parts) -> Self {
        AuthRejection::Forbidden { api: refuses_in_json(parts.uri.path()) }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        match self {
            AuthRejection::SignIn { api: true, .. } => {
                let mut res = Problem::new(StatusCode::UNAUTHORIZED, "Cần đăng nhập")
                    .with_detail("Yêu cầu này cần mã truy cập hoặc phiên đăng nhập hợp lệ.")
                    .into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"cqdt\""),
                );
                res
            }
            AuthRejection::SignIn { next, api: false } => {
                Redirect::to(&format!("/dang-nhap?next={}", url_encode(&next))).into_response()
            }
            AuthRejection::Forbidden { api: true } => Problem::new(
                StatusCode::FORBIDDEN,
                "Không có quyền",
            )
            .with_detail(
                "Tài khoản không có quyền thực hiện thao tác này trong phạm vi cơ quan được giao.",
            )
            .into_response(),
            AuthRejection::Forbidden { api: false } => PageError::Forbidden.into_response(),
            AuthRejection::InsufficientScope { scope, api } => {
                let detail = match scope {
                    Some(s) => format!(
                        "Mã truy cập không được cấp phạm vi “{}” ({}) mà thao tác này cần.",
                        s.as_str(),
                        s.label()
                    ),
                    None => "Thao tác này không nhận mã truy cập của ứng dụng; hãy đăng nhập \
                             trực tiếp trên cổng."
                        .to_string(),
                };
                let mut res = if api {
                    Problem::new(StatusCode::FORBIDDEN, "Mã truy cập không đủ phạm vi")
                        .with_detail(detail)
                        .with_code("insufficient_scope")
                        .into_response()
                } else {
                    PageError::Forbidden.into_response()
                };
                let challenge = match scope {
                    Some(s) => format!(
                        "Bearer realm=\"cqdt\", error=\"insufficient_scope\", scope=\"{}\"",
                        s.as_str()
                    ),
                    None => "Bearer realm=\"cqdt\", error=\"insufficient_scope\"".to_string(),
                };
                if let Ok(v) = header::HeaderValue::from_str(&challenge) {
                    res.headers_mut().insert(header::WWW_AUTHENTICATE, v);
                }
                res
            }
        }
    }
}

/// Where to come back to after signing in: the request's own path and query, for GETs.
fn next_of(parts: &Parts) -> String {
    if parts.method == axum::http::Method::GET {
        parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into())
    } else {
        "/tai-khoan".into()
    }
}

impl<S> FromRequestParts<S> for Principal
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let MaybePrincipal(p) = MaybePrincipal::from_request_parts(parts, state).await?;
        p.ok_or_else(|| AuthRejection::SignIn {
            next: next_of(parts),
            api: refuses_in_json(parts.uri.path()),
        })
    }
}

/// A signed-in official (holds at least one official role).
#[derive(Debug, Clone)]
pub struct Official(pub Principal);

impl<S> FromRequestParts<S> for Official
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let p = Principal::from_request_parts(parts, state).await?;
        if p.roles.iter().any(|g| Role::OFFICIAL.contains(&g.role)) {
            Ok(Official(p))
        } else {
            Err(AuthRejection::forbidden(parts))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_province_root_covers_its_departments_and_their_units() {
        assert!(agency_within("000.00.03.H51", "000.00.00.H51"));
        assert!(agency_within("000.12.31.H51", "000.00.00.H51"));
        assert!(!agency_within("000.00.03.H52", "000.00.00.H51"));
    }

    #[test]
    fn a_department_covers_its_own_units_but_not_its_siblings() {
        assert!(agency_within("000.05.31.H51", "000.00.31.H51"));
        assert!(agency_within("001.05.31.H51", "000.00.31.H51"));
        assert!(!agency_within("000.00.32.H51", "000.00.31.H51"));
        assert!(!agency_within("000.05.32.H51", "000.00.31.H51"));
        assert!(!agency_within("000.00.00.H51", "000.00.31.H51"));
    }

    #[test]
    fn a_unit_at_the_smallest_level_covers_only_itself() {
        assert!(agency_within("001.05.31.H51", "001.05.31.H51"));
        assert!(!agency_within("002.05.31.H51", "001.05.31.H51"));
    }

    #[test]
    fn malformed_codes_cover_nothing_else() {
        assert!(!agency_within("000.00.03.H51", "H51"));
        assert!(!agency_within("x", "000.00.00.H51"));
        assert!(agency_within("x", "x"));
    }

    #[test]
    fn a_grant_without_subtree_covers_only_its_agency() {
        let g = RoleGrant { role: Role::Leader, agency: "000.00.03.H51".into(), subtree: false };
        assert!(g.covers("000.00.03.H51"));
        assert!(!g.covers("000.01.03.H51"));
    }

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

//! OpenID Connect for people: the authorization endpoint's decisions (RFC 6749 §4.1 with
//! PKCE, RFC 7636), codes redeemed once, ID tokens, refresh tokens rotated with reuse
//! detection, userinfo, consent and RP-initiated logout.

use base64::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::model::B64;

mod authorize;
mod claims;
mod grants;

/// Life of an authorization code.
const CODE_LIFE_SECS: i64 = 60;

/// The scopes of OpenID Connect and of this platform, with what they disclose, in Vietnamese.
pub const USER_SCOPES: [(&str, &str); 8] = [
    ("openid", "Ông/bà là ai (mã định danh tài khoản)"),
    ("profile", "Họ tên, ngày sinh, giới tính, địa chỉ"),
    ("email", "Địa chỉ thư điện tử"),
    ("phone", "Số điện thoại"),
    ("personal_id", "Số định danh cá nhân"),
    ("agency", "Cơ quan công tác (cán bộ)"),
    ("roles", "Vai trò và phạm vi cơ quan (cán bộ)"),
    ("offline_access", "Duy trì kết nối khi ông/bà không trực tuyến"),
];

/// What the consent screen says a scope lets the application do, in Vietnamese: the
/// OpenID Connect scopes ([`USER_SCOPES`]) and the platform's API scopes; `None` for a name
/// that is neither (such scopes are refused when a client is registered).
pub fn scope_label(scope: &str) -> Option<&'static str> {
    USER_SCOPES
        .iter()
        .find(|(k, _)| *k == scope)
        .map(|(_, label)| *label)
        .or_else(|| cqdt_platform::auth::ApiScope::parse(scope).map(|s| s.label()))
}

/// Every scope the provider knows: the OpenID Connect ones, then the API scopes.
pub fn known_scopes() -> impl Iterator<Item = &'static str> {
    USER_SCOPES
        .iter()
        .map(|(k, _)| *k)
        .chain(cqdt_platform::auth::ApiScope::ALL.iter().map(|s| s.as_str()))
}

/// A checked authorization request.
#[derive(Debug, Clone, Serialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// Its name, for the consent page.
    pub client_name: String,
    /// Whether consent is skipped.
    pub first_party: bool,
    /// Exact registered redirect URI.
    pub redirect_uri: String,
    /// Requested scope.
    pub scope: String,
    /// The client's state, echoed.
    pub state: Option<String>,
    /// The client's nonce, put in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// `prompt`.
    pub prompt: Option<String>,
    /// `max_age`: the longest time, in seconds, since the person last typed a password.
    pub max_age: Option<i64>,
    /// Set by this provider when it sent the person to sign in again for this request: the
    /// sign-in must come after this instant (`prompt=login` or `max_age` are then met).
    pub auth_after: Option<String>,
    /// The issuer, named in every redirect back to the client (RFC 9207).
    pub issuer: String,
}

/// What the authorization endpoint does with a request.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect
    /// (RFC 6749 §4.1.2.1).
    Page(String),
    /// Send the error back to the client's redirect URI.
    Redirect(String),
}

fn redirect_with(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&cqdt_platform::web::url_encode(v));
        sep = '&';
    }
    out
}

impl AuthRequest {
    /// The redirect carrying an error to the client, with the issuer (RFC 9207).
    pub fn error_redirect(&self, code: &str, description: &str) -> String {
        let mut p = vec![("error", code), ("error_description", description)];
        if let Some(s) = &self.state {
            p.push(("state", s));
        }
        p.push(("iss", &self.issuer));
        redirect_with(&self.redirect_uri, &p)
    }

    /// Whether the space-separated `prompt` holds `value`.
    pub fn prompts(&self, value: &str) -> bool {
        self.prompt.as_deref().is_some_and(|p| p.split(' ').any(|v| v == value))
    }
}

/// The S256 PKCE transform (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct IdClaims {
    /// Issuer.
    pub iss: String,
    /// Account id.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry.
    pub exp: i64,
    /// Issued.
    pub iat: i64,
    /// When the person authenticated.
    pub auth_time: i64,
    /// The client's nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Methods (`pwd`, `otp`, `vneid`).
    pub amr: Vec<String>,
    /// Session id, for logout.
    pub sid: String,
    /// Access token hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Authorised party.
    pub azp: String,
    /// Profile claims by scope.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(valid_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"));
        assert!(!valid_verifier("short"));
    }

    #[test]
    fn redirects_keep_an_existing_query_and_encode_values() {
        assert_eq!(
            redirect_with("https://app.example/cb?x=1", &[("code", "a b"), ("state", "s/1")]),
            "https://app.example/cb?x=1&code=a%20b&state=s%2F1"
        );
    }
}

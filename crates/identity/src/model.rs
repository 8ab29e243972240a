//! Domain types of the identity module: OAuth clients, their grants, scopes, redirect URIs and
//! secrets, signing key states and the configuration. Parse, don't validate; no I/O.
//!
//! ## Why client secrets are stored as SHA-256, not argon2id
//!
//! Argon2id exists to make guessing *low-entropy* secrets (people's passwords) expensive. A
//! client secret here is never chosen by a person: the platform draws 256 random bits and shows
//! them once. Guessing such a secret is hopeless whatever the hash, so a single SHA-256 (as
//! GitHub and others store API tokens) protects it as well as argon2id would, while a grant
//! verifies in well under a microsecond instead of tens of milliseconds: argon2id on every
//! client-credentials grant would cap the platform at a few dozen grants per second per core,
//! far from the 5,000 grants/s target, and would hand attackers a cheap way to burn CPU. The
//! stored form names its scheme (`sha256:<hex>`), so a later scheme can be added beside it.
//! People's passwords (later slices) use argon2id.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::IdentityError;

/// base64url without padding, as JOSE and OAuth use it.
pub(crate) const B64: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An OAuth grant type a client may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    /// System-to-system calls on the client's own behalf (RFC 6749 §4.4).
    ClientCredentials,
    /// A person signs in through the browser (RFC 6749 §4.1 with PKCE).
    AuthorizationCode,
}

impl Grant {
    /// The `grant_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::ClientCredentials => "client_credentials",
            Grant::AuthorizationCode => "authorization_code",
        }
    }

    /// Parses a `grant_type` value (dashes are accepted for the command line).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().replace('-', "_").as_str() {
            "client_credentials" => Some(Grant::ClientCredentials),
            "authorization_code" => Some(Grant::AuthorizationCode),
            // Clients of the code flow refresh; registering it alone means nothing more.
            "refresh_token" => Some(Grant::AuthorizationCode),
            _ => None,
        }
    }
}

/// One OAuth scope token (RFC 6749 §3.3: printable ASCII without space, `"` or `\`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

impl Scope {
    /// Parses one scope token.
    pub fn parse(s: &str) -> Option<Self> {
        let ok = !s.is_empty()
            && s.len() <= 100
            && s.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        ok.then(|| Scope(s.to_string()))
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Scope {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Scope::parse(&s).ok_or_else(|| format!("invalid scope {s:?}"))
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.0
    }
}

/// A set of scopes, written space-separated on the wire and in storage.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes(pub BTreeSet<Scope>);

impl Scopes {
    /// The most scopes a client may hold.
    pub const MAX: usize = 100;

    /// Parses a space-separated list; `None` if a token is malformed or the list is too long.
    pub fn parse(s: &str) -> Option<Self> {
        let mut set = BTreeSet::new();
        for token in s.split(' ').filter(|t| !t.is_empty()) {
            set.insert(Scope::parse(token)?);
        }
        (set.len() <= Self::MAX).then_some(Scopes(set))
    }

    /// Whether every scope of `self` is in `allowed`.
    pub fn is_subset(&self, allowed: &Scopes) -> bool {
        self.0.is_subset(&allowed.0)
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes of `self` not in `allowed`.
    pub fn not_in<'a>(&'a self, allowed: &'a Scopes) -> impl Iterator<Item = &'a Scope> + 'a {
        self.0.difference(&allowed.0)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

/// A redirect URI registered for a client, compared by exact string match.
///
/// Accepted: `https://` URIs; `http://` only to a loopback host (RFC 8252 §7.3); private-use
/// schemes with a dot, such as `vn.gov.soctrang.app:/callback` (RFC 8252 §7.1). Never a
/// fragment, whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Parses and checks a redirect URI; the error is a Vietnamese message.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = |why: &str| Err(format!("Địa chỉ chuyển hướng “{s}” không hợp lệ: {why}."));
        if s.is_empty() || s.len() > 2000 {
            return bad("cần từ 1 đến 2000 ký tự");
        }
        if s.bytes().any(|b| b <= 0x20 || b == 0x7F || b >= 0x80) {
            return bad("có khoảng trắng hoặc ký tự không phải ASCII");
        }
        if s.contains('#') {
            return bad("không được có phần fragment (#)");
        }
        let Some((scheme, rest)) = s.split_once(':') else {
            return bad("thiếu lược đồ (https://…)");
        };
        let scheme_ok = scheme
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase())
            && scheme
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-".contains(&b));
        if !scheme_ok {
            return bad("lược đồ phải viết thường");
        }
        match scheme {
            "https" | "http" => {
                let Some(after) = rest.strip_prefix("//") else {
                    return bad("thiếu “//” sau lược đồ");
                };
                let authority = after.split(['/', '?']).next().unwrap_or("");
                if authority.is_empty() || authority.contains('@') {
                    return bad("thiếu tên máy chủ, hoặc có thông tin đăng nhập trong địa chỉ");
                }
                let host = match authority.strip_prefix('[') {
                    Some(v6) => v6.split(']').next().unwrap_or(""),
                    None => authority.split(':').next().unwrap_or(""),
                };
                if host.is_empty() {
                    return bad("thiếu tên máy chủ");
                }
                if scheme == "http" && !matches!(host, "localhost" | "127.0.0.1" | "::1") {
                    return bad(
                        "chỉ dùng http:// cho máy cục bộ (localhost), còn lại phải là https://",
                    );
                }
            }
            _ if scheme.contains('.') => {
                if rest.is_empty() {
                    return bad("thiếu đường dẫn sau lược đồ");
                }
            }
            _ => return bad(
                "chỉ nhận https://, http://localhost hoặc lược đồ riêng dạng tên miền đảo ngược",
            ),
        }
        Ok(RedirectUri(s.to_string()))
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RedirectUri {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        RedirectUri::parse(&s)
    }
}

impl From<RedirectUri> for String {
    fn from(u: RedirectUri) -> String {
        u.0
    }
}

/// A client secret in clear, as generated; shown once and never stored or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Draws a new secret: 256 random bits, base64url, with a recognisable prefix so that secret
    /// scanners can spot a leaked one.
    pub fn generate() -> Self {
        let bytes: [u8; 32] = rand::random();
        ClientSecret(format!("cqdtcs_{}", B64.encode(bytes)))
    }

    /// The secret, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The stored form.
    pub fn hash(&self) -> SecretHash {
        SecretHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// The stored digest of a client secret (see the module documentation for the choice).
#[derive(Clone, PartialEq, Eq)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// The stored text form, `sha256:<hex>`.
    pub fn to_stored(&self) -> String {
        format!("sha256:{}", hex::encode(self.0))
    }

    /// Reads the stored form.
    pub fn from_stored(s: &str) -> Option<Self> {
        let hex_part = s.strip_prefix("sha256:")?;
        let bytes = hex::decode(hex_part).ok()?;
        Some(SecretHash(bytes.try_into().ok()?))
    }

    /// Whether `presented` is the secret, in time independent of where they differ.
    pub fn verify(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        bool::from(digest.ct_eq(&self.0))
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretHash(sha256:…)")
    }
}

/// A registered OAuth client (a system, or an application people sign in to).
#[derive(Debug, Clone, Serialize)]
pub struct OAuthClient {
    /// The public identifier.
    pub client_id: String,
    /// Display name.
    pub name: String,
    /// Digest of the secret; `None` for public clients.
    #[serde(skip)]
    pub secret_hash: Option<SecretHash>,
    /// Public clients (browser or mobile apps) hold no secret.
    pub public: bool,
    /// The grants it may use.
    pub grants: BTreeSet<Grant>,
    /// Its redirect URIs, matched exactly.
    pub redirect_uris: Vec<RedirectUri>,
    /// The scopes it may ask for.
    pub scopes: Scopes,
    /// First-party applications skip the consent screen.
    pub first_party: bool,
    /// Disabled clients can neither get nor use tokens.
    pub enabled: bool,
    /// When it was registered.
    pub created_at: String,
    /// Who registered it.
    pub created_by: String,
    /// Last change.
    pub updated_at: String,
    /// When the secret was last replaced.
    pub secret_rotated_at: Option<String>,
}

/// What an administrator asks for when registering a client.
#[derive(Debug, Clone, Deserialize)]
pub struct NewClient {
    /// Display name (1–200 characters).
    pub name: String,
    /// Grants it may use (at least one).
    pub grants: Vec<String>,
    /// Redirect URIs (required for authorization_code).
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Public client: no secret, authorization_code only.
    #[serde(default)]
    pub public: bool,
    /// Allowed scopes; each item may hold several, separated by spaces or commas.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// First-party: no consent screen.
    #[serde(default)]
    pub first_party: bool,
}

/// A checked registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    /// Display name.
    pub name: String,
    /// Grants.
    pub grants: BTreeSet<Grant>,
    /// Redirect URIs, in the order given, without duplicates.
    pub redirect_uris: Vec<RedirectUri>,
    /// Public client.
    pub public: bool,
    /// Allowed scopes.
    pub scopes: Scopes,
    /// First-party.
    pub first_party: bool,
}

impl NewClient {
    /// Checks a registration; the error lists every problem, in Vietnamese.
    pub fn validate(&self) -> Result<ClientSpec, IdentityError> {
        let mut errors = Vec::new();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            errors.push(
                "Tên ứng dụng cần từ 1 đến 200 ký tự, không có ký tự điều khiển.".to_string(),
            );
        }
        let mut grants = BTreeSet::new();
        for g in self.grants.iter().flat_map(|g| split_list(g)) {
            match Grant::parse(g) {
                Some(g) => {
                    grants.insert(g);
                }
                None => errors.push(format!(
                    "Kiểu cấp quyền “{g}” không được hỗ trợ (client_credentials hoặc authorization_code)."
                )),
            }
        }
        if grants.is_empty() && !self.grants.iter().any(|g| !g.trim().is_empty()) {
            errors.push(
                "Cần ít nhất một kiểu cấp quyền (client_credentials hoặc authorization_code)."
                    .into(),
            );
        }
        if self.public && grants.contains(&Grant::ClientCredentials) {
            errors.push(
                "Ứng dụng công khai (không giữ được khóa bí mật) không được dùng client_credentials."
                    .into(),
            );
        }
        let mut redirect_uris: Vec<RedirectUri> = Vec::new();
        for u in &self.redirect_uris {
            match RedirectUri::parse(u.trim()) {
                Ok(u) if !redirect_uris.contains(&u) => redirect_uris.push(u),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if grants.contains(&Grant::AuthorizationCode) && redirect_uris.is_empty() {
            errors.push(
                "Kiểu authorization_code cần ít nhất một địa chỉ chuyển hướng (redirect URI)."
                    .into(),
            );
        }
        if !grants.contains(&Grant::AuthorizationCode) && !redirect_uris.is_empty() {
            errors.push("Địa chỉ chuyển hướng chỉ dùng cho kiểu authorization_code.".into());
        }
        if redirect_uris.len() > 20 {
            errors.push("Tối đa 20 địa chỉ chuyển hướng.".into());
        }
        let joined = self
            .scopes
            .iter()
            .flat_map(|s| split_list(s))
            .collect::<Vec<_>>()
            .join(" ");
        let scopes = match Scopes::parse(&joined) {
            Some(s) => s,
            None => {
                errors.push(format!(
                    "Phạm vi (scope) không hợp lệ: mỗi phạm vi là chữ, số hoặc ký hiệu ASCII không có khoảng trắng, tối đa {} phạm vi.",
                    Scopes::MAX
                ));
                Scopes::default()
            }
        };
        if !errors.is_empty() {
            return Err(IdentityError::Invalid(errors.join(" ")));
        }
        Ok(ClientSpec {
            name,
            grants,
            redirect_uris,
            public: self.public,
            scopes,
            first_party: self.first_party,
        })
    }
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([' ', ',']).filter(|t| !t.is_empty())
}

/// A client just registered, with its secret in clear (shown once; `None` for public clients).
#[derive(Debug, Clone)]
pub struct CreatedClient {
    /// The client.
    pub client: OAuthClient,
    /// The secret, to show once.
    pub secret: Option<ClientSecret>,
}

/// The life of a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyStatus {
    /// Signs new tokens; exactly one key is active.
    Active,
    /// Signs nothing, still in the JWKS until the tokens it signed have expired.
    Retiring,
    /// Out of the JWKS; kept for the record.
    Retired,
}

impl KeyStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Active => "active",
            KeyStatus::Retiring => "retiring",
            KeyStatus::Retired => "retired",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(KeyStatus::Active),
            "retiring" => Some(KeyStatus::Retiring),
            "retired" => Some(KeyStatus::Retired),
            _ => None,
        }
    }
}

/// What may be shown about a signing key (never the private part).
#[derive(Debug, Clone, Serialize)]
pub struct SigningKeyInfo {
    /// Key id (the RFC 7638 JWK thumbprint).
    pub kid: String,
    /// JWS algorithm.
    pub alg: String,
    /// State.
    pub status: KeyStatus,
    /// When it was made.
    pub created_at: String,
    /// When it stopped signing.
    pub retiring_at: Option<String>,
    /// When it may leave the JWKS.
    pub retire_after: Option<String>,
    /// When it left the JWKS.
    pub retired_at: Option<String>,
}

/// Temporary lockout of a client id after repeated failed authentications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures within `window` that lock the client id.
    pub max_failures: u32,
    /// How far back failures count.
    pub window: Duration,
    /// How long the lockout lasts.
    pub lockout: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            lockout: Duration::from_secs(5 * 60),
        }
    }
}

/// Configuration of the identity provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// The issuer: the platform's public base URL, without a trailing slash
    /// (e.g. `https://dichvucong.soctrang.gov.vn`); endpoints hang below it.
    pub issuer: String,
    /// The `aud` of access tokens [default: the issuer].
    pub audience: String,
    /// Lifetime of access tokens [default: 300 s].
    pub access_token_ttl: Duration,
    /// How long a node trusts its copy of a client record [default: 10 s]; a disabled client or
    /// a rotated secret takes at most this long to reach every node (at once on the node that
    /// made the change).
    pub client_cache_ttl: Duration,
    /// How often a node rereads the signing keys, to follow rotations made elsewhere
    /// [default: 60 s].
    pub key_refresh: Duration,
    /// Lockout after failed client authentications.
    pub lockout: LockoutPolicy,
    /// The issuer name authenticator apps show next to the code.
    pub totp_issuer: String,
    /// Lifetime of refresh tokens [default: 30 days].
    pub refresh_token_ttl: Duration,
    /// Lifetime of ID tokens [default: 300 s].
    pub id_token_ttl: Duration,
}

impl IdentityConfig {
    /// Default access token lifetime.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

    /// A configuration with defaults for an issuer URL (`http://` or `https://`, no query or
    /// fragment; a trailing slash is dropped).
    pub fn new(issuer: &str) -> Result<Self, IdentityError> {
        let issuer = issuer.trim().trim_end_matches('/').to_string();
        let rest = issuer
            .strip_prefix("https://")
            .or_else(|| issuer.strip_prefix("http://"));
        let valid = rest.is_some_and(|r| {
            !r.is_empty()
                && !r.starts_with('/')
                && !r.contains(['?', '#', '@'])
                && !r.bytes().any(|b| b <= 0x20 || b >= 0x7F)
        });
        if !valid {
            return Err(IdentityError::Invalid(format!(
                "Địa chỉ phát hành (issuer) “{issuer}” không hợp lệ: cần dạng https://ten-mien[/duong-dan], không có ? hoặc #."
            )));
        }
        Ok(IdentityConfig {
            audience: issuer.clone(),
            issuer,
            access_token_ttl: Self::DEFAULT_TTL,
            client_cache_ttl: Duration::from_secs(10),
            key_refresh: Duration::from_secs(60),
            lockout: LockoutPolicy::default(),
            totp_issuer: "Chính quyền điện tử".into(),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            id_token_ttl: Duration::from_secs(300),
        })
    }

    /// Sets the access token lifetime (10 s to 24 h).
    pub fn with_access_token_ttl(mut self, ttl: Duration) -> Result<Self, IdentityError> {
        if !(10..=86_400).contains(&ttl.as_secs()) {
            return Err(IdentityError::Invalid(
                "Thời hạn access token phải từ 10 giây đến 24 giờ.".into(),
            ));
        }
        self.access_token_ttl = ttl;
        Ok(self)
    }

    /// The URL of an endpoint path such as `/oauth/token`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

/// The claims of an access token (RFC 9068 JWT profile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer.
    pub iss: String,
    /// Subject: the client id for client-credentials tokens.
    pub sub: String,
    /// Audience.
    pub aud: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Token id, for revocation.
    pub jti: String,
    /// Granted scopes, space-separated.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The client the token was issued to.
    pub client_id: String,
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The JWT.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: i64,
    /// Granted scopes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// The ID token (authorization code and refresh grants with scope `openid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The refresh token, rotated at each use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// An introspection answer (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Whether the token is valid now.
    pub active: bool,
    /// The claims, when active.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub claims: Option<AccessClaims>,
    /// `Bearer`, when active.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
}

impl Introspection {
    /// The answer for anything that is not a valid token.
    pub fn inactive() -> Self {
        Introspection {
            active: false,
            claims: None,
            token_type: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_client(grants: &[&str], uris: &[&str], public: bool, scopes: &[&str]) -> NewClient {
        NewClient {
            name: "Hệ thống một cửa".into(),
            grants: grants.iter().map(|s| s.to_string()).collect(),
            redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
            public,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            first_party: false,
        }
    }

    #[test]
    fn scopes_follow_the_rfc_6749_character_set() {
        assert!(Scope::parse("dossier:read").is_some());
        assert!(Scope::parse("a\"b").is_none());
        assert!(Scope::parse("a\\b").is_none());
        assert!(Scope::parse("thủ-tục").is_none());
        assert!(Scope::parse("").is_none());
        let s = Scopes::parse("  b a  a ").expect("scopes");
        assert_eq!(s.to_string(), "a b");
        assert!(Scopes::parse("a\tb").is_none());
    }

    #[test]
    fn a_requested_scope_outside_the_allowed_set_is_named() {
        let allowed = Scopes::parse("a b").expect("allowed");
        let asked = Scopes::parse("b c").expect("asked");
        assert!(!asked.is_subset(&allowed));
        let extra: Vec<_> = asked.not_in(&allowed).map(Scope::as_str).collect();
        assert_eq!(extra, ["c"]);
    }

    #[test]
    fn redirect_uris_must_be_https_loopback_http_or_a_private_scheme() {
        for ok in [
            "https://app.soctrang.gov.vn/callback",
            "https://app.example:8443/cb?x=1",
            "http://localhost:8080/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:9000/cb",
            "vn.gov.soctrang.app:/callback",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://evil.example/cb",
            "https://app.example/cb#frag",
            "https:///cb",
            "https://user:pw@app.example/cb",
            "javascript:alert(1)",
            "HTTPS://APP.EXAMPLE/",
            "https://app.example/ cb",
            "app.example/cb",
            "",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_public_client_may_not_use_client_credentials() {
        let e = new_client(&["client_credentials"], &[], true, &[]).validate();
        assert!(matches!(e, Err(IdentityError::Invalid(m)) if m.contains("công khai")));
    }

    #[test]
    fn authorization_code_needs_a_redirect_uri_and_client_credentials_takes_none() {
        assert!(new_client(&["authorization_code"], &[], false, &[])
            .validate()
            .is_err());
        assert!(new_client(
            &["client_credentials"],
            &["https://a.example/cb"],
            false,
            &[]
        )
        .validate()
        .is_err());
        let spec = new_client(
            &["authorization_code,client-credentials"],
            &["https://a.example/cb", "https://a.example/cb"],
            false,
            &["dossier:read, dossier:write", "openid"],
        )
        .validate()
        .expect("valid");
        assert_eq!(spec.grants.len(), 2);
        assert_eq!(spec.redirect_uris.len(), 1);
        assert_eq!(spec.scopes.to_string(), "dossier:read dossier:write openid");
    }

    #[test]
    fn unknown_grants_and_empty_names_are_refused_with_every_reason() {
        let mut c = new_client(&["password"], &[], false, &[]);
        c.name = "  ".into();
        let Err(IdentityError::Invalid(m)) = c.validate() else {
            panic!("should be refused");
        };
        assert!(m.contains("password") && m.contains("Tên ứng dụng"), "{m}");
    }

    #[test]
    fn a_secret_verifies_only_against_its_own_hash_and_never_prints() {
        let s = ClientSecret::generate();
        assert!(s.expose().starts_with("cqdtcs_") && s.expose().len() == 7 + 43);
        let h = s.hash();
        assert!(h.verify(s.expose()));
        assert!(!h.verify(ClientSecret::generate().expose()));
        assert!(!h.verify(""));
        let stored = h.to_stored();
        assert!(stored.starts_with("sha256:"));
        assert_eq!(SecretHash::from_stored(&stored), Some(h));
        assert_eq!(SecretHash::from_stored("argon2:xx"), None);
        assert!(!format!("{s:?}").contains(&s.expose()[7..]));
    }

    #[test]
    fn the_issuer_is_an_absolute_http_url_without_a_trailing_slash() {
        let c = IdentityConfig::new("https://cqdt.example/").expect("issuer");
        assert_eq!(c.issuer, "https://cqdt.example");
        assert_eq!(c.audience, c.issuer);
        assert_eq!(
            c.endpoint("/oauth/token"),
            "https://cqdt.example/oauth/token"
        );
        for bad in ["cqdt.example", "https://", "https://a.example?x", "ftp://a"] {
            assert!(IdentityConfig::new(bad).is_err(), "{bad}");
        }
        assert!(c
            .clone()
            .with_access_token_ttl(Duration::from_secs(1))
            .is_err());
        assert_eq!(
            c.with_access_token_ttl(Duration::from_secs(60))
                .expect("ttl")
                .access_token_ttl,
            Duration::from_secs(60)
        );
    }
}

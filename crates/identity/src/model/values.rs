//! The values a client registration is made of: grant types, scopes and redirect URIs.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// An OAuth grant type a client may use.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
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
        let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
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

//! Configuration of the identity provider and of client lockout.

use std::time::Duration;

use cqdt_platform::sealing::Sealer;

use crate::error::IdentityError;

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
    /// The key-encryption keys that seal signing keys and TOTP secrets in the database
    /// [default: a random key for this process only, which suits tests: whatever it seals is
    /// unreadable after a restart, so an application sets the configured one].
    pub sealer: Sealer,
}

impl IdentityConfig {
    /// Default access token lifetime.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

    /// A configuration with defaults for an issuer URL (`http://` or `https://`, no query or
    /// fragment; a trailing slash is dropped).
    pub fn new(issuer: &str) -> Result<Self, IdentityError> {
        let issuer = issuer.trim().trim_end_matches('/').to_string();
        let rest = issuer.strip_prefix("https://").or_else(|| issuer.strip_prefix("http://"));
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
            sealer: Sealer::ephemeral(),
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

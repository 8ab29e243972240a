//! What the token endpoints hand out: access token claims, token responses, introspection.

use serde::{Deserialize, Serialize};

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
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
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

/// What introspection tells of a refresh token (RFC 7662 §2.2): whose it is, for what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefreshClaims {
    /// Issuer.
    pub iss: String,
    /// The account.
    pub sub: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Issue time, seconds since the epoch.
    pub iat: i64,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// The client the token was issued to.
    pub client_id: String,
}

/// The claims of an active token, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum TokenClaims {
    /// An access token's.
    Access(AccessClaims),
    /// A refresh token's.
    Refresh(RefreshClaims),
}

/// An introspection answer (RFC 7662 §2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    /// Whether the token is valid now.
    pub active: bool,
    /// The claims, when active.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub claims: Option<TokenClaims>,
    /// `Bearer` for an active access token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
}

impl Introspection {
    /// The answer for anything that is not a valid token.
    pub fn inactive() -> Self {
        Introspection { active: false, claims: None, token_type: None }
    }

    /// The client an active token was issued to.
    pub fn client_id(&self) -> Option<&str> {
        match self.claims.as_ref()? {
            TokenClaims::Access(c) => Some(&c.client_id),
            TokenClaims::Refresh(c) => Some(&c.client_id),
        }
    }
}

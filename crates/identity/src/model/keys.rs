//! Signing keys as they may be shown: their states and public facts.

use serde::{Deserialize, Serialize};

/// The life of a signing key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

//! Domain types of the identity module: OAuth clients, their grants, scopes, redirect URIs and
//! secrets, signing key states and the configuration. Parse, don't validate; no I/O.

mod client;
mod config;
mod keys;
mod token;
mod values;

pub use client::{ClientSecret, ClientSpec, CreatedClient, NewClient, OAuthClient, SecretHash};
pub use config::{IdentityConfig, LockoutPolicy};
pub use keys::{KeyStatus, SigningKeyInfo};
pub use token::{AccessClaims, Introspection, RefreshClaims, TokenClaims, TokenResponse};
pub use values::{Grant, RedirectUri, Scope, Scopes};

/// base64url without padding, as JOSE and OAuth use it.
pub(crate) const B64: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[cfg(test)]
mod tests;

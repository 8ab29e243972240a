//! Identity and single sign-on (M2), first slice: the OAuth 2.0 / OpenID Connect provider for
//! systems. OAuth clients with hashed secrets, ES256 (and RS256 for ID tokens) signing keys
//! with rotation, discovery, JWKS, the client-credentials grant issuing JWT access tokens
//! (RFC 9068), introspection (RFC 7662) and revocation (RFC 7009), with lockout and a complete
//! audit trail.
//!
//! The binary starts an [`IdentityService`] with an [`IdentityConfig`], merges
//! [`http::router`] into the app, and calls [`IdentityService::add_client`] for
//! `cqdt client add`.

pub mod account;
pub mod error;
pub mod http;
mod journal;
pub mod jwt;
mod keys;
mod lockout;
pub mod login;
pub mod model;
pub mod oauth;
pub mod officials;
pub mod oidc;
pub mod password;
pub mod secrets;
pub mod service;
pub mod store;
pub mod totp;
pub mod vneid;

pub use error::{IdentityError, OAuthErrorCode};
pub use model::{
    AccessClaims, ClientSecret, CreatedClient, Grant, IdentityConfig, Introspection, KeyStatus,
    LockoutPolicy, NewClient, OAuthClient, RedirectUri, RefreshClaims, Scope, Scopes,
    SigningKeyInfo, TokenClaims, TokenResponse,
};
pub use oauth::{AuthMethod, ClientCredentials, Endpoint, TokenRequest};
pub use service::{discovery_document, IdentityService};

//! SANDBOX: an OpenID Connect provider that stands in for VNeID, Vietnam's national identity
//! app, in development, demos and tests (`cqdt sandbox vneid`). It is a real provider
//! (OpenID Connect Core 1.0, RFC 6749 authorization code grant, RFC 7636 PKCE S256, ES256 ID
//! tokens, discovery, JWKS, userinfo) for one registered client, whose consent page lets a
//! tester log in as one of the [`test_identities`] or as anyone typed in by personal
//! identification number. It is labelled as a sandbox on every page and in the logs; it keeps
//! everything in memory and makes a new signing key at each start.
//!
//! Routes, served at the root of [`SandboxConfig::issuer`]:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /.well-known/openid-configuration` | discovery document |
//! | `GET /jwks` | the ES256 public key |
//! | `GET /authorize` | checks the request, shows the consent page (Vietnamese) |
//! | `POST /authorize` | the person's choice; 303 to the client with `code`, `state`, `iss` |
//! | `POST /token` | code + PKCE verifier → access token and ID token |
//! | `GET`/`POST /userinfo` | claims for a bearer access token |

mod grants;
mod http;
mod identities;
mod jose;
mod oauth;
mod page;

use std::fmt;

pub use identities::{test_identities, TestIdentity};

/// The sandbox's issuer URL and its one registered client.
#[derive(Clone)]
pub struct SandboxConfig {
    /// Issuer URL, e.g. `http://127.0.0.1:9200`; the routes are served at its root.
    pub issuer: String,
    /// The registered client's id.
    pub client_id: String,
    /// The registered client's secret.
    pub client_secret: String,
    /// The client's redirect URIs; a request must name one of them exactly.
    pub redirect_uris: Vec<String>,
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uris", &self.redirect_uris)
            .finish()
    }
}

/// Why the sandbox could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The configuration is unusable.
    #[error("invalid VNeID sandbox configuration: {0}")]
    Config(String),
    /// No signing key could be made.
    #[error("VNeID sandbox signing key: {0}")]
    Key(String),
    /// Serving failed.
    #[error("serving the VNeID sandbox: {0}")]
    Io(#[from] std::io::Error),
}

/// Checks the configuration; the issuer loses any trailing slash.
fn checked(mut config: SandboxConfig) -> Result<SandboxConfig, SandboxError> {
    config.issuer = config.issuer.trim_end_matches('/').to_string();
    oauth::check_url("issuer", &config.issuer).map_err(SandboxError::Config)?;
    if config.issuer.contains('?') {
        return Err(SandboxError::Config("issuer must not have a query".into()));
    }
    if config.client_id.is_empty() || config.client_secret.is_empty() {
        return Err(SandboxError::Config("client_id and client_secret are required".into()));
    }
    if config.redirect_uris.is_empty() {
        return Err(SandboxError::Config("at least one redirect URI is required".into()));
    }
    for uri in &config.redirect_uris {
        oauth::check_url("redirect URI", uri).map_err(SandboxError::Config)?;
    }
    Ok(config)
}

/// The sandbox provider's routes, with a signing key made fresh for it.
pub fn router(config: SandboxConfig) -> Result<axum::Router, SandboxError> {
    let config = checked(config)?;
    let signer = jose::IdTokenSigner::generate()?;
    tracing::warn!(
        issuer = %config.issuer,
        client_id = %config.client_id,
        kid = signer.kid(),
        "VNeID SANDBOX: test identities only, this is not the real VNeID"
    );
    Ok(http::routes(config, signer))
}

/// Serves the sandbox on `listener` until the server fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: SandboxConfig,
) -> Result<(), SandboxError> {
    let app = router(config)?;
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SandboxConfig {
        SandboxConfig {
            issuer: "http://127.0.0.1:9200/".into(),
            client_id: "cqdt".into(),
            client_secret: "secret".into(),
            redirect_uris: vec!["http://127.0.0.1:8080/cb".into()],
        }
    }

    #[test]
    fn the_configuration_is_checked_and_the_issuer_trimmed() {
        assert_eq!(checked(config()).expect("valid").issuer, "http://127.0.0.1:9200");
        let mut c = config();
        c.redirect_uris = vec!["http://127.0.0.1:8080/cb#x".into()];
        assert!(checked(c).is_err());
        let mut c = config();
        c.redirect_uris.clear();
        assert!(checked(c).is_err());
        let mut c = config();
        c.client_secret.clear();
        assert!(checked(c).is_err());
        let mut c = config();
        c.issuer = "127.0.0.1:9200".into();
        assert!(checked(c).is_err());
    }

    #[test]
    fn the_secret_is_not_printed() {
        assert!(!format!("{:?}", config()).contains("\"secret\""));
    }
}

//! How the binary answers what one module asks of others (the traits modules declare for
//! what they need, implemented here over the other modules' public APIs).

use std::sync::Arc;

use crate::app::Directory;

/// What the integration platform asks of the catalogs and the identity provider.
pub(crate) struct LgspDirectory {
    pub(crate) directory: Arc<Directory>,
    pub(crate) clients: Arc<std::sync::OnceLock<cqdt_identity::IdentityService>>,
}

impl cqdt_lgsp::Directory for LgspDirectory {
    fn agency_name(&self, code: &str) -> Option<String> {
        self.directory.agency_name(code)
    }

    fn system_client<'a>(&'a self, client_id: &'a str) -> cqdt_lgsp::DirectoryFuture<'a, bool> {
        Box::pin(async move {
            let Some(identity) = self.clients.get() else { return false };
            match identity.client(client_id).await {
                Ok(Some(c)) => {
                    c.enabled
                        && c.grants.contains(&cqdt_identity::model::Grant::ClientCredentials)
                        && c.scopes.0.iter().any(|s| s.as_str() == "lgsp")
                }
                _ => false,
            }
        })
    }

    fn assert_call<'a>(
        &'a self,
        sub: &'a str,
        aud: &'a str,
        jti: &'a str,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> cqdt_lgsp::DirectoryFuture<'a, Result<String, String>> {
        Box::pin(async move {
            let Some(identity) = self.clients.get() else {
                return Err("the identity provider has not started".to_string());
            };
            identity.sign_gateway_assertion(sub, aud, jti, claims).await.map_err(|e| e.to_string())
        })
    }

    fn verify_peer_assertion(
        &self,
        token: &str,
        jwks: &serde_json::Value,
        issuer: &str,
        aud: &str,
        now: i64,
    ) -> Result<serde_json::Map<String, serde_json::Value>, String> {
        match cqdt_identity::vneid::verify_gateway_assertion(token, jwks, issuer, aud, now) {
            Ok(serde_json::Value::Object(claims)) => Ok(claims),
            Ok(_) => Err("the assertion's claims are not an object".into()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn sign_seal(
        &self,
        claims: serde_json::Map<String, serde_json::Value>,
    ) -> cqdt_lgsp::DirectoryFuture<'_, Result<String, String>> {
        Box::pin(async move {
            let identity = self.identity()?;
            identity.sign_log_seal(claims).await.map_err(|e| e.to_string())
        })
    }

    fn verify_seal<'a>(
        &'a self,
        token: &'a str,
    ) -> cqdt_lgsp::DirectoryFuture<'a, Result<serde_json::Map<String, serde_json::Value>, String>>
    {
        Box::pin(async move {
            let identity = self.identity()?;
            identity.verify_log_seal(token).await.map_err(|e| e.to_string())
        })
    }
}

impl LgspDirectory {
    fn identity(&self) -> Result<&cqdt_identity::IdentityService, String> {
        self.clients.get().ok_or_else(|| "the identity provider has not started".to_string())
    }
}

/// The national systems' adapters as configured. A service URL (or token URL) that is a path
/// is on this platform's own address: its public URL, else the address it listens on — the
/// way a province reaches a national service registered on its own LGSP.
pub(crate) fn national(
    config: &crate::config::Config,
    addr: std::net::SocketAddr,
) -> Result<cqdt_national::National, String> {
    use cqdt_national::{
        Connection, Credentials, HttpBusiness, HttpLegalDocuments, HttpPopulation, HttpPortal,
        HttpProcedureDatabase,
    };
    let n = &config.national;
    let own = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let own = own.trim_end_matches('/');
    let absolute = |u: &str| if u.starts_with('/') { format!("{own}{u}") } else { u.to_string() };
    let credentials = match &n.client {
        Some((client_id, client_secret)) => Credentials::ClientCredentials {
            token_url: n
                .token_url
                .as_deref()
                .map(absolute)
                .unwrap_or_else(|| format!("{own}/oauth/token")),
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            scope: "lgsp".into(),
        },
        None => Credentials::None,
    };
    let connect = |url: &str| Connection::new(&absolute(url), credentials.clone(), &config.tls);
    let mut national = cqdt_national::National::default();
    if let Some(url) = &n.population_url {
        national.population = Some(Arc::new(HttpPopulation(connect(url)?)));
    }
    if let Some(url) = &n.business_url {
        national.business = Some(Arc::new(HttpBusiness(connect(url)?)));
    }
    if let Some(url) = &n.legal_url {
        national.legal = Some(Arc::new(HttpLegalDocuments(connect(url)?)));
    }
    if let Some(url) = &n.portal_url {
        national.portal = Some(Arc::new(HttpPortal(connect(url)?)));
    }
    if let Some(url) = &n.procedures_url {
        national.procedures = Some(Arc::new(HttpProcedureDatabase(connect(url)?)));
    }
    Ok(national)
}

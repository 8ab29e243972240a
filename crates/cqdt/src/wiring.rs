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

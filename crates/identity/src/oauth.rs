//! The OAuth 2.0 endpoints' use cases: client authentication with lockout, the
//! client-credentials grant (RFC 6749 §4.4) issuing RFC 9068 JWT access tokens, introspection
//! (RFC 7662) and revocation (RFC 7009).
//!
//! Tokens are stateless: issuing one writes nothing but its (batched) audit entry; only
//! revocations are stored, until the token would have expired anyway.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use base64::Engine;
use cqdt_audit::{AuditEvent, Outcome};
use cqdt_platform::clock::format_ts;
use serde_json::json;

use crate::error::{IdentityError, OAuthErrorCode};
use crate::jwt;
use crate::lockout::ClientSource;
use crate::model::{
    AccessClaims, Grant, Introspection, OAuthClient, Scope, Scopes, TokenClaims, TokenResponse, B64,
};
use crate::service::IdentityService;
use crate::store;

/// How a client presented its credentials (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// HTTP Basic with the form-urlencoded client id and secret.
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
    /// `client_id` only (public clients).
    None,
}

impl AuthMethod {
    /// The registered name of the method.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::None => "none",
        }
    }
}

/// Credentials a client presented at an endpoint.
#[derive(Clone)]
pub struct ClientCredentials {
    /// The client id it claims.
    pub client_id: String,
    /// The secret it presented.
    pub secret: Option<String>,
    /// How.
    pub method: AuthMethod,
    /// Where they came from (behind a trusted proxy, the real client): failures lock a client
    /// id out at this address only.
    pub address: Option<IpAddr>,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("method", &self.method)
            .field("address", &self.address)
            .finish()
    }
}

/// A token request's parameters other than client authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: String,
    /// `scope`, if given.
    pub scope: Option<String>,
    /// The other parameters (`code`, `redirect_uri`, `code_verifier`, `refresh_token`).
    pub params: std::collections::HashMap<String, String>,
}

/// Which endpoint a client authenticated at, for the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `/oauth/token`.
    Token,
    /// `/oauth/introspect`.
    Introspect,
    /// `/oauth/revoke`.
    Revoke,
}

impl Endpoint {
    fn as_str(self) -> &'static str {
        match self {
            Endpoint::Token => "token",
            Endpoint::Introspect => "introspect",
            Endpoint::Revoke => "revoke",
        }
    }
}

/// A client-supplied string cut to a size fit for the audit log.
fn clip(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn invalid_client() -> IdentityError {
    IdentityError::oauth(OAuthErrorCode::InvalidClient, "client authentication failed")
}

impl IdentityService {
    /// Authenticates a client by its secret; counts failures and locks the client id out at
    /// the caller's address for a while after too many. Every failure is audited (never with
    /// the presented secret).
    pub async fn authenticate_client(
        &self,
        creds: &ClientCredentials,
        endpoint: Endpoint,
        request_id: &str,
    ) -> Result<Arc<OAuthClient>, IdentityError> {
        let inner = &self.inner;
        let id = creds.client_id.as_str();
        let now = inner.clock.now();
        let address = || creds.address.map(|a| a.to_string());
        let item = |reason: &str| {
            json!({"reason": reason, "method": creds.method.as_str(), "address": address(),
                   "endpoint": endpoint.as_str(), "request_id": request_id})
        };
        let well_formed =
            !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| (0x21..0x7F).contains(&b));
        if !well_formed {
            self.audit_refusal(
                AuditEvent::new("anonymous", "identity.client.authenticate", "oauth_client")
                    .object(clip(id, 64))
                    .outcome(Outcome::Failure),
                item("malformed_client_id"),
            )
            .await;
            return Err(invalid_client());
        }
        let source = ClientSource { client_id: id.to_string(), address: creds.address };
        if let Some(retry_after) = inner.lockout.locked(&source, now) {
            self.audit_refusal(
                AuditEvent::new(id, "identity.client.authenticate", "oauth_client")
                    .object(id)
                    .outcome(Outcome::Denied),
                item("locked_out"),
            )
            .await;
            return Err(IdentityError::OAuth {
                code: OAuthErrorCode::InvalidClient,
                description: "too many failed authentications; try again later".into(),
                retry_after: Some(retry_after),
            });
        }
        let client = self.cached_client(id).await?;
        let failure = match (&client, &creds.secret) {
            (None, _) => Some("unknown_client"),
            (Some(c), _) if !c.enabled => Some("client_disabled"),
            // Public clients identify themselves by client_id alone (RFC 6749 §2.1); PKCE
            // binds their codes.
            (Some(c), None) if c.public && creds.method == AuthMethod::None => None,
            (Some(_), None) => Some("secret_missing"),
            (Some(c), Some(secret)) => match &c.secret_hash {
                Some(hash) if hash.verify(secret) => None,
                Some(_) => Some("wrong_secret"),
                None => Some("public_client_has_no_secret"),
            },
        };
        match (failure, client) {
            (None, Some(client)) => {
                inner.lockout.succeed(&source);
                Ok(client)
            }
            (reason, _) => {
                let reason = reason.unwrap_or("unknown_client");
                let locked_for = inner.lockout.fail(&source, now);
                self.audit_refusal(
                    AuditEvent::new(id, "identity.client.authenticate", "oauth_client")
                        .object(id)
                        .outcome(Outcome::Failure),
                    item(reason),
                )
                .await;
                if let Some(secs) = locked_for {
                    tracing::warn!(client_id = %id, address = ?creds.address, seconds = secs, "OAuth client locked out after failed authentications");
                    self.audit_refusal_plain(
                        AuditEvent::new(id, "identity.client.lockout", "oauth_client")
                            .object(id)
                            .outcome(Outcome::Denied)
                            .request(request_id)
                            .details(json!({
                                "failures": inner.config.lockout.max_failures,
                                "locked_seconds": secs,
                                "address": address(),
                            })),
                    )
                    .await;
                }
                Err(invalid_client())
            }
        }
    }

    async fn audit_refusal(&self, event: AuditEvent, item: serde_json::Value) {
        if let Err(e) = self.inner.journal.record(event, Some(item)).await {
            tracing::error!(error = %e, "auditing a refused OAuth request");
        }
    }

    async fn audit_refusal_plain(&self, event: AuditEvent) {
        if let Err(e) = self.inner.journal.record(event, None).await {
            tracing::error!(error = %e, "auditing a refused OAuth request");
        }
    }

    /// The token endpoint: authenticates the client, checks the grant and scope, and issues a
    /// signed access token. Issuance and refusals are audited before the answer is given.
    #[tracing::instrument(
        skip_all,
        fields(client_id = %creds.client_id, grant_type = %req.grant_type)
    )]
    pub async fn token(
        &self,
        creds: &ClientCredentials,
        req: &TokenRequest,
        request_id: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let client = self.authenticate_client(creds, Endpoint::Token, request_id).await?;
        let refuse = |code: OAuthErrorCode, description: String| {
            let event = AuditEvent::new(&client.client_id, "identity.token.issue", "oauth_client")
                .object(client.client_id.clone())
                .outcome(Outcome::Denied);
            let item = json!({"error": code.as_str(), "grant_type": clip(&req.grant_type, 64),
                              "scope": req.scope.as_deref().map(|s| clip(s, 200)),
                              "request_id": request_id});
            async move {
                self.audit_refusal(event, item).await;
                Err(IdentityError::oauth(code, description))
            }
        };
        if req.grant_type == "authorization_code" || req.grant_type == "refresh_token" {
            if !client.grants.contains(&Grant::AuthorizationCode) {
                return refuse(
                    OAuthErrorCode::UnauthorizedClient,
                    "this client may not use the authorization code flow".into(),
                )
                .await;
            }
            let mut params = req.params.clone();
            if let Some(s) = &req.scope {
                params.insert("scope".into(), s.clone());
            }
            let result = if req.grant_type == "authorization_code" {
                self.grant_code(&client, &params, request_id).await
            } else {
                self.grant_refresh(&client, &params, request_id).await
            };
            if let Err(IdentityError::OAuth { code, description, .. }) = &result {
                return refuse(*code, description.clone()).await;
            }
            return result;
        }
        if client.public {
            return refuse(
                OAuthErrorCode::UnauthorizedClient,
                "public clients may only use the authorization code flow".into(),
            )
            .await;
        }
        if req.grant_type != Grant::ClientCredentials.as_str() {
            return refuse(
                OAuthErrorCode::UnsupportedGrantType,
                "supported: client_credentials, authorization_code, refresh_token".into(),
            )
            .await;
        }
        if !client.grants.contains(&Grant::ClientCredentials) {
            return refuse(
                OAuthErrorCode::UnauthorizedClient,
                "this client may not use the client_credentials grant".into(),
            )
            .await;
        }
        let scopes = match req.scope.as_deref() {
            None => client.scopes.clone(),
            Some(s) => match Scopes::parse(s) {
                Some(s) => s,
                None => {
                    return refuse(OAuthErrorCode::InvalidScope, "malformed scope".into()).await
                }
            },
        };
        if !scopes.is_subset(&client.scopes) {
            let extra: Vec<&str> = scopes.not_in(&client.scopes).map(Scope::as_str).collect();
            return refuse(
                OAuthErrorCode::InvalidScope,
                format!("scope not allowed for this client: {}", extra.join(" ")),
            )
            .await;
        }
        self.issue(&client, scopes, request_id).await
    }

    async fn issue(
        &self,
        client: &OAuthClient,
        scopes: Scopes,
        request_id: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let inner = &self.inner;
        let keys = inner.keys.current();
        let iat = inner.clock.now().timestamp();
        let ttl = inner.config.access_token_ttl.as_secs() as i64;
        let claims = AccessClaims {
            iss: inner.config.issuer.clone(),
            sub: client.client_id.clone(),
            aud: inner.config.audience.clone(),
            exp: iat + ttl,
            iat,
            jti: B64.encode(rand::random::<[u8; 16]>()),
            scope: scopes.to_string(),
            client_id: client.client_id.clone(),
        };
        let access_token = keys.es256.sign_access(&claims)?;
        inner
            .journal
            .record(
                AuditEvent::new(&client.client_id, "identity.token.issue", "oauth_client")
                    .object(client.client_id.clone()),
                Some(json!({"jti": claims.jti, "scope": claims.scope, "exp": claims.exp,
                            "kid": keys.es256.kid(), "request_id": request_id})),
            )
            .await?;
        tracing::debug!(client_id = %client.client_id, jti = %claims.jti, "access token issued");
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ttl,
            scope: claims.scope,
            id_token: None,
            refresh_token: None,
        })
    }

    /// An access token of this provider, checked by the one verifier (`jwt::verify`): typ
    /// at+jwt, ES256 by a published key, issuer, audience, `exp`, `nbf`, `iat`.
    pub(crate) async fn verified_access_claims(
        &self,
        token: &str,
    ) -> Result<AccessClaims, jwt::Refusal> {
        let c = &self.inner.config;
        let expect = jwt::Expectation::access_token(&c.issuer, &c.audience);
        self.inner.keys.verify(token, &expect).await
    }

    /// Validates an access token as a resource server would, plus what only the provider knows:
    /// the verifier's checks (`verified_access_claims`), not revoked, client still enabled.
    #[tracing::instrument(skip_all)]
    pub async fn validate_access_token(
        &self,
        token: &str,
    ) -> Result<Option<AccessClaims>, IdentityError> {
        let key = crate::login::digest(token);
        let now = self.inner.clock.now().timestamp();
        let cached = self.inner.access_tokens.lock().ok().and_then(|cache| {
            cache
                .get(&key)
                .filter(|(c, at)| at.elapsed() < crate::login::PRINCIPAL_CACHE && c.exp > now)
                .map(|(c, _)| c.clone())
        });
        let claims = match cached {
            Some(c) => c,
            None => {
                let seen = self.inner.revocations.load(std::sync::atomic::Ordering::Acquire);
                let claims = match self.verified_access_claims(token).await {
                    Ok(c) => c,
                    Err(why) => {
                        tracing::debug!(reason = %why, "access token refused");
                        return Ok(None);
                    }
                };
                if store::is_revoked(&self.inner.db, &claims.jti).await? {
                    return Ok(None);
                }
                if let Ok(mut cache) = self.inner.access_tokens.lock() {
                    if cache.len() >= 10_000 {
                        cache.clear();
                    }
                    let revoked_since =
                        self.inner.revocations.load(std::sync::atomic::Ordering::Acquire) != seen;
                    if !revoked_since {
                        cache.insert(key, (claims.clone(), std::time::Instant::now()));
                    }
                }
                claims
            }
        };
        // Checked on every call: a client disabled on this node stops at once.
        let enabled = self.cached_client(&claims.client_id).await?.is_some_and(|c| c.enabled);
        Ok(enabled.then_some(claims))
    }

    /// Forgets every validated access token (after a revocation on this node).
    pub(crate) fn forget_access_tokens(&self) {
        self.inner.revocations.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        if let Ok(mut cache) = self.inner.access_tokens.lock() {
            cache.clear();
        }
    }

    /// Token introspection (RFC 7662) for an authenticated confidential client: a system (a
    /// client allowed the client_credentials grant, i.e. a resource server) learns about any
    /// token, any other client only about its own. Access and refresh tokens are both looked
    /// up, the hinted kind first (RFC 7662 §2.1).
    #[tracing::instrument(skip_all, fields(client_id = %creds.client_id))]
    pub async fn introspect(
        &self,
        creds: &ClientCredentials,
        token: &str,
        hint: Option<&str>,
        request_id: &str,
    ) -> Result<Introspection, IdentityError> {
        let caller = self.authenticate_client(creds, Endpoint::Introspect, request_id).await?;
        if caller.public {
            // A public client proves nothing about itself: what it would learn is anyone's.
            self.audit_refusal(
                AuditEvent::new(&caller.client_id, "identity.client.authenticate", "oauth_client")
                    .object(caller.client_id.clone())
                    .outcome(Outcome::Denied),
                json!({"reason": "public_client_may_not_introspect", "endpoint": "introspect",
                       "request_id": request_id}),
            )
            .await;
            return Err(IdentityError::oauth(
                OAuthErrorCode::InvalidClient,
                "introspection is for confidential clients authenticated with their secret",
            ));
        }
        let answer = if hint == Some("refresh_token") {
            match self.introspect_refresh(token).await? {
                Some(found) => Some(found),
                None => self.introspect_access(token).await?,
            }
        } else {
            match self.introspect_access(token).await? {
                Some(found) => Some(found),
                None => self.introspect_refresh(token).await?,
            }
        };
        let system = caller.grants.contains(&Grant::ClientCredentials);
        Ok(match answer {
            Some(a) if system || a.client_id() == Some(caller.client_id.as_str()) => a,
            _ => Introspection::inactive(),
        })
    }

    async fn introspect_access(&self, token: &str) -> Result<Option<Introspection>, IdentityError> {
        Ok(self.validate_access_token(token).await?.map(|claims| Introspection {
            active: true,
            claims: Some(TokenClaims::Access(claims)),
            token_type: Some("Bearer"),
        }))
    }

    /// Token revocation (RFC 7009): a client revokes a token issued to it. Tokens that are
    /// not ours, malformed or already expired need nothing and succeed.
    #[tracing::instrument(skip_all, fields(client_id = %creds.client_id))]
    pub async fn revoke(
        &self,
        creds: &ClientCredentials,
        token: &str,
        request_id: &str,
    ) -> Result<(), IdentityError> {
        let inner = &self.inner;
        let caller = self.authenticate_client(creds, Endpoint::Revoke, request_id).await?;
        let Ok(claims) = self.verified_access_claims(token).await else {
            // Not a valid access token of ours (an expired one needs no revoking): perhaps a
            // refresh token.
            self.revoke_refresh(&caller, token, request_id).await?;
            return Ok(());
        };
        let now = inner.clock.now();
        if claims.client_id != caller.client_id {
            self.audit_refusal_plain(
                AuditEvent::new(&caller.client_id, "identity.token.revoke", "access_token")
                    .object(claims.jti.clone())
                    .outcome(Outcome::Denied)
                    .request(request_id)
                    .details(json!({"reason": "issued_to_another_client", "token_client_id": claims.client_id})),
            )
            .await;
            return Err(IdentityError::oauth(
                OAuthErrorCode::UnauthorizedClient,
                "the token was not issued to this client",
            ));
        }
        let expires_at = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or(now);
        let now_ts = format_ts(now);
        let mut tx = inner.db.begin().await?;
        store::purge_revoked(&mut tx, &now_ts).await?;
        let fresh = store::insert_revoked(
            &mut tx,
            &claims.jti,
            &claims.client_id,
            &format_ts(expires_at),
            &now_ts,
            &caller.client_id,
        )
        .await?;
        if fresh {
            inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(&caller.client_id, "identity.token.revoke", "access_token")
                        .object(claims.jti.clone())
                        .request(request_id)
                        .details(json!({"client_id": claims.client_id, "exp": claims.exp})),
                )
                .await?;
        }
        tx.commit().await?;
        self.forget_access_tokens();
        Ok(())
    }
}

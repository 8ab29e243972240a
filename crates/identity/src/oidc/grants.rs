//! The token endpoint's grants for people: authorization codes redeemed once with PKCE,
//! refresh tokens rotated with reuse detection, and the revocation of a token family.

use std::collections::HashMap;

use base64::Engine;
use cqdt_audit::{AuditEvent, Outcome};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{DbResultExt, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{pkce_s256, valid_verifier, IdClaims};
use crate::account::Account;
use crate::error::{IdentityError, OAuthErrorCode};
use crate::login::digest;
use crate::model::{
    AccessClaims, Introspection, OAuthClient, RefreshClaims, Scopes, TokenClaims, TokenResponse,
    B64,
};
use crate::service::IdentityService;
use crate::store;
use crate::store::accounts as st;

/// An `invalid_grant` error.
fn grant_err(description: &str) -> IdentityError {
    IdentityError::oauth(OAuthErrorCode::InvalidGrant, description.to_string())
}

/// A parameter the grant cannot do without; `invalid_request` if missing.
fn required<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
    missing: &'static str,
) -> Result<&'a String, IdentityError> {
    params.get(name).ok_or_else(|| IdentityError::oauth(OAuthErrorCode::InvalidRequest, missing))
}

/// What was presented a second time.
#[derive(Clone, Copy)]
enum Replayed<'a> {
    Code(&'a st::AuthCodeRow),
    Refresh(&'a st::RefreshRow),
}

impl IdentityService {
    /// Revokes a token family: its refresh tokens and the access tokens issued with them.
    pub(crate) async fn revoke_family_tx(
        &self,
        tx: &mut Tx,
        family: &str,
        now_s: &str,
        by: &str,
    ) -> Result<usize, IdentityError> {
        let access = st::revoke_family(tx, family, now_s).await?;
        store::insert_revoked_many(tx, &access, "", now_s, by).await?;
        // Validations under way stop caching (the generation changed); one that starts
        // before the caller commits may still cache for PRINCIPAL_CACHE, the bound that
        // holds for other nodes anyway.
        self.forget_access_tokens();
        Ok(access.len())
    }

    /// A replayed code or refresh token: whoever holds it may be an attacker, so everything
    /// issued from its family is revoked and the replay audited (RFC 6749 §4.1.2, OAuth 2.0
    /// Security BCP §4.5). The caller commits `tx`.
    async fn revoke_replayed(
        &self,
        tx: &mut Tx,
        client: &OAuthClient,
        replayed: Replayed<'_>,
        now_s: &str,
        request_id: &str,
    ) -> Result<(), IdentityError> {
        // The revocation reason, the audit action and its object type.
        let ((by, action, object_type), family, account_id) = match replayed {
            Replayed::Code(r) => {
                (("code_replay", "identity.code.replay", "oauth_code"), &r.family, &r.account_id)
            }
            Replayed::Refresh(r) => (
                ("refresh_replay", "identity.refresh.replay", "refresh_token"),
                &r.family,
                &r.account_id,
            ),
        };
        let n = self.revoke_family_tx(tx, family, now_s, by).await?;
        let event = AuditEvent::new(&client.client_id, action, object_type)
            .object(family.clone())
            .outcome(Outcome::Denied)
            .request(request_id)
            .details(json!({"account_id": account_id, "access_tokens_revoked": n}));
        self.inner.audit.record(tx, event).await?;
        Ok(())
    }

    /// The authorization_code grant: redeem a code once, with the PKCE verifier.
    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    pub(crate) async fn grant_code(
        &self,
        client: &OAuthClient,
        params: &HashMap<String, String>,
        request_id: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let code = required(params, "code", "code is required")?;
        let verifier = required(params, "code_verifier", "code_verifier is required (PKCE)")?;
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        // The ID-token key is found (or made) before the transaction: making a key writes,
        // and on SQLite a second writer inside this transaction would wait for it forever.
        let id_signer = self.inner.keys.signer(client.id_token_alg).await?;
        let mut tx = self.inner.db.begin().await?;
        let Some(row) = st::auth_code(&mut tx, &digest(code)).await? else {
            return Err(grant_err("unknown authorization code"));
        };
        if row.client_id != client.client_id {
            return Err(grant_err("the code was issued to another client"));
        }
        if row.used_at.is_some() {
            self.revoke_replayed(&mut tx, client, Replayed::Code(&row), &now_s, request_id).await?;
            tx.commit().await?;
            return Err(grant_err(
                "authorization code already used; tokens issued from it are revoked",
            ));
        }
        if row.expires_at <= now_s {
            return Err(grant_err("authorization code expired"));
        }
        if params.get("redirect_uri") != Some(&row.redirect_uri) {
            return Err(grant_err("redirect_uri does not match the authorization request"));
        }
        if !valid_verifier(verifier) || pkce_s256(verifier) != row.code_challenge {
            // A wrong verifier burns the code: it cannot be retried.
            st::use_auth_code(&mut tx, &row.code_hash, &now_s).await?;
            tx.commit().await?;
            return Err(grant_err("PKCE verification failed"));
        }
        if !st::use_auth_code(&mut tx, &row.code_hash, &now_s).await? {
            return Err(grant_err("authorization code already used"));
        }
        let Some(account) = st::account_by(&mut *tx, "id", &row.account_id).await? else {
            return Err(grant_err("the account no longer exists"));
        };
        let response = self
            .user_tokens(
                &mut tx,
                client,
                &account,
                UserGrant {
                    scope: &row.scope,
                    session_id: &row.session_id,
                    auth_time: &row.auth_time,
                    amr: &row.amr,
                    family: &row.family,
                    nonce: row.nonce.as_deref(),
                    id_signer: &id_signer,
                },
                request_id,
                "authorization_code",
            )
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    /// The refresh_token grant: one use per token; a reused one revokes its whole family.
    #[tracing::instrument(skip_all, fields(client_id = %client.client_id))]
    pub(crate) async fn grant_refresh(
        &self,
        client: &OAuthClient,
        params: &HashMap<String, String>,
        request_id: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let token = required(params, "refresh_token", "refresh_token is required")?;
        let now_s = format_ts(self.inner.clock.now());
        // The ID-token key is found (or made) before the transaction: making a key writes,
        // and on SQLite a second writer inside this transaction would wait for it forever.
        let id_signer = self.inner.keys.signer(client.id_token_alg).await?;
        let mut tx = self.inner.db.begin().await?;
        let Some(row) = st::refresh(&mut tx, &digest(token)).await? else {
            return Err(grant_err("unknown refresh token"));
        };
        if row.client_id != client.client_id {
            return Err(grant_err("the refresh token was issued to another client"));
        }
        if row.revoked_at.is_some() {
            return Err(grant_err("refresh token revoked"));
        }
        if row.used_at.is_some() {
            self.revoke_replayed(&mut tx, client, Replayed::Refresh(&row), &now_s, request_id)
                .await?;
            tx.commit().await?;
            return Err(grant_err("refresh token already used; the whole grant is revoked"));
        }
        if row.expires_at <= now_s {
            return Err(grant_err("refresh token expired"));
        }
        let scope = match params.get("scope") {
            None => row.scope.clone(),
            Some(s) => {
                let asked = Scopes::parse(s).ok_or_else(|| {
                    IdentityError::oauth(OAuthErrorCode::InvalidScope, "malformed scope")
                })?;
                if !asked.0.iter().all(|a| row.scope.split(' ').any(|g| g == a.as_str())) {
                    return Err(IdentityError::oauth(
                        OAuthErrorCode::InvalidScope,
                        "a refresh may not widen the scope",
                    ));
                }
                asked.to_string()
            }
        };
        // The session must still be open: logging out ends what was granted in it.
        let session_open = st::session_by_public_id(&mut *tx, &row.session_id)
            .await?
            .is_some_and(|s| s.revoked_at.is_none());
        if !session_open {
            self.revoke_family_tx(&mut tx, &row.family, &now_s, "session_ended").await?;
            tx.commit().await?;
            return Err(grant_err("the sign-in session has ended"));
        }
        if !st::use_refresh(&mut tx, &row.token_hash, &now_s).await? {
            return Err(grant_err("refresh token already used"));
        }
        let Some(account) = st::account_by(&mut *tx, "id", &row.account_id).await? else {
            return Err(grant_err("the account no longer exists"));
        };
        if account.status != crate::account::AccountStatus::Active {
            return Err(grant_err("the account is disabled"));
        }
        let response = self
            .user_tokens(
                &mut tx,
                client,
                &account,
                UserGrant {
                    scope: &scope,
                    session_id: &row.session_id,
                    auth_time: &row.auth_time,
                    amr: &row.amr,
                    family: &row.family,
                    nonce: None,
                    id_signer: &id_signer,
                },
                request_id,
                "refresh_token",
            )
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    #[allow(clippy::too_many_arguments)]
    async fn user_tokens(
        &self,
        tx: &mut Tx,
        client: &OAuthClient,
        account: &Account,
        g: UserGrant<'_>,
        request_id: &str,
        grant: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let inner = &self.inner;
        let keys = inner.keys.current();
        let now = inner.clock.now();
        let iat = now.timestamp();
        let ttl = inner.config.access_token_ttl.as_secs() as i64;
        let access = AccessClaims {
            iss: inner.config.issuer.clone(),
            sub: account.id.clone(),
            aud: inner.config.audience.clone(),
            exp: iat + ttl,
            iat,
            jti: B64.encode(rand::random::<[u8; 16]>()),
            scope: g.scope.to_string(),
            client_id: client.client_id.clone(),
        };
        let access_token = keys.es256.sign_access(&access)?;
        // A refresh token only for offline_access (OIDC Core §11). Without it the row is
        // still written, with a token no one is given: it ties the access token to its family
        // and session, so that a replayed code or a logout still revokes it.
        let offline = g.scope.split(' ').any(|s| s == "offline_access");
        let refresh_token = B64.encode(rand::random::<[u8; 32]>());
        let refresh_life = chrono::Duration::from_std(inner.config.refresh_token_ttl)
            .unwrap_or_else(|_| chrono::Duration::days(30));
        st::insert_refresh(
            tx,
            &st::RefreshRow {
                token_hash: digest(&refresh_token),
                family: g.family.to_string(),
                client_id: client.client_id.clone(),
                account_id: account.id.clone(),
                session_id: g.session_id.to_string(),
                scope: g.scope.to_string(),
                auth_time: g.auth_time.to_string(),
                amr: g.amr.to_string(),
                access_jti: access.jti.clone(),
                access_exp: format_ts(now + chrono::Duration::seconds(ttl)),
                created_at: format_ts(now),
                expires_at: format_ts(now + refresh_life),
                used_at: None,
                revoked_at: None,
            },
        )
        .await?;
        let id_token = if g.scope.split(' ').any(|s| s == "openid") {
            let auth_time = chrono::DateTime::parse_from_rfc3339(g.auth_time)
                .map(|t| t.timestamp())
                .unwrap_or(iat);
            let half = &Sha256::digest(access_token.as_bytes())[..16];
            let claims = IdClaims {
                iss: inner.config.issuer.clone(),
                sub: account.id.clone(),
                aud: client.client_id.clone(),
                exp: iat + inner.config.id_token_ttl.as_secs() as i64,
                iat,
                auth_time,
                nonce: g.nonce.map(str::to_string),
                amr: g.amr.split(' ').map(str::to_string).collect(),
                sid: g.session_id.to_string(),
                at_hash: Some(B64.encode(half)),
                azp: client.client_id.clone(),
                extra: self.scoped_claims(account, g.scope).await?,
            };
            // ES256, or RS256 for a client registered with id_token_signed_response_alg.
            Some(g.id_signer.sign_id(&claims)?)
        } else {
            None
        };
        inner
            .audit
            .record(
                tx,
                AuditEvent::new(&account.actor(), "identity.token.issue", "oauth_client")
                    .object(client.client_id.clone())
                    .request(request_id)
                    .details(json!({"grant": grant, "jti": access.jti, "scope": access.scope,
                                    "family": g.family, "kid": keys.es256.kid()})),
            )
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ttl,
            scope: access.scope,
            id_token,
            refresh_token: offline.then_some(refresh_token),
        })
    }

    /// What introspection says of a refresh token: active while the token endpoint would
    /// still exchange it (unused, unrevoked, unexpired, its client enabled, its session open).
    pub(crate) async fn introspect_refresh(
        &self,
        token: &str,
    ) -> Result<Option<Introspection>, IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        let mut conn = self.inner.db.pool().acquire().await.ctx("reading a refresh token")?;
        let Some(row) = st::refresh(&mut conn, &digest(token)).await? else {
            return Ok(None);
        };
        let usable = row.used_at.is_none() && row.revoked_at.is_none() && row.expires_at > now_s;
        if !usable || !self.cached_client(&row.client_id).await?.is_some_and(|c| c.enabled) {
            return Ok(None);
        }
        let session_open = st::session_by_public_id(&mut *conn, &row.session_id)
            .await?
            .is_some_and(|s| s.revoked_at.is_none());
        let at = |ts: &str| chrono::DateTime::parse_from_rfc3339(ts).map(|t| t.timestamp()).ok();
        let (Some(exp), Some(iat), true) = (at(&row.expires_at), at(&row.created_at), session_open)
        else {
            return Ok(None);
        };
        let claims = RefreshClaims {
            iss: self.inner.config.issuer.clone(),
            sub: row.account_id,
            exp,
            iat,
            scope: row.scope,
            client_id: row.client_id,
        };
        Ok(Some(Introspection {
            active: true,
            claims: Some(TokenClaims::Refresh(claims)),
            token_type: None,
        }))
    }

    /// Revokes a refresh token presented at the revocation endpoint (with its family).
    #[tracing::instrument(skip_all, fields(client_id = %caller.client_id))]
    pub(crate) async fn revoke_refresh(
        &self,
        caller: &OAuthClient,
        token: &str,
        request_id: &str,
    ) -> Result<bool, IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(row) = st::refresh(&mut tx, &digest(token)).await? else {
            return Ok(false);
        };
        if row.client_id != caller.client_id {
            return Err(IdentityError::oauth(
                OAuthErrorCode::UnauthorizedClient,
                "the token was not issued to this client",
            ));
        }
        let n = self.revoke_family_tx(&mut tx, &row.family, &now_s, &caller.client_id).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(&caller.client_id, "identity.token.revoke", "refresh_token")
                    .object(row.family.clone())
                    .request(request_id)
                    .details(json!({"account_id": row.account_id, "access_tokens_revoked": n})),
            )
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}

struct UserGrant<'a> {
    scope: &'a str,
    session_id: &'a str,
    auth_time: &'a str,
    amr: &'a str,
    family: &'a str,
    nonce: Option<&'a str>,
    /// The key of the client's ID tokens.
    id_signer: &'a crate::jwt::SigningKey,
}

//! The authorization endpoint's decisions: checking a request, consent, issuing a code.

use std::collections::HashMap;

use base64::Engine;
use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use serde_json::json;

use super::{redirect_with, AuthRequest, AuthorizeError, CODE_LIFE_SECS};
use crate::account::Account;
use crate::error::IdentityError;
use crate::login::{digest, Client, LiveSession, Stage};
use crate::model::{Grant, Scopes, B64};
use crate::service::IdentityService;
use crate::store::accounts as st;

impl IdentityService {
    /// Checks an authorization request's parameters (RFC 6749 §4.1.1, RFC 7636, OIDC §3.1.2.1).
    #[tracing::instrument(skip_all, fields(client_id = q.get("client_id").map(String::as_str)))]
    pub async fn check_authorize(
        &self,
        q: &HashMap<String, String>,
    ) -> Result<AuthRequest, AuthorizeError> {
        let client_id = q.get("client_id").map(String::as_str).unwrap_or("");
        let client = match self.cached_client(client_id).await {
            Ok(Some(c)) if c.enabled => c,
            Ok(_) => {
                return Err(AuthorizeError::Page(
                    "Ứng dụng yêu cầu đăng nhập không được đăng ký hoặc đã bị khoá.".into(),
                ))
            }
            Err(e) => return Err(AuthorizeError::Page(format!("Lỗi hệ thống: {e}"))),
        };
        let Some(redirect_uri) = q
            .get("redirect_uri")
            .filter(|u| client.redirect_uris.iter().any(|r| r.as_str() == u.as_str()))
            .cloned()
        else {
            // Someone tried to have a code sent elsewhere: an auditor wants to know.
            let asked: String =
                q.get("redirect_uri").map(|u| u.chars().take(300).collect()).unwrap_or_default();
            let event =
                AuditEvent::new("anonymous", "security.redirect_uri_refused", "oauth_client")
                    .object(client.client_id.clone())
                    .outcome(cqdt_audit::Outcome::Denied)
                    .details(json!({"redirect_uri": asked}));
            if let Err(e) = self.inner.journal.record(event, None).await {
                tracing::error!(error = %e, "recording a refused redirect URI");
            }
            return Err(AuthorizeError::Page(
                "Địa chỉ chuyển hướng (redirect_uri) không khớp với địa chỉ đã đăng ký của ứng dụng; yêu cầu bị từ chối để bảo vệ tài khoản của ông/bà.".into(),
            ));
        };
        let mut req = AuthRequest {
            client_id: client.client_id.clone(),
            client_name: client.name.clone(),
            first_party: client.first_party,
            redirect_uri,
            scope: String::new(),
            state: q.get("state").cloned(),
            nonce: q.get("nonce").cloned(),
            code_challenge: String::new(),
            prompt: q.get("prompt").cloned(),
        };
        let bad = |req: &AuthRequest, code: &str, d: &str| {
            Err(AuthorizeError::Redirect(req.error_redirect(code, d)))
        };
        if q.get("request").is_some() || q.get("request_uri").is_some() {
            return bad(&req, "request_not_supported", "request objects are not supported");
        }
        if !client.grants.contains(&Grant::AuthorizationCode) {
            return bad(
                &req,
                "unauthorized_client",
                "this client may not use the authorization code flow",
            );
        }
        if q.get("response_type").map(String::as_str) != Some("code") {
            return bad(&req, "unsupported_response_type", "only response_type=code is supported");
        }
        if let Some(m) = q.get("response_mode") {
            if m != "query" {
                return bad(&req, "invalid_request", "only response_mode=query is supported");
            }
        }
        let scopes = match q.get("scope").map(|s| Scopes::parse(s)) {
            Some(Some(s)) => s,
            _ => return bad(&req, "invalid_scope", "scope is required"),
        };
        let allowed = |s: &str| s == "openid" || client.scopes.0.iter().any(|c| c.as_str() == s);
        if let Some(extra) = scopes.0.iter().find(|s| !allowed(s.as_str())) {
            return bad(
                &req,
                "invalid_scope",
                &format!("scope not allowed for this client: {}", extra.as_str()),
            );
        }
        req.scope = scopes.to_string();
        let Some(challenge) = q.get("code_challenge") else {
            return bad(&req, "invalid_request", "PKCE is required: code_challenge is missing");
        };
        if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
            return bad(&req, "invalid_request", "code_challenge_method must be S256");
        }
        if challenge.len() != 43
            || !challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(&req, "invalid_request", "code_challenge is not an S256 value");
        }
        req.code_challenge = challenge.clone();
        if req.nonce.as_ref().is_some_and(|n| n.len() > 255) {
            return bad(&req, "invalid_request", "nonce is too long");
        }
        if req.state.as_ref().is_some_and(|n| n.len() > 1024) {
            return bad(&req, "invalid_request", "state is too long");
        }
        Ok(req)
    }

    /// Whether the person must still consent to the request's scopes for this client.
    #[tracing::instrument(skip_all, fields(account_id = %account_id, client_id = %req.client_id))]
    pub async fn needs_consent(
        &self,
        account_id: &str,
        req: &AuthRequest,
    ) -> Result<bool, IdentityError> {
        if req.first_party {
            return Ok(false);
        }
        let granted = st::consent(self.inner.db.pool(), account_id, &req.client_id).await?;
        let granted: Vec<&str> =
            granted.as_deref().map(|g| g.split(' ').collect()).unwrap_or_default();
        Ok(!req.scope.split(' ').all(|s| granted.contains(&s)))
    }

    /// Records a consent (audited).
    #[tracing::instrument(skip_all, fields(account_id = %account.id, client_id = %req.client_id))]
    pub async fn grant_consent(
        &self,
        account: &Account,
        req: &AuthRequest,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        st::put_consent(&mut tx, &account.id, &req.client_id, &req.scope, &now_s).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(&account.actor(), "identity.consent.grant", "oauth_client")
                    .object(req.client_id.clone())
                    .request(&client.request_id)
                    .details(json!({"scope": req.scope})),
            )
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Issues a code for a signed-in person and returns the redirect to the client.
    #[tracing::instrument(
        skip_all,
        fields(account_id = %live.account.id, client_id = %req.client_id)
    )]
    pub async fn issue_code(
        &self,
        live: &LiveSession,
        req: &AuthRequest,
    ) -> Result<String, IdentityError> {
        if live.stage != Stage::Full {
            return Err(IdentityError::Forbidden("Chưa đăng nhập đầy đủ.".into()));
        }
        let now = self.inner.clock.now();
        let code = B64.encode(rand::random::<[u8; 32]>());
        let row = st::AuthCodeRow {
            code_hash: digest(&code),
            client_id: req.client_id.clone(),
            account_id: live.account.id.clone(),
            session_id: live.session.public_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            auth_time: live.session.auth_time.clone(),
            amr: live.session.amr.clone(),
            family: hex::encode(rand::random::<[u8; 12]>()),
            created_at: format_ts(now),
            expires_at: format_ts(now + chrono::Duration::seconds(CODE_LIFE_SECS)),
            used_at: None,
        };
        let mut tx = self.inner.db.begin().await?;
        st::insert_auth_code(&mut tx, &row).await?;
        tx.commit().await?;
        let mut p = vec![("code", code.as_str())];
        if let Some(s) = &req.state {
            p.push(("state", s));
        }
        let iss = self.inner.config.issuer.clone();
        p.push(("iss", &iss));
        Ok(redirect_with(&req.redirect_uri, &p))
    }
}

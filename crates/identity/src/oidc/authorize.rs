//! The authorization endpoint's decisions: checking a request, consent, issuing a code.

use std::collections::HashMap;

use base64::Engine;
use cqdt_audit::AuditEvent;
use cqdt_platform::clock::{format_ts, parse_ts};
use serde_json::json;

use super::{redirect_with, AuthRequest, AuthorizeError, CODE_LIFE_SECS};
use crate::account::Account;
use crate::error::IdentityError;
use crate::login::{digest, Client, LiveSession, Stage};
use crate::model::{Grant, Scopes, B64};
use crate::service::IdentityService;
use crate::store::accounts as st;

/// How long, in minutes, the person may take to sign in again when a request demands it.
const LOGIN_TRIP_MINUTES: i64 = 15;

impl IdentityService {
    /// Checks an authorization request's parameters (RFC 6749 §4.1.1, RFC 7636, OIDC §3.1.2.1).
    /// `repeated` names a parameter the request carried more than once (RFC 6749 §3.1).
    #[tracing::instrument(skip_all, fields(client_id = q.get("client_id").map(String::as_str)))]
    pub async fn check_authorize(
        &self,
        q: &HashMap<String, String>,
        repeated: Option<&str>,
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
        // A repeated client_id or redirect_uri leaves no address to trust with the error.
        if matches!(repeated, Some("client_id" | "redirect_uri")) {
            return Err(AuthorizeError::Page(
                "Yêu cầu đăng nhập lặp lại tham số client_id hoặc redirect_uri; yêu cầu bị từ chối."
                    .into(),
            ));
        }
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
            max_age: None,
            auth_after: q.get("auth_after").cloned(),
            issuer: self.inner.config.issuer.clone(),
        };
        let bad = |req: &AuthRequest, code: &str, d: &str| {
            Err(AuthorizeError::Redirect(req.error_redirect(code, d)))
        };
        if let Some(name) = repeated {
            let name: String = name.chars().filter(char::is_ascii_graphic).take(40).collect();
            return bad(&req, "invalid_request", &format!("parameter {name} is repeated"));
        }
        // OIDC Core §3.1.2.1: none with any other value is an error.
        if req.prompts("none") && req.prompt.as_deref() != Some("none") {
            return bad(
                &req,
                "invalid_request",
                "prompt=none may not be combined with other values",
            );
        }
        if let Some(m) = q.get("max_age") {
            match m.parse::<i64>() {
                Ok(secs) if (0..=i64::from(i32::MAX)).contains(&secs) => req.max_age = Some(secs),
                _ => return bad(&req, "invalid_request", "max_age must be a number of seconds"),
            }
        }
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
        // prompt=consent asks again whatever was granted before (OIDC Core §3.1.2.1).
        if req.prompts("consent") {
            return Ok(true);
        }
        if req.first_party {
            return Ok(false);
        }
        let granted = st::consent(self.inner.db.pool(), account_id, &req.client_id).await?;
        let granted: Vec<&str> =
            granted.as_deref().map(|g| g.split(' ').collect()).unwrap_or_default();
        Ok(!req.scope.split(' ').all(|s| granted.contains(&s)))
    }

    /// Whether the person's sign-in is recent enough for the request: after the moment this
    /// provider sent them to sign in again for it (`auth_after`, at most [`LOGIN_TRIP_MINUTES`] ago),
    /// else not under `prompt=login` and within `max_age` (OIDC Core §3.1.2.1).
    pub fn signed_in_recently_enough(&self, req: &AuthRequest, live: &LiveSession) -> bool {
        let now = self.inner.clock.now();
        let Some(auth_time) = parse_ts(&live.session.auth_time) else {
            return false;
        };
        if let Some(after) = &req.auth_after {
            return parse_ts(after).is_some_and(|after| {
                auth_time > after
                    && after <= now
                    && (now - after).num_minutes() < LOGIN_TRIP_MINUTES
            });
        }
        if req.prompts("login") {
            return false;
        }
        // Strictly within: auth_time has whole seconds, so `max_age=0` always asks again, as
        // clients sending it mean (OIDC Core §3.1.2.1 treats it like `prompt=login`).
        req.max_age.is_none_or(|max| (now - auth_time).num_seconds() < max)
    }

    /// The login page, coming back to this request afterwards. When the person must sign in
    /// again (`fresh`), the way back drops `prompt=login` (it would loop) and carries the
    /// moment of this request as `auth_after`, which the new sign-in must follow.
    pub fn sign_in_first(&self, q: &HashMap<String, String>, fresh: bool) -> String {
        let mut params: Vec<(String, String)> = q
            .iter()
            .filter(|(k, _)| k.as_str() != "prompt" && k.as_str() != "auth_after")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let prompt: Vec<&str> = q
            .get("prompt")
            .map(|p| p.split(' ').filter(|v| !v.is_empty() && *v != "login").collect())
            .unwrap_or_default();
        if !prompt.is_empty() {
            params.push(("prompt".into(), prompt.join(" ")));
        }
        if fresh {
            params.push(("auth_after".into(), format_ts(self.inner.clock.now())));
        }
        params.sort();
        let enc = cqdt_platform::web::url_encode;
        let query: Vec<String> =
            params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        format!("/dang-nhap?next={}", enc(&format!("/oauth/authorize?{}", query.join("&"))))
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

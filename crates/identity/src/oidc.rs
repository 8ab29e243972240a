//! OpenID Connect for people: the authorization endpoint's decisions (RFC 6749 §4.1 with
//! PKCE, RFC 7636), codes redeemed once, ID tokens, refresh tokens rotated with reuse
//! detection, userinfo, consent and RP-initiated logout.

use std::collections::HashMap;

use base64::Engine;
use cqdt_audit::{AuditEvent, Outcome};
use cqdt_platform::clock::format_ts;
use cqdt_platform::Tx;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::account::Account;
use crate::error::{IdentityError, OAuthErrorCode};
use crate::jwt;
use crate::login::{digest, Client, LiveSession, Stage};
use crate::model::{AccessClaims, Grant, OAuthClient, Scopes, TokenResponse, B64};
use crate::service::IdentityService;
use crate::store;
use crate::store::accounts as st;

/// Life of an authorization code.
const CODE_LIFE_SECS: i64 = 60;

/// The scopes of OpenID Connect and of this platform, with what they disclose, in Vietnamese.
pub const USER_SCOPES: [(&str, &str); 8] = [
    ("openid", "Biết ông/bà là ai (mã định danh tài khoản)"),
    ("profile", "Họ tên, ngày sinh, giới tính, địa chỉ"),
    ("email", "Địa chỉ thư điện tử"),
    ("phone", "Số điện thoại"),
    ("personal_id", "Số định danh cá nhân"),
    ("agency", "Cơ quan công tác (cán bộ)"),
    ("roles", "Vai trò và phạm vi cơ quan (cán bộ)"),
    (
        "offline_access",
        "Duy trì kết nối khi ông/bà không trực tuyến",
    ),
];

/// A checked authorization request.
#[derive(Debug, Clone, Serialize)]
pub struct AuthRequest {
    /// The client.
    pub client_id: String,
    /// Its name, for the consent page.
    pub client_name: String,
    /// Whether consent is skipped.
    pub first_party: bool,
    /// Exact registered redirect URI.
    pub redirect_uri: String,
    /// Requested scope.
    pub scope: String,
    /// The client's state, echoed.
    pub state: Option<String>,
    /// The client's nonce, put in the ID token.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// `prompt`.
    pub prompt: Option<String>,
}

/// What the authorization endpoint does with a request.
#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or redirect URI cannot be trusted: show an error page, never redirect
    /// (RFC 6749 §4.1.2.1).
    Page(String),
    /// Send the error back to the client's redirect URI.
    Redirect(String),
}

fn redirect_with(uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    let mut sep = if uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&cqdt_platform::web::url_encode(v));
        sep = '&';
    }
    out
}

impl AuthRequest {
    /// The redirect carrying an error to the client.
    pub fn error_redirect(&self, code: &str, description: &str) -> String {
        let mut p = vec![("error", code), ("error_description", description)];
        if let Some(s) = &self.state {
            p.push(("state", s));
        }
        redirect_with(&self.redirect_uri, &p)
    }
}

/// The S256 PKCE transform (RFC 7636 §4.2).
pub fn pkce_s256(verifier: &str) -> String {
    B64.encode(Sha256::digest(verifier.as_bytes()))
}

fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// Claims of an ID token (OpenID Connect Core §2).
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct IdClaims {
    /// Issuer.
    pub iss: String,
    /// Account id.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry.
    pub exp: i64,
    /// Issued.
    pub iat: i64,
    /// When the person authenticated.
    pub auth_time: i64,
    /// The client's nonce.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Methods (`pwd`, `otp`, `vneid`).
    pub amr: Vec<String>,
    /// Session id, for logout.
    pub sid: String,
    /// Access token hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    /// Authorised party.
    pub azp: String,
    /// Profile claims by scope.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IdentityService {
    /// Checks an authorization request's parameters (RFC 6749 §4.1.1, RFC 7636, OIDC §3.1.2.1).
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
            .filter(|u| {
                client
                    .redirect_uris
                    .iter()
                    .any(|r| r.as_str() == u.as_str())
            })
            .cloned()
        else {
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
            return bad(
                &req,
                "request_not_supported",
                "request objects are not supported",
            );
        }
        if !client.grants.contains(&Grant::AuthorizationCode) {
            return bad(
                &req,
                "unauthorized_client",
                "this client may not use the authorization code flow",
            );
        }
        if q.get("response_type").map(String::as_str) != Some("code") {
            return bad(
                &req,
                "unsupported_response_type",
                "only response_type=code is supported",
            );
        }
        if let Some(m) = q.get("response_mode") {
            if m != "query" {
                return bad(
                    &req,
                    "invalid_request",
                    "only response_mode=query is supported",
                );
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
            return bad(
                &req,
                "invalid_request",
                "PKCE is required: code_challenge is missing",
            );
        };
        if q.get("code_challenge_method").map(String::as_str) != Some("S256") {
            return bad(
                &req,
                "invalid_request",
                "code_challenge_method must be S256",
            );
        }
        if challenge.len() != 43
            || !challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return bad(
                &req,
                "invalid_request",
                "code_challenge is not an S256 value",
            );
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
    pub async fn needs_consent(
        &self,
        account_id: &str,
        req: &AuthRequest,
    ) -> Result<bool, IdentityError> {
        if req.first_party {
            return Ok(false);
        }
        let granted = st::consent(self.inner.db.pool(), account_id, &req.client_id).await?;
        let granted: Vec<&str> = granted
            .as_deref()
            .map(|g| g.split(' ').collect())
            .unwrap_or_default();
        Ok(!req.scope.split(' ').all(|s| granted.contains(&s)))
    }

    /// Records a consent (audited).
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

    /// Revokes a token family: its refresh tokens and the access tokens issued with them.
    pub(crate) async fn revoke_family_tx(
        &self,
        tx: &mut Tx,
        family: &str,
        now_s: &str,
        by: &str,
    ) -> Result<usize, IdentityError> {
        let access = st::revoke_family(tx, family, now_s).await?;
        for (jti, exp) in &access {
            store::insert_revoked(tx, jti, "", exp, now_s, by).await?;
        }
        Ok(access.len())
    }

    /// The authorization_code grant: redeem a code once, with the PKCE verifier.
    pub(crate) async fn grant_code(
        &self,
        client: &OAuthClient,
        params: &HashMap<String, String>,
        request_id: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let grant_err = |d: &str| IdentityError::oauth(OAuthErrorCode::InvalidGrant, d.to_string());
        let code = params.get("code").ok_or_else(|| {
            IdentityError::oauth(OAuthErrorCode::InvalidRequest, "code is required")
        })?;
        let verifier = params.get("code_verifier").ok_or_else(|| {
            IdentityError::oauth(
                OAuthErrorCode::InvalidRequest,
                "code_verifier is required (PKCE)",
            )
        })?;
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        let Some(row) = st::auth_code(&mut tx, &digest(code)).await? else {
            return Err(grant_err("unknown authorization code"));
        };
        if row.client_id != client.client_id {
            return Err(grant_err("the code was issued to another client"));
        }
        if row.used_at.is_some() {
            // A replayed code: whoever holds it may be an attacker, so everything issued
            // from it is revoked (RFC 6749 §4.1.2, OAuth 2.0 Security BCP §4.5).
            let n = self
                .revoke_family_tx(&mut tx, &row.family, &now_s, "code_replay")
                .await?;
            self.inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(&client.client_id, "identity.code.replay", "oauth_code")
                        .object(row.family.clone())
                        .outcome(Outcome::Denied)
                        .request(request_id)
                        .details(json!({"account_id": row.account_id, "access_tokens_revoked": n})),
                )
                .await?;
            tx.commit().await?;
            return Err(grant_err(
                "authorization code already used; tokens issued from it are revoked",
            ));
        }
        if row.expires_at <= now_s {
            return Err(grant_err("authorization code expired"));
        }
        if params.get("redirect_uri") != Some(&row.redirect_uri) {
            return Err(grant_err(
                "redirect_uri does not match the authorization request",
            ));
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
                },
                request_id,
                "authorization_code",
            )
            .await?;
        tx.commit().await?;
        Ok(response)
    }

    /// The refresh_token grant: one use per token; a reused one revokes its whole family.
    pub(crate) async fn grant_refresh(
        &self,
        client: &OAuthClient,
        params: &HashMap<String, String>,
        request_id: &str,
    ) -> Result<TokenResponse, IdentityError> {
        let grant_err = |d: &str| IdentityError::oauth(OAuthErrorCode::InvalidGrant, d.to_string());
        let token = params.get("refresh_token").ok_or_else(|| {
            IdentityError::oauth(OAuthErrorCode::InvalidRequest, "refresh_token is required")
        })?;
        let now_s = format_ts(self.inner.clock.now());
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
            let n = self
                .revoke_family_tx(&mut tx, &row.family, &now_s, "refresh_replay")
                .await?;
            self.inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(
                        &client.client_id,
                        "identity.refresh.replay",
                        "refresh_token",
                    )
                    .object(row.family.clone())
                    .outcome(Outcome::Denied)
                    .request(request_id)
                    .details(json!({"account_id": row.account_id, "access_tokens_revoked": n})),
                )
                .await?;
            tx.commit().await?;
            return Err(grant_err(
                "refresh token already used; the whole grant is revoked",
            ));
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
                if !asked
                    .0
                    .iter()
                    .all(|a| row.scope.split(' ').any(|g| g == a.as_str()))
                {
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
            self.revoke_family_tx(&mut tx, &row.family, &now_s, "session_ended")
                .await?;
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
        let access_token = jwt::sign(&keys.access_header, &access, &keys.signing)?;
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
            Some(jwt::sign(&keys.id_header, &claims, &keys.signing)?)
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
                    .details(
                        json!({"grant": grant, "jti": access.jti, "scope": access.scope,
                                    "family": g.family, "kid": keys.active_kid}),
                    ),
            )
            .await?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: ttl,
            scope: access.scope,
            id_token,
            refresh_token: Some(refresh_token),
        })
    }

    /// The claims a scope discloses about an account (OIDC Core §5.4, and this platform's
    /// `personal_id`, `agency`, `roles`).
    pub async fn scoped_claims(
        &self,
        a: &Account,
        scope: &str,
    ) -> Result<Map<String, Value>, IdentityError> {
        let has = |s: &str| scope.split(' ').any(|x| x == s);
        let mut m = Map::new();
        if has("profile") {
            m.insert("name".into(), json!(a.full_name));
            if let Some(u) = &a.username {
                m.insert("preferred_username".into(), json!(u));
            }
            if let Some(b) = &a.birth_date {
                m.insert("birthdate".into(), json!(b));
            }
            if let Some(g) = &a.gender {
                m.insert("gender".into(), json!(g));
            }
            if let Some(ad) = &a.address {
                m.insert("address".into(), json!({"formatted": ad}));
            }
            m.insert(
                "updated_at".into(),
                json!(chrono::DateTime::parse_from_rfc3339(&a.updated_at)
                    .map(|t| t.timestamp())
                    .unwrap_or(0)),
            );
        }
        if has("email") {
            if let Some(e) = &a.email {
                m.insert("email".into(), json!(e));
                m.insert(
                    "email_verified".into(),
                    json!(a.status == crate::account::AccountStatus::Active),
                );
            }
        }
        if has("phone") {
            if let Some(p) = &a.phone {
                m.insert("phone_number".into(), json!(p));
                m.insert(
                    "phone_number_verified".into(),
                    json!(a.status == crate::account::AccountStatus::Active),
                );
            }
        }
        if has("personal_id") {
            if let Some(p) = &a.personal_id {
                m.insert("personal_id".into(), json!(p));
            }
        }
        if has("agency") {
            if let Some(ag) = &a.agency_code {
                m.insert("agency".into(), json!(ag));
            }
        }
        if has("roles") {
            let grants = st::grants(self.inner.db.pool(), &a.id).await?;
            m.insert(
                "roles".into(),
                Value::Array(
                    grants
                        .iter()
                        .map(|g| json!({"role": g.grant.role.as_str(), "agency": g.grant.agency, "subtree": g.grant.subtree}))
                        .collect(),
                ),
            );
        }
        Ok(m)
    }

    /// Userinfo (OIDC Core §5.3) for a bearer access token issued to a person.
    pub async fn userinfo(&self, token: &str) -> Result<Option<Value>, IdentityError> {
        let Some(claims) = self.validate_access_token(token).await? else {
            return Ok(None);
        };
        if !claims.scope.split(' ').any(|s| s == "openid") {
            return Ok(None);
        }
        let Some(a) = self.account(&claims.sub).await? else {
            return Ok(None);
        };
        if a.status != crate::account::AccountStatus::Active {
            return Ok(None);
        }
        let mut m = self.scoped_claims(&a, &claims.scope).await?;
        m.insert("sub".into(), json!(a.id));
        Ok(Some(Value::Object(m)))
    }

    /// Reads an ID token this provider issued (signature and issuer; expiry is not required,
    /// as RP-initiated logout accepts expired hints).
    pub async fn read_id_token_hint(&self, token: &str) -> Option<IdClaims> {
        let parsed = jwt::parse(token)?;
        let key = self
            .inner
            .keys
            .verifier(parsed.header.kid.as_deref()?)
            .await?;
        if !parsed.verify_es256(&key) {
            return None;
        }
        let claims: IdClaims = serde_json::from_slice(&parsed.payload).ok()?;
        (claims.iss == self.inner.config.issuer).then_some(claims)
    }

    /// Revokes a refresh token presented at the revocation endpoint (with its family).
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
        let n = self
            .revoke_family_tx(&mut tx, &row.family, &now_s, &caller.client_id)
            .await?;
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(valid_verifier(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!valid_verifier("short"));
    }

    #[test]
    fn redirects_keep_an_existing_query_and_encode_values() {
        assert_eq!(
            redirect_with(
                "https://app.example/cb?x=1",
                &[("code", "a b"), ("state", "s/1")]
            ),
            "https://app.example/cb?x=1&code=a%20b&state=s%2F1"
        );
    }
}

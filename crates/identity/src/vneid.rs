//! Login with VNeID: the platform as an OpenID Connect relying party of the national identity
//! provider (or of `cqdt sandbox vneid`). Authorization code flow with PKCE, state and nonce;
//! the ID token is checked against the provider's JWKS; the first login links the citizen
//! account with the same personal identification number, or creates one.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use cqdt_platform::PersonalId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::account::{parse_email, parse_phone, Account, AccountKind, AccountStatus};
use crate::error::IdentityError;
use crate::jwt;
use crate::login::{Client, SignedIn, Stage};
use crate::model::B64;
use crate::oidc::pkce_s256;
use crate::service::IdentityService;
use crate::store::accounts as st;

/// How long a person may take at VNeID before the login attempt is forgotten.
const PENDING_LIFE: Duration = Duration::from_secs(10 * 60);
/// Most login attempts in flight kept in memory.
const MAX_PENDING: usize = 10_000;

/// The platform's registration at VNeID.
#[derive(Debug)]
pub struct VneidConfig {
    /// The provider's issuer URL (discovery is read below it).
    pub issuer: String,
    /// Our client id there.
    pub client_id: String,
    /// Our client secret there.
    pub client_secret: String,
    /// Our callback, registered there (`…/dang-nhap/vneid/callback`).
    pub redirect_uri: String,
    /// Whom the connection to the provider trusts when its issuer is `https://`.
    pub tls: cqdt_platform::TlsTrust,
    pending: Mutex<HashMap<String, Pending>>,
}

#[derive(Debug)]
struct Pending {
    nonce: String,
    verifier: String,
    next: String,
    at: Instant,
}

impl VneidConfig {
    /// A registration.
    pub fn new(issuer: &str, client_id: &str, client_secret: &str, redirect_uri: &str) -> Self {
        VneidConfig {
            issuer: issuer.trim_end_matches('/').to_string(),
            client_id: client_id.to_string(),
            client_secret: client_secret.to_string(),
            redirect_uri: redirect_uri.to_string(),
            tls: cqdt_platform::TlsTrust::default(),
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// The same registration, trusting `tls`'s roots (the Mozilla roots and the CA bundle)
    /// for an `https://` provider.
    pub fn trusting(mut self, tls: cqdt_platform::TlsTrust) -> Self {
        self.tls = tls;
        self
    }

    /// An HTTP client for the provider; TLS certificates are verified against `tls`.
    fn http(&self) -> Result<reqwest::Client, IdentityError> {
        reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .use_preconfigured_tls(self.tls.client_config())
            .build()
            .map_err(upstream)
    }
}

#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
}

fn upstream(e: impl std::fmt::Display) -> IdentityError {
    IdentityError::Upstream(e.to_string())
}

/// Sends a request to the provider and reads its successful JSON answer.
async fn json_answer<T: serde::de::DeserializeOwned>(
    req: reqwest::RequestBuilder,
) -> Result<T, IdentityError> {
    let res = req.send().await.map_err(upstream)?;
    res.error_for_status().map_err(upstream)?.json().await.map_err(upstream)
}

async fn discovery(http: &reqwest::Client, issuer: &str) -> Result<Discovery, IdentityError> {
    let d: Discovery =
        json_answer(http.get(format!("{issuer}/.well-known/openid-configuration"))).await?;
    if d.issuer.trim_end_matches('/') != issuer {
        return Err(upstream("discovery issuer does not match"));
    }
    Ok(d)
}

impl IdentityService {
    /// Whether login with VNeID is configured.
    pub fn vneid_enabled(&self) -> bool {
        self.inner.vneid.get().is_some()
    }

    /// Starts a login at VNeID: the URL to send the browser to. `next` is where to land after.
    #[tracing::instrument(skip_all)]
    pub async fn vneid_start(&self, next: &str) -> Result<String, IdentityError> {
        let Some(cfg) = self.inner.vneid.get() else {
            return Err(IdentityError::NotFound("đăng nhập VNeID".into()));
        };
        let d = discovery(&cfg.http()?, &cfg.issuer).await?;
        let state = B64.encode(rand::random::<[u8; 24]>());
        let nonce = B64.encode(rand::random::<[u8; 24]>());
        let verifier = B64.encode(rand::random::<[u8; 48]>());
        let challenge = pkce_s256(&verifier);
        if let Ok(mut p) = cfg.pending.lock() {
            p.retain(|_, v| v.at.elapsed() < PENDING_LIFE);
            if p.len() >= MAX_PENDING {
                return Err(upstream("too many VNeID logins in flight"));
            }
            p.insert(
                state.clone(),
                Pending {
                    nonce: nonce.clone(),
                    verifier,
                    next: next.to_string(),
                    at: Instant::now(),
                },
            );
        }
        let enc = cqdt_platform::web::url_encode;
        let sep = if d.authorization_endpoint.contains('?') { '&' } else { '?' };
        Ok(format!(
            "{}{sep}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
            d.authorization_endpoint,
            enc(&cfg.client_id),
            enc(&cfg.redirect_uri),
            enc("openid profile phone email personal_id"),
            enc(&state),
            enc(&nonce),
            enc(&challenge),
        ))
    }

    /// Finishes a VNeID login: checks state, redeems the code, verifies the ID token, links or
    /// creates the citizen account and starts a session. Returns it and where to go next.
    #[tracing::instrument(skip_all)]
    pub async fn vneid_callback(
        &self,
        code: &str,
        state: &str,
        client: &Client,
    ) -> Result<(SignedIn, String), IdentityError> {
        let Some(cfg) = self.inner.vneid.get() else {
            return Err(IdentityError::NotFound("đăng nhập VNeID".into()));
        };
        let pending = cfg
            .pending
            .lock()
            .ok()
            .and_then(|mut p| p.remove(state))
            .filter(|p| p.at.elapsed() < PENDING_LIFE)
            .ok_or_else(|| {
                IdentityError::Invalid(
                    "Phiên đăng nhập VNeID không hợp lệ hoặc đã hết hạn. Vui lòng thử lại.".into(),
                )
            })?;
        let http = cfg.http()?;
        let d = discovery(&http, &cfg.issuer).await?;
        let request = http
            .post(&d.token_endpoint)
            .basic_auth(
                cqdt_platform::web::url_encode(&cfg.client_id),
                Some(cqdt_platform::web::url_encode(&cfg.client_secret)),
            )
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", cfg.redirect_uri.as_str()),
                ("code_verifier", pending.verifier.as_str()),
            ]);
        let answer: TokenAnswer = json_answer(request).await?;
        let id_token =
            answer.id_token.ok_or_else(|| upstream("no id_token in the token response"))?;
        let jwks: Value =
            http.get(&d.jwks_uri).send().await.map_err(upstream)?.json().await.map_err(upstream)?;
        let claims = verify_id_token(
            &id_token,
            &jwks,
            &cfg.issuer,
            &cfg.client_id,
            &pending.nonce,
            self.inner.clock.now().timestamp(),
        )?;
        let signed = self.vneid_account(&claims, client).await?;
        Ok((signed, pending.next))
    }

    async fn vneid_account(&self, c: &Value, client: &Client) -> Result<SignedIn, IdentityError> {
        let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
        let sub = text("sub").ok_or_else(|| upstream("ID token without sub"))?;
        let pid = text("personal_id")
            .ok_or_else(|| upstream("VNeID did not disclose the personal identification number"))?;
        let pid = PersonalId::parse(&pid).map_err(upstream)?;
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        let existing = match st::account_by(&mut *tx, "vneid_subject", &sub).await? {
            Some(a) => Some(a),
            None => st::account_by(&mut *tx, "personal_id", pid.as_str()).await?,
        };
        let (mut a, action) = match existing {
            // Someone registered this personal ID and never verified it: VNeID has just
            // verified its owner, who takes the account over without the claimant's password
            // and contacts.
            Some(mut a) if a.status == AccountStatus::Pending && a.vneid_subject.is_none() => {
                a.password_hash = None;
                a.phone = None;
                a.email = None;
                a.full_name = text("name").unwrap_or(a.full_name);
                a.birth_date = text("birthdate").or(a.birth_date);
                vouched_contacts(&mut tx, &mut a, c).await?;
                (a, "identity.vneid.claim")
            }
            Some(a) => (a, "identity.vneid.link"),
            None => {
                let name = text("name").unwrap_or_else(|| "Công dân".into());
                let mut a = Account::blank(AccountKind::Citizen, name, &now_s, "vneid");
                a.personal_id = Some(pid.as_str().into());
                a.birth_date = text("birthdate");
                a.gender = text("gender");
                a.address = c
                    .get("address")
                    .and_then(|v| v.get("formatted").or(Some(v)))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                vouched_contacts(&mut tx, &mut a, c).await?;
                st::insert_account(&mut tx, &a).await?;
                (a, "identity.vneid.register")
            }
        };
        if a.status == AccountStatus::Disabled || a.kind != AccountKind::Citizen {
            return Err(IdentityError::Forbidden(
                "Tài khoản gắn với số định danh này không đăng nhập bằng VNeID được.".into(),
            ));
        }
        let first_link = a.vneid_subject.is_none();
        a.vneid_subject = Some(sub);
        // VNeID has verified the person: a pending registration becomes active.
        a.status = AccountStatus::Active;
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        if first_link {
            self.inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(&a.actor(), action, "account")
                        .object(a.id.clone())
                        .request(&client.request_id),
                )
                .await?;
        }
        let cookie = self.start_session(&mut tx, &a, Stage::Full, "vneid", client, now).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(&a.actor(), "identity.login.success", "account")
                    .object(a.id.clone())
                    .request(&client.request_id)
                    .details(json!({"method": "vneid", "ip": client.ip})),
            )
            .await?;
        tx.commit().await?;
        Ok(SignedIn { cookie, stage: Stage::Full, account: a })
    }
}

/// Contacts VNeID vouches for, if no other account uses them.
async fn vouched_contacts(
    tx: &mut cqdt_platform::Tx,
    a: &mut Account,
    c: &Value,
) -> Result<(), IdentityError> {
    let text = |k: &str| c.get(k).and_then(Value::as_str).map(str::to_string);
    if let Some(p) = text("phone_number").and_then(|p| parse_phone(&p).ok()) {
        if st::account_by(&mut **tx, "phone", &p).await?.is_none_or(|o| o.id == a.id) {
            a.phone = Some(p);
        }
    }
    if let Some(e) = text("email").and_then(|e| parse_email(&e).ok()) {
        if st::account_by(&mut **tx, "email", &e).await?.is_none_or(|o| o.id == a.id) {
            a.email = Some(e);
        }
    }
    Ok(())
}

/// Verifies an ID token from the external provider through the one verifier
/// (`jwt::Expectation::external_id_token`, OIDC Core §3.1.3.7): typ JWT or none, ES256 or
/// RS256 by the key of its JWKS that the token's kid names, issuer, our client id as audience,
/// `exp`, `nbf`, `iat` and the nonce sent.
pub fn verify_id_token(
    token: &str,
    jwks: &Value,
    issuer: &str,
    client_id: &str,
    nonce: &str,
    now: i64,
) -> Result<Value, IdentityError> {
    let refused = |why: jwt::Refusal| IdentityError::Upstream(format!("ID token: {why}"));
    let kid = jwt::verify::key_id(token).map_err(refused)?;
    let keys = jwt::KeySet::from_jwks(jwks);
    jwt::Expectation::external_id_token(issuer, client_id, nonce)
        .verify(token, keys.find(kid.as_deref()), now)
        .map_err(refused)
}

/// Verifies another platform's gateway assertion (`jwt::Expectation::gateway_assertion`) with
/// the keys its issuer publishes: `typ` lgsp+jwt, ES256, its issuer, the service as audience,
/// `exp`, `nbf`, `iat`; returns the claims.
pub fn verify_gateway_assertion(
    token: &str,
    jwks: &Value,
    issuer: &str,
    audience: &str,
    now: i64,
) -> Result<Value, IdentityError> {
    let refused = |why: jwt::Refusal| IdentityError::Upstream(format!("gateway assertion: {why}"));
    let kid = jwt::verify::key_id(token).map_err(refused)?;
    let keys = jwt::KeySet::from_jwks(jwks);
    jwt::Expectation::gateway_assertion(issuer, audience)
        .verify(token, keys.find(kid.as_deref()), now)
        .map_err(refused)
}

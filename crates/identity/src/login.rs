//! People signing in: registration with a verified contact, password login with lockout,
//! the second factor, browser sessions, password reset, and the principal every module's
//! handlers receive.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use cqdt_audit::{AuditEvent, Outcome};
use cqdt_notify::{Channel, NotificationRequest};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, Principal, Role, RoleGrant, Tx};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::account::{Account, AccountKind, AccountStatus, LoginId, Registration};
use crate::error::IdentityError;
use crate::model::B64;
use crate::service::IdentityService;
use crate::store::accounts as st;
use crate::store::accounts::SessionRow;
use crate::{password, totp};

/// How long a node trusts a resolved session.
pub const PRINCIPAL_CACHE: Duration = Duration::from_secs(5);

/// argon2 computations allowed at once on a node.
pub const HASHING_AT_ONCE: usize = 2;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cqdt_session";
/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::from_secs(2 * 3600);
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// Failed logins in a row that lock an account for [`LOCKOUT`].
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long an account stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Life of an e-mailed or texted verification code.
const VERIFY_CODE_LIFE: Duration = Duration::from_secs(10 * 60);
/// Wrong guesses allowed per verification code.
const VERIFY_CODE_ATTEMPTS: i64 = 5;
/// Life of a password reset link.
const RESET_LINK_LIFE: Duration = Duration::from_secs(30 * 60);
/// Life of an official's activation link.
pub(crate) const ACTIVATION_LIFE: Duration = Duration::from_secs(72 * 3600);

/// How far a session has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password accepted; the second factor is due.
    SecondFactor,
    /// An official who has no second factor yet must enrol one before anything else.
    Enrol,
    /// Signed in.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "mfa",
            Stage::Enrol => "enroll",
            Stage::Full => "full",
        }
    }

    fn parse(s: &str) -> Option<Stage> {
        match s {
            "mfa" => Some(Stage::SecondFactor),
            "enroll" => Some(Stage::Enrol),
            "full" => Some(Stage::Full),
            _ => None,
        }
    }
}

/// Where a login left the browser.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie value to set (the session's secret).
    pub cookie: String,
    /// How far the session has got.
    pub stage: Stage,
    /// The account.
    pub account: Account,
}

/// A live session with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The session.
    pub session: SessionRow,
    /// Its stage.
    pub stage: Stage,
    /// The account.
    pub account: Account,
}

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Address.
    pub ip: String,
    /// Browser.
    pub user_agent: String,
    /// Request id.
    pub request_id: String,
}

/// The digest a secret (cookie, code, link) is stored under.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

fn later(now: DateTime<Utc>, d: Duration) -> String {
    format_ts(now + chrono::Duration::from_std(d).unwrap_or_default())
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

impl IdentityService {
    async fn audit_tx(&self, tx: &mut Tx, event: AuditEvent) -> Result<(), IdentityError> {
        self.inner.audit.record(tx, event).await?;
        Ok(())
    }

    async fn audit_now(&self, event: AuditEvent) -> Result<(), IdentityError> {
        self.inner.audit.record_now(event).await?;
        Ok(())
    }

    /// Sends a one-time message in the caller's transaction, if a notifier is attached.
    async fn notify(
        &self,
        tx: &mut Tx,
        channel: Channel,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), IdentityError> {
        let Some(n) = self.inner.notifier.get() else {
            tracing::warn!("no notifier attached; a one-time code was not sent");
            return Ok(());
        };
        let mut req = NotificationRequest::new(channel, to, "generic");
        req.params.insert("subject".into(), subject.into());
        req.params.insert("body".into(), body.into());
        n.send(tx, &req)
            .await
            .map_err(|e| IdentityError::Invalid(format!("Không gửi được thông báo: {e}")))?;
        Ok(())
    }

    fn wake_notifier(&self) {
        if let Some(n) = self.inner.notifier.get() {
            n.wake();
        }
    }

    /// Registers a citizen (pending until the code sent to their phone, and e-mail if given,
    /// is entered). Every field error and every clash with an existing account is reported.
    pub async fn register_citizen(
        &self,
        reg: &Registration,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        let hash = self.hash_password(&reg.password).await?;
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        let mut clashes = Vec::new();
        if st::account_by(&mut *tx, "personal_id", reg.personal_id.as_str())
            .await?
            .is_some()
        {
            clashes.push(field(
                "personal_id",
                "Số định danh cá nhân này đã có tài khoản. Hãy đăng nhập, hoặc dùng “Quên mật khẩu”.",
            ));
        }
        if st::account_by(&mut *tx, "phone", &reg.phone)
            .await?
            .is_some()
        {
            clashes.push(field(
                "phone",
                "Số điện thoại này đã dùng cho một tài khoản khác.",
            ));
        }
        if let Some(e) = &reg.email {
            if st::account_by(&mut *tx, "email", e).await?.is_some() {
                clashes.push(field(
                    "email",
                    "Địa chỉ thư điện tử này đã dùng cho một tài khoản khác.",
                ));
            }
        }
        if !clashes.is_empty() {
            return Err(IdentityError::Fields(clashes));
        }
        let mut a = Account::blank(AccountKind::Citizen, reg.full_name.clone(), &now_s, "self");
        a.personal_id = Some(reg.personal_id.as_str().to_string());
        a.birth_date = Some(reg.birth_date.format("%Y-%m-%d").to_string());
        a.phone = Some(reg.phone.clone());
        a.email = reg.email.clone();
        a.password_hash = Some(hash);
        st::insert_account(&mut tx, &a).await?;
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.account.register", "account")
                .object(a.id.clone())
                .request(&client.request_id)
                .details(json!({"kind": "citizen", "ip": client.ip})),
        )
        .await?;
        self.send_verify_code(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.wake_notifier();
        Ok(a)
    }

    async fn send_verify_code(
        &self,
        tx: &mut Tx,
        a: &Account,
        now: DateTime<Utc>,
    ) -> Result<(), IdentityError> {
        let code = format!("{:06}", rand::random::<u32>() % 1_000_000);
        st::insert_code(
            tx,
            &digest(&format!("{}:{code}", a.id)),
            &a.id,
            "verify",
            &format_ts(now),
            &later(now, VERIFY_CODE_LIFE),
        )
        .await?;
        let body = format!(
            "Mã xác thực tài khoản Dịch vụ công của ông/bà là {code}. Mã có hiệu lực trong 10 phút. Không cung cấp mã này cho bất kỳ ai."
        );
        if let Some(phone) = &a.phone {
            self.notify(tx, Channel::Sms, phone, "Mã xác thực tài khoản", &body)
                .await?;
        }
        if let Some(email) = &a.email {
            self.notify(tx, Channel::Email, email, "Mã xác thực tài khoản", &body)
                .await?;
        }
        Ok(())
    }

    /// Sends a new verification code to a pending account.
    pub async fn resend_code(&self, account_id: &str) -> Result<(), IdentityError> {
        let now = self.inner.clock.now();
        let mut tx = self.inner.db.begin().await?;
        let Some(a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        if a.status != AccountStatus::Pending {
            return Ok(());
        }
        self.send_verify_code(&mut tx, &a, now).await?;
        tx.commit().await?;
        self.wake_notifier();
        Ok(())
    }

    /// Checks a verification code and activates the account.
    pub async fn verify_account(
        &self,
        account_id: &str,
        code: &str,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        if a.status == AccountStatus::Active {
            return Ok(a);
        }
        let wrong = |m: &str| IdentityError::Fields(vec![field("code", m)]);
        let Some(open) = st::open_code(&mut tx, &a.id, "verify").await? else {
            return Err(wrong("Mã đã hết hiệu lực. Hãy bấm “Gửi lại mã”."));
        };
        if open.expires_at <= now_s || open.attempts >= VERIFY_CODE_ATTEMPTS {
            return Err(wrong("Mã đã hết hiệu lực. Hãy bấm “Gửi lại mã”."));
        }
        let typed: String = code.chars().filter(char::is_ascii_digit).collect();
        if digest(&format!("{}:{typed}", a.id)) != open.code_hash {
            st::code_attempt(&mut tx, &open.code_hash).await?;
            tx.commit().await?;
            return Err(wrong("Mã xác thực không đúng."));
        }
        st::use_code(&mut tx, &open.code_hash, &now_s).await?;
        a.status = AccountStatus::Active;
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.account.verify", "account")
                .object(a.id.clone())
                .request(&client.request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Hashes a password on a blocking thread. At most [`HASHING_AT_ONCE`] argon2 runs at
    /// a time: each takes 19 MiB, and a burst of logins must not hold a core each and grow
    /// the allocator's arenas.
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String, IdentityError> {
        let _permit = self
            .inner
            .hashing
            .acquire()
            .await
            .map_err(|e| IdentityError::Key(format!("hashing: {e}")))?;
        let p = password.to_string();
        tokio::task::spawn_blocking(move || password::hash(&p))
            .await
            .map_err(|e| IdentityError::Key(format!("hashing task: {e}")))?
    }

    /// The hash of a password that seeded accounts share (demo accounts): computed once per
    /// node, as each hash costs 19 MiB and tens of milliseconds.
    pub(crate) async fn cached_hash(&self, password: &str) -> Result<String, IdentityError> {
        if let Ok(cache) = self.inner.seed_hashes.lock() {
            if let Some(h) = cache
                .iter()
                .find(|(p, _)| p == password)
                .map(|(_, h)| h.clone())
            {
                return Ok(h);
            }
        }
        let h = self.hash_password(password).await?;
        if let Ok(mut cache) = self.inner.seed_hashes.lock() {
            cache.push((password.to_string(), h.clone()));
        }
        Ok(h)
    }

    async fn verify_password(&self, password: &str, stored: Option<&str>) -> bool {
        let Ok(_permit) = self.inner.hashing.acquire().await else {
            return false;
        };
        let p = password.to_string();
        let h = stored.map(str::to_string);
        let real = h.is_some();
        tokio::task::spawn_blocking(move || {
            password::verify(&p, h.as_deref().unwrap_or_else(|| password::dummy_hash()))
        })
        .await
        .unwrap_or(false)
            && real
    }

    /// Finds the account a login names.
    pub async fn find_login(&self, login: &LoginId) -> Result<Option<Account>, IdentityError> {
        let (col, v) = match login {
            LoginId::PersonalId(v) => ("personal_id", v),
            LoginId::Phone(v) => ("phone", v),
            LoginId::Email(v) => ("email", v),
            LoginId::Username(v) => ("username", v),
        };
        Ok(st::account_by(self.inner.db.pool(), col, v).await?)
    }

    /// Password login. Refuses with one message whatever was wrong, counts failures per
    /// account and per address, locks the account after [`MAX_FAILED_LOGINS`], and audits
    /// every outcome. On success a session starts at the stage the account needs.
    pub async fn login_password(
        &self,
        login: &str,
        password: &str,
        client: &Client,
    ) -> Result<SignedIn, IdentityError> {
        let now = self.inner.clock.now();
        let refused = || {
            IdentityError::Fields(vec![field(
                "login",
                "Tên đăng nhập hoặc mật khẩu không đúng.",
            )])
        };
        if let Some(secs) = self.inner.login_lockout.locked(&client.ip, now) {
            self.audit_now(
                AuditEvent::new("anonymous", "identity.login.failure", "account")
                    .outcome(Outcome::Denied)
                    .request(&client.request_id)
                    .details(json!({"reason": "address_locked", "ip": client.ip})),
            )
            .await?;
            return Err(IdentityError::Locked(secs.div_ceil(60)));
        }
        let parsed = LoginId::parse(login);
        let account = match &parsed {
            Some(l) => self.find_login(l).await?,
            None => None,
        };
        // Business accounts have no login of their own: people act for them.
        let account = account.filter(|a| a.kind != AccountKind::Business);
        if let Some(a) = &account {
            if let Some(until) = a.locked_until.as_deref().and_then(parse_ts) {
                if until > now {
                    self.audit_now(
                        AuditEvent::new(&a.actor(), "identity.login.failure", "account")
                            .object(a.id.clone())
                            .outcome(Outcome::Denied)
                            .request(&client.request_id)
                            .details(json!({"reason": "account_locked", "ip": client.ip})),
                    )
                    .await?;
                    let mins = ((until - now).num_seconds().max(1) as u64).div_ceil(60);
                    return Err(IdentityError::Locked(mins));
                }
            }
        }
        let ok = self
            .verify_password(
                password,
                account.as_ref().and_then(|a| a.password_hash.as_deref()),
            )
            .await;
        let Some(mut a) = account.filter(|_| ok) else {
            self.inner.login_lockout.fail(&client.ip, now);
            self.login_failed(parsed.is_some().then_some(login), client, now)
                .await?;
            return Err(refused());
        };
        match a.status {
            AccountStatus::Disabled => {
                self.audit_now(
                    AuditEvent::new(&a.actor(), "identity.login.failure", "account")
                        .object(a.id.clone())
                        .outcome(Outcome::Denied)
                        .request(&client.request_id)
                        .details(json!({"reason": "disabled", "ip": client.ip})),
                )
                .await?;
                return Err(IdentityError::Fields(vec![field(
                    "login",
                    "Tài khoản đã bị khoá. Liên hệ quản trị hệ thống.",
                )]));
            }
            AccountStatus::Pending => return Err(IdentityError::Unverified(a.id)),
            AccountStatus::Active => {}
        }
        let stage = if !a.requires_second_factor() && !a.has_second_factor() {
            Stage::Full
        } else if a.has_second_factor() {
            Stage::SecondFactor
        } else {
            Stage::Enrol
        };
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        if a.failed_logins != 0 || a.locked_until.is_some() {
            a.failed_logins = 0;
            a.locked_until = None;
            a.updated_at = now_s.clone();
            st::update_account(&mut tx, &a).await?;
        }
        let cookie = self
            .start_session(&mut tx, &a, stage, "pwd", client, now)
            .await?;
        let action = if stage == Stage::Full {
            "identity.login.success"
        } else {
            "identity.login.password"
        };
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), action, "account")
                .object(a.id.clone())
                .request(&client.request_id)
                .details(json!({"method": "password", "stage": stage.as_str(), "ip": client.ip})),
        )
        .await?;
        tx.commit().await?;
        self.inner.login_lockout.succeed(&client.ip);
        Ok(SignedIn {
            cookie,
            stage,
            account: a,
        })
    }

    /// Counts a failed login against the account it named, locking it at the limit.
    async fn login_failed(
        &self,
        login: Option<&str>,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<(), IdentityError> {
        let account = match login.and_then(LoginId::parse) {
            Some(l) => self.find_login(&l).await?,
            None => None,
        };
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = account else {
            self.audit_tx(
                &mut tx,
                AuditEvent::new("anonymous", "identity.login.failure", "account")
                    .outcome(Outcome::Failure)
                    .request(&client.request_id)
                    .details(json!({"reason": "unknown_login", "ip": client.ip})),
            )
            .await?;
            tx.commit().await?;
            return Ok(());
        };
        self.count_failure(&mut tx, &mut a, "wrong_password", client, now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn count_failure(
        &self,
        tx: &mut Tx,
        a: &mut Account,
        reason: &str,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<(), IdentityError> {
        a.failed_logins += 1;
        a.updated_at = format_ts(now);
        let locks = a.failed_logins >= MAX_FAILED_LOGINS;
        if locks {
            a.locked_until = Some(later(now, LOCKOUT));
            a.failed_logins = 0;
        }
        st::update_account(tx, a).await?;
        self.audit_tx(
            tx,
            AuditEvent::new(&a.actor(), "identity.login.failure", "account")
                .object(a.id.clone())
                .outcome(Outcome::Failure)
                .request(&client.request_id)
                .details(json!({"reason": reason, "ip": client.ip})),
        )
        .await?;
        if locks {
            tracing::warn!(account = %a.id, "account locked after failed logins");
            self.audit_tx(
                tx,
                AuditEvent::new(&a.actor(), "identity.login.lockout", "account")
                    .object(a.id.clone())
                    .outcome(Outcome::Denied)
                    .request(&client.request_id)
                    .details(json!({"minutes": LOCKOUT.as_secs() / 60, "ip": client.ip})),
            )
            .await?;
        }
        Ok(())
    }

    pub(crate) async fn start_session(
        &self,
        tx: &mut Tx,
        a: &Account,
        stage: Stage,
        amr: &str,
        client: &Client,
        now: DateTime<Utc>,
    ) -> Result<String, IdentityError> {
        let cookie = random_token();
        let now_s = format_ts(now);
        let row = SessionRow {
            id_hash: digest(&cookie),
            public_id: hex::encode(rand::random::<[u8; 12]>()),
            account_id: a.id.clone(),
            stage: stage.as_str().into(),
            amr: amr.into(),
            created_at: now_s.clone(),
            auth_time: now_s.clone(),
            last_seen_at: now_s,
            expires_at: later(now, SESSION_MAX),
            ip: client.ip.chars().take(64).collect(),
            user_agent: client.user_agent.chars().take(300).collect(),
            revoked_at: None,
        };
        st::insert_session(tx, &row).await?;
        Ok(cookie)
    }

    /// The session a cookie names, if it is open (not ended, expired or idle too long).
    pub async fn session(&self, cookie: &str) -> Result<Option<LiveSession>, IdentityError> {
        if cookie.is_empty() || cookie.len() > 100 {
            return Ok(None);
        }
        let now = self.inner.clock.now();
        let Some(s) = st::session(self.inner.db.pool(), &digest(cookie)).await? else {
            return Ok(None);
        };
        let idle_since = parse_ts(&s.last_seen_at).unwrap_or(now);
        let expired = s.revoked_at.is_some()
            || s.expires_at <= format_ts(now)
            || now - idle_since > chrono::Duration::from_std(SESSION_IDLE).unwrap_or_default();
        let Some(stage) = Stage::parse(&s.stage).filter(|_| !expired) else {
            return Ok(None);
        };
        let Some(account) = st::account_by(self.inner.db.pool(), "id", &s.account_id).await? else {
            return Ok(None);
        };
        if account.status != AccountStatus::Active {
            return Ok(None);
        }
        // Record activity at most once a minute, to keep reads cheap.
        if now - idle_since > chrono::Duration::seconds(60) {
            let mut tx = self.inner.db.begin().await?;
            st::touch_session(&mut tx, &s.id_hash, &format_ts(now)).await?;
            tx.commit().await?;
        }
        Ok(Some(LiveSession {
            session: s,
            stage,
            account,
        }))
    }

    /// The principal of a fully signed-in session.
    ///
    /// Resolutions are kept for [`PRINCIPAL_CACHE`] on this node (every page and API call
    /// resolves one); any sign-out, role or account change on this node clears them, and
    /// another node's change is seen within that time.
    pub async fn principal(&self, cookie: &str) -> Result<Option<Principal>, IdentityError> {
        let key = digest(cookie);
        if let Ok(cache) = self.inner.principals.lock() {
            if let Some((p, _, at)) = cache.get(&key) {
                if at.elapsed() < PRINCIPAL_CACHE {
                    return Ok(Some(p.clone()));
                }
            }
        }
        let Some(live) = self.session(cookie).await? else {
            return Ok(None);
        };
        if live.stage != Stage::Full {
            return Ok(None);
        }
        let p = self
            .principal_of(&live.account, &live.session.public_id)
            .await?;
        if let Ok(mut cache) = self.inner.principals.lock() {
            if cache.len() >= 10_000 {
                cache.clear();
            }
            cache.insert(key, (p.clone(), live.account, std::time::Instant::now()));
        }
        Ok(Some(p))
    }

    /// An account as a fresh principal resolution on this node read it, else from the
    /// database.
    pub async fn account_for(&self, p: &Principal) -> Result<Option<Account>, IdentityError> {
        if let Ok(cache) = self.inner.principals.lock() {
            if let Some((_, a, at)) = cache
                .values()
                .find(|(x, _, _)| x.session_id == p.session_id && x.account_id == p.account_id)
            {
                if at.elapsed() < PRINCIPAL_CACHE {
                    return Ok(Some(a.clone()));
                }
            }
        }
        self.account(&p.account_id).await
    }

    /// Forgets every cached principal (after a sign-out, role or account change).
    pub(crate) fn forget_principals(&self) {
        if let Ok(mut cache) = self.inner.principals.lock() {
            cache.clear();
        }
    }

    /// Builds the principal of an account.
    pub async fn principal_of(
        &self,
        a: &Account,
        session_id: &str,
    ) -> Result<Principal, IdentityError> {
        let mut roles: Vec<RoleGrant> = st::grants(self.inner.db.pool(), &a.id)
            .await?
            .into_iter()
            .map(|g| g.grant)
            .collect();
        if a.kind == AccountKind::Citizen {
            roles.push(RoleGrant {
                role: Role::Citizen,
                agency: String::new(),
                subtree: false,
            });
            for (b, _) in st::businesses_of(self.inner.db.pool(), &a.id).await? {
                roles.push(RoleGrant {
                    role: Role::Business,
                    agency: b.tax_code.unwrap_or_default(),
                    subtree: false,
                });
            }
        }
        Ok(Principal {
            account_id: a.id.clone(),
            actor: a.actor(),
            name: a.full_name.clone(),
            kind: a.kind.as_str().into(),
            agency: a.agency_code.clone(),
            roles,
            session_id: session_id.to_string(),
        })
    }

    /// The second step of a login: a TOTP code or a recovery code.
    pub async fn second_factor(
        &self,
        cookie: &str,
        code: &str,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        let now = self.inner.clock.now();
        let Some(live) = self.session(cookie).await? else {
            return Err(IdentityError::NotFound("phiên đăng nhập".into()));
        };
        if live.stage != Stage::SecondFactor {
            return Err(IdentityError::NotFound("bước xác thực".into()));
        }
        let mut a = live.account;
        if let Some(until) = a.locked_until.as_deref().and_then(parse_ts) {
            if until > now {
                let mins = ((until - now).num_seconds().max(1) as u64).div_ceil(60);
                return Err(IdentityError::Locked(mins));
            }
        }
        let mut tx = self.inner.db.begin().await?;
        let typed = code.trim();
        let step = a
            .totp_secret
            .as_deref()
            .and_then(|s| totp::check(s, typed, now.timestamp(), a.totp_last_step));
        let recovery = if step.is_none() && typed.len() >= 10 {
            let d = totp::recovery_digest(typed);
            a.recovery_codes.iter().position(|c| *c == d)
        } else {
            None
        };
        let method = match (step, recovery) {
            (Some(step), _) => {
                a.totp_last_step = step;
                "otp"
            }
            (None, Some(i)) => {
                a.recovery_codes.remove(i);
                "recovery_code"
            }
            (None, None) => {
                self.count_failure(&mut tx, &mut a, "wrong_second_factor", client, now)
                    .await?;
                tx.commit().await?;
                return Err(IdentityError::Fields(vec![field(
                    "code",
                    "Mã xác thực không đúng hoặc đã dùng.",
                )]));
            }
        };
        let now_s = format_ts(now);
        a.failed_logins = 0;
        a.updated_at = now_s.clone();
        st::update_account(&mut tx, &a).await?;
        st::set_session_stage(
            &mut tx,
            &live.session.id_hash,
            Stage::Full.as_str(),
            "pwd otp",
            &now_s,
        )
        .await?;
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.login.success", "account")
                .object(a.id.clone())
                .request(&client.request_id)
                .details(
                    json!({"method": format!("password+{method}"), "ip": client.ip,
                                "recovery_codes_left": a.recovery_codes.len()}),
                ),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Starts (or restarts) TOTP enrolment: a new secret, not yet in force. Returns the secret
    /// and its `otpauth://` URI.
    pub async fn begin_totp(&self, account_id: &str) -> Result<(String, String), IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        if a.has_second_factor() {
            return Err(IdentityError::Invalid(
                "Tài khoản đã có xác thực hai lớp.".into(),
            ));
        }
        let secret = totp::new_secret();
        a.totp_secret = Some(secret.clone());
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        tx.commit().await?;
        let label = a.username.clone().unwrap_or_else(|| a.full_name.clone());
        let uri = totp::otpauth_uri(&self.inner.config.totp_issuer, &label, &secret);
        Ok((secret, uri))
    }

    /// Confirms TOTP enrolment with a code from the app; returns the recovery codes, shown
    /// once. A session waiting for enrolment becomes fully signed in.
    pub async fn confirm_totp(
        &self,
        account_id: &str,
        code: &str,
        session_cookie: Option<&str>,
        client: &Client,
    ) -> Result<Vec<String>, IdentityError> {
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        let Some(secret) = a
            .totp_secret
            .clone()
            .filter(|_| a.totp_enabled_at.is_none())
        else {
            return Err(IdentityError::Invalid(
                "Chưa bắt đầu cài đặt xác thực hai lớp.".into(),
            ));
        };
        let Some(step) = totp::check(&secret, code, now.timestamp(), a.totp_last_step) else {
            return Err(IdentityError::Fields(vec![field(
                "code",
                "Mã không đúng. Kiểm tra giờ trên điện thoại và nhập mã đang hiển thị.",
            )]));
        };
        let codes = totp::new_recovery_codes();
        a.totp_last_step = step;
        a.totp_enabled_at = Some(now_s.clone());
        a.recovery_codes = codes.iter().map(|c| totp::recovery_digest(c)).collect();
        a.updated_at = now_s.clone();
        st::update_account(&mut tx, &a).await?;
        if let Some(cookie) = session_cookie {
            if let Some(s) = st::session(&mut *tx, &digest(cookie)).await? {
                if s.account_id == a.id && s.stage == Stage::Enrol.as_str() {
                    st::set_session_stage(&mut tx, &s.id_hash, "full", "pwd otp", &now_s).await?;
                }
            }
        }
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.mfa.enrol", "account")
                .object(a.id.clone())
                .request(&client.request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Ends the session a cookie names, and the refresh tokens issued under it.
    pub async fn logout(&self, cookie: &str, client: &Client) -> Result<(), IdentityError> {
        let Some(live) = self.session(cookie).await? else {
            return Ok(());
        };
        self.end_session(&live.account, &live.session.public_id, client)
            .await?;
        Ok(())
    }

    /// Ends one of an account's sessions (the person's own choice, or logout); false if it
    /// was not open.
    pub async fn end_session(
        &self,
        a: &Account,
        public_id: &str,
        client: &Client,
    ) -> Result<bool, IdentityError> {
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        self.forget_principals();
        let mut tx = self.inner.db.begin().await?;
        let ended = st::revoke_session(&mut tx, &a.id, public_id, &now_s).await?;
        if ended {
            for family in st::families_of_session(&mut tx, public_id).await? {
                self.revoke_family_tx(&mut tx, &family, &now_s, "logout")
                    .await?;
            }
            self.audit_tx(
                &mut tx,
                AuditEvent::new(&a.actor(), "identity.logout", "session")
                    .object(public_id)
                    .request(&client.request_id)
                    .details(json!({"ip": client.ip})),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// The open sessions of an account.
    pub async fn sessions_of(&self, account_id: &str) -> Result<Vec<SessionRow>, IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        Ok(st::open_sessions(self.inner.db.pool(), account_id, &now_s).await?)
    }

    /// Sends a password reset link to the account a login names, by e-mail (or SMS when there
    /// is no e-mail). Says nothing about whether the account exists.
    pub async fn request_reset(&self, login: &str, client: &Client) -> Result<(), IdentityError> {
        let Some(l) = LoginId::parse(login) else {
            return Ok(());
        };
        let Some(a) = self.find_login(&l).await? else {
            self.audit_now(
                AuditEvent::new("anonymous", "identity.password.reset_request", "account")
                    .outcome(Outcome::Failure)
                    .request(&client.request_id)
                    .details(json!({"reason": "unknown_login", "ip": client.ip})),
            )
            .await?;
            return Ok(());
        };
        if a.status == AccountStatus::Disabled || a.kind == AccountKind::Business {
            return Ok(());
        }
        let now = self.inner.clock.now();
        let mut tx = self.inner.db.begin().await?;
        self.send_reset_link(&mut tx, &a, now, RESET_LINK_LIFE, false)
            .await?;
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.password.reset_request", "account")
                .object(a.id.clone())
                .request(&client.request_id)
                .details(json!({"ip": client.ip})),
        )
        .await?;
        tx.commit().await?;
        self.wake_notifier();
        Ok(())
    }

    /// Stores a reset (or activation) link and sends it.
    pub(crate) async fn send_reset_link(
        &self,
        tx: &mut Tx,
        a: &Account,
        now: DateTime<Utc>,
        life: Duration,
        activation: bool,
    ) -> Result<String, IdentityError> {
        let token = random_token();
        st::insert_code(
            tx,
            &digest(&token),
            &a.id,
            "reset",
            &format_ts(now),
            &later(now, life),
        )
        .await?;
        let link = self
            .inner
            .config
            .endpoint(&format!("/dat-lai-mat-khau?ma={token}"));
        let (subject, body) = if activation {
            (
                "Kích hoạt tài khoản cán bộ",
                format!(
                    "Tài khoản cán bộ của ông/bà trên hệ thống Chính quyền điện tử đã được tạo (tên đăng nhập: {}).\n\nĐặt mật khẩu tại địa chỉ sau (hiệu lực 72 giờ):\n{link}\n\nSau khi đặt mật khẩu, ông/bà cài đặt xác thực hai lớp bằng ứng dụng trên điện thoại.",
                    a.username.as_deref().unwrap_or("")
                ),
            )
        } else {
            (
                "Đặt lại mật khẩu",
                format!(
                    "Có yêu cầu đặt lại mật khẩu tài khoản Dịch vụ công của ông/bà.\n\nĐặt mật khẩu mới tại địa chỉ sau (hiệu lực 30 phút, dùng một lần):\n{link}\n\nNếu ông/bà không yêu cầu, hãy bỏ qua thư này; mật khẩu hiện tại vẫn giữ nguyên."
                ),
            )
        };
        if let Some(email) = &a.email {
            self.notify(tx, Channel::Email, email, subject, &body)
                .await?;
        } else if let Some(phone) = &a.phone {
            self.notify(tx, Channel::Sms, phone, subject, &body).await?;
        }
        Ok(token)
    }

    /// The account a reset link belongs to, if the link is still good.
    pub async fn reset_link_account(&self, token: &str) -> Result<Option<Account>, IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(c) = st::code_by_hash(&mut tx, &digest(token)).await? else {
            return Ok(None);
        };
        if c.purpose != "reset" || c.used_at.is_some() || c.expires_at <= now_s {
            return Ok(None);
        }
        Ok(st::account_by(&mut *tx, "id", &c.account_id).await?)
    }

    /// Sets a new password through a reset link; ends every session of the account.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        let Some(a) = self.reset_link_account(token).await? else {
            return Err(IdentityError::Invalid(
                "Liên kết đặt lại mật khẩu không đúng, đã dùng hoặc đã hết hạn.".into(),
            ));
        };
        if let Some(m) = password::weakness(new_password, &a.personal_facts()) {
            return Err(IdentityError::Fields(vec![field("password", m)]));
        }
        if new_password != confirm {
            return Err(IdentityError::Fields(vec![field(
                "password_confirm",
                "Mật khẩu nhập lại không khớp.",
            )]));
        }
        let hash = self.hash_password(new_password).await?;
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        if !st::use_code(&mut tx, &digest(token), &now_s).await? {
            return Err(IdentityError::Invalid(
                "Liên kết đặt lại mật khẩu đã được dùng.".into(),
            ));
        }
        let Some(mut a) = st::account_by(&mut *tx, "id", &a.id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        a.password_hash = Some(hash);
        a.failed_logins = 0;
        a.locked_until = None;
        // An activation link also proves the e-mail address.
        if a.status == AccountStatus::Pending {
            a.status = AccountStatus::Active;
        }
        a.updated_at = now_s.clone();
        st::update_account(&mut tx, &a).await?;
        let ended = st::revoke_all_sessions(&mut tx, &a.id, &now_s).await?;
        self.forget_principals();
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.password.reset", "account")
                .object(a.id.clone())
                .request(&client.request_id)
                .details(json!({"sessions_ended": ended, "ip": client.ip})),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Changes a password knowing the current one.
    pub async fn change_password(
        &self,
        account_id: &str,
        current: &str,
        new_password: &str,
        confirm: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let Some(a) = st::account_by(self.inner.db.pool(), "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        if !self
            .verify_password(current, a.password_hash.as_deref())
            .await
        {
            return Err(IdentityError::Fields(vec![field(
                "current_password",
                "Mật khẩu hiện tại không đúng.",
            )]));
        }
        if let Some(m) = password::weakness(new_password, &a.personal_facts()) {
            return Err(IdentityError::Fields(vec![field("password", m)]));
        }
        if new_password != confirm {
            return Err(IdentityError::Fields(vec![field(
                "password_confirm",
                "Mật khẩu nhập lại không khớp.",
            )]));
        }
        let hash = self.hash_password(new_password).await?;
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        a.password_hash = Some(hash);
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.password.change", "account")
                .object(a.id.clone())
                .request(&client.request_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records the account holder's contact address (nơi thường trú or where they live), as
    /// typed; e-forms are pre-filled from it. Empty clears it.
    pub async fn set_address(
        &self,
        account_id: &str,
        address: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let address = address.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = address.chars().count();
        if len > 300 || (len > 0 && len < 5) || address.chars().any(char::is_control) {
            return Err(IdentityError::Fields(vec![field(
                "address",
                "Địa chỉ từ 5 đến 300 ký tự, ví dụ: Số 12 đường Trần Hưng Đạo, Phường Sóc Trăng, Thành phố Cần Thơ.",
            )]));
        }
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        a.address = (!address.is_empty()).then_some(address);
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        self.audit_tx(
            &mut tx,
            AuditEvent::new(&a.actor(), "identity.account.address", "account")
                .object(a.id.clone())
                .request(&client.request_id),
        )
        .await?;
        tx.commit().await?;
        // The cached account would pre-fill the old address for a few seconds more.
        self.forget_principals();
        Ok(())
    }

    /// One account by id.
    pub async fn account(&self, id: &str) -> Result<Option<Account>, IdentityError> {
        Ok(st::account_by(self.inner.db.pool(), "id", id).await?)
    }
}

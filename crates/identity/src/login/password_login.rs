//! Passwords: hashing with bounded concurrency, password login with lockout, and changing a
//! password knowing the current one.

use chrono::{DateTime, Utc};
use cqdt_audit::{AuditEvent, Outcome};
use cqdt_platform::clock::format_ts;
use cqdt_platform::Tx;
use serde_json::json;

use super::{
    account_event, field, later, parse_ts, Client, SignedIn, Stage, LOCKOUT, MAX_FAILED_LOGINS,
};
use crate::account::{Account, AccountKind, AccountStatus, LoginId};
use crate::error::IdentityError;
use crate::password;
use crate::service::IdentityService;
use crate::store::accounts as st;

impl IdentityService {
    /// Hashes a password on a blocking thread. At most
    /// [`HASHING_AT_ONCE`](super::HASHING_AT_ONCE) argon2 runs at a time: each takes 19 MiB,
    /// and a burst of logins must not hold a core each and grow the allocator's arenas.
    pub(crate) async fn hash_password(&self, password: &str) -> Result<String, IdentityError> {
        let p = password.to_string();
        self.hashing_work(move || password::hash(&p)).await?
    }

    /// The hash of a password that seeded accounts share (demo accounts): computed once per
    /// node, as each hash costs 19 MiB and tens of milliseconds.
    pub(crate) async fn cached_hash(&self, password: &str) -> Result<String, IdentityError> {
        if let Ok(cache) = self.inner.seed_hashes.lock() {
            if let Some(h) = cache.iter().find(|(p, _)| p == password).map(|(_, h)| h.clone()) {
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
    #[tracing::instrument(skip_all)]
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
    #[tracing::instrument(skip_all)]
    pub async fn login_password(
        &self,
        login: &str,
        password: &str,
        client: &Client,
    ) -> Result<SignedIn, IdentityError> {
        let now = self.inner.clock.now();
        // One answer for an unknown login, a wrong password and a locked account, so that
        // nobody learns from it which accounts exist (the lockout is named as a possibility).
        let refused = || {
            IdentityError::Fields(vec![field(
                "login",
                format!(
                    "Tên đăng nhập hoặc mật khẩu không đúng. Sau {MAX_FAILED_LOGINS} lần sai \
                     liên tiếp, tài khoản tạm khoá {} phút; có thể đặt lại mật khẩu nếu quên.",
                    LOCKOUT.as_secs() / 60
                ),
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
                        account_event(a, "identity.login.failure", &client.request_id)
                            .outcome(Outcome::Denied)
                            .details(json!({"reason": "account_locked", "ip": client.ip})),
                    )
                    .await?;
                    // The same work and the same answer as a wrong password.
                    self.verify_password(password, a.password_hash.as_deref()).await;
                    return Err(refused());
                }
            }
        }
        let ok = self
            .verify_password(password, account.as_ref().and_then(|a| a.password_hash.as_deref()))
            .await;
        let Some(mut a) = account.filter(|_| ok) else {
            self.inner.login_lockout.fail(&client.ip, now);
            self.login_failed(parsed.is_some().then_some(login), client, now).await?;
            return Err(refused());
        };
        match a.status {
            AccountStatus::Disabled => {
                self.audit_now(
                    account_event(&a, "identity.login.failure", &client.request_id)
                        .outcome(Outcome::Denied)
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
        let cookie = self.start_session(&mut tx, &a, stage, "pwd", client, now).await?;
        let action =
            if stage == Stage::Full { "identity.login.success" } else { "identity.login.password" };
        self.audit_tx(
            &mut tx,
            account_event(&a, action, &client.request_id)
                .details(json!({"method": "password", "stage": stage.as_str(), "ip": client.ip})),
        )
        .await?;
        tx.commit().await?;
        self.inner.login_lockout.succeed(&client.ip);
        Ok(SignedIn { cookie, stage, account: a })
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
        self.count_failure(&mut tx, &mut a, "wrong_password", client, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn count_failure(
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
            account_event(a, "identity.login.failure", &client.request_id)
                .outcome(Outcome::Failure)
                .details(json!({"reason": reason, "ip": client.ip})),
        )
        .await?;
        if locks {
            tracing::warn!(account = %a.id, "account locked after failed logins");
            self.audit_tx(
                tx,
                account_event(a, "identity.login.lockout", &client.request_id)
                    .outcome(Outcome::Denied)
                    .details(json!({"minutes": LOCKOUT.as_secs() / 60, "ip": client.ip})),
            )
            .await?;
        }
        Ok(())
    }

    /// Changes a password knowing the current one.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
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
        if !self.verify_password(current, a.password_hash.as_deref()).await {
            return Err(IdentityError::Fields(vec![field(
                "current_password",
                "Mật khẩu hiện tại không đúng.",
            )]));
        }
        check_new_password(&a, new_password, confirm)?;
        let hash = self.hash_password(new_password).await?;
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        a.password_hash = Some(hash);
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        self.audit_tx(&mut tx, account_event(&a, "identity.password.change", &client.request_id))
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A new password must be strong for this account and typed twice alike.
pub(super) fn check_new_password(
    a: &Account,
    new_password: &str,
    confirm: &str,
) -> Result<(), IdentityError> {
    if let Some(m) = password::weakness(new_password, &a.personal_facts()) {
        return Err(IdentityError::Fields(vec![field("password", m)]));
    }
    if new_password != confirm {
        return Err(IdentityError::Fields(vec![field(
            "password_confirm",
            "Mật khẩu nhập lại không khớp.",
        )]));
    }
    Ok(())
}

//! The second factor: the TOTP or recovery code step of a login, and TOTP enrolment.

use cqdt_platform::clock::format_ts;
use serde_json::json;

use super::{account_event, digest, field, parse_ts, Client, Stage};
use crate::account::Account;
use crate::error::IdentityError;
use crate::service::IdentityService;
use crate::store::accounts as st;
use crate::totp;

impl IdentityService {
    /// The second step of a login: a TOTP code or a recovery code.
    #[tracing::instrument(skip_all)]
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
        let typed = code.trim();
        let step = self
            .totp_secret(&a)?
            .and_then(|s| totp::check(&s, typed, now.timestamp(), a.totp_last_step));
        let recovery = if step.is_none() && typed.len() >= 10 {
            self.find_recovery_code(&a.recovery_codes, typed).await?
        } else {
            None
        };
        let mut tx = self.inner.db.begin().await?;
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
                self.count_failure(&mut tx, &mut a, "wrong_second_factor", client, now).await?;
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
            account_event(&a, "identity.login.success", &client.request_id)
                .details(json!({"method": format!("password+{method}"), "ip": client.ip,
                                "recovery_codes_left": a.recovery_codes.len()})),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Starts (or restarts) TOTP enrolment: a new secret, not yet in force. Returns the secret
    /// and its `otpauth://` URI.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn begin_totp(&self, account_id: &str) -> Result<(String, String), IdentityError> {
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        if a.has_second_factor() {
            return Err(IdentityError::Invalid("Tài khoản đã có xác thực hai lớp.".into()));
        }
        let secret = totp::new_secret();
        a.totp_secret = Some(self.seal_totp_secret(&a.id, &secret));
        a.updated_at = now_s;
        st::update_account(&mut tx, &a).await?;
        tx.commit().await?;
        let label = a.username.clone().unwrap_or_else(|| a.full_name.clone());
        let uri = totp::otpauth_uri(&self.inner.config.totp_issuer, &label, &secret);
        Ok((secret, uri))
    }

    /// Confirms TOTP enrolment with a code from the app; returns the recovery codes, shown
    /// once. A session waiting for enrolment becomes fully signed in.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn confirm_totp(
        &self,
        account_id: &str,
        code: &str,
        session_cookie: Option<&str>,
        client: &Client,
    ) -> Result<Vec<String>, IdentityError> {
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let codes = totp::new_recovery_codes();
        let hashed = self.hash_recovery_codes(&codes).await?;
        let mut tx = self.inner.db.begin().await?;
        let Some(mut a) = st::account_by(&mut *tx, "id", account_id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        let pending = if a.totp_enabled_at.is_none() { self.totp_secret(&a)? } else { None };
        let Some(secret) = pending else {
            return Err(IdentityError::Invalid("Chưa bắt đầu cài đặt xác thực hai lớp.".into()));
        };
        let Some(step) = totp::check(&secret, code, now.timestamp(), a.totp_last_step) else {
            return Err(IdentityError::Fields(vec![field(
                "code",
                "Mã không đúng. Kiểm tra giờ trên điện thoại và nhập mã đang hiển thị.",
            )]));
        };
        a.totp_last_step = step;
        a.totp_enabled_at = Some(now_s.clone());
        a.recovery_codes = hashed;
        a.updated_at = now_s.clone();
        st::update_account(&mut tx, &a).await?;
        if let Some(cookie) = session_cookie {
            if let Some(s) = st::session(&mut *tx, &digest(cookie)).await? {
                if s.account_id == a.id && s.stage == Stage::Enrol.as_str() {
                    st::set_session_stage(&mut tx, &s.id_hash, "full", "pwd otp", &now_s).await?;
                }
            }
        }
        self.audit_tx(&mut tx, account_event(&a, "identity.mfa.enrol", &client.request_id)).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// The stored forms of new recovery codes (argon2id, off the async threads).
    async fn hash_recovery_codes(&self, codes: &[String]) -> Result<Vec<String>, IdentityError> {
        let codes = codes.to_vec();
        self.hashing_work(move || totp::hash_recovery_codes(&codes)).await
    }

    /// Which stored recovery code `typed` is, if any (argon2id, off the async threads).
    async fn find_recovery_code(
        &self,
        stored: &[String],
        typed: &str,
    ) -> Result<Option<usize>, IdentityError> {
        let (stored, typed) = (stored.to_vec(), typed.to_string());
        self.hashing_work(move || totp::find_recovery_code(&stored, &typed)).await
    }

    /// Runs argon2 work on the blocking threads, within the bound on concurrent hashing.
    pub(crate) async fn hashing_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, IdentityError> {
        let _permit = self
            .inner
            .hashing
            .acquire()
            .await
            .map_err(|e| IdentityError::Key(format!("hashing: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| IdentityError::Key(format!("hashing task: {e}")))
    }
}

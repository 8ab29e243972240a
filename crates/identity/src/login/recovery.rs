//! Password reset (and an official's activation) through a link sent by e-mail or SMS.

use std::time::Duration;

use chrono::{DateTime, Utc};
use cqdt_audit::{AuditEvent, Outcome};
use cqdt_notify::Channel;
use cqdt_platform::clock::format_ts;
use cqdt_platform::Tx;
use serde_json::json;

use super::password_login::check_new_password;
use super::{account_event, digest, later, random_token, Client, RESET_LINK_LIFE};
use crate::account::{Account, AccountKind, AccountStatus, LoginId};
use crate::error::IdentityError;
use crate::service::IdentityService;
use crate::store::accounts as st;

impl IdentityService {
    /// Sends a password reset link to the account a login names, by e-mail (or SMS when there
    /// is no e-mail). Says nothing about whether the account exists.
    #[tracing::instrument(skip_all)]
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
        self.send_reset_link(&mut tx, &a, now, RESET_LINK_LIFE, false).await?;
        self.audit_tx(
            &mut tx,
            account_event(&a, "identity.password.reset_request", &client.request_id)
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
        st::insert_code(tx, &digest(&token), &a.id, "reset", &format_ts(now), &later(now, life))
            .await?;
        let link = self.inner.config.endpoint(&format!("/dat-lai-mat-khau?ma={token}"));
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
            self.notify(tx, Channel::Email, email, subject, &body).await?;
        } else if let Some(phone) = &a.phone {
            self.notify(tx, Channel::Sms, phone, subject, &body).await?;
        }
        Ok(token)
    }

    /// The account a reset link belongs to, if the link is still good.
    #[tracing::instrument(skip_all)]
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
    #[tracing::instrument(skip_all)]
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
        check_new_password(&a, new_password, confirm)?;
        let hash = self.hash_password(new_password).await?;
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        if !st::use_code(&mut tx, &digest(token), &now_s).await? {
            return Err(IdentityError::Invalid("Liên kết đặt lại mật khẩu đã được dùng.".into()));
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
            account_event(&a, "identity.password.reset", &client.request_id)
                .details(json!({"sessions_ended": ended, "ip": client.ip})),
        )
        .await?;
        tx.commit().await?;
        Ok(a)
    }
}

//! Registration of citizens with a verified contact, and the account holder's own details.

use chrono::{DateTime, Utc};
use cqdt_notify::Channel;
use cqdt_platform::clock::format_ts;
use cqdt_platform::Tx;
use serde_json::json;

use super::{
    account_event, digest, field, later, Client, UNVERIFIED_LIFE, VERIFY_CODE_ATTEMPTS,
    VERIFY_CODE_LIFE,
};
use crate::account::{Account, AccountKind, AccountStatus, Registration};
use crate::error::IdentityError;
use crate::service::IdentityService;
use crate::store::accounts as st;

impl IdentityService {
    /// Registers a citizen (pending until the code sent to their phone, and e-mail if given,
    /// is entered). Every field error and every clash with an existing account is reported.
    #[tracing::instrument(skip_all)]
    pub async fn register_citizen(
        &self,
        reg: &Registration,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        let hash = self.hash_password(&reg.password).await?;
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut tx = self.inner.db.begin().await?;
        // Registrations left unverified for a day no longer hold what they claimed.
        let stale =
            format_ts(now - chrono::Duration::from_std(UNVERIFIED_LIFE).unwrap_or_default());
        let keys = [
            ("personal_id", Some(reg.personal_id.as_str())),
            ("phone", Some(&reg.phone)),
            ("email", reg.email.as_deref()),
        ];
        for (column, value) in keys {
            let Some(value) = value else { continue };
            if let Some(old) = st::account_by(&mut *tx, column, value).await? {
                if old.status == AccountStatus::Pending && old.created_at < stale {
                    st::delete_pending_account(&mut tx, &old.id).await?;
                    self.audit_tx(
                        &mut tx,
                        account_event(&old, "identity.account.expire", &client.request_id)
                            .details(json!({"reason": "unverified", "since": old.created_at})),
                    )
                    .await?;
                }
            }
        }
        let mut clashes = Vec::new();
        if st::account_by(&mut *tx, "personal_id", reg.personal_id.as_str()).await?.is_some() {
            clashes.push(field(
                "personal_id",
                "Số định danh cá nhân này đã có tài khoản. Hãy đăng nhập, hoặc dùng “Quên mật khẩu”.",
            ));
        }
        if st::account_by(&mut *tx, "phone", &reg.phone).await?.is_some() {
            clashes.push(field("phone", "Số điện thoại này đã dùng cho một tài khoản khác."));
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
            account_event(&a, "identity.account.register", &client.request_id)
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
        // Each send costs an SMS and reaches a person's phone: a few per hour per account and
        // per contact, whoever asks.
        let keys: Vec<String> = std::iter::once(format!("account:{}", a.id))
            .chain(a.phone.iter().map(|p| format!("phone:{p}")))
            .chain(a.email.iter().map(|e| format!("email:{e}")))
            .collect();
        if let Some(secs) = keys.iter().filter_map(|k| self.inner.code_sends.locked(k, now)).max() {
            return Err(IdentityError::Fields(vec![field(
                "code",
                format!(
                    "Đã gửi mã quá nhiều lần; vui lòng thử lại sau {} phút.",
                    secs.div_ceil(60)
                ),
            )]));
        }
        for k in &keys {
            self.inner.code_sends.fail(k, now);
        }
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
            self.notify(tx, Channel::Sms, phone, "Mã xác thực tài khoản", &body).await?;
        }
        if let Some(email) = &a.email {
            self.notify(tx, Channel::Email, email, "Mã xác thực tài khoản", &body).await?;
        }
        Ok(())
    }

    /// Sends a new verification code to a pending account.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
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
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
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
        self.audit_tx(&mut tx, account_event(&a, "identity.account.verify", &client.request_id))
            .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Records the account holder's contact address (nơi thường trú or where they live), as
    /// typed; e-forms are pre-filled from it. Empty clears it.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
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
        self.audit_tx(&mut tx, account_event(&a, "identity.account.address", &client.request_id))
            .await?;
        tx.commit().await?;
        // The cached account would pre-fill the old address for a few seconds more.
        self.forget_principals();
        Ok(())
    }

    /// One account by id.
    #[tracing::instrument(skip_all, fields(account_id = %id))]
    pub async fn account(&self, id: &str) -> Result<Option<Account>, IdentityError> {
        Ok(st::account_by(self.inner.db.pool(), "id", id).await?)
    }

    /// Full names by audit actor (login name or `account:<id>`), for pages that say who did
    /// what; actors that are not accounts are absent.
    pub async fn display_names(
        &self,
        actors: &[String],
    ) -> Result<std::collections::HashMap<String, String>, IdentityError> {
        Ok(st::names_of_actors(&self.inner.db, actors).await?)
    }
}

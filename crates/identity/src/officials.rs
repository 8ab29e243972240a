//! Administration of people: officials created by agency administrators (one by one or from
//! CSV), roles granted within an agency subtree, accounts turned off and on, businesses
//! registered by the people who act for them. Every change is audited; an administrator acts
//! only inside their own scope.

use cqdt_audit::AuditEvent;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, Principal, Role, RoleGrant};
use serde_json::json;

use crate::account::{
    Account, AccountKind, AccountStatus, BusinessLink, NewBusiness, NewOfficial, OfficialForm,
    StoredGrant,
};
use crate::error::IdentityError;
use crate::login::{Client, ACTIVATION_LIFE};
use crate::service::IdentityService;
use crate::store::accounts as st;

/// Whether `admin` may manage people of `agency`.
pub fn may_manage(admin: &Principal, agency: &str) -> bool {
    admin.is_platform_admin() || admin.can(Role::AgencyAdmin, agency)
}

/// A row of an officials CSV that could not be imported.
#[derive(Debug, Clone)]
pub struct ImportRowError {
    /// 1-based line number (the header is line 1).
    pub line: usize,
    /// What is wrong.
    pub errors: Vec<FieldError>,
}

impl IdentityService {
    /// Creates an official in an agency the administrator manages, with roles in that agency
    /// and below, and e-mails an activation link. Returns the account and the link's token
    /// (for the command line; pages never show it).
    #[tracing::instrument(skip_all, fields(admin = %admin.account_id, agency = %o.agency_code))]
    pub async fn create_official(
        &self,
        admin: &Principal,
        o: &NewOfficial,
        client: &Client,
    ) -> Result<(Account, String), IdentityError> {
        if !may_manage(admin, &o.agency_code) {
            return Err(IdentityError::Forbidden(
                "Ông/bà chỉ tạo được tài khoản cán bộ trong cơ quan mình quản trị.".into(),
            ));
        }
        if o.roles.contains(&Role::PlatformAdmin) && !admin.is_platform_admin() {
            return Err(IdentityError::Forbidden(
                "Chỉ quản trị hệ thống mới giao được vai trò quản trị hệ thống.".into(),
            ));
        }
        let now = self.inner.clock.now();
        let mut tx = self.inner.db.begin().await?;
        let (a, token) = self.insert_official(&mut tx, &admin.actor, o, None, client).await?;
        tx.commit().await?;
        self.forget_principals();
        if let Some(n) = self.inner.notifier.get() {
            n.wake();
        }
        let _ = now;
        Ok((a, token))
    }

    async fn insert_official(
        &self,
        tx: &mut cqdt_platform::Tx,
        actor: &str,
        o: &NewOfficial,
        password_hash: Option<String>,
        client: &Client,
    ) -> Result<(Account, String), IdentityError> {
        let now = self.inner.clock.now();
        let now_s = format_ts(now);
        let mut clashes = Vec::new();
        if st::account_by(&mut **tx, "username", &o.username).await?.is_some() {
            clashes.push(FieldError {
                field: "username".into(),
                message: format!("Tên đăng nhập “{}” đã có người dùng.", o.username),
            });
        }
        if st::account_by(&mut **tx, "email", &o.email).await?.is_some() {
            clashes.push(FieldError {
                field: "email".into(),
                message: "Địa chỉ thư điện tử này đã dùng cho một tài khoản khác.".into(),
            });
        }
        if let Some(p) = &o.phone {
            if st::account_by(&mut **tx, "phone", p).await?.is_some() {
                clashes.push(FieldError {
                    field: "phone".into(),
                    message: "Số điện thoại này đã dùng cho một tài khoản khác.".into(),
                });
            }
        }
        if !clashes.is_empty() {
            return Err(IdentityError::Fields(clashes));
        }
        let mut a = Account::blank(AccountKind::Official, o.full_name.clone(), &now_s, actor);
        a.username = Some(o.username.clone());
        a.email = Some(o.email.clone());
        a.phone = o.phone.clone();
        a.agency_code = Some(o.agency_code.clone());
        if password_hash.is_some() {
            a.status = AccountStatus::Active;
        }
        a.password_hash = password_hash;
        st::insert_account(tx, &a).await?;
        for role in &o.roles {
            let g = RoleGrant { role: *role, agency: o.agency_code.clone(), subtree: true };
            st::insert_grant(tx, &a.id, &g, &now_s, actor).await?;
        }
        self.inner
            .audit
            .record(
                tx,
                AuditEvent::new(actor, "identity.official.create", "account")
                    .object(a.id.clone())
                    .agency(o.agency_code.clone())
                    .request(&client.request_id)
                    .details(json!({"username": o.username, "agency": o.agency_code,
                                    "roles": o.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>()})),
            )
            .await?;
        let token = if a.status == AccountStatus::Pending {
            self.send_reset_link(tx, &a, now, ACTIVATION_LIFE, true).await?
        } else {
            String::new()
        };
        Ok((a, token))
    }

    /// Creates an official with a password already set and, optionally, a TOTP secret (for
    /// the demo province and the command line; audited as `system`).
    #[tracing::instrument(skip_all, fields(agency = %o.agency_code))]
    pub async fn create_official_with_password(
        &self,
        o: &NewOfficial,
        password: &str,
        totp_secret: Option<&str>,
    ) -> Result<Account, IdentityError> {
        let hash = self.cached_hash(password).await?;
        let mut tx = self.inner.db.begin().await?;
        let (mut a, _) =
            self.insert_official(&mut tx, "system", o, Some(hash), &Client::default()).await?;
        if let Some(secret) = totp_secret {
            a.totp_secret = Some(self.seal_totp_secret(&a.id, secret));
            a.totp_enabled_at = Some(format_ts(self.inner.clock.now()));
            st::update_account(&mut tx, &a).await?;
        }
        tx.commit().await?;
        self.forget_principals();
        Ok(a)
    }

    /// Creates an active citizen with a password (demo province and tests).
    #[tracing::instrument(skip_all)]
    pub async fn create_citizen_with_password(
        &self,
        reg: &crate::account::Registration,
    ) -> Result<Account, IdentityError> {
        let hash = self.cached_hash(&reg.password).await?;
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let mut a = Account::blank(AccountKind::Citizen, reg.full_name.clone(), &now_s, "system");
        a.status = AccountStatus::Active;
        a.personal_id = Some(reg.personal_id.as_str().into());
        a.birth_date = Some(reg.birth_date.format("%Y-%m-%d").to_string());
        a.phone = Some(reg.phone.clone());
        a.email = reg.email.clone();
        a.password_hash = Some(hash);
        st::insert_account(&mut tx, &a).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new("system", "identity.account.register", "account")
                    .object(a.id.clone())
                    .details(json!({"kind": "citizen", "seeded": true})),
            )
            .await?;
        tx.commit().await?;
        self.forget_principals();
        Ok(a)
    }

    /// Imports officials from CSV (`username,full_name,email,phone,agency_code,roles`), all or
    /// nothing: any bad row refuses the whole file with every row's errors.
    #[tracing::instrument(skip_all, fields(admin = %admin.account_id, bytes = csv_text.len()))]
    pub async fn import_officials(
        &self,
        admin: &Principal,
        csv_text: &str,
        agency_exists: &(dyn Fn(&str) -> bool + Sync),
        client: &Client,
    ) -> Result<Vec<Account>, Vec<ImportRowError>> {
        let mut rows = Vec::new();
        let mut errors = Vec::new();
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .flexible(false)
            .from_reader(csv_text.trim_start_matches('\u{feff}').as_bytes());
        for (i, rec) in reader.deserialize::<OfficialForm>().enumerate() {
            let line = i + 2;
            match rec {
                Ok(f) => match f.parse(agency_exists(f.agency_code.trim())) {
                    Ok(o) if may_manage(admin, &o.agency_code) => rows.push((line, o)),
                    Ok(o) => errors.push(ImportRowError {
                        line,
                        errors: vec![FieldError {
                            field: "agency_code".into(),
                            message: format!(
                                "Cơ quan {} ngoài phạm vi ông/bà quản trị.",
                                o.agency_code
                            ),
                        }],
                    }),
                    Err(e) => errors.push(ImportRowError { line, errors: e }),
                },
                Err(e) => errors.push(ImportRowError {
                    line,
                    errors: vec![FieldError {
                        field: "csv".into(),
                        message: format!(
                            "Dòng không đúng định dạng (cần các cột username, full_name, email, phone, agency_code, roles): {e}"
                        ),
                    }],
                }),
            }
        }
        if rows.is_empty() && errors.is_empty() {
            errors.push(ImportRowError {
                line: 1,
                errors: vec![FieldError {
                    field: "csv".into(),
                    message: "Tệp không có dòng dữ liệu nào.".into(),
                }],
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let internal = |e: IdentityError| {
            vec![ImportRowError {
                line: 0,
                errors: vec![FieldError { field: "csv".into(), message: e.to_string() }],
            }]
        };
        let mut tx = self.inner.db.begin().await.map_err(|e| internal(e.into()))?;
        let mut created = Vec::new();
        for (line, o) in &rows {
            match self.insert_official(&mut tx, &admin.actor, o, None, client).await {
                Ok((a, _)) => created.push(a),
                Err(IdentityError::Fields(f)) => {
                    errors.push(ImportRowError { line: *line, errors: f });
                }
                Err(e) => return Err(internal(e)),
            }
        }
        if !errors.is_empty() {
            // Dropping the transaction rolls every row back.
            return Err(errors);
        }
        tx.commit().await.map_err(|e| internal(e.into()))?;
        if let Some(n) = self.inner.notifier.get() {
            n.wake();
        }
        Ok(created)
    }

    /// Accounts an administrator may see: every account for platform administrators, the
    /// officials of their agencies for agency administrators.
    #[tracing::instrument(skip_all, fields(admin = %admin.account_id))]
    pub async fn accounts_for(
        &self,
        admin: &Principal,
        kind: Option<AccountKind>,
        text: &str,
    ) -> Result<Vec<Account>, IdentityError> {
        let all = st::search_accounts(self.inner.db.pool(), kind, text, 500).await?;
        Ok(all
            .into_iter()
            .filter(|a| {
                admin.is_platform_admin()
                    || a.agency_code.as_deref().is_some_and(|ag| admin.can(Role::AgencyAdmin, ag))
            })
            .take(200)
            .collect())
    }

    /// The role grants of an account.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn grants_of(&self, account_id: &str) -> Result<Vec<StoredGrant>, IdentityError> {
        Ok(st::grants(self.inner.db.pool(), account_id).await?)
    }

    /// An account an administrator may manage, or why not.
    async fn managed(&self, admin: &Principal, id: &str) -> Result<Account, IdentityError> {
        let Some(a) = self.account(id).await? else {
            return Err(IdentityError::NotFound("tài khoản".into()));
        };
        let ok = admin.is_platform_admin()
            || a.agency_code.as_deref().is_some_and(|ag| admin.can(Role::AgencyAdmin, ag));
        if ok {
            Ok(a)
        } else {
            Err(IdentityError::Forbidden("Tài khoản này ngoài phạm vi ông/bà quản trị.".into()))
        }
    }

    /// The account, if the administrator may manage it.
    #[tracing::instrument(skip_all, fields(admin = %admin.account_id, account_id = %id))]
    pub async fn managed_account(
        &self,
        admin: &Principal,
        id: &str,
    ) -> Result<Account, IdentityError> {
        self.managed(admin, id).await
    }

    /// Grants a role to an official within the administrator's scope (audited).
    #[tracing::instrument(
        skip_all,
        fields(
            admin = %admin.account_id,
            account_id = %account_id,
            role = grant.role.as_str(),
            agency = %grant.agency
        )
    )]
    pub async fn grant_role(
        &self,
        admin: &Principal,
        account_id: &str,
        grant: &RoleGrant,
        client: &Client,
    ) -> Result<bool, IdentityError> {
        let a = self.managed(admin, account_id).await?;
        if a.kind != AccountKind::Official {
            return Err(IdentityError::Invalid("Chỉ giao vai trò cho tài khoản cán bộ.".into()));
        }
        if !Role::OFFICIAL.contains(&grant.role) {
            return Err(IdentityError::Invalid("Vai trò không giao được.".into()));
        }
        if !may_manage(admin, &grant.agency)
            || (grant.role == Role::PlatformAdmin && !admin.is_platform_admin())
        {
            return Err(IdentityError::Forbidden(
                "Ông/bà chỉ giao được vai trò trong phạm vi cơ quan mình quản trị.".into(),
            ));
        }
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let added = st::insert_grant(&mut tx, &a.id, grant, &now_s, &admin.actor).await?;
        if added {
            self.inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(&admin.actor, "identity.role.grant", "account")
                        .object(a.id.clone())
                        .agency(grant.agency.clone())
                        .request(&client.request_id)
                        .details(json!({"role": grant.role.as_str(), "agency": grant.agency,
                                        "subtree": grant.subtree, "username": a.username})),
                )
                .await?;
        }
        tx.commit().await?;
        self.forget_principals();
        Ok(added)
    }

    /// Withdraws a role (audited).
    #[tracing::instrument(
        skip_all,
        fields(
            admin = %admin.account_id,
            account_id = %account_id,
            role = role.as_str(),
            agency = %agency
        )
    )]
    pub async fn revoke_role(
        &self,
        admin: &Principal,
        account_id: &str,
        role: Role,
        agency: &str,
        client: &Client,
    ) -> Result<bool, IdentityError> {
        let a = self.managed(admin, account_id).await?;
        if !may_manage(admin, agency) {
            return Err(IdentityError::Forbidden(
                "Ông/bà chỉ thu hồi được vai trò trong phạm vi cơ quan mình quản trị.".into(),
            ));
        }
        let mut tx = self.inner.db.begin().await?;
        let removed = st::delete_grant(&mut tx, &a.id, role, agency).await?;
        if removed {
            self.inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(&admin.actor, "identity.role.revoke", "account")
                        .object(a.id.clone())
                        .agency(agency.to_string())
                        .request(&client.request_id)
                        .details(json!({"role": role.as_str(), "agency": agency})),
                )
                .await?;
        }
        tx.commit().await?;
        self.forget_principals();
        Ok(removed)
    }

    /// Turns an account off (ending its sessions) or back on (audited).
    #[tracing::instrument(
        skip_all,
        fields(admin = %admin.account_id, account_id = %account_id, enabled = enabled)
    )]
    pub async fn set_account_enabled(
        &self,
        admin: &Principal,
        account_id: &str,
        enabled: bool,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        let mut a = self.managed(admin, account_id).await?;
        if a.id == admin.account_id {
            return Err(IdentityError::Invalid("Không tự khoá tài khoản của chính mình.".into()));
        }
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        a.status = if enabled {
            if a.password_hash.is_some() {
                AccountStatus::Active
            } else {
                AccountStatus::Pending
            }
        } else {
            AccountStatus::Disabled
        };
        a.locked_until = None;
        a.failed_logins = 0;
        a.updated_at = now_s.clone();
        st::update_account(&mut tx, &a).await?;
        if !enabled {
            st::revoke_all_sessions(&mut tx, &a.id, &now_s).await?;
        }
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(
                    &admin.actor,
                    if enabled { "identity.account.enable" } else { "identity.account.disable" },
                    "account",
                )
                .object(a.id.clone())
                .request(&client.request_id),
            )
            .await?;
        tx.commit().await?;
        self.forget_principals();
        Ok(a)
    }

    /// Clears an official's second factor so they enrol again at next login (audited).
    #[tracing::instrument(skip_all, fields(admin = %admin.account_id, account_id = %account_id))]
    pub async fn reset_second_factor(
        &self,
        admin: &Principal,
        account_id: &str,
        client: &Client,
    ) -> Result<(), IdentityError> {
        let mut a = self.managed(admin, account_id).await?;
        let now_s = format_ts(self.inner.clock.now());
        a.totp_secret = None;
        a.totp_enabled_at = None;
        a.recovery_codes.clear();
        a.updated_at = now_s.clone();
        let mut tx = self.inner.db.begin().await?;
        st::update_account(&mut tx, &a).await?;
        st::revoke_all_sessions(&mut tx, &a.id, &now_s).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(&admin.actor, "identity.mfa.reset", "account")
                    .object(a.id.clone())
                    .request(&client.request_id),
            )
            .await?;
        tx.commit().await?;
        self.forget_principals();
        Ok(())
    }

    /// Registers a business and links the person to it (self-declared until checked against
    /// the national business registry, which the platform cannot reach yet).
    #[tracing::instrument(skip_all, fields(account_id = %person.account_id))]
    pub async fn register_business(
        &self,
        person: &Principal,
        b: &NewBusiness,
        client: &Client,
    ) -> Result<Account, IdentityError> {
        if person.kind != AccountKind::Citizen.as_str() {
            return Err(IdentityError::Forbidden(
                "Chỉ tài khoản công dân mới đại diện được cho doanh nghiệp.".into(),
            ));
        }
        let now_s = format_ts(self.inner.clock.now());
        let mut tx = self.inner.db.begin().await?;
        let business = match st::account_by(&mut *tx, "tax_code", b.tax_code.as_str()).await? {
            Some(existing) => {
                if b.relation == "legal_representative" {
                    return Err(IdentityError::Fields(vec![FieldError {
                        field: "tax_code".into(),
                        message: "Doanh nghiệp này đã được đăng ký; người đại diện theo pháp luật cần uỷ quyền cho ông/bà.".into(),
                    }]));
                }
                existing
            }
            None => {
                let mut a =
                    Account::blank(AccountKind::Business, b.name.clone(), &now_s, &person.actor);
                a.status = AccountStatus::Active;
                a.tax_code = Some(b.tax_code.as_str().into());
                a.legal_representative = Some(b.legal_representative.clone());
                st::insert_account(&mut tx, &a).await?;
                a
            }
        };
        let linked = st::businesses_of(&mut *tx, &person.account_id)
            .await?
            .iter()
            .any(|(x, _)| x.id == business.id);
        if linked {
            return Err(IdentityError::Fields(vec![FieldError {
                field: "tax_code".into(),
                message: "Ông/bà đã liên kết với doanh nghiệp này.".into(),
            }]));
        }
        st::insert_member(&mut tx, &business.id, &person.account_id, &b.relation, &now_s).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(&person.actor, "identity.business.link", "account")
                    .object(business.id.clone())
                    .request(&client.request_id)
                    .details(json!({"tax_code": b.tax_code.as_str(), "relation": b.relation})),
            )
            .await?;
        tx.commit().await?;
        self.forget_principals();
        Ok(business)
    }

    /// The businesses a person acts for.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn businesses(&self, account_id: &str) -> Result<Vec<BusinessLink>, IdentityError> {
        Ok(st::businesses_of(self.inner.db.pool(), account_id)
            .await?
            .into_iter()
            .map(|(business, relation)| BusinessLink { business, relation })
            .collect())
    }
}

//! SQL for accounts, roles, business links, one-time codes, sessions, and the authorization
//! code flow's codes, refresh tokens and consents.

mod codes;
mod sessions;
mod tokens;

pub use codes::*;
pub use sessions::*;
pub use tokens::*;

use cqdt_platform::{DbError, DbResultExt, Role, RoleGrant, Sql};
use sqlx::{Any, AnyConnection, Executor};

use crate::account::{Account, AccountKind, AccountStatus, StoredGrant};
use crate::store::{execute_texts, row_by_key};

const ACCOUNT_COLUMNS: &str = "id, kind, status, personal_id, tax_code, username, full_name, \
     birth_date, gender, phone, email, address, agency_code, legal_representative, password_hash, \
     totp_secret, totp_enabled_at, totp_last_step, recovery_codes, failed_logins, locked_until, \
     vneid_subject, created_at, created_by, updated_at";

/// An `accounts` row as stored: kind and status as text, recovery codes as a JSON array.
#[derive(Debug, sqlx::FromRow)]
struct AccountRow {
    id: String,
    kind: String,
    status: String,
    personal_id: Option<String>,
    tax_code: Option<String>,
    username: Option<String>,
    full_name: String,
    birth_date: Option<String>,
    gender: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address: Option<String>,
    agency_code: Option<String>,
    legal_representative: Option<String>,
    password_hash: Option<String>,
    totp_secret: Option<String>,
    totp_enabled_at: Option<String>,
    totp_last_step: i64,
    recovery_codes: String,
    failed_logins: i64,
    locked_until: Option<String>,
    vneid_subject: Option<String>,
    created_at: String,
    created_by: String,
    updated_at: String,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Self {
        Account {
            id: r.id,
            // An unknown kind or status reads as a disabled citizen: it signs in nowhere.
            kind: AccountKind::parse(&r.kind).unwrap_or(AccountKind::Citizen),
            status: AccountStatus::parse(&r.status).unwrap_or(AccountStatus::Disabled),
            personal_id: r.personal_id,
            tax_code: r.tax_code,
            username: r.username,
            full_name: r.full_name,
            birth_date: r.birth_date,
            gender: r.gender,
            phone: r.phone,
            email: r.email,
            address: r.address,
            agency_code: r.agency_code,
            legal_representative: r.legal_representative,
            password_hash: r.password_hash,
            totp_secret: r.totp_secret,
            totp_enabled_at: r.totp_enabled_at,
            totp_last_step: r.totp_last_step,
            recovery_codes: serde_json::from_str(&r.recovery_codes).unwrap_or_default(),
            failed_logins: r.failed_logins,
            locked_until: r.locked_until,
            vneid_subject: r.vneid_subject,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
        }
    }
}

fn recovery_codes_text(a: &Account) -> String {
    serde_json::Value::from(a.recovery_codes.clone()).to_string()
}

/// Adds an account.
pub async fn insert_account(conn: &mut AnyConnection, a: &Account) -> Result<(), DbError> {
    let codes = recovery_codes_text(a);
    let mut q = Sql::on(conn, format!("INSERT INTO accounts ({ACCOUNT_COLUMNS}) "));
    q.push_values([a], |mut row, a| {
        row.push_bind(&a.id)
            .push_bind(a.kind.as_str())
            .push_bind(a.status.as_str())
            .push_bind(&a.personal_id)
            .push_bind(&a.tax_code)
            .push_bind(&a.username)
            .push_bind(&a.full_name)
            .push_bind(&a.birth_date)
            .push_bind(&a.gender)
            .push_bind(&a.phone)
            .push_bind(&a.email)
            .push_bind(&a.address)
            .push_bind(&a.agency_code)
            .push_bind(&a.legal_representative)
            .push_bind(&a.password_hash)
            .push_bind(&a.totp_secret)
            .push_bind(&a.totp_enabled_at)
            .push_bind(a.totp_last_step)
            .push_bind(&codes)
            .push_bind(a.failed_logins)
            .push_bind(&a.locked_until)
            .push_bind(&a.vneid_subject)
            .push_bind(&a.created_at)
            .push_bind(&a.created_by)
            .push_bind(&a.updated_at);
    });
    q.build().execute(conn).await.ctx("creating an account")?;
    Ok(())
}

/// Rewrites every mutable field of an account.
pub async fn update_account(conn: &mut AnyConnection, a: &Account) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE accounts SET status = $2, personal_id = $3, full_name = $4, birth_date = $5, \
         gender = $6, phone = $7, email = $8, address = $9, agency_code = $10, \
         password_hash = $11, totp_secret = $12, totp_enabled_at = $13, totp_last_step = $14, \
         recovery_codes = $15, failed_logins = $16, locked_until = $17, vneid_subject = $18, \
         updated_at = $19, legal_representative = $20 WHERE id = $1",
    )
    .bind(&a.id)
    .bind(a.status.as_str())
    .bind(&a.personal_id)
    .bind(&a.full_name)
    .bind(&a.birth_date)
    .bind(&a.gender)
    .bind(&a.phone)
    .bind(&a.email)
    .bind(&a.address)
    .bind(&a.agency_code)
    .bind(&a.password_hash)
    .bind(&a.totp_secret)
    .bind(&a.totp_enabled_at)
    .bind(a.totp_last_step)
    .bind(recovery_codes_text(a))
    .bind(a.failed_logins)
    .bind(&a.locked_until)
    .bind(&a.vneid_subject)
    .bind(&a.updated_at)
    .bind(&a.legal_representative)
    .execute(conn)
    .await
    .ctx("updating an account")?;
    Ok(())
}

/// The account with a value in one of the unique login columns.
pub async fn account_by<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    column: &'static str,
    value: &str,
) -> Result<Option<Account>, DbError> {
    debug_assert!(matches!(
        column,
        "id" | "personal_id" | "phone" | "email" | "username" | "tax_code" | "vneid_subject"
    ));
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = $1");
    let row: Option<AccountRow> = row_by_key(exec, &sql, value, "reading an account").await?;
    Ok(row.map(Account::from))
}

/// Accounts matching a filter, newest first.
pub async fn search_accounts<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    kind: Option<AccountKind>,
    text: &str,
    limit: i64,
) -> Result<Vec<Account>, DbError> {
    let like = format!("%{}%", text.trim().to_lowercase());
    let rows = sqlx::query_as::<_, AccountRow>(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE ($1 = '' OR kind = $1) AND \
         ($2 = '%%' OR LOWER(full_name) LIKE $2 OR personal_id LIKE $2 OR username LIKE $2 \
          OR email LIKE $2 OR phone LIKE $2 OR tax_code LIKE $2 OR agency_code LIKE $2) \
         ORDER BY created_at DESC, id LIMIT $3"
    ))
    .bind(kind.map(AccountKind::as_str).unwrap_or(""))
    .bind(like)
    .bind(limit)
    .fetch_all(exec)
    .await
    .ctx("searching accounts")?;
    Ok(rows.into_iter().map(Account::from).collect())
}

/// An `account_roles` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct RoleRow {
    role: String,
    agency_code: String,
    subtree: i64,
    granted_at: String,
    granted_by: String,
}

impl RoleRow {
    /// The grant, unless the role is one this release does not know (then it grants nothing).
    fn into_grant(self) -> Option<StoredGrant> {
        Some(StoredGrant {
            grant: RoleGrant {
                role: Role::parse(&self.role)?,
                agency: self.agency_code,
                subtree: self.subtree != 0,
            },
            granted_at: self.granted_at,
            granted_by: self.granted_by,
        })
    }
}

/// Role grants of an account.
pub async fn grants<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account_id: &str,
) -> Result<Vec<StoredGrant>, DbError> {
    let rows = sqlx::query_as::<_, RoleRow>(
        "SELECT role, agency_code, subtree, granted_at, granted_by FROM account_roles \
         WHERE account_id = $1 ORDER BY agency_code, role",
    )
    .bind(account_id)
    .fetch_all(exec)
    .await
    .ctx("reading roles")?;
    Ok(rows.into_iter().filter_map(RoleRow::into_grant).collect())
}

/// Grants a role; false when it was already held.
pub async fn insert_grant(
    conn: &mut AnyConnection,
    account_id: &str,
    grant: &RoleGrant,
    now: &str,
    by: &str,
) -> Result<bool, DbError> {
    let exists: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM account_roles WHERE account_id = $1 AND role = $2 AND agency_code = $3",
    )
    .bind(account_id)
    .bind(grant.role.as_str())
    .bind(&grant.agency)
    .fetch_optional(&mut *conn)
    .await
    .ctx("granting a role")?;
    if exists.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO account_roles (account_id, role, agency_code, subtree, granted_at, granted_by) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(account_id)
    .bind(grant.role.as_str())
    .bind(&grant.agency)
    .bind(i64::from(grant.subtree))
    .bind(now)
    .bind(by)
    .execute(conn)
    .await
    .ctx("granting a role")?;
    Ok(true)
}

/// Withdraws a role; false when it was not held.
pub async fn delete_grant(
    conn: &mut AnyConnection,
    account_id: &str,
    role: Role,
    agency: &str,
) -> Result<bool, DbError> {
    let done = execute_texts(
        conn,
        "DELETE FROM account_roles WHERE account_id = $1 AND role = $2 AND agency_code = $3",
        &[account_id, role.as_str(), agency],
        "withdrawing a role",
    )
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Removes an account that was never verified, with its one-time codes; false when the
/// account is not (or no longer) pending.
pub async fn delete_pending_account(
    conn: &mut AnyConnection,
    account_id: &str,
) -> Result<bool, DbError> {
    let done = execute_texts(
        &mut *conn,
        "DELETE FROM accounts WHERE id = $1 AND status = 'pending'",
        &[account_id],
        "removing an unverified registration",
    )
    .await?;
    if done.rows_affected() > 0 {
        execute_texts(
            conn,
            "DELETE FROM account_codes WHERE account_id = $1",
            &[account_id],
            "removing an unverified registration's codes",
        )
        .await?;
    }
    Ok(done.rows_affected() > 0)
}

/// Links a person to a business.
pub async fn insert_member(
    conn: &mut AnyConnection,
    business_id: &str,
    member_id: &str,
    relation: &str,
    now: &str,
) -> Result<(), DbError> {
    execute_texts(
        conn,
        "INSERT INTO business_members (business_id, member_id, relation, created_at) \
         VALUES ($1, $2, $3, $4)",
        &[business_id, member_id, relation, now],
        "linking a person to a business",
    )
    .await?;
    Ok(())
}

/// A business's account row with how a person is related to it.
#[derive(Debug, sqlx::FromRow)]
struct MemberRow {
    #[sqlx(flatten)]
    business: AccountRow,
    relation: String,
}

/// The businesses a person acts for, with the relation.
pub async fn businesses_of<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    member_id: &str,
) -> Result<Vec<(Account, String)>, DbError> {
    // The links are narrowed to the two columns needed first, so that the account's own
    // columns (created_at among them) are not ambiguous in the join.
    let rows = sqlx::query_as::<_, MemberRow>(&format!(
        "SELECT {ACCOUNT_COLUMNS}, relation FROM accounts \
         JOIN (SELECT business_id, relation FROM business_members WHERE member_id = $1) m \
         ON id = m.business_id ORDER BY full_name"
    ))
    .bind(member_id)
    .fetch_all(exec)
    .await
    .ctx("reading a person's businesses")?;
    Ok(rows.into_iter().map(|r| (Account::from(r.business), r.relation)).collect())
}

/// The name an account is shown by, found by how the audit log names its actor.
#[derive(Debug, sqlx::FromRow)]
struct NameRow {
    id: String,
    username: Option<String>,
    full_name: String,
}

/// Full names for audit-log actors: `account:<id>` for people without a login name, the login
/// name otherwise. Actors that are not accounts (clients, the platform) are simply absent.
pub async fn names_of_actors(
    db: &cqdt_platform::Db,
    actors: &[String],
) -> Result<std::collections::HashMap<String, String>, DbError> {
    let ids: Vec<&str> = actors.iter().filter_map(|a| a.strip_prefix("account:")).collect();
    let logins: Vec<&str> =
        actors.iter().filter(|a| !a.contains(':')).map(String::as_str).collect();
    let mut names = std::collections::HashMap::new();
    if ids.is_empty() && logins.is_empty() {
        return Ok(names);
    }
    let mut q =
        Sql::new(db.backend(), "SELECT id, username, full_name FROM accounts WHERE id IN (");
    let mut list = q.separated(", ");
    // An empty IN list is not valid SQL; '' matches no id.
    list.push_bind("");
    for id in &ids {
        list.push_bind(id.to_string());
    }
    q.push(") OR username IN (");
    let mut list = q.separated(", ");
    list.push_bind("");
    for login in &logins {
        list.push_bind(login.to_string());
    }
    q.push(")");
    let rows: Vec<NameRow> =
        q.build_query_as().fetch_all(db.pool()).await.ctx("reading account names")?;
    for r in rows {
        if let Some(u) = r.username {
            names.insert(u, r.full_name.clone());
        }
        names.insert(format!("account:{}", r.id), r.full_name);
    }
    Ok(names)
}

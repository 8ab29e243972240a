//! SQL for accounts, roles, business links, one-time codes, sessions, and the authorization
//! code flow's codes, refresh tokens and consents.

use cqdt_platform::{DbError, DbResultExt, Role, RoleGrant};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::account::{Account, AccountKind, AccountStatus, StoredGrant};

const ACCOUNT_COLUMNS: &str = "id, kind, status, personal_id, tax_code, username, full_name, \
     birth_date, gender, phone, email, address, agency_code, legal_representative, password_hash, \
     totp_secret, totp_enabled_at, totp_last_step, recovery_codes, failed_logins, locked_until, \
     vneid_subject, created_at, created_by, updated_at";

fn account_from_row(r: &AnyRow) -> Result<Account, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let status: String = r.try_get("status")?;
    let codes: String = r.try_get("recovery_codes")?;
    Ok(Account {
        id: r.try_get("id")?,
        // An unknown kind or status reads as a disabled citizen: it signs in nowhere.
        kind: AccountKind::parse(&kind).unwrap_or(AccountKind::Citizen),
        status: AccountStatus::parse(&status).unwrap_or(AccountStatus::Disabled),
        personal_id: r.try_get("personal_id")?,
        tax_code: r.try_get("tax_code")?,
        username: r.try_get("username")?,
        full_name: r.try_get("full_name")?,
        birth_date: r.try_get("birth_date")?,
        gender: r.try_get("gender")?,
        phone: r.try_get("phone")?,
        email: r.try_get("email")?,
        address: r.try_get("address")?,
        agency_code: r.try_get("agency_code")?,
        legal_representative: r.try_get("legal_representative")?,
        password_hash: r.try_get("password_hash")?,
        totp_secret: r.try_get("totp_secret")?,
        totp_enabled_at: r.try_get("totp_enabled_at")?,
        totp_last_step: r.try_get("totp_last_step")?,
        recovery_codes: serde_json::from_str(&codes).unwrap_or_default(),
        failed_logins: r.try_get("failed_logins")?,
        locked_until: r.try_get("locked_until")?,
        vneid_subject: r.try_get("vneid_subject")?,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Adds an account.
pub async fn insert_account(conn: &mut AnyConnection, a: &Account) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, \
         $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)"
    ))
    .bind(&a.id)
    .bind(a.kind.as_str())
    .bind(a.status.as_str())
    .bind(&a.personal_id)
    .bind(&a.tax_code)
    .bind(&a.username)
    .bind(&a.full_name)
    .bind(&a.birth_date)
    .bind(&a.gender)
    .bind(&a.phone)
    .bind(&a.email)
    .bind(&a.address)
    .bind(&a.agency_code)
    .bind(&a.legal_representative)
    .bind(&a.password_hash)
    .bind(&a.totp_secret)
    .bind(&a.totp_enabled_at)
    .bind(a.totp_last_step)
    .bind(serde_json::Value::from(a.recovery_codes.clone()).to_string())
    .bind(a.failed_logins)
    .bind(&a.locked_until)
    .bind(&a.vneid_subject)
    .bind(&a.created_at)
    .bind(&a.created_by)
    .bind(&a.updated_at)
    .execute(conn)
    .await
    .ctx("creating an account")?;
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
    .bind(serde_json::Value::from(a.recovery_codes.clone()).to_string())
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
    let row = sqlx::query(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {column} = $1"
    ))
    .bind(value)
    .fetch_optional(exec)
    .await
    .ctx("reading an account")?;
    row.as_ref()
        .map(account_from_row)
        .transpose()
        .ctx("reading an account")
}

/// Accounts matching a filter, newest first.
pub async fn search_accounts<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    kind: Option<AccountKind>,
    text: &str,
    limit: i64,
) -> Result<Vec<Account>, DbError> {
    let like = format!("%{}%", text.trim().to_lowercase());
    let rows = sqlx::query(&format!(
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
    rows.iter()
        .map(account_from_row)
        .collect::<Result<_, _>>()
        .ctx("searching accounts")
}

/// Role grants of an account.
pub async fn grants<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account_id: &str,
) -> Result<Vec<StoredGrant>, DbError> {
    let rows = sqlx::query(
        "SELECT role, agency_code, subtree, granted_at, granted_by FROM account_roles \
         WHERE account_id = $1 ORDER BY agency_code, role",
    )
    .bind(account_id)
    .fetch_all(exec)
    .await
    .ctx("reading roles")?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let role: String = r.try_get("role").ctx("reading roles")?;
        let Some(role) = Role::parse(&role) else {
            continue;
        };
        let subtree: i64 = r.try_get("subtree").ctx("reading roles")?;
        out.push(StoredGrant {
            grant: RoleGrant {
                role,
                agency: r.try_get("agency_code").ctx("reading roles")?,
                subtree: subtree != 0,
            },
            granted_at: r.try_get("granted_at").ctx("reading roles")?,
            granted_by: r.try_get("granted_by").ctx("reading roles")?,
        });
    }
    Ok(out)
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
    let done = sqlx::query(
        "DELETE FROM account_roles WHERE account_id = $1 AND role = $2 AND agency_code = $3",
    )
    .bind(account_id)
    .bind(role.as_str())
    .bind(agency)
    .execute(conn)
    .await
    .ctx("withdrawing a role")?;
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
    sqlx::query(
        "INSERT INTO business_members (business_id, member_id, relation, created_at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(business_id)
    .bind(member_id)
    .bind(relation)
    .bind(now)
    .execute(conn)
    .await
    .ctx("linking a person to a business")?;
    Ok(())
}

/// The businesses a person acts for, with the relation.
pub async fn businesses_of<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    member_id: &str,
) -> Result<Vec<(Account, String)>, DbError> {
    let cols = ACCOUNT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT {cols}, m.relation FROM business_members m JOIN accounts a ON a.id = m.business_id \
         WHERE m.member_id = $1 ORDER BY a.full_name"
    ))
    .bind(member_id)
    .fetch_all(exec)
    .await
    .ctx("reading a person's businesses")?;
    rows.iter()
        .map(|r| Ok((account_from_row(r)?, r.try_get("relation")?)))
        .collect::<Result<_, sqlx::Error>>()
        .ctx("reading a person's businesses")
}

/// A stored one-time code.
#[derive(Debug, Clone)]
pub struct CodeRow {
    /// Digest.
    pub code_hash: String,
    /// Whose.
    pub account_id: String,
    /// `verify` or `reset`.
    pub purpose: String,
    /// Wrong guesses so far.
    pub attempts: i64,
    /// Expiry.
    pub expires_at: String,
    /// When used.
    pub used_at: Option<String>,
}

/// Stores a one-time code, replacing the account's unused codes of the same purpose.
pub async fn insert_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    account_id: &str,
    purpose: &str,
    now: &str,
    expires_at: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM account_codes WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(account_id)
    .bind(purpose)
    .execute(&mut *conn)
    .await
    .ctx("replacing one-time codes")?;
    sqlx::query(
        "INSERT INTO account_codes (code_hash, account_id, purpose, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, 0, $4, $5)",
    )
    .bind(code_hash)
    .bind(account_id)
    .bind(purpose)
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await
    .ctx("storing a one-time code")?;
    Ok(())
}

fn code_from_row(r: &AnyRow) -> Result<CodeRow, sqlx::Error> {
    Ok(CodeRow {
        code_hash: r.try_get("code_hash")?,
        account_id: r.try_get("account_id")?,
        purpose: r.try_get("purpose")?,
        attempts: r.try_get("attempts")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
    })
}

/// The latest unused code of an account for a purpose.
pub async fn open_code(
    conn: &mut AnyConnection,
    account_id: &str,
    purpose: &str,
) -> Result<Option<CodeRow>, DbError> {
    let row = sqlx::query(
        "SELECT code_hash, account_id, purpose, attempts, expires_at, used_at FROM account_codes \
         WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL ORDER BY created_at DESC LIMIT 1",
    )
    .bind(account_id)
    .bind(purpose)
    .fetch_optional(conn)
    .await
    .ctx("reading a one-time code")?;
    row.as_ref()
        .map(code_from_row)
        .transpose()
        .ctx("reading a one-time code")
}

/// A code by its digest.
pub async fn code_by_hash(
    conn: &mut AnyConnection,
    code_hash: &str,
) -> Result<Option<CodeRow>, DbError> {
    let row = sqlx::query(
        "SELECT code_hash, account_id, purpose, attempts, expires_at, used_at FROM account_codes \
         WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(conn)
    .await
    .ctx("reading a one-time code")?;
    row.as_ref()
        .map(code_from_row)
        .transpose()
        .ctx("reading a one-time code")
}

/// Counts a wrong guess at a code.
pub async fn code_attempt(conn: &mut AnyConnection, code_hash: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE account_codes SET attempts = attempts + 1 WHERE code_hash = $1")
        .bind(code_hash)
        .execute(conn)
        .await
        .ctx("counting a code attempt")?;
    Ok(())
}

/// Marks a code used; false if it already was.
pub async fn use_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE account_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL",
    )
    .bind(code_hash)
    .bind(now)
    .execute(conn)
    .await
    .ctx("using a one-time code")?;
    Ok(done.rows_affected() == 1)
}

/// A browser session.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionRow {
    /// Digest of the cookie value.
    #[serde(skip)]
    pub id_hash: String,
    /// Id shown to the person and used in tokens' `sid`.
    pub public_id: String,
    /// Whose.
    pub account_id: String,
    /// `mfa`, `enroll` or `full`.
    pub stage: String,
    /// Methods used (`pwd`, `otp`, `vneid`), space-separated.
    pub amr: String,
    /// Started.
    pub created_at: String,
    /// When the person last authenticated.
    pub auth_time: String,
    /// Last request.
    pub last_seen_at: String,
    /// Absolute expiry.
    pub expires_at: String,
    /// Client address.
    pub ip: String,
    /// Browser.
    pub user_agent: String,
    /// When ended.
    pub revoked_at: Option<String>,
}

const SESSION_COLUMNS: &str = "id_hash, public_id, account_id, stage, amr, created_at, auth_time, \
     last_seen_at, expires_at, ip, user_agent, revoked_at";

fn session_from_row(r: &AnyRow) -> Result<SessionRow, sqlx::Error> {
    Ok(SessionRow {
        id_hash: r.try_get("id_hash")?,
        public_id: r.try_get("public_id")?,
        account_id: r.try_get("account_id")?,
        stage: r.try_get("stage")?,
        amr: r.try_get("amr")?,
        created_at: r.try_get("created_at")?,
        auth_time: r.try_get("auth_time")?,
        last_seen_at: r.try_get("last_seen_at")?,
        expires_at: r.try_get("expires_at")?,
        ip: r.try_get("ip")?,
        user_agent: r.try_get("user_agent")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Starts a session.
pub async fn insert_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO account_sessions ({SESSION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    ))
    .bind(&s.id_hash)
    .bind(&s.public_id)
    .bind(&s.account_id)
    .bind(&s.stage)
    .bind(&s.amr)
    .bind(&s.created_at)
    .bind(&s.auth_time)
    .bind(&s.last_seen_at)
    .bind(&s.expires_at)
    .bind(&s.ip)
    .bind(&s.user_agent)
    .bind(&s.revoked_at)
    .execute(conn)
    .await
    .ctx("starting a session")?;
    Ok(())
}

/// A session by the digest of its cookie.
pub async fn session<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id_hash: &str,
) -> Result<Option<SessionRow>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM account_sessions WHERE id_hash = $1"
    ))
    .bind(id_hash)
    .fetch_optional(exec)
    .await
    .ctx("reading a session")?;
    row.as_ref()
        .map(session_from_row)
        .transpose()
        .ctx("reading a session")
}

/// A session by its public id.
pub async fn session_by_public_id<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    public_id: &str,
) -> Result<Option<SessionRow>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM account_sessions WHERE public_id = $1"
    ))
    .bind(public_id)
    .fetch_optional(exec)
    .await
    .ctx("reading a session")?;
    row.as_ref()
        .map(session_from_row)
        .transpose()
        .ctx("reading a session")
}

/// The sessions of an account still open at `now`, newest first.
pub async fn open_sessions<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account_id: &str,
    now: &str,
) -> Result<Vec<SessionRow>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {SESSION_COLUMNS} FROM account_sessions WHERE account_id = $1 \
         AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC"
    ))
    .bind(account_id)
    .bind(now)
    .fetch_all(exec)
    .await
    .ctx("listing sessions")?;
    rows.iter()
        .map(session_from_row)
        .collect::<Result<_, _>>()
        .ctx("listing sessions")
}

/// Moves a session to another stage after a second factor, recording the methods.
pub async fn set_session_stage(
    conn: &mut AnyConnection,
    id_hash: &str,
    stage: &str,
    amr: &str,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE account_sessions SET stage = $2, amr = $3, auth_time = $4, last_seen_at = $4 \
         WHERE id_hash = $1",
    )
    .bind(id_hash)
    .bind(stage)
    .bind(amr)
    .bind(now)
    .execute(conn)
    .await
    .ctx("advancing a session")?;
    Ok(())
}

/// Records activity on a session.
pub async fn touch_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE account_sessions SET last_seen_at = $2 WHERE id_hash = $1")
        .bind(id_hash)
        .bind(now)
        .execute(conn)
        .await
        .ctx("touching a session")?;
    Ok(())
}

/// Ends one session of an account; false if it was not open.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    account_id: &str,
    public_id: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE account_sessions SET revoked_at = $3 WHERE account_id = $1 AND public_id = $2 \
         AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(public_id)
    .bind(now)
    .execute(conn)
    .await
    .ctx("ending a session")?;
    Ok(done.rows_affected() > 0)
}

/// Ends every open session of an account (password reset, account disabled).
pub async fn revoke_all_sessions(
    conn: &mut AnyConnection,
    account_id: &str,
    now: &str,
) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE account_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
    )
    .bind(account_id)
    .bind(now)
    .execute(conn)
    .await
    .ctx("ending sessions")?;
    Ok(done.rows_affected())
}

/// An authorization code as stored.
#[derive(Debug, Clone)]
pub struct AuthCodeRow {
    /// Digest of the code.
    pub code_hash: String,
    /// Client.
    pub client_id: String,
    /// Person.
    pub account_id: String,
    /// Session (public id).
    pub session_id: String,
    /// Exact redirect URI of the request.
    pub redirect_uri: String,
    /// Granted scope.
    pub scope: String,
    /// The client's nonce.
    pub nonce: Option<String>,
    /// PKCE S256 challenge.
    pub code_challenge: String,
    /// When the person authenticated.
    pub auth_time: String,
    /// Methods.
    pub amr: String,
    /// Token family.
    pub family: String,
    /// Issued.
    pub created_at: String,
    /// Expiry.
    pub expires_at: String,
    /// Redeemed.
    pub used_at: Option<String>,
}

/// Stores a code.
pub async fn insert_auth_code(conn: &mut AnyConnection, c: &AuthCodeRow) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO oauth_codes (code_hash, client_id, account_id, session_id, redirect_uri, \
         scope, nonce, code_challenge, auth_time, amr, family, created_at, expires_at, used_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&c.code_hash)
    .bind(&c.client_id)
    .bind(&c.account_id)
    .bind(&c.session_id)
    .bind(&c.redirect_uri)
    .bind(&c.scope)
    .bind(&c.nonce)
    .bind(&c.code_challenge)
    .bind(&c.auth_time)
    .bind(&c.amr)
    .bind(&c.family)
    .bind(&c.created_at)
    .bind(&c.expires_at)
    .bind(&c.used_at)
    .execute(conn)
    .await
    .ctx("storing an authorization code")?;
    Ok(())
}

/// A code by digest.
pub async fn auth_code(
    conn: &mut AnyConnection,
    code_hash: &str,
) -> Result<Option<AuthCodeRow>, DbError> {
    let row = sqlx::query(
        "SELECT code_hash, client_id, account_id, session_id, redirect_uri, scope, nonce, \
         code_challenge, auth_time, amr, family, created_at, expires_at, used_at \
         FROM oauth_codes WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(conn)
    .await
    .ctx("reading an authorization code")?;
    let Some(r) = row else { return Ok(None) };
    let read = || -> Result<AuthCodeRow, sqlx::Error> {
        Ok(AuthCodeRow {
            code_hash: r.try_get("code_hash")?,
            client_id: r.try_get("client_id")?,
            account_id: r.try_get("account_id")?,
            session_id: r.try_get("session_id")?,
            redirect_uri: r.try_get("redirect_uri")?,
            scope: r.try_get("scope")?,
            nonce: r.try_get("nonce")?,
            code_challenge: r.try_get("code_challenge")?,
            auth_time: r.try_get("auth_time")?,
            amr: r.try_get("amr")?,
            family: r.try_get("family")?,
            created_at: r.try_get("created_at")?,
            expires_at: r.try_get("expires_at")?,
            used_at: r.try_get("used_at")?,
        })
    };
    read().map(Some).ctx("reading an authorization code")
}

/// Marks a code redeemed; false if it already was (a replay).
pub async fn use_auth_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE oauth_codes SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL")
            .bind(code_hash)
            .bind(now)
            .execute(conn)
            .await
            .ctx("redeeming an authorization code")?;
    Ok(done.rows_affected() == 1)
}

/// A refresh token as stored.
#[derive(Debug, Clone)]
pub struct RefreshRow {
    /// Digest.
    pub token_hash: String,
    /// Family (one per authorization).
    pub family: String,
    /// Client.
    pub client_id: String,
    /// Person.
    pub account_id: String,
    /// Session (public id).
    pub session_id: String,
    /// Scope.
    pub scope: String,
    /// When the person authenticated.
    pub auth_time: String,
    /// Methods.
    pub amr: String,
    /// The access token issued with it.
    pub access_jti: String,
    /// That token's expiry.
    pub access_exp: String,
    /// Issued.
    pub created_at: String,
    /// Expiry.
    pub expires_at: String,
    /// Exchanged.
    pub used_at: Option<String>,
    /// Revoked.
    pub revoked_at: Option<String>,
}

const REFRESH_COLUMNS: &str = "token_hash, family, client_id, account_id, session_id, scope, \
     auth_time, amr, access_jti, access_exp, created_at, expires_at, used_at, revoked_at";

fn refresh_from_row(r: &AnyRow) -> Result<RefreshRow, sqlx::Error> {
    Ok(RefreshRow {
        token_hash: r.try_get("token_hash")?,
        family: r.try_get("family")?,
        client_id: r.try_get("client_id")?,
        account_id: r.try_get("account_id")?,
        session_id: r.try_get("session_id")?,
        scope: r.try_get("scope")?,
        auth_time: r.try_get("auth_time")?,
        amr: r.try_get("amr")?,
        access_jti: r.try_get("access_jti")?,
        access_exp: r.try_get("access_exp")?,
        created_at: r.try_get("created_at")?,
        expires_at: r.try_get("expires_at")?,
        used_at: r.try_get("used_at")?,
        revoked_at: r.try_get("revoked_at")?,
    })
}

/// Stores a refresh token.
pub async fn insert_refresh(conn: &mut AnyConnection, t: &RefreshRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO oauth_refresh_tokens ({REFRESH_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&t.token_hash)
    .bind(&t.family)
    .bind(&t.client_id)
    .bind(&t.account_id)
    .bind(&t.session_id)
    .bind(&t.scope)
    .bind(&t.auth_time)
    .bind(&t.amr)
    .bind(&t.access_jti)
    .bind(&t.access_exp)
    .bind(&t.created_at)
    .bind(&t.expires_at)
    .bind(&t.used_at)
    .bind(&t.revoked_at)
    .execute(conn)
    .await
    .ctx("storing a refresh token")?;
    Ok(())
}

/// A refresh token by digest.
pub async fn refresh(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<RefreshRow>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {REFRESH_COLUMNS} FROM oauth_refresh_tokens WHERE token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(conn)
    .await
    .ctx("reading a refresh token")?;
    row.as_ref()
        .map(refresh_from_row)
        .transpose()
        .ctx("reading a refresh token")
}

/// Marks a refresh token exchanged; false if it already was (a replay).
pub async fn use_refresh(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE oauth_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
         AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .bind(now)
    .execute(conn)
    .await
    .ctx("exchanging a refresh token")?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every refresh token of a family and returns the access tokens issued with them
/// (jti, expiry) that have not expired, to revoke those too.
pub async fn revoke_family(
    conn: &mut AnyConnection,
    family: &str,
    now: &str,
) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query(
        "UPDATE oauth_refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
    )
    .bind(family)
    .bind(now)
    .execute(&mut *conn)
    .await
    .ctx("revoking a token family")?;
    let rows = sqlx::query(
        "SELECT access_jti, access_exp FROM oauth_refresh_tokens WHERE family = $1 AND access_exp > $2",
    )
    .bind(family)
    .bind(now)
    .fetch_all(conn)
    .await
    .ctx("revoking a token family")?;
    rows.iter()
        .map(|r| Ok((r.try_get("access_jti")?, r.try_get("access_exp")?)))
        .collect::<Result<_, sqlx::Error>>()
        .ctx("revoking a token family")
}

/// The families of refresh tokens tied to a session, to end them at logout.
pub async fn families_of_session(
    conn: &mut AnyConnection,
    session_id: &str,
) -> Result<Vec<String>, DbError> {
    sqlx::query_scalar(
        "SELECT DISTINCT family FROM oauth_refresh_tokens WHERE session_id = $1 AND revoked_at IS NULL",
    )
    .bind(session_id)
    .fetch_all(conn)
    .await
    .ctx("finding a session's tokens")
}

/// The scope a person consented to for a client, if any.
pub async fn consent<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account_id: &str,
    client_id: &str,
) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT scope FROM oauth_consents WHERE account_id = $1 AND client_id = $2")
        .bind(account_id)
        .bind(client_id)
        .fetch_optional(exec)
        .await
        .ctx("reading a consent")
}

/// Records (or widens) a consent.
pub async fn put_consent(
    conn: &mut AnyConnection,
    account_id: &str,
    client_id: &str,
    scope: &str,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM oauth_consents WHERE account_id = $1 AND client_id = $2")
        .bind(account_id)
        .bind(client_id)
        .execute(&mut *conn)
        .await
        .ctx("recording a consent")?;
    sqlx::query(
        "INSERT INTO oauth_consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(account_id)
    .bind(client_id)
    .bind(scope)
    .bind(now)
    .execute(conn)
    .await
    .ctx("recording a consent")?;
    Ok(())
}

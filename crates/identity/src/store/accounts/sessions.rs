//! Browser sessions (`account_sessions`).

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::{Any, AnyConnection, Executor};

use crate::store::{execute_texts, row_by_key};

/// A browser session.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
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

/// Starts a session.
pub async fn insert_session(conn: &mut AnyConnection, s: &SessionRow) -> Result<(), DbError> {
    let mut q = Sql::on(conn, format!("INSERT INTO account_sessions ({SESSION_COLUMNS}) "));
    q.push_values([s], |mut row, s| {
        row.push_bind(&s.id_hash)
            .push_bind(&s.public_id)
            .push_bind(&s.account_id)
            .push_bind(&s.stage)
            .push_bind(&s.amr)
            .push_bind(&s.created_at)
            .push_bind(&s.auth_time)
            .push_bind(&s.last_seen_at)
            .push_bind(&s.expires_at)
            .push_bind(&s.ip)
            .push_bind(&s.user_agent)
            .push_bind(&s.revoked_at);
    });
    q.build().execute(conn).await.ctx("starting a session")?;
    Ok(())
}

/// A session by the digest of its cookie.
pub async fn session<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id_hash: &str,
) -> Result<Option<SessionRow>, DbError> {
    session_by(exec, "id_hash", id_hash).await
}

/// A session by its public id.
pub async fn session_by_public_id<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    public_id: &str,
) -> Result<Option<SessionRow>, DbError> {
    session_by(exec, "public_id", public_id).await
}

async fn session_by<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    column: &'static str,
    value: &str,
) -> Result<Option<SessionRow>, DbError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM account_sessions WHERE {column} = $1");
    row_by_key(exec, &sql, value, "reading a session").await
}

/// The sessions of an account still open at `now`, newest first.
pub async fn open_sessions<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account_id: &str,
    now: &str,
) -> Result<Vec<SessionRow>, DbError> {
    sqlx::query_as::<_, SessionRow>(&format!(
        "SELECT {SESSION_COLUMNS} FROM account_sessions WHERE account_id = $1 \
         AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC"
    ))
    .bind(account_id)
    .bind(now)
    .fetch_all(exec)
    .await
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
    execute_texts(
        conn,
        "UPDATE account_sessions SET stage = $2, amr = $3, auth_time = $4, last_seen_at = $4 \
         WHERE id_hash = $1",
        &[id_hash, stage, amr, now],
        "advancing a session",
    )
    .await?;
    Ok(())
}

/// Records activity on a session.
pub async fn touch_session(
    conn: &mut AnyConnection,
    id_hash: &str,
    now: &str,
) -> Result<(), DbError> {
    execute_texts(
        conn,
        "UPDATE account_sessions SET last_seen_at = $2 WHERE id_hash = $1",
        &[id_hash, now],
        "touching a session",
    )
    .await?;
    Ok(())
}

/// Ends one session of an account; false if it was not open.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    account_id: &str,
    public_id: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done = execute_texts(
        conn,
        "UPDATE account_sessions SET revoked_at = $3 WHERE account_id = $1 AND public_id = $2 \
         AND revoked_at IS NULL",
        &[account_id, public_id, now],
        "ending a session",
    )
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends every open session of an account (password reset, account disabled).
pub async fn revoke_all_sessions(
    conn: &mut AnyConnection,
    account_id: &str,
    now: &str,
) -> Result<u64, DbError> {
    let done = execute_texts(
        conn,
        "UPDATE account_sessions SET revoked_at = $2 WHERE account_id = $1 AND revoked_at IS NULL",
        &[account_id, now],
        "ending sessions",
    )
    .await?;
    Ok(done.rows_affected())
}

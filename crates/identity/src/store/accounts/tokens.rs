//! The authorization code flow's records: codes (`oauth_codes`), refresh tokens
//! (`oauth_refresh_tokens`) and consents (`oauth_consents`).

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::{Any, AnyConnection, Executor};

use crate::store::{execute_texts, row_by_key, use_once};

/// An authorization code as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
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

const AUTH_CODE_COLUMNS: &str = "code_hash, client_id, account_id, session_id, redirect_uri, \
     scope, nonce, code_challenge, auth_time, amr, family, created_at, expires_at, used_at";

/// Stores a code.
pub async fn insert_auth_code(conn: &mut AnyConnection, c: &AuthCodeRow) -> Result<(), DbError> {
    let mut q = Sql::on(conn, format!("INSERT INTO oauth_codes ({AUTH_CODE_COLUMNS}) "));
    q.push_values([c], |mut row, c| {
        row.push_bind(&c.code_hash)
            .push_bind(&c.client_id)
            .push_bind(&c.account_id)
            .push_bind(&c.session_id)
            .push_bind(&c.redirect_uri)
            .push_bind(&c.scope)
            .push_bind(&c.nonce)
            .push_bind(&c.code_challenge)
            .push_bind(&c.auth_time)
            .push_bind(&c.amr)
            .push_bind(&c.family)
            .push_bind(&c.created_at)
            .push_bind(&c.expires_at)
            .push_bind(&c.used_at);
    });
    q.build().execute(conn).await.ctx("storing an authorization code")?;
    Ok(())
}

/// A code by digest.
pub async fn auth_code(
    conn: &mut AnyConnection,
    code_hash: &str,
) -> Result<Option<AuthCodeRow>, DbError> {
    let sql = format!("SELECT {AUTH_CODE_COLUMNS} FROM oauth_codes WHERE code_hash = $1");
    row_by_key(conn, &sql, code_hash, "reading an authorization code").await
}

/// Marks a code redeemed; false if it already was (a replay).
pub async fn use_auth_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    now: &str,
) -> Result<bool, DbError> {
    use_once(conn, "oauth_codes", code_hash, now, "redeeming an authorization code").await
}

/// A refresh token as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
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

/// Stores a refresh token.
pub async fn insert_refresh(conn: &mut AnyConnection, t: &RefreshRow) -> Result<(), DbError> {
    let mut q = Sql::on(conn, format!("INSERT INTO oauth_refresh_tokens ({REFRESH_COLUMNS}) "));
    q.push_values([t], |mut row, t| {
        row.push_bind(&t.token_hash)
            .push_bind(&t.family)
            .push_bind(&t.client_id)
            .push_bind(&t.account_id)
            .push_bind(&t.session_id)
            .push_bind(&t.scope)
            .push_bind(&t.auth_time)
            .push_bind(&t.amr)
            .push_bind(&t.access_jti)
            .push_bind(&t.access_exp)
            .push_bind(&t.created_at)
            .push_bind(&t.expires_at)
            .push_bind(&t.used_at)
            .push_bind(&t.revoked_at);
    });
    q.build().execute(conn).await.ctx("storing a refresh token")?;
    Ok(())
}

/// A refresh token by digest.
pub async fn refresh(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<RefreshRow>, DbError> {
    let sql = format!("SELECT {REFRESH_COLUMNS} FROM oauth_refresh_tokens WHERE token_hash = $1");
    row_by_key(conn, &sql, token_hash, "reading a refresh token").await
}

/// Marks a refresh token exchanged; false if it already was (a replay).
pub async fn use_refresh(
    conn: &mut AnyConnection,
    token_hash: &str,
    now: &str,
) -> Result<bool, DbError> {
    let done = execute_texts(
        conn,
        "UPDATE oauth_refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
         AND revoked_at IS NULL",
        &[token_hash, now],
        "exchanging a refresh token",
    )
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every refresh token of a family and returns the access tokens issued with them
/// (jti, expiry) that have not expired, to revoke those too.
pub async fn revoke_family(
    conn: &mut AnyConnection,
    family: &str,
    now: &str,
) -> Result<Vec<(String, String)>, DbError> {
    execute_texts(
        &mut *conn,
        "UPDATE oauth_refresh_tokens SET revoked_at = $2 WHERE family = $1 AND revoked_at IS NULL",
        &[family, now],
        "revoking a token family",
    )
    .await?;
    sqlx::query_as::<_, (String, String)>(
        "SELECT access_jti, access_exp FROM oauth_refresh_tokens WHERE family = $1 AND access_exp > $2",
    )
    .bind(family)
    .bind(now)
    .fetch_all(conn)
    .await
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
    execute_texts(
        &mut *conn,
        "DELETE FROM oauth_consents WHERE account_id = $1 AND client_id = $2",
        &[account_id, client_id],
        "recording a consent",
    )
    .await?;
    execute_texts(conn, "INSERT INTO oauth_consents (account_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4)", &[account_id, client_id, scope, now], "recording a consent").await?;
    Ok(())
}

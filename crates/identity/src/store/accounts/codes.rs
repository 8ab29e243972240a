//! One-time codes and links (`account_codes`): verification codes and reset links.

use cqdt_platform::{DbError, DbResultExt};
use sqlx::AnyConnection;

use crate::store::{execute_texts, row_by_key, use_once};

/// A stored one-time code.
#[derive(Debug, Clone, sqlx::FromRow)]
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

const CODE_COLUMNS: &str = "code_hash, account_id, purpose, attempts, expires_at, used_at";

/// Stores a one-time code, replacing the account's unused codes of the same purpose.
pub async fn insert_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    account_id: &str,
    purpose: &str,
    now: &str,
    expires_at: &str,
) -> Result<(), DbError> {
    execute_texts(
        &mut *conn,
        "DELETE FROM account_codes WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL",
        &[account_id, purpose],
        "replacing one-time codes",
    )
    .await?;
    execute_texts(conn, "INSERT INTO account_codes (code_hash, account_id, purpose, attempts, created_at, expires_at) \
         VALUES ($1, $2, $3, 0, $4, $5)", &[code_hash, account_id, purpose, now, expires_at], "storing a one-time code").await?;
    Ok(())
}

/// The latest unused code of an account for a purpose.
pub async fn open_code(
    conn: &mut AnyConnection,
    account_id: &str,
    purpose: &str,
) -> Result<Option<CodeRow>, DbError> {
    sqlx::query_as::<_, CodeRow>(&format!(
        "SELECT {CODE_COLUMNS} FROM account_codes WHERE account_id = $1 AND purpose = $2 \
         AND used_at IS NULL ORDER BY created_at DESC LIMIT 1"
    ))
    .bind(account_id)
    .bind(purpose)
    .fetch_optional(conn)
    .await
    .ctx("reading a one-time code")
}

/// A code by its digest.
pub async fn code_by_hash(
    conn: &mut AnyConnection,
    code_hash: &str,
) -> Result<Option<CodeRow>, DbError> {
    let sql = format!("SELECT {CODE_COLUMNS} FROM account_codes WHERE code_hash = $1");
    row_by_key(conn, &sql, code_hash, "reading a one-time code").await
}

/// Counts a wrong guess at a code.
pub async fn code_attempt(conn: &mut AnyConnection, code_hash: &str) -> Result<(), DbError> {
    execute_texts(
        conn,
        "UPDATE account_codes SET attempts = attempts + 1 WHERE code_hash = $1",
        &[code_hash],
        "counting a code attempt",
    )
    .await?;
    Ok(())
}

/// Marks a code used; false if it already was.
pub async fn use_code(
    conn: &mut AnyConnection,
    code_hash: &str,
    now: &str,
) -> Result<bool, DbError> {
    use_once(conn, "account_codes", code_hash, now, "using a one-time code").await
}

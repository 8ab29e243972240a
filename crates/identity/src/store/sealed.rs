//! SQL for the sealed columns: TOTP secrets (`accounts.totp_secret`) and signing keys' private
//! parts (`oidc_signing_keys.private_key_pkcs8`), read and rewritten when they are sealed for
//! the first time or under a new key-encryption key.

use cqdt_platform::{Db, DbError, DbResultExt};
use sqlx::AnyConnection;

use crate::store::execute_texts;

/// A sealed column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    /// `accounts.totp_secret`, by account id.
    TotpSecret,
    /// `oidc_signing_keys.private_key_pkcs8`, by kid.
    PrivateKey,
}

impl SealedColumn {
    fn sql(self) -> (&'static str, &'static str, &'static str) {
        match self {
            SealedColumn::TotpSecret => ("accounts", "id", "totp_secret"),
            SealedColumn::PrivateKey => ("oidc_signing_keys", "kid", "private_key_pkcs8"),
        }
    }

    /// The associated data a value of this column is sealed with: column and row.
    pub fn context(self, row: &str) -> String {
        let (table, _, column) = self.sql();
        format!("{table}.{column}:{row}")
    }
}

/// The stored values of a column: (row key, value); only those still in clear when
/// `clear_only`.
pub async fn values(
    db: &Db,
    column: SealedColumn,
    clear_only: bool,
) -> Result<Vec<(String, String)>, DbError> {
    let (table, key, col) = column.sql();
    let filter = if clear_only { format!(" AND {col} NOT LIKE 'sealed:%'") } else { String::new() };
    let rows: Vec<(String, String)> = sqlx::query_as(&format!(
        "SELECT {key}, {col} FROM {table} WHERE {col} IS NOT NULL{filter} ORDER BY {key}"
    ))
    .fetch_all(db.pool())
    .await
    .ctx("reading sealed secrets")?;
    Ok(rows)
}

/// Replaces a value if it is still `old` (another node may have resealed it meanwhile); true
/// when replaced.
pub async fn replace(
    conn: &mut AnyConnection,
    column: SealedColumn,
    row: &str,
    old: &str,
    new: &str,
) -> Result<bool, DbError> {
    let (table, key, col) = column.sql();
    let sql = format!("UPDATE {table} SET {col} = $1 WHERE {key} = $2 AND {col} = $3");
    let done = execute_texts(conn, &sql, &[new, row, old], "resealing a secret").await?;
    Ok(done.rows_affected() == 1)
}

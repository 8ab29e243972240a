//! SQL for the procedures module's own tables: `procedures`, `procedure_versions`.

use cqdt_platform::{Db, DbError, DbResultExt};
use sqlx::AnyConnection;

/// A stored procedure row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRow {
    /// Provincial code.
    pub code: String,
    /// Status.
    pub status: String,
    /// Version number (1 for the first).
    pub version: i64,
    /// JSON document.
    pub doc: String,
    /// Last change.
    pub updated_at: String,
    /// By whom.
    pub updated_by: String,
}

const COLUMNS: &str = "code, status, version, doc, updated_at, updated_by";

/// One procedure.
pub async fn get(conn: &mut AnyConnection, code: &str) -> Result<Option<StoredRow>, DbError> {
    sqlx::query_as::<_, StoredRow>(&format!("SELECT {COLUMNS} FROM procedures WHERE code = $1"))
        .bind(code)
        .fetch_optional(conn)
        .await
        .ctx("reading a procedure")
}

/// Every procedure, or those with a status, by code.
pub async fn list(db: &Db, status: Option<&str>) -> Result<Vec<StoredRow>, DbError> {
    sqlx::query_as::<_, StoredRow>(&format!(
        "SELECT {COLUMNS} FROM procedures WHERE ($1 = '' OR status = $1) ORDER BY code"
    ))
    .bind(status.unwrap_or(""))
    .fetch_all(db.pool())
    .await
    .ctx("listing procedures")
}

/// What a write stores.
pub struct Write<'a> {
    /// Provincial code.
    pub code: &'a str,
    /// National code.
    pub national_code: &'a str,
    /// Name.
    pub name: &'a str,
    /// Field code.
    pub field_code: &'a str,
    /// Status.
    pub status: &'a str,
    /// New version number.
    pub version: i64,
    /// JSON document.
    pub doc: &'a str,
    /// What happened (create, update, publish, retire, import).
    pub action: &'a str,
    /// When.
    pub at: &'a str,
    /// Who.
    pub by: &'a str,
}

/// Inserts or replaces a procedure and records the version.
pub async fn put(conn: &mut AnyConnection, w: &Write<'_>) -> Result<(), DbError> {
    sqlx::query("DELETE FROM procedures WHERE code = $1")
        .bind(w.code)
        .execute(&mut *conn)
        .await
        .ctx("writing a procedure")?;
    sqlx::query(
        "INSERT INTO procedures (code, national_code, name, field_code, status, version, doc, \
         updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(w.code)
    .bind(w.national_code)
    .bind(w.name)
    .bind(w.field_code)
    .bind(w.status)
    .bind(w.version)
    .bind(w.doc)
    .bind(w.at)
    .bind(w.by)
    .execute(&mut *conn)
    .await
    .ctx("writing a procedure")?;
    sqlx::query(
        "INSERT INTO procedure_versions (code, version, status, action, doc, changed_at, changed_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(w.code)
    .bind(w.version)
    .bind(w.status)
    .bind(w.action)
    .bind(w.doc)
    .bind(w.at)
    .bind(w.by)
    .execute(conn)
    .await
    .ctx("recording a procedure version")?;
    Ok(())
}

/// A recorded version.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = ProcedureVersion)]
pub struct Version {
    /// Number.
    pub version: i64,
    /// Status after the change.
    pub status: String,
    /// What happened.
    pub action: String,
    /// When.
    pub changed_at: String,
    /// Who.
    pub changed_by: String,
    /// The procedure as it was after the change (JSON); the API lists versions without it.
    #[serde(skip)]
    pub doc: String,
}

/// The versions of a procedure, newest first.
pub async fn versions(db: &Db, code: &str) -> Result<Vec<Version>, DbError> {
    sqlx::query_as::<_, Version>(
        "SELECT version, status, action, changed_at, changed_by, doc FROM procedure_versions \
         WHERE code = $1 ORDER BY version DESC",
    )
    .bind(code)
    .fetch_all(db.pool())
    .await
    .ctx("reading procedure versions")
}

/// A search synonym as stored (`search_synonyms`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SynonymRow {
    /// The term people type, folded.
    pub term: String,
    /// The words it stands for, as written.
    pub expansion: String,
    /// Last change.
    pub updated_at: String,
    /// By whom.
    pub updated_by: String,
}

/// Every search synonym, by term.
pub async fn synonyms(db: &Db) -> Result<Vec<SynonymRow>, DbError> {
    sqlx::query_as::<_, SynonymRow>(
        "SELECT term, expansion, updated_at, updated_by FROM search_synonyms ORDER BY term",
    )
    .fetch_all(db.pool())
    .await
    .ctx("reading search synonyms")
}

/// Adds a synonym or replaces the expansion of its term.
pub async fn put_synonym(conn: &mut AnyConnection, row: &SynonymRow) -> Result<(), DbError> {
    sqlx::query("DELETE FROM search_synonyms WHERE term = $1")
        .bind(&row.term)
        .execute(&mut *conn)
        .await
        .ctx("writing a search synonym")?;
    sqlx::query(
        "INSERT INTO search_synonyms (term, expansion, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(&row.term)
    .bind(&row.expansion)
    .bind(&row.updated_at)
    .bind(&row.updated_by)
    .execute(conn)
    .await
    .ctx("writing a search synonym")?;
    Ok(())
}

/// Removes a synonym; whether there was one.
pub async fn delete_synonym(conn: &mut AnyConnection, term: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM search_synonyms WHERE term = $1")
        .bind(term)
        .execute(conn)
        .await
        .ctx("removing a search synonym")?;
    Ok(done.rows_affected() > 0)
}

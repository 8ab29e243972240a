//! SQL for the catalog tables: catalogs, catalog_entries, catalog_successors.

use chrono::NaiveDate;
use cqdt_platform::{Db, DbError, DbResultExt};
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::model::{CatalogMeta, CodeKind, Entry};

const ENTRY_COLUMNS: &str =
    "id, code, name, parent_code, path, depth, data, valid_from, valid_to, \
                             sample, recorded_at, recorded_by, superseded_at";

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn iso(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

fn entry_from_row(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    let data: String = r.try_get("data")?;
    Ok(Entry {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent: r.try_get("parent_code")?,
        path: r.try_get("path")?,
        level: r.try_get("depth")?,
        data: serde_json::from_str::<Map<String, Value>>(&data).unwrap_or_default(),
        valid_from: date(r.try_get("valid_from")?),
        valid_to: date(r.try_get("valid_to")?),
        sample: r.try_get::<i64, _>("sample")? != 0,
        recorded_at: r.try_get("recorded_at")?,
        recorded_by: r.try_get("recorded_by")?,
        superseded_at: r.try_get("superseded_at")?,
    })
}

fn entries(rows: &[AnyRow]) -> Result<Vec<Entry>, DbError> {
    rows.iter()
        .map(entry_from_row)
        .collect::<Result<_, _>>()
        .ctx("decoding catalog entries")
}

fn meta_from_row(r: &AnyRow) -> Result<CatalogMeta, sqlx::Error> {
    let fields: String = r.try_get("fields")?;
    let kind: String = r.try_get("code_kind")?;
    Ok(CatalogMeta {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        source: r.try_get("source")?,
        fields: serde_json::from_str(&fields).unwrap_or_default(),
        code_kind: CodeKind::parse(&kind).unwrap_or(CodeKind::Text),
        builtin: r.try_get::<i64, _>("builtin")? != 0,
    })
}

/// Registers a catalog.
pub async fn insert_catalog(
    conn: &mut AnyConnection,
    m: &CatalogMeta,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO catalogs (code, name, description, source, fields, code_kind, builtin, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(&m.code)
    .bind(&m.name)
    .bind(&m.description)
    .bind(&m.source)
    .bind(serde_json::to_string(&m.fields).unwrap_or_else(|_| "[]".into()))
    .bind(m.code_kind.as_str())
    .bind(i64::from(m.builtin))
    .bind(now)
    .execute(conn)
    .await
    .ctx("registering catalog")?;
    Ok(())
}

/// One catalog's metadata.
pub async fn get_catalog(db: &Db, code: &str) -> Result<Option<CatalogMeta>, DbError> {
    let row = sqlx::query(
        "SELECT code, name, description, source, fields, code_kind, builtin FROM catalogs WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(db.pool())
    .await
    .ctx("reading catalog")?;
    row.map(|r| meta_from_row(&r))
        .transpose()
        .ctx("decoding catalog")
}

/// Every catalog with its number of recorded-current entries.
pub async fn list_catalogs(db: &Db) -> Result<Vec<(CatalogMeta, i64)>, DbError> {
    let rows = sqlx::query(
        "SELECT c.code, c.name, c.description, c.source, c.fields, c.code_kind, c.builtin, \
         (SELECT COUNT(*) FROM catalog_entries e WHERE e.catalog = c.code AND e.superseded_at IS NULL) AS n \
         FROM catalogs c ORDER BY c.code",
    )
    .fetch_all(db.pool())
    .await
    .ctx("listing catalogs")?;
    rows.iter()
        .map(|r| Ok((meta_from_row(r)?, r.try_get::<i64, _>("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding catalogs")
}

/// A row to insert.
pub struct NewEntry<'a> {
    /// Code.
    pub code: &'a str,
    /// Name.
    pub name: &'a str,
    /// Parent code.
    pub parent: Option<&'a str>,
    /// Materialised path.
    pub path: String,
    /// Extra fields as JSON text.
    pub data: String,
    /// In force from.
    pub valid_from: Option<NaiveDate>,
    /// In force until.
    pub valid_to: Option<NaiveDate>,
    /// Sample flag.
    pub sample: bool,
}

/// Inserts entries in batches of multi-row INSERTs; returns the ids in order.
pub async fn insert_entries(
    conn: &mut AnyConnection,
    catalog: &str,
    rows: &[NewEntry<'_>],
    actor: &str,
    now: &str,
) -> Result<Vec<i64>, DbError> {
    const COLS: usize = 13;
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(400) {
        let mut sql = String::from(
            "INSERT INTO catalog_entries (catalog, code, name, name_folded, parent_code, path, depth, data, \
             valid_from, valid_to, sample, recorded_at, recorded_by) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            let b = i * COLS;
            let params: Vec<String> = (1..=COLS).map(|k| format!("${}", b + k)).collect();
            sql.push('(');
            sql.push_str(&params.join(", "));
            sql.push(')');
        }
        sql.push_str(" RETURNING id");
        let mut q = sqlx::query_scalar::<_, i64>(&sql);
        for e in chunk {
            q = q
                .bind(catalog)
                .bind(e.code)
                .bind(e.name)
                .bind(cqdt_platform::web::fold(e.name))
                .bind(e.parent)
                .bind(e.path.clone())
                .bind(e.path.split('/').count() as i64)
                .bind(e.data.clone())
                .bind(iso(e.valid_from))
                .bind(iso(e.valid_to))
                .bind(i64::from(e.sample))
                .bind(now)
                .bind(actor);
        }
        ids.extend(
            q.fetch_all(&mut *conn)
                .await
                .ctx("inserting catalog entries")?,
        );
    }
    Ok(ids)
}

/// Marks a version as replaced by a later one.
pub async fn supersede(
    conn: &mut AnyConnection,
    id: i64,
    by: i64,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE catalog_entries SET superseded_at = $1, superseded_by = $2 WHERE id = $3 AND superseded_at IS NULL")
        .bind(now)
        .bind(by)
        .bind(id)
        .execute(conn)
        .await
        .ctx("superseding catalog entry")?;
    Ok(())
}

/// Records successor links.
pub async fn insert_successors(
    conn: &mut AnyConnection,
    catalog: &str,
    links: &[(String, String)],
    effective: NaiveDate,
) -> Result<(), DbError> {
    for chunk in links.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO catalog_successors (catalog, from_code, to_code, effective) VALUES ",
        );
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${}, ${}, $2)", 3 + 2 * i, 4 + 2 * i));
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut q = sqlx::query(&sql)
            .bind(catalog)
            .bind(effective.format("%Y-%m-%d").to_string());
        for (from, to) in chunk {
            q = q.bind(from).bind(to);
        }
        q.execute(&mut *conn).await.ctx("recording successors")?;
    }
    Ok(())
}

/// Successors of a code: (to_code, effective).
pub async fn successors(
    db: &Db,
    catalog: &str,
    code: &str,
) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as(
        "SELECT to_code, effective FROM catalog_successors WHERE catalog = $1 AND from_code = $2 ORDER BY to_code",
    )
    .bind(catalog)
    .bind(code)
    .fetch_all(db.pool())
    .await
    .ctx("reading successors")
}

/// Predecessors of a code: (from_code, effective).
pub async fn predecessors(
    db: &Db,
    catalog: &str,
    code: &str,
) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as(
        "SELECT from_code, effective FROM catalog_successors WHERE catalog = $1 AND to_code = $2 ORDER BY from_code",
    )
    .bind(catalog)
    .bind(code)
    .fetch_all(db.pool())
    .await
    .ctx("reading predecessors")
}

/// Search criteria for entries (recorded-current versions only).
#[derive(Debug, Default, Clone)]
pub struct EntryFilter {
    /// Direct children of this code.
    pub parent: Option<String>,
    /// Only entries without a parent.
    pub roots: bool,
    /// Every descendant of this code.
    pub ancestor: Option<String>,
    /// Depth in the hierarchy.
    pub level: Option<i64>,
    /// Folded name contains, or code starts with.
    pub q: Option<String>,
    /// In force on this date.
    pub as_of: Option<NaiveDate>,
    /// Exactly this code.
    pub code: Option<String>,
}

fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

fn where_clause(catalog: &str, f: &EntryFilter) -> (String, Vec<String>) {
    let mut args = vec![catalog.to_string()];
    let mut clauses = vec![
        "catalog = $1".to_string(),
        "superseded_at IS NULL".to_string(),
    ];
    let mut arg = |v: String| {
        args.push(v);
        format!("${}", args.len())
    };
    if let Some(p) = &f.parent {
        clauses.push(format!("parent_code = {}", arg(p.clone())));
    }
    if f.roots {
        clauses.push("parent_code IS NULL".into());
    }
    if let Some(c) = &f.code {
        clauses.push(format!("code = {}", arg(c.clone())));
    }
    if let Some(a) = &f.ancestor {
        // Descendants' paths run from "a/" up to (not including) "a0": '0' follows '/'.
        let lo = arg(format!("{a}/"));
        let hi = arg(format!("{a}0"));
        clauses.push(format!("path >= {lo} AND path < {hi}"));
    }
    if let Some(l) = f.level {
        clauses.push(format!("depth = {l}"));
    }
    if let Some(q) =
        f.q.as_deref()
            .map(cqdt_platform::web::fold)
            .filter(|q| !q.is_empty())
    {
        let contains = arg(format!("%{}%", like_escape(&q)));
        let prefix = arg(format!("{}%", like_escape(&q)));
        clauses.push(format!(
            "(name_folded LIKE {contains} ESCAPE '\\' OR LOWER(code) LIKE {prefix} ESCAPE '\\')"
        ));
    }
    if let Some(d) = f.as_of {
        let d = arg(d.format("%Y-%m-%d").to_string());
        clauses.push(format!(
            "(valid_from IS NULL OR valid_from <= {d}) AND (valid_to IS NULL OR valid_to > {d})"
        ));
    }
    (clauses.join(" AND "), args)
}

/// A page of entries in code order, and the total matching.
pub async fn find_entries(
    db: &Db,
    catalog: &str,
    f: &EntryFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Entry>, i64), DbError> {
    let (clause, args) = where_clause(catalog, f);
    let count_sql = format!("SELECT COUNT(*) FROM catalog_entries WHERE {clause}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for a in &args {
        count = count.bind(a);
    }
    let total = count
        .fetch_one(db.pool())
        .await
        .ctx("counting catalog entries")?;
    let sql = format!(
        "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE {clause} \
         ORDER BY code, valid_from LIMIT {limit} OFFSET {offset}"
    );
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q
        .fetch_all(db.pool())
        .await
        .ctx("finding catalog entries")?;
    Ok((entries(&rows)?, total))
}

/// Every recorded version of a code, oldest first.
pub async fn history(db: &Db, catalog: &str, code: &str) -> Result<Vec<Entry>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = $1 AND code = $2 ORDER BY id"
    ))
    .bind(catalog)
    .bind(code)
    .fetch_all(db.pool())
    .await
    .ctx("reading entry history")?;
    entries(&rows)
}

/// Recorded-current versions of a code (one per validity period), in period order.
pub async fn current_versions(
    conn: &mut AnyConnection,
    catalog: &str,
    code: &str,
) -> Result<Vec<Entry>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = $1 AND code = $2 \
         AND superseded_at IS NULL ORDER BY valid_from"
    ))
    .bind(catalog)
    .bind(code)
    .fetch_all(conn)
    .await
    .ctx("reading entry")?;
    entries(&rows)
}

/// Recorded-current versions of many codes, for checking imports in one query per batch.
pub async fn current_by_codes(
    conn: &mut AnyConnection,
    catalog: &str,
    codes: &[String],
) -> Result<Vec<Entry>, DbError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let params: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = $1 AND superseded_at IS NULL \
             AND code IN ({})",
            params.join(", ")
        );
        let mut q = sqlx::query(&sql).bind(catalog);
        for c in chunk {
            q = q.bind(c);
        }
        out.extend(entries(
            &q.fetch_all(&mut *conn).await.ctx("reading entries")?,
        )?);
    }
    Ok(out)
}

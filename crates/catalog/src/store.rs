//! SQL for the catalog tables: catalogs, catalog_entries, catalog_successors.

use chrono::NaiveDate;
use cqdt_platform::{Backend, Db, DbError, DbResultExt};
use serde_json::{Map, Value};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::model::{level_of, CatalogMeta, CodeKind, Entry};

const ENTRY_COLUMNS: &str =
    "id, code, name, parent_code, path, depth, data, valid_from, valid_to, \
     sample, recorded_at, recorded_by, superseded_at, superseded_by";

fn date(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn iso(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// Placeholders for `n` parameters numbered from `first`, for statements with many of them:
/// `$k` on PostgreSQL, positional `?` on SQLite, whose parser looks numbered names up in a
/// list (quadratic: 400 rows of 13 columns took 30 ms to prepare instead of 3). A statement
/// uses one style throughout and binds in order of appearance.
fn placeholders(backend: Backend, first: usize, n: usize) -> Vec<String> {
    match backend {
        Backend::Sqlite => vec!["?".to_string(); n],
        Backend::Postgres => (first..first + n).map(|k| format!("${k}")).collect(),
    }
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
        superseded_by: r.try_get("superseded_by")?,
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
    }
    // Older databases listed `code` and `name` among the fields; they are columns.
    .without_column_fields())
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

/// One catalog's metadata, read inside a transaction.
pub async fn get_catalog_in(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<CatalogMeta>, DbError> {
    let row = sqlx::query(
        "SELECT code, name, description, source, fields, code_kind, builtin FROM catalogs WHERE code = $1",
    )
    .bind(code)
    .fetch_optional(conn)
    .await
    .ctx("reading catalog")?;
    row.map(|r| meta_from_row(&r))
        .transpose()
        .ctx("decoding catalog")
}

/// Codes of every catalog, read inside a transaction.
pub async fn catalog_codes(conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
    sqlx::query_scalar("SELECT code FROM catalogs ORDER BY code")
        .fetch_all(conn)
        .await
        .ctx("listing catalogs")
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
    /// Level: `data.level` when given, else the depth of the path.
    pub level: i64,
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
    backend: Backend,
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
            let params = placeholders(backend, i * COLS + 1, COLS);
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
                .bind(e.level)
                .bind(e.data.clone())
                .bind(iso(e.valid_from))
                .bind(iso(e.valid_to))
                .bind(i64::from(e.sample))
                .bind(now)
                .bind(actor);
        }
        let mut chunk_ids = q
            .fetch_all(&mut *conn)
            .await
            .ctx("inserting catalog entries")?;
        // RETURNING order is unspecified; ids grow in VALUES order within one statement.
        chunk_ids.sort_unstable();
        ids.extend(chunk_ids);
    }
    Ok(ids)
}

/// Serialises writers of one catalog until the transaction ends (a row lock on PostgreSQL;
/// SQLite writers are serialised already) and notes when the catalog last changed.
pub async fn lock_catalog(
    conn: &mut AnyConnection,
    catalog: &str,
    now: &str,
) -> Result<bool, DbError> {
    let n = sqlx::query("UPDATE catalogs SET updated_at = $1 WHERE code = $2")
        .bind(now)
        .bind(catalog)
        .execute(conn)
        .await
        .ctx("locking catalog")?
        .rows_affected();
    Ok(n > 0)
}

/// Moves the recorded-current descendants of `old` (a path) under `new`, keeping the rest
/// of their paths; returns how many rows moved. Paths and levels are an index, not recorded
/// content, so they change in place.
pub async fn rebase_paths(
    conn: &mut AnyConnection,
    backend: Backend,
    catalog: &str,
    old: &str,
    new: &str,
) -> Result<u64, DbError> {
    if old == new {
        return Ok(0);
    }
    let p = path_expr(backend);
    let rows: Vec<(i64, String, String)> = sqlx::query_as(&format!(
        "SELECT id, path, data FROM catalog_entries \
         WHERE catalog = $1 AND superseded_at IS NULL AND {p} >= $2 AND {p} < $3"
    ))
    .bind(catalog)
    .bind(format!("{old}/"))
    .bind(format!("{old}0"))
    .fetch_all(&mut *conn)
    .await
    .ctx("finding descendants")?;
    for chunk in rows.chunks(200) {
        let mut path_case = String::from("CASE id");
        let mut depth_case = String::from("CASE id");
        let mut args: Vec<String> = Vec::new();
        let mut ids = Vec::new();
        for (id, path, data) in chunk {
            let moved = format!("{new}{}", &path[old.len()..]);
            let data: Map<String, Value> = serde_json::from_str(data).unwrap_or_default();
            let level = level_of(&data, &moved);
            args.push(moved);
            // Ids and levels are integers from the database; paths are bound.
            path_case.push_str(&format!(" WHEN {id} THEN ${}", args.len()));
            depth_case.push_str(&format!(" WHEN {id} THEN {level}"));
            ids.push(id.to_string());
        }
        let sql = format!(
            "UPDATE catalog_entries SET path = {path_case} END, depth = {depth_case} END \
             WHERE id IN ({})",
            ids.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for a in args {
            q = q.bind(a);
        }
        q.execute(&mut *conn).await.ctx("moving descendants")?;
    }
    Ok(rows.len() as u64)
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

/// Marks many versions as replaced: (old id, new id) pairs, in batched statements.
pub async fn supersede_many(
    conn: &mut AnyConnection,
    pairs: &[(i64, i64)],
    now: &str,
) -> Result<(), DbError> {
    for chunk in pairs.chunks(500) {
        let mut case = String::from("CASE id");
        let mut ids = Vec::with_capacity(chunk.len());
        for (old, new) in chunk {
            // Ids are integers from the database, not user input.
            case.push_str(&format!(" WHEN {old} THEN {new}"));
            ids.push(old.to_string());
        }
        case.push_str(" END");
        let sql = format!(
            "UPDATE catalog_entries SET superseded_at = $1, superseded_by = {case} \
             WHERE superseded_at IS NULL AND id IN ({})",
            ids.join(", ")
        );
        sqlx::query(&sql)
            .bind(now)
            .execute(&mut *conn)
            .await
            .ctx("superseding catalog entries")?;
    }
    Ok(())
}

/// Records successor links.
pub async fn insert_successors(
    conn: &mut AnyConnection,
    backend: Backend,
    catalog: &str,
    links: &[(String, String)],
    effective: NaiveDate,
) -> Result<(), DbError> {
    let effective = effective.format("%Y-%m-%d").to_string();
    for chunk in links.chunks(500) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(backend, 4 * i + 1, 4).join(", ")))
            .collect();
        let sql = format!(
            "INSERT INTO catalog_successors (catalog, from_code, to_code, effective) VALUES {} \
             ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(&sql);
        for (from, to) in chunk {
            q = q.bind(catalog).bind(from).bind(to).bind(&effective);
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

/// Successors of a code on a given connection: (to_code, effective).
pub async fn successors_in(
    conn: &mut AnyConnection,
    catalog: &str,
    code: &str,
) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as(
        "SELECT to_code, effective FROM catalog_successors WHERE catalog = $1 AND from_code = $2 ORDER BY to_code",
    )
    .bind(catalog)
    .bind(code)
    .fetch_all(conn)
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
    /// Every descendant of this code (of any of its periods).
    pub ancestor: Option<String>,
    /// Level: `data.level` where the catalog has it (administrative units), else depth.
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

/// The path column for range comparisons: byte order on both backends ('/' < '0'), whatever
/// the PostgreSQL database's collation.
fn path_expr(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "path",
        Backend::Postgres => "path COLLATE \"C\"",
    }
}

fn where_clause(
    backend: Backend,
    catalog: &str,
    f: &EntryFilter,
    ancestor_paths: &[String],
) -> (String, Vec<String>) {
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
    if f.ancestor.is_some() {
        // Descendants of an entry with path P have paths from "P/" up to (not including)
        // "P0": '0' follows '/'.
        let p = path_expr(backend);
        let ranges: Vec<String> = ancestor_paths
            .iter()
            .map(|a| {
                let lo = arg(format!("{a}/"));
                let hi = arg(format!("{a}0"));
                format!("({p} >= {lo} AND {p} < {hi})")
            })
            .collect();
        if ranges.is_empty() {
            clauses.push("1 = 0".into());
        } else {
            clauses.push(format!("({})", ranges.join(" OR ")));
        }
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

/// The distinct paths of a code's recorded-current versions.
pub async fn paths_of(db: &Db, catalog: &str, code: &str) -> Result<Vec<String>, DbError> {
    sqlx::query_scalar(
        "SELECT DISTINCT path FROM catalog_entries WHERE catalog = $1 AND code = $2 \
         AND superseded_at IS NULL",
    )
    .bind(catalog)
    .bind(code)
    .fetch_all(db.pool())
    .await
    .ctx("reading paths")
}

/// A page of entries in code order, and the total matching; `ancestor_paths` are the paths
/// of the filter's ancestor code.
pub async fn find_entries(
    db: &Db,
    catalog: &str,
    f: &EntryFilter,
    ancestor_paths: &[String],
    offset: i64,
    limit: i64,
) -> Result<(Vec<Entry>, i64), DbError> {
    let (clause, args) = where_clause(db.backend(), catalog, f, ancestor_paths);
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
         ORDER BY code, COALESCE(valid_from, '') LIMIT {limit} OFFSET {offset}"
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
         AND superseded_at IS NULL ORDER BY COALESCE(valid_from, '')"
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
    backend: Backend,
    catalog: &str,
    codes: &[String],
) -> Result<Vec<Entry>, DbError> {
    let mut out = Vec::new();
    for chunk in codes.chunks(500) {
        let params = placeholders(backend, 1, chunk.len() + 1);
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = {} AND superseded_at IS NULL \
             AND code IN ({})",
            params[0],
            params[1..].join(", ")
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

//! SQL for the catalog tables: catalogs, catalog_entries, catalog_successors.

use chrono::NaiveDate;
use cqdt_platform::{Backend, Db, DbError, DbResultExt, Sql};
use serde_json::{Map, Value};
use sqlx::AnyConnection;

use crate::model::{level_of, CatalogMeta, CodeKind, Entry};

const ENTRY_COLUMNS: &str =
    "id, code, name, parent_code, path, depth, data, valid_from, valid_to, \
     sample, recorded_at, recorded_by, superseded_at, superseded_by";

fn iso(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

/// A stored value that does not read back: a decoding error of the row, not a panic.
fn bad(what: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("{what}: {e}").into())
}

fn date(column: &str, s: Option<String>) -> Result<Option<NaiveDate>, sqlx::Error> {
    s.map(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|e| bad(column, e))).transpose()
}

/// A row of `catalog_entries` as the SQL returns it.
#[derive(sqlx::FromRow)]
struct EntryRow {
    id: i64,
    code: String,
    name: String,
    parent_code: Option<String>,
    path: String,
    depth: i64,
    data: String,
    valid_from: Option<String>,
    valid_to: Option<String>,
    sample: i64,
    recorded_at: String,
    recorded_by: String,
    superseded_at: Option<String>,
    superseded_by: Option<i64>,
}

impl TryFrom<EntryRow> for Entry {
    type Error = sqlx::Error;

    fn try_from(r: EntryRow) -> Result<Self, Self::Error> {
        Ok(Entry {
            data: serde_json::from_str::<Map<String, Value>>(&r.data)
                .map_err(|e| bad("catalog_entries.data", e))?,
            valid_from: date("catalog_entries.valid_from", r.valid_from)?,
            valid_to: date("catalog_entries.valid_to", r.valid_to)?,
            id: r.id,
            code: r.code,
            name: r.name,
            parent: r.parent_code,
            path: r.path,
            level: r.depth,
            sample: r.sample != 0,
            recorded_at: r.recorded_at,
            recorded_by: r.recorded_by,
            superseded_at: r.superseded_at,
            superseded_by: r.superseded_by,
        })
    }
}

fn entries(rows: Vec<EntryRow>) -> Result<Vec<Entry>, DbError> {
    rows.into_iter().map(Entry::try_from).collect::<Result<_, _>>().ctx("decoding catalog entries")
}

/// A row of `catalogs` as the SQL returns it (with the entry count where a list asks for it).
#[derive(sqlx::FromRow)]
struct CatalogRow {
    code: String,
    name: String,
    description: String,
    source: String,
    fields: String,
    code_kind: String,
    builtin: i64,
    #[sqlx(default)]
    n: i64,
}

impl TryFrom<CatalogRow> for CatalogMeta {
    type Error = sqlx::Error;

    fn try_from(r: CatalogRow) -> Result<Self, Self::Error> {
        Ok(CatalogMeta {
            fields: serde_json::from_str(&r.fields).map_err(|e| bad("catalogs.fields", e))?,
            code_kind: CodeKind::parse(&r.code_kind)
                .ok_or_else(|| bad("catalogs.code_kind", &r.code_kind))?,
            code: r.code,
            name: r.name,
            description: r.description,
            source: r.source,
            builtin: r.builtin != 0,
        }
        // Older databases listed `code` and `name` among the fields; they are columns.
        .without_column_fields())
    }
}

const CATALOG_COLUMNS: &str = "code, name, description, source, fields, code_kind, builtin";

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
    let mut conn = db.pool().acquire().await.ctx("reading catalog")?;
    get_catalog_in(&mut conn, code).await
}

/// One catalog's metadata, read inside a transaction.
pub async fn get_catalog_in(
    conn: &mut AnyConnection,
    code: &str,
) -> Result<Option<CatalogMeta>, DbError> {
    let row = sqlx::query_as::<_, CatalogRow>(&format!(
        "SELECT {CATALOG_COLUMNS} FROM catalogs WHERE code = $1"
    ))
    .bind(code)
    .fetch_optional(conn)
    .await
    .ctx("reading catalog")?;
    row.map(CatalogMeta::try_from).transpose().ctx("decoding catalog")
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
    let rows = sqlx::query_as::<_, CatalogRow>(
        "SELECT c.code, c.name, c.description, c.source, c.fields, c.code_kind, c.builtin, \
         (SELECT COUNT(*) FROM catalog_entries e WHERE e.catalog = c.code AND e.superseded_at IS NULL) AS n \
         FROM catalogs c ORDER BY c.code",
    )
    .fetch_all(db.pool())
    .await
    .ctx("listing catalogs")?;
    rows.into_iter()
        .map(|r| {
            let n = r.n;
            Ok((CatalogMeta::try_from(r)?, n))
        })
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
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(400) {
        let mut q = Sql::new(
            backend,
            "INSERT INTO catalog_entries (catalog, code, name, name_folded, parent_code, path, depth, data, \
             valid_from, valid_to, sample, recorded_at, recorded_by) ",
        );
        q.push_values(chunk, |mut row, e| {
            row.push_bind(catalog)
                .push_bind(e.code)
                .push_bind(e.name)
                .push_bind(cqdt_platform::web::fold(e.name))
                .push_bind(e.parent)
                .push_bind(e.path.clone())
                .push_bind(e.level)
                .push_bind(e.data.clone())
                .push_bind(iso(e.valid_from))
                .push_bind(iso(e.valid_to))
                .push_bind(i64::from(e.sample))
                .push_bind(now)
                .push_bind(actor);
        });
        q.push(" RETURNING id");
        let mut chunk_ids: Vec<i64> =
            q.build_query_scalar().fetch_all(&mut *conn).await.ctx("inserting catalog entries")?;
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
        let mut q = Sql::new(backend, "UPDATE catalog_entries SET path = CASE id");
        for (id, path, _) in chunk {
            let moved = format!("{new}{}", &path[old.len()..]);
            q.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(moved);
        }
        q.push(" END, depth = CASE id");
        for (id, path, data) in chunk {
            let moved = format!("{new}{}", &path[old.len()..]);
            let data: Map<String, Value> = serde_json::from_str(data).unwrap_or_default();
            q.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(level_of(&data, &moved));
        }
        q.push(" END WHERE id IN (");
        let mut ids = q.separated(", ");
        for (id, _, _) in chunk {
            ids.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await.ctx("moving descendants")?;
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
        let mut q = Sql::on(conn, "UPDATE catalog_entries SET superseded_at = ");
        q.push_bind(now).push(", superseded_by = CASE id");
        for (old, new) in chunk {
            q.push(" WHEN ").push_bind(*old).push(" THEN ").push_bind(*new);
        }
        q.push(" END WHERE superseded_at IS NULL AND id IN (");
        let mut ids = q.separated(", ");
        for (old, _) in chunk {
            ids.push_bind(*old);
        }
        q.push(")");
        q.build().execute(&mut *conn).await.ctx("superseding catalog entries")?;
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
        let mut q = Sql::new(
            backend,
            "INSERT INTO catalog_successors (catalog, from_code, to_code, effective) ",
        );
        q.push_values(chunk, |mut row, (from, to)| {
            row.push_bind(catalog)
                .push_bind(from.as_str())
                .push_bind(to.as_str())
                .push_bind(effective.as_str());
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *conn).await.ctx("recording successors")?;
    }
    Ok(())
}

const SUCCESSORS_SQL: &str = "SELECT to_code, effective FROM catalog_successors WHERE catalog = $1 AND from_code = $2 ORDER BY to_code";

/// The successor links of a code, one way or the other: (the other code, effective).
async fn successor_links<'c>(
    ex: impl sqlx::Executor<'c, Database = sqlx::Any>,
    sql: &'static str,
    catalog: &str,
    code: &str,
    context: &'static str,
) -> Result<Vec<(String, String)>, DbError> {
    sqlx::query_as(sql).bind(catalog).bind(code).fetch_all(ex).await.ctx(context)
}

/// Successors of a code: (to_code, effective).
pub async fn successors(
    db: &Db,
    catalog: &str,
    code: &str,
) -> Result<Vec<(String, String)>, DbError> {
    successor_links(db.pool(), SUCCESSORS_SQL, catalog, code, "reading successors").await
}

/// Successors of a code on a given connection: (to_code, effective).
pub async fn successors_in(
    conn: &mut AnyConnection,
    catalog: &str,
    code: &str,
) -> Result<Vec<(String, String)>, DbError> {
    successor_links(conn, SUCCESSORS_SQL, catalog, code, "reading successors").await
}

/// Predecessors of a code: (from_code, effective).
pub async fn predecessors(
    db: &Db,
    catalog: &str,
    code: &str,
) -> Result<Vec<(String, String)>, DbError> {
    successor_links(
        db.pool(),
        "SELECT from_code, effective FROM catalog_successors WHERE catalog = $1 AND to_code = $2 ORDER BY from_code",
        catalog,
        code,
        "reading predecessors",
    )
    .await
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
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// The path column for range comparisons: byte order on both backends ('/' < '0'), whatever
/// the PostgreSQL database's collation.
fn path_expr(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "path",
        Backend::Postgres => "path COLLATE \"C\"",
    }
}

/// Appends the conditions of a filter (after `WHERE`) to a statement.
fn push_filter<'q>(
    q: &mut Sql<'q>,
    backend: Backend,
    catalog: &'q str,
    f: &'q EntryFilter,
    ancestor_paths: &[String],
) {
    q.push("catalog = ").push_bind(catalog).push(" AND superseded_at IS NULL");
    if let Some(p) = &f.parent {
        q.push(" AND parent_code = ").push_bind(p.as_str());
    }
    if f.roots {
        q.push(" AND parent_code IS NULL");
    }
    if let Some(c) = &f.code {
        q.push(" AND code = ").push_bind(c.as_str());
    }
    if f.ancestor.is_some() {
        // Descendants of an entry with path P have paths from "P/" up to (not including)
        // "P0": '0' follows '/'.
        let p = path_expr(backend);
        if ancestor_paths.is_empty() {
            q.push(" AND 1 = 0");
        } else {
            q.push(" AND (");
            for (i, a) in ancestor_paths.iter().enumerate() {
                if i > 0 {
                    q.push(" OR ");
                }
                q.push(format!("({p} >= "))
                    .push_bind(format!("{a}/"))
                    .push(format!(" AND {p} < "))
                    .push_bind(format!("{a}0"))
                    .push(")");
            }
            q.push(")");
        }
    }
    if let Some(l) = f.level {
        q.push(" AND depth = ").push_bind(l);
    }
    if let Some(text) = f.q.as_deref().map(cqdt_platform::web::fold).filter(|t| !t.is_empty()) {
        q.push(" AND (name_folded LIKE ")
            .push_bind(format!("%{}%", like_escape(&text)))
            .push(" ESCAPE '\\' OR LOWER(code) LIKE ")
            .push_bind(format!("{}%", like_escape(&text)))
            .push(" ESCAPE '\\')");
    }
    if let Some(d) = f.as_of {
        let d = d.format("%Y-%m-%d").to_string();
        q.push(" AND (valid_from IS NULL OR valid_from <= ")
            .push_bind(d.clone())
            .push(") AND (valid_to IS NULL OR valid_to > ")
            .push_bind(d)
            .push(")");
    }
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
    let backend = db.backend();
    let mut count = Sql::new(backend, "SELECT COUNT(*) FROM catalog_entries WHERE ");
    push_filter(&mut count, backend, catalog, f, ancestor_paths);
    let total: i64 =
        count.build_query_scalar().fetch_one(db.pool()).await.ctx("counting catalog entries")?;
    let mut q = Sql::new(backend, format!("SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE "));
    push_filter(&mut q, backend, catalog, f, ancestor_paths);
    q.push(format!(" ORDER BY code, COALESCE(valid_from, '') LIMIT {limit} OFFSET {offset}"));
    let rows: Vec<EntryRow> =
        q.build_query_as().fetch_all(db.pool()).await.ctx("finding catalog entries")?;
    Ok((entries(rows)?, total))
}

/// Every recorded version of a code, oldest first.
pub async fn history(db: &Db, catalog: &str, code: &str) -> Result<Vec<Entry>, DbError> {
    let rows = sqlx::query_as::<_, EntryRow>(&format!(
        "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = $1 AND code = $2 ORDER BY id"
    ))
    .bind(catalog)
    .bind(code)
    .fetch_all(db.pool())
    .await
    .ctx("reading entry history")?;
    entries(rows)
}

/// Recorded-current versions of a code (one per validity period), in period order.
pub async fn current_versions(
    conn: &mut AnyConnection,
    catalog: &str,
    code: &str,
) -> Result<Vec<Entry>, DbError> {
    let rows = sqlx::query_as::<_, EntryRow>(&format!(
        "SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = $1 AND code = $2 \
         AND superseded_at IS NULL ORDER BY COALESCE(valid_from, '')"
    ))
    .bind(catalog)
    .bind(code)
    .fetch_all(conn)
    .await
    .ctx("reading entry")?;
    entries(rows)
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
        let mut q = Sql::new(
            backend,
            format!("SELECT {ENTRY_COLUMNS} FROM catalog_entries WHERE catalog = "),
        );
        q.push_bind(catalog).push(" AND superseded_at IS NULL AND code IN (");
        let mut list = q.separated(", ");
        for c in chunk {
            list.push_bind(c.as_str());
        }
        q.push(")");
        let rows: Vec<EntryRow> =
            q.build_query_as().fetch_all(&mut *conn).await.ctx("reading entries")?;
        out.extend(entries(rows)?);
    }
    Ok(out)
}

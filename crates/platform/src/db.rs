//! One storage layer over SQLite and PostgreSQL.
//!
//! Every module writes plain SQL with `$1`-style parameters, which both backends accept, and
//! keeps to the column types both share (BIGINT, TEXT, DOUBLE); timestamps are RFC 3339 text in
//! UTC so that text order is time order on both.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::error::{DbError, DbResultExt};
use crate::migrations;
use crate::tls::{no_tls_at_server, PgSslMode, PgTlsUrl, TlsTrust};

/// Which database engine an instance runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Embedded SQLite in WAL mode, one node.
    Sqlite,
    /// PostgreSQL, shared by any number of nodes.
    Postgres,
}

impl Backend {
    /// Detects the backend from a database URL.
    pub fn from_url(url: &str) -> Result<Self, DbError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(DbError::Config(format!(
                "unsupported database URL (expected sqlite:… or postgres://…): {}",
                redact_url(url)
            )))
        }
    }
}

/// A connection pool plus what the stores need to know about the engine.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    // SQLite allows one writer; serialising write transactions in-process avoids
    // SQLITE_BUSY on lock upgrades, which the busy timeout cannot wait out.
    write_lock: Arc<Mutex<()>>,
}

/// A write transaction; on SQLite it also holds the process-wide writer lock.
pub struct Tx {
    inner: sqlx::Transaction<'static, Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), DbError> {
        self.inner.commit().await.ctx("committing transaction")
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

impl Db {
    /// Connects to `url` (`sqlite:…` or `postgres://…`), trusting the Mozilla roots for
    /// PostgreSQL over TLS.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        Db::connect_with(url, &TlsTrust::default()).await
    }

    /// Connects to `url`; PostgreSQL's `sslmode` is honoured (see [`PgSslMode`]) with `trust`'s
    /// roots, and its CA bundle as `sslrootcert` when the URL names none.
    pub async fn connect_with(url: &str, trust: &TlsTrust) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let bad = |e: &dyn std::fmt::Display| {
            DbError::Config(format!("bad database URL {}: {e}", redact_url(url)))
        };
        let url = match backend {
            Backend::Sqlite => url.to_string(),
            Backend::Postgres => {
                let pg = PgTlsUrl::parse(url, trust).map_err(|e| bad(&e))?;
                match pg.mode {
                    PgSslMode::Disable => pg.clear,
                    PgSslMode::VerifyFull | PgSslMode::VerifyCa => pg.tls,
                    PgSslMode::Prefer => prefer_tls(pg).await?,
                }
            }
        };
        let options: AnyConnectOptions = url.parse().map_err(|e| bad(&e))?;
        let is_sqlite = backend == Backend::Sqlite;
        let pool = AnyPoolOptions::new()
            .max_connections(if is_sqlite { 4 } else { 16 })
            .min_connections(if is_sqlite { 1 } else { 0 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if is_sqlite {
                        // NORMAL is durable across process crashes in WAL mode.
                        conn.execute(
                            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; \
                             PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|source| DbError::Sqlx { context: "connecting to the database", source })?;
        Ok(Db { pool, backend, write_lock: Arc::new(Mutex::new(())) })
    }

    /// The SQLite URL for a data directory.
    pub fn sqlite_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("cqdt.db").display())
    }

    /// The pool, for reads and single-statement writes.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine this instance runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let guard = match self.backend {
            Backend::Sqlite => Some(self.write_lock.clone().lock_owned().await),
            Backend::Postgres => None,
        };
        // SQLite: take the database's write lock at BEGIN, where the busy timeout waits for
        // it, instead of at the first write, where a snapshot taken before another
        // connection's commit fails at once with "database is locked".
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
        .ctx("starting transaction")?;
        Ok(Tx { inner, _guard: guard })
    }

    /// Answers whether the database is reachable.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Applies pending migrations (adopting a database of a release before sqlx first); fails
    /// if an applied migration was edited. Returns how many were applied.
    pub async fn migrate(&self) -> Result<usize, DbError> {
        self.migrate_with(migrations::migrator(self.backend)).await
    }

    async fn migrate_with(&self, migrator: &Migrator) -> Result<usize, DbError> {
        // A connection of its own, closed at the end: a PostgreSQL session lock left behind by
        // a failure goes with it instead of staying in the pool.
        let mut conn = self.pool.acquire().await.ctx("connecting to migrate")?.detach();
        let outcome = match self.backend {
            Backend::Sqlite => {
                let _writer = self.write_lock.lock().await;
                migrate_sqlite(&mut conn, migrator).await
            }
            Backend::Postgres => migrate_postgres(&mut conn, migrator).await,
        };
        let _ = conn.close().await;
        outcome
    }

    /// The newest applied migration version, 0 when none.
    pub async fn schema_version(&self) -> Result<i64, DbError> {
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await
                .ctx("reading schema version")?;
        Ok(v.unwrap_or(0))
    }
}

/// `prefer`: one connection tells whether the server offers TLS; the pool then uses TLS,
/// verified, or clear text when the server has none. A certificate that does not verify stops
/// here instead of being accepted unverified.
async fn prefer_tls(pg: PgTlsUrl) -> Result<String, DbError> {
    let options: AnyConnectOptions = pg.tls.parse().ctx("reading the database URL")?;
    match AnyConnection::connect_with(&options).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Ok(pg.tls)
        }
        Err(e) if no_tls_at_server(&e) => {
            tracing::warn!(
                "the PostgreSQL server offers no TLS: connecting in clear text (sslmode=prefer)"
            );
            Ok(pg.clear)
        }
        Err(source) => {
            Err(DbError::Sqlx { context: "connecting to the database over TLS", source })
        }
    }
}

/// The advisory lock nodes queue on to migrate PostgreSQL — the key the releases before sqlx
/// took too, so that a node of either release waits for the other.
const MIGRATION_LOCK: i64 = 73530001;

/// SQLite: one transaction that takes the database's write lock at once (another process
/// migrating the same file waits for it) and applies everything or nothing — as the runner
/// before sqlx did, so a migration cannot switch `PRAGMA foreign_keys` (a no-op inside one).
async fn migrate_sqlite(conn: &mut AnyConnection, migrator: &Migrator) -> Result<usize, DbError> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await.ctx("locking the database to migrate")?;
    let applied = migrations::run(&mut tx, Backend::Sqlite, migrator).await?;
    tx.commit().await.ctx("committing migrations")?;
    Ok(applied)
}

/// PostgreSQL: several nodes may start at once; one adopts and migrates, the others wait on
/// the session lock, then find nothing to do. (sqlx's migrator takes its own advisory lock too,
/// inside ours; each migration is its own transaction.)
async fn migrate_postgres(conn: &mut AnyConnection, migrator: &Migrator) -> Result<usize, DbError> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .ctx("locking migrations")?;
    let applied = migrations::run(conn, Backend::Postgres, migrator).await?;
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *conn)
        .await
        .ctx("unlocking migrations")?;
    Ok(applied)
}

/// Hides the password in a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.find(':') {
                Some(colon) => {
                    format!("{}{}:***{}", &url[..scheme + 3], &creds[..colon], &url[at..])
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The `VALUES` list of a multi-row INSERT: `($1, …, $cols), ($cols+1, …), …` for `rows`
/// rows; numbering starts after `offset` parameters bound before it.
pub fn values_list(rows: usize, cols: usize, offset: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(offset + r * cols + c + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// Whether a connection is SQLite's.
pub fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// Placeholder number `k`: `$k` on PostgreSQL, a bare `?` on SQLite, where numbered names
/// make binding a long statement quadratic (each bind looks its name up in a list). A
/// statement built with it must use every parameter once, in order.
pub fn mark(sqlite: bool, k: usize) -> String {
    if sqlite {
        "?".to_string()
    } else {
        format!("${k}")
    }
}

/// Placeholders `from..from + n`, comma-separated (see [`mark`]).
pub fn marks(sqlite: bool, from: usize, n: usize) -> String {
    (from..from + n).map(|k| mark(sqlite, k)).collect::<Vec<_>>().join(", ")
}

/// Runs `work` on a thread of its own, with a runtime of its own, and answers a handle that
/// ends when it does. For the SQLite writers that hold the one write lock while they work
/// (the workflow's batch writer, the audit chainer): on the shared runtime each of their
/// statements would wait behind every request in the run queue, and every other writer
/// would wait for them meanwhile. Runs on the shared runtime if the thread cannot start.
pub fn spawn_own_thread<F>(name: &str, work: F) -> tokio::task::JoinHandle<()>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let (hand, take) = std::sync::mpsc::channel::<F>();
    let (done, ended) = tokio::sync::oneshot::channel::<()>();
    let started =
        tokio::runtime::Builder::new_current_thread().enable_all().build().and_then(|rt| {
            std::thread::Builder::new().name(name.to_string()).spawn(move || {
                if let Ok(work) = take.recv() {
                    rt.block_on(work);
                }
                let _ = done.send(());
            })
        });
    match started {
        Ok(_) => match hand.send(work) {
            Ok(()) => tokio::spawn(async move {
                let _ = ended.await;
            }),
            Err(std::sync::mpsc::SendError(work)) => tokio::spawn(work),
        },
        Err(e) => {
            tracing::warn!(error = %e, thread = name, "no thread of its own; running on the shared runtime");
            tokio::spawn(work)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_and_bare_for_sqlite() {
        assert_eq!(marks(false, 3, 2), "$3, $4");
        assert_eq!(marks(true, 3, 2), "?, ?");
    }

    #[test]
    fn a_values_list_numbers_every_parameter_once() {
        assert_eq!(values_list(2, 3, 1), "($2, $3, $4), ($5, $6, $7)");
        assert_eq!(values_list(1, 1, 0), "($1)");
    }

    #[test]
    fn passwords_are_hidden_in_database_urls() {
        assert_eq!(redact_url("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }

    #[test]
    fn unknown_database_schemes_are_refused() {
        assert!(Backend::from_url("mysql://x").is_err());
        assert_eq!(Backend::from_url("postgresql://h/d").ok(), Some(Backend::Postgres));
    }

    /// A migrator over one file, `0001_t.sql`, with the given SQL.
    async fn one_migration(dir: &std::path::Path, sql: &str) -> Migrator {
        let folder = dir.join("migrations");
        std::fs::create_dir_all(&folder).expect("folder");
        std::fs::write(folder.join("0001_t.sql"), sql).expect("write");
        Migrator::new(folder).await.expect("migrator")
    }

    #[tokio::test]
    async fn an_edited_migration_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::connect(&Db::sqlite_url(dir.path())).await.expect("db");
        let first = one_migration(dir.path(), "CREATE TABLE t (a BIGINT);").await;
        assert_eq!(db.migrate_with(&first).await.expect("migrate"), 1);
        assert_eq!(db.migrate_with(&first).await.expect("again"), 0);
        let edited = one_migration(dir.path(), "CREATE TABLE t (a TEXT);").await;
        let err = db.migrate_with(&edited).await.expect_err("edited");
        assert_eq!(err.to_string(), "migration 1 (t) was changed after it was applied");
    }

    #[tokio::test]
    async fn a_failing_migration_applies_nothing_and_names_itself() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::connect(&Db::sqlite_url(dir.path())).await.expect("db");
        let broken = one_migration(dir.path(), "CREATE TABLE t (a BIGINT); NOT SQL;").await;
        let err = db.migrate_with(&broken).await.expect_err("broken");
        assert!(err.to_string().starts_with("migration 1 (t) failed:"), "{err}");
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('t', '_sqlx_migrations')",
        )
        .fetch_one(db.pool())
        .await
        .expect("count");
        assert_eq!(tables, 0);
    }
}

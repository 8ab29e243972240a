//! Fresh databases for tests: SQLite in a temporary directory, or a throwaway PostgreSQL
//! database when `CQDT_TEST_DATABASE_URL` names a server (`postgres://user@host:port/db`).

use std::path::PathBuf;

use cqdt_platform::Db;

/// A migrated database that disappears with the value.
pub struct TestDb {
    /// The database.
    pub db: Db,
    /// Its URL, for processes the test spawns.
    pub url: String,
    /// A scratch directory (data dir for files, SQLite file).
    pub dir: PathBuf,
    _tmp: Option<tempdir::TempDir>,
    // Declared after `db`, so the pool goes first.
    _pg: Option<PgDatabase>,
}

mod tempdir {
    /// A directory removed on drop.
    pub struct TempDir(pub std::path::PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// The PostgreSQL server tests use, if any.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("CQDT_TEST_DATABASE_URL").ok().filter(|u| u.starts_with("postgres"))
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "cqdt-test-{}-{}",
        std::process::id(),
        hex::encode(rand::random::<[u8; 6]>())
    ));
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A throwaway database on the PostgreSQL server `CQDT_TEST_DATABASE_URL` names, dropped with
/// its connections when this value is.
pub struct PgDatabase {
    /// Its URL.
    pub url: String,
    admin: String,
    name: String,
}

impl PgDatabase {
    /// A new empty database named `{prefix}_{random}`; `None` when the tests run on SQLite.
    pub async fn create(prefix: &str) -> Option<PgDatabase> {
        let admin = postgres_admin_url()?;
        let name = format!("{prefix}_{}", hex::encode(rand::random::<[u8; 8]>()));
        let server = Db::connect(&admin).await.expect("connect to CQDT_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(server.pool())
            .await
            .expect("create test database");
        server.close().await;
        let base = match admin.rfind('/') {
            Some(i) if i > "postgres://".len() => &admin[..i],
            _ => admin.as_str(),
        };
        let url = format!("{base}/{name}");
        Some(PgDatabase { url, admin, name })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (std::mem::take(&mut self.admin), std::mem::take(&mut self.name));
        // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                if let Ok(server) = Db::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(server.pool())
                        .await;
                    server.close().await;
                }
            });
        })
        .join();
    }
}

impl TestDb {
    /// A fresh, migrated database on the backend chosen by the environment.
    pub async fn new() -> Self {
        let dir = scratch_dir();
        let tmp = tempdir::TempDir(dir.clone());
        let pg = PgDatabase::create("cqdt_test").await;
        let url = pg.as_ref().map_or_else(|| Db::sqlite_url(&dir), |pg| pg.url.clone());
        let db = Db::connect(&url).await.expect("connect test database");
        db.migrate().await.expect("migrate test database");
        TestDb { db, url, dir, _tmp: Some(tmp), _pg: pg }
    }
}

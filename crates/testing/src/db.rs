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
    drop_pg: Option<(String, String)>,
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

impl TestDb {
    /// A fresh, migrated database on the backend chosen by the environment.
    pub async fn new() -> Self {
        let dir = scratch_dir();
        let tmp = tempdir::TempDir(dir.clone());
        let (url, drop_pg) = match postgres_admin_url() {
            Some(admin) => {
                let name = format!("cqdt_test_{}", hex::encode(rand::random::<[u8; 8]>()));
                let admin_db =
                    Db::connect(&admin).await.expect("connect to CQDT_TEST_DATABASE_URL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(admin_db.pool())
                    .await
                    .expect("create test database");
                admin_db.close().await;
                let base = match admin.rfind('/') {
                    Some(i) if i > "postgres://".len() => &admin[..i],
                    _ => admin.as_str(),
                };
                (format!("{base}/{name}"), Some((admin.clone(), name)))
            }
            None => (Db::sqlite_url(&dir), None),
        };
        let db = Db::connect(&url).await.expect("connect test database");
        db.migrate().await.expect("migrate test database");
        TestDb { db, url, dir, _tmp: Some(tmp), drop_pg }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.drop_pg.take() {
            let pool = self.db.clone();
            // Drop runs outside async; a short-lived runtime on its own thread does the cleanup.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build()
                else {
                    return;
                };
                rt.block_on(async move {
                    drop(pool);
                    if let Ok(admin_db) = Db::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(admin_db.pool())
                                .await;
                        admin_db.close().await;
                    }
                });
            })
            .join();
        }
    }
}

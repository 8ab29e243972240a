//! Migrations with sqlx on a real database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL):
//! fresh databases, nodes starting at once, and databases written by the release before sqlx
//! (fixtures in `tests/fixtures`, made by that release; see the README there).

use std::io::Read;
use std::path::{Path, PathBuf};

use cqdt_platform::migrations::{migrator, newest_version};
use cqdt_platform::sealing::Sealer;
use cqdt_platform::{backup, store, Backend, Db};
use cqdt_testing::PgDatabase;
use sqlx::Connection;

/// The newest migration of the release that wrote the fixtures.
const RELEASE_SCHEMA: i64 = 13;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn gunzip(name: &str) -> Vec<u8> {
    let file = std::fs::File::open(fixture(name)).expect("fixture");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut out).expect("gunzip fixture");
    out
}

/// An empty database on the backend the environment chooses (nothing migrated), removed at
/// the end.
struct Scratch {
    url: String,
    dir: tempfile::TempDir,
    postgres: Option<PgDatabase>,
}

impl Scratch {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let postgres = PgDatabase::create("cqdt_mig").await;
        let url = postgres.as_ref().map_or_else(|| Db::sqlite_url(dir.path()), |pg| pg.url.clone());
        Scratch { url, dir, postgres }
    }

    /// An empty database holding the demo instance written by the release before sqlx.
    async fn with_release_database() -> Self {
        let scratch = Scratch::new().await;
        if scratch.postgres.is_some() {
            let dump = String::from_utf8(gunzip("release-11e73e3.postgres.sql.gz")).expect("utf-8");
            // The dump empties the session's search_path: a connection of its own, closed after.
            sqlx::any::install_default_drivers();
            let mut conn = sqlx::AnyConnection::connect(&scratch.url).await.expect("connect");
            sqlx::raw_sql(&dump).execute(&mut conn).await.expect("load the release's dump");
            conn.close().await.expect("close");
        } else {
            std::fs::write(
                scratch.dir.path().join("cqdt.db"),
                gunzip("release-11e73e3.sqlite.db.gz"),
            )
            .expect("write the release's database");
        }
        scratch
    }

    async fn node(&self) -> Db {
        Db::connect(&self.url).await.expect("connect")
    }
}

/// Every application table with its rows, in a stable order.
async fn contents(db: &Db) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for table in store::list_tables(db).await.expect("tables") {
        let columns = store::table_columns(db, &table).await.expect("columns");
        let mut rows: Vec<String> = store::dump_table(db, &table, &columns)
            .await
            .expect("rows")
            .iter()
            .map(|r| serde_json::to_string(r).expect("json"))
            .collect();
        rows.sort();
        out.push((table, rows));
    }
    out
}

async fn count(db: &Db, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db.pool())
        .await
        .expect("count")
}

async fn table_exists(db: &Db, table: &str) -> bool {
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let n: i64 = sqlx::query_scalar(sql).bind(table).fetch_one(db.pool()).await.expect("catalog");
    n > 0
}

/// `_sqlx_migrations` as (version, description, checksum, success 0/1, installed_on UTC to the
/// second, execution_time).
async fn sqlx_record(db: &Db) -> Vec<(i64, String, Vec<u8>, i64, String, i64)> {
    let installed_on = match db.backend() {
        Backend::Sqlite => "CAST(installed_on AS TEXT)",
        Backend::Postgres => "to_char(installed_on AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')",
    };
    let rows: Vec<(i64, String, Vec<u8>, i64, String, i64)> = sqlx::query_as(&format!(
        "SELECT version, description, checksum, CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT), \
         {installed_on}, execution_time \
         FROM _sqlx_migrations ORDER BY version"
    ))
    .fetch_all(db.pool())
    .await
    .expect("_sqlx_migrations");
    rows
}

/// Asserts that sqlx's table records exactly the migrations this build has, with their
/// checksums.
async fn assert_complete(db: &Db) {
    let expected: Vec<(i64, String, Vec<u8>)> = migrator(db.backend())
        .iter()
        .map(|m| (m.version, m.description.to_string(), m.checksum.to_vec()))
        .collect();
    let recorded: Vec<(i64, String, Vec<u8>)> = sqlx_record(db)
        .await
        .into_iter()
        .map(|(v, d, c, success, _, _)| {
            assert_eq!(success, 1, "migration {v} recorded as failed");
            (v, d, c)
        })
        .collect();
    assert_eq!(recorded, expected);
    assert_eq!(db.schema_version().await.expect("version"), newest_version(db.backend()));
}

#[tokio::test]
async fn a_fresh_database_migrates_and_a_second_start_applies_nothing() {
    let scratch = Scratch::new().await;
    let db = scratch.node().await;
    let newest = newest_version(db.backend());
    assert!(newest >= RELEASE_SCHEMA);
    assert_eq!(db.migrate().await.expect("migrate"), newest as usize);
    assert_complete(&db).await;
    assert!(!table_exists(&db, "cqdt_migrations").await);
    assert_eq!(count(&db, "dossiers").await, 0);
    let record = sqlx_record(&db).await;
    assert_eq!(db.migrate().await.expect("again"), 0);
    assert_eq!(sqlx_record(&db).await, record);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_on_a_fresh_database_apply_one_set_of_migrations() {
    let scratch = Scratch::new().await;
    let nodes = [scratch.node().await, scratch.node().await, scratch.node().await];
    let applied = migrate_at_once(&nodes).await;
    let newest = newest_version(nodes[0].backend()) as usize;
    assert_eq!(applied.iter().sum::<usize>(), newest, "{applied:?}");
    assert!(applied.contains(&newest), "one node applied all: {applied:?}");
    for node in &nodes {
        assert_complete(node).await;
        assert_eq!(count(node, "platform_settings").await, 0);
    }
}

#[tokio::test]
async fn a_database_of_the_release_before_sqlx_upgrades_in_place_with_nothing_lost() {
    let scratch = Scratch::with_release_database().await;
    let db = scratch.node().await;
    let before = contents(&db).await;
    let legacy: Vec<(i64, String)> =
        sqlx::query_as("SELECT version, applied_at FROM cqdt_migrations ORDER BY version")
            .fetch_all(db.pool())
            .await
            .expect("the release's migrations table");
    assert_eq!(legacy.len() as i64, RELEASE_SCHEMA);
    // The fixture is a demo instance with the rows added after it started.
    assert_eq!(count(&db, "dossiers").await, 2);
    assert_eq!(count(&db, "oauth_clients").await, 1);
    assert!(count(&db, "audit_log").await > 0);
    assert!(count(&db, "procedures").await > 0);

    let newest = newest_version(db.backend());
    let applied = db.migrate().await.expect("upgrade");
    assert_eq!(applied as i64, newest - RELEASE_SCHEMA);
    assert_complete(&db).await;
    assert!(!table_exists(&db, "cqdt_migrations").await);
    let record = sqlx_record(&db).await;
    for ((version, applied_at), row) in legacy.iter().zip(&record) {
        assert_eq!(row.0, *version);
        // The time each was applied is carried over (to the second, in UTC).
        assert_eq!(row.4, applied_at[..19].replace('T', " "), "migration {version}");
    }
    if newest == RELEASE_SCHEMA {
        assert_eq!(contents(&db).await, before);
    } else {
        // Newer migrations may add tables; every table and row of the release is still there.
        let after = contents(&db).await;
        for (table, rows) in &before {
            let now = after.iter().find(|(t, _)| t == table).expect("table kept");
            // A newer migration may add a column (it comes last): the release's values stay.
            let kept = |r: &String| {
                let stem = &r[..r.len() - 1];
                now.1
                    .iter()
                    .any(|n| n == r || (n.starts_with(stem) && n[stem.len()..].starts_with(',')))
            };
            assert!(rows.iter().all(kept), "rows of {table} kept");
        }
    }

    db.close().await;
    let db = scratch.node().await;
    assert_eq!(db.migrate().await.expect("second start"), 0);
    assert_eq!(sqlx_record(&db).await, record);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_upgrading_a_release_database_at_once_adopt_it_once() {
    let scratch = Scratch::with_release_database().await;
    let nodes = [scratch.node().await, scratch.node().await];
    let before = contents(&nodes[0]).await;
    let applied = migrate_at_once(&nodes).await;
    let newest = newest_version(nodes[0].backend());
    assert_eq!(applied.iter().sum::<usize>() as i64, newest - RELEASE_SCHEMA);
    for node in &nodes {
        assert_complete(node).await;
        assert!(!table_exists(node, "cqdt_migrations").await);
    }
    if newest == RELEASE_SCHEMA {
        assert_eq!(contents(&nodes[1]).await, before);
    }
}

#[tokio::test]
async fn a_release_database_whose_migration_differs_from_its_file_is_refused_unchanged() {
    let scratch = Scratch::with_release_database().await;
    let db = scratch.node().await;
    sqlx::query("UPDATE cqdt_migrations SET checksum = 'edited' WHERE version = 5")
        .execute(db.pool())
        .await
        .expect("edit");
    let before = contents(&db).await;
    let err = db.migrate().await.expect_err("refused");
    assert_eq!(err.to_string(), "migration 5 (0005_notify) was changed after it was applied");
    assert_eq!(count(&db, "cqdt_migrations").await, RELEASE_SCHEMA);
    assert!(!table_exists(&db, "_sqlx_migrations").await || sqlx_record(&db).await.is_empty());
    assert_eq!(contents(&db).await, before);
}

#[tokio::test]
async fn a_release_database_with_a_migration_unknown_here_is_refused() {
    let scratch = Scratch::with_release_database().await;
    let db = scratch.node().await;
    sqlx::query(
        "INSERT INTO cqdt_migrations (version, name, checksum, applied_at) \
         VALUES (9999, '9999_future', 'x', '2030-01-01T00:00:00Z')",
    )
    .execute(db.pool())
    .await
    .expect("insert");
    let err = db.migrate().await.expect_err("refused");
    assert_eq!(
        err.to_string(),
        "the database has migration 9999 (9999_future) which this cqdt does not know; \
         it was written by a newer version"
    );
    assert_eq!(count(&db, "cqdt_migrations").await, RELEASE_SCHEMA + 1);
}

#[tokio::test]
async fn a_backup_written_by_the_release_before_sqlx_restores() {
    let scratch = Scratch::new().await;
    let db = scratch.node().await;
    let files = scratch.dir.path().join("files");
    let archive = fixture("release-11e73e3.backup.tar.gz");
    let manifest =
        backup::restore(&db, &files, &archive, false, &Sealer::ephemeral()).await.expect("restore");
    assert_eq!(manifest.schema_version, RELEASE_SCHEMA);
    assert_complete(&db).await;
    for table in &manifest.tables {
        assert_eq!(count(&db, &table.name).await, table.rows as i64, "{}", table.name);
    }
    assert_eq!(count(&db, "dossiers").await, 2);
    // A backup of the restored instance records the newest migration, not sqlx's table.
    let again = scratch.dir.path().join("again.tar.gz");
    let written = backup::backup(&db, &files, &again, "2026-12-05T00:00:00Z", &Sealer::ephemeral())
        .await
        .expect("backup");
    assert_eq!(written.schema_version, newest_version(db.backend()));
    let raw = std::fs::read(&again).expect("archive");
    assert!(raw.starts_with(backup::sealed::MAGIC), "backups are now written encrypted");
    assert!(written.tables.iter().all(|t| !t.name.contains("migrations")));
}

/// Starts every node's migration at once (each on its own task); their results in order.
async fn migrate_at_once(nodes: &[Db]) -> Vec<usize> {
    let tasks: Vec<_> =
        nodes.iter().cloned().map(|db| tokio::spawn(async move { db.migrate().await })).collect();
    let mut applied = Vec::new();
    for task in tasks {
        applied.push(task.await.expect("task").expect("migrate"));
    }
    applied
}

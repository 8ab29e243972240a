//! Operations through the CLI on a real database: audit verification, backup and restore.

use crate::helpers::{cli, cli_with_env, client, text, ByAdmin, Instance, SendJson, DEMO_TOTP};
use std::io::Read;
use std::io::Write;

use cqdt_platform::store::{dump_table, list_tables, table_columns};
use cqdt_platform::Db;
use cqdt_testing::TestDb;

/// The key of the data directory's `kek` file (what a node uses when none is configured).
fn file_key(data_dir: &std::path::Path) -> String {
    let text = std::fs::read_to_string(data_dir.join("kek")).expect("generated key file");
    text.lines().rfind(|l| !l.starts_with('#')).expect("key").trim().to_string()
}

async fn snapshot(db: &Db) -> Vec<(String, Vec<Vec<serde_json::Value>>)> {
    let mut out = Vec::new();
    for t in list_tables(db).await.expect("tables") {
        let cols = table_columns(db, &t).await.expect("columns");
        out.push((t.clone(), dump_table(db, &t, &cols).await.expect("dump")));
    }
    out
}

#[tokio::test]
async fn audit_verify_passes_on_a_fresh_instance_and_names_a_row_edited_in_the_database() {
    let mut app = Instance::start().await;
    app.stop().await;
    let ok = app.cli(&["audit", "verify"]).await;
    assert!(ok.status.success(), "{}", text(&ok));
    assert!(text(&ok).contains("audit log OK"));
    // The anchor printed now, kept outside the database, catches rows cut from the end later.
    let anchor = text(&ok).split("anchor ").nth(1).map(|a| a.trim().to_string()).expect("anchor");
    let with_anchor = app.cli(&["audit", "verify", "--anchor", &anchor]).await;
    assert!(with_anchor.status.success(), "{}", text(&with_anchor));
    let last: i64 = anchor.split(':').next().and_then(|s| s.parse().ok()).expect("seq");
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(last)
        .execute(app.db.db.pool())
        .await
        .expect("truncate");
    let plain = app.cli(&["audit", "verify"]).await;
    assert!(plain.status.success(), "without an anchor a cut tail cannot be seen");
    let cut = app.cli(&["audit", "verify", "--anchor", &anchor]).await;
    assert!(!cut.status.success());
    assert!(text(&cut).contains("anchor row"), "{}", text(&cut));
    sqlx::query("UPDATE audit_log SET actor = 'ke-gian' WHERE seq = 1")
        .execute(app.db.db.pool())
        .await
        .expect("tamper");
    let bad = app.cli(&["audit", "verify"]).await;
    assert!(!bad.status.success());
    assert!(text(&bad).contains("BROKEN at row 1"), "{}", text(&bad));
}

#[tokio::test]
async fn backup_then_restore_into_a_fresh_instance_gives_the_same_data() {
    let mut app = Instance::start().await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.7\nto khai\n%%EOF".to_vec())
            .file_name("to-khai.pdf"),
    );
    let stored: serde_json::Value =
        client().post(app.url("/api/v1/files")).by_admin().multipart(form).send_json().await;
    let sha = stored["sha256"].as_str().expect("sha").to_string();
    app.stop().await;
    let archive = app.db.dir.join("backup.tar.gz");
    let out = app.cli(&["backup", archive.to_str().expect("path")]).await;
    assert!(out.status.success(), "{}", text(&out));

    let raw = std::fs::read(&archive).expect("archive");
    assert!(raw.starts_with(cqdt_platform::backup::sealed::MAGIC), "written encrypted");
    assert!(!raw.windows(9).any(|w| w == b"to khai\n%"), "a stored file in clear");

    let fresh = TestDb::new().await;
    let fresh_dir = fresh.dir.join("data");
    // Without the key of the instance that wrote it, the archive does not open.
    let out = cli(&fresh.url, &fresh_dir, &["restore", archive.to_str().expect("path")]).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("CQDT_KEK"), "{}", text(&out));
    for (t, rows) in snapshot(&fresh.db).await {
        assert!(rows.is_empty(), "{t} changed by a refused restore");
    }
    let key = file_key(&app.data_dir);
    let with_key = [("CQDT_KEK", key.as_str())];
    let path = archive.to_str().expect("path");
    let out = cli_with_env(&fresh.url, &fresh_dir, &["restore", path], &with_key).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(snapshot(&app.db.db).await, snapshot(&fresh.db).await);
    let restored = fresh_dir.join("files").join(&sha[..2]).join(&sha[2..4]).join(&sha);
    assert_eq!(std::fs::read(restored).expect("restored file"), b"%PDF-1.7\nto khai\n%%EOF");

    // A second restore finds data there and refuses unless forced.
    let again = cli_with_env(&fresh.url, &fresh_dir, &["restore", path], &with_key).await;
    assert!(!again.status.success());
    assert!(text(&again).contains("không trống"), "{}", text(&again));
    let forced =
        cli_with_env(&fresh.url, &fresh_dir, &["restore", "--force", path], &with_key).await;
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(snapshot(&app.db.db).await, snapshot(&fresh.db).await);

    // The restored instance keeps working: new rows get fresh ids, the audit chain verifies.
    let verify = cli_with_env(&fresh.url, &fresh_dir, &["audit", "verify"], &with_key).await;
    assert!(verify.status.success(), "{}", text(&verify));
}

#[tokio::test]
async fn a_damaged_archive_is_refused_and_changes_nothing() {
    let fresh = TestDb::new().await;
    let dir = fresh.dir.join("data");
    let bogus = fresh.dir.join("bogus.tar.gz");
    std::fs::write(&bogus, b"not an archive").expect("write");
    let out = cli(&fresh.url, &dir, &["restore", bogus.to_str().expect("path")]).await;
    assert!(!out.status.success());
    for (t, rows) in snapshot(&fresh.db).await {
        assert!(rows.is_empty(), "{t} changed");
    }
}

#[tokio::test]
async fn a_sqlite_backup_restores_into_postgresql() {
    let Some(_) = cqdt_testing::postgres_admin_url() else {
        // Straight to stderr, past the test harness's capture, so a plain `cargo test` shows it.
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED here: needs CQDT_TEST_DATABASE_URL (runs in the PostgreSQL pass)"
        );
        return;
    };
    let scratch = std::env::temp_dir().join(format!("cqdt-xbackend-{}", std::process::id()));
    let sqlite_dir = scratch.join("sqlite");
    std::fs::create_dir_all(&sqlite_dir).expect("dir");
    let sqlite_url = Db::sqlite_url(&sqlite_dir);
    let seeded = cli(&sqlite_url, &sqlite_dir, &["seed"]).await;
    assert!(seeded.status.success(), "{}", text(&seeded));
    let archive = scratch.join("backup.tar.gz");
    let out = cli(&sqlite_url, &sqlite_dir, &["backup", archive.to_str().expect("path")]).await;
    assert!(out.status.success(), "{}", text(&out));
    let pg = TestDb::new().await;
    let key = file_key(&sqlite_dir);
    let out = cli_with_env(
        &pg.url,
        &pg.dir,
        &["restore", archive.to_str().expect("path")],
        &[("CQDT_KEK", key.as_str())],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    let sqlite = Db::connect(&sqlite_url).await.expect("sqlite");
    assert_eq!(snapshot(&sqlite).await, snapshot(&pg.db).await);
    sqlite.close().await;
    let _ = std::fs::remove_dir_all(&scratch);
}

#[tokio::test]
async fn backups_hold_no_clear_secret_and_kek_rewrap_moves_every_secret_to_a_new_key() {
    let mut app = Instance::start().await;
    app.stop().await;
    let archive = app.db.dir.join("backup.tar.gz");
    let out = app.cli(&["backup", archive.to_str().expect("path")]).await;
    assert!(out.status.success(), "{}", text(&out));
    // No key configured: the data directory's key file, which is not in the archive.
    let old = file_key(&app.data_dir);
    let sealer = cqdt_platform::sealing::Sealer::from_key_file(&old).expect("key");
    let raw = std::fs::read(&archive).expect("archive");
    let compressed = cqdt_platform::backup::sealed::open(&raw, &sealer).expect("opens");
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice()).read_to_end(&mut bytes).expect("gunzip");
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"totp_secret") && has(b"sealed:v1:"), "the accounts table, sealed");
    assert!(!has(DEMO_TOTP.as_bytes()), "the demo officials' TOTP secret in clear");
    assert!(!has(old.as_bytes()), "the key in the archive");
    let generated = app.cli(&["kek", "generate"]).await;
    let new = text(&generated).trim().to_string();
    assert_eq!(cqdt_platform::sealing::parse_key(&new).map(|_| ()), Ok(()), "{new}");

    let (url, dir) = (app.db.url.clone(), app.data_dir.clone());
    let both = [("CQDT_KEK", new.as_str()), ("CQDT_KEK_PREVIOUS", old.as_str())];
    let rewrap = cli_with_env(&url, &dir, &["kek", "rewrap"], &both).await;
    assert!(rewrap.status.success(), "{}", text(&rewrap));
    assert!(text(&rewrap).contains("resealed"), "{}", text(&rewrap));
    let alone = cli_with_env(&url, &dir, &["client", "list"], &[("CQDT_KEK", &new)]).await;
    assert!(alone.status.success(), "the new key alone: {}", text(&alone));
    let stale = app.cli(&["client", "list"]).await;
    assert!(!stale.status.success(), "the old key no longer opens anything");
    assert!(text(&stale).contains("CQDT_KEK"), "{}", text(&stale));
}

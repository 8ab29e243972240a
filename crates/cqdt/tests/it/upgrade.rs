//! The real binary on a database written by the release before sqlx migrations (the fixtures
//! of `crates/platform/tests/fixtures`): SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL.

use std::io::Read;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::helpers::{client, free_port, session_cookie, text, DEMO_PASSWORD};
use cqdt_platform::migrations::newest_version;
use cqdt_platform::Backend;
use cqdt_testing::PgDatabase;
use sqlx::Connection;
use tokio::process::Command;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../platform/tests/fixtures").join(name);
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).expect("fixture"))
        .read_to_end(&mut out)
        .expect("gunzip fixture");
    out
}

/// A data directory (and, on PostgreSQL, a database) holding the release's demo instance.
struct ReleaseInstance {
    dir: tempfile::TempDir,
    postgres: Option<PgDatabase>,
}

impl ReleaseInstance {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(pg) = PgDatabase::create("cqdt_upgrade").await else {
            std::fs::write(dir.path().join("cqdt.db"), fixture("release-11e73e3.sqlite.db.gz"))
                .expect("write the release's database");
            return ReleaseInstance { dir, postgres: None };
        };
        sqlx::any::install_default_drivers();
        let dump = String::from_utf8(fixture("release-11e73e3.postgres.sql.gz")).expect("utf-8");
        // The dump empties the session's search_path: a connection of its own, closed after.
        let mut conn = sqlx::AnyConnection::connect(&pg.url).await.expect("connect");
        sqlx::raw_sql(&dump).execute(&mut conn).await.expect("load the release's dump");
        conn.close().await.expect("close");
        ReleaseInstance { dir, postgres: Some(pg) }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cqdt"));
        c.env("CQDT_DATA_DIR", self.dir.path())
            .env("CQDT_LOG", "warn")
            .env_remove("CQDT_CONFIG")
            .env_remove("CQDT_DATABASE_URL")
            .kill_on_drop(true);
        if let Some(pg) = &self.postgres {
            c.env("CQDT_DATABASE_URL", &pg.url);
        }
        c
    }

    async fn cli(&self, args: &[&str]) -> Output {
        self.command().args(args).output().await.expect("run cqdt")
    }
}

/// The dossiers the demo citizen sees through the API of `cqdt serve` on the instance.
async fn citizens_dossiers(instance: &ReleaseInstance) -> Vec<serde_json::Value> {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = instance
        .command()
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .spawn()
        .expect("start cqdt serve");
    let http = client();
    let mut ready = false;
    for _ in 0..240 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            ready = r.status().is_success();
            if ready {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "cqdt serve did not become ready on the upgraded database");
    let login = http
        .post(format!("{base}/dang-nhap"))
        .form(&[("login", "094085000123"), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .expect("sign in");
    let cookie = session_cookie(&login).expect("the demo citizen of the release signs in");
    http.get(format!("{base}/api/v1/dossiers"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("dossiers")
        .error_for_status()
        .expect("dossiers status")
        .json()
        .await
        .expect("dossiers json")
}

#[tokio::test]
async fn an_instance_of_the_release_before_sqlx_upgrades_in_place_and_serves_its_data() {
    let instance = ReleaseInstance::new().await;
    let backend = if instance.postgres.is_some() { Backend::Postgres } else { Backend::Sqlite };
    let migrate = instance.cli(&["migrate"]).await;
    assert!(migrate.status.success(), "{}", text(&migrate));
    let newest = format!("schema version {}\n", newest_version(backend));
    assert_eq!(String::from_utf8_lossy(&migrate.stdout), newest);
    // The hash chain of the release's audit log is intact.
    let verify = instance.cli(&["audit", "verify"]).await;
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(text(&verify).contains("audit log OK"), "{}", text(&verify));
    // The OAuth client registered with the release is still there.
    let clients = instance.cli(&["client", "list"]).await;
    assert!(text(&clients).contains("Hệ thống thử nghiệm"), "{}", text(&clients));
    // The citizen signs in with the release's password and finds both dossiers.
    let dossiers = citizens_dossiers(&instance).await;
    let mut children: Vec<&str> =
        dossiers.iter().filter_map(|d| d["form"]["child_full_name"].as_str()).collect();
    children.sort_unstable();
    assert_eq!(children, ["Nguyễn Gia Bảo", "Trần Thị Mỹ Duyên"]);
    // A second start finds nothing to do.
    let again = instance.cli(&["migrate"]).await;
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(String::from_utf8_lossy(&again.stdout), newest);
}

//! Spawns the real `cqdt` binary against a fresh database (SQLite, or PostgreSQL when
//! CQDT_TEST_DATABASE_URL is set) on a free loopback port.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use cqdt_platform::testing::TestDb;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The admin password every test instance gets.
pub const ADMIN_PASSWORD: &str = "mat-khau-kiem-thu";

/// A running instance.
pub struct Instance {
    /// Base URL, e.g. http://127.0.0.1:34567
    pub base: String,
    /// The database (kept so it is dropped after the process).
    pub db: TestDb,
    /// Data directory.
    pub data_dir: PathBuf,
    child: Option<Child>,
}

/// The binary under test.
pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_cqdt")
}

/// A `cqdt` command configured for a database and data dir.
pub fn command(db_url: &str, data_dir: &Path) -> Command {
    let mut c = Command::new(exe());
    c.env("CQDT_DATABASE_URL", db_url)
        .env("CQDT_DATA_DIR", data_dir)
        .env("CQDT_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CQDT_LOG", "warn")
        .env_remove("CQDT_CONFIG")
        .kill_on_drop(true);
    c
}

/// Runs a CLI command to completion.
pub async fn cli(db_url: &str, data_dir: &Path, args: &[&str]) -> Output {
    command(db_url, data_dir)
        .args(args)
        .output()
        .await
        .expect("run cqdt")
}

impl Instance {
    /// Starts `cqdt serve` on a fresh database with the demo province.
    pub async fn start() -> Self {
        Self::start_with(&[], &[]).await
    }

    /// Starts `cqdt serve` with extra arguments and environment.
    pub async fn start_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        let db = TestDb::new().await;
        let data_dir = db.dir.join("data");
        std::fs::create_dir_all(&data_dir).expect("data dir");
        let mut cmd = command(&db.url, &data_dir);
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn cqdt serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(url) = line.strip_prefix("cqdt listening on ") {
                    return url.trim().to_string();
                }
            }
            panic!("cqdt serve exited before listening");
        })
        .await
        .expect("cqdt serve did not start within 60 s");
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Instance {
            base,
            db,
            data_dir,
            child: Some(child),
        }
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Runs a CLI command against this instance's database and data dir.
    pub async fn cli(&self, args: &[&str]) -> Output {
        cli(&self.db.url, &self.data_dir, args).await
    }

    /// Stops the server.
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill().await;
        }
    }
}

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Text of a command's stdout and stderr.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

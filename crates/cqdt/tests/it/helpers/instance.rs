//! One instance of the platform on a fresh database (SQLite, or PostgreSQL when
//! CQDT_TEST_DATABASE_URL is set) and a free loopback port: built in-process by default, with
//! its own async runtime so that it lives and dies apart from the test's; or the real `cqdt
//! serve` process for the end-to-end tests (start-up, kill -9).

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cqdt::config::{Config, GlobalArgs, ServeArgs};
use cqdt_platform::{SharedClock, SystemClock};
use cqdt_testing::TestDb;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The admin password every test instance gets.
pub const ADMIN_PASSWORD: &str = "mat-khau-kiem-thu";

/// A running instance.
pub struct Instance {
    /// Base URL, e.g. http://127.0.0.1:34567
    pub base: String,
    /// The database (kept so it is dropped after the server).
    pub db: TestDb,
    /// Data directory.
    pub data_dir: PathBuf,
    launch: Launch,
    running: Option<Running>,
}

/// How the instance is (re)started.
enum Launch {
    /// `cqdt::start` in this process, with this configuration.
    InProcess(Box<Config>),
    /// `cqdt serve` with these extra arguments and environment.
    Binary(Vec<String>, Vec<(String, String)>),
}

enum Running {
    InProcess { runtime: tokio::runtime::Runtime, server: Option<Box<cqdt::Server>> },
    Binary(Child),
}

/// The binary under test.
pub fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_cqdt")
}

/// A `cqdt` command configured for a database and data dir.
fn command(db_url: &str, data_dir: &Path) -> Command {
    let mut c = Command::new(exe());
    c.env("CQDT_DATABASE_URL", db_url)
        .env("CQDT_DATA_DIR", data_dir)
        .env("CQDT_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CQDT_LOG", "warn")
        .env_remove("CQDT_CONFIG")
        .kill_on_drop(true);
    c
}

/// Runs a CLI command of the real binary to completion.
pub async fn cli(db_url: &str, data_dir: &Path, args: &[&str]) -> Output {
    cli_with_env(db_url, data_dir, args, &[]).await
}

/// Runs a CLI command of the real binary to completion with extra `CQDT_*` settings.
pub async fn cli_with_env(
    db_url: &str,
    data_dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut c = command(db_url, data_dir);
    c.envs(env.iter().copied());
    c.args(args).output().await.expect("run cqdt")
}

/// The configuration `cqdt serve ARGS` would get with the `CQDT_*` settings `env`; the
/// settings are read from `env`, never from the process environment (tests run in parallel
/// threads of one process).
fn config(db: &TestDb, data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Config {
    let mut global = GlobalArgs {
        data_dir: Some(data_dir.to_path_buf()),
        database_url: Some(db.url.clone()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        ..GlobalArgs::default()
    };
    let mut serve = ServeArgs { listen: Some("127.0.0.1:0".into()), no_demo: false };
    for arg in args {
        match *arg {
            "--no-demo" => serve.no_demo = true,
            other => panic!("the in-process instance does not know the argument {other}"),
        }
    }
    for (key, value) in env {
        let v = Some(value.to_string());
        match *key {
            "CQDT_SMTP_URL" => global.smtp_url = v,
            "CQDT_SMTP_FROM" => global.smtp_from = v,
            "CQDT_SMS_URL" => global.sms_url = v,
            "CQDT_SMS_TOKEN" => global.sms_token = v,
            "CQDT_PUBLIC_URL" => global.public_url = v,
            "CQDT_INSTANCE_NAME" => global.instance_name = v,
            "CQDT_OFFICE_HOURS" => global.office_hours = v,
            "CQDT_VNEID_URL" => global.vneid_url = v,
            "CQDT_VNEID_CLIENT_ID" => global.vneid_client_id = v,
            "CQDT_VNEID_CLIENT_SECRET" => global.vneid_client_secret = v,
            "CQDT_TRUSTED_PROXIES" => global.trusted_proxies = v,
            "CQDT_METRICS_TOKEN" => global.metrics_token = v,
            "CQDT_NATIONAL_POPULATION_URL" => global.national_population_url = v,
            "CQDT_NATIONAL_BUSINESS_URL" => global.national_business_url = v,
            "CQDT_NATIONAL_PORTAL_URL" => global.national_portal_url = v,
            "CQDT_LGSP_NATS_URL" => global.lgsp_nats_url = v,
            "CQDT_LGSP_NATS_STREAM" => global.lgsp_nats_stream = v,
            "CQDT_NATIONAL_CLIENT_ID" => global.national_client_id = v,
            "CQDT_NATIONAL_CLIENT_SECRET" => global.national_client_secret = v,
            "CQDT_MAX_UPLOAD_MB" => {
                global.max_upload_mb = Some(value.parse().expect("CQDT_MAX_UPLOAD_MB"));
            }
            other => panic!("the in-process instance does not know the setting {other}"),
        }
    }
    Config::resolve(&global, Some(&serve)).expect("test configuration")
}

/// Builds and serves the platform on its own runtime; returns its base URL.
async fn start_in_process(config: Config) -> (String, Running) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("cqdt-instance")
        .enable_all()
        .build()
        .expect("instance runtime");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.set_nonblocking(true).expect("non-blocking");
    let clock: SharedClock = Arc::new(SystemClock);
    let started = runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        cqdt::start(config, listener, clock).await
    });
    let server = tokio::time::timeout(Duration::from_secs(60), started)
        .await
        .expect("the platform did not start within 60 s")
        .expect("the start-up task")
        .unwrap_or_else(|e| panic!("the platform did not start: {e}"));
    let base = server.url();
    let running = Running::InProcess { runtime, server: Some(Box::new(server)) };
    (base, running)
}

/// Spawns `cqdt serve` on a free loopback port and waits until it says it listens.
async fn start_binary(
    db_url: &str,
    data_dir: &Path,
    args: &[String],
    env: &[(String, String)],
) -> (String, Running) {
    let mut cmd = command(db_url, data_dir);
    cmd.arg("serve")
        .arg("--listen")
        .arg("127.0.0.1:0")
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd.stdout(Stdio::piped()).spawn().expect("spawn cqdt serve");
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
    (base, Running::Binary(child))
}

impl Instance {
    /// The platform in-process on a fresh database with the demo province.
    pub async fn start() -> Self {
        Self::start_with(&[], &[]).await
    }

    /// The platform in-process with `cqdt serve` arguments (`--no-demo`) and `CQDT_*`
    /// settings, given as the variable names the binary reads but passed as configuration.
    pub async fn start_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        let (db, data_dir) = fresh().await;
        let config = config(&db, &data_dir, args, env);
        Self::launch(db, data_dir, Launch::InProcess(Box::new(config))).await
    }

    /// The real `cqdt serve` process on a fresh database with the demo province.
    pub async fn spawn_binary() -> Self {
        Self::spawn_binary_with(&[], &[]).await
    }

    /// The real `cqdt serve` process with extra arguments and environment variables.
    pub async fn spawn_binary_with(args: &[&str], env: &[(&str, &str)]) -> Self {
        let (db, data_dir) = fresh().await;
        let launch = Launch::Binary(
            args.iter().map(|a| a.to_string()).collect(),
            env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        );
        Self::launch(db, data_dir, launch).await
    }

    async fn launch(db: TestDb, data_dir: PathBuf, launch: Launch) -> Self {
        let mut instance = Instance { base: String::new(), db, data_dir, launch, running: None };
        instance.run().await;
        instance
    }

    async fn run(&mut self) {
        let (base, running) = match &self.launch {
            Launch::InProcess(config) => start_in_process(config.as_ref().clone()).await,
            Launch::Binary(args, env) => {
                start_binary(&self.db.url, &self.data_dir, args, env).await
            }
        };
        self.base = base;
        self.running = Some(running);
    }

    /// Stops the server without warning, as a crash or power cut would: SIGKILL for the
    /// process; for an in-process instance, every task of its runtime dropped where it stands.
    pub async fn kill(&mut self) {
        match self.running.take() {
            Some(Running::Binary(mut c)) => {
                let _ = c.start_kill();
                let _ = c.wait().await;
            }
            Some(Running::InProcess { runtime, server }) => {
                runtime.shutdown_background();
                drop(server);
            }
            None => {}
        }
    }

    /// The `/api/` and `/dmdc/` paths of the assembled router (in-process instances only).
    pub fn api_paths(&self) -> std::collections::BTreeSet<String> {
        match &self.running {
            Some(Running::InProcess { server: Some(server), .. }) => {
                cqdt::openapi::api_paths(&server.app().router())
            }
            _ => panic!("api_paths needs an in-process instance"),
        }
    }

    /// Starts the server again on the same database and files (a new port).
    pub async fn restart(&mut self) {
        self.kill().await;
        self.run().await;
    }

    /// Starts the in-process server again on the same database and files with other
    /// settings (a new port), as an operator who changed the configuration would.
    pub async fn restart_with(&mut self, args: &[&str], env: &[(&str, &str)]) {
        self.stop().await;
        self.launch = Launch::InProcess(Box::new(config(&self.db, &self.data_dir, args, env)));
        self.run().await;
    }

    /// Full URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Runs a CLI command of the real binary against this instance's database and data dir.
    pub async fn cli(&self, args: &[&str]) -> Output {
        cli(&self.db.url, &self.data_dir, args).await
    }

    /// Stops the server: gracefully in-process (requests in flight finish, the workers stop,
    /// the database is closed); the process is killed.
    pub async fn stop(&mut self) {
        match self.running.take() {
            Some(Running::InProcess { runtime, server: Some(server) }) => {
                let stopped = runtime.spawn(server.shutdown());
                stopped.await.expect("the shut-down task").expect("a clean shut-down");
                runtime.shutdown_background();
            }
            Some(Running::Binary(mut c)) => {
                let _ = c.kill().await;
            }
            other => self.running = other,
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // Before the database goes: a runtime cannot be dropped inside the test's, so it is
        // shut down in the background (its tasks are dropped at once).
        if let Some(Running::InProcess { runtime, .. }) = self.running.take() {
            runtime.shutdown_background();
        }
    }
}

/// A fresh database and an empty data directory beside it.
async fn fresh() -> (TestDb, PathBuf) {
    let db = TestDb::new().await;
    let data_dir = db.dir.join("data");
    std::fs::create_dir_all(&data_dir).expect("data dir");
    (db, data_dir)
}

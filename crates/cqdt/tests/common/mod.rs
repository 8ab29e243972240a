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

/// Spawns `cqdt serve` on a free loopback port and waits until it listens.
async fn serve(
    db_url: &str,
    data_dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (String, Child) {
    let mut cmd = command(db_url, data_dir);
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
    (base, child)
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
        let (base, child) = serve(&db.url, &data_dir, args, env).await;
        Instance {
            base,
            db,
            data_dir,
            child: Some(child),
        }
    }

    /// Kills the server without warning (SIGKILL), as a crash or power cut would.
    pub async fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    /// Starts the server again on the same database and files (a new port).
    pub async fn restart(&mut self) {
        self.kill().await;
        let (base, child) = serve(&self.db.url, &self.data_dir, &[], &[]).await;
        self.base = base;
        self.child = Some(child);
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

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `cqdt sandbox sms` running on loopback; messages are listed at `{base}/api/sms`.
pub struct SmsSandbox {
    /// Base URL.
    pub base: String,
    _child: Child,
}

impl SmsSandbox {
    /// Starts the sandbox and waits until it answers.
    pub async fn start(token: Option<&str>) -> SmsSandbox {
        let port = free_port();
        let mut cmd = Command::new(exe());
        cmd.args(["sandbox", "sms", "--listen", &format!("127.0.0.1:{port}")]);
        if let Some(t) = token {
            cmd.args(["--token", t]);
        }
        let child = cmd
            .env("CQDT_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sandbox");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while client()
            .get(format!("{base}/api/sms"))
            .send()
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "sandbox did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmsSandbox {
            base,
            _child: child,
        }
    }

    /// The gateway URL to give `cqdt serve`.
    pub fn url(&self) -> String {
        format!("{}/api/sms", self.base)
    }

    /// Every message received so far, as JSON text.
    pub async fn inbox(&self) -> String {
        client()
            .get(self.url())
            .send()
            .await
            .expect("list")
            .text()
            .await
            .expect("text")
    }

    /// Waits for a message to `phone` (+84…) containing `needle` and returns its text.
    pub async fn wait_for(&self, phone: &str, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let inbox: serde_json::Value =
                serde_json::from_str(&self.inbox().await).unwrap_or_default();
            let found = inbox
                .as_array()
                .into_iter()
                .flatten()
                .chain(inbox["messages"].as_array().into_iter().flatten())
                .filter(|m| m.to_string().contains(phone))
                .filter_map(|m| m["text"].as_str().map(str::to_string))
                .rfind(|t| t.contains(needle));
            if let Some(t) = found {
                return t;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no SMS to {phone} containing {needle:?}: {inbox}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Registers an OAuth client with `cqdt client add`; returns its id and secret (if any).
pub async fn add_client(app: &Instance, args: &[&str]) -> (String, Option<String>) {
    let mut all = vec!["client", "add"];
    all.extend_from_slice(args);
    let out = app.cli(&all).await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .map(str::to_string)
    };
    (
        field("client_id: ").expect("client_id"),
        field("client_secret: "),
    )
}

/// The `cqdt_session` cookie a response sets, if any.
pub fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("cqdt_session="))
        .and_then(|v| v.split(';').next())
        .filter(|v| !v.is_empty())
        .map(|v| format!("cqdt_session={v}"))
}

/// Where a redirect points.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Signs in with a password (and the demo TOTP secret for officials); returns the cookie.
pub async fn sign_in(app: &Instance, login: &str, password: &str, totp: Option<&str>) -> String {
    let res = client()
        .post(app.url("/dang-nhap"))
        .form(&[
            ("login", login),
            ("password", password),
            ("next", "/tai-khoan"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303, "login of {login} refused");
    let cookie = session_cookie(&res).expect("session cookie");
    if location(&res).starts_with("/dang-nhap/xac-thuc-hai-lop") {
        let secret = totp.expect("a TOTP secret for an official");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let code = cqdt_identity::totp::code(secret, now).expect("code");
        let res = client()
            .post(app.url("/dang-nhap/xac-thuc-hai-lop"))
            .header("cookie", &cookie)
            .form(&[("code", code.as_str()), ("next", "/tai-khoan")])
            .send()
            .await
            .expect("second factor");
        assert_eq!(res.status(), 303, "second factor of {login} refused");
        assert_eq!(location(&res), "/tai-khoan");
    }
    cookie
}

/// The demo accounts' password and TOTP secret (README lists them).
pub const DEMO_PASSWORD: &str = "Thu-nghiem-2026";
/// The demo officials' TOTP secret.
pub const DEMO_TOTP: &str = "KRUGKIDROVWXUIDOMVTWQ2LFNUQDEMBSGY";

/// `cqdt sandbox vneid` on a chosen loopback port, for one redirect URI.
pub struct VneidSandbox {
    /// Issuer URL.
    pub base: String,
    _child: Child,
}

impl VneidSandbox {
    /// A port for the sandbox, chosen before the platform starts (the platform needs the URL).
    pub fn port() -> u16 {
        free_port()
    }

    /// The platform's environment for a sandbox on `port`.
    pub fn env(port: u16) -> [(&'static str, String); 3] {
        [
            ("CQDT_VNEID_URL", format!("http://127.0.0.1:{port}")),
            ("CQDT_VNEID_CLIENT_ID", "cqdt".into()),
            ("CQDT_VNEID_CLIENT_SECRET", "cqdt-sandbox-secret".into()),
        ]
    }

    /// Starts the sandbox for the platform at `app_base` and waits until it answers.
    pub async fn start(port: u16, app_base: &str) -> VneidSandbox {
        let child = Command::new(exe())
            .args([
                "sandbox",
                "vneid",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--redirect-uri",
                &format!("{app_base}/dang-nhap/vneid/callback"),
            ])
            .env("CQDT_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("vneid sandbox");
        let base = format!("http://127.0.0.1:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while client()
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "VNeID sandbox did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        VneidSandbox {
            base,
            _child: child,
        }
    }
}

/// A real SMTP server: `python3 -m aiosmtpd`, printing what it receives.
pub struct Smtp {
    _child: tokio::process::Child,
    output: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Smtp {
    /// Starts it on a port and waits until it listens.
    pub async fn start(port: u16) -> Smtp {
        let ok = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "these tests need a real SMTP server: pip install aiosmtpd"
        );
        let mut child = tokio::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .env("PYTHONUNBUFFERED", "1")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn aiosmtpd");
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let sink = output.clone();
        tokio::spawn(async move {
            while let Ok(Some(l)) = lines.next_line().await {
                if let Ok(mut o) = sink.lock() {
                    o.push_str(&l);
                    o.push('\n');
                }
            }
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "aiosmtpd did not start"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Smtp {
            _child: child,
            output,
        }
    }

    /// Everything received so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }
}

/// The value of the first real option (after the "choose" one) of a select on a page.
#[allow(dead_code)]
pub fn first_option(page: &str, id: &str) -> String {
    page.split(&format!("<select id=\"{id}\""))
        .nth(1)
        .and_then(|s| s.split("<option value=\"").nth(2))
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no options for {id}"))
        .to_string()
}

/// Files a birth registration at UBND Phường 5 as the signed-in citizen, through the API;
/// returns its code.
#[allow(dead_code)]
pub async fn file_birth_registration(app: &Instance, cookie: &str) -> String {
    let page = client()
        .get(app.url("/nop-ho-so/1.001193.000.00.00.H51"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("form")
        .text()
        .await
        .expect("page");
    let form = serde_json::json!({
        "child_full_name": "Nguyễn Gia Bảo",
        "child_date_of_birth": "01/11/2026",
        "child_gender": first_option(&page, "f_child_gender"),
        "child_ethnicity": first_option(&page, "f_child_ethnicity"),
        "child_nationality": first_option(&page, "f_child_nationality"),
        "place_of_birth": "Bệnh viện Đa khoa tỉnh Sóc Trăng, số 378 Lê Duẩn",
        "place_of_birth__xa": "Phường Sóc Trăng",
        "hometown": "94",
        "mother_full_name": "Trần Thị Mai",
        "requester_phone": "0912000123",
    });
    let res = client()
        .post(app.url("/api/v1/dossiers"))
        .header("cookie", cookie)
        .json(&serde_json::json!({"procedure_code": "1.001193.000.00.00.H51", "agency_code": "000.01.41.H51", "form": form}))
        .send()
        .await
        .expect("file");
    assert_eq!(res.status(), 201);
    let v: serde_json::Value = res.json().await.expect("json");
    v["code"].as_str().expect("code").to_string()
}

/// Posts a form with a session cookie: the status, and where it redirects to (or the page).
#[allow(dead_code)]
pub async fn post_page(
    app: &Instance,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let res = client()
        .post(app.url(path))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .expect("post");
    let status = res.status().as_u16();
    let to = location(&res);
    (
        status,
        if to.is_empty() {
            res.text().await.expect("text")
        } else {
            to
        },
    )
}

/// The text of a PDF as poppler's `pdftotext` reads it, so a generated document is checked
/// by a reader other than its writer; `None` where poppler is missing, unless
/// `CQDT_REQUIRE_PDFTOTEXT=1` (as in CI) makes that a failure.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    match std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "pdftotext: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            Some(String::from_utf8_lossy(&o.stdout).to_string())
        }
        Err(e) => {
            assert!(
                std::env::var("CQDT_REQUIRE_PDFTOTEXT").as_deref() != Ok("1"),
                "pdftotext is required here: {e}"
            );
            None
        }
    }
}

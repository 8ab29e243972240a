//! Journeys in a real headless Chromium driven over WebDriver (chromedriver), with an
//! accessibility check by axe-core on every page visited.
//!
//! Needs `chromium`, `chromedriver` and axe-core (`CQDT_AXE_JS`, installed by `.ci/run`). When
//! they are missing the tests fail if `CQDT_BROWSER_TESTS=1` (as in CI) and are skipped otherwise,
//! saying so.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{Instance, ADMIN_PASSWORD};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    _driver: Child,
    _profile: tempfile_dir::Dir,
}

mod tempfile_dir {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn required() -> bool {
    std::env::var("CQDT_BROWSER_TESTS").is_ok_and(|v| v == "1")
}

fn axe_source() -> Option<String> {
    let path = std::env::var("CQDT_AXE_JS").ok().or_else(|| {
        let p = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../.ci/node/node_modules/axe-core/axe.min.js"
        );
        std::path::Path::new(p).exists().then(|| p.to_string())
    })?;
    std::fs::read_to_string(path).ok()
}

fn tools_present() -> bool {
    let ok = std::path::Path::new("/usr/bin/chromedriver").exists()
        && std::path::Path::new("/usr/bin/chromium").exists()
        && axe_source().is_some();
    if !ok {
        assert!(
            !required(),
            "CQDT_BROWSER_TESTS=1 but chromium, chromedriver or axe-core (CQDT_AXE_JS) is missing"
        );
        eprintln!("SKIPPED: browser tests need chromium, chromedriver and axe-core (run .ci/run)");
    }
    ok
}

impl Browser {
    async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..200 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile =
            std::env::temp_dir().join(format!("cqdt-chromium-{}-{port}", std::process::id()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--window-size=1280,900",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let res: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        Browser {
            http,
            base,
            session,
            _driver: driver,
            _profile: tempfile_dir::Dir(profile),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let res: Value = self
            .http
            .request(method, url)
            .json(&body)
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver json");
        if res["value"].get("error").is_some() {
            panic!("webdriver {path}: {res}");
        }
        res["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn js(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    async fn key(&self, keys: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "kb", "actions":
            keys.chars().flat_map(|c| [json!({"type": "keyDown", "value": c.to_string()}), json!({"type": "keyUp", "value": c.to_string()})]).collect::<Vec<_>>()
        }]});
        self.call(reqwest::Method::POST, "/actions", actions).await;
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await;
    }

    /// Runs axe-core on the current page; returns serious and critical violations.
    async fn axe(&self) -> Vec<Value> {
        let src = axe_source().expect("axe-core");
        self.js(&format!("{src}\n;return typeof axe;")).await;
        let script = "const done = arguments[arguments.length - 1];\
            axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})\
              .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))\
              .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));";
        let v = self
            .call(
                reqwest::Method::POST,
                "/execute/async",
                json!({"script": script, "args": []}),
            )
            .await;
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|x| matches!(x["impact"].as_str(), Some("serious") | Some("critical")))
            .collect()
    }

    async fn quit(&self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
    }
}

async fn assert_accessible(b: &Browser, what: &str) {
    let bad = b.axe().await;
    assert!(
        bad.is_empty(),
        "{what}: serious/critical accessibility violations: {bad:#?}"
    );
}

#[tokio::test]
async fn the_home_page_is_accessible_keyboard_usable_and_fits_a_phone() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let b = Browser::start().await;
    // The checker itself must be able to fail: a page with an unlabelled field and an image
    // without alternative text has critical violations.
    b.goto("data:text/html;charset=utf-8,<html><body><img src='x.png'><input type='text'></body></html>").await;
    assert!(
        !b.axe().await.is_empty(),
        "axe-core found nothing on a broken page"
    );
    b.goto(&app.url("/")).await;
    let title = b.js("return document.title").await;
    assert!(
        title.as_str().unwrap_or("").contains("Trang chủ"),
        "{title}"
    );
    assert_eq!(b.js("return document.documentElement.lang").await, "vi");
    assert_accessible(&b, "home page").await;

    // The first Tab lands on the skip link, and following it moves focus to the main content.
    b.key("\u{E004}").await;
    let focused = b
        .js("return document.activeElement.textContent.trim()")
        .await;
    assert_eq!(focused, "Bỏ qua, đến nội dung chính");
    let outline = b
        .js("return getComputedStyle(document.activeElement).backgroundColor")
        .await;
    assert_ne!(
        outline, "rgba(0, 0, 0, 0)",
        "focused skip link has no visible focus style"
    );
    b.key("\u{E007}").await;
    let now = b.js("return document.activeElement.id").await;
    assert_eq!(now, "main");

    // On a phone-sized window nothing scrolls sideways.
    b.resize(375, 812).await;
    let overflow = b
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "page scrolls sideways on a phone: {overflow}"
    );
    assert_accessible(&b, "home page on a phone").await;
    b.quit().await;
}

#[tokio::test]
async fn error_and_admin_pages_are_accessible() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let b = Browser::start().await;
    b.goto(&app.url("/khong-co-trang-nay")).await;
    assert!(b
        .js("return document.body.innerText")
        .await
        .as_str()
        .unwrap_or("")
        .contains("Không tìm thấy trang"));
    assert_accessible(&b, "404 page").await;
    let authed = app
        .base
        .replacen("http://", &format!("http://admin:{ADMIN_PASSWORD}@"), 1);
    for path in [
        "/danh-muc",
        "/danh-muc/admin-units?parent=94",
        "/danh-muc/admin-units/31498",
        "/danh-muc/agencies/000.00.00.H51",
        "/admin/catalogs",
        "/admin/catalogs/admin-units?parent=94",
        "/admin/catalogs/admin-units/entries/31498",
        "/admin/catalogs/agencies/new",
        "/admin/catalogs/agencies/import",
        "/lich-lam-viec",
        "/admin/calendar",
        "/admin/notifications",
        "/admin/workflow",
        "/admin/jobs",
        "/admin/audit",
        "/admin/audit?from=32/13/2026",
    ] {
        b.goto(&format!("{authed}{path}")).await;
        let h1 = b
            .js("return document.querySelector('h1') && document.querySelector('h1').textContent")
            .await;
        assert!(h1.is_string(), "{path}: no heading (login failed?)");
        assert_accessible(&b, path).await;
    }
    // A bad date shows the error summary at the top, linking to the field.
    let summary = b
        .js("return document.querySelector('.error-summary a').getAttribute('href')")
        .await;
    assert_eq!(summary, "#from");
    b.quit().await;
}

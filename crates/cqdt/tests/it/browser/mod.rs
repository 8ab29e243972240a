//! Journeys in a real headless Chromium driven over WebDriver (chromedriver), with an
//! accessibility check by axe-core on every page visited.
//!
//! Needs `chromium`, `chromedriver` and axe-core (`CQDT_AXE_JS`, installed by `.ci/run`). When
//! they are missing the tests fail if `CQDT_BROWSER_TESTS=1` (as in CI) and are skipped otherwise,
//! saying so.

use std::process::Stdio;
use std::time::Duration;

use crate::helpers;
use crate::helpers::{Instance, SendJson};
use serde_json::{json, Value};
use tokio::process::{Child, Command};

mod accounts;
mod dossiers;
mod lgsp;
mod pages;
mod printing;
mod sso;

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

fn axe_source() -> Option<String> {
    let path = std::env::var("CQDT_AXE_JS").ok().or_else(|| {
        let p =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../.ci/node/node_modules/axe-core/axe.min.js");
        std::path::Path::new(p).exists().then(|| p.to_string())
    })?;
    std::fs::read_to_string(path).ok()
}

/// Chromium, chromedriver and axe-core: without them the journeys are skipped, saying so,
/// unless CQDT_BROWSER_TESTS=1 (as in CI) makes that a failure.
fn tools_present() -> bool {
    cqdt_testing::prerequisite(
        std::path::Path::new("/usr/bin/chromedriver").exists()
            && std::path::Path::new("/usr/bin/chromium").exists()
            && axe_source().is_some(),
        "the browser journeys",
        "chromium, chromedriver or axe-core (CQDT_AXE_JS) is missing (run .ci/run)",
        "CQDT_BROWSER_TESTS",
    )
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
                         // A Vietnamese browser, as the people of the journeys have.
                         "--lang=vi",
                         format!("--user-data-dir={}", profile.display())]
            }
        }}});
        let res: Value = http.post(format!("{base}/session")).json(&caps).send_json().await;
        let session = res["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {res}"))
            .to_string();
        Browser { http, base, session, _driver: driver, _profile: tempfile_dir::Dir(profile) }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{}", self.base, self.session, path);
        let res: Value = self.http.request(method, url).json(&body).send_json().await;
        if res["value"].get("error").is_some() {
            panic!("webdriver {path}: {res}");
        }
        res["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url })).await;
    }

    async fn js(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    async fn key(&self, keys: &str) {
        let actions = json!({"actions": [{"type": "key", "id": "kb", "actions":
            keys.chars().flat_map(|c| [json!({"type": "keyDown", "value": c.to_string()}), json!({"type": "keyUp", "value": c.to_string()})]).collect::<Vec<_>>()
        }]});
        self.call(reqwest::Method::POST, "/actions", actions).await;
    }

    /// A 360 × 740 px phone (DevTools' device emulation: a desktop window cannot be made
    /// that narrow), or back to the desktop window.
    async fn phone(&self, on: bool) {
        let cmd = if on {
            json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": {"width": 360, "height": 740, "deviceScaleFactor": 1, "mobile": true}})
        } else {
            json!({"cmd": "Emulation.clearDeviceMetricsOverride", "params": {}})
        };
        self.call(reqwest::Method::POST, "/goog/cdp/execute", cmd).await;
    }

    async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", json!({"width": width, "height": height}))
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
            .call(reqwest::Method::POST, "/execute/async", json!({"script": script, "args": []}))
            .await;
        v.as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|x| matches!(x["impact"].as_str(), Some("serious" | "critical")))
            .collect()
    }

    /// Types into a field by id (replacing its value).
    async fn fill(&self, id: &str, value: &str) {
        let script = format!(
            "const e = document.getElementById({}); e.value = {}; return e.value;",
            json!(id),
            json!(value)
        );
        self.js(&script).await;
    }

    /// Clicks a button (CSS selector) and waits for the next page to load.
    async fn click_and_wait(&self, selector: &str) {
        self.js(&format!(
            "window.__cqdtOld = true; document.querySelector({}).click(); return true;",
            json!(selector)
        ))
        .await;
        for _ in 0..200 {
            let fresh = self
                .js("return window.__cqdtOld === undefined && document.readyState === 'complete'")
                .await;
            if fresh == json!(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after clicking {selector}");
    }

    /// Chooses a file for a file input (CSS selector), as a person would in the dialog.
    async fn upload(&self, selector: &str, path: &std::path::Path) {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({"using": "css selector", "value": selector}),
            )
            .await;
        let id = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(|v| v.as_str())
            .unwrap_or_else(|| panic!("no element {selector}"))
            .to_string();
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            json!({"text": path.display().to_string()}),
        )
        .await;
    }

    /// Saves a PNG of the whole page (up to 8,000 px down) to `CQDT_SCREENSHOTS` (a folder),
    /// when that is set, so a person can look at the page at this width (DevTools'
    /// `Page.captureScreenshot` beyond the viewport: WebDriver's own takes the viewport only).
    async fn screenshot(&self, name: &str) {
        let Ok(dir) = std::env::var("CQDT_SCREENSHOTS") else { return };
        let size = self
            .js("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            .await;
        let (width, height) =
            (size[0].as_f64().unwrap_or(360.0), size[1].as_f64().unwrap_or(740.0));
        let clip =
            json!({"x": 0, "y": 0, "width": width, "height": height.min(8000.0), "scale": 1});
        let params = json!({"format": "png", "captureBeyondViewport": true, "clip": clip});
        let cmd = json!({"cmd": "Page.captureScreenshot", "params": params});
        let v = self.call(reqwest::Method::POST, "/goog/cdp/execute", cmd).await;
        let bytes = base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            v["data"].as_str().unwrap_or(""),
        )
        .expect("png");
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), bytes)
            .expect("write screenshot");
    }

    async fn text(&self) -> String {
        self.js("return document.body.innerText").await.as_str().unwrap_or("").to_string()
    }

    /// The page's text without the codes it shows on purpose beneath their words.
    async fn text_without_codes(&self) -> String {
        self.js("const cs = [...document.querySelectorAll('code.meta')]; cs.forEach(c => c.style.display = 'none'); const t = document.body.innerText; cs.forEach(c => c.style.display = ''); return t")
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn path(&self) -> String {
        self.js("return location.pathname + location.search")
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// Takes over a session signed in elsewhere (`cqdt_session=…`), on the current origin.
    async fn sign_in_as(&self, cookie: &str) {
        let (name, value) = cookie.split_once('=').expect("name=value");
        let cookie = json!({"cookie": {"name": name, "value": value, "path": "/"}});
        self.call(reqwest::Method::POST, "/cookie", cookie).await;
    }

    /// The current page printed to PDF as Chromium's print dialog would, the paper size
    /// taken from the page's CSS `@page` (DevTools' `Page.printToPDF`, which WebDriver's own
    /// print command cannot ask for).
    async fn print_pdf(&self) -> Vec<u8> {
        let params = json!({"cmd": "Page.printToPDF", "params": {"preferCSSPageSize": true, "printBackground": true}});
        let v = self.call(reqwest::Method::POST, "/goog/cdp/execute", params).await;
        base64::Engine::decode(
            &base64::engine::general_purpose::STANDARD,
            v["data"].as_str().expect("PDF data"),
        )
        .expect("base64")
    }

    async fn quit(&self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}

/// A fresh instance and a browser for a journey; `None` (the journey is skipped, saying so)
/// without the tools.
async fn journey() -> Option<(Instance, Browser)> {
    if !tools_present() {
        return None;
    }
    Some((Instance::start().await, Browser::start().await))
}

/// Every page of a journey: no serious or critical axe-core violation, at 1280 px and on a
/// 360 px phone, where nothing may scroll sideways (issue 15, item 12); screenshots at both
/// widths go to `CQDT_SCREENSHOTS` when that is set.
async fn assert_accessible(b: &Browser, what: &str) {
    // Nothing technical, no code, no UTC or ISO date for a person to read (items 1, 2, 6).
    // A stored code shown on purpose, small beneath its words (`code.meta`: the audit log's
    // action codes and login names, which its search form takes), is not read as a leak.
    let path = b.path().await;
    if let Some(leak) = helpers::words::leak(&b.text_without_codes().await) {
        panic!("{what} ({path}) {leak}");
    }
    let bad = b.axe().await;
    assert!(bad.is_empty(), "{what}: serious/critical accessibility violations: {bad:#?}");
    // Every button is styled as one of ours, not the browser's grey default (item 12).
    let plain = b.js(UNSTYLED_BUTTONS).await;
    assert_eq!(plain, json!([]), "{what}: buttons left in the browser's style");
    let shot = screenshot_name(what);
    b.screenshot(&format!("{shot}-1280")).await;
    b.phone(true).await;
    let width = b.js("return [document.documentElement.scrollWidth, window.innerWidth]").await;
    let wide = b.js(WIDEST).await;
    b.screenshot(&format!("{shot}-360")).await;
    let bad = b.axe().await;
    b.phone(false).await;
    assert_eq!(width[1], 360, "{what}: the phone's viewport");
    assert!(
        width[0].as_i64().unwrap_or(999) <= 360,
        "{what}: scrolls sideways at 360 px: {width}, widest: {wide}"
    );
    assert!(
        bad.is_empty(),
        "{what} at 360 px: serious/critical accessibility violations: {bad:#?}"
    );
}

/// The header names the signed-in person and their agency with "Đăng xuất", and every link
/// of the menu opens for them: none answers 401 or 403 (item 8).
async fn assert_menu_for(b: &Browser, name: &str, agency: &str) {
    let header = b.js("return document.querySelector('header .account').innerText").await;
    let header = header.as_str().unwrap_or("");
    for words in [name, agency, "Đăng xuất"] {
        assert!(header.contains(words), "the header shows {words}: {header}");
    }
    let statuses = b
        .js("return Array.from(document.querySelectorAll('header nav a')).map(function (a) { \
             var r = new XMLHttpRequest(); r.open('GET', a.getAttribute('href'), false); r.send(); \
             return [a.getAttribute('href'), r.status]; })")
        .await;
    let statuses = statuses.as_array().cloned().unwrap_or_default();
    assert!(statuses.len() >= 2, "a menu: {statuses:?}");
    for link in &statuses {
        assert_eq!(link[1], 200, "every menu link opens: {link}");
    }
    let current =
        b.js("return document.querySelectorAll('header nav a[aria-current=page]').length").await;
    assert!(current.as_i64().unwrap_or(0) <= 1, "at most one current tab");
}

/// axe-core alone, at 1280 px: the administration pages, which the phone check (item 12, the
/// journeys) does not cover yet.
async fn assert_accessible_wide(b: &Browser, what: &str) {
    let bad = b.axe().await;
    assert!(bad.is_empty(), "{what}: serious/critical accessibility violations: {bad:#?}");
}

/// The texts of the page's buttons still in the browser's default style (its few pixels of
/// padding), links styled as text excepted.
const UNSTYLED_BUTTONS: &str = "return Array.from(document.querySelectorAll('main button')).filter(function (b) { return !b.classList.contains('link-button') && parseFloat(getComputedStyle(b).paddingLeft) < 8; }).map(function (b) { return b.textContent.trim(); });";

/// The element sticking out furthest to the right, to say what overflows.
const WIDEST: &str = "let w = null, r = 0; for (const e of document.querySelectorAll('body *')) { const x = e.getBoundingClientRect().right; if (x > r) { r = x; w = e; } } return w ? [w.tagName, w.className, String(w.textContent).slice(0, 60), r] : null;";

/// A file name for a page's screenshots: the journey step, in ASCII.
fn screenshot_name(what: &str) -> String {
    let folded = cqdt_platform::web::fold(what);
    let mut name: String =
        folded.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    name.trim_matches('-').to_string()
}

/// The submit button of the main form of a page.
const SUBMIT: &str = "main form .button[type=submit]";

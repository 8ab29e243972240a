//! Journeys in a real headless Chromium driven over WebDriver (chromedriver), with an
//! accessibility check by axe-core on every page visited.
//!
//! Needs `chromium`, `chromedriver` and axe-core (`CQDT_AXE_JS`, installed by `.ci/run`). When
//! they are missing the tests fail if `CQDT_BROWSER_TESTS=1` (as in CI) and are skipped otherwise,
//! saying so.

use std::process::Stdio;
use std::time::Duration;

use crate::helpers;
use crate::helpers::{Instance, ADMIN_PASSWORD};
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
        Browser { http, base, session, _driver: driver, _profile: tempfile_dir::Dir(profile) }
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

    async fn text(&self) -> String {
        self.js("return document.body.innerText").await.as_str().unwrap_or("").to_string()
    }

    async fn path(&self) -> String {
        self.js("return location.pathname + location.search")
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    async fn quit(&self) {
        let _ = self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await;
    }
}

async fn assert_accessible(b: &Browser, what: &str) {
    let bad = b.axe().await;
    assert!(bad.is_empty(), "{what}: serious/critical accessibility violations: {bad:#?}");
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
    assert!(!b.axe().await.is_empty(), "axe-core found nothing on a broken page");
    b.goto(&app.url("/")).await;
    let title = b.js("return document.title").await;
    assert!(title.as_str().unwrap_or("").contains("Trang chủ"), "{title}");
    assert_eq!(b.js("return document.documentElement.lang").await, "vi");
    assert_accessible(&b, "home page").await;

    // The first Tab lands on the skip link, and following it moves focus to the main content.
    b.key("\u{E004}").await;
    let focused = b.js("return document.activeElement.textContent.trim()").await;
    assert_eq!(focused, "Bỏ qua, đến nội dung chính");
    let outline = b.js("return getComputedStyle(document.activeElement).backgroundColor").await;
    assert_ne!(outline, "rgba(0, 0, 0, 0)", "focused skip link has no visible focus style");
    b.key("\u{E007}").await;
    let now = b.js("return document.activeElement.id").await;
    assert_eq!(now, "main");

    // On a phone-sized window nothing scrolls sideways.
    b.resize(375, 812).await;
    let overflow = b
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert!(overflow.as_i64().unwrap_or(1) <= 0, "page scrolls sideways on a phone: {overflow}");
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
    let authed = app.base.replacen("http://", &format!("http://admin:{ADMIN_PASSWORD}@"), 1);
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
        "/dich-vu-cong",
        "/thu-tuc?q=giay+phep+xay+dung",
        "/thu-tuc?q=khong+co+thu+tuc+nay",
        "/thu-tuc/1.001193.000.00.00.H51",
        "/admin/procedures",
        "/admin/procedures/import",
        "/admin/procedures/moi",
        "/thong-ke-ho-so",
        "/thong-ke-ho-so?theo=thang&tu=2026-99-01",
        "/admin/procedures/1.001193.000.00.00.H51/sua",
        "/admin/procedures/1.001193.000.00.00.H51/lich-su",
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
    let summary =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(summary, "#from");
    // The procedure editor with errors: the summary first, each error beside its input.
    b.goto(&format!("{authed}/admin/procedures/moi")).await;
    b.fill("name", "Thủ tục thử").await;
    b.click_and_wait("main form .button[name=luu]").await;
    let first =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(first, "#code", "errors listed in the order of the page");
    assert_accessible(&b, "procedure editor with errors").await;
    b.quit().await;
}

const SUBMIT: &str = "main form .button[type=submit]";

#[tokio::test]
async fn a_citizen_registers_verifies_signs_in_and_out() {
    if !tools_present() {
        return;
    }
    let sms = helpers::SmsSandbox::start(None).await;
    let app = Instance::start_with(&[], &[("CQDT_SMS_URL", &sms.url())]).await;
    let b = Browser::start().await;
    b.goto(&app.url("/dang-ky")).await;
    assert_accessible(&b, "registration").await;
    // Errors are summarised at the top, in Vietnamese, linking to their fields.
    b.fill("personal_id", "0941").await;
    b.click_and_wait(SUBMIT).await;
    let summary =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(summary, "#full_name");
    assert!(b.text().await.contains("Số định danh cá nhân gồm đúng 12 chữ số"));
    assert_accessible(&b, "registration with errors").await;
    for (id, v) in [
        ("personal_id", "094201007788"),
        ("full_name", "Lâm Sóc Phol"),
        ("birth_date", "05/05/2001"),
        ("phone", "0909 112 233"),
        ("email", "phol@example.vn"),
        ("password", "Ghe ngo tren song Maspero"),
        ("password_confirm", "Ghe ngo tren song Maspero"),
    ] {
        b.fill(id, v).await;
    }
    b.click_and_wait(SUBMIT).await;
    assert!(b.path().await.starts_with("/xac-thuc-tai-khoan"));
    assert_accessible(&b, "verification").await;
    let sms_text = sms.wait_for("+84909112233", "Mã xác thực").await;
    let code: String = sms_text
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("code")
        .to_string();
    b.fill("code", &code).await;
    b.click_and_wait(SUBMIT).await;
    assert!(b.path().await.starts_with("/dang-nhap"));
    assert!(b.text().await.contains("Tài khoản đã được xác thực"));
    assert_accessible(&b, "login").await;
    b.fill("login", "phol@example.vn").await;
    b.fill("password", "Ghe ngo tren song Maspero").await;
    b.click_and_wait(SUBMIT).await;
    assert_eq!(b.path().await, "/tai-khoan");
    assert!(b.text().await.contains("Lâm Sóc Phol"));
    assert_accessible(&b, "account").await;
    for path in [
        "/tai-khoan/phien",
        "/tai-khoan/doi-mat-khau",
        "/tai-khoan/doanh-nghiep",
        "/tai-khoan/xac-thuc-hai-lop",
    ] {
        b.goto(&app.url(path)).await;
        assert_accessible(&b, path).await;
    }
    b.goto(&app.url("/tai-khoan")).await;
    b.click_and_wait("form[action='/dang-xuat'] button").await;
    assert!(b.text().await.contains("Đã đăng xuất"));
    assert_accessible(&b, "logged out").await;
    b.goto(&app.url("/tai-khoan")).await;
    assert!(b.path().await.starts_with("/dang-nhap"), "signed out");
    b.quit().await;
}

#[tokio::test]
async fn an_official_signs_in_with_totp_and_administers_accounts() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let b = Browser::start().await;
    b.goto(&app.url("/admin/accounts")).await;
    assert!(b.path().await.starts_with("/dang-nhap?next="));
    b.fill("login", "quantri").await;
    b.fill("password", helpers::DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    assert!(b.path().await.starts_with("/dang-nhap/xac-thuc-hai-lop"));
    assert_accessible(&b, "second factor").await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let code = cqdt_identity::totp::code(helpers::DEMO_TOTP, now).expect("code");
    b.fill("code", &code).await;
    b.click_and_wait(SUBMIT).await;
    assert_eq!(b.path().await, "/admin/accounts", "back where the official wanted to go");
    assert_accessible(&b, "accounts").await;
    let first = b.js("return document.querySelector('tbody a').getAttribute('href')").await;
    for path in [
        first.as_str().unwrap_or("/admin/accounts").to_string(),
        "/admin/accounts/new".into(),
        "/admin/accounts/import".into(),
        "/admin/clients".into(),
        "/admin/sign-ins".into(),
        "/admin/audit".into(),
    ] {
        b.goto(&app.url(&path)).await;
        let h1 = b
            .js("return document.querySelector('h1') && document.querySelector('h1').textContent")
            .await;
        assert!(h1.is_string(), "{path}: no heading");
        assert_accessible(&b, &path).await;
    }
    b.quit().await;
}

#[tokio::test]
async fn a_citizen_signs_in_with_the_vneid_sandbox() {
    if !tools_present() {
        return;
    }
    let port = helpers::VneidSandbox::port();
    let env = helpers::VneidSandbox::env(port);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = Instance::start_with(&[], &env).await;
    let _vneid = helpers::VneidSandbox::start(port, &app.base).await;
    let b = Browser::start().await;
    b.goto(&app.url("/dang-nhap?next=/tai-khoan")).await;
    assert_accessible(&b, "login with the VNeID button").await;
    b.click_and_wait("a[href^='/dang-nhap/vneid']").await;
    let at = b.js("return location.host").await;
    assert_eq!(at, format!("127.0.0.1:{port}"), "at the VNeID sandbox");
    assert!(b.text().await.to_lowercase().contains("thử nghiệm"));
    assert_accessible(&b, "VNeID sandbox consent").await;
    b.js("document.querySelector('input[value=\"094078007890\"]').click(); return true;").await;
    b.click_and_wait("button[value=allow]").await;
    assert_eq!(b.path().await, "/tai-khoan");
    let text = b.text().await;
    assert!(text.contains("094078007890"), "{text}");
    assert!(text.contains("Đã liên kết"));
    assert_accessible(&b, "account after VNeID").await;
    b.quit().await;
}

#[tokio::test]
async fn a_citizen_finds_a_procedure_files_online_and_gets_the_confirmation_email() {
    if !tools_present() {
        return;
    }
    let port = helpers::free_port();
    let smtp = helpers::Smtp::start(port).await;
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = Instance::start_with(&[], &[("CQDT_SMTP_URL", &smtp_url)]).await;
    let b = Browser::start().await;
    let pdf = app.data_dir.join("giay-chung-sinh.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .expect("pdf");
    // From an empty browser: sign in, then the portal.
    b.goto(&app.url("/dang-nhap?next=/dich-vu-cong")).await;
    b.fill("login", "094085000123").await;
    b.fill("password", helpers::DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    assert_eq!(b.path().await, "/dich-vu-cong");
    assert_accessible(&b, "portal home").await;
    b.fill("q", "khai sinh").await;
    b.click_and_wait("main form[role=search] button").await;
    assert_accessible(&b, "search results").await;
    b.click_and_wait("a[href='/thu-tuc/1.001193.000.00.00.H51']").await;
    assert_accessible(&b, "procedure page").await;
    b.click_and_wait("a[href='/nop-ho-so/1.001193.000.00.00.H51']").await;
    assert_accessible(&b, "e-form").await;
    // Submitting with a required field empty: the summary at the top, in Vietnamese.
    b.click_and_wait("button[value=review]").await;
    let summary = b
        .js("return Array.from(document.querySelectorAll('.error-summary a')).map(a => a.getAttribute('href'))")
        .await;
    assert!(
        summary.as_array().is_some_and(|a| a.contains(&json!("#f_child_full_name"))),
        "{summary}"
    );
    assert!(b.text().await.contains("Chưa nhập"));
    assert_accessible(&b, "e-form with errors").await;
    b.fill("f_child_full_name", "Nguyễn Gia Bảo").await;
    b.fill("f_child_date_of_birth", "01/11/2026").await;
    // The picker's script offers the communes of the province chosen.
    for (province, expected) in [("01", "Phường Phúc Xá"), ("92", "Phường Sóc Trăng")] {
        b.js(&format!(
            "var s = document.getElementById('f_place_of_birth__tinh'); s.value = '{province}'; \
             s.dispatchEvent(new Event('change')); return true;"
        ))
        .await;
        let mut offered = false;
        for _ in 0..50 {
            let v = b
                .js(&format!(
                    "return Array.from(document.querySelectorAll('#f_place_of_birth__ds option')) \
                     .some(function (o) {{ return o.value.indexOf('{expected}') === 0; }});"
                ))
                .await;
            if v == json!(true) {
                offered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(offered, "{expected} offered for province {province}");
    }
    b.fill("f_place_of_birth", "Số 378 Lê Duẩn").await;
    // The commune typed without diacritics, as a person on a phone might.
    b.fill("f_place_of_birth__xa", "phuong soc trang").await;
    b.fill("f_hometown", "94").await;
    for id in ["agency", "f_child_gender", "f_child_ethnicity", "f_child_nationality"] {
        b.js(&format!("document.getElementById('{id}').selectedIndex = 1; return true;")).await;
    }
    b.upload("#file_0", &pdf).await;
    b.upload("#file_1", &pdf).await;
    b.click_and_wait("button[value=review]").await;
    assert!(b.path().await.contains("/xem-lai"), "{}", b.text().await);
    assert_accessible(&b, "review").await;
    b.click_and_wait(SUBMIT).await;
    let path = b.path().await;
    assert!(path.starts_with("/ho-so-cua-toi/"), "{path}");
    let code =
        path.trim_start_matches("/ho-so-cua-toi/").split('?').next().unwrap_or("").to_string();
    assert!(b.text().await.contains(&code));
    assert_accessible(&b, "dossier").await;
    // The confirmation reaches a real SMTP server.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !smtp.output().contains(&code) {
        assert!(std::time::Instant::now() < deadline, "no e-mail with {code}: {}", smtp.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.goto(&app.url("/ho-so-cua-toi")).await;
    assert!(b.text().await.contains(&code));
    assert_accessible(&b, "my dossiers").await;
    b.goto(&app.url(&format!("/tra-cuu-ho-so?ma={code}"))).await;
    assert!(b.text().await.contains("Đã nộp, chờ tiếp nhận"));
    assert_accessible(&b, "public lookup").await;
    b.quit().await;
}

#[tokio::test]
async fn a_reception_officer_receives_a_dossier_and_prints_the_receipt() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let citizen = helpers::sign_in(&app, "094085000123", helpers::DEMO_PASSWORD, None).await;
    let code = helpers::file_birth_registration(&app, &citizen).await;
    let b = official_browser(&app, "tiepnhan.p5").await;
    b.goto(&app.url("/mot-cua")).await;
    assert_eq!(b.path().await, "/mot-cua");
    assert!(b.text().await.contains(&code), "the queue has the dossier");
    assert_accessible(&b, "work list").await;
    b.click_and_wait(&format!("a[href='/mot-cua/ho-so/{code}']")).await;
    assert_accessible(&b, "dossier at the counter").await;
    b.click_and_wait("form[action$='/tiep-nhan'] button").await;
    assert!(b.text().await.contains("Đã tiếp nhận hồ sơ"));
    b.click_and_wait("a[href$='/phieu/01']").await;
    let text = b.text().await;
    assert!(text.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
    assert!(text.contains(&code));
    assert_accessible(&b, "receipt Mẫu 01").await;
    // Entering a walk-in dossier: the choice of procedure, then the form with errors.
    b.goto(&app.url("/mot-cua/tiep-nhan-truc-tiep")).await;
    assert_accessible(&b, "walk-in: choose a procedure").await;
    b.click_and_wait("a[href='/mot-cua/tiep-nhan-truc-tiep/1.001193.000.00.00.H51']").await;
    assert_accessible(&b, "walk-in form").await;
    b.click_and_wait("button[value=receive]").await;
    assert!(b.text().await.contains("Có lỗi cần sửa"));
    assert_accessible(&b, "walk-in form with errors").await;
    b.quit().await;
}

/// A browser with an official signed in (password and TOTP), on their work list.
async fn official_browser(app: &Instance, login: &str) -> Browser {
    let b = Browser::start().await;
    b.goto(&app.url("/mot-cua?tinh-trang=viec")).await;
    b.fill("login", login).await;
    b.fill("password", helpers::DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let totp = cqdt_identity::totp::code(helpers::DEMO_TOTP, now).expect("code");
    b.fill("code", &totp).await;
    b.click_and_wait(SUBMIT).await;
    assert_eq!(b.path().await, "/mot-cua?tinh-trang=viec", "{login} signed in");
    b
}

/// Opens the dossier from the work list and completes the official's task on it.
async fn do_my_task(b: &Browser, code: &str, task: &str, note: &str) {
    assert!(b.text().await.contains(task), "{task} in the work list");
    b.click_and_wait(&format!("a[href='/mot-cua/ho-so/{code}']")).await;
    let form = "form[action*='/cong-viec/']";
    let id = b.js(&format!("return document.querySelector(\"{form} textarea\").id")).await;
    b.fill(id.as_str().unwrap_or(""), note).await;
    b.click_and_wait(&format!("{form} button")).await;
    assert!(b.text().await.contains("Đã hoàn thành công việc"), "{task} done");
}

#[tokio::test]
async fn a_dossier_filed_on_the_portal_is_processed_across_two_agencies_and_the_citizen_rates_it() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let pdf = app.data_dir.join("giay-to.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .expect("pdf");
    let lltp = "2.000488.000.00.00.H51";

    // The citizen files a judicial record request on the portal.
    let citizen = Browser::start().await;
    citizen.goto(&app.url(&format!("/dang-nhap?next=/nop-ho-so/{lltp}"))).await;
    citizen.fill("login", "094085000123").await;
    citizen.fill("password", helpers::DEMO_PASSWORD).await;
    citizen.click_and_wait(SUBMIT).await;
    assert_eq!(citizen.path().await, format!("/nop-ho-so/{lltp}"));
    let prefilled =
        citizen.js("return document.getElementById('f_permanent_address__xa').value").await;
    assert_eq!(prefilled, "Phường Sóc Trăng", "address from the account");
    citizen.js("document.getElementById('agency').value = '000.00.03.H51'; return true;").await;
    for id in ["f_gender", "f_nationality", "f_record_type"] {
        citizen
            .js(&format!("document.getElementById('{id}').selectedIndex = 1; return true;"))
            .await;
    }
    citizen.fill("f_father_full_name", "Nguyễn Văn Ba").await;
    citizen.fill("f_mother_full_name", "Lê Thị Tư").await;
    citizen.fill("f_purpose", "Bổ sung hồ sơ xin việc").await;
    citizen.fill("f_copies_requested", "1").await;
    citizen.upload("#file_0", &pdf).await;
    citizen.upload("#file_1", &pdf).await;
    citizen.click_and_wait("button[value=review]").await;
    assert!(citizen.path().await.contains("/xem-lai"), "{}", citizen.text().await);
    citizen.click_and_wait(SUBMIT).await;
    let code = citizen
        .path()
        .await
        .trim_start_matches("/ho-so-cua-toi/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(code.starts_with("000.00.03.H51-"), "{code}");

    // The department's counter receives it, prints the receipt, hands it to processing.
    let counter = official_browser(&app, "tiepnhan.stp").await;
    counter.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    counter.click_and_wait("form[action$='/tiep-nhan'] button").await;
    counter.click_and_wait("a[href$='/phieu/01']").await;
    assert!(counter.text().await.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
    counter.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    counter.click_and_wait("form[action$='/chuyen-xu-ly'] button").await;
    assert!(counter.text().await.contains("Thẩm định hồ sơ"));
    counter.quit().await;

    // Three officials in two agencies, each from their own work list.
    let department = official_browser(&app, "xuly.stp").await;
    assert_accessible(&department, "my work").await;
    do_my_task(&department, &code, "Thẩm định hồ sơ", "Hồ sơ hợp lệ.").await;
    department.quit().await;
    let commune = official_browser(&app, "tuphap.p5").await;
    do_my_task(&commune, &code, "Xác minh nơi cư trú", "Có cư trú tại phường.").await;
    commune.quit().await;
    let clerk = official_browser(&app, "vanthu.stp").await;
    do_my_task(&clerk, &code, "Tra cứu cơ sở dữ liệu lý lịch tư pháp", "Không có án tích.").await;
    clerk.quit().await;

    // The leader approves, checks the control slip and issues the result online.
    let leader = official_browser(&app, "lanhdao.stp").await;
    do_my_task(&leader, &code, "Phê duyệt, ký phiếu", "Đồng ý.").await;
    assert!(leader.text().await.contains("Quy trình đã hoàn thành"));
    assert_accessible(&leader, "dossier with its process").await;
    leader.click_and_wait("a[href$='/phieu/05']").await;
    assert!(leader.text().await.contains("Ủy ban nhân dân Phường 5"));
    assert_accessible(&leader, "control slip Mẫu 05").await;
    // The result document is generated from the procedure's template, filled from the
    // dossier; the leader completes number and signer and issues it.
    leader.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    leader.click_and_wait("a[href$='/ket-qua/tao']").await;
    assert!(leader.text().await.contains(&code));
    assert_accessible(&leader, "result document form").await;
    leader
        .js("document.getElementById('number').value = '15/PLLTP-STP'; \
             document.getElementById('signer_name').value = 'Lâm Văn Đức'; return true;")
        .await;
    leader.click_and_wait("button[value='ban-hanh']").await;
    assert!(leader.text().await.contains("Đã ban hành kết quả"));
    leader.goto(&app.url("/mot-cua/thong-ke?theo=thang")).await;
    assert!(leader.text().await.contains("Trước hạn"));
    assert_accessible(&leader, "statistics with the chart").await;
    leader.goto(&app.url("/mot-cua/so-theo-doi")).await;
    assert!(leader.text().await.contains(&code));
    assert_accessible(&leader, "ledger Mẫu 06").await;
    leader.quit().await;

    // The citizen downloads the result and rates the service.
    citizen.goto(&app.url(&format!("/ho-so-cua-toi/{code}"))).await;
    let link = citizen
        .js("return document.querySelector(\"a[href*='/ket-qua/']\").getAttribute('href')")
        .await;
    let link = link.as_str().expect("a result link").to_string();
    let status = citizen
        .js(&format!(
            "var r = new XMLHttpRequest(); r.open('GET', '{link}', false); r.send(); return r.status;"
        ))
        .await;
    assert_eq!(status, 200, "the result downloads");
    citizen.js("document.getElementById('score-5').checked = true; return true;").await;
    citizen.click_and_wait("form[action$='/danh-gia'] button").await;
    assert!(citizen.text().await.contains("Cảm ơn ông/bà đã đánh giá"));
    assert_accessible(&citizen, "rated dossier").await;
    citizen.quit().await;
}

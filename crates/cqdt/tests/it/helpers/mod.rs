//! Shared plumbing of the integration tests: an instance of the platform per test
//! ([`Instance`], in-process by default, the real binary for the end-to-end tests), the
//! sandboxes of external systems, an HTTP client that does not follow redirects, and typed
//! helpers for the journeys (sign in as a demo role with TOTP, file a dossier, post a form).

mod instance;
pub mod nats;
mod sandboxes;
pub mod words;

use std::process::Output;

pub use instance::{cli, cli_with_env, exe, Instance, ADMIN_PASSWORD};
pub use sandboxes::{SmsSandbox, Smtp, VneidSandbox};

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

/// Text of a command's stdout and stderr.
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
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
    (field("client_id: ").expect("client_id"), field("client_secret: "))
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
        .form(&[("login", login), ("password", password), ("next", "/tai-khoan")])
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 303, "login of {login} refused");
    let cookie = session_cookie(&res).expect("session cookie");
    if location(&res).starts_with("/dang-nhap/xac-thuc-hai-lop") {
        let secret = totp.expect("a TOTP secret for an official");
        let code = totp_now(secret);
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

/// The TOTP code of a secret at this moment, as an authenticator app shows it.
pub fn totp_now(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    cqdt_identity::totp::code(secret, now).expect("code")
}

/// The demo accounts' password and TOTP secret (README lists them).
pub const DEMO_PASSWORD: &str = "Thu-nghiem-2026";
/// The demo officials' TOTP secret.
pub const DEMO_TOTP: &str = "KRUGKIDROVWXUIDOMVTWQ2LFNUQDEMBSGY";

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
    let form = birth_form(&page, "Nguyễn Gia Bảo", "0912000123");
    file_by_api(app, cookie, "1.001193.000.00.00.H51", "000.01.41.H51", form).await
}

/// A birth registration's e-form for a child `child` of Trần Thị Mai, with the choices of the
/// form `page` offers first.
#[allow(dead_code)]
pub fn birth_form(page: &str, child: &str, phone: &str) -> serde_json::Value {
    serde_json::json!({
        "child_full_name": child,
        "child_date_of_birth": "01/11/2026",
        "child_gender": first_option(page, "f_child_gender"),
        "child_ethnicity": first_option(page, "f_child_ethnicity"),
        "child_nationality": first_option(page, "f_child_nationality"),
        "place_of_birth": "Bệnh viện Đa khoa tỉnh Sóc Trăng, số 378 Lê Duẩn",
        "place_of_birth__xa": "Phường Sóc Trăng",
        "hometown": "94",
        "mother_full_name": "Trần Thị Mai",
        "requester_phone": phone,
    })
}

/// Files a judicial record request (LLTP) at Sở Tư pháp as the signed-in citizen (the demo
/// citizen), through the API; returns its code.
#[allow(dead_code)]
pub async fn file_lltp(app: &Instance, cookie: &str) -> String {
    let (_, page) = get_page(app, cookie, "/nop-ho-so/2.000488.000.00.00.H51").await;
    let form = serde_json::json!({
        "full_name": "Nguyễn Văn An",
        "personal_id": "094085000123",
        "date_of_birth": "02/09/1985",
        "gender": first_option(&page, "f_gender"),
        "nationality": first_option(&page, "f_nationality"),
        "permanent_address": "Số 12 đường Trần Hưng Đạo",
        "permanent_address__xa": "Phường Sóc Trăng",
        "father_full_name": "Nguyễn Văn Ba",
        "mother_full_name": "Lê Thị Tư",
        "record_type": "Phiếu lý lịch tư pháp số 1",
        "purpose": "Bổ sung hồ sơ xin việc",
        "copies_requested": "1",
        "contact_phone": "0912000123",
    });
    file_by_api(app, cookie, "2.000488.000.00.00.H51", "000.00.03.H51", form).await
}

/// Files a dossier of a procedure at an agency as the signed-in citizen, through the API,
/// with a PDF for every required component; returns its code.
#[allow(dead_code)]
pub async fn file_by_api(
    app: &Instance,
    cookie: &str,
    procedure: &str,
    agency: &str,
    form: serde_json::Value,
) -> String {
    let files = required_components(app, procedure).await;
    let body = filing_form(procedure, agency, &form, &files);
    let res = post_multipart(app, cookie, "/api/v1/dossiers", body).await;
    let status = res.status();
    let v: serde_json::Value = res.json().await.expect("json");
    assert_eq!(status, 201, "{v}");
    v["code"].as_str().expect("code").to_string()
}

/// The smallest file every PDF reader opens.
pub const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// The places of a procedure's required components, as the catalog publishes them.
#[allow(dead_code)]
pub async fn required_components(app: &Instance, procedure: &str) -> Vec<usize> {
    let p = client().get(app.url(&format!("/api/v1/procedures/{procedure}"))).send_json().await;
    let components = p["components"].as_array().cloned().unwrap_or_default();
    (0..components.len()).filter(|&i| components[i]["required"] == true).collect()
}

/// A filing as the API takes it in `multipart/form-data`: the procedure, the agency, each
/// e-form value as `form.<key>`, and a small PDF for each component in `files` (`file_N`).
#[allow(dead_code)]
pub fn filing_form(
    procedure: &str,
    agency: &str,
    form: &serde_json::Value,
    files: &[usize],
) -> reqwest::multipart::Form {
    let mut body = reqwest::multipart::Form::new()
        .text("procedure_code", procedure.to_string())
        .text("agency_code", agency.to_string());
    for (k, v) in form.as_object().into_iter().flatten() {
        let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
        body = body.text(format!("form.{k}"), text);
    }
    for i in files {
        let part = reqwest::multipart::Part::bytes(PDF.to_vec())
            .file_name(format!("thanh-phan-{i}.pdf"))
            .mime_str("application/pdf")
            .expect("mime");
        body = body.part(format!("file_{i}"), part);
    }
    body
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
    (status, if to.is_empty() { res.text().await.expect("text") } else { to })
}

/// The text of a PDF as poppler's `pdftotext` reads it, so a generated document is checked
/// by a reader other than its writer; `None` where poppler is missing, unless
/// `CQDT_REQUIRE_PDFTOTEXT=1` (as in CI) makes that a failure.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    match std::process::Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output() {
        Ok(o) => {
            assert!(o.status.success(), "pdftotext: {}", String::from_utf8_lossy(&o.stderr));
            Some(String::from_utf8_lossy(&o.stdout).to_string())
        }
        Err(e) => {
            cqdt_testing::prerequisite(
                false,
                "reading the PDF back with pdftotext",
                &format!("poppler's pdftotext cannot run: {e} (apt-get install poppler-utils)"),
                "CQDT_REQUIRE_PDFTOTEXT",
            );
            None
        }
    }
}

/// Requests as the platform admin (HTTP basic auth with the test instances' password).
pub trait ByAdmin {
    /// This request with the admin's credentials.
    fn by_admin(self) -> Self;
}

impl ByAdmin for reqwest::RequestBuilder {
    fn by_admin(self) -> Self {
        self.basic_auth("admin", Some(ADMIN_PASSWORD))
    }
}

/// Sends a request and reads its JSON answer in one step, for the many reads whose status
/// the test does not check itself (a missing or malformed body fails the test).
pub trait SendJson {
    /// The answer's body as JSON.
    fn send_json(self) -> impl std::future::Future<Output = serde_json::Value>;
}

impl SendJson for reqwest::RequestBuilder {
    async fn send_json(self) -> serde_json::Value {
        self.send().await.expect("send").json().await.expect("json")
    }
}

/// A page as a signed-in person sees it: the status and the body.
#[allow(dead_code)]
pub async fn get_page(app: &Instance, cookie: &str, path: &str) -> (u16, String) {
    let res = client().get(app.url(path)).header("cookie", cookie).send().await.expect("get");
    (res.status().as_u16(), res.text().await.expect("text"))
}

/// Sends a request whose answer only matters by its status.
pub trait SendStatus {
    /// The answer's status.
    fn send_status(self) -> impl std::future::Future<Output = reqwest::StatusCode>;
}

impl SendStatus for reqwest::RequestBuilder {
    async fn send_status(self) -> reqwest::StatusCode {
        self.send().await.expect("send").status()
    }
}

/// The audit log's records of the actions starting with `action`, as the admin reads them.
#[allow(dead_code)]
pub async fn audit_text(app: &Instance, action: &str) -> String {
    let req = client().get(app.url(&format!("/api/v1/audit?action={action}"))).by_admin();
    req.send().await.expect("audit").text().await.expect("text")
}

/// Posts a multipart form (files and fields) with a session cookie.
#[allow(dead_code)]
pub async fn post_multipart(
    app: &Instance,
    cookie: &str,
    path: &str,
    form: reqwest::multipart::Form,
) -> reqwest::Response {
    let req = client().post(app.url(path)).header("cookie", cookie).multipart(form);
    req.send().await.expect("post")
}

/// Rates a dossier through the API as its applicant: the answer's status.
#[allow(dead_code)]
pub async fn rate(app: &Instance, cookie: &str, code: &str, score: u8) -> reqwest::StatusCode {
    let req = client().post(app.url(&format!("/api/v1/dossiers/{code}/rating")));
    req.header("cookie", cookie).json(&serde_json::json!({ "score": score })).send_status().await
}

/// A GET with a session cookie (empty for nobody signed in).
#[allow(dead_code)]
pub async fn get_as(app: &Instance, cookie: &str, path: &str) -> reqwest::Response {
    client().get(app.url(path)).header("cookie", cookie).send().await.expect("get")
}

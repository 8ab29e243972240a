//! Accounts through the whole platform (in-process, real HTTP): registration verified by SMS, password login with
//! lockout, officials' second factor, sessions, agency-scoped administration, and the attacks
//! the identity issue lists.

use crate::helpers;
use crate::helpers::{
    client, location, session_cookie, sign_in, Instance, SmsSandbox, DEMO_PASSWORD, DEMO_TOTP,
};

/// The demo citizen.
const CITIZEN: &str = "094085000123";

async fn get(app: &Instance, path: &str, cookie: &str) -> reqwest::Response {
    client().get(app.url(path)).header("cookie", cookie).send().await.expect("get")
}

async fn post(
    app: &Instance,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client().post(app.url(path)).header("cookie", cookie).form(form).send().await.expect("post")
}

/// Posts a form that sets a password (typed twice, as the pages ask) after these fields.
async fn with_password(
    app: &Instance,
    path: &str,
    fields: &[(&str, &str)],
    password: &str,
) -> reqwest::Response {
    let mut form = fields.to_vec();
    form.extend([("password", password), ("password_confirm", password)]);
    post(app, path, "", &form).await
}

/// Registers a citizen: ID number, full name, birth date and phone, then the password.
async fn register(app: &Instance, details: [&str; 4], password: &str) -> reqwest::Response {
    let [personal_id, full_name, birth_date, phone] = details;
    let fields = [
        ("personal_id", personal_id),
        ("full_name", full_name),
        ("birth_date", birth_date),
        ("phone", phone),
    ];
    with_password(app, "/dang-ky", &fields, password).await
}

/// Posts the login form with a login and a password only.
async fn log_in(app: &Instance, login: &str, password: &str) -> reqwest::Response {
    post(app, "/dang-nhap", "", &[("login", login), ("password", password)]).await
}

/// The id of the one account the admin's account list finds for a query.
async fn account_id(app: &Instance, admin: &str, query: &str) -> String {
    let list = get(app, &format!("/admin/accounts?q={query}"), admin).await;
    list.text()
        .await
        .expect("list")
        .split("/admin/accounts/")
        .filter_map(|s| s.split('"').next())
        .find(|s| s.len() == 32)
        .expect("account id")
        .to_string()
}

/// Creates a processing officer of an agency as an agency admin.
async fn new_officer(
    app: &Instance,
    admin: &str,
    username: &str,
    full_name: &str,
    email: &str,
    agency: &str,
) -> reqwest::Response {
    let form = [
        ("username", username),
        ("full_name", full_name),
        ("email", email),
        ("agency_code", agency),
        ("roles", "processing_officer"),
    ];
    post(app, "/admin/accounts/new", admin, &form).await
}

/// Allows the VNeID sandbox's consent page for the person chosen with these fields.
async fn consent(port: u16, page: &str, person: &[(&str, &str)]) -> reqwest::Response {
    let mut form = hidden_fields(page);
    form.extend(person.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    form.push(("decision".into(), "allow".into()));
    let req = client().post(format!("http://127.0.0.1:{port}/authorize")).form(&form);
    req.send().await.expect("consent")
}

/// The text of a page after the first `start` and up to `end`; fails naming `what`.
fn text_between(page: &str, start: &str, end: char, what: &str) -> String {
    let found = page.split(start).nth(1).and_then(|s| s.split(end).next());
    found.unwrap_or_else(|| panic!("no {what} on the page")).to_string()
}

/// The hidden fields of the first form of a page.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|s| {
            let (name, rest) = s.split_once('"')?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_string(), value.replace("&amp;", "&")))
        })
        .collect()
}

fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit code")
        .to_string()
}

#[tokio::test]
async fn a_citizen_registers_verifies_by_sms_signs_in_and_out() {
    let sms = SmsSandbox::start(None).await;
    let app = Instance::start_with(&[], &[("CQDT_SMS_URL", &sms.url())]).await;
    let form = [
        ("personal_id", "094190004567"),
        ("full_name", "Trần Thị Bích Ngọc"),
        ("birth_date", "14/02/1990"),
        ("phone", "0987 654 321"),
        ("email", ""),
    ];
    let res = with_password(&app, "/dang-ky", &form, "Sông Hậu mùa nước nổi 90").await;
    assert_eq!(res.status(), 303);
    let verify = location(&res);
    assert!(verify.starts_with("/xac-thuc-tai-khoan?tk="), "{verify}");
    // Not verified yet: the password alone does not sign in.
    let res = log_in(&app, "094190004567", "Sông Hậu mùa nước nổi 90").await;
    assert_eq!(location(&res), verify);
    assert!(session_cookie(&res).is_none());
    let text = sms.wait_for("+84987654321", "Mã xác thực").await;
    let code = six_digits(&text);
    let tk = verify.trim_start_matches("/xac-thuc-tai-khoan?tk=");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let res = post(&app, "/xac-thuc-tai-khoan", "", &[("tk", tk), ("code", wrong)]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("Mã xác thực không đúng"));
    let res = post(&app, "/xac-thuc-tai-khoan", "", &[("tk", tk), ("code", &code)]).await;
    assert_eq!(res.status(), 303);
    // Any of the three logins works: ID number, phone, as typed.
    let cookie = sign_in(&app, "0987654321", "Sông Hậu mùa nước nổi 90", None).await;
    let page = get(&app, "/tai-khoan", &cookie).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("page").contains("Trần Thị Bích Ngọc"));
    let sessions = get(&app, "/tai-khoan/phien", &cookie).await.text().await.expect("page");
    assert!(sessions.contains("Phiên này"));
    let res = post(&app, "/dang-xuat", &cookie, &[]).await;
    assert_eq!(res.status(), 200);
    let after = get(&app, "/tai-khoan", &cookie).await;
    assert_eq!(after.status(), 303, "the ended session no longer signs in");
    assert!(location(&after).starts_with("/dang-nhap?next="));
}

#[tokio::test]
async fn a_bad_registration_lists_every_error_and_creates_nothing() {
    let app = Instance::start().await;
    let res = register(&app, ["12345", "", "31/02/1990", "123"], "123456789").await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("page");
    for m in [
        "Có lỗi cần sửa",
        "Số định danh cá nhân gồm đúng 12 chữ số",
        "Chưa nhập họ và tên",
        "Ngày sinh cần theo dạng",
        "Số điện thoại di động không hợp lệ",
        "mật khẩu",
    ] {
        assert!(page.contains(m), "{m} missing");
    }
    // The demo citizen's number is taken.
    let res = register(
        &app,
        [CITIZEN, "Người Khác", "02/09/1985", "0911111111"],
        "Một câu rất khó đoán 77",
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("đã có tài khoản"));
    let res = log_in(&app, "0911111111", "Một câu rất khó đoán 77").await;
    assert_eq!(res.status(), 422, "nothing was created");
}

#[tokio::test]
async fn brute_force_on_a_password_locks_the_account_and_is_audited() {
    let app = Instance::start().await;
    for _ in 0..5 {
        let res = log_in(&app, CITIZEN, "doan-mo-mat-khau").await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.expect("page").contains("Tên đăng nhập hoặc mật khẩu không đúng"));
    }
    let res = log_in(&app, CITIZEN, DEMO_PASSWORD).await;
    assert_eq!(res.status(), 422, "even the right password waits out the lockout");
    assert!(session_cookie(&res).is_none());
    let locked = res.text().await.expect("page");
    assert!(locked.contains("tạm khoá"));
    // A locked account answers exactly as an account that does not exist: no enumeration.
    let res = log_in(&app, "094099999999", DEMO_PASSWORD).await;
    assert_eq!(res.status(), 422);
    let unknown = res.text().await.expect("page");
    let message = |page: &str| {
        page.split("error-summary").nth(1).map(|s| s.chars().take(400).collect::<String>())
    };
    assert_eq!(message(&locked), message(&unknown));
    let audit = helpers::audit_text(&app, "identity.login").await;
    assert!(audit.contains("identity.login.lockout"), "{audit}");
    assert!(audit.contains("identity.login.failure"));
}

#[tokio::test]
async fn a_cross_site_post_to_the_login_form_is_refused() {
    let app = Instance::start().await;
    let res = client()
        .post(app.url("/dang-nhap"))
        .header("origin", "http://trang-gia-mao.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("login", CITIZEN), ("password", DEMO_PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    assert!(session_cookie(&res).is_none());
}

#[tokio::test]
async fn an_official_needs_the_second_factor_before_anything() {
    let app = Instance::start().await;
    let password_step =
        [("login", "xuly.stp"), ("password", DEMO_PASSWORD), ("next", "/tai-khoan")];
    let res = post(&app, "/dang-nhap", "", &password_step).await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/dang-nhap/xac-thuc-hai-lop"));
    let half = session_cookie(&res).expect("cookie");
    for path in ["/tai-khoan", "/admin/accounts"] {
        let r = get(&app, path, &half).await;
        assert_eq!(r.status(), 303, "{path} before the second factor");
        assert!(location(&r).starts_with("/dang-nhap"));
    }
    let r = post(&app, "/dang-nhap/xac-thuc-hai-lop", &half, &[("code", "000000")]).await;
    assert_eq!(r.status(), 422);
    // An official whose second factor was reset must enrol before reaching anything.
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let id = account_id(&app, &admin, "xuly.stp").await;
    let r = post(&app, &format!("/admin/accounts/{id}/mfa-reset"), &admin, &[]).await;
    assert_eq!(r.status(), 303);
    let res = post(&app, "/dang-nhap", "", &password_step).await;
    assert!(location(&res).starts_with("/dang-nhap/cai-dat-hai-lop"));
    let enrolling = session_cookie(&res).expect("cookie");
    assert_eq!(get(&app, "/tai-khoan", &enrolling).await.status(), 303);
    let page =
        get(&app, "/dang-nhap/cai-dat-hai-lop", &enrolling).await.text().await.expect("page");
    assert!(page.contains("<svg role=\"img\""), "a QR code is shown");
    let secret = text_between(&page, "name=\"secret_shown\" value=\"", '"', "secret");
    let code = helpers::totp_now(&secret);
    let r = post(
        &app,
        "/dang-nhap/cai-dat-hai-lop",
        &enrolling,
        &[("code", &code), ("secret_shown", &secret)],
    )
    .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("page").contains("mã khôi phục"));
    assert_eq!(get(&app, "/tai-khoan", &enrolling).await.status(), 200);
}

#[tokio::test]
async fn an_agency_admin_manages_only_their_own_agency() {
    let app = Instance::start().await;
    let stp = sign_in(&app, "qt.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let list = get(&app, "/admin/accounts", &stp).await.text().await.expect("list");
    assert!(list.contains("xuly.stp") && list.contains("lanhdao.stp"));
    assert!(!list.contains("thanhtra"), "province-level officials are out of scope");
    // Another agency's official, by id, is refused.
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let id = account_id(&app, &admin, "thanhtra").await;
    assert_eq!(get(&app, &format!("/admin/accounts/{id}"), &stp).await.status(), 403);
    let r =
        post(&app, &format!("/admin/accounts/{id}/status"), &stp, &[("enabled", "false")]).await;
    assert_eq!(r.status(), 403);
    // Creating an official in another agency is refused.
    let r =
        new_officer(&app, &stp, "cb.xaydung", "Võ Văn Tài", "tai@soctrang.gov.vn", "000.00.10.H51")
            .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.expect("page").contains("ngoài phạm vi"));
    // The platform's own admin pages need a platform administrator.
    assert_eq!(get(&app, "/admin/audit", &stp).await.status(), 403);
    assert_eq!(get(&app, "/admin/audit", &admin).await.status(), 200);
    // A reception officer administers nothing.
    let officer = sign_in(&app, "tiepnhan", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    assert_eq!(get(&app, "/admin/accounts", &officer).await.status(), 403);
    // Inside the scope, a new official is created, and its role changes are audited.
    let r = new_officer(
        &app,
        &stp,
        "cb.hotich",
        "Đặng Thị Thu",
        "thu@soctrang.gov.vn",
        "000.00.03.H51",
    )
    .await;
    assert_eq!(r.status(), 303);
    let audit = helpers::audit_text(&app, "identity.official").await;
    assert!(audit.contains("cb.hotich") && audit.contains("qt.stp"), "{audit}");
}

#[tokio::test]
async fn a_person_ends_another_of_their_sessions() {
    let app = Instance::start().await;
    let first = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let second = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = get(&app, "/tai-khoan/phien", &second).await.text().await.expect("page");
    let other = text_between(&page, "/tai-khoan/phien/", '/', "another session");
    let r = post(&app, &format!("/tai-khoan/phien/{other}/ket-thuc"), &second, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(get(&app, "/tai-khoan", &first).await.status(), 303);
    assert_eq!(get(&app, "/tai-khoan", &second).await.status(), 200);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_a_link_and_ends_old_sessions() {
    let sms = SmsSandbox::start(None).await;
    let app = Instance::start_with(&[], &[("CQDT_SMS_URL", &sms.url())]).await;
    let old = "Ben Ninh Kieu luc hoang hon";
    let res =
        register(&app, ["094088001122", "Châu Văn Liêm", "01/01/1988", "0933 444 555"], old).await;
    let tk = location(&res).trim_start_matches("/xac-thuc-tai-khoan?tk=").to_string();
    let code = six_digits(&sms.wait_for("+84933444555", "Mã xác thực").await);
    post(&app, "/xac-thuc-tai-khoan", "", &[("tk", &tk), ("code", &code)]).await;
    let before = sign_in(&app, "094088001122", old, None).await;
    // An unknown account gets the same answer as a known one.
    let unknown = post(&app, "/quen-mat-khau", "", &[("login", "094099999999")]).await;
    let known = post(&app, "/quen-mat-khau", "", &[("login", "0933444555")]).await;
    assert_eq!(unknown.status(), known.status());
    assert_eq!(unknown.text().await.expect("page"), known.text().await.expect("page"));
    let text = sms.wait_for("+84933444555", "dat-lai-mat-khau").await;
    let link = text.split_whitespace().find(|w| w.contains("/dat-lai-mat-khau?ma=")).expect("link");
    let token = link.split("ma=").nth(1).expect("token").to_string();
    let new = "Cau Quay Soc Trang 1937!";
    let weak = with_password(&app, "/dat-lai-mat-khau", &[("ma", &token)], "password12").await;
    assert_eq!(weak.status(), 422, "a common password is refused");
    let res = with_password(&app, "/dat-lai-mat-khau", &[("ma", &token)], new).await;
    assert_eq!(res.status(), 303);
    assert_eq!(get(&app, "/tai-khoan", &before).await.status(), 303, "old sessions ended");
    let again =
        with_password(&app, "/dat-lai-mat-khau", &[("ma", &token)], "Mot mat khau khac 2027").await;
    assert!(again.text().await.expect("page").contains("Liên kết"), "a link works once");
    let res = log_in(&app, "094088001122", old).await;
    assert_eq!(res.status(), 422);
    sign_in(&app, "094088001122", new, None).await;
}

#[tokio::test]
async fn a_citizen_signs_in_with_the_vneid_sandbox_and_is_linked_by_id_number() {
    let port = helpers::VneidSandbox::port();
    let env = helpers::VneidSandbox::env(port);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = Instance::start_with(&[], &env).await;
    let _vneid = helpers::VneidSandbox::start(port, &app.base).await;
    let login_page = get(&app, "/dang-nhap", "").await.text().await.expect("page");
    assert!(login_page.contains("Đăng nhập bằng VNeID"));
    let res = get(&app, "/dang-nhap/vneid?next=/tai-khoan", "").await;
    assert_eq!(res.status(), 303);
    let at_vneid = location(&res);
    assert!(at_vneid.starts_with(&format!("http://127.0.0.1:{port}/authorize?")), "{at_vneid}");
    let page = client().get(&at_vneid).send().await.expect("vneid").text().await.expect("page");
    assert!(page.to_lowercase().contains("thử nghiệm"), "the sandbox says what it is");
    // Hidden fields of the consent form, plus the person chosen: someone new to the platform.
    let res = consent(port, &page, &[("identity", "094192004567")]).await;
    assert_eq!(res.status(), 303);
    let callback = location(&res);
    assert!(callback.starts_with(&format!("{}/dang-nhap/vneid/callback?", app.base)));
    let res = client().get(&callback).send().await.expect("callback");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/tai-khoan");
    let cookie = session_cookie(&res).expect("session");
    let account = get(&app, "/tai-khoan", &cookie).await.text().await.expect("page");
    assert!(account.contains("Trần Thị Bích Ngọc") && account.contains("094192004567"));
    assert!(account.contains("Đã liên kết"));
    // The same code or state again is refused.
    let res = client().get(&callback).send().await.expect("replay");
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("page").contains("Chưa đăng nhập được"));
    // The demo citizen's number links to the existing account rather than making a new one.
    let res = get(&app, "/dang-nhap/vneid", "").await;
    let page =
        client().get(location(&res)).send().await.expect("vneid").text().await.expect("page");
    let person = [
        ("identity", "custom"),
        ("custom_personal_id", CITIZEN),
        ("custom_full_name", "Nguyễn Văn An"),
    ];
    let res = consent(port, &page, &person).await;
    let res = client().get(location(&res)).send().await.expect("callback");
    let cookie = session_cookie(&res).expect("session");
    let account = get(&app, "/tai-khoan", &cookie).await.text().await.expect("page");
    assert!(account.contains("nguyenvanan@example.vn"), "the demo account, linked");
}

#[tokio::test]
async fn the_owner_of_a_personal_id_takes_over_an_unverified_registration_through_vneid() {
    let port = helpers::VneidSandbox::port();
    let env = helpers::VneidSandbox::env(port);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = Instance::start_with(&[], &env).await;
    let _vneid = helpers::VneidSandbox::start(port, &app.base).await;
    // Someone registers the owner's personal ID with their own phone and never verifies it.
    let squatter = ["094192004567", "Kẻ Mạo Danh", "01/01/1992", "0911222333"];
    let res = register(&app, squatter, "Dua ghe ngo tren song 77").await;
    let status = res.status();
    assert_eq!(status, 303, "{}", res.text().await.unwrap_or_default());
    let res = get(&app, "/dang-nhap/vneid?next=/tai-khoan", "").await;
    let page =
        client().get(location(&res)).send().await.expect("vneid").text().await.expect("page");
    let res = consent(port, &page, &[("identity", "094192004567")]).await;
    let res = client().get(location(&res)).send().await.expect("callback");
    assert_eq!(location(&res), "/tai-khoan", "the owner is signed in");
    let cookie = session_cookie(&res).expect("session");
    let account = get(&app, "/tai-khoan", &cookie).await.text().await.expect("page");
    assert!(account.contains("Trần Thị Bích Ngọc") && !account.contains("Kẻ Mạo Danh"));
    assert!(!account.contains("0911222333"), "the claimant's phone is gone");
    // The claimant's password no longer opens anything.
    let res = log_in(&app, "094192004567", "Dua ghe ngo tren song 77").await;
    assert_eq!(res.status(), 422);
    assert!(session_cookie(&res).is_none());
}

#[tokio::test]
async fn a_platform_admin_registers_an_oauth_client_in_the_ui_and_sees_the_secret_once() {
    let app = Instance::start().await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let res = post(
        &app,
        "/admin/clients",
        &admin,
        &[
            ("name", "Cổng dịch vụ công của huyện"),
            ("grant", "authorization_code"),
            ("redirect_uris", "https://dvc.example/callback\nhttps://dvc.example/cb2"),
            ("scopes", "openid profile"),
            ("kind", "confidential"),
            ("first_party", "true"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let page = res.text().await.expect("page");
    assert!(page.contains("chỉ hiện <strong>một lần</strong>"));
    assert!(page.contains("cqdtcs_"), "the secret is shown");
    let again = get(&app, "/admin/clients", &admin).await.text().await.expect("page");
    assert!(again.contains("Cổng dịch vụ công của huyện"));
    assert!(!again.contains("cqdtcs_"), "and never again");
    // A bad redirect URI is refused with the reason, and nothing is registered.
    let res = post(
        &app,
        "/admin/clients",
        &admin,
        &[
            ("name", "Sai"),
            ("grant", "authorization_code"),
            ("redirect_uris", "javascript:alert(1)"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    // Officials who are not platform administrators cannot.
    let stp = sign_in(&app, "qt.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    assert_eq!(get(&app, "/admin/clients", &stp).await.status(), 403);
}

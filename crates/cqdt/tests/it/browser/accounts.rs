//! Accounts in the browser: a citizen registers and signs in (password or VNeID), an official
//! signs in with TOTP and administers accounts.

use super::*;

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
    let Some((app, b)) = journey().await else {
        return;
    };
    b.goto(&app.url("/admin/accounts")).await;
    assert!(b.path().await.starts_with("/dang-nhap?next="));
    b.fill("login", "quantri").await;
    b.fill("password", helpers::DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    assert!(b.path().await.starts_with("/dang-nhap/xac-thuc-hai-lop"));
    assert_accessible(&b, "second factor").await;
    let code = helpers::totp_now(helpers::DEMO_TOTP);
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

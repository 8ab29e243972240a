//! Refusals an auditor must see (issue 13, item 10): the platform's guards record them in the
//! audit log as `security.*` events, denied, with the client's address.

use crate::helpers::{audit_text, client, Instance};
use crate::oidc::{authorize, REDIRECT};

/// The audit log's records of `action`, once the chainer has caught up.
async fn recorded(app: &Instance, action: &str, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..50 {
        text = audit_text(app, action).await;
        if text.contains(needle) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    text
}

#[tokio::test]
async fn a_wrong_administrator_password_is_a_security_event() {
    let app = Instance::start().await;
    let res = client().get(app.url("/api/v1/admin/jobs")).basic_auth("admin", Some("doan")).send();
    assert_eq!(res.await.expect("get").status(), 401);
    let log = recorded(&app, "security.admin_sign_in_failed", "127.0.0.1").await;
    assert!(log.contains("/api/v1/admin/jobs") && log.contains("denied"), "{log}");
}

#[tokio::test]
async fn a_cross_site_post_is_a_security_event() {
    let app = Instance::start().await;
    let res = client()
        .post(app.url("/dang-nhap"))
        .header("origin", "http://trang-gia-mao.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("login", "x"), ("password", "y")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    let log = recorded(&app, "security.csrf_refused", "trang-gia-mao.example").await;
    assert!(log.contains("trang-gia-mao.example"), "{log}");
}

#[tokio::test]
async fn a_redirect_uri_the_client_did_not_register_is_a_security_event() {
    let app = Instance::start().await;
    let (id, _) = crate::helpers::add_client(
        &app,
        &["Ứng dụng", "--grant", "authorization_code", "--redirect-uri", REDIRECT],
    )
    .await;
    let params = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", "https://ke-gian.example/cb"),
        ("scope", "openid"),
    ];
    assert_eq!(authorize(&app, "", &params).await.status(), 400);
    let log = recorded(&app, "security.redirect_uri_refused", "ke-gian.example").await;
    assert!(log.contains("ke-gian.example") && log.contains(&id), "{log}");
}

//! Behind the load balancer (issue 13, items 5, 8, 9 and 15): the login throttle and the OAuth
//! client lockout key on the client the trusted proxy names, not on the proxy; a request id is
//! ours unless a trusted proxy sent a well-formed one; the metrics are not for anyone on the
//! internet.

use crate::helpers::{add_client, audit_text, client, Instance, DEMO_PASSWORD};

/// A sign-in as `login` with `password` from the visitor a proxy names; the status.
async fn login_from(app: &Instance, forwarded_for: &str, login: &str, password: &str) -> u16 {
    client()
        .post(app.url("/dang-nhap"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("login", login), ("password", password), ("next", "/tai-khoan")])
        .send()
        .await
        .expect("login")
        .status()
        .as_u16()
}

/// A guess at an account that does not exist (no account lockout gets in the way).
async fn failed_login(app: &Instance, forwarded_for: &str) -> u16 {
    login_from(app, forwarded_for, "khong-co@example.vn", "sai-mat-khau").await
}

#[tokio::test]
async fn one_visitors_failures_behind_a_trusted_proxy_do_not_lock_out_the_others() {
    let app = Instance::start_with(&[], &[("CQDT_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let mut locked = false;
    for _ in 0..40 {
        if failed_login(&app, "203.0.113.7").await == 429 {
            locked = true;
            break;
        }
    }
    assert!(locked, "the guessing visitor is throttled");
    let other = login_from(&app, "198.51.100.20", "094085000123", DEMO_PASSWORD).await;
    assert_eq!(other, 303, "another visitor signs in");
    // The audit log names the visitor, not the proxy.
    let mut audit = String::new();
    for _ in 0..50 {
        audit = audit_text(&app, "identity.login.failure").await;
        if audit.contains("203.0.113.7") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(audit.contains("203.0.113.7"), "{audit}");
}

#[tokio::test]
async fn forwarded_addresses_from_an_untrusted_peer_are_ignored() {
    let app = Instance::start().await;
    let mut status = 0;
    for i in 0..40 {
        // A guesser who writes a new address each time is still one client.
        status = failed_login(&app, &format!("203.0.113.{i}")).await;
        if status == 429 {
            break;
        }
    }
    assert_eq!(status, 429);
}

#[tokio::test]
async fn a_request_id_is_kept_only_when_a_trusted_proxy_sent_a_plain_one() {
    let id_of = |res: &reqwest::Response| {
        res.headers()["x-request-id"].to_str().expect("ascii").to_string()
    };
    let app = Instance::start().await;
    let res = client().get(app.url("/")).header("x-request-id", "forged-1").send().await;
    assert_ne!(id_of(&res.expect("get")), "forged-1", "an untrusted client's id is replaced");
    let app = Instance::start_with(&[], &[("CQDT_TRUSTED_PROXIES", "127.0.0.0/8")]).await;
    let res = client().get(app.url("/")).header("x-request-id", "lb-0001").send().await;
    assert_eq!(id_of(&res.expect("get")), "lb-0001");
    let res =
        client().get(app.url("/")).header("x-request-id", "x\"}, {\"forged\": 1").send().await;
    assert!(!id_of(&res.expect("get")).contains("forged"));
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let app = Instance::start_with(&[], &[("CQDT_METRICS_TOKEN", "scrape-secret")]).await;
    let res = client().get(app.url("/metrics")).send().await.expect("get");
    assert_eq!(res.status(), 401);
    let res =
        client().get(app.url("/metrics")).bearer_auth("scrape-secret").send().await.expect("get");
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("body").contains("cqdt_up 1"));
    // Without a token only the machine itself reads them; behind a proxy, the visitor it
    // names is who asks.
    let app = Instance::start_with(&[], &[("CQDT_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let res = client().get(app.url("/metrics")).header("x-forwarded-for", "203.0.113.7").send();
    assert_eq!(res.await.expect("get").status(), 401);
    let res = client().get(app.url("/metrics")).send().await.expect("get");
    assert_eq!(res.status(), 200);
}

/// A client-credentials grant with `secret`, as the proxy forwards it from `forwarded_for`.
async fn grant_from(app: &Instance, forwarded_for: &str, id: &str, secret: &str) -> u16 {
    client()
        .post(app.url("/oauth/token"))
        .header("x-forwarded-for", forwarded_for)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .status()
        .as_u16()
}

#[tokio::test]
async fn wrong_secrets_from_one_address_do_not_lock_the_client_out_at_another() {
    let app = Instance::start_with(&[], &[("CQDT_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let (id, secret) = add_client(
        &app,
        &["Hệ thống kết nối", "--grant", "client_credentials", "--scope", "catalog:read"],
    )
    .await;
    let secret = secret.expect("secret");
    // Client ids are public: an outsider tries secrets until the lockout starts.
    for _ in 0..5 {
        assert_eq!(grant_from(&app, "203.0.113.7", &id, "cqdtcs_wrong").await, 401);
    }
    assert_eq!(grant_from(&app, "203.0.113.7", &id, &secret).await, 401, "locked out there");
    // The real client, elsewhere, goes on working.
    assert_eq!(grant_from(&app, "198.51.100.20", &id, &secret).await, 200);
    // The audit log says where the guessing came from.
    let mut lockout = String::new();
    for _ in 0..50 {
        lockout = audit_text(&app, "identity.client.lockout").await;
        if lockout.contains("203.0.113.7") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(lockout.contains("203.0.113.7"), "{lockout}");
}

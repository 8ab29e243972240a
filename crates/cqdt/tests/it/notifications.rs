//! Notifications through the whole platform: e-mail to a real SMTP server (in-process, over
//! loopback TCP) and the outbox keeping mail while that server is down; a bad request refused.
//! (SMS through the shipped `cqdt sandbox sms` is in `e2e::binary`.)

use std::time::{Duration, Instant};

use crate::helpers::{client, free_port, ByAdmin, Instance, SendJson, Smtp};
use serde_json::{json, Value};

pub(crate) async fn send(app: &Instance, body: Value) -> i64 {
    let res = client()
        .post(app.url("/api/v1/notifications"))
        .by_admin()
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 202, "{}", res.text().await.unwrap_or_default());
    let v: Value = res.json().await.expect("json");
    v["id"].as_i64().expect("id")
}

async fn status(app: &Instance, id: i64) -> Value {
    client().get(app.url(&format!("/api/v1/notifications/{id}"))).by_admin().send_json().await
}

pub(crate) async fn wait_for<F: Fn(&Value) -> bool>(app: &Instance, id: i64, done: F) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = status(app, id).await;
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "notification {id} never got there: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(crate) fn notification_status(v: &Value) -> &str {
    v["notification"]["status"].as_str().or_else(|| v["status"].as_str()).unwrap_or("")
}

#[tokio::test]
async fn an_email_sent_while_the_mail_server_is_down_is_delivered_when_it_comes_back() {
    let port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = Instance::start_with(
        &[],
        &[("CQDT_SMTP_URL", &smtp_url), ("CQDT_SMTP_FROM", "Cổng DVC <no-reply@soctrang.gov.vn>")],
    )
    .await;
    let id = send(&app, json!({"channel": "email", "recipient": "cong.dan@example.vn", "template": "test", "params": {}})).await;
    // Nothing listens yet: the first attempt fails and the message waits in the outbox.
    let v = wait_for(&app, id, |v| v.to_string().contains("failed")).await;
    assert_eq!(notification_status(&v), "queued", "{v}");
    let smtp = Smtp::start(port).await;
    // The retry comes after the queue's backoff (10 s for the first).
    let jobs: Value =
        client().get(app.url("/api/v1/admin/jobs?status=pending")).by_admin().send_json().await;
    assert!(
        !jobs["jobs"].as_array().expect("jobs").is_empty(),
        "the message is kept in the outbox"
    );
    let v = wait_for(&app, id, |v| notification_status(v) == "sent").await;
    assert!(v.to_string().contains("failed"), "the delivery log keeps the failed attempt: {v}");
    let out = smtp.output();
    assert!(out.contains("cong.dan@example.vn"), "{out}");
}

#[tokio::test]
async fn a_bad_notification_request_is_refused_and_nothing_is_queued() {
    let app = Instance::start().await;
    let res = client()
        .post(app.url("/api/v1/notifications"))
        .by_admin()
        .json(&json!({"channel": "email", "recipient": "khong-phai-email", "template": "khong-co", "params": {}}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let jobs: Value = client().get(app.url("/api/v1/admin/jobs")).by_admin().send_json().await;
    assert!(jobs["jobs"].as_array().expect("jobs").is_empty());
}

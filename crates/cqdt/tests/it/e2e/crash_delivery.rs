//! Push delivery survives a crash: the real `cqdt serve` is killed with SIGKILL while it pushes
//! a queue to a recipient system and started again on the same database. Every message it
//! accepted reaches the recipient, in the order sent, and is marked received; a message comes
//! twice only when it had been pushed before the crash and its receipt not yet recorded (the
//! platform records them every ten; the recipient deduplicates by `X-Lgsp-Message-Id`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::json;

use crate::helpers::{client, ByAdmin, Instance};
use crate::lgsp::{provider, receiving_system, registry, JUSTICE};

const MESSAGES: usize = 150;

/// A recipient that takes a message in 20 ms, recording the senders' ids as they come.
async fn slow_recipient() -> (String, Arc<Mutex<Vec<String>>>) {
    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = got.clone();
    let take = move |headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let id = headers.get("x-lgsp-sender-message-id").and_then(|v| v.to_str().ok());
            seen.lock().expect("lock").push(id.unwrap_or("").to_string());
            "đã nhận"
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/nhan", post(take));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}/nhan"), got)
}

#[tokio::test]
async fn killing_the_server_mid_delivery_loses_nothing_and_keeps_the_order() {
    let mut app = Instance::spawn_binary().await;
    let (base, _) = provider().await;
    let (_, bearer) = registry(&app, &base, json!({})).await;
    receiving_system(&app).await;
    let (url, got) = slow_recipient().await;
    let res = client()
        .put(app.url(&format!("/api/v1/lgsp/members/{JUSTICE}/subsystems/ho-tich-nhan/push")))
        .by_admin()
        .json(&json!({ "push_url": url }))
        .send()
        .await
        .expect("push address");
    assert_eq!(res.status(), 200);

    let sent: Vec<String> = (0..MESSAGES).map(|n| format!("vb-{n:03}")).collect();
    for id in &sent {
        let res = client()
            .post(app.url(&format!("/api/v1/lgsp/messages?to={JUSTICE}/ho-tich-nhan")))
            .bearer_auth(&bearer)
            .header("x-lgsp-message-id", id)
            .body(format!("văn bản {id}"))
            .send()
            .await
            .expect("send");
        assert_eq!(res.status(), 202);
    }
    // Killed with the queue part delivered.
    let until = Instant::now() + Duration::from_secs(30);
    while got.lock().expect("lock").len() < 20 {
        assert!(Instant::now() < until, "delivery did not start");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    app.kill().await;
    let before: Vec<String> = got.lock().expect("lock").clone();
    let at_kill = before.len();
    assert!(at_kill < MESSAGES, "killed mid-delivery: {at_kill} of {MESSAGES} delivered");

    // Started again, it goes on once the dead run's lease (a minute) has lapsed.
    app.restart().await;
    let until = Instant::now() + Duration::from_secs(150);
    loop {
        let received: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM lgsp_messages WHERE status = 'received'")
                .fetch_one(app.db.db.pool())
                .await
                .expect("count");
        if received as usize == MESSAGES {
            break;
        }
        assert!(Instant::now() < until, "{received} of {MESSAGES} received after the restart");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let got = got.lock().expect("lock").clone();
    let mut first: Vec<String> = Vec::new();
    for id in &got {
        if !first.contains(id) {
            first.push(id.clone());
        }
    }
    assert_eq!(first, sent, "every message, in the order sent");
    let again = &got[at_kill..];
    let twice: Vec<&String> = again.iter().filter(|id| before.contains(id)).collect();
    assert!(twice.len() <= 10, "at most the unrecorded ten came twice: {twice:?}");
    assert_eq!(got.len(), MESSAGES + twice.len(), "nothing else came twice: {got:?}");
}

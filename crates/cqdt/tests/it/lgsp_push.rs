//! Push delivery of the asynchronous exchange (issue 16): a recipient system that gives a push
//! address gets its messages POSTed there in order, with the platform's signed assertion; a
//! message it refuses goes to the dead letter and its sender may send it again; a recipient
//! that is down holds its queue, in order, for the next attempt.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{client, Instance, ADMIN_PASSWORD};
use crate::lgsp::{provider, receiving_system, registry, JUSTICE};

/// What the recipient got: (platform id, sender's id, assertion, body).
type Got = Arc<Mutex<Vec<(String, String, String, String)>>>;

/// A recipient system: refuses "từ chối" (422), is down for "sập" (503) until `back` is set,
/// takes the rest.
async fn recipient(back: Arc<AtomicBool>) -> (String, Got) {
    let got: Got = Arc::default();
    let seen = got.clone();
    let take = move |headers: HeaderMap, body: Bytes| {
        let (seen, back) = (seen.clone(), back.clone());
        async move {
            let h =
                |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let text = String::from_utf8_lossy(&body).to_string();
            seen.lock().expect("lock").push((
                h("x-lgsp-message-id"),
                h("x-lgsp-sender-message-id"),
                h("x-lgsp-assertion"),
                text.clone(),
            ));
            match text.as_str() {
                "từ chối" => (StatusCode::UNPROCESSABLE_ENTITY, "hồ sơ không đúng mẫu"),
                "sập" if !back.load(Ordering::SeqCst) => {
                    (StatusCode::SERVICE_UNAVAILABLE, "bảo trì")
                }
                _ => (StatusCode::OK, "đã nhận"),
            }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().route("/nhan", post(take));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}/nhan"), got)
}

async fn send(app: &Instance, bearer: &str, id: &str, body: &str) -> Value {
    let res = client()
        .post(app.url(&format!("/api/v1/lgsp/messages?to={JUSTICE}/ho-tich-nhan")))
        .bearer_auth(bearer)
        .header("x-lgsp-message-id", id)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    assert_eq!(res.status(), 202);
    res.json().await.expect("json")
}

async fn status(app: &Instance, bearer: &str, m: &Value) -> Value {
    let id = m["id"].as_str().expect("id");
    let res = client()
        .get(app.url(&format!("/api/v1/lgsp/messages/{id}")))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("status");
    res.json().await.expect("json")
}

/// The sender asks for `m` to be sent again: the answer's status.
async fn redeliver(app: &Instance, bearer: &str, m: &Value) -> u16 {
    let id = m["id"].as_str().expect("id");
    let res = client()
        .post(app.url(&format!("/api/v1/lgsp/messages/{id}/redeliver")))
        .bearer_auth(bearer)
        .send()
        .await
        .expect("redeliver");
    res.status().as_u16()
}

/// Waits until `m` is in `want` (the worker runs beside the test).
async fn until(app: &Instance, bearer: &str, m: &Value, want: &str) -> Value {
    for _ in 0..100 {
        let now = status(app, bearer, m).await;
        if now["status"] == want {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never became {want}: {}", m["message_id"], status(app, bearer, m).await);
}

#[tokio::test]
async fn messages_are_pushed_in_order_refused_ones_go_to_the_dead_letter_and_a_recipient_down_holds_its_queue_until_it_is_back(
) {
    journey(&Instance::start().await).await;
}

#[tokio::test]
async fn on_nats_jetstream_messages_are_pushed_in_order_refused_ones_go_to_the_dead_letter_and_a_recipient_down_holds_its_queue(
) {
    let Some(on) = crate::helpers::nats::start().await else { return };
    journey(&on.app).await;
    // Six messages and one marker of sending vb-3 again.
    assert_eq!(on.finish().await, 7);
}

/// A recipient with a push address gets what is sent to it, through all that can go wrong.
async fn journey(app: &Instance) {
    let (base, _) = provider().await;
    let (_, sender) = registry(app, &base, json!({})).await;
    receiving_system(app).await;
    let back = Arc::new(AtomicBool::new(false));
    let (url, got) = recipient(back.clone()).await;
    let push = |body: Value| {
        client()
            .put(app.url(&format!("/api/v1/lgsp/members/{JUSTICE}/subsystems/ho-tich-nhan/push")))
            .basic_auth("admin", Some(ADMIN_PASSWORD))
            .json(&body)
            .send()
    };
    let bad = push(json!({ "push_url": "ftp://hotich.soctrang.gov.vn/nhan" })).await.expect("put");
    assert_eq!(bad.status(), 422);
    let problem: Value = bad.json().await.expect("problem");
    assert!(problem.to_string().contains("push_url"), "{problem}");
    let ok = push(json!({ "push_url": url })).await.expect("put");
    assert_eq!(ok.status(), 200);

    let m1 = send(app, &sender, "vb-1", "một").await;
    let m2 = send(app, &sender, "vb-2", "hai").await;
    let m3 = send(app, &sender, "vb-3", "từ chối").await;
    let m4 = send(app, &sender, "vb-4", "bốn").await;
    until(app, &sender, &m4, "received").await;
    for m in [&m1, &m2] {
        until(app, &sender, m, "received").await;
    }
    let dead = until(app, &sender, &m3, "dead").await;
    assert!(dead["note"].as_str().unwrap_or("").contains("HTTP 422"), "{dead}");
    {
        let got = got.lock().expect("lock");
        let order: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
        assert_eq!(order, ["vb-1", "vb-2", "vb-3", "vb-4"], "pushed in the order sent");
        assert_eq!(got[0].0, m1["id"].as_str().expect("id"), "the platform's id to deduplicate by");
        assert_eq!(got[1].3, "hai", "the body as sent");
        let header = got[0].2.split('.').next().expect("a JWT");
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).expect("b64");
        let header: Value = serde_json::from_slice(&header).expect("json");
        assert_eq!(header["typ"], "lgsp+jwt", "signed by the platform: {header}");
    }

    // The sender sends the refused one again: pushed again, refused again. A delivered one
    // cannot be sent again.
    assert_eq!(redeliver(app, &sender, &m3).await, 200);
    until(app, &sender, &m3, "dead").await;
    assert_eq!(got.lock().expect("lock").iter().filter(|g| g.1 == "vb-3").count(), 2);
    assert_eq!(redeliver(app, &sender, &m1).await, 409);
    // The administrators see the dead letter and where the system takes its messages.
    let page = client().get(app.url("/admin/lgsp")).basic_auth("admin", Some(ADMIN_PASSWORD));
    let html = page.send().await.expect("page").text().await.expect("html");
    assert!(html.contains("Thông điệp không chuyển được") && html.contains("vb-3"), "{html}");
    assert!(
        html.contains("HTTP 422")
            && html.contains(&format!("nhận thông điệp tại <code class=\"meta\">{url}")),
        "{html}"
    );

    // The recipient is down: the message waits with its attempt counted, and the one behind it
    // is not pushed past it.
    let m5 = send(app, &sender, "vb-5", "sập").await;
    let m6 = send(app, &sender, "vb-6", "sáu").await;
    let mut waiting = Value::Null;
    for _ in 0..50 {
        waiting = status(app, &sender, &m5).await;
        if waiting["attempts"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        (waiting["status"].as_str(), waiting["attempts"].as_i64()),
        (Some("queued"), Some(1)),
        "{waiting}"
    );
    assert!(waiting["note"].as_str().unwrap_or("").contains("HTTP 503"), "{waiting}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(status(app, &sender, &m6).await["status"], "queued");
    assert!(!got.lock().expect("lock").iter().any(|g| g.1 == "vb-6"), "not pushed past vb-5");

    // Back up: the sweeper starts the queue again when vb-5 is due (10 s after its failure),
    // and vb-6 follows it.
    back.store(true, Ordering::SeqCst);
    for _ in 0..250 {
        if status(app, &sender, &m6).await["status"] == "received" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status(app, &sender, &m5).await["status"], "received");
    assert_eq!(status(app, &sender, &m6).await["status"], "received");
    let got = got.lock().expect("lock");
    let tail: Vec<&str> = got.iter().rev().take(2).map(|g| g.1.as_str()).collect();
    assert_eq!(tail, ["vb-6", "vb-5"], "still in order");
}

//! Asynchronous exchange through the integration platform (issue 16): a member system sends
//! messages to another; the recipient pulls its queue in order, reads the bodies exactly as
//! sent and reports; a message sent again has no second effect; nobody else sees them.

use serde_json::{json, Value};

use crate::helpers::{client, Instance};
use crate::lgsp::{provider, registry, system, COMMITTEE, JUSTICE};

/// Sends a message from `bearer`'s system to `to`: status and answer.
async fn send(
    app: &Instance,
    bearer: &str,
    to: &str,
    id: &str,
    kind: &str,
    body: &[u8],
) -> (u16, Value) {
    let res = client()
        .post(app.url(&format!("/api/v1/lgsp/messages?to={to}")))
        .bearer_auth(bearer)
        .header("x-lgsp-message-id", id)
        .header("content-type", kind)
        .body(body.to_vec())
        .send()
        .await
        .expect("send");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn get(app: &Instance, bearer: &str, path: &str) -> (u16, Value) {
    let res = client().get(app.url(path)).bearer_auth(bearer).send().await.expect("get");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

async fn report(app: &Instance, bearer: &str, id: &str, body: Value) -> (u16, Value) {
    let res = client()
        .post(app.url(&format!("/api/v1/lgsp/inbox/{id}/status")))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .expect("report");
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn messages_are_stored_pulled_in_order_read_as_sent_and_reported_once() {
    let app = Instance::start().await;
    let (sender, to) = journey(&app).await;
    // The largest body the API takes (10 MiB) is taken.
    let big = vec![b'x'; 10 * 1024 * 1024];
    assert_eq!(send(&app, &sender, &to, "lon-nhat", "text/plain", &big).await.0, 202);
}

#[tokio::test]
async fn on_nats_jetstream_messages_are_stored_pulled_in_order_read_as_sent_and_reported_once() {
    let Some(on) = crate::helpers::nats::start().await else { return };
    let (sender, to) = journey(&on.app).await;
    // A body over what the NATS server takes (its max_payload, 1 MiB unless configured) is
    // refused, naming the server.
    let max = on.max_payload().await;
    if max < 10 * 1024 * 1024 {
        let big = vec![b'x'; max];
        let (status, problem) = send(&on.app, &sender, &to, "qua-lon", "text/plain", &big).await;
        assert_eq!(status, 422, "{problem}");
        assert!(problem.to_string().contains("máy chủ NATS"), "{problem}");
    }
    // The messages are on the server, not in the database.
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lgsp_messages")
        .fetch_one(on.app.db.db.pool())
        .await
        .expect("count");
    assert_eq!(rows, 0);
    assert_eq!(on.finish().await, 2, "the two messages sent, once each");
}

/// A member system sends to another, which pulls, reads and reports; the sender's token and
/// the recipient, for more.
async fn journey(app: &Instance) -> (String, String) {
    let (base, _) = provider().await;
    // The committee's one-stop system sends; Sở Tư pháp's civil-status system receives.
    let (_, sender) = registry(app, &base, json!({})).await;
    let (justice_client, recipient) = system(app, "Phần mềm hộ tịch", "lgsp").await;
    let res = client()
        .post(app.url(&format!("/api/v1/lgsp/members/{JUSTICE}/subsystems")))
        .basic_auth("admin", Some(crate::helpers::ADMIN_PASSWORD))
        .json(&json!({ "code": "ho-tich-nhan", "name": "Hộ tịch (nhận văn bản)", "client_id": justice_client }))
        .send()
        .await
        .expect("subsystem");
    assert_eq!(res.status(), 201);
    let to = format!("{JUSTICE}/ho-tich-nhan");
    // Decomposed Vietnamese (NFD) in a JSON body: it must arrive byte for byte.
    let first = "{\"ho_ten\":\"Nguye\u{302}\u{303}n Gia Ba\u{309}o\"}".as_bytes().to_vec();
    let (status, m1) = send(app, &sender, &to, "hs-2026-001", "application/json", &first).await;
    assert_eq!(status, 202, "{m1}");
    assert_eq!(
        (m1["status"].as_str(), m1["sender"].as_str()),
        (Some("queued"), Some(format!("{COMMITTEE}/mot-cua").as_str()))
    );
    // The same id and body again: the same message, nothing new; another body: a conflict.
    let (status, again) = send(app, &sender, &to, "hs-2026-001", "application/json", &first).await;
    assert_eq!((status, again["id"].clone()), (200, m1["id"].clone()));
    let (status, _) = send(app, &sender, &to, "hs-2026-001", "application/json", b"{}").await;
    assert_eq!(status, 409);
    let (status, m2) =
        send(app, &sender, &to, "hs-2026-002", "application/pdf", b"%PDF-1.7 hai").await;
    assert_eq!(status, 202, "{m2}");
    // Unknown recipient; a bad id; a caller that is no member's system.
    assert_eq!(
        send(app, &sender, &format!("{JUSTICE}/khong-co"), "x-1", "text/plain", b"x").await.0,
        404
    );
    assert_eq!(send(app, &sender, &to, "co dau", "text/plain", b"x").await.0, 422);
    let (_, stranger) = system(app, "Hệ thống lạ", "lgsp").await;
    assert_eq!(send(app, &stranger, &to, "x-2", "text/plain", b"x").await.0, 403);

    // The recipient's queue, oldest first; the sender's is empty.
    let (status, queue) = get(app, &recipient, "/api/v1/lgsp/inbox").await;
    assert_eq!(status, 200, "{queue}");
    let ids: Vec<&Value> = queue.as_array().expect("queue").iter().map(|m| &m["id"]).collect();
    assert_eq!(ids, [&m1["id"], &m2["id"]]);
    assert_eq!(get(app, &sender, "/api/v1/lgsp/inbox").await.1, json!([]));
    let id1 = m1["id"].as_str().expect("id");
    let res = client()
        .get(app.url(&format!("/api/v1/lgsp/inbox/{id1}/content")))
        .bearer_auth(&recipient)
        .send()
        .await
        .expect("content");
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), first, "byte for byte");
    // Only the recipient reads the body or reports; the sender follows the status.
    let res = client()
        .get(app.url(&format!("/api/v1/lgsp/inbox/{id1}/content")))
        .bearer_auth(&sender)
        .send()
        .await
        .expect("content");
    assert_eq!(res.status(), 404);
    assert_eq!(report(app, &sender, id1, json!({"status": "received"})).await.0, 404);
    assert_eq!(report(app, &recipient, id1, json!({"status": "received"})).await.0, 200);
    let (status, done) =
        report(app, &recipient, id1, json!({"status": "processed", "note": "Đã vào sổ"})).await;
    assert_eq!((status, done["status"].as_str()), (200, Some("processed")));
    assert_eq!(
        report(app, &recipient, id1, json!({"status": "processed"})).await.0,
        200,
        "a repeat changes nothing"
    );
    assert_eq!(
        report(app, &recipient, id1, json!({"status": "failed", "note": "muộn"})).await.0,
        409
    );
    let id2 = m2["id"].as_str().expect("id");
    assert_eq!(
        report(app, &recipient, id2, json!({"status": "failed"})).await.0,
        422,
        "a failure says why"
    );
    let (_, seen) = get(app, &sender, &format!("/api/v1/lgsp/messages/{id1}")).await;
    assert_eq!(
        (seen["status"].as_str(), seen["note"].as_str()),
        (Some("processed"), Some("Đã vào sổ"))
    );
    let (_, queue) = get(app, &recipient, "/api/v1/lgsp/inbox").await;
    assert_eq!(queue.as_array().map(Vec::len), Some(1), "only the message not reported on");
    assert_eq!(get(app, &stranger, &format!("/api/v1/lgsp/messages/{id1}")).await.0, 403);
    (sender, to)
}

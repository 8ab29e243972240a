//! The SMS gateway sandbox on its own, over real loopback HTTP.

use crate::common::{get_json, serve_sandbox as serve};
use cqdt_notify::SmsSandbox;
use serde_json::{json, Value};

#[tokio::test]
async fn the_sandbox_checks_the_token_and_the_message_before_keeping_it() {
    let sandbox = SmsSandbox::new(Some("bi-mat".into()));
    let base = serve(&sandbox).await;
    let client = reqwest::Client::new();
    let post = |body: Value, token: Option<&str>| {
        let mut r = client.post(format!("{base}/api/sms")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let ok = json!({"to": "+84 912 345 678", "text": "Xin chào"});
    assert_eq!(post(ok.clone(), None).await.expect("post").status(), 401);
    assert_eq!(post(ok.clone(), Some("sai")).await.expect("post").status(), 401);
    let bad_phone = json!({"to": "12345", "text": "Xin chào"});
    assert_eq!(post(bad_phone, Some("bi-mat")).await.expect("post").status(), 422);
    let empty = json!({"to": "0912345678", "text": "  "});
    assert_eq!(post(empty, Some("bi-mat")).await.expect("post").status(), 422);
    let not_json = client
        .post(format!("{base}/api/sms"))
        .bearer_auth("bi-mat")
        .body("to=0912345678")
        .send()
        .await
        .expect("post");
    assert_eq!(not_json.status(), 400);
    assert!(sandbox.messages().is_empty());

    let accepted = post(ok, Some("bi-mat")).await.expect("post");
    assert_eq!(accepted.status(), 202);
    let v: Value = accepted.json().await.expect("json");
    assert_eq!(v["sandbox"], true);
    let listed = get_json(&client, format!("{base}/api/sms")).await;
    assert_eq!(listed["messages"][0]["to"], "+84912345678");
    assert_eq!(listed["messages"][0]["text"], "Xin chào");
}

#[tokio::test]
async fn the_sandbox_page_says_it_is_a_sandbox_and_escapes_what_it_shows() {
    let sandbox = SmsSandbox::new(None);
    let base = serve(&sandbox).await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/sms"))
        .json(&json!({"to": "0912345678", "text": "<script>alert(1)</script>"}))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 202);
    let html =
        client.get(format!("{base}/")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("<h1>Cổng SMS thử nghiệm (sandbox)</h1>"));
    assert!(html.contains("SANDBOX"));
    assert!(html.contains("<th scope=\"col\">Nội dung</th>"));
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("script&#62;alert(1)") || html.contains("&lt;script&gt;"), "{html}");
}

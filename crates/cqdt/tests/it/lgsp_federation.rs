//! Federation (issue 16): two platforms started by the test, a province's and the national
//! one. A system of the province calls a service of the national platform through both
//! gateways: the province's gateway gets its token from the national platform and signs its
//! assertion of the consumer; the national gateway checks that assertion with the keys the
//! province publishes, passes the consumer on to its provider, and logs the exchange under the
//! province's request id, so the two logs match. The province registers the national service
//! from the national platform's metadata services. Without a valid assertion the peer's call is
//! refused, naming the consumer's side.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{add_client, audit_text, client, ByAdmin, Instance};
use crate::lgsp::{admin_json, grant, provider, registry, system, COMMITTEE, JUSTICE};
use crate::oidc::token;

/// The request ids in an instance's message log, oldest first, once there are `n`.
async fn logged(app: &Instance, n: usize) -> Vec<(String, String, i64)> {
    for _ in 0..50 {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT request_id, consumer, status FROM lgsp_log ORDER BY seq")
                .fetch_all(app.db.db.pool())
                .await
                .expect("log");
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the message log did not reach {n} records");
}

/// Between the two gateways: passes GETs on to `to`, keeping the last assertion it carried.
async fn relay(to: String) -> (String, Arc<Mutex<Option<String>>>) {
    let last: Arc<Mutex<Option<String>>> = Arc::default();
    let kept = last.clone();
    let pass = move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
        let (to, kept) = (to.clone(), kept.clone());
        async move {
            let mut req = client().get(format!("{to}{uri}"));
            for name in ["authorization", "x-lgsp-assertion", "content-type"] {
                if let Some(v) = headers.get(name).and_then(|v| v.to_str().ok()) {
                    req = req.header(name, v);
                    if name == "x-lgsp-assertion" {
                        *kept.lock().expect("lock") = Some(v.to_string());
                    }
                }
            }
            let res = req.send().await.expect("relay");
            let status = axum::http::StatusCode::from_u16(res.status().as_u16()).expect("status");
            (status, res.bytes().await.expect("body"))
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = axum::Router::new().fallback(axum::routing::get(pass));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (format!("http://{addr}"), last)
}

async fn post(app: &Instance, path: &str, body: Value) -> Value {
    let (status, body) = admin_json(app, reqwest::Method::POST, path, body).await;
    assert!(status == 201 || status == 200, "{path}: {status} {body}");
    body
}

#[tokio::test]
async fn a_province_system_calls_a_national_service_through_both_gateways_and_both_logs_match() {
    // The national platform: the civil-status service, and the province's gateway as one of
    // its systems, with the client the province calls it as.
    let national = Instance::start().await;
    let province = Instance::start().await;
    let (base, seen) = provider().await;
    let (service, _) = registry(&national, &base, json!({})).await;
    let (peer_client, secret) = add_client(
        &national,
        &["Trục LGSP tỉnh Sóc Trăng", "--grant", "client_credentials", "--scope", "lgsp"],
    )
    .await;
    let secret = secret.expect("secret");
    post(
        &national,
        &format!("/api/v1/lgsp/members/{COMMITTEE}/subsystems"),
        json!({ "code": "lgsp-soc-trang", "name": "Trục LGSP tỉnh Sóc Trăng", "client_id": peer_client }),
    )
    .await;
    let asked = post(&national, "/api/v1/lgsp/grants", json!({
        "consumer_member": COMMITTEE, "consumer_subsystem": "lgsp-soc-trang", "service_id": service,
        "operations": ["traCuuKhaiSinh"], "purpose": "Liên thông tra cứu hộ tịch từ tỉnh Sóc Trăng",
        "valid_until": "31/12/2027",
    }))
    .await;
    let id = asked["grants"][0]["id"].as_str().expect("grant");
    post(&national, &format!("/api/v1/lgsp/grants/{id}/decision"), json!({ "status": "approved" }))
        .await;
    post(
        &national,
        "/api/v1/lgsp/peers",
        json!({
            "code": "soc-trang", "name": "Trục LGSP tỉnh Sóc Trăng", "issuer": province.url(""),
            "calls_as": format!("{COMMITTEE}/lgsp-soc-trang"),
        }),
    )
    .await;

    // Between the gateways, a relay that keeps what passed (to replay it below).
    let (gateway, relayed) = relay(national.url("")).await;

    // The province: the national platform as a peer it calls with its client there, the
    // national service under the same member and code, granted to the one-stop system.
    for code in [JUSTICE, COMMITTEE] {
        post(&province, "/api/v1/lgsp/members", json!({ "code": code })).await;
    }
    post(
        &province,
        &format!("/api/v1/lgsp/members/{JUSTICE}/subsystems"),
        json!({ "code": "ho-tich", "name": "Hộ tịch điện tử (nền tảng quốc gia)" }),
    )
    .await;
    let (one_stop, bearer) = system(&province, "Hệ thống một cửa", "lgsp").await;
    post(
        &province,
        &format!("/api/v1/lgsp/members/{COMMITTEE}/subsystems"),
        json!({ "code": "mot-cua", "name": "Hệ thống một cửa", "client_id": one_stop }),
    )
    .await;
    let peer = post(
        &province,
        "/api/v1/lgsp/peers",
        json!({
            "code": "quoc-gia", "name": "Nền tảng NDXP", "issuer": national.url(""),
            "gateway_url": gateway, "client_id": peer_client, "client_secret": secret,
        }),
    )
    .await;
    assert!(peer.get("client_secret").is_none(), "the secret is never shown: {peer}");
    // Its service, from the national platform's metadata services.
    let remote = post(
        &province,
        "/api/v1/lgsp/peers/quoc-gia/services",
        json!({ "member_code": JUSTICE, "code": "ho-tich" }),
    )
    .await;
    assert_eq!(
        (remote["name"].as_str(), remote["version"].as_str()),
        (Some("Tra cứu hộ tịch"), Some("2.0.1"))
    );
    assert_eq!(remote["owner"], "Phòng Hành chính tư pháp, Sở Tư pháp", "{remote}");
    let at_national = format!("{gateway}/lgsp/{JUSTICE}/ho-tich");
    assert_eq!(remote["base_url"], at_national.as_str(), "{remote}");
    grant(&province, remote["id"].as_str().expect("id"), &["traCuuKhaiSinh"]).await;

    // The call, through both gateways.
    let res = client()
        .get(province.url(&format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/7")))
        .bearer_auth(&bearer)
        .send()
        .await
        .expect("call");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["path"], "/v2/khai-sinh/7");
    let got = seen.lock().expect("lock").clone();
    let header = |n: &str| got.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(header("x-lgsp-origin").as_deref(), Some(format!("{COMMITTEE}/mot-cua").as_str()));
    assert_eq!(
        header("x-lgsp-client").as_deref(),
        Some(format!("{COMMITTEE}/lgsp-soc-trang").as_str())
    );

    // Both logs hold the exchange under one request id.
    let here = logged(&province, 1).await;
    let there = logged(&national, 1).await;
    assert_eq!(here[0].0, there[0].0, "the logs match: {here:?} {there:?}");
    assert_eq!((here[0].2, there[0].2), (200, 200));
    assert_eq!(there[0].1, format!("{COMMITTEE}/lgsp-soc-trang"));
    assert_eq!(header("x-request-id").as_deref(), Some(here[0].0.as_str()));

    // The peer's client without the province's assertion, or with a forged one: refused,
    // naming the consumer's side.
    let (status, answer) =
        token(&national, &peer_client, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{answer}");
    let direct = answer["access_token"].as_str().expect("token");
    for assertion in [None, Some("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl")] {
        let mut req = client()
            .get(national.url(&format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/8")))
            .bearer_auth(direct);
        if let Some(a) = assertion {
            req = req.header("x-lgsp-assertion", a);
        }
        let res = req.send().await.expect("call");
        assert_eq!(res.status(), 401);
        let problem: Value = res.json().await.expect("problem");
        assert_eq!(problem["code"], "peer_assertion", "{problem}");
        assert!(problem["detail"].as_str().expect("detail").contains("Trục LGSP tỉnh Sóc Trăng"));
    }
    // The province's own assertion, replayed: refused too.
    let replayed = relayed.lock().expect("lock").clone().expect("an assertion passed");
    let res = client()
        .get(national.url(&format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/7")))
        .bearer_auth(direct)
        .header("x-lgsp-assertion", replayed)
        .send()
        .await
        .expect("replay");
    assert_eq!(res.status(), 401);
    let problem: Value = res.json().await.expect("problem");
    assert!(problem["detail"].as_str().expect("detail").contains("đã được dùng"), "{problem}");
    assert!(audit_text(&province, "lgsp.peer.add").await.contains("quoc-gia"));

    // Disconnecting: refused while a service here that takes calls is the peer's.
    let remove = |app: &Instance, code: &str| {
        client().delete(app.url(&format!("/api/v1/lgsp/peers/{code}"))).by_admin().send()
    };
    let res = remove(&province, "quoc-gia").await.expect("remove");
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.expect("problem");
    assert!(problem["detail"].as_str().expect("detail").contains(JUSTICE), "{problem}");
    assert_eq!(remove(&national, "soc-trang").await.expect("remove").status(), 204);
    assert_eq!(remove(&national, "soc-trang").await.expect("remove").status(), 404);
    assert!(audit_text(&national, "lgsp.peer.remove").await.contains("soc-trang"));
}

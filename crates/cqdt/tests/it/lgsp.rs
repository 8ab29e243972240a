//! The integration platform (issue 16): a provider registers a service with its OpenAPI
//! document, a consumer system asks for access per operation, the provider's administrator
//! decides, and the consumer calls through the gateway with its client-credentials token —
//! against a real provider served on a loopback port. Refusals name the side that failed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::helpers::{
    add_client, audit_text, client, sign_in, ByAdmin, Instance, DEMO_PASSWORD, DEMO_TOTP,
};
use crate::oidc::token;

/// Sở Tư pháp (the provider) and the provincial committee (the consumer's agency).
pub const JUSTICE: &str = "000.00.03.H51";
pub const COMMITTEE: &str = "000.00.00.H51";

/// What the provider saw of the last call: the headers it got.
type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// A provider system on a loopback port: a civil-status API that echoes what it received.
pub async fn provider() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let keep = |seen: Seen| {
        move |req: Request| {
            let seen = seen.clone();
            async move {
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                    .collect();
                *seen.lock().expect("lock") = headers;
                let path = req.uri().to_string();
                let body = axum::body::to_bytes(req.into_body(), usize::MAX).await.expect("body");
                axum::Json(json!({ "path": path, "bytes": body.len(), "so": "KS-2026-001" }))
            }
        }
    };
    let app = Router::new()
        .route("/v2/khai-sinh/{so}", get(keep(seen.clone())))
        .route("/v2/khai-sinh", post(keep(seen.clone())))
        .route(
            "/v2/cham",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(3)).await;
                "muộn"
            }),
        )
        .route(
            "/v2/loi",
            get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "hỏng") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/v2"), seen)
}

/// The civil-status API's OpenAPI document.
pub fn civil_status_api() -> String {
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Tra cứu hộ tịch", "version": "2.0.1" },
        "paths": {
            "/khai-sinh/{so}": { "get": { "operationId": "traCuuKhaiSinh", "summary": "Tra cứu giấy khai sinh theo số" } },
            "/khai-sinh": { "post": { "operationId": "dangKyKhaiSinh", "summary": "Đăng ký khai sinh" } },
            "/cham": { "get": { "operationId": "cham" } },
            "/loi": { "get": { "operationId": "loi" } }
        }
    })
    .to_string()
}

/// Sends JSON as the platform administrator; the status and the answer.
pub(crate) async fn admin_json(
    app: &Instance,
    method: reqwest::Method,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let res =
        client().request(method, app.url(path)).by_admin().json(&body).send().await.expect("send");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// A system's client-credentials token with `scope`, and its client id.
pub async fn system(app: &Instance, name: &str, scope: &str) -> (String, String) {
    let (id, secret) =
        add_client(app, &[name, "--grant", "client_credentials", "--scope", scope]).await;
    let (status, body) =
        token(app, &id, &secret.expect("secret"), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    (id, body["access_token"].as_str().expect("token").to_string())
}

/// The registry of the tests: both members, the provider's system and service, the consumer
/// system with its token. Returns (service id, consumer token).
pub async fn registry(app: &Instance, base_url: &str, limits: Value) -> (String, String) {
    for code in [JUSTICE, COMMITTEE] {
        let (status, body) =
            admin_json(app, reqwest::Method::POST, "/api/v1/lgsp/members", json!({ "code": code }))
                .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = admin_json(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/lgsp/members/{JUSTICE}/subsystems"),
        json!({ "code": "ho-tich", "name": "Phần mềm quản lý hộ tịch" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (client_id, bearer) = system(app, "Hệ thống một cửa tỉnh", "lgsp").await;
    let (status, body) = admin_json(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/lgsp/members/{COMMITTEE}/subsystems"),
        json!({ "code": "mot-cua", "name": "Hệ thống một cửa", "client_id": client_id }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mut draft = json!({
        "member_code": JUSTICE, "subsystem_code": "ho-tich", "code": "ho-tich",
        "status": "published", "base_url": base_url, "owner": "Phòng Hành chính tư pháp, Sở Tư pháp",
        "openapi": civil_status_api(),
    });
    for (k, v) in limits.as_object().expect("limits") {
        draft[k] = v.clone();
    }
    let (status, body) =
        admin_json(app, reqwest::Method::POST, "/api/v1/lgsp/services", draft).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["name"], "Tra cứu hộ tịch", "the name comes from the document");
    (body["id"].as_str().expect("id").to_string(), bearer)
}

/// Sở Tư pháp's system that receives documents (`ho-tich-nhan`), taking no token of its own.
pub async fn receiving_system(app: &Instance) {
    let (status, body) = admin_json(
        app,
        reqwest::Method::POST,
        &format!("/api/v1/lgsp/members/{JUSTICE}/subsystems"),
        json!({ "code": "ho-tich-nhan", "name": "Hộ tịch (nhận văn bản)" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Asks for operations of a service for the consumer system, as the platform administrator:
/// the status and the answer.
pub async fn ask(app: &Instance, service: &str, operations: &[&str]) -> (u16, Value) {
    admin_json(
        app,
        reqwest::Method::POST,
        "/api/v1/lgsp/grants",
        json!({
            "consumer_member": COMMITTEE, "consumer_subsystem": "mot-cua", "service_id": service,
            "operations": operations, "purpose": "Xác minh giấy khai sinh khi tiếp nhận hồ sơ (Nghị định 107/2021)",
            "valid_until": "31/12/2027",
        }),
    )
    .await
}

/// Asks for operations for the consumer and approves them as the platform administrator;
/// the grants' ids by operation.
pub async fn grant(app: &Instance, service: &str, operations: &[&str]) -> Vec<(String, String)> {
    let (status, body) = ask(app, service, operations).await;
    assert_eq!(status, 201, "{body}");
    let ids: Vec<(String, String)> = body["grants"]
        .as_array()
        .expect("grants")
        .iter()
        .map(|g| {
            (g["operation_id"].as_str().expect("op").into(), g["id"].as_str().expect("id").into())
        })
        .collect();
    for (_, id) in &ids {
        let (status, body) = admin_json(
            app,
            reqwest::Method::POST,
            &format!("/api/v1/lgsp/grants/{id}/decision"),
            json!({ "status": "approved" }),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    ids
}

/// A call through the gateway with a bearer token: status, headers and answer.
pub async fn call(
    app: &Instance,
    method: reqwest::Method,
    path: &str,
    bearer: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let res =
        client().request(method, app.url(path)).bearer_auth(bearer).send().await.expect("call");
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    (status, headers, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_consumer_calls_exactly_the_operations_the_provider_granted_through_the_gateway() {
    let app = Instance::start().await;
    let (base, seen) = provider().await;
    let (service, bearer) = registry(&app, &base, json!({ "timeout_ms": 500 })).await;
    let at = |rest: &str| format!("/lgsp/{JUSTICE}/ho-tich{rest}");

    // Before any grant: refused, and the refusal says it is the consumer's side.
    let (status, _, body) =
        call(&app, reqwest::Method::GET, &at("/khai-sinh/123?kem=1"), &bearer).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "no_grant");
    assert_eq!(body["title"], "Yêu cầu của hệ thống khai thác bị từ chối");
    assert!(body["detail"].as_str().expect("detail").contains("traCuuKhaiSinh"), "{body}");

    let grants = grant(&app, &service, &["traCuuKhaiSinh", "cham", "loi"]).await;

    // Granted: passed on with the query, the request id and the caller, never its token.
    let (status, headers, body) =
        call(&app, reqwest::Method::GET, &at("/khai-sinh/123?kem=1"), &bearer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["path"], "/v2/khai-sinh/123?kem=1");
    let got = seen.lock().expect("lock").clone();
    let header = |n: &str| got.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(header("x-lgsp-client").as_deref(), Some(format!("{COMMITTEE}/mot-cua").as_str()));
    assert_eq!(header("x-lgsp-operation").as_deref(), Some("traCuuKhaiSinh"));
    assert_eq!(header("authorization"), None, "the consumer's token stays at the gateway");
    let rid = headers.get("x-request-id").and_then(|v| v.to_str().ok()).expect("request id");
    assert_eq!(header("x-request-id").as_deref(), Some(rid));
    // The platform's signed statement of who calls what, checked as a provider would, with a
    // JOSE library we did not write against the platform's published keys.
    let assertion = header("x-lgsp-assertion").expect("a signed assertion");
    if cqdt_testing::prerequisite(
        cqdt_testing::python_modules(&["jwt", "cryptography"]),
        "the PyJWT check of the gateway's assertion",
        "python3 with PyJWT is missing (python3 -m pip install pyjwt cryptography)",
        "CQDT_REQUIRE_PYJWT",
    ) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../identity/tests/pyjwt_verify.py");
        let aud = format!("lgsp:{JUSTICE}/ho-tich");
        let run = |token: String, aud: String| {
            let jwks = app.url("/oauth/jwks");
            let args = [script.to_string(), jwks, app.base.clone(), aud, "lgsp+jwt".into()];
            tokio::process::Command::new("python3")
                .args(args)
                .env("CQDT_TOKEN", token)
                .env("NO_PROXY", "127.0.0.1,localhost")
                .output()
        };
        let out = run(assertion.clone(), aud.clone()).await.expect("python3");
        assert!(out.status.success(), "PyJWT refused: {}", crate::helpers::text(&out));
        let checked: Value = serde_json::from_slice(&out.stdout).expect("PyJWT output");
        let c = &checked["claims"];
        assert_eq!(c["sub"], format!("{COMMITTEE}/mot-cua"));
        assert_eq!(
            (c["jti"].as_str(), c["op"].as_str(), c["htm"].as_str()),
            (Some(rid), Some("traCuuKhaiSinh"), Some("GET"))
        );
        assert_eq!(c["htu"], format!("{base}/khai-sinh/123"), "the target without its query");
        let other = run(assertion, format!("lgsp:{JUSTICE}/khac")).await.expect("python3");
        assert!(!other.status.success(), "another service's audience is refused");
    }

    // Not granted, not in the document, too slow, failing: each says whose fault it is.
    let (status, _, body) = call(&app, reqwest::Method::POST, &at("/khai-sinh"), &bearer).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("no_grant")));
    let (status, _, body) = call(&app, reqwest::Method::GET, &at("/khai-sinh/1/2"), &bearer).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("unknown_operation")));
    let (status, _, body) = call(&app, reqwest::Method::GET, &at("/cham"), &bearer).await;
    assert_eq!((status, body["code"].as_str()), (504, Some("provider_timeout")), "{body}");
    assert_eq!(body["title"], "Lỗi phía hệ thống cung cấp dịch vụ");
    let (status, _, _) = call(&app, reqwest::Method::GET, &at("/loi"), &bearer).await;
    assert_eq!(status, 500, "the provider's own error passes back as it is");

    // The metadata service tells the consumer what it may call.
    let (status, _, body) =
        call(&app, reqwest::Method::GET, "/api/v1/lgsp/meta/allowed", &bearer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["consumer"], format!("{COMMITTEE}/mot-cua"));
    assert_eq!(body["services"][0]["operations"], json!(["cham", "loi", "traCuuKhaiSinh"]));

    // Revoked: refused again at once.
    let (_, lookup) = grants.iter().find(|(op, _)| op == "traCuuKhaiSinh").expect("grant");
    let (status, body) = admin_json(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/lgsp/grants/{lookup}/decision"),
        json!({ "status": "revoked", "note": "Hết nhu cầu khai thác" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = call(&app, reqwest::Method::GET, &at("/khai-sinh/123"), &bearer).await;
    assert_eq!(status, 403);

    // Every call is recorded with the side that failed; the changes are in the audit log.
    let mut calls = Value::Null;
    for _ in 0..50 {
        let res =
            client().get(app.url("/api/v1/lgsp/calls")).by_admin().send().await.expect("calls");
        calls = res.json().await.expect("json");
        if calls.as_array().is_some_and(|c| c.len() >= 7) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let calls = calls.as_array().expect("calls");
    assert_eq!(calls.len(), 7, "{calls:?}");
    let sides: Vec<Option<&str>> = calls.iter().rev().map(|c| c["failed_side"].as_str()).collect();
    assert_eq!(
        sides,
        [
            Some("consumer"),
            None,
            Some("consumer"),
            Some("consumer"),
            Some("provider"),
            Some("provider"),
            Some("consumer")
        ]
    );
    assert!(calls.iter().all(|c| c["consumer"] == format!("{COMMITTEE}/mot-cua")));
    let log = audit_text(&app, "lgsp.").await;
    for action in [
        "lgsp.member.add",
        "lgsp.service.register",
        "lgsp.grant.request",
        "lgsp.grant.approve",
        "lgsp.grant.revoke",
    ] {
        assert!(log.contains(action), "{action} missing from the audit log");
    }
}

#[tokio::test]
async fn the_gateway_takes_only_system_tokens_with_the_lgsp_scope() {
    let app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, _) = registry(&app, &base, json!({})).await;
    grant(&app, &service, &["traCuuKhaiSinh"]).await;
    let path = format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/1");
    let res = client().get(app.url(&path)).send().await.expect("call");
    assert_eq!(res.status(), 401);
    assert!(res.headers().get("www-authenticate").is_some());
    let (_, other) = system(&app, "Kho dữ liệu", "catalog:read").await;
    let (status, _, body) = call(&app, reqwest::Method::GET, &path, &other).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("insufficient_scope")));
    // A system with the scope but registered as no member's system.
    let (_, stranger) = system(&app, "Hệ thống lạ", "lgsp").await;
    let (status, _, body) = call(&app, reqwest::Method::GET, &path, &stranger).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("not_a_member_system")));
    // A person's session is not a system.
    let cookie = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let res = client().get(app.url(&path)).header("cookie", cookie).send().await.expect("call");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn limits_protect_the_provider_rate_body_size_and_an_open_circuit() {
    let app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, bearer) =
        registry(&app, &base, json!({ "calls_per_minute": 3, "max_body_bytes": 1000 })).await;
    grant(&app, &service, &["traCuuKhaiSinh", "dangKyKhaiSinh"]).await;
    let at = |rest: &str| app.url(&format!("/lgsp/{JUSTICE}/ho-tich{rest}"));
    let bearer = bearer.as_str();
    let send = |req: reqwest::RequestBuilder| async move {
        let res = req.bearer_auth(bearer).send().await.expect("call");
        let retry = res.headers().get("retry-after").is_some();
        (res.status().as_u16(), retry, res.json::<Value>().await.unwrap_or(Value::Null))
    };
    // Within the limit, a body of 1000 bytes passes; 1001 is refused before the provider,
    // and so is a streamed (chunked) body that grows past it.
    let (status, _, body) = send(client().post(at("/khai-sinh")).body(vec![b'a'; 1000])).await;
    assert_eq!((status, body["bytes"].as_u64()), (200, Some(1000)), "{body}");
    let (status, _, body) = send(client().post(at("/khai-sinh")).body(vec![b'a'; 1001])).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("body_too_large")));
    let chunks =
        futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![b'b'; 400])));
    let (status, _, body) =
        send(client().post(at("/khai-sinh")).body(reqwest::Body::wrap_stream(chunks))).await;
    assert_eq!((status, body["code"].as_str()), (413, Some("body_too_large")), "{body}");
    // The fourth call in the minute: 429 with Retry-After, the consumer's side.
    let (status, retry, body) = send(client().get(at("/khai-sinh/1"))).await;
    assert_eq!((status, retry, body["code"].as_str()), (429, true, Some("rate_limited")), "{body}");
}

#[tokio::test]
async fn a_failing_provider_has_its_circuit_opened() {
    let app = Instance::start().await;
    // Nothing listens on this port: every call fails to connect.
    let port = crate::helpers::free_port();
    let (service, bearer) = registry(&app, &format!("http://127.0.0.1:{port}/v2"), json!({})).await;
    grant(&app, &service, &["traCuuKhaiSinh"]).await;
    let path = format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/1");
    for _ in 0..5 {
        let (status, _, body) = call(&app, reqwest::Method::GET, &path, &bearer).await;
        assert_eq!((status, body["code"].as_str()), (502, Some("provider_unreachable")), "{body}");
    }
    let (status, headers, body) = call(&app, reqwest::Method::GET, &path, &bearer).await;
    assert_eq!((status, body["code"].as_str()), (503, Some("provider_circuit_open")), "{body}");
    assert!(headers.get("retry-after").is_some());
}

#[tokio::test]
async fn the_registry_refuses_what_it_cannot_use_and_changes_nothing() {
    let app = Instance::start().await;
    let (base, _) = provider().await;
    let (status, body) = admin_json(
        &app,
        reqwest::Method::POST,
        "/api/v1/lgsp/members",
        json!({ "code": "000.99.99.H51" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (service, _) = registry(&app, &base, json!({})).await;
    let (status, _) =
        admin_json(&app, reqwest::Method::POST, "/api/v1/lgsp/members", json!({ "code": JUSTICE }))
            .await;
    assert_eq!(status, 409);
    // A Swagger 2.0 document, a bad address and a missing owner: every reason at once.
    let (status, body) = admin_json(
        &app,
        reqwest::Method::POST,
        "/api/v1/lgsp/services",
        json!({
            "member_code": JUSTICE, "subsystem_code": "ho-tich", "code": "cu", "status": "published",
            "base_url": "ftp://x", "owner": "", "openapi": "{\"swagger\":\"2.0\"}",
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"base_url") && fields.contains(&"owner") && fields.contains(&"openapi"),
        "{fields:?}"
    );
    // Access to an operation the service does not have; a rejection without a reason.
    let (status, body) = ask(&app, &service, &["xoaKhaiSinh"]).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("xoaKhaiSinh"));
    let ids = grant(&app, &service, &["traCuuKhaiSinh"]).await;
    let (status, _) = admin_json(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/lgsp/grants/{}/decision", ids[0].1),
        json!({ "status": "approved" }),
    )
    .await;
    assert_eq!(status, 409, "a grant is decided once");
    // A new document that drops a granted operation is refused.
    let (status, body) = admin_json(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/lgsp/services/{service}"),
        json!({
            "member_code": JUSTICE, "subsystem_code": "ho-tich", "code": "ho-tich", "status": "published",
            "base_url": base, "owner": "Sở Tư pháp",
            "openapi": json!({"openapi":"3.0.3","info":{"title":"Hộ tịch","version":"3"},"paths":{"/khac":{"get":{}}}}).to_string(),
        }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body.to_string().contains("traCuuKhaiSinh"), "{body}");
}

#[tokio::test]
async fn an_agency_administrator_decides_only_for_the_agency_s_own_services() {
    let app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, _) = registry(&app, &base, json!({})).await;
    let (status, body) = ask(&app, &service, &["traCuuKhaiSinh"]).await;
    assert_eq!(status, 201, "{body}");
    let id = body["grants"][0]["id"].as_str().expect("id").to_string();
    // Sở Tư pháp's administrator (qt.stp) sees the request on the page and approves it.
    let cookie = sign_in(&app, "qt.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let page =
        client().get(app.url("/admin/lgsp")).header("cookie", &cookie).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("Hệ thống một cửa – Ủy ban nhân dân tỉnh Sóc Trăng"), "systems by name");
    assert!(html.contains(&format!("/admin/lgsp/quyen/{id}")), "the decision form is offered");
    let res = client()
        .post(app.url(&format!("/admin/lgsp/quyen/{id}")))
        .header("cookie", &cookie)
        .form(&[("decision", "approve"), ("note", "")])
        .send()
        .await
        .expect("approve");
    assert_eq!(res.status(), 303);
    let grants: Value = client()
        .get(app.url("/api/v1/lgsp/grants?status=approved"))
        .by_admin()
        .send()
        .await
        .expect("grants")
        .json()
        .await
        .expect("json");
    assert_eq!(grants[0]["decided_by"], "qt.stp");
    // The same administrator cannot make the committee a member (platform administrators only).
    let res = client()
        .post(app.url("/admin/lgsp/thanh-vien"))
        .header("cookie", &cookie)
        .form(&[("code", "000.00.05.H51")])
        .send()
        .await
        .expect("member");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn every_exchange_is_in_the_message_log_with_its_bodies_digests_and_tampering_is_named() {
    use sha2::Digest;
    let mut app = Instance::start().await;
    let (base, _) = provider().await;
    let (service, bearer) = registry(&app, &base, json!({})).await;
    grant(&app, &service, &["dangKyKhaiSinh"]).await;
    let sent = "{\"ho_ten\":\"Nguyễn Gia Bảo\"}";
    let res = client()
        .post(app.url(&format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh?nguon=mot-cua")))
        .bearer_auth(&bearer)
        .body(sent)
        .send()
        .await
        .expect("call");
    let rid = res.headers()["x-request-id"].to_str().expect("id").to_string();
    let answer = res.bytes().await.expect("answer");
    let refused =
        call(&app, reqwest::Method::GET, &format!("/lgsp/{JUSTICE}/ho-tich/khai-sinh/1"), &bearer)
            .await;
    assert_eq!(refused.0, 403);
    // Both exchanges are logged once the recorder has written them.
    // seq, request id, path, request digest, response digest.
    type Logged = (i64, String, String, Option<String>, Option<String>);
    let mut rows: Vec<Logged> = Vec::new();
    for _ in 0..50 {
        rows = sqlx::query_as(
            "SELECT seq, request_id, path, request_digest, response_digest FROM lgsp_log ORDER BY seq",
        )
        .fetch_all(app.db.db.pool())
        .await
        .expect("log");
        if rows.len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rows.len(), 2, "{rows:?}");
    let hex = |b: &[u8]| hex::encode(sha2::Sha256::digest(b));
    assert_eq!(
        (rows[0].0, rows[0].1.as_str(), rows[0].2.as_str()),
        (1, rid.as_str(), "/khai-sinh?nguon=mot-cua")
    );
    assert_eq!(
        rows[0].3.as_deref(),
        Some(hex(sent.as_bytes()).as_str()),
        "the request body's digest"
    );
    assert_eq!(rows[0].4.as_deref(), Some(hex(&answer).as_str()), "the answer's digest");
    assert_eq!(
        (rows[1].3.as_deref(), rows[1].4.as_deref()),
        (None, None),
        "a refusal passed no body"
    );

    app.stop().await;
    let ok = app.cli(&["lgsp", "verify-log"]).await;
    let out = crate::helpers::text(&ok);
    assert!(ok.status.success() && out.contains("message log OK: 2 records"), "{out}");
    let anchor = out.split("anchor ").nth(1).map(|a| a.trim().to_string()).expect("anchor");
    sqlx::query("DELETE FROM lgsp_log WHERE seq = 2").execute(app.db.db.pool()).await.expect("cut");
    let cut = app.cli(&["lgsp", "verify-log", "--anchor", &anchor]).await;
    assert_eq!(cut.status.code(), Some(3), "{anchor}: {}", crate::helpers::text(&cut));
    sqlx::query("UPDATE lgsp_log SET status = 404 WHERE seq = 1")
        .execute(app.db.db.pool())
        .await
        .expect("tamper");
    let bad = app.cli(&["lgsp", "verify-log"]).await;
    assert_eq!(bad.status.code(), Some(3));
    assert!(
        crate::helpers::text(&bad).contains("BROKEN at record 1"),
        "{}",
        crate::helpers::text(&bad)
    );
}

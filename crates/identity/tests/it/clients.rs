//! Registering and managing OAuth clients: the service functions the CLI calls, the admin JSON
//! API, and what each change means at the token endpoint (SQLite, or PostgreSQL with
//! CQDT_TEST_DATABASE_URL).

use crate::common::{start, system_client, Server, ADMIN_PASSWORD};
use base64::Engine;
use cqdt_identity::{Grant, IdentityError, NewClient};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn adding_a_client_returns_its_secret_once_stores_only_a_digest_and_is_audited() {
    let s = start().await;
    let created = s
        .identity
        .add_client(
            "admin",
            "req-1",
            &system_client("Cổng dịch vụ công", "catalog:read, catalog:write"),
        )
        .await
        .expect("add");
    let secret = created.secret.expect("secret").expose().to_string();
    let c = &created.client;
    assert_eq!(c.name, "Cổng dịch vụ công");
    assert!(c.enabled && !c.public && c.first_party);
    assert_eq!(c.grants.iter().copied().collect::<Vec<_>>(), [Grant::ClientCredentials]);
    assert_eq!(c.scopes.to_string(), "catalog:read catalog:write");

    let stored: String =
        sqlx::query_scalar("SELECT secret_hash FROM oauth_clients WHERE client_id = $1")
            .bind(&c.client_id)
            .fetch_one(s.t.db.pool())
            .await
            .expect("row");
    assert!(stored.starts_with("sha256:") && !stored.contains(&secret));

    let listed = s.identity.list_clients().await.expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].client_id, c.client_id);
    let records = s.audit_records("identity.client.create").await;
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.event.actor, "admin");
    assert_eq!(r.event.object_id.as_deref(), Some(c.client_id.as_str()));
    assert_eq!(r.event.request_id.as_deref(), Some("req-1"));
    assert!(!r.event.details.as_deref().unwrap_or("").contains(&secret));
    s.token(&c.client_id, &secret).await;
}

/// A confidential first-party client of the authorization code flow.
fn code_flow_client(name: &str, redirect_uri: &str, scopes: &str) -> NewClient {
    NewClient {
        name: name.into(),
        grants: vec!["authorization_code".into()],
        redirect_uris: vec![redirect_uri.into()],
        public: false,
        scopes: vec![scopes.into()],
        first_party: true,
        id_token_signed_response_alg: None,
    }
}

#[tokio::test]
async fn a_public_client_holds_no_secret_and_cannot_use_client_credentials() {
    let s = start().await;
    let refused =
        s.add_client(&NewClient { public: true, ..system_client("Ứng dụng di động", "") }).await;
    assert!(matches!(refused, Err(IdentityError::Invalid(_))));
    let app = s
        .add_client(&NewClient {
            public: true,
            first_party: false,
            ..code_flow_client(
                "Ứng dụng di động",
                "vn.gov.soctrang.app:/callback",
                "openid profile",
            )
        })
        .await
        .expect("public client");
    assert!(app.secret.is_none());
    let (status, body) = s
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials"), ("client_id", &app.client.client_id)],
        )
        .await;
    // A public client identifies itself by id alone, and may only use the code flow.
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
    assert!(matches!(
        s.identity.rotate_client_secret("admin", "", &app.client.client_id).await,
        Err(IdentityError::Invalid(_))
    ));
}

#[tokio::test]
async fn a_client_without_the_client_credentials_grant_gets_unauthorized_client() {
    let s = start().await;
    let web = s
        .add_client(&code_flow_client(
            "Cổng thông tin",
            "https://soctrang.gov.vn/callback",
            "openid",
        ))
        .await
        .expect("client");
    let secret = web.secret.expect("secret");
    let (status, body) = s.grant(&web.client.client_id, secret.expose(), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn disabling_a_client_refuses_its_grants_and_makes_its_tokens_inactive() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let (watcher, watcher_secret) = s.add_system("").await;
    let token = s.token(&id, &secret).await;
    let disabled = s.identity.disable_client("admin", "", &id).await.expect("disable");
    assert!(!disabled.enabled);
    let (status, body) = s.grant(&id, &secret, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    let (_, _, intro) =
        s.post_basic("/oauth/introspect", &watcher, &watcher_secret, &[("token", &token)]).await;
    assert_eq!(intro, json!({"active": false}));
    s.identity.set_client_enabled("admin", "", &id, true).await.expect("enable");
    s.token(&id, &secret).await;
    let actions: Vec<String> =
        s.audit_records("identity.client.").await.into_iter().map(|r| r.event.action).collect();
    assert!(actions.contains(&"identity.client.disable".to_string()));
    assert!(actions.contains(&"identity.client.enable".to_string()));
    assert!(matches!(
        s.identity.disable_client("admin", "", "no-such-client").await,
        Err(IdentityError::NotFound(_))
    ));
}

#[tokio::test]
async fn rotating_a_secret_retires_the_old_one_at_once() {
    let s = start().await;
    let (id, old) = s.add_system("catalog:read").await;
    let new = s.identity.rotate_client_secret("admin", "", &id).await.expect("rotate");
    assert_ne!(new.expose(), old);
    assert_eq!(s.grant(&id, &old, None).await.0, StatusCode::UNAUTHORIZED);
    s.token(&id, new.expose()).await;
    let client = s.identity.client(&id).await.expect("read").expect("client");
    assert!(client.secret_rotated_at.is_some());
    assert_eq!(s.audit_records("identity.client.secret.rotate").await.len(), 1);
}

fn admin_auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"))
    )
}

/// POSTs to the admin API as the platform admin, with `body` as JSON when given.
async fn admin_post(s: &Server, url: &str, body: Option<&Value>) -> reqwest::Response {
    let req = s.http.post(url).header("authorization", admin_auth());
    let req = match body {
        Some(b) => req.json(b),
        None => req,
    };
    req.send().await.expect("request")
}

/// GETs JSON from the admin API as the platform admin.
async fn admin_get_json(s: &Server, url: &str) -> Value {
    let res = s.http.get(url).header("authorization", admin_auth()).send().await;
    res.expect("request").json().await.expect("json")
}

#[tokio::test]
async fn the_admin_api_registers_clients_and_shows_each_secret_once() {
    let s = start().await;
    let url = s.url("/api/v1/identity/clients");
    let body = json!({"name": "Hệ thống quản lý văn bản", "grants": ["client_credentials"],
                      "scopes": ["notifications"]});
    let res = s.http.post(&url).json(&body).send().await.expect("request");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "admin only");

    let res = admin_post(&s, &url, Some(&body)).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let created: Value = res.json().await.expect("json");
    let id = created["client"]["client_id"].as_str().expect("id").to_string();
    let secret = created["client_secret"].as_str().expect("secret").to_string();
    assert!(created["client"].get("secret_hash").is_none());
    s.token(&id, &secret).await;

    let list: Value = admin_get_json(&s, &url).await;
    assert_eq!(list["clients"].as_array().map(Vec::len), Some(1));
    assert!(!list.to_string().contains(&secret));
    assert!(!list.to_string().contains("sha256:"));

    let res = admin_post(&s, &s.url(&format!("/api/v1/identity/clients/{id}/secret")), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rotated: Value = res.json().await.expect("json");
    let new_secret = rotated["client_secret"].as_str().expect("secret");
    s.token(&id, new_secret).await;

    let res = admin_post(&s, &s.url(&format!("/api/v1/identity/clients/{id}/disable")), None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let client: Value = res.json().await.expect("json");
    assert_eq!(client["enabled"], false);

    let res = admin_post(&s, &url, Some(&json!({"name": "", "grants": ["password"], "redirect_uris": ["http://evil.example/cb"]}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.expect("json");
    assert!(problem["detail"].as_str().is_some_and(|d| d.contains("password")));

    let res = admin_post(&s, &s.url("/api/v1/identity/clients/nope/disable"), None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let res = admin_post(&s, &s.url("/api/v1/identity/keys/rotate"), None).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let keys: Value = admin_get_json(&s, &s.url("/api/v1/identity/keys")).await;
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(2));
    assert!(!keys.to_string().contains("private"));
}

#[tokio::test]
async fn every_issued_token_is_in_the_audit_log_by_its_token_id() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let mut jtis = Vec::new();
    for _ in 0..3 {
        let token = s.token(&id, &secret).await;
        let payload = token.split('.').nth(1).expect("payload");
        let claims: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64"),
        )
        .expect("claims");
        jtis.push(claims["jti"].as_str().expect("jti").to_string());
    }
    let recorded: Vec<String> = s
        .audit_records("identity.token.issue")
        .await
        .iter()
        .filter(|r| r.event.outcome == cqdt_audit::Outcome::Success)
        .inspect(|r| assert_eq!(r.event.object_id.as_deref(), Some(id.as_str())))
        .flat_map(|r| {
            let d: Value = serde_json::from_str(r.event.details.as_deref().unwrap_or("{}"))
                .unwrap_or_default();
            d["items"].as_array().cloned().unwrap_or_default()
        })
        .filter_map(|i| i["jti"].as_str().map(str::to_string))
        .collect();
    for jti in &jtis {
        assert!(recorded.contains(jti), "{jti} not audited");
    }
    assert!(s.audit.verify().await.expect("verify").ok());
}

//! The OAuth 2.0 provider through the whole platform: a system registered with `cqdt client add`
//! obtains a signed access token with the client credentials grant.

use crate::helpers::{client, text, Instance};
use serde_json::Value;

#[tokio::test]
async fn a_client_added_on_the_command_line_gets_a_token_the_provider_vouches_for() {
    let app = Instance::start().await;
    let out = app
        .cli(&[
            "client",
            "add",
            "Hệ thống một cửa",
            "--grant",
            "client_credentials",
            "--scope",
            "catalog.read",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .map(str::to_string)
            .expect(name)
    };
    let (id, secret) = (field("client_id: "), field("client_secret: "));
    let discovery: Value = client()
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    assert!(discovery["token_endpoint"].as_str().is_some_and(|t| t.ends_with("/oauth/token")));
    let jwks: Value = client()
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    let token: Value = client()
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "catalog.read")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let access = token["access_token"].as_str().expect("access token").to_string();
    assert_eq!(access.split('.').count(), 3, "a JWT");
    let info: Value = client()
        .post(app.url("/oauth/introspect"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", access.as_str())])
        .send()
        .await
        .expect("introspect")
        .json()
        .await
        .expect("json");
    assert_eq!(info["active"], true);
    let wrong = client()
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some("sai"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token");
    assert_eq!(wrong.status(), 401);
    let e: Value = wrong.json().await.expect("json");
    assert_eq!(e["error"], "invalid_client");
}

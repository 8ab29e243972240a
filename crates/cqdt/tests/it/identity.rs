//! The OAuth 2.0 provider through the whole platform: a system registered with `cqdt client add`
//! obtains a signed access token with the client credentials grant.

use crate::helpers::{add_client, client, Instance, SendJson};
use serde_json::Value;

#[tokio::test]
async fn a_client_added_on_the_command_line_gets_a_token_the_provider_vouches_for() {
    let app = Instance::start().await;
    let (id, secret) = add_client(
        &app,
        &["Hệ thống một cửa", "--grant", "client_credentials", "--scope", "catalog:read"],
    )
    .await;
    let secret = secret.expect("client_secret");
    let discovery: Value =
        client().get(app.url("/.well-known/openid-configuration")).send_json().await;
    assert!(discovery["token_endpoint"].as_str().is_some_and(|t| t.ends_with("/oauth/token")));
    let jwks: Value = client().get(app.url("/oauth/jwks")).send_json().await;
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    let token: Value = client()
        .post(app.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "catalog:read")])
        .send_json()
        .await;
    let access = token["access_token"].as_str().expect("access token").to_string();
    assert_eq!(access.split('.').count(), 3, "a JWT");
    let info: Value = client()
        .post(app.url("/oauth/introspect"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", access.as_str())])
        .send_json()
        .await;
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

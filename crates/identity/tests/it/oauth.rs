//! The OAuth endpoints over real HTTP (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL):
//! discovery, JWKS, client-credentials tokens checked by independent verifiers, errors in the
//! RFC format, lockout, introspection, revocation and key rotation.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{start, start_with, verify_with_p256, verify_with_pyjwt, PyJwt};
use cqdt_audit::Outcome;
use cqdt_identity::{KeyStatus, NewClient};
use cqdt_platform::ManualClock;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn the_discovery_document_names_the_issuer_and_every_endpoint() {
    let s = start().await;
    let (status, headers, doc) = s.get_json("/.well-known/openid-configuration").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-type"].to_str().unwrap_or("").starts_with("application/json"));
    assert_eq!(doc["issuer"], s.base.as_str());
    assert_eq!(doc["jwks_uri"], s.url("/oauth/jwks").as_str());
    assert_eq!(doc["token_endpoint"], s.url("/oauth/token").as_str());
    assert_eq!(doc["introspection_endpoint"], s.url("/oauth/introspect").as_str());
    assert_eq!(doc["revocation_endpoint"], s.url("/oauth/revoke").as_str());
    assert_eq!(
        doc["grant_types_supported"],
        json!(["client_credentials", "authorization_code", "refresh_token"])
    );
    let methods = json!(["client_secret_basic", "client_secret_post"]);
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(doc["introspection_endpoint_auth_methods_supported"], methods);
    // Public clients revoke their own tokens by client_id alone (RFC 7009 §2.1).
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    // Fields OpenID Connect Discovery requires, with what is true today.
    assert!(doc["response_types_supported"].is_array());
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    // RS256 is required by Discovery §3; ES256 is the default.
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["ES256", "RS256"]));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    for (key, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("end_session_endpoint", "/oauth/logout"),
    ] {
        assert_eq!(doc[key], s.url(path).as_str(), "{key}");
    }
    // Every advertised endpoint answers.
    let (jwks_status, _, jwks) = s.get_json("/oauth/jwks").await;
    assert_eq!(jwks_status, StatusCode::OK);
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    for k in keys {
        assert_eq!(k["kty"], "EC");
        assert_eq!(k["crv"], "P-256");
        assert_eq!(k["alg"], "ES256");
        assert_eq!(k["use"], "sig");
        assert!(k.get("d").is_none(), "the private key is published");
    }
    for endpoint in ["/oauth/token", "/oauth/introspect", "/oauth/revoke"] {
        let (status, body) = s.post_form(endpoint, &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint}: {body}");
        assert_eq!(body["error"], "invalid_client");
    }
    let (status, _, same) = s.get_json("/.well-known/oauth-authorization-server").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same, doc);
}

#[tokio::test]
async fn a_client_credentials_token_verifies_against_the_jwks_with_pyjwt_and_with_p256() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read catalog:write").await;
    let (status, headers, body) =
        s.post_basic("/oauth/token", &id, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "catalog:read catalog:write");
    let token = body["access_token"].as_str().expect("token");

    let (_, _, jwks) = s.get_json("/oauth/jwks").await;
    let (header, claims) = verify_with_p256(token, &jwks).expect("p256 verifies the token");
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["kid"], s.identity.active_kid().as_str());
    assert_eq!(claims["iss"], s.base.as_str());
    assert_eq!(claims["sub"], id.as_str());
    assert_eq!(claims["client_id"], id.as_str());
    assert_eq!(claims["aud"], s.base.as_str());
    assert_eq!(claims["scope"], "catalog:read catalog:write");
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(300));
    let now = chrono::Utc::now().timestamp();
    assert!(iat.is_some_and(|i| (i - now).abs() < 60));
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 22));

    match verify_with_pyjwt(token, &s.url("/oauth/jwks"), &s.base, &s.base).await {
        PyJwt::Valid(out) => {
            assert_eq!(out["claims"], claims);
            assert_eq!(out["kid"], header["kid"]);
        }
        PyJwt::Invalid(why) => panic!("PyJWT refused a good token: {why}"),
        PyJwt::Skipped => {}
    }
    // A token changed after signing is refused by both.
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut forged_claims = claims_as_map(&claims);
    forged_claims.insert("sub".into(), json!("someone-else"));
    parts[1] = base64url(Value::Object(forged_claims).to_string().as_bytes());
    let forged = parts.join(".");
    assert!(verify_with_p256(&forged, &jwks).is_err());
    if let PyJwt::Valid(_) =
        verify_with_pyjwt(&forged, &s.url("/oauth/jwks"), &s.base, &s.base).await
    {
        panic!("PyJWT accepted a forged token");
    }
    // …and by our introspection.
    let (_, _, intro) =
        s.post_basic("/oauth/introspect", &id, &secret, &[("token", &forged)]).await;
    assert_eq!(intro, json!({"active": false}));
}

fn claims_as_map(v: &Value) -> serde_json::Map<String, Value> {
    v.as_object().cloned().unwrap_or_default()
}

fn base64url(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn client_secret_post_works_and_two_methods_at_once_are_refused() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read catalog:write").await;
    let (status, body) = s
        .post_form(
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", "catalog:read"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["scope"], "catalog:read");
    let (status, _, body) = s
        .post_basic(
            "/oauth/token",
            &id,
            &secret,
            &[("grant_type", "client_credentials"), ("client_secret", &secret)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    let (status, _, body) = s
        .post_basic(
            "/oauth/token",
            &id,
            &secret,
            &[("grant_type", "client_credentials"), ("scope", "a"), ("scope", "b")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_wrong_secret_gets_401_invalid_client_and_repeated_failures_lock_the_client_out() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let (other_id, other_secret) = s.add_system("catalog:read").await;
    for attempt in 1..=5 {
        let (status, headers, body) = s
            .post_basic(
                "/oauth/token",
                &id,
                "cqdtcs_wrong",
                &[("grant_type", "client_credentials")],
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert_eq!(body["error"], "invalid_client");
        assert!(body["error_description"].is_string());
        assert!(headers.contains_key("www-authenticate"));
    }
    // Locked: even the right secret is refused for now, with a hint when to retry.
    let (status, headers, body) =
        s.post_basic("/oauth/token", &id, &secret, &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().is_some_and(|d| d.contains("try again later")));
    let retry: u64 =
        headers["retry-after"].to_str().ok().and_then(|v| v.parse().ok()).expect("retry-after");
    assert!((1..=300).contains(&retry), "{retry}");
    // Other clients are not affected.
    s.token(&other_id, &other_secret).await;
    // Unknown clients get the same answer as wrong secrets.
    let (status, body) = s.grant("no-such-client", &secret, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");

    let lockouts = s.audit_records("identity.client.lockout").await;
    assert_eq!(lockouts.len(), 1);
    assert_eq!(lockouts[0].event.object_id.as_deref(), Some(id.as_str()));
    let failures = s.audit_records("identity.client.authenticate").await;
    let reasons: Vec<String> = failures
        .iter()
        .filter(|r| r.event.object_id.as_deref() == Some(id.as_str()))
        .flat_map(|r| items(r.event.details.as_deref()))
        .map(|i| i["reason"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(reasons.iter().filter(|r| *r == "wrong_secret").count(), 5);
    assert_eq!(reasons.iter().filter(|r| *r == "locked_out").count(), 1);
    assert!(failures.iter().any(|r| r.event.object_id.as_deref() == Some("no-such-client")));
}

fn items(details: Option<&str>) -> Vec<Value> {
    details
        .and_then(|d| serde_json::from_str::<Value>(d).ok())
        .and_then(|v| v["items"].as_array().cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_lockout_ends_after_its_time() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let s = start_with(clock.clone(), |c| c).await;
    let (id, secret) = s.add_system("catalog:read").await;
    for _ in 0..5 {
        s.grant(&id, "wrong", None).await;
    }
    assert_eq!(s.grant(&id, &secret, None).await.0, StatusCode::UNAUTHORIZED);
    clock.advance(chrono::Duration::seconds(301));
    assert_eq!(s.grant(&id, &secret, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_scope_the_client_may_not_use_gets_invalid_scope() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let (status, body) = s.grant(&id, &secret, Some("catalog:read admin")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    assert!(body["error_description"].as_str().is_some_and(|d| d.contains("admin")));
    let (status, body) = s.grant(&id, &secret, Some("bad\"scope")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_scope");
    let refused = s.audit_records("identity.token.issue").await;
    assert!(refused.iter().any(|r| r.event.outcome == Outcome::Denied
        && items(r.event.details.as_deref()).iter().any(|i| i["error"] == "invalid_scope")));
}

#[tokio::test]
async fn an_unsupported_grant_type_gets_unsupported_grant_type() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    for grant in ["password", "implicit", "urn:ietf:params:oauth:grant-type:device_code"] {
        let (status, _, body) =
            s.post_basic("/oauth/token", &id, &secret, &[("grant_type", grant)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{grant}");
        assert_eq!(body["error"], "unsupported_grant_type", "{grant}");
    }
    // Grants that exist but that this system client was not registered for.
    for grant in ["authorization_code", "refresh_token"] {
        let (status, _, body) =
            s.post_basic("/oauth/token", &id, &secret, &[("grant_type", grant)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{grant}");
        assert_eq!(body["error"], "unauthorized_client", "{grant}");
    }
    let (status, _, body) = s.post_basic("/oauth/token", &id, &secret, &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_request");
    // A JSON body is not what RFC 6749 asks for.
    let res = s
        .http
        .post(s.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let body: Value = res.json().await.expect("json");
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn a_revoked_token_introspects_inactive() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let (other_id, other_secret) = s.add_system("catalog:read").await;
    let token = s.token(&id, &secret).await;

    let (status, headers, intro) =
        s.post_basic("/oauth/introspect", &other_id, &other_secret, &[("token", &token)]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(intro["active"], true);
    assert_eq!(intro["client_id"], id.as_str());
    assert_eq!(intro["scope"], "catalog:read");
    assert_eq!(intro["token_type"], "Bearer");
    assert_eq!(intro["iss"], s.base.as_str());
    assert!(intro["exp"].is_i64() && intro["jti"].is_string());

    // Introspection is for authenticated clients only.
    let (status, body) = s.post_form("/oauth/introspect", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_client");
    let (status, _, _) =
        s.post_basic("/oauth/introspect", &other_id, "wrong", &[("token", &token)]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, body) = s.post_basic("/oauth/introspect", &id, &secret, &[]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    // Another client may not revoke it.
    let (status, _, body) =
        s.post_basic("/oauth/revoke", &other_id, &other_secret, &[("token", &token)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "unauthorized_client");

    // Its own client may, twice without harm.
    for _ in 0..2 {
        let (status, _, _) = s
            .post_basic(
                "/oauth/revoke",
                &id,
                &secret,
                &[("token", &token), ("token_type_hint", "access_token")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, _, intro) =
        s.post_basic("/oauth/introspect", &other_id, &other_secret, &[("token", &token)]).await;
    assert_eq!(intro, json!({"active": false}));
    assert_eq!(
        s.audit_records("identity.token.revoke")
            .await
            .iter()
            .filter(|r| r.event.outcome == Outcome::Success)
            .count(),
        1
    );

    // Other tokens of the same client stay active; junk revokes and introspects harmlessly.
    let fresh = s.token(&id, &secret).await;
    let (_, _, intro) = s.post_basic("/oauth/introspect", &id, &secret, &[("token", &fresh)]).await;
    assert_eq!(intro["active"], true);
    let (status, _, _) =
        s.post_basic("/oauth/revoke", &id, &secret, &[("token", "not-a-token")]).await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, intro) =
        s.post_basic("/oauth/introspect", &id, &secret, &[("token", "not-a-token")]).await;
    assert_eq!(intro, json!({"active": false}));
}

#[tokio::test]
async fn key_rotation_keeps_old_tokens_verifiable_while_new_ones_use_the_new_kid() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let old_kid = s.identity.active_kid();
    let old_token = s.token(&id, &secret).await;

    let new_key = s.identity.rotate_signing_key("admin", "req-rotate").await.expect("rotate");
    assert_ne!(new_key.kid, old_kid);
    assert_eq!(s.identity.active_kid(), new_key.kid);
    let new_token = s.token(&id, &secret).await;

    let (_, headers, jwks) = s.get_json("/oauth/jwks").await;
    assert!(headers["cache-control"].to_str().unwrap_or("").contains("max-age"));
    let kids: Vec<&str> =
        jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kid"].as_str()).collect();
    assert_eq!(kids.len(), 2);
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_key.kid.as_str()));

    let (old_header, _) = verify_with_p256(&old_token, &jwks).expect("old token verifies");
    let (new_header, _) = verify_with_p256(&new_token, &jwks).expect("new token verifies");
    assert_eq!(old_header["kid"], old_kid.as_str());
    assert_eq!(new_header["kid"], new_key.kid.as_str());
    for (token, kid) in [(&old_token, &old_kid), (&new_token, &new_key.kid)] {
        match verify_with_pyjwt(token, &s.url("/oauth/jwks"), &s.base, &s.base).await {
            PyJwt::Valid(out) => assert_eq!(out["kid"], kid.as_str()),
            PyJwt::Invalid(why) => panic!("PyJWT refused a token after rotation: {why}"),
            PyJwt::Skipped => {}
        }
        let (_, _, intro) =
            s.post_basic("/oauth/introspect", &id, &secret, &[("token", token)]).await;
        assert_eq!(intro["active"], true);
    }

    let keys = s.identity.signing_keys().await.expect("keys");
    let status_of = |kid: &str| keys.iter().find(|k| k.kid == kid).map(|k| k.status);
    assert_eq!(status_of(&old_kid), Some(KeyStatus::Retiring));
    assert_eq!(status_of(&new_key.kid), Some(KeyStatus::Active));
    let rotations = s.audit_records("identity.key.rotate").await;
    assert_eq!(rotations.len(), 1);
    assert_eq!(rotations[0].event.request_id.as_deref(), Some("req-rotate"));
}

#[tokio::test]
async fn a_retiring_key_leaves_the_jwks_once_its_tokens_have_expired() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let s = start_with(clock.clone(), |c| {
        c.with_access_token_ttl(Duration::from_secs(60)).expect("ttl")
    })
    .await;
    let (id, secret) = s.add_system("catalog:read").await;
    let old_kid = s.identity.active_kid();
    let old_token = s.token(&id, &secret).await;
    s.identity.rotate_signing_key("admin", "").await.expect("rotate");
    // Published for the longest token lifetime (ID tokens: 300 s, beyond the 60 s of access
    // tokens) + the key refresh interval + a minute of skew.
    clock.advance(chrono::Duration::seconds(300 + 60 + 59));
    s.identity.reload_keys().await.expect("reload");
    assert!(s.identity.jwks().contains(&old_kid));
    clock.advance(chrono::Duration::seconds(2));
    s.identity.reload_keys().await.expect("reload");
    let (_, _, jwks) = s.get_json("/oauth/jwks").await;
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1));
    assert!(!jwks.to_string().contains(&old_kid));
    let keys = s.identity.signing_keys().await.expect("keys");
    assert!(keys
        .iter()
        .any(|k| k.kid == old_kid && k.status == KeyStatus::Retired && k.retired_at.is_some()));
    assert_eq!(s.audit_records("identity.key.retire").await.len(), 1);
    let (_, _, intro) =
        s.post_basic("/oauth/introspect", &id, &secret, &[("token", &old_token)]).await;
    assert_eq!(intro["active"], false);
}

#[tokio::test]
async fn an_expired_token_introspects_inactive() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let s = start_with(clock.clone(), |c| c).await;
    let (id, secret) = s.add_system("catalog:read").await;
    let token = s.token(&id, &secret).await;
    clock.advance(chrono::Duration::seconds(299));
    let (_, _, intro) = s.post_basic("/oauth/introspect", &id, &secret, &[("token", &token)]).await;
    assert_eq!(intro["active"], true);
    clock.advance(chrono::Duration::seconds(1));
    let (_, _, intro) = s.post_basic("/oauth/introspect", &id, &secret, &[("token", &token)]).await;
    assert_eq!(intro, json!({"active": false}));
}

/// A client of the authorization code flow: confidential, or public (no secret).
async fn code_client(s: &crate::common::Server, public: bool) -> (String, Option<String>) {
    let created = s
        .add_client(&NewClient {
            name: "Cổng dịch vụ".into(),
            grants: vec!["authorization_code".into()],
            redirect_uris: vec!["https://app.example/cb".into()],
            public,
            scopes: vec!["openid".into()],
            first_party: false,
            id_token_signed_response_alg: None,
        })
        .await
        .expect("add client");
    (created.client.client_id, created.secret.map(|s| s.expose().to_string()))
}

#[tokio::test]
async fn introspection_is_for_confidential_clients_and_only_systems_see_other_clients_tokens() {
    let s = start().await;
    let (system, system_secret) = s.add_system("catalog:read").await;
    let (other_system, other_secret) = s.add_system("catalog:read").await;
    let (web, web_secret) = code_client(&s, false).await;
    let web_secret = web_secret.expect("a confidential client has a secret");
    let (app, _) = code_client(&s, true).await;
    let token = s.token(&system, &system_secret).await;
    // A public client, or a confidential one without its secret, is refused with a challenge.
    for id in [&app, &web] {
        let res = s
            .http
            .post(s.url("/oauth/introspect"))
            .form(&[("client_id", id.as_str()), ("token", token.as_str())])
            .send()
            .await
            .expect("introspect");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{id}");
        let challenge = res.headers().get("www-authenticate").map(|v| v.to_str().unwrap_or(""));
        assert!(challenge.is_some_and(|c| c.starts_with("Basic")), "{challenge:?}");
        let body: Value = res.json().await.expect("json");
        assert_eq!(body["error"], "invalid_client");
    }
    // A confidential client that is not a system learns nothing of another client's token…
    let (status, _, intro) =
        s.post_basic("/oauth/introspect", &web, &web_secret, &[("token", &token)]).await;
    assert_eq!((status, intro), (StatusCode::OK, json!({"active": false})));
    // …while systems (resource servers) see any token, and a client its own.
    for (id, secret) in [(&other_system, &other_secret), (&system, &system_secret)] {
        let (_, _, intro) =
            s.post_basic("/oauth/introspect", id, secret, &[("token", &token)]).await;
        assert_eq!(intro["active"], true, "{id}");
        assert_eq!(intro["client_id"], system.as_str());
    }
}

#[tokio::test]
async fn a_successful_revocation_answers_200_with_an_empty_body_and_no_json_type() {
    let s = start().await;
    let (id, secret) = s.add_system("catalog:read").await;
    let token = s.token(&id, &secret).await;
    for t in [token.as_str(), "not-a-token"] {
        let res = s
            .http
            .post(s.url("/oauth/revoke"))
            .basic_auth(&id, Some(&secret))
            .form(&[("token", t)])
            .send()
            .await
            .expect("revoke");
        assert_eq!(res.status(), StatusCode::OK);
        let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_string());
        assert!(!kind.as_deref().is_some_and(|k| k.contains("json")), "{kind:?}");
        assert_eq!(res.headers()["cache-control"], "no-store");
        assert_eq!(res.text().await.expect("body"), "");
    }
}

//! The OpenID Connect provider for people, through the whole platform: a standard client library
//! (Authlib, in Python) completes the whole flow, and the usual attacks on the authorization
//! code flow fail.

use std::collections::HashMap;

use crate::helpers;
use crate::helpers::{add_client, client, location, sign_in, Instance, DEMO_PASSWORD};
use base64::Engine;
use serde_json::Value;
use sha2::{Digest, Sha256};

pub(crate) const CITIZEN: &str = "094085000123";
pub(crate) const REDIRECT: &str = "https://mot-cua.example/oidc/callback";
/// A scope that brings a refresh token.
pub(crate) const OFFLINE: &str = "openid profile offline_access";

pub(crate) fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

pub(crate) fn query_of(url: &str) -> HashMap<String, String> {
    url.split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 3 <= b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Asks for a code as the signed-in person's browser would; returns the redirect.
pub(crate) async fn authorize(
    app: &Instance,
    cookie: &str,
    params: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .get(app.url("/oauth/authorize"))
        .query(params)
        .header("cookie", cookie)
        .send()
        .await
        .expect("authorize")
}

/// Asks the authorization endpoint for a code for a client, a redirect and a scope, with
/// these further parameters.
pub(crate) async fn ask_code(
    app: &Instance,
    cookie: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
    ];
    params.extend_from_slice(extra);
    authorize(app, cookie, &params).await
}

async fn code_for(app: &Instance, cookie: &str, client_id: &str, verifier: &str) -> String {
    code_with_scope(app, cookie, client_id, verifier, "openid profile").await
}

/// A code for `scope` (a refresh token comes only with `offline_access`).
pub(crate) async fn code_with_scope(
    app: &Instance,
    cookie: &str,
    client_id: &str,
    verifier: &str,
    scope: &str,
) -> String {
    let challenge = s256(verifier);
    let res = ask_code(
        app,
        cookie,
        client_id,
        REDIRECT,
        scope,
        &[
            ("state", "xyz"),
            ("nonce", "n-1"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with(REDIRECT), "{to}");
    let q = query_of(&to);
    assert_eq!(q.get("state").map(String::as_str), Some("xyz"));
    q.get("code").cloned().expect("code")
}

pub(crate) async fn token(
    app: &Instance,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let res = client()
        .post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .expect("token");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn userinfo(app: &Instance, access: &str) -> u16 {
    client()
        .get(app.url("/oauth/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .expect("userinfo")
        .status()
        .as_u16()
}

/// Exchanges an authorization code at the token endpoint, with the PKCE verifier if any.
pub(crate) async fn exchange(
    app: &Instance,
    id: &str,
    secret: &str,
    code: &str,
    verifier: Option<&str>,
) -> (u16, Value) {
    let mut form =
        vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)];
    form.extend(verifier.map(|v| ("code_verifier", v)));
    token(app, id, secret, &form).await
}

/// Uses a refresh token at the token endpoint.
pub(crate) async fn renew(
    app: &Instance,
    id: &str,
    secret: &str,
    refresh_token: &str,
) -> (u16, Value) {
    token(app, id, secret, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
        .await
}

pub(crate) async fn first_party(app: &Instance) -> (String, String) {
    let (id, secret) = add_client(
        app,
        &[
            "Hệ thống một cửa",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "openid profile email phone personal_id offline_access",
            "--first-party",
        ],
    )
    .await;
    (id, secret.expect("secret"))
}

#[tokio::test]
async fn a_standard_client_library_completes_the_whole_flow() {
    if !cqdt_testing::prerequisite(
        cqdt_testing::python_modules(&["authlib", "requests"]),
        "the OpenID Connect flow with Authlib",
        "python3 with Authlib is missing (python3 -m pip install authlib requests)",
        "CQDT_REQUIRE_AUTHLIB",
    ) {
        return;
    }
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let (cc_id, cc_secret) = add_client(
        &app,
        &["Kho dữ liệu", "--grant", "client_credentials", "--scope", "catalog:read"],
    )
    .await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/oidc_client.py");
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("CQDT_BASE", &app.base)
        .env("CQDT_CLIENT_ID", &id)
        .env("CQDT_CLIENT_SECRET", &secret)
        .env("CQDT_REDIRECT_URI", REDIRECT)
        .env("CQDT_LOGIN", CITIZEN)
        .env("CQDT_PASSWORD", DEMO_PASSWORD)
        .env("CQDT_CC_ID", &cc_id)
        .env("CQDT_CC_SECRET", cc_secret.expect("secret"))
        // Authlib refuses plain http unless told this is a test.
        .env("AUTHLIB_INSECURE_TRANSPORT", "1")
        .output()
        .await
        .expect("python3");
    let text = helpers::text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("OK:"), "{text}");
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_refused_without_redirecting() {
    let app = Instance::start().await;
    let (id, _) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let challenge = s256("a-verifier-that-is-long-enough-to-be-valid-for-pkce-0123");
    for uri in [
        "https://attacker.example/cb",
        "https://mot-cua.example/oidc/callback/extra",
        "https://mot-cua.example/oidc/callback?x=1",
    ] {
        let res = ask_code(
            &app,
            &cookie,
            &id,
            uri,
            "openid",
            &[("code_challenge", &challenge), ("code_challenge_method", "S256")],
        )
        .await;
        assert_eq!(res.status(), 400, "{uri}");
        assert!(res.headers().get("location").is_none());
        assert!(res.text().await.expect("page").contains("redirect_uri"));
    }
}

#[tokio::test]
async fn pkce_missing_or_wrong_is_refused() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let res = ask_code(&app, &cookie, &id, REDIRECT, "openid", &[("state", "s")]).await;
    let q = query_of(&location(&res));
    assert_eq!(q.get("error").map(String::as_str), Some("invalid_request"));
    assert_eq!(q.get("state").map(String::as_str), Some("s"));
    let res = ask_code(
        &app,
        &cookie,
        &id,
        REDIRECT,
        "openid",
        &[("code_challenge", "abc"), ("code_challenge_method", "plain")],
    )
    .await;
    assert_eq!(query_of(&location(&res)).get("error").map(String::as_str), Some("invalid_request"));
    let verifier = "the-real-verifier-0123456789-0123456789-0123456789";
    let code = code_for(&app, &cookie, &id, verifier).await;
    let (status, body) = exchange(
        &app,
        &id,
        &secret,
        &code,
        Some("a-stolen-code-without-the-verifier-0123456789-abcdef"),
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    // The code is burnt by the failed attempt.
    let (status, _) = exchange(&app, &id, &secret, &code, Some(verifier)).await;
    assert_eq!(status, 400);
    let code = code_for(&app, &cookie, &id, verifier).await;
    let (status, body) = exchange(&app, &id, &secret, &code, None).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
}

#[tokio::test]
async fn a_reused_code_is_refused_and_the_tokens_it_gave_are_revoked() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let verifier = "verifier-for-the-replay-test-0123456789-0123456789";
    let code = code_with_scope(&app, &cookie, &id, verifier, OFFLINE).await;
    let (status, first) = exchange(&app, &id, &secret, &code, Some(verifier)).await;
    assert_eq!(status, 200, "{first}");
    let access = first["access_token"].as_str().expect("access").to_string();
    let refresh = first["refresh_token"].as_str().expect("refresh").to_string();
    assert_eq!(userinfo(&app, &access).await, 200);
    let (status, again) = exchange(&app, &id, &secret, &code, Some(verifier)).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(userinfo(&app, &access).await, 401, "access token revoked");
    let (status, _) = renew(&app, &id, &secret, &refresh).await;
    assert_eq!(status, 400, "refresh token revoked");
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_grant() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let verifier = "verifier-for-the-refresh-test-0123456789-0123456789";
    let code = code_with_scope(&app, &cookie, &id, verifier, OFFLINE).await;
    let (_, first) = exchange(&app, &id, &secret, &code, Some(verifier)).await;
    let r1 = first["refresh_token"].as_str().expect("refresh").to_string();
    let (status, second) = renew(&app, &id, &secret, &r1).await;
    assert_eq!(status, 200);
    let r2 = second["refresh_token"].as_str().expect("rotated").to_string();
    let a2 = second["access_token"].as_str().expect("access").to_string();
    assert_ne!(r1, r2);
    // The old one again: an attacker (or the victim) replays it; everything is revoked.
    let (status, body) = renew(&app, &id, &secret, &r1).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, _) = renew(&app, &id, &secret, &r2).await;
    assert_eq!(status, 400, "the newer token of the family is revoked too");
    assert_eq!(userinfo(&app, &a2).await, 401);
}

#[tokio::test]
async fn a_third_party_client_asks_for_consent_and_a_public_client_uses_pkce_alone() {
    let app = Instance::start().await;
    let (id, secret) = add_client(
        &app,
        &[
            "Ứng dụng di động bên thứ ba",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            REDIRECT,
            "--public",
            "--scope",
            "openid profile personal_id",
        ],
    )
    .await;
    assert!(secret.is_none());
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let verifier = "public-client-verifier-0123456789-0123456789-abcdef";
    let challenge = s256(verifier);
    let params = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "openid personal_id"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = authorize(&app, &cookie, &params).await;
    assert_eq!(res.status(), 200);
    assert!(res.text().await.expect("page").contains("Số định danh cá nhân"));
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form.push(("decision", "allow"));
    let res = client()
        .post(app.url("/oauth/authorize/consent"))
        .header("cookie", &cookie)
        .form(&form)
        .send()
        .await
        .expect("consent");
    assert_eq!(res.status(), 303);
    let code = query_of(&location(&res)).get("code").cloned().expect("code");
    let res = client()
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", id.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    assert!(body["id_token"].is_string());
    // The consent is remembered: no screen the second time.
    let res = authorize(&app, &cookie, &params).await;
    assert_eq!(res.status(), 303);
    // Not signed in: the browser goes to the login page and comes back.
    let res = authorize(&app, "", &params).await;
    assert!(location(&res).starts_with("/dang-nhap?next=%2Foauth%2Fauthorize"));
}

/// The JOSE header of a token, unverified (the checks are the provider's or PyJWT's).
fn header_of(token: &str) -> Value {
    let head = token.split('.').next().expect("header");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(head).expect("base64url");
    serde_json::from_slice(&bytes).expect("json")
}

/// A person signs in and the client redeems a code: the token response.
async fn tokens_for(app: &Instance, id: &str, secret: &str, verifier: &str) -> (String, Value) {
    let cookie = sign_in(app, CITIZEN, DEMO_PASSWORD, None).await;
    let code = code_for(app, &cookie, id, verifier).await;
    let (status, body) = exchange(app, id, secret, &code, Some(verifier)).await;
    assert_eq!(status, 200, "{body}");
    (cookie, body)
}

/// RP-initiated logout with these parameters, as the person's browser.
async fn logout(app: &Instance, cookie: &str, params: &[(&str, &str)]) -> reqwest::Response {
    client()
        .get(app.url("/oauth/logout"))
        .query(params)
        .header("cookie", cookie)
        .send()
        .await
        .expect("logout")
}

/// Whether the session cookie still signs the person in.
async fn signed_in(app: &Instance, cookie: &str) -> bool {
    let res = client().get(app.url("/tai-khoan")).header("cookie", cookie).send().await;
    res.expect("account page").status() == 200
}

#[tokio::test]
async fn a_client_registered_for_rs256_gets_id_tokens_pyjwt_verifies_with_the_published_rsa_key() {
    let app = Instance::start().await;
    let (id, secret) = add_client(
        &app,
        &[
            "Cổng thông tin (RS256)",
            "--grant",
            "authorization_code",
            "--redirect-uri",
            REDIRECT,
            "--scope",
            "openid profile",
            "--first-party",
            "--id-token-alg",
            "RS256",
        ],
    )
    .await;
    let secret = secret.expect("secret");
    let (cookie, body) =
        tokens_for(&app, &id, &secret, "rs256-client-verifier-0123456789-0123456789").await;
    let id_token = body["id_token"].as_str().expect("id_token");
    let access = body["access_token"].as_str().expect("access_token");
    assert_eq!(header_of(id_token)["alg"], "RS256");
    assert_eq!(header_of(access)["alg"], "ES256", "access tokens stay ES256");
    let jwks: Value = client()
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json");
    let rsa =
        jwks["keys"].as_array().expect("keys").iter().find(|k| k["kty"] == "RSA").expect("RSA key");
    assert_eq!(rsa["kid"], header_of(id_token)["kid"]);
    assert_eq!((rsa["alg"].as_str(), rsa["use"].as_str()), (Some("RS256"), Some("sig")));
    if cqdt_testing::prerequisite(
        cqdt_testing::python_modules(&["jwt", "cryptography"]),
        "the PyJWT check of an RS256 ID token",
        "python3 with PyJWT is missing (python3 -m pip install pyjwt cryptography)",
        "CQDT_REQUIRE_PYJWT",
    ) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/verify_id_token.py");
        let run = |token: &str, alg: &str| {
            tokio::process::Command::new("python3")
                .args([script, &app.url("/oauth/jwks"), &app.base, &id, "n-1", alg])
                .env("CQDT_TOKEN", token)
                .env("NO_PROXY", "127.0.0.1,localhost")
                .output()
        };
        let out = run(id_token, "RS256").await.expect("python3");
        assert!(out.status.success(), "PyJWT refused: {}", helpers::text(&out));
        let checked: Value = serde_json::from_slice(&out.stdout).expect("PyJWT output");
        assert_eq!(checked["kty"], "RSA");
        assert_eq!(checked["claims"]["azp"], id.as_str());
        // PyJWT refuses it as ES256, and refuses a token with a changed payload.
        assert!(!run(id_token, "ES256").await.expect("python3").status.success());
        let parts: Vec<&str> = id_token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], parts[1].replacen('e', "f", 1), parts[2]);
        assert_ne!(forged, id_token);
        assert!(!run(&forged, "RS256").await.expect("python3").status.success());
    }
    // The RS256 ID token is a valid logout hint: the session ends at once.
    let res = logout(
        &app,
        &cookie,
        &[("id_token_hint", id_token), ("post_logout_redirect_uri", REDIRECT)],
    )
    .await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, REDIRECT.to_string()));
    assert!(!signed_in(&app, &cookie).await);
}

#[tokio::test]
async fn a_logout_hint_must_be_an_id_token_of_this_provider_for_the_client() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let (other, _) = first_party(&app).await;
    let (cookie, body) =
        tokens_for(&app, &id, &secret, "logout-hint-verifier-0123456789-0123456789-abc").await;
    let id_token = body["id_token"].as_str().expect("id_token");
    let access = body["access_token"].as_str().expect("access_token");
    assert_eq!(header_of(id_token)["alg"], "ES256", "ES256 unless the client asks");
    let after = ("post_logout_redirect_uri", REDIRECT);
    // An access token is not an ID token, though the same key signed it.
    let res = logout(&app, &cookie, &[("id_token_hint", access), after]).await;
    assert_eq!(res.status(), 400);
    assert!(location(&res).is_empty());
    assert!(res.text().await.expect("page").contains("id_token_hint"));
    assert!(signed_in(&app, &cookie).await, "the session is not ended by a refused hint");
    // An ID token for this client, presented for another one.
    let res =
        logout(&app, &cookie, &[("id_token_hint", id_token), ("client_id", &other), after]).await;
    assert_eq!(res.status(), 400);
    assert!(signed_in(&app, &cookie).await);
    // The real thing ends the session and follows the registered redirect.
    let res =
        logout(&app, &cookie, &[("id_token_hint", id_token), ("client_id", &id), after]).await;
    assert_eq!((res.status().as_u16(), location(&res)), (303, REDIRECT.to_string()));
    assert!(!signed_in(&app, &cookie).await);
}

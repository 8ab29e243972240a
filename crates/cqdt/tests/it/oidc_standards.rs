//! The provider against the letter of the standards (issue 13, item 6 and "Standards"):
//! OpenID Connect Core and Discovery, RFC 6749, 6750, 7009, 7662 and 9207.

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::DEMO_PASSWORD as PASSWORD;
use crate::helpers::{add_client, client, location, session_cookie, sign_in, Instance};
use crate::oidc::{
    ask_code, authorize, code_with_scope, exchange, first_party, query_of, renew, s256, token,
    userinfo, CITIZEN, OFFLINE, REDIRECT,
};

const VERIFIER: &str = "standards-test-verifier-0123456789-0123456789-abcdef";

/// The PKCE parameters for [`VERIFIER`].
fn pkce() -> [(&'static str, String); 2] {
    [("code_challenge", s256(VERIFIER)), ("code_challenge_method", "S256".into())]
}

/// The authorization request of `client_id` for `scope`, with PKCE and these parameters.
fn request<'a>(
    client_id: &'a str,
    scope: &'a str,
    pkce: &'a [(&str, String)],
) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("state", "st-1"),
    ];
    p.extend(pkce.iter().map(|(k, v)| (*k, v.as_str())));
    p
}

/// A confidential application of another organisation (the person consents), or a public one.
async fn third_party(app: &Instance, scopes: &str, public: bool) -> (String, Option<String>) {
    let mut args = vec![
        "Ứng dụng bên thứ ba",
        "--grant",
        "authorization_code",
        "--redirect-uri",
        REDIRECT,
        "--scope",
        scopes,
    ];
    if public {
        args.push("--public");
    }
    add_client(app, &args).await
}

/// A system (resource server) with the client_credentials grant.
async fn system(app: &Instance) -> (String, String) {
    let args = ["Hệ thống kết nối", "--grant", "client_credentials", "--scope", "catalog:read"];
    let (id, secret) = add_client(app, &args).await;
    (id, secret.expect("secret"))
}

async fn issuer(app: &Instance) -> String {
    let doc = discovery(app).await;
    doc["issuer"].as_str().expect("issuer").to_string()
}

async fn discovery(app: &Instance) -> Value {
    let res = client().get(app.url("/.well-known/openid-configuration")).send().await;
    res.expect("discovery").json().await.expect("json")
}

/// The person's answer on the consent page.
pub(crate) async fn consent(
    app: &Instance,
    cookie: &str,
    params: &[(&str, &str)],
    decision: &str,
) -> String {
    let mut form = params.to_vec();
    form.push(("decision", decision));
    let res = client()
        .post(app.url("/oauth/authorize/consent"))
        .header("cookie", cookie)
        .form(&form)
        .send()
        .await
        .expect("consent");
    assert_eq!(res.status(), 303);
    location(&res)
}

/// A GET of a path of ours (a `next` address) with a session cookie.
async fn follow(app: &Instance, cookie: &str, path: &str) -> reqwest::Response {
    let res = client().get(app.url(path)).header("cookie", cookie).send().await;
    res.expect("get")
}

/// The claims of a JWT, unverified (the provider's tests verify them elsewhere).
fn claims_of(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).expect("b64");
    serde_json::from_slice(&bytes).expect("json")
}

/// The error and issuer a redirect back to the client carries.
fn error_and_iss(to: &str) -> (Option<String>, Option<String>) {
    assert!(to.starts_with(REDIRECT), "{to}");
    let q = query_of(to);
    (q.get("error").cloned(), q.get("iss").cloned())
}

#[tokio::test]
async fn every_error_sent_back_to_the_client_names_the_issuer() {
    let app = Instance::start().await;
    let iss = Some(issuer(&app).await);
    let (id, _) = first_party(&app).await;
    let (other, _) = third_party(&app, "openid profile", false).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    // (authorization parameters, session cookie, the error expected back)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let mut cases: Vec<Case> = Vec::new();
    cases.push((request(&id, "openid", &[]), cookie.as_str(), "invalid_request"));
    cases.push((request(&id, "openid admin", &pkce), &cookie, "invalid_scope"));
    let mut implicit = request(&id, "openid", &pkce);
    implicit[0].1 = "token";
    cases.push((implicit, &cookie, "unsupported_response_type"));
    let mut silent = request(&id, "openid", &pkce);
    silent.push(("prompt", "none"));
    cases.push((silent.clone(), "", "login_required"));
    let mut silent_other = request(&other, "openid", &pkce);
    silent_other.push(("prompt", "none"));
    cases.push((silent_other, &cookie, "consent_required"));
    for (params, cookie, expected) in cases {
        let res = authorize(&app, cookie, &params).await;
        assert_eq!(res.status(), 303, "{expected}");
        let (error, named) = error_and_iss(&location(&res));
        assert_eq!(error.as_deref(), Some(expected));
        assert_eq!(named, iss, "{expected}");
    }
    // The person declines on the consent page.
    let to = consent(&app, &cookie, &request(&other, "openid", &pkce), "deny").await;
    assert_eq!(error_and_iss(&to), (Some("access_denied".into()), iss));
}

#[tokio::test]
async fn the_authorization_endpoint_takes_a_form_posted_from_the_clients_site_like_a_get() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    let params = request(&id, "openid", &pkce);
    // As a browser posts the client's form: from the client's origin, cross-site.
    let post = |path: &str, cookie: Option<&str>| {
        let mut req = client()
            .post(app.url(path))
            .header("origin", "https://mot-cua.example")
            .header("sec-fetch-site", "cross-site")
            .form(&params);
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send()
    };
    let res = post("/oauth/authorize", Some(&cookie)).await.expect("post");
    assert_eq!(res.status(), 303);
    let q = query_of(&location(&res));
    assert_eq!(q.get("state").map(String::as_str), Some("st-1"));
    let code = q.get("code").expect("code");
    let (status, body) = exchange(&app, &id, &secret, code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{body}");
    // Without the session cookie (a SameSite=Lax cookie stays home on a cross-site post), the
    // person signs in and comes back to the same request.
    let res = post("/oauth/authorize", None).await.expect("post");
    let to = location(&res);
    assert!(to.starts_with("/dang-nhap?next=%2Foauth%2Fauthorize%3F"), "{to}");
    let next = query_of(&to).remove("next").expect("next");
    let res = follow(&app, &cookie, &next).await;
    assert!(query_of(&location(&res)).contains_key("code"), "{}", location(&res));
    // Only this route takes posts from other sites.
    let res = post("/oauth/authorize/consent", Some(&cookie)).await.expect("post");
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn max_age_0_and_prompt_login_make_the_person_type_the_password_again() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    // Without either, the session gives a code at once.
    let res = authorize(&app, &cookie, &request(&id, "openid", &pkce)).await;
    assert!(query_of(&location(&res)).contains_key("code"));
    for demand in [("max_age", "0"), ("prompt", "login")] {
        let mut params = request(&id, "openid", &pkce);
        params.push(demand);
        let res = authorize(&app, &cookie, &params).await;
        let to = location(&res);
        assert!(to.starts_with("/dang-nhap?next="), "{demand:?}: {to}");
        let next = query_of(&to).remove("next").expect("next");
        // Coming back without signing in again does not do.
        let res = follow(&app, &cookie, &next).await;
        assert!(location(&res).starts_with("/dang-nhap?next="), "{demand:?}: {}", location(&res));
        // Typing the password does.
        let before = chrono::Utc::now().timestamp();
        let res = client()
            .post(app.url("/dang-nhap"))
            .header("cookie", &cookie)
            .form(&[("login", CITIZEN), ("password", PASSWORD), ("next", next.as_str())])
            .send()
            .await
            .expect("login");
        assert_eq!((res.status().as_u16(), location(&res)), (303, next.clone()));
        let fresh = session_cookie(&res).expect("a new session");
        let res = follow(&app, &fresh, &next).await;
        let q = query_of(&location(&res));
        let code = q.get("code").unwrap_or_else(|| panic!("{demand:?}: {}", location(&res)));
        let (status, body) = exchange(&app, &id, &secret, code, Some(VERIFIER)).await;
        assert_eq!(status, 200, "{body}");
        let auth_time = claims_of(body["id_token"].as_str().expect("id_token"))["auth_time"]
            .as_i64()
            .expect("auth_time");
        assert!(auth_time >= before, "{demand:?}: {auth_time} < {before}");
    }
}

#[tokio::test]
async fn prompt_consent_shows_the_consent_page_even_after_consent_was_given() {
    let app = Instance::start().await;
    let (id, _) = third_party(&app, "openid profile", false).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    let params = request(&id, "openid profile", &pkce);
    let res = authorize(&app, &cookie, &params).await;
    assert_eq!(res.status(), 200, "the consent page");
    assert!(query_of(&consent(&app, &cookie, &params, "allow").await).contains_key("code"));
    let res = authorize(&app, &cookie, &params).await;
    assert_eq!(res.status(), 303, "consent is remembered");
    let mut again = params.clone();
    again.push(("prompt", "consent"));
    let res = authorize(&app, &cookie, &again).await;
    assert_eq!(res.status(), 200, "{}", location(&res));
    assert!(res.text().await.expect("page").contains("Họ tên"));
}

#[tokio::test]
async fn prompt_none_with_login_is_an_invalid_request_not_login_required() {
    let app = Instance::start().await;
    let (id, _) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    for (prompt, cookie) in
        [("none login", ""), ("none login", cookie.as_str()), ("consent none", "")]
    {
        let mut params = request(&id, "openid", &pkce);
        params.push(("prompt", prompt));
        let res = authorize(&app, cookie, &params).await;
        let (error, _) = error_and_iss(&location(&res));
        assert_eq!(error.as_deref(), Some("invalid_request"), "{prompt}");
    }
    // prompt=none alone, signed in: a code.
    let mut params = request(&id, "openid", &pkce);
    params.push(("prompt", "none"));
    let res = authorize(&app, &cookie, &params).await;
    assert!(query_of(&location(&res)).contains_key("code"));
}

#[tokio::test]
async fn a_repeated_authorization_parameter_is_refused() {
    let app = Instance::start().await;
    let (id, _) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let res = ask_code(
        &app,
        &cookie,
        &id,
        REDIRECT,
        "openid",
        &[
            ("scope", "openid profile"),
            ("code_challenge", &s256(VERIFIER)),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let to = location(&res);
    let (error, iss) = error_and_iss(&to);
    assert_eq!(error.as_deref(), Some("invalid_request"), "{to}");
    assert!(iss.is_some());
    assert!(query_of(&to)["error_description"].contains("scope"), "{to}");
    // Two redirect URIs: no address can be trusted with the error.
    let pkce = pkce();
    let mut params = request(&id, "openid", &pkce);
    params.push(("redirect_uri", "https://attacker.example/cb"));
    let res = authorize(&app, &cookie, &params).await;
    assert_eq!(res.status(), 400);
    assert!(location(&res).is_empty());
}

#[tokio::test]
async fn userinfo_without_a_token_gets_a_bare_challenge_and_takes_a_lowercase_bearer() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let res = client().get(app.url("/oauth/userinfo")).send().await.expect("userinfo");
    assert_eq!(res.status(), 401);
    let challenge = res.headers()["www-authenticate"].to_str().expect("ascii").to_string();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(!challenge.contains("error"), "RFC 6750 §3.1: no error code: {challenge}");
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let code = code_with_scope(&app, &cookie, &id, VERIFIER, "openid profile").await;
    let (_, body) = exchange(&app, &id, &secret, &code, Some(VERIFIER)).await;
    let access = body["access_token"].as_str().expect("access_token");
    let res = client()
        .get(app.url("/oauth/userinfo"))
        .header("authorization", format!("bearer {access}"))
        .send()
        .await
        .expect("userinfo");
    assert_eq!(res.status(), 200, "the scheme name is case-insensitive (RFC 7235 §2.1)");
    let res = client().get(app.url("/oauth/userinfo")).bearer_auth("junk").send().await;
    let res = res.expect("userinfo");
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap_or("").contains("invalid_token"));
}

#[tokio::test]
async fn refresh_tokens_are_issued_only_with_offline_access() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let code = code_with_scope(&app, &cookie, &id, VERIFIER, "openid profile").await;
    let (status, online) = exchange(&app, &id, &secret, &code, Some(VERIFIER)).await;
    assert_eq!(status, 200, "{online}");
    assert!(online.get("refresh_token").is_none(), "{online}");
    let access = online["access_token"].as_str().expect("access_token");
    assert_eq!(userinfo(&app, access).await, 200);
    let code = code_with_scope(&app, &cookie, &id, VERIFIER, OFFLINE).await;
    let (_, offline) = exchange(&app, &id, &secret, &code, Some(VERIFIER)).await;
    let refresh = offline["refresh_token"].as_str().expect("a refresh token with offline_access");
    let (status, renewed) = renew(&app, &id, &secret, refresh).await;
    assert_eq!(status, 200);
    let refresh = renewed["refresh_token"].as_str().expect("rotated");
    // A refresh that drops offline_access gets no new refresh token.
    let (status, narrowed) = token(
        &app,
        &id,
        &secret,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", "openid")],
    )
    .await;
    assert_eq!(status, 200, "{narrowed}");
    assert!(narrowed.get("refresh_token").is_none(), "{narrowed}");
    // Signing out still ends the access token of the grant without a refresh token.
    let res = client().post(app.url("/dang-xuat")).header("cookie", &cookie).send().await;
    assert_eq!(res.expect("logout").status(), 200);
    assert_eq!(userinfo(&app, access).await, 401);
    // The consent page says what offline_access means.
    let (other, _) = third_party(&app, OFFLINE, false).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    let res = authorize(&app, &cookie, &request(&other, OFFLINE, &pkce)).await;
    assert_eq!(res.status(), 200);
    assert!(res
        .text()
        .await
        .expect("page")
        .contains("Duy trì kết nối khi ông/bà không trực tuyến"));
}

/// Introspects `token` as a client with HTTP Basic, with an optional hint.
async fn introspect(app: &Instance, id: &str, secret: &str, token: &str, hint: &str) -> Value {
    let mut form = vec![("token", token)];
    if !hint.is_empty() {
        form.push(("token_type_hint", hint));
    }
    let res = client()
        .post(app.url("/oauth/introspect"))
        .basic_auth(id, Some(secret))
        .form(&form)
        .send()
        .await
        .expect("introspect");
    assert_eq!(res.status(), 200);
    res.json().await.expect("json")
}

#[tokio::test]
async fn a_valid_refresh_token_introspects_active_to_its_client_and_to_systems_only() {
    let app = Instance::start().await;
    let (id, secret) = first_party(&app).await;
    let (other, other_secret) = first_party(&app).await;
    let (sys, sys_secret) = system(&app).await;
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let code = code_with_scope(&app, &cookie, &id, VERIFIER, OFFLINE).await;
    let (_, body) = exchange(&app, &id, &secret, &code, Some(VERIFIER)).await;
    let refresh = body["refresh_token"].as_str().expect("refresh_token");
    let access = body["access_token"].as_str().expect("access_token");
    // Its client and a system see it, whatever the hint (both kinds are tried).
    for (who, pw, hint) in
        [(&id, &secret, ""), (&id, &secret, "access_token"), (&sys, &sys_secret, "refresh_token")]
    {
        let intro = introspect(&app, who, pw, refresh, hint).await;
        assert_eq!(intro["active"], true, "{who} {hint}: {intro}");
        assert_eq!(intro["client_id"], id.as_str());
        let mut scope: Vec<&str> = intro["scope"].as_str().expect("scope").split(' ').collect();
        scope.sort_unstable();
        let mut asked: Vec<&str> = OFFLINE.split(' ').collect();
        asked.sort_unstable();
        assert_eq!(scope, asked, "the granted scope, in any order");
        assert!(intro["sub"].is_string() && intro["exp"].is_i64(), "{intro}");
    }
    assert_eq!(introspect(&app, &id, &secret, access, "refresh_token").await["active"], true);
    // Another confidential client learns nothing of either token.
    for t in [refresh, access] {
        assert_eq!(introspect(&app, &other, &other_secret, t, "").await, json!({"active": false}));
    }
    // Once exchanged, the refresh token is no longer active.
    let (status, _) = renew(&app, &id, &secret, refresh).await;
    assert_eq!(status, 200);
    assert_eq!(introspect(&app, &id, &secret, refresh, "").await, json!({"active": false}));
}

#[tokio::test]
async fn a_public_client_revokes_its_token_with_its_client_id_alone() {
    let app = Instance::start().await;
    let doc = discovery(&app).await;
    assert_eq!(
        doc["revocation_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    let (id, secret) = third_party(&app, OFFLINE, true).await;
    assert!(secret.is_none());
    let cookie = sign_in(&app, CITIZEN, PASSWORD, None).await;
    let pkce = pkce();
    let params = request(&id, OFFLINE, &pkce);
    let to = consent(&app, &cookie, &params, "allow").await;
    let code = query_of(&to).remove("code").expect("code");
    let by_id = |form: &[(&str, &str)], path: &str| {
        let mut form = form.to_vec();
        form.push(("client_id", id.as_str()));
        client().post(app.url(path)).form(&form).send()
    };
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ];
    let res = by_id(&exchange, "/oauth/token").await.expect("token");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("json");
    let refresh = body["refresh_token"].as_str().expect("refresh_token");
    let access = body["access_token"].as_str().expect("access_token");
    let res = by_id(&[("token", refresh)], "/oauth/revoke").await.expect("revoke");
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("content-type").is_none());
    assert_eq!(res.text().await.expect("body"), "");
    let renew = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let res = by_id(&renew, "/oauth/token").await.expect("token");
    assert_eq!(res.status(), 400);
    assert_eq!(userinfo(&app, access).await, 401, "the access token went with it");
    // Introspection stays closed to it.
    let res = by_id(&[("token", access)], "/oauth/introspect").await.expect("introspect");
    assert_eq!(res.status(), 401);
}

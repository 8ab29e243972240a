//! What an access token may do through the APIs: the scopes a person consented to, within the
//! person's own rights (issue 13, item 1). A token from a third-party application with only
//! `openid` reaches no protected API; a token with a scope reaches that scope's routes and no
//! others; administration never takes a third-party token; systems (client credentials) reach
//! the system-to-system APIs their client was registered for.

use serde_json::Value;

use crate::helpers::{add_client, client, sign_in, Instance, DEMO_PASSWORD, DEMO_TOTP};
use crate::oidc::{authorize, exchange, query_of, s256, token, CITIZEN, REDIRECT};

/// `cqdt client add` arguments for a confidential application of the code flow.
fn code_flow<'a>(name: &'a str, scopes: &'a str) -> Vec<&'a str> {
    vec![name, "--grant", "authorization_code", "--redirect-uri", REDIRECT, "--scope", scopes]
}

/// Registers a confidential third-party application (consent screen) with `scopes`.
async fn third_party(app: &Instance, scopes: &str) -> (String, String) {
    let (id, secret) = add_client(app, &code_flow("Ứng dụng bên thứ ba", scopes)).await;
    (id, secret.expect("secret"))
}

/// A person's access token for `scope`, through the consent screen the person answers.
async fn person_token(app: &Instance, cookie: &str, id: &str, secret: &str, scope: &str) -> String {
    let verifier = "scope-test-verifier-0123456789-0123456789-0123456789";
    let challenge = s256(verifier);
    let params = [
        ("response_type", "code"),
        ("client_id", id),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let res = authorize(app, cookie, &params).await;
    let to = if res.status() == 200 {
        crate::oidc_standards::consent(app, cookie, &params, "allow").await
    } else {
        crate::helpers::location(&res)
    };
    let code = query_of(&to).get("code").cloned();
    let (status, body) = exchange(app, id, secret, &code.expect("code"), Some(verifier)).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("access token").to_string()
}

/// A system's client-credentials token with `scope`.
async fn system_token(app: &Instance, scope: &str) -> String {
    let (id, secret) =
        add_client(app, &["Hệ thống kết nối", "--grant", "client_credentials", "--scope", scope])
            .await;
    let (status, body) =
        token(app, &id, &secret.expect("secret"), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().expect("access token").to_string()
}

/// Sends `method path` with a bearer token (an empty JSON body on writes).
async fn call(app: &Instance, method: &str, path: &str, bearer: &str) -> (u16, Value, String) {
    call_with(app, method, path, bearer, "{}").await
}

/// Sends `method path` with a bearer token and, on writes, a JSON body; the status, the
/// answer and the `WWW-Authenticate` challenge.
async fn call_with(
    app: &Instance,
    method: &str,
    path: &str,
    bearer: &str,
    json: &str,
) -> (u16, Value, String) {
    let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let mut req = client().request(m.clone(), app.url(path)).bearer_auth(bearer);
    if m != reqwest::Method::GET {
        req = req.header("content-type", "application/json").body(json.to_string());
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let challenge = res
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (status, res.json().await.unwrap_or(Value::Null), challenge)
}

/// Every operation of the OpenAPI document that accepts a bearer token, with its path
/// parameters filled in.
async fn bearer_operations(app: &Instance) -> Vec<(String, String)> {
    let doc: Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("doc")
        .json()
        .await
        .expect("json");
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let bearer = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            if bearer {
                let filled = path
                    .split('/')
                    .map(|seg| if seg.starts_with('{') { "1" } else { seg })
                    .collect::<Vec<_>>()
                    .join("/");
                ops.push((method.clone(), filled));
            }
        }
    }
    ops
}

#[tokio::test]
async fn an_openid_only_token_of_a_third_party_application_reaches_no_protected_api() {
    let app = Instance::start().await;
    let (id, secret) = third_party(&app, "openid profile").await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let officer = sign_in(&app, "tiepnhan.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let ops = bearer_operations(&app).await;
    assert!(ops.len() > 40, "the document lists the protected operations: {ops:?}");
    for cookie in [citizen, admin, officer] {
        let bearer = person_token(&app, &cookie, &id, &secret, "openid").await;
        for (method, path) in &ops {
            let (status, body, challenge) = call(&app, method, path, &bearer).await;
            assert_eq!(status, 403, "{method} {path}: {body}");
            assert_eq!(body["code"], "insufficient_scope", "{method} {path}: {body}");
            assert!(challenge.contains("error=\"insufficient_scope\""), "{method} {path}");
        }
    }
}

#[tokio::test]
async fn a_token_reaches_the_routes_of_its_scopes_with_the_persons_rights_and_no_others() {
    let app = Instance::start().await;
    let (id, secret) = third_party(&app, "openid dossiers:read office").await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let bearer = person_token(&app, &citizen, &id, &secret, "openid dossiers:read").await;
    let (status, body, _) = call(&app, "get", "/api/v1/dossiers", &bearer).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, challenge) = call(&app, "post", "/api/v1/dossiers", &bearer).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("insufficient_scope")), "{body}");
    assert!(challenge.contains("scope=\"dossiers:write\""), "{challenge}");
    // The office scope on a citizen's token grants nothing the citizen does not hold: the
    // citizen's queue is empty, the counter official's holds the dossier just filed.
    let code = crate::helpers::file_birth_registration(&app, &citizen).await;
    let queue = "/api/v1/office/dossiers?status=submitted";
    let bearer = person_token(&app, &citizen, &id, &secret, "openid office").await;
    let (status, body, _) = call(&app, "get", queue, &bearer).await;
    assert_eq!((status, body["dossiers"].as_array().map(Vec::len)), (200, Some(0)), "{body}");
    let officer = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let bearer = person_token(&app, &officer, &id, &secret, "openid office").await;
    let (status, body, _) = call(&app, "get", queue, &bearer).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.to_string().contains(&code), "{code} in {body}");
    // Pages never take a token: they are the person's own, through the session.
    let res =
        client().get(app.url("/ho-so-cua-toi")).bearer_auth(&bearer).send().await.expect("page");
    assert_ne!(res.status(), 200);
}

#[tokio::test]
async fn administration_takes_a_first_party_token_of_an_administrator_and_never_a_third_partys() {
    let app = Instance::start().await;
    let admin = sign_in(&app, "quantri", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    // A third-party application cannot even be registered with the admin scope.
    let mut args = vec!["client", "add"];
    args.extend(code_flow("Ứng dụng bên thứ ba", "openid admin"));
    let out = app.cli(&args).await;
    assert!(!out.status.success(), "registered a third party with the admin scope");
    let mut args = code_flow("Bảng điều khiển quản trị", "openid admin audit");
    args.push("--first-party");
    let (id, secret) = add_client(&app, &args).await;
    let secret = secret.expect("secret");
    let bearer = person_token(&app, &admin, &id, &secret, "openid admin").await;
    let (status, body, _) = call(&app, "get", "/api/v1/identity/clients", &bearer).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = call(&app, "get", "/api/v1/audit", &bearer).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("insufficient_scope")));
    // The same first-party scope in a citizen's hands is no administration.
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let bearer = person_token(&app, &citizen, &id, &secret, "openid admin").await;
    let (status, _, _) = call(&app, "get", "/api/v1/identity/clients", &bearer).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn a_system_reaches_the_system_apis_its_client_was_registered_for() {
    let app = Instance::start().await;
    let reader = system_token(&app, "catalog:read").await;
    let (status, body, _) = call(&app, "get", "/api/v1/procedures/export", &reader).await;
    assert_eq!(status, 200, "a system reads the procedure catalog: {body}");
    let entry = r#"{"code":"000.00.77.H51","name":"Sở Thử nghiệm","data":{"kind":"other"}}"#;
    let entries = "/api/v1/catalogs/agencies/entries";
    let (status, _, _) = call_with(&app, "post", entries, &reader, entry).await;
    assert_eq!(status, 403, "catalog:read does not write");
    let writer = system_token(&app, "catalog:write").await;
    let (status, body, _) = call_with(&app, "post", entries, &writer, entry).await;
    assert!((200..300).contains(&status), "{status}: {body}");
    // Administration and people's dossiers are never a system's.
    for (method, path) in [("get", "/api/v1/identity/clients"), ("get", "/api/v1/dossiers")] {
        let (status, body, _) = call(&app, method, path, &writer).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("insufficient_scope")), "{path}");
    }
}

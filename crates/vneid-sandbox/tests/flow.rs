//! The VNeID sandbox driven over real HTTP as a relying party would drive it.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use cqdt_vneid_sandbox::{serve, test_identities, SandboxConfig};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::EncodedPoint;
use reqwest::{StatusCode, Url};
use serde_json::Value;
use sha2::{Digest, Sha256};

const CLIENT_ID: &str = "cqdt-portal";
const SECRET: &str = "sandbox-secret";
const REDIRECT: &str = "http://127.0.0.1:1/dang-nhap/vneid/callback";
const VERIFIER: &str = "M25iVXpKU3puUjFaYWg3T1NDTDQtcW1ROUY5YXlwalNoc0hhakxifmZHag";

struct Sandbox {
    base: String,
    http: reqwest::Client,
}

async fn start() -> Sandbox {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let config = SandboxConfig {
        issuer: base.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        redirect_uris: vec![REDIRECT.into(), "http://127.0.0.1:1/other".into()],
    };
    tokio::spawn(async move {
        let _ = serve(listener, config).await;
    });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Sandbox { base, http }
}

fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A complete authorization request, with `changes` applied (an empty value removes).
fn request(changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("scope", "openid profile phone email personal_id"),
        ("state", "st-123"),
        ("nonce", "n-456"),
        ("code_challenge", &challenge(VERIFIER)),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in changes {
        params.retain(|(name, _)| name != k);
        if !v.is_empty() {
            params.push((k.to_string(), v.to_string()));
        }
    }
    params
}

fn location(response: &reqwest::Response) -> Url {
    let l = response.headers().get("location").expect("a redirect").to_str().expect("ascii");
    Url::parse(l).expect("absolute URL")
}

fn query(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

impl Sandbox {
    async fn authorize_page(&self, params: &[(String, String)]) -> reqwest::Response {
        self.http
            .get(format!("{}/authorize", self.base))
            .query(params)
            .send()
            .await
            .expect("GET /authorize")
    }

    async fn decide(&self, params: &[(String, String)]) -> reqwest::Response {
        self.http
            .post(format!("{}/authorize", self.base))
            .form(params)
            .send()
            .await
            .expect("POST /authorize")
    }

    /// Logs in as `extra` says and returns the code from the redirect.
    async fn code(&self, extra: &[(&str, &str)]) -> String {
        let mut form = request(&[]);
        form.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let r = self.decide(&form).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let to = location(&r);
        assert!(to.as_str().starts_with(REDIRECT));
        assert_eq!(query(&to, "state").as_deref(), Some("st-123"));
        assert_eq!(query(&to, "iss").as_deref(), Some(self.base.as_str()));
        query(&to, "code").expect("a code")
    }

    async fn exchange(&self, code: &str, verifier: &str, secret: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/token", self.base))
            .basic_auth(CLIENT_ID, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
            ])
            .send()
            .await
            .expect("POST /token")
    }

    async fn userinfo(&self, token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/userinfo", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET /userinfo")
    }

    async fn json(&self, path: &str) -> Value {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.expect("GET");
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.expect("JSON")
    }
}

fn b64(part: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(part).expect("base64url")
}

/// Verifies an ID token's ES256 signature against the JWKS; returns its claims.
fn verified_claims(token: &str, jwks: &Value) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let header: Value = serde_json::from_slice(&b64(parts[0])).expect("header");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["typ"], "JWT");
    let jwk = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the key named by kid");
    assert_eq!((jwk["kty"].as_str(), jwk["crv"].as_str()), (Some("EC"), Some("P-256")));
    assert_eq!((jwk["use"].as_str(), jwk["alg"].as_str()), (Some("sig"), Some("ES256")));
    let coordinate = |name: &str| -> [u8; 32] {
        b64(jwk[name].as_str().expect("coordinate")).try_into().expect("32 bytes")
    };
    let point = EncodedPoint::from_affine_coordinates(
        &coordinate("x").into(),
        &coordinate("y").into(),
        false,
    );
    let key = VerifyingKey::from_encoded_point(&point).expect("a P-256 point");
    let signature = Signature::from_slice(&b64(parts[2])).expect("64-byte r||s");
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .expect("the signature verifies");
    serde_json::from_slice(&b64(parts[1])).expect("claims")
}

#[tokio::test]
async fn discovery_describes_the_provider_and_its_key() {
    let s = start().await;
    let d = s.json("/.well-known/openid-configuration").await;
    assert_eq!(d["issuer"], s.base.as_str());
    assert_eq!(d["authorization_endpoint"], format!("{}/authorize", s.base));
    assert_eq!(d["token_endpoint"], format!("{}/token", s.base));
    assert_eq!(d["userinfo_endpoint"], format!("{}/userinfo", s.base));
    assert_eq!(d["jwks_uri"], format!("{}/jwks", s.base));
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(d["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert_eq!(d["id_token_signing_alg_values_supported"], serde_json::json!(["ES256"]));
    assert_eq!(
        d["scopes_supported"],
        serde_json::json!(["openid", "profile", "phone", "email", "personal_id"])
    );
    assert!(d["claims_supported"].as_array().expect("claims").contains(&"personal_id".into()));

    let jwks = s.json("/jwks").await;
    let key = &jwks["keys"][0];
    // RFC 7638: the kid is the thumbprint of the canonical JWK.
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        key["x"].as_str().expect("x"),
        key["y"].as_str().expect("y")
    );
    assert_eq!(key["kid"], URL_SAFE_NO_PAD.encode(Sha256::digest(canonical)));
}

#[tokio::test]
async fn the_authorization_page_lists_the_test_identities_in_vietnamese() {
    let s = start().await;
    let r = s.authorize_page(&request(&[("state", "<script>x</script>")])).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = r.text().await.expect("page");
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("Cổng xác thực VNeID – môi trường thử nghiệm"));
    assert!(html.contains("THỬ NGHIỆM"));
    assert!(html.contains("Đồng ý và tiếp tục"));
    assert!(html.contains("<legend>"));
    for person in test_identities() {
        assert!(
            html.contains(&format!("{} – số định danh {}", person.full_name, person.personal_id))
        );
    }
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
}

#[tokio::test]
async fn a_client_completes_the_code_flow_with_pkce() {
    let s = start().await;
    let an = &test_identities()[0];
    let code = s.code(&[("identity", &an.personal_id)]).await;

    let r = s.exchange(&code, VERIFIER, SECRET).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.expect("token response");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["scope"], "openid profile phone email personal_id");
    let access_token = body["access_token"].as_str().expect("access token");

    let jwks = s.json("/jwks").await;
    let claims = verified_claims(body["id_token"].as_str().expect("id token"), &jwks);
    assert_eq!(claims["iss"], s.base.as_str());
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["nonce"], "n-456");
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    assert_eq!(exp.zip(iat).map(|(e, i)| e - i), Some(300));
    assert!(claims["auth_time"].as_i64().is_some());
    let sub = claims["sub"].as_str().expect("sub");
    assert!(!sub.contains(&an.personal_id));
    assert_eq!(claims["personal_id"], an.personal_id.as_str());
    assert_eq!(claims["name"], "Nguyễn Văn An");
    assert_eq!(claims["birthdate"], an.birth_date.as_str());
    assert_eq!(claims["gender"], "male");
    assert_eq!(claims["phone_number"], an.phone.as_str());
    assert_eq!(claims["address"]["formatted"], an.address.as_str());
    let half = &Sha256::digest(access_token.as_bytes())[..16];
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(half));

    let r = s.userinfo(access_token).await;
    assert_eq!(r.status(), StatusCode::OK);
    let info: Value = r.json().await.expect("userinfo");
    assert_eq!(info["sub"], sub);
    assert_eq!(info["personal_id"], an.personal_id.as_str());
    assert_eq!(info["email"], "nguyenvanan@example.com");

    // The same person has the same subject at the next login.
    let code = s.code(&[("identity", &an.personal_id)]).await;
    let body: Value = s.exchange(&code, VERIFIER, SECRET).await.json().await.expect("json");
    let again = verified_claims(body["id_token"].as_str().expect("id token"), &jwks);
    assert_eq!(again["sub"], sub);
}

#[tokio::test]
async fn a_typed_in_person_logs_in_with_client_secret_post_and_few_scopes() {
    let s = start().await;
    let mut form = request(&[("scope", "openid personal_id"), ("nonce", "")]);
    form.push(("custom_personal_id".into(), "094 305 999 888".into()));
    form.push(("custom_full_name".into(), "Kim Thị Sà Rum".into()));
    let r = s.decide(&form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let code = query(&location(&r), "code").expect("code");
    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", CLIENT_ID),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .expect("POST /token");
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("json");
    let claims = verified_claims(body["id_token"].as_str().expect("id"), &s.json("/jwks").await);
    assert_eq!(claims["personal_id"], "094305999888");
    assert!(claims.get("nonce").is_none());
    assert!(claims.get("name").is_none(), "profile was not asked for");
    let info: Value =
        s.userinfo(body["access_token"].as_str().expect("token")).await.json().await.expect("json");
    assert_eq!(info["personal_id"], "094305999888");
    assert!(info.get("phone_number").is_none());

    // A malformed number shows the page again with the message, and issues nothing.
    let mut form = request(&[]);
    form.push(("custom_personal_id".into(), "12345".into()));
    let r = s.decide(&form).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("page").contains("đúng 12 chữ số"));
}

#[tokio::test]
async fn an_unregistered_redirect_uri_or_client_is_refused_without_redirect() {
    let s = start().await;
    for bad in [
        request(&[("redirect_uri", "http://evil.test/callback")]),
        request(&[("redirect_uri", "http://127.0.0.1:1/dang-nhap/vneid/callback/")]),
        request(&[("redirect_uri", "")]),
        request(&[("client_id", "unknown")]),
    ] {
        let r = s.authorize_page(&bad).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.headers().get("location").is_none());
        assert!(r.text().await.expect("page").contains("Yêu cầu xác thực không hợp lệ"));
        let mut form = bad.clone();
        form.push(("identity".into(), test_identities()[0].personal_id.clone()));
        let r = s.decide(&form).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert!(r.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn faulty_requests_are_sent_back_to_the_client_with_an_error() {
    let s = start().await;
    for (change, error) in [
        (("code_challenge", ""), "invalid_request"),
        (("code_challenge_method", "plain"), "invalid_request"),
        (("response_type", "token"), "unsupported_response_type"),
        (("scope", "profile email"), "invalid_scope"),
    ] {
        let r = s.authorize_page(&request(&[change])).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{change:?}");
        let to = location(&r);
        assert!(to.as_str().starts_with(REDIRECT));
        assert_eq!(query(&to, "error").as_deref(), Some(error), "{change:?}");
        assert_eq!(query(&to, "state").as_deref(), Some("st-123"));
        assert!(query(&to, "code").is_none());
    }
    // Hidden fields cannot be edited into a request without PKCE either.
    let mut form = request(&[("code_challenge", "")]);
    form.push(("identity".into(), test_identities()[1].personal_id.clone()));
    let r = s.decide(&form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(query(&location(&r), "error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn a_person_who_declines_sends_access_denied() {
    let s = start().await;
    let mut form = request(&[]);
    form.push(("decision".into(), "deny".into()));
    let r = s.decide(&form).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert_eq!(query(&to, "error").as_deref(), Some("access_denied"));
    assert!(query(&to, "code").is_none());
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let s = start().await;
    let mut form = request(&[]);
    form.push(("identity".into(), test_identities()[0].personal_id.clone()));
    let r = s
        .http
        .post(format!("{}/authorize", s.base))
        .header("origin", "http://evil.test")
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get("location").is_none());
    let r = s
        .http
        .post(format!("{}/authorize", s.base))
        .header("origin", s.base.as_str())
        .form(&form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn token_error(r: reqwest::Response, status: StatusCode, error: &str) {
    assert_eq!(r.status(), status);
    let body: Value = r.json().await.expect("JSON error");
    assert_eq!(body["error"], error);
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn a_reused_code_is_an_invalid_grant_and_revokes_its_token() {
    let s = start().await;
    let code = s.code(&[("identity", &test_identities()[1].personal_id)]).await;
    let first: Value = s.exchange(&code, VERIFIER, SECRET).await.json().await.expect("json");
    let token = first["access_token"].as_str().expect("token");
    assert_eq!(s.userinfo(token).await.status(), StatusCode::OK);
    token_error(
        s.exchange(&code, VERIFIER, SECRET).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert_eq!(s.userinfo(token).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_code_verifier_is_an_invalid_grant() {
    let s = start().await;
    let code = s.code(&[("identity", &test_identities()[2].personal_id)]).await;
    let wrong = "bm90LXRoZS12ZXJpZmllci10aGF0LW1hdGNoZXMtdGhlLWNoYWxsZW5nZQ";
    token_error(s.exchange(&code, wrong, SECRET).await, StatusCode::BAD_REQUEST, "invalid_grant")
        .await;
    // The failed attempt spent the code.
    token_error(
        s.exchange(&code, VERIFIER, SECRET).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    token_error(
        s.exchange("no-such-code", VERIFIER, SECRET).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_invalid_client() {
    let s = start().await;
    let code = s.code(&[("identity", &test_identities()[3].personal_id)]).await;
    let r = s.exchange(&code, VERIFIER, "guessed").await;
    assert!(r.headers()["www-authenticate"].to_str().expect("ascii").starts_with("Basic"));
    token_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;

    let r = s
        .http
        .post(format!("{}/token", s.base))
        .form(&[("grant_type", "authorization_code"), ("code", &code)])
        .send()
        .await
        .expect("POST");
    token_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    // A failed client authentication leaves the code alone for the real client.
    assert_eq!(s.exchange(&code, VERIFIER, SECRET).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_token_endpoint_names_protocol_errors() {
    let s = start().await;
    let post = |form: Vec<(&'static str, &'static str)>| {
        s.http
            .post(format!("{}/token", s.base))
            .header(
                "authorization",
                format!("Basic {}", STANDARD.encode(format!("{CLIENT_ID}:{SECRET}"))),
            )
            .form(&form)
            .send()
    };
    let r = post(vec![("grant_type", "client_credentials")]).await.expect("POST");
    token_error(r, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let r = post(vec![("grant_type", "authorization_code")]).await.expect("POST");
    token_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    let r = post(vec![("grant_type", "authorization_code"), ("client_secret", SECRET)])
        .await
        .expect("POST");
    token_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn userinfo_requires_a_live_bearer_token() {
    let s = start().await;
    let r = s.userinfo("not-a-token").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], "Bearer error=\"invalid_token\"");
    let r = s.http.get(format!("{}/userinfo", s.base)).send().await.expect("GET");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"].to_str().expect("ascii").starts_with("Bearer"));
}

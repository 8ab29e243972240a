//! Single sign-on in a real browser: an application on another origin sends the person to the
//! platform, the person types a password (and, for a third-party application, consents), and
//! the browser ends on the application's callback with a code. Chromium applies the page's
//! `form-action` policy to every redirect after a form is posted, so this is where a policy
//! that allows only our own origin would stop the person one hop short.

use std::sync::{Arc, Mutex};

use super::*;
use crate::helpers::{add_client, DEMO_PASSWORD};

/// A relying party on its own loopback port that records the query its callback receives.
struct RelyingParty {
    base: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl RelyingParty {
    async fn start() -> RelyingParty {
        let received = Arc::new(Mutex::new(Vec::new()));
        let seen = received.clone();
        let app = axum::Router::new().route(
            "/callback",
            axum::routing::get(move |uri: axum::http::Uri| {
                let seen = seen.clone();
                async move {
                    seen.lock().expect("lock").push(uri.query().unwrap_or("").to_string());
                    axum::response::Html(
                        "<!doctype html><html lang=\"vi\"><title>Ứng dụng</title>\
                         <main><h1>Ứng dụng đã nhận mã</h1></main></html>",
                    )
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        RelyingParty { base, received }
    }

    fn callback(&self) -> String {
        format!("{}/callback", self.base)
    }

    /// The code of the last callback, if one came with `state`.
    fn code(&self, state: &str) -> Option<String> {
        let all = self.received.lock().expect("lock");
        let q = all.last()?;
        let has_state = q.split('&').any(|kv| kv == format!("state={state}"));
        let code = q.split('&').find_map(|kv| kv.strip_prefix("code="))?;
        has_state.then(|| code.to_string())
    }
}

/// The authorization URL an application sends the person to.
fn authorize_url(app: &Instance, client_id: &str, rp: &RelyingParty, state: &str) -> String {
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    format!(
        "{}?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20profile%20dossiers%3Aread&state={state}&code_challenge={challenge}&code_challenge_method=S256",
        app.url("/oauth/authorize"),
        cqdt_platform::web::url_encode(&rp.callback()),
    )
}

async fn register(app: &Instance, rp: &RelyingParty, first_party: bool) -> String {
    let callback = rp.callback();
    let mut args = vec![
        "Ứng dụng tra cứu hồ sơ",
        "--grant",
        "authorization_code",
        "--redirect-uri",
        &callback,
        "--scope",
        "openid profile dossiers:read",
    ];
    if first_party {
        args.push("--first-party");
    }
    add_client(app, &args).await.0
}

#[tokio::test]
async fn a_person_who_types_a_password_ends_on_the_applications_callback_with_a_code() {
    let Some((app, b)) = journey().await else { return };
    let rp = RelyingParty::start().await;
    let id = register(&app, &rp, true).await;
    b.goto(&authorize_url(&app, &id, &rp, "s1")).await;
    assert!(b.path().await.starts_with("/dang-nhap?next="), "{}", b.path().await);
    b.fill("login", "094085000123").await;
    b.fill("password", DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    let here = b.js("return location.href").await;
    assert!(here.as_str().is_some_and(|h| h.starts_with(&rp.callback())), "ended on {here}");
    assert!(rp.code("s1").is_some(), "the application received no code");
    b.quit().await;
}

#[tokio::test]
async fn a_person_who_signs_in_and_consents_ends_on_a_third_party_callback_with_a_code() {
    let Some((app, b)) = journey().await else { return };
    let rp = RelyingParty::start().await;
    let id = register(&app, &rp, false).await;
    b.goto(&authorize_url(&app, &id, &rp, "s2")).await;
    b.fill("login", "094085000123").await;
    b.fill("password", DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    // The consent screen names what the application asks for, in words.
    let text = b.text().await;
    assert!(text.contains("Ứng dụng tra cứu hồ sơ"), "{text}");
    assert!(text.contains("Xem hồ sơ thủ tục hành chính và kết quả của ông/bà"), "{text}");
    assert!(!text.contains("dossiers:read"), "a scope's code shown to a person: {text}");
    assert_accessible(&b, "consent").await;
    b.screenshot("consent-1280").await;
    b.resize(360, 800).await;
    b.screenshot("consent-360").await;
    b.click_and_wait("main form button[value=allow]").await;
    let here = b.js("return location.href").await;
    assert!(here.as_str().is_some_and(|h| h.starts_with(&rp.callback())), "ended on {here}");
    assert!(rp.code("s2").is_some(), "the application received no code");
    b.quit().await;
}

//! Login with VNeID against a provider served over HTTPS (the VNeID sandbox behind a
//! certificate of a throwaway test CA): discovery, the token endpoint and the JWKS are all
//! fetched over TLS, and a provider whose CA is not trusted is refused.

use cqdt_identity::login::Client;
use cqdt_identity::vneid::VneidConfig;
use cqdt_identity::IdentityError;
use cqdt_testing::tls::{serve_https, TestCa};
use cqdt_vneid_sandbox::SandboxConfig;

use crate::common::start;

const CALLBACK: &str = "https://cqdt.example/dang-nhap/vneid/callback";

/// The hidden fields of the first form of a page.
fn hidden_fields(page: &str) -> Vec<(String, String)> {
    page.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|s| {
            let (name, rest) = s.split_once('"')?;
            let value = rest.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_string(), value.replace("&amp;", "&")))
        })
        .collect()
}

/// A query parameter of a URL (the sandbox's values need no decoding).
fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    query
        .split('&')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .to_string()
}

#[tokio::test]
async fn a_citizen_signs_in_with_a_vneid_provider_served_over_https() {
    let ca = TestCa::new("cqdt test CA");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let issuer = format!("https://localhost:{}", listener.local_addr().expect("addr").port());
    let sandbox = cqdt_vneid_sandbox::router(SandboxConfig {
        issuer: issuer.clone(),
        client_id: "cqdt".into(),
        client_secret: "bi-mat".into(),
        redirect_uris: vec![CALLBACK.into()],
    })
    .expect("sandbox");
    serve_https(listener, sandbox, ca.server_config());

    // Not trusted: the provider's certificate comes from a CA nobody configured.
    let untrusted = start().await;
    untrusted.identity.attach_vneid(VneidConfig::new(&issuer, "cqdt", "bi-mat", CALLBACK));
    let refused = untrusted.identity.vneid_start("/").await.expect_err("unknown CA");
    assert!(matches!(refused, IdentityError::Upstream(_)), "{refused:?}");

    let s = start().await;
    let config = VneidConfig::new(&issuer, "cqdt", "bi-mat", CALLBACK).trusting(ca.trust());
    s.identity.attach_vneid(config);
    let at_vneid = s.identity.vneid_start("/tai-khoan").await.expect("discovery over https");
    assert!(at_vneid.starts_with(&format!("{issuer}/authorize?")), "{at_vneid}");

    // The person consents at the provider (a browser trusting the test CA).
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .use_preconfigured_tls(ca.trust().client_config())
        .build()
        .expect("browser");
    let page = browser.get(&at_vneid).send().await.expect("page").text().await.expect("html");
    let mut form = hidden_fields(&page);
    form.push(("identity".into(), "094192004567".into()));
    form.push(("decision".into(), "allow".into()));
    let res =
        browser.post(format!("{issuer}/authorize")).form(&form).send().await.expect("consent");
    assert_eq!(res.status(), 303);
    let back = res.headers()["location"].to_str().expect("location").to_string();
    assert!(back.starts_with(CALLBACK), "{back}");

    // The token endpoint and the JWKS, over TLS; the ID token verifies and the account is made.
    let client =
        Client { ip: "127.0.0.1".into(), user_agent: "test".into(), request_id: "r".into() };
    let (signed, next) = s
        .identity
        .vneid_callback(&param(&back, "code"), &param(&back, "state"), &client)
        .await
        .expect("signed in through VNeID over https");
    assert_eq!(next, "/tai-khoan");
    assert_eq!(signed.account.personal_id.as_deref(), Some("094192004567"));
}

//! Unit tests of the domain types.

use std::time::Duration;

use super::*;
use crate::error::IdentityError;

fn new_client(grants: &[&str], uris: &[&str], public: bool, scopes: &[&str]) -> NewClient {
    NewClient {
        name: "Hệ thống một cửa".into(),
        grants: grants.iter().map(|s| s.to_string()).collect(),
        redirect_uris: uris.iter().map(|s| s.to_string()).collect(),
        public,
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        first_party: false,
        id_token_signed_response_alg: None,
    }
}

#[test]
fn scopes_follow_the_rfc_6749_character_set() {
    assert!(Scope::parse("dossier:read").is_some());
    assert!(Scope::parse("a\"b").is_none());
    assert!(Scope::parse("a\\b").is_none());
    assert!(Scope::parse("thủ-tục").is_none());
    assert!(Scope::parse("").is_none());
    let s = Scopes::parse("  b a  a ").expect("scopes");
    assert_eq!(s.to_string(), "a b");
    assert!(Scopes::parse("a\tb").is_none());
}

#[test]
fn a_requested_scope_outside_the_allowed_set_is_named() {
    let allowed = Scopes::parse("a b").expect("allowed");
    let asked = Scopes::parse("b c").expect("asked");
    assert!(!asked.is_subset(&allowed));
    let extra: Vec<_> = asked.not_in(&allowed).map(Scope::as_str).collect();
    assert_eq!(extra, ["c"]);
}

#[test]
fn redirect_uris_must_be_https_loopback_http_or_a_private_scheme() {
    for ok in [
        "https://app.soctrang.gov.vn/callback",
        "https://app.example:8443/cb?x=1",
        "http://localhost:8080/cb",
        "http://127.0.0.1/cb",
        "http://[::1]:9000/cb",
        "vn.gov.soctrang.app:/callback",
    ] {
        assert!(RedirectUri::parse(ok).is_ok(), "{ok}");
    }
    for bad in [
        "http://evil.example/cb",
        "https://app.example/cb#frag",
        "https:///cb",
        "https://user:pw@app.example/cb",
        "javascript:alert(1)",
        "HTTPS://APP.EXAMPLE/",
        "https://app.example/ cb",
        "app.example/cb",
        "",
    ] {
        assert!(RedirectUri::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_public_client_may_not_use_client_credentials() {
    let e = new_client(&["client_credentials"], &[], true, &[]).validate();
    assert!(matches!(e, Err(IdentityError::Invalid(m)) if m.contains("công khai")));
}

#[test]
fn authorization_code_needs_a_redirect_uri_and_client_credentials_takes_none() {
    assert!(new_client(&["authorization_code"], &[], false, &[]).validate().is_err());
    assert!(new_client(&["client_credentials"], &["https://a.example/cb"], false, &[])
        .validate()
        .is_err());
    let spec = new_client(
        &["authorization_code,client-credentials"],
        &["https://a.example/cb", "https://a.example/cb"],
        false,
        &["dossiers:read, dossiers:write", "openid"],
    )
    .validate()
    .expect("valid");
    assert_eq!(spec.grants.len(), 2);
    assert_eq!(spec.redirect_uris.len(), 1);
    assert_eq!(spec.scopes.to_string(), "dossiers:read dossiers:write openid");
}

#[test]
fn a_scope_the_platform_does_not_have_is_refused_at_registration() {
    let Err(IdentityError::Invalid(m)) =
        new_client(&["client_credentials"], &[], false, &["dossier:read"]).validate()
    else {
        panic!("an unknown scope would grant nothing, silently");
    };
    assert!(m.contains("dossier:read") && m.contains("dossiers:read"), "{m}");
}

#[test]
fn a_system_may_not_hold_a_persons_scopes_and_nobody_third_party_holds_admin() {
    for (grants, uris, first_party, scope) in [
        (&["client_credentials"][..], &[][..], false, "dossiers:write"),
        (&["client_credentials"], &[], true, "office"),
        (&["client_credentials"], &[], true, "admin"),
        (&["authorization_code"], &["https://a.example/cb"], false, "admin"),
    ] {
        let c = NewClient { first_party, ..new_client(grants, uris, false, &[scope]) };
        assert!(c.validate().is_err(), "{grants:?} {scope} first_party={first_party}");
    }
    let first_party_admin = NewClient {
        first_party: true,
        ..new_client(&["authorization_code"], &["https://a.example/cb"], false, &["admin"])
    };
    assert!(first_party_admin.validate().is_ok());
    assert!(new_client(&["client_credentials"], &[], false, &["catalog:write"]).validate().is_ok());
}

#[test]
fn unknown_grants_and_empty_names_are_refused_with_every_reason() {
    let mut c = new_client(&["password"], &[], false, &[]);
    c.name = "  ".into();
    let Err(IdentityError::Invalid(m)) = c.validate() else {
        panic!("should be refused");
    };
    assert!(m.contains("password") && m.contains("Tên ứng dụng"), "{m}");
}

#[test]
fn a_secret_verifies_only_against_its_own_hash_and_never_prints() {
    let s = ClientSecret::generate();
    assert!(s.expose().starts_with("cqdtcs_") && s.expose().len() == 7 + 43);
    let h = s.hash();
    assert!(h.verify(s.expose()));
    assert!(!h.verify(ClientSecret::generate().expose()));
    assert!(!h.verify(""));
    let stored = h.to_stored();
    assert!(stored.starts_with("sha256:"));
    assert_eq!(SecretHash::from_stored(&stored), Some(h));
    assert_eq!(SecretHash::from_stored("argon2:xx"), None);
    assert!(!format!("{s:?}").contains(&s.expose()[7..]));
}

#[test]
fn the_issuer_is_an_absolute_http_url_without_a_trailing_slash() {
    let c = IdentityConfig::new("https://cqdt.example/").expect("issuer");
    assert_eq!(c.issuer, "https://cqdt.example");
    assert_eq!(c.audience, c.issuer);
    assert_eq!(c.endpoint("/oauth/token"), "https://cqdt.example/oauth/token");
    for bad in ["cqdt.example", "https://", "https://a.example?x", "ftp://a"] {
        assert!(IdentityConfig::new(bad).is_err(), "{bad}");
    }
    assert!(c.clone().with_access_token_ttl(Duration::from_secs(1)).is_err());
    assert_eq!(
        c.with_access_token_ttl(Duration::from_secs(60)).expect("ttl").access_token_ttl,
        Duration::from_secs(60)
    );
}

#[test]
fn a_client_asks_for_es256_or_rs256_id_tokens_and_nothing_else() {
    use crate::jwt::Alg;
    let code = |alg: Option<&str>| NewClient {
        id_token_signed_response_alg: alg.map(str::to_string),
        ..new_client(&["authorization_code"], &["https://a.example/cb"], false, &["openid"])
    };
    assert_eq!(code(None).validate().expect("default").id_token_alg, Alg::Es256);
    assert_eq!(code(Some("")).validate().expect("blank").id_token_alg, Alg::Es256);
    assert_eq!(code(Some("RS256")).validate().expect("RS256").id_token_alg, Alg::Rs256);
    for bad in ["none", "HS256", "rs256", "PS256"] {
        match code(Some(bad)).validate() {
            Err(IdentityError::Invalid(m)) => assert!(m.contains(bad), "{m}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
}

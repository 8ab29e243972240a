//! Keys, signatures and the verifier's refusals, without a database.

use std::sync::OnceLock;

use base64::Engine;
use serde_json::{json, Value};

use super::verify::key_id;
use super::*;

const ISS: &str = "https://dichvucong.soctrang.gov.vn";
const AUD: &str = "https://dichvucong.soctrang.gov.vn/api";
const NOW: i64 = 1_750_000_000;

fn es256() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Alg::Es256).expect("ES256 key"))
}

fn rs256() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(Alg::Rs256).expect("RS256 key"))
}

fn access_claims() -> Value {
    json!({"iss": ISS, "sub": "c1", "aud": AUD, "iat": NOW - 10, "exp": NOW + 300,
           "jti": "j1", "client_id": "c1", "scope": "catalog.read"})
}

fn header(v: Value) -> String {
    B64.encode(v.to_string())
}

fn access() -> Expectation {
    Expectation::access_token(ISS, AUD)
}

fn check(e: &Expectation, token: &str, key: &SigningKey) -> Result<Value, Refusal> {
    e.verify::<Value>(token, Some(key.public()), NOW)
}

#[test]
fn an_access_token_round_trips_with_raw_r_s_and_its_typ_and_kid() {
    let key = es256();
    let token = key.sign_access(&access_claims()).expect("sign");
    assert_eq!(key_id(&token).expect("kid").as_deref(), Some(key.kid()));
    let parts: Vec<&str> = token.split('.').collect();
    let head: Value = serde_json::from_slice(&B64.decode(parts[0]).expect("b64")).expect("json");
    assert_eq!(head, json!({"alg": "ES256", "typ": "at+jwt", "kid": key.kid()}));
    assert_eq!(B64.decode(parts[2]).expect("sig").len(), 64, "raw r||s, not DER");
    let claims = check(&access(), &token, key).expect("valid");
    assert_eq!(claims["sub"], "c1");
    let other = SigningKey::generate(Alg::Es256).expect("other");
    assert_eq!(check(&access(), &token, &other), Err(Refusal::Signature));
}

#[test]
fn an_rs256_id_token_verifies_with_the_published_jwk_and_its_kid_is_the_thumbprint() {
    let key = rs256();
    let claims = json!({"iss": ISS, "sub": "a1", "aud": "client-1", "iat": NOW, "exp": NOW + 600,
                        "sid": "s1", "azp": "client-1"});
    let token = key.sign_id(&claims).expect("sign");
    // The JWK alone, as a relying party reads it from the JWKS.
    let published = PublicKey::from_jwk(key.public().jwk()).expect("jwk");
    assert_eq!(published.alg(), Alg::Rs256);
    assert_eq!(published.kid(), key.kid());
    assert_eq!(key.public().jwk()["alg"], "RS256");
    assert_eq!(thumbprint(key.public().jwk()).expect("thumbprint"), key.kid());
    let hint = Expectation::id_token_hint(ISS, "client-1", 0);
    let got: Value = hint.verify(&token, Some(&published), NOW).expect("valid");
    assert_eq!(got["sid"], "s1");
    // The same key from its stored form.
    let stored = SigningKey::from_pkcs8(Alg::Rs256, key.to_pkcs8_b64()).expect("stored");
    assert_eq!(stored.kid(), key.kid());
}

#[test]
fn the_rfc_7638_rsa_example_has_its_published_thumbprint() {
    let jwk = json!({"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
    assert_eq!(
        thumbprint(&jwk).expect("thumbprint"),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

#[test]
fn an_es256_key_stored_by_earlier_releases_loads_and_keeps_its_kid() {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::EncodePrivateKey;
    // How releases before ring stored keys: p256's PKCS#8 of a SecretKey, base64, and the
    // thumbprint of the JWK made from p256's coordinates.
    let secret = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).expect("scalar");
    let stored = base64::engine::general_purpose::STANDARD
        .encode(secret.to_pkcs8_der().expect("pkcs8").as_bytes());
    let point = secret.public_key().to_encoded_point(false);
    let (x, y) = (B64.encode(point.x().expect("x")), B64.encode(point.y().expect("y")));
    let old_kid =
        thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})).expect("thumbprint");
    let key = SigningKey::from_pkcs8(Alg::Es256, &stored).expect("ring reads p256's PKCS#8");
    assert_eq!(key.kid(), old_kid);
    assert_eq!(key.public().jwk()["x"], x.as_str());
    // A token signed with it verifies with p256 too, independently of ring.
    use p256::ecdsa::signature::Verifier;
    let token = key.sign_access(&access_claims()).expect("sign");
    let (input, sig) = token.rsplit_once('.').expect("jws");
    let sig = p256::ecdsa::Signature::from_slice(&B64.decode(sig).expect("b64")).expect("sig");
    let vk = p256::ecdsa::VerifyingKey::from(secret.public_key());
    assert!(vk.verify(input.as_bytes(), &sig).is_ok());
    assert!(SigningKey::from_pkcs8(Alg::Es256, "not a key").is_err());
    assert!(SigningKey::from_pkcs8(Alg::Rs256, &stored).is_err(), "an EC key is not RSA");
}

#[test]
fn jwks_keep_only_keys_this_provider_verifies_with() {
    let ec = es256().public().jwk().clone();
    let rsa = rs256().public().jwk().clone();
    let mut p384 = ec.clone();
    p384["crv"] = json!("P-384");
    let mut enc = ec.clone();
    enc["use"] = json!("enc");
    let mut mislabelled = ec.clone();
    mislabelled["alg"] = json!("HS256");
    let oct = json!({"kty": "oct", "k": "c2VjcmV0", "kid": "h"});
    let set = KeySet::from_jwks(&json!({"keys": [ec, rsa, p384, enc, mislabelled, oct]}));
    let algs: Vec<Alg> = set.0.iter().map(PublicKey::alg).collect();
    assert_eq!(algs, vec![Alg::Es256, Alg::Rs256]);
    assert!(set.find(Some(es256().kid())).is_some());
    assert!(set.find(Some("nope")).is_none());
    assert!(set.find(None).is_none(), "two keys: a token without kid names none");
    let one = KeySet(vec![es256().public().clone()]);
    assert!(one.find(None).is_some());
}

/// Signs `claims` under a header made by hand, with `key`'s private key.
fn forge(key: &SigningKey, head: Value, claims: &Value) -> String {
    key.sign(&header(head), claims).expect("sign")
}

#[test]
fn each_refusal_of_the_verifier_has_its_reason() {
    let key = es256();
    let kid = key.kid();
    let good = access_claims();
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        c
    };
    let without = |k: &str| {
        let mut c = good.clone();
        c.as_object_mut().expect("object").remove(k);
        c
    };
    let at = |h: Value| forge(key, h, &good);
    let cases: Vec<(&str, String, Refusal)> = vec![
        (
            "ID token typ",
            at(json!({"alg": "ES256", "typ": "JWT", "kid": kid})),
            Refusal::Type(Some("JWT".into())),
        ),
        ("no typ", at(json!({"alg": "ES256", "kid": kid})), Refusal::Type(None)),
        ("alg none", at(json!({"alg": "none", "typ": "at+jwt", "kid": kid})), Refusal::Malformed),
        ("alg ES384", at(json!({"alg": "ES384", "typ": "at+jwt", "kid": kid})), Refusal::Algorithm),
        (
            "crit",
            at(json!({"alg": "ES256", "typ": "at+jwt", "kid": kid, "crit": ["exp"], "exp": 1})),
            Refusal::Malformed,
        ),
        (
            "iss",
            key.sign_access(&with("iss", json!("https://evil.example"))).expect("sign"),
            Refusal::Issuer,
        ),
        (
            "aud",
            key.sign_access(&with("aud", json!("https://other.example"))).expect("sign"),
            Refusal::Audience,
        ),
        ("no aud", key.sign_access(&without("aud")).expect("sign"), Refusal::Claim("aud".into())),
        ("no sub", key.sign_access(&without("sub")).expect("sign"), Refusal::Claim("sub".into())),
        ("no exp", key.sign_access(&without("exp")).expect("sign"), Refusal::Claim("exp".into())),
        ("no iat", key.sign_access(&without("iat")).expect("sign"), Refusal::Claim("iat".into())),
        ("expired", key.sign_access(&with("exp", json!(NOW))).expect("sign"), Refusal::Expired),
        (
            "nbf ahead",
            key.sign_access(&with("nbf", json!(NOW + 61))).expect("sign"),
            Refusal::NotYetValid,
        ),
        (
            "iat ahead",
            key.sign_access(&with("iat", json!(NOW + 61))).expect("sign"),
            Refusal::IssuedInFuture,
        ),
        (
            "exp text",
            key.sign_access(&with("exp", json!("tomorrow"))).expect("sign"),
            Refusal::Claim("exp".into()),
        ),
    ];
    for (what, token, want) in cases {
        assert_eq!(check(&access(), &token, key).err(), Some(want), "{what}");
    }
    // Within the minute of skew, nbf and iat pass.
    let skewed = key.sign_access(&with("nbf", json!(NOW + 59))).expect("sign");
    assert!(check(&access(), &skewed, key).is_ok());
    // Tampered payload.
    let token = key.sign_access(&good).expect("sign");
    let (rest, sig) = token.rsplit_once('.').expect("jws");
    let (head, _) = rest.split_once('.').expect("jws");
    let tampered =
        format!("{head}.{}.{sig}", B64.encode(with("scope", json!("admin")).to_string()));
    assert_eq!(check(&access(), &tampered, key).err(), Some(Refusal::Signature));
    // No key for the kid.
    assert_eq!(access().verify::<Value>(&token, None, NOW).err(), Some(Refusal::UnknownKey));
    // Oversized.
    let long = "a".repeat(MAX_TOKEN_LEN + 1);
    assert_eq!(check(&access(), &long, key).err(), Some(Refusal::Malformed));
    assert!(key_id(&long).is_err());
    assert!(key_id("a.b").is_err());
}

#[test]
fn hs256_made_with_the_public_key_as_secret_is_refused() {
    let key = es256();
    let input = format!(
        "{}.{}",
        header(json!({"alg": "HS256", "typ": "at+jwt", "kid": key.kid()})),
        B64.encode(access_claims().to_string())
    );
    // The usual confusion attack: the verifier's public key bytes (the JWK's, or the point)
    // used as the HMAC secret.
    for secret in [key.public().jwk().to_string().into_bytes(), {
        let mut p = vec![4u8];
        p.extend(B64.decode(key.public().jwk()["x"].as_str().expect("x")).expect("x"));
        p.extend(B64.decode(key.public().jwk()["y"].as_str().expect("y")).expect("y"));
        p
    }] {
        let mac = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
            input.as_bytes(),
        );
        let token = format!("{input}.{}", B64.encode(mac.as_ref()));
        assert_eq!(check(&access(), &token, key).err(), Some(Refusal::Algorithm));
    }
}

#[test]
fn an_rs256_key_is_not_accepted_for_access_tokens_nor_an_es256_token_under_an_rsa_kid() {
    let token = rs256().sign_access(&access_claims()).expect("sign");
    assert_eq!(check(&access(), &token, rs256()).err(), Some(Refusal::Algorithm));
    // The header says ES256, the key it names is RSA: refused before any signature check.
    let es = es256()
        .sign_id(&json!({"iss": ISS, "sub": "a", "aud": "c", "iat": NOW, "exp": NOW + 9}))
        .expect("sign");
    let hint = Expectation::id_token_hint(ISS, "c", 0);
    assert_eq!(
        hint.verify::<Value>(&es, Some(rs256().public()), NOW).err(),
        Some(Refusal::Algorithm)
    );
}

#[test]
fn id_token_kinds_check_typ_audience_grace_and_nonce() {
    let key = es256();
    let id = json!({"iss": ISS, "sub": "a1", "aud": "client-1", "iat": NOW - 1000,
                    "exp": NOW - 100, "nonce": "n-1"});
    let token = key.sign_id(&id).expect("sign");
    let hint = |client: &str, grace: i64| Expectation::id_token_hint(ISS, client, grace);
    assert_eq!(check(&hint("client-1", 0), &token, key).err(), Some(Refusal::Expired));
    assert!(check(&hint("client-1", 101), &token, key).is_ok(), "within the grace");
    assert_eq!(check(&hint("client-2", 101), &token, key).err(), Some(Refusal::Audience));
    // An access token presented as a hint: wrong typ, even with every ID-token claim in it.
    let as_access = key.sign_access(&id).expect("sign");
    assert_eq!(
        check(&hint("client-1", 101), &as_access, key).err(),
        Some(Refusal::Type(Some("at+jwt".into())))
    );
    // Another provider's ID token: typ JWT or none, the nonce sent, a minute of skew on exp.
    let ext = |nonce: &str| Expectation::external_id_token(ISS, "client-1", nonce);
    let fresh = json!({"iss": ISS, "sub": "a1", "aud": ["client-1", "x"], "iat": NOW,
                       "exp": NOW - 30, "nonce": "n-1"});
    assert!(check(&ext("n-1"), &key.sign_id(&fresh).expect("sign"), key).is_ok());
    let untyped = forge(key, json!({"alg": "ES256", "kid": key.kid()}), &fresh);
    assert!(check(&ext("n-1"), &untyped, key).is_ok());
    assert_eq!(check(&ext("n-2"), &untyped, key).err(), Some(Refusal::Nonce));
    assert_eq!(
        check(&ext("n-1"), &key.sign_access(&fresh).expect("sign"), key).err(),
        Some(Refusal::Type(Some("at+jwt".into())))
    );
    assert_eq!(check(&ext("n-1"), &token, key).err(), Some(Refusal::Expired), "100 s > 60 s skew");
}

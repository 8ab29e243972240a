//! Every token check of the service goes through the verifier: access tokens at the resource
//! routes, introspection and revocation, and ID tokens presented back as logout hints. Tokens
//! are made here with the service's own keys, so that each refusal is tested with a token
//! signed by a key the service trusts (on SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL).

use std::sync::Arc;

use cqdt_audit::Audit;
use cqdt_platform::clock::{Clock, ManualClock};
use cqdt_testing::TestDb;
use serde_json::{json, Value};

use super::{Alg, Refusal};
use crate::model::{IdentityConfig, NewClient};
use crate::oauth::{AuthMethod, ClientCredentials, TokenRequest};
use crate::service::IdentityService;

const ISSUER: &str = "https://dichvucong.soctrang.gov.vn";

struct Fixture {
    service: IdentityService,
    clock: Arc<ManualClock>,
    _t: TestDb,
}

async fn start() -> Fixture {
    let t = TestDb::new().await;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let audit = Audit::new(t.db.clone(), clock.clone());
    let config = IdentityConfig::new(ISSUER).expect("config");
    let service =
        IdentityService::start(t.db.clone(), clock.clone(), audit, config).await.expect("service");
    Fixture { service, clock, _t: t }
}

impl Fixture {
    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    async fn client(&self, grant: &str, id_token_alg: Option<&str>) -> (String, Option<String>) {
        let created = self
            .service
            .add_client(
                "admin",
                "",
                &NewClient {
                    name: "Hệ thống một cửa".into(),
                    grants: vec![grant.into()],
                    redirect_uris: if grant == "authorization_code" {
                        vec!["https://mot-cua.example/cb".into()]
                    } else {
                        Vec::new()
                    },
                    public: false,
                    scopes: vec!["openid catalog:read".into()],
                    first_party: true,
                    id_token_signed_response_alg: id_token_alg.map(str::to_string),
                },
            )
            .await
            .expect("client");
        (created.client.client_id, created.secret.map(|s| s.expose().to_string()))
    }

    /// A client-credentials access token, as the token endpoint issues it.
    async fn access_token(&self) -> String {
        let (id, secret) = self.client("client_credentials", None).await;
        let creds = ClientCredentials {
            client_id: id,
            secret,
            method: AuthMethod::ClientSecretBasic,
            address: None,
        };
        let req = TokenRequest {
            grant_type: "client_credentials".into(),
            scope: None,
            params: Default::default(),
        };
        self.service.token(&creds, &req, "").await.expect("token").access_token
    }

    /// The claims of an ID token of this provider for `client_id`.
    fn id_claims(&self, client_id: &str) -> Value {
        let now = self.now();
        json!({"iss": ISSUER, "sub": "acc-1", "aud": client_id, "exp": now + 300, "iat": now,
               "auth_time": now, "amr": ["pwd"], "sid": "sess-1", "azp": client_id})
    }

    async fn sign_id(&self, alg: Alg, claims: &Value) -> String {
        let key = self.service.inner.keys.signer(alg).await.expect("key");
        key.sign_id(claims).expect("sign")
    }

    async fn hint(&self, token: &str, client_id: Option<&str>) -> Result<String, Refusal> {
        self.service.read_id_token_hint(token, client_id).await.map(|c| c.aud)
    }
}

#[tokio::test]
async fn an_access_token_is_refused_as_a_logout_hint() {
    let f = start().await;
    let (client, _) = f.client("authorization_code", None).await;
    let access = f.access_token().await;
    assert_eq!(f.hint(&access, None).await, Err(Refusal::Audience), "aud is the API, no client");
    // Even an access token carrying every ID-token claim, for the very client: its typ says
    // what it is.
    let keys = f.service.inner.keys.current();
    let disguised = keys.es256.sign_access(&f.id_claims(&client)).expect("sign");
    assert_eq!(f.hint(&disguised, Some(&client)).await, Err(Refusal::Type(Some("at+jwt".into()))));
    assert_eq!(f.hint(&disguised, None).await, Err(Refusal::Type(Some("at+jwt".into()))));
    // The ID token itself is accepted.
    let id = f.sign_id(Alg::Es256, &f.id_claims(&client)).await;
    assert_eq!(f.hint(&id, None).await.as_deref(), Ok(client.as_str()));
}

#[tokio::test]
async fn a_logout_hint_must_be_for_the_client_named_with_it_and_that_client_must_be_enabled() {
    let f = start().await;
    let (a, _) = f.client("authorization_code", None).await;
    let (b, _) = f.client("authorization_code", None).await;
    let for_a = f.sign_id(Alg::Es256, &f.id_claims(&a)).await;
    assert_eq!(f.hint(&for_a, Some(&a)).await.as_deref(), Ok(a.as_str()));
    assert_eq!(f.hint(&for_a, Some(&b)).await, Err(Refusal::Audience));
    assert_eq!(f.hint(&for_a, Some("unknown")).await, Err(Refusal::Audience));
    let for_nobody = f.sign_id(Alg::Es256, &f.id_claims("no-such-client")).await;
    assert_eq!(f.hint(&for_nobody, None).await, Err(Refusal::Audience));
    f.service.set_client_enabled("admin", "", &a, false).await.expect("disable");
    assert_eq!(f.hint(&for_a, None).await, Err(Refusal::Audience));
}

#[tokio::test]
async fn a_logout_hint_may_be_expired_for_the_life_of_a_refresh_token_but_not_more() {
    let f = start().await;
    let (client, _) = f.client("authorization_code", None).await;
    let id = f.sign_id(Alg::Es256, &f.id_claims(&client)).await;
    let grace = f.service.config().refresh_token_ttl.as_secs() as i64;
    f.clock.advance(chrono::Duration::seconds(300 + grace - 1));
    // The key that signed it is still the active one: the hint verifies.
    assert!(f.hint(&id, None).await.is_ok());
    f.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(f.hint(&id, None).await, Err(Refusal::Expired));
    // A wrong issuer, a kid nobody published, a forged signature.
    let mut other = f.id_claims(&client);
    other["iss"] = json!("https://evil.example");
    let other = f.sign_id(Alg::Es256, &other).await;
    assert_eq!(f.hint(&other, None).await, Err(Refusal::Issuer));
    let stranger = super::SigningKey::generate(Alg::Es256).expect("key");
    let forged = stranger.sign_id(&f.id_claims(&client)).expect("sign");
    assert_eq!(f.hint(&forged, None).await, Err(Refusal::UnknownKey));
}

#[tokio::test]
async fn an_rs256_client_gets_an_rsa_key_published_and_its_hints_verify() {
    let f = start().await;
    let jwks: Value = serde_json::from_str(&f.service.jwks()).expect("jwks");
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(1), "no RSA key until asked");
    let (client, _) = f.client("authorization_code", Some("RS256")).await;
    let jwks: Value = serde_json::from_str(&f.service.jwks()).expect("jwks");
    let ktys: Vec<&str> =
        jwks["keys"].as_array().expect("keys").iter().filter_map(|k| k["kty"].as_str()).collect();
    assert_eq!(ktys.len(), 2);
    assert!(ktys.contains(&"EC") && ktys.contains(&"RSA"), "{ktys:?}");
    let stored = f.service.client(&client).await.expect("read").expect("client");
    assert_eq!(stored.id_token_alg, Alg::Rs256);
    let id = f.sign_id(Alg::Rs256, &f.id_claims(&client)).await;
    assert_eq!(f.hint(&id, Some(&client)).await.as_deref(), Ok(client.as_str()));
    // Rotation replaces both keys; the RS256 token still verifies while its key retires.
    f.service.rotate_signing_key("admin", "").await.expect("rotate");
    assert_eq!(f.hint(&id, Some(&client)).await.as_deref(), Ok(client.as_str()));
    let jwks: Value = serde_json::from_str(&f.service.jwks()).expect("jwks");
    assert_eq!(jwks["keys"].as_array().map(Vec::len), Some(4));
    // Access tokens stay ES256 whatever the client's ID tokens use.
    let access = f.access_token().await;
    assert_eq!(
        super::verify::key_id(&access).ok().flatten().as_deref(),
        Some(f.service.active_kid().as_str())
    );
}

#[tokio::test]
async fn access_tokens_for_another_audience_not_yet_valid_or_typed_as_id_tokens_are_refused() {
    let f = start().await;
    let access = f.access_token().await;
    let claims = f.service.validate_access_token(&access).await.expect("validate").expect("valid");
    let keys = f.service.inner.keys.current();
    let with = |k: &str, v: Value| {
        let mut c = serde_json::to_value(&claims).expect("claims");
        c[k] = v;
        c
    };
    let cases = [
        ("another audience", keys.es256.sign_access(&with("aud", json!("https://other.example")))),
        ("not before a minute ahead", keys.es256.sign_access(&with("nbf", json!(f.now() + 120)))),
        ("typed as an ID token", keys.es256.sign_id(&serde_json::to_value(&claims).expect("c"))),
        ("another issuer", keys.es256.sign_access(&with("iss", json!("https://evil.example")))),
    ];
    for (what, token) in cases {
        let token = token.expect("sign");
        assert!(
            f.service.validate_access_token(&token).await.expect("validate").is_none(),
            "{what}"
        );
    }
    // Nor at introspection.
    let (id, secret) = f.client("client_credentials", None).await;
    let creds = ClientCredentials {
        client_id: id,
        secret,
        method: AuthMethod::ClientSecretBasic,
        address: None,
    };
    let wrong_aud =
        keys.es256.sign_access(&with("aud", json!("https://other.example"))).expect("s");
    let intro = f.service.introspect(&creds, &wrong_aud, None, "").await.expect("introspect");
    assert!(!intro.active);
}

#[tokio::test]
async fn a_database_from_before_ring_keeps_its_es256_key_and_the_tokens_it_signed_verify() {
    use base64::Engine;
    use p256::ecdsa::signature::Signer;
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::EncodePrivateKey;

    use crate::model::{KeyStatus, SigningKeyInfo, B64};
    // The row as releases with the p256 signer wrote it.
    let t = TestDb::new().await;
    let secret = p256::SecretKey::from_slice(&rand::random::<[u8; 32]>()).expect("scalar");
    let point = secret.public_key().to_encoded_point(false);
    let (x, y) = (B64.encode(point.x().expect("x")), B64.encode(point.y().expect("y")));
    let kid =
        super::thumbprint(&json!({"kty": "EC", "crv": "P-256", "x": x, "y": y})).expect("kid");
    let row = crate::store::KeyRow {
        info: SigningKeyInfo {
            kid: kid.clone(),
            alg: "ES256".into(),
            status: KeyStatus::Active,
            created_at: "2025-06-12T08:00:00Z".into(),
            retiring_at: None,
            retire_after: None,
            retired_at: None,
        },
        private_key_pkcs8: base64::engine::general_purpose::STANDARD
            .encode(secret.to_pkcs8_der().expect("pkcs8").as_bytes()),
        public_jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": kid, "use": "sig",
                           "alg": "ES256"})
        .to_string(),
    };
    let mut tx = t.db.begin().await.expect("tx");
    crate::store::insert_key(&mut tx, &row).await.expect("old key");
    tx.commit().await.expect("commit");
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let audit = Audit::new(t.db.clone(), clock.clone());
    let config = IdentityConfig::new(ISSUER).expect("config");
    let service = IdentityService::start(t.db.clone(), clock.clone(), audit, config)
        .await
        .expect("the upgraded service starts with the stored key");
    assert_eq!(service.active_kid(), kid, "the stored key still signs, under its kid");
    // A token the old signer made (its signatures were p256's, byte for byte).
    let now = clock.now().timestamp();
    let head = B64.encode(json!({"alg": "ES256", "typ": "at+jwt", "kid": kid}).to_string());
    let claims = json!({"iss": ISSUER, "sub": "c1", "aud": service.config().audience, "exp": now + 300,
                        "iat": now, "jti": "old-1", "scope": "", "client_id": "c1"});
    let input = format!("{head}.{}", B64.encode(claims.to_string()));
    let sig: p256::ecdsa::Signature = p256::ecdsa::SigningKey::from(&secret).sign(input.as_bytes());
    let old_token = format!("{input}.{}", B64.encode(sig.to_bytes()));
    let read =
        service.verified_access_claims(&old_token).await.expect("verifies after the upgrade");
    assert_eq!(read.jti, "old-1");
    let jwks: Value = serde_json::from_str(&service.jwks()).expect("jwks");
    assert_eq!(jwks["keys"][0]["kid"], kid.as_str());
}

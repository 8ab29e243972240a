//! Helpers for the identity tests: the identity routes served on a loopback port over a fresh
//! database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL), an HTTP client, an independent
//! ES256 verifier (p256 directly, not this crate's JWT code) and the PyJWT cross-check.

#![allow(dead_code)]

use std::sync::Arc;

use base64::Engine;
use cqdt_audit::{Audit, AuditRecord, Filter};
use cqdt_identity::http::{router, IdentityState};
use cqdt_identity::{CreatedClient, IdentityConfig, IdentityError, IdentityService, NewClient};
use cqdt_platform::web::{Metrics, Shell};
use cqdt_platform::{
    AdminCredentials, FileStore, JobQueue, Platform, RetryPolicy, Settings, SharedClock,
    SystemClock,
};
use cqdt_testing::TestDb;
use p256::ecdsa::signature::Verifier;
use reqwest::StatusCode;
use serde_json::Value;

/// Password of the bootstrap administrator in these tests.
pub const ADMIN_PASSWORD: &str = "mat-khau-quan-tri";

/// The identity routes, running.
pub struct Server {
    /// The base URL, also the issuer.
    pub base: String,
    /// The service behind the routes.
    pub identity: IdentityService,
    /// The audit log.
    pub audit: Audit,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The database (kept alive for the server's life).
    pub t: TestDb,
}

/// The machine clock, shared.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// Starts the routes with the default configuration and the machine clock.
pub async fn start() -> Server {
    start_with(system_clock(), |c| c).await
}

/// Starts the routes with a clock and a configuration tweak.
pub async fn start_with(
    clock: SharedClock,
    tweak: impl FnOnce(IdentityConfig) -> IdentityConfig,
) -> Server {
    let t = TestDb::new().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let config = tweak(IdentityConfig::new(&base).expect("config"));
    let audit = Audit::new(t.db.clone(), clock.clone());
    let identity = IdentityService::start(t.db.clone(), clock.clone(), audit.clone(), config)
        .await
        .expect("identity service");
    let settings = Settings::new(t.db.clone(), clock.clone());
    let admin = AdminCredentials::new(settings.clone());
    admin.set(ADMIN_PASSWORD).await.expect("admin password");
    let platform = Platform {
        db: t.db.clone(),
        clock: clock.clone(),
        jobs: JobQueue::new(t.db.clone(), clock.clone(), RetryPolicy::default()),
        files: FileStore::new(t.dir.join("files"), 1 << 20, t.db.clone(), clock.clone()),
        settings,
        admin,
        shell: Arc::new(Shell {
            instance_name: "tỉnh Sóc Trăng".into(),
            demo: false,
            modules: Vec::new(),
            tls: false,
            menu: &[],
            admin_sections: &[],
        }),
        metrics: Arc::new(Metrics::default()),
        auth: Default::default(),
    };
    let app = router(IdentityState {
        platform,
        identity: identity.clone(),
        audit: audit.clone(),
        agency_exists: Arc::new(|_: &str| true),
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Server { base, identity, audit, http: reqwest::Client::new(), t }
}

/// A registration for a system using client credentials with `scopes`.
pub fn system_client(name: &str, scopes: &str) -> NewClient {
    NewClient {
        name: name.into(),
        grants: vec!["client_credentials".into()],
        redirect_uris: Vec::new(),
        public: false,
        scopes: vec![scopes.into()],
        first_party: true,
        id_token_signed_response_alg: None,
    }
}

impl Server {
    /// Registers a client as the platform administrator, outside any request.
    pub async fn add_client(&self, new: &NewClient) -> Result<CreatedClient, IdentityError> {
        self.identity.add_client("admin", "", new).await
    }

    /// Registers a system client; returns its id and secret.
    pub async fn add_system(&self, scopes: &str) -> (String, String) {
        let created =
            self.add_client(&system_client("Hệ thống một cửa", scopes)).await.expect("add client");
        let secret = created.secret.expect("confidential client has a secret");
        (created.client.client_id, secret.expose().to_string())
    }

    /// The URL of a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs a form with HTTP Basic client authentication.
    pub async fn post_basic(
        &self,
        path: &str,
        id: &str,
        secret: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let res = self
            .http
            .post(self.url(path))
            .basic_auth(id, Some(secret))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        (status, headers, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// POSTs a form without HTTP authentication.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let res = self.http.post(self.url(path)).form(form).send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A client-credentials grant by HTTP Basic.
    pub async fn grant(&self, id: &str, secret: &str, scope: Option<&str>) -> (StatusCode, Value) {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        let (status, _, body) = self.post_basic("/oauth/token", id, secret, &form).await;
        (status, body)
    }

    /// A token that must be granted.
    pub async fn token(&self, id: &str, secret: &str) -> String {
        let (status, body) = self.grant(id, secret, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"].as_str().expect("access_token").to_string()
    }

    /// GETs JSON.
    pub async fn get_json(&self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let res = self.http.get(self.url(path)).send().await.expect("request");
        let status = res.status();
        let headers = res.headers().clone();
        (status, headers, res.json().await.unwrap_or(Value::Null))
    }

    /// Audit records whose action starts with `action`, newest first.
    pub async fn audit_records(&self, action: &str) -> Vec<AuditRecord> {
        self.audit
            .search(&Filter { action: Some(action.into()), ..Filter::default() }, None, 10_000)
            .await
            .expect("audit search")
    }
}

fn b64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

/// Verifies an ES256 JWT against a JWKS with p256 alone; returns the header and claims.
pub fn verify_with_p256(token: &str, jwks: &Value) -> Result<(Value, Value), String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("not three parts".into());
    }
    let header: Value = serde_json::from_slice(&b64(parts[0])).map_err(|e| e.to_string())?;
    if header["alg"] != "ES256" {
        return Err(format!("alg {}", header["alg"]));
    }
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["kid"] == kid))
        .ok_or_else(|| format!("kid {kid} not in the JWKS"))?;
    let mut sec1 = vec![4u8];
    sec1.extend(b64(jwk["x"].as_str().ok_or("x")?));
    sec1.extend(b64(jwk["y"].as_str().ok_or("y")?));
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).map_err(|e| e.to_string())?;
    let sig = p256::ecdsa::Signature::from_slice(&b64(parts[2])).map_err(|e| e.to_string())?;
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
        .map_err(|e| format!("bad signature: {e}"))?;
    let claims: Value = serde_json::from_slice(&b64(parts[1])).map_err(|e| e.to_string())?;
    Ok((header, claims))
}

/// What PyJWT said about a token.
pub enum PyJwt {
    /// Valid: PyJWT's output (`kid`, `header`, `claims`).
    Valid(Value),
    /// Refused, with PyJWT's reason.
    Invalid(String),
    /// PyJWT or cryptography is not installed (and not required).
    Skipped,
}

/// Verifies a token with PyJWT, fetching the JWKS from the running server. Panics when PyJWT
/// is missing and CQDT_REQUIRE_PYJWT is set.
pub async fn verify_with_pyjwt(token: &str, jwks_url: &str, issuer: &str, audience: &str) -> PyJwt {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/pyjwt_verify.py");
    // Asynchronous, so that the server on this runtime can answer PyJWT's JWKS request.
    let out = tokio::process::Command::new("python3")
        .args([script, jwks_url, issuer, audience])
        .env("CQDT_TOKEN", token)
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .await;
    let out = match out {
        Ok(o) => o,
        Err(e) => return skipped(&format!("cannot run python3: {e}")),
    };
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    match out.status.code() {
        Some(0) => PyJwt::Valid(serde_json::from_str(stdout.trim()).expect("PyJWT output")),
        Some(1) => PyJwt::Invalid(stdout.trim().to_string()),
        Some(3) => skipped(stdout.trim()),
        other => panic!("PyJWT check failed ({other:?}): {stdout}\n{stderr}"),
    }
}

fn skipped(why: &str) -> PyJwt {
    cqdt_testing::prerequisite(
        false,
        "the PyJWT cross-check",
        &format!("{why} (python3 -m pip install pyjwt cryptography)"),
        "CQDT_REQUIRE_PYJWT",
    );
    PyJwt::Skipped
}

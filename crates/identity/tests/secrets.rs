//! No client secret or access token is written to the logs or the audit log. This file holds
//! one test in its own test binary, because it installs a process-wide log collector (in the
//! shared `it` binary it would collect every other test's logs too).

#[path = "it/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{start, system_client};
use reqwest::StatusCode;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_or_token_appears_in_the_logs_or_the_audit_log() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .init();

    let s = start().await;
    let created = s
        .identity
        .add_client("admin", "", &system_client("Hệ thống một cửa", "catalog:read"))
        .await
        .expect("add");
    let id = created.client.client_id.clone();
    let secret = created.secret.expect("secret").expose().to_string();
    let token = s.token(&id, &secret).await;
    let (status, body) = s
        .post_form(
            "/oauth/token",
            &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let token2 = body["access_token"].as_str().expect("token").to_string();
    let wrong = "cqdtcs_this-is-a-wrong-secret-that-must-not-be-logged";
    for _ in 0..6 {
        s.grant(&id, wrong, None).await;
    }
    s.post_basic("/oauth/introspect", &id, wrong, &[("token", &token)]).await;
    let rotated = s
        .identity
        .rotate_client_secret("admin", "", &id)
        .await
        .expect("rotate")
        .expose()
        .to_string();
    s.post_basic("/oauth/introspect", &id, &rotated, &[("token", &token)]).await;
    s.post_basic("/oauth/revoke", &id, &rotated, &[("token", &token2)]).await;
    s.identity.disable_client("admin", "", &id).await.expect("disable");

    // Events recorded in business transactions are chained in the background; read them all.
    s.audit.chain_pending().await.expect("chain");
    let audit: Vec<String> = sqlx::query_as::<
        _,
        (String, String, String, Option<String>, Option<String>, Option<String>),
    >(
        "SELECT actor, action, object_type, object_id, request_id, details FROM audit_log",
    )
    .fetch_all(s.t.db.pool())
    .await
    .expect("audit rows")
    .into_iter()
    .map(|r| format!("{r:?}"))
    .collect();
    assert!(audit.len() >= 8, "{audit:#?}");
    let audit = audit.join("\n");
    let logs =
        String::from_utf8_lossy(&logs.0.lock().map(|b| b.clone()).unwrap_or_default()).to_string();
    assert!(logs.contains(&id), "the collector sees the identity module's logs");
    for (what, needle) in [
        ("secret", secret.as_str()),
        ("rotated secret", rotated.as_str()),
        ("wrong secret", wrong),
        ("access token", token.as_str()),
        ("access token", token2.as_str()),
        // The signature part alone must not leak either.
        ("token signature", token.rsplit('.').next().unwrap_or("x")),
    ] {
        assert!(!audit.contains(needle), "{what} in the audit log");
        assert!(!logs.contains(needle), "{what} in the logs");
    }
    let private_keys: Vec<String> =
        sqlx::query_scalar("SELECT private_key_pkcs8 FROM oidc_signing_keys")
            .fetch_all(s.t.db.pool())
            .await
            .expect("keys");
    for k in private_keys {
        assert!(!logs.contains(&k) && !audit.contains(&k), "private key leaked");
    }
}

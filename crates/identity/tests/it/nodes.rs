//! Several cqdt nodes sharing one database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL):
//! they agree on the first signing key and follow each other's rotations.

use crate::common::{system_client, system_clock};
use cqdt_audit::Audit;
use cqdt_identity::{ClientCredentials, IdentityConfig, IdentityService, TokenRequest};
use cqdt_testing::TestDb;

async fn node(t: &TestDb) -> IdentityService {
    let clock = system_clock();
    IdentityService::start(
        t.db.clone(),
        clock.clone(),
        Audit::new(t.db.clone(), clock),
        IdentityConfig::new("https://cqdt.example").expect("config"),
    )
    .await
    .expect("node")
}

#[tokio::test]
async fn two_nodes_sharing_a_database_agree_on_keys_and_follow_each_others_rotations() {
    let t = TestDb::new().await;
    let (a, b) = tokio::join!(node(&t), node(&t));
    assert_eq!(a.active_kid(), b.active_kid(), "one first key, whoever made it");
    let active: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM oidc_signing_keys WHERE status = 'active'")
            .fetch_one(t.db.pool())
            .await
            .expect("count");
    assert_eq!(active, 1);

    let created = a
        .add_client("admin", "", &system_client("Hệ thống một cửa", "catalog:read"))
        .await
        .expect("client");
    let creds = ClientCredentials {
        client_id: created.client.client_id.clone(),
        secret: created.secret.map(|s| s.expose().to_string()),
        method: cqdt_identity::AuthMethod::ClientSecretPost,
        address: None,
    };
    let req = TokenRequest {
        grant_type: "client_credentials".into(),
        scope: None,
        params: Default::default(),
    };
    let first = a.token(&creds, &req, "").await.expect("token on a");
    assert!(b.validate_access_token(&first.access_token).await.expect("validate").is_some());
    // Node b issues too, with the same key.
    let from_b = b.token(&creds, &req, "").await.expect("token on b");
    assert!(a.validate_access_token(&from_b.access_token).await.expect("validate").is_some());

    let rotated = a.rotate_signing_key("admin", "").await.expect("rotate");
    let second = a.token(&creds, &req, "").await.expect("token after rotation");
    // b has not reread its keys yet; an unknown kid makes it do so.
    assert!(!b.jwks().contains(&rotated.kid));
    let claims = b
        .validate_access_token(&second.access_token)
        .await
        .expect("validate")
        .expect("b accepts a token signed with a's new key");
    assert_eq!(claims.client_id, created.client.client_id);
    assert!(b.jwks().contains(&rotated.kid));
    assert_eq!(b.active_kid(), rotated.kid);
}

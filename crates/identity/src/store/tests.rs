//! Round trips through the identity tables on the test backend (SQLite, or PostgreSQL with
//! `CQDT_TEST_DATABASE_URL`): every column written comes back as it went in.

use std::collections::BTreeSet;

use cqdt_platform::{Role, RoleGrant};
use cqdt_testing::TestDb;

use super::accounts::{self as st, AuthCodeRow, RefreshRow, SessionRow};
use super::*;
use crate::account::{Account, AccountKind, AccountStatus};
use crate::model::ClientSecret;

fn person(name: &str, personal_id: &str) -> Account {
    let mut a = Account::blank(AccountKind::Citizen, name.into(), "2025-06-12T08:00:00Z", "self");
    a.personal_id = Some(personal_id.into());
    a.birth_date = Some("1990-01-31".into());
    a.phone = Some(format!("+8490{}", &personal_id[..7]));
    a.email = Some(format!("{personal_id}@example.vn"));
    a.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into());
    a.recovery_codes = vec!["d1".into(), "d2".into()];
    a.totp_last_step = 7;
    a.failed_logins = 2;
    a.locked_until = Some("2025-06-12T08:15:00Z".into());
    a.status = AccountStatus::Active;
    a
}

fn business(name: &str, tax_code: &str) -> Account {
    let mut b = Account::blank(AccountKind::Business, name.into(), "2025-06-12T08:00:00Z", "self");
    b.tax_code = Some(tax_code.into());
    b.legal_representative = Some("Nguyễn Văn An".into());
    b
}

fn same(a: &Account, b: &Account) {
    // Account has no PartialEq (it holds secrets); its JSON form plus the skipped fields says
    // everything that is stored.
    assert_eq!(serde_json::to_value(a).unwrap(), serde_json::to_value(b).unwrap());
    assert_eq!(a.password_hash, b.password_hash);
    assert_eq!(a.totp_secret, b.totp_secret);
    assert_eq!(a.totp_last_step, b.totp_last_step);
    assert_eq!(a.recovery_codes, b.recovery_codes);
}

#[tokio::test]
async fn an_account_reads_back_as_written_and_updates_in_place() {
    let t = TestDb::new().await;
    let a = person("Nguyễn Văn An", "079090001234");
    let mut tx = t.db.begin().await.unwrap();
    st::insert_account(&mut tx, &a).await.unwrap();
    tx.commit().await.unwrap();
    let read =
        st::account_by(t.db.pool(), "personal_id", "079090001234").await.unwrap().expect("stored");
    same(&a, &read);
    assert_eq!(read.kind, AccountKind::Citizen);
    assert_eq!(read.status, AccountStatus::Active);

    let mut changed = read;
    changed.address = Some("Số 12 đường Trần Hưng Đạo".into());
    changed.totp_secret = Some("JBSWY3DPEHPK3PXP".into());
    changed.recovery_codes.clear();
    changed.locked_until = None;
    let mut tx = t.db.begin().await.unwrap();
    st::update_account(&mut tx, &changed).await.unwrap();
    tx.commit().await.unwrap();
    let again = st::account_by(t.db.pool(), "id", &a.id).await.unwrap().expect("stored");
    same(&changed, &again);
    let found =
        st::search_accounts(t.db.pool(), Some(AccountKind::Citizen), "văn an", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert!(st::search_accounts(t.db.pool(), Some(AccountKind::Official), "", 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_person_sees_their_businesses_by_name_with_the_relation() {
    let t = TestDb::new().await;
    let p = person("Trần Thị Bình", "079190005678");
    let other = person("Lê Văn Cường", "079090009999");
    let b1 = business("Công ty TNHH Sóc Trăng Xanh", "2200123456");
    let b2 = business("Công ty CP An Phú", "2200654321");
    let b3 = business("Hợp tác xã Mỹ Xuyên", "2200111111");
    let mut tx = t.db.begin().await.unwrap();
    for a in [&p, &other, &b1, &b2, &b3] {
        st::insert_account(&mut tx, a).await.unwrap();
    }
    let now = "2025-06-12T09:00:00Z";
    st::insert_member(&mut tx, &b1.id, &p.id, "legal_representative", now).await.unwrap();
    st::insert_member(&mut tx, &b2.id, &p.id, "authorised", now).await.unwrap();
    st::insert_member(&mut tx, &b3.id, &other.id, "legal_representative", now).await.unwrap();
    tx.commit().await.unwrap();
    let mine = st::businesses_of(t.db.pool(), &p.id).await.unwrap();
    let names: Vec<(&str, &str)> =
        mine.iter().map(|(b, r)| (b.full_name.as_str(), r.as_str())).collect();
    assert_eq!(
        names,
        [
            ("Công ty CP An Phú", "authorised"),
            ("Công ty TNHH Sóc Trăng Xanh", "legal_representative"),
        ]
    );
    same(&mine[1].0, &b1);
    assert_eq!(mine[1].0.kind, AccountKind::Business);
}

#[tokio::test]
async fn roles_read_back_and_an_unknown_stored_role_grants_nothing() {
    let t = TestDb::new().await;
    let a = person("Phạm Văn Dũng", "079090002222");
    let grant = RoleGrant { role: Role::Leader, agency: "000.00.03.H51".into(), subtree: true };
    let mut tx = t.db.begin().await.unwrap();
    st::insert_account(&mut tx, &a).await.unwrap();
    assert!(st::insert_grant(&mut tx, &a.id, &grant, "2025-06-12T09:00:00Z", "admin")
        .await
        .unwrap());
    assert!(!st::insert_grant(&mut tx, &a.id, &grant, "2025-06-12T09:00:00Z", "admin")
        .await
        .unwrap());
    sqlx::query(
        "INSERT INTO account_roles (account_id, role, agency_code, subtree, granted_at, granted_by) \
         VALUES ($1, 'astronaut', '000.00.03.H51', 0, '2025-06-12T09:00:00Z', 'hand edit')",
    )
    .bind(&a.id)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let grants = st::grants(t.db.pool(), &a.id).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].grant, grant);
    assert_eq!(grants[0].granted_by, "admin");
}

fn session(account_id: &str, n: u8, created_at: &str) -> SessionRow {
    SessionRow {
        id_hash: format!("hash-{n}"),
        public_id: format!("public-{n}"),
        account_id: account_id.into(),
        stage: "full".into(),
        amr: "pwd otp".into(),
        created_at: created_at.into(),
        auth_time: created_at.into(),
        last_seen_at: created_at.into(),
        expires_at: "2025-06-12T20:00:00Z".into(),
        ip: "203.0.113.7".into(),
        user_agent: "Mozilla/5.0".into(),
        revoked_at: None,
    }
}

#[tokio::test]
async fn sessions_read_back_and_end() {
    let t = TestDb::new().await;
    let mut tx = t.db.begin().await.unwrap();
    st::insert_session(&mut tx, &session("acc", 1, "2025-06-12T08:00:00Z")).await.unwrap();
    st::insert_session(&mut tx, &session("acc", 2, "2025-06-12T09:00:00Z")).await.unwrap();
    tx.commit().await.unwrap();
    let s = st::session(t.db.pool(), "hash-1").await.unwrap().unwrap();
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        serde_json::to_value(session("acc", 1, "2025-06-12T08:00:00Z")).unwrap()
    );
    assert_eq!(s.id_hash, "hash-1");
    let by_public = st::session_by_public_id(t.db.pool(), "public-2").await.unwrap().unwrap();
    assert_eq!(by_public.id_hash, "hash-2");
    let open = st::open_sessions(t.db.pool(), "acc", "2025-06-12T10:00:00Z").await.unwrap();
    let ids: Vec<&str> = open.iter().map(|s| s.public_id.as_str()).collect();
    assert_eq!(ids, ["public-2", "public-1"]);
    let mut tx = t.db.begin().await.unwrap();
    assert!(st::revoke_session(&mut tx, "acc", "public-1", "2025-06-12T10:00:00Z").await.unwrap());
    tx.commit().await.unwrap();
    let s = st::session(t.db.pool(), "hash-1").await.unwrap().unwrap();
    assert_eq!(s.revoked_at.as_deref(), Some("2025-06-12T10:00:00Z"));
}

#[tokio::test]
async fn codes_and_refresh_tokens_read_back_and_a_family_is_revoked_with_its_access_tokens() {
    let t = TestDb::new().await;
    let code = AuthCodeRow {
        code_hash: "code-hash".into(),
        client_id: "client".into(),
        account_id: "acc".into(),
        session_id: "public-1".into(),
        redirect_uri: "https://app.example/cb".into(),
        scope: "openid profile".into(),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        auth_time: "2025-06-12T08:00:00Z".into(),
        amr: "pwd".into(),
        family: "fam".into(),
        created_at: "2025-06-12T08:00:00Z".into(),
        expires_at: "2025-06-12T08:01:00Z".into(),
        used_at: None,
    };
    let refresh = |n: u8, access_exp: &str| RefreshRow {
        token_hash: format!("refresh-{n}"),
        family: "fam".into(),
        client_id: "client".into(),
        account_id: "acc".into(),
        session_id: "public-1".into(),
        scope: "openid".into(),
        auth_time: "2025-06-12T08:00:00Z".into(),
        amr: "pwd".into(),
        access_jti: format!("jti-{n}"),
        access_exp: access_exp.into(),
        created_at: "2025-06-12T08:00:00Z".into(),
        expires_at: "2025-07-12T08:00:00Z".into(),
        used_at: None,
        revoked_at: None,
    };
    let mut tx = t.db.begin().await.unwrap();
    st::insert_auth_code(&mut tx, &code).await.unwrap();
    let read = st::auth_code(&mut tx, "code-hash").await.unwrap().unwrap();
    assert_eq!(format!("{read:?}"), format!("{code:?}"));
    assert!(st::use_auth_code(&mut tx, "code-hash", "2025-06-12T08:00:30Z").await.unwrap());
    assert!(!st::use_auth_code(&mut tx, "code-hash", "2025-06-12T08:00:31Z").await.unwrap());
    // One access token has expired, two have not.
    st::insert_refresh(&mut tx, &refresh(1, "2025-06-12T08:05:00Z")).await.unwrap();
    st::insert_refresh(&mut tx, &refresh(2, "2025-06-12T09:05:00Z")).await.unwrap();
    st::insert_refresh(&mut tx, &refresh(3, "2025-06-12T09:06:00Z")).await.unwrap();
    let read = st::refresh(&mut tx, "refresh-2").await.unwrap().unwrap();
    assert_eq!(format!("{read:?}"), format!("{:?}", refresh(2, "2025-06-12T09:05:00Z")));
    let now = "2025-06-12T09:00:00Z";
    let mut live = st::revoke_family(&mut tx, "fam", now).await.unwrap();
    live.sort();
    assert_eq!(
        live,
        [
            ("jti-2".to_string(), "2025-06-12T09:05:00Z".to_string()),
            ("jti-3".to_string(), "2025-06-12T09:06:00Z".to_string()),
        ]
    );
    insert_revoked_many(&mut tx, &live, "", now, "logout").await.unwrap();
    // Revoking again (a second logout racing the first) changes nothing.
    insert_revoked_many(&mut tx, &live, "", now, "logout").await.unwrap();
    assert!(st::refresh(&mut tx, "refresh-1").await.unwrap().unwrap().revoked_at.is_some());
    tx.commit().await.unwrap();
    assert!(is_revoked(&t.db, "jti-2").await.unwrap());
    assert!(is_revoked(&t.db, "jti-3").await.unwrap());
    assert!(!is_revoked(&t.db, "jti-1").await.unwrap());
}

#[tokio::test]
async fn a_client_reads_back_as_registered() {
    let t = TestDb::new().await;
    let secret = ClientSecret::generate();
    let client = OAuthClient {
        client_id: "c1".into(),
        name: "Hệ thống một cửa".into(),
        secret_hash: Some(secret.hash()),
        public: false,
        grants: BTreeSet::from([Grant::AuthorizationCode, Grant::ClientCredentials]),
        redirect_uris: vec![
            RedirectUri::parse("https://motcua.example/cb").unwrap(),
            RedirectUri::parse("http://127.0.0.1:8080/cb").unwrap(),
        ],
        scopes: Scopes::parse("dossiers:read catalog:read").unwrap(),
        first_party: true,
        enabled: true,
        created_at: "2025-06-12T08:00:00Z".into(),
        created_by: "admin".into(),
        updated_at: "2025-06-12T08:00:00Z".into(),
        secret_rotated_at: None,
        id_token_alg: Alg::Rs256,
    };
    let mut tx = t.db.begin().await.unwrap();
    insert_client(&mut tx, &client).await.unwrap();
    tx.commit().await.unwrap();
    let read = get_client(&t.db, "c1").await.unwrap().unwrap();
    assert_eq!(serde_json::to_value(&read).unwrap(), serde_json::to_value(&client).unwrap());
    assert!(read.secret_hash.unwrap().verify(secret.expose()));
    assert_eq!(list_clients(&t.db).await.unwrap().len(), 1);
}

fn key(kid: &str, status: KeyStatus, retire_after: Option<&str>) -> KeyRow {
    KeyRow {
        info: SigningKeyInfo {
            kid: kid.into(),
            alg: "ES256".into(),
            status,
            created_at: format!("2025-06-1{}T08:00:00Z", kid.len()),
            retiring_at: retire_after.map(|_| "2025-06-12T08:00:00Z".to_string()),
            retire_after: retire_after.map(str::to_string),
            retired_at: None,
        },
        private_key_pkcs8: "cHJpdmF0ZQ".into(),
        public_jwk: "{}".into(),
    }
}

#[tokio::test]
async fn retiring_keys_whose_tokens_expired_are_retired_together() {
    let t = TestDb::new().await;
    let mut tx = t.db.begin().await.unwrap();
    for k in [
        key("a", KeyStatus::Retiring, Some("2025-06-12T08:05:00Z")),
        key("bb", KeyStatus::Retiring, Some("2025-06-12T08:06:00Z")),
        key("ccc", KeyStatus::Retiring, Some("2025-06-12T10:00:00Z")),
        key("dddd", KeyStatus::Active, None),
    ] {
        insert_key(&mut tx, &k).await.unwrap();
    }
    let mut retired = retire_expired(&mut tx, "2025-06-12T09:00:00Z").await.unwrap();
    retired.sort();
    assert_eq!(retired, ["a", "bb"]);
    assert!(retire_expired(&mut tx, "2025-06-12T09:00:00Z").await.unwrap().is_empty());
    tx.commit().await.unwrap();
    let all =
        keys(&t.db, &[KeyStatus::Active, KeyStatus::Retiring, KeyStatus::Retired]).await.unwrap();
    let states: Vec<(&str, KeyStatus, Option<&str>)> = all
        .iter()
        .map(|k| (k.info.kid.as_str(), k.info.status, k.info.retired_at.as_deref()))
        .collect();
    assert_eq!(
        states,
        [
            ("dddd", KeyStatus::Active, None),
            ("ccc", KeyStatus::Retiring, None),
            ("bb", KeyStatus::Retired, Some("2025-06-12T09:00:00Z")),
            ("a", KeyStatus::Retired, Some("2025-06-12T09:00:00Z")),
        ]
    );
    assert_eq!(all[0].private_key_pkcs8, "cHJpdmF0ZQ");
}

#[tokio::test]
async fn one_key_per_algorithm_is_active_and_only_its_own_algorithm_retires() {
    let t = TestDb::new().await;
    let rsa = |kid: &str| {
        let mut k = key(kid, KeyStatus::Active, None);
        k.info.alg = "RS256".into();
        k
    };
    let mut tx = t.db.begin().await.unwrap();
    insert_key(&mut tx, &key("e1", KeyStatus::Active, None)).await.unwrap();
    insert_key(&mut tx, &rsa("r1")).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = t.db.begin().await.unwrap();
    assert!(insert_key(&mut tx, &rsa("r2")).await.is_err(), "a second active RS256 key");
    drop(tx);
    let mut tx = t.db.begin().await.unwrap();
    let old = retire_active(&mut tx, "RS256", "2025-06-12T09:00:00Z", "2025-06-12T10:00:00Z");
    assert_eq!(old.await.unwrap().as_deref(), Some("r1"));
    insert_key(&mut tx, &rsa("r2")).await.unwrap();
    tx.commit().await.unwrap();
    let active: Vec<String> =
        keys(&t.db, &[KeyStatus::Active]).await.unwrap().into_iter().map(|k| k.info.kid).collect();
    assert_eq!(active.len(), 2);
    assert!(active.contains(&"e1".to_string()) && active.contains(&"r2".to_string()));
}

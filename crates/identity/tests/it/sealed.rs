//! Secrets at rest (issue 13 item 18): TOTP secrets and signing keys sealed under the
//! key-encryption key, sealed at start when an older release left them in clear, resealed by a
//! rotation, refused under a wrong key, absent in clear from backups; recovery codes of 80 bits
//! under a slow hash, and those of an earlier release still honoured.

use std::io::Read;
use std::sync::Arc;

use cqdt_audit::Audit;
use cqdt_identity::account::{Account, NewOfficial};
use cqdt_identity::login::{Client, Stage};
use cqdt_identity::store::sealed::SealedColumn;
use cqdt_identity::{totp, IdentityConfig, IdentityError, IdentityService};
use cqdt_platform::sealing::Sealer;
use cqdt_platform::{Clock, ManualClock, SharedClock};
use cqdt_testing::TestDb;
use sha2::Digest;

const PASSWORD: &str = "Khoá-mạnh-để-thử-2026";
/// The TOTP secret of the test official, base32.
const SECRET: &str = "KRSXG5CTMVRXEZLUKRXXI4BAONSWG4TF";

fn kek(byte: u8) -> Sealer {
    Sealer::new([byte; 32], &[])
}

/// A shared clock, moved a minute on before each sign-in so that each TOTP code is new.
fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(chrono::Utc::now()))
}

async fn node(
    t: &TestDb,
    clock: &Arc<ManualClock>,
    sealer: Sealer,
) -> Result<IdentityService, IdentityError> {
    let shared: SharedClock = clock.clone();
    let mut config = IdentityConfig::new("https://cqdt.example").expect("config");
    config.sealer = sealer;
    IdentityService::start(t.db.clone(), shared.clone(), Audit::new(t.db.clone(), shared), config)
        .await
}

async fn official(id: &IdentityService, username: &str, secret: Option<&str>) -> Account {
    let o = NewOfficial {
        username: username.into(),
        full_name: "Trần Thị Bảo Mật".into(),
        email: format!("{username}@soctrang.gov.vn"),
        phone: None,
        agency_code: "STP".into(),
        roles: Vec::new(),
    };
    id.create_official_with_password(&o, PASSWORD, secret).await.expect("official")
}

/// Password, then `code` (a TOTP code when `None`) as the second factor.
async fn sign_in(
    id: &IdentityService,
    clock: &ManualClock,
    username: &str,
    code: Option<&str>,
) -> Result<Account, IdentityError> {
    clock.advance(chrono::Duration::seconds(60));
    let s = id.login_password(username, PASSWORD, &Client::default()).await?;
    assert_eq!(s.stage, Stage::SecondFactor);
    let code = match code {
        Some(c) => c.to_string(),
        None => totp::code(SECRET, clock.now().timestamp()).expect("code"),
    };
    id.second_factor(&s.cookie, &code, &Client::default()).await
}

async fn stored_totp(t: &TestDb, username: &str) -> String {
    sqlx::query_scalar("SELECT totp_secret FROM accounts WHERE username = $1")
        .bind(username)
        .fetch_one(t.db.pool())
        .await
        .expect("totp_secret")
}

/// Each signing key: kid, the stored private part, and that part opened with `kek(1)`.
async fn stored_keys(t: &TestDb) -> Vec<(String, String, String)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT kid, private_key_pkcs8 FROM oidc_signing_keys ORDER BY kid")
            .fetch_all(t.db.pool())
            .await
            .expect("keys");
    rows.into_iter()
        .map(|(kid, stored)| {
            let context = SealedColumn::PrivateKey.context(&kid);
            let clear = kek(1).open_text(&context, &stored).unwrap_or_default();
            (kid, stored, clear)
        })
        .collect()
}

/// A fresh database and clock, the service on it under `kek(1)`, and an official with
/// `SECRET` as TOTP secret.
async fn with_official(username: &str) -> (TestDb, Arc<ManualClock>, IdentityService) {
    let t = TestDb::new().await;
    let c = clock();
    let id = node(&t, &c, kek(1)).await.expect("start");
    official(&id, username, Some(SECRET)).await;
    (t, c, id)
}

async fn set_column(t: &TestDb, sql: &str, value: &str, key: &str) {
    sqlx::query(sql).bind(value).bind(key).execute(t.db.pool()).await.expect("update");
}

#[tokio::test]
async fn totp_secrets_and_signing_keys_are_stored_sealed_and_totp_sign_in_still_works() {
    let (t, c, id) = with_official("cb.baomat").await;
    let stored = stored_totp(&t, "cb.baomat").await;
    assert!(stored.starts_with("sealed:v1:"), "{stored}");
    assert!(!stored.contains(SECRET));
    for (kid, private, clear) in stored_keys(&t).await {
        assert!(private.starts_with("sealed:v1:"), "{kid}: {private}");
        assert!(clear.len() > 40 && !private.contains(&clear), "{kid} opens");
    }
    let a = sign_in(&id, &c, "cb.baomat", None).await.expect("signed in with TOTP");
    assert_eq!(a.username.as_deref(), Some("cb.baomat"));
    assert!(sign_in(&id, &c, "cb.baomat", Some("000000")).await.is_err());
}

#[tokio::test]
async fn secrets_an_earlier_release_stored_in_clear_are_sealed_at_start_and_still_work() {
    let (t, c, first) = with_official("cb.nangcap").await;
    let kid = first.active_kid();
    // What the previous release left: both columns in clear.
    for (kid, _, clear) in stored_keys(&t).await {
        set_column(
            &t,
            "UPDATE oidc_signing_keys SET private_key_pkcs8 = $1 WHERE kid = $2",
            &clear,
            &kid,
        )
        .await;
    }
    set_column(
        &t,
        "UPDATE accounts SET totp_secret = $1 WHERE username = $2",
        SECRET,
        "cb.nangcap",
    )
    .await;
    drop(first);

    let id = node(&t, &c, kek(1)).await.expect("upgraded start");
    assert_eq!(id.active_kid(), kid, "the same signing key, not a new one");
    let stored = stored_totp(&t, "cb.nangcap").await;
    assert!(stored.starts_with("sealed:v1:") && !stored.contains(SECRET), "{stored}");
    for (kid, private, _) in stored_keys(&t).await {
        assert!(private.starts_with("sealed:v1:"), "{kid} sealed at start");
    }
    sign_in(&id, &c, "cb.nangcap", None).await.expect("TOTP after the upgrade");
}

#[tokio::test]
async fn rotating_the_kek_reseals_every_secret_and_the_old_key_is_no_longer_needed() {
    let (t, c, id) = with_official("cb.xoayvong").await;
    drop(id);

    let both = Sealer::new([2; 32], &[[1; 32]]);
    let id = node(&t, &c, both).await.expect("new key with the old one to open");
    sign_in(&id, &c, "cb.xoayvong", None).await.expect("TOTP during the rotation");
    let done = id.rewrap_secrets("cli").await.expect("rewrap");
    assert_eq!(done.totp_secrets, 1);
    assert!(done.signing_keys >= 1);
    let again = id.rewrap_secrets("cli").await.expect("rewrap again");
    assert_eq!((again.totp_secrets, again.signing_keys), (0, 0), "nothing left to reseal");
    drop(id);

    let id = node(&t, &c, kek(2)).await.expect("the new key alone");
    sign_in(&id, &c, "cb.xoayvong", None).await.expect("TOTP after the rotation");
    let stored = stored_totp(&t, "cb.xoayvong").await;
    assert!(stored.starts_with(&format!("sealed:v1:{}:", kek(2).current_id())), "{stored}");
    drop(id);
    let e = node(&t, &c, kek(1)).await.err().expect("the old key alone no longer opens them");
    assert!(e.to_string().contains(kek(2).current_id()), "{e}");
}

#[tokio::test]
async fn a_wrong_kek_stops_the_start_with_a_clear_error() {
    let t = TestDb::new().await;
    let c = clock();
    drop(node(&t, &c, kek(1)).await.expect("start"));
    let e = node(&t, &c, kek(3)).await.err().expect("refused");
    let text = e.to_string();
    assert!(text.contains(kek(1).current_id()) && text.contains("CQDT_KEK"), "{text}");
}

#[tokio::test]
async fn a_sealed_totp_secret_copied_into_another_account_does_not_open() {
    let (t, c, id) = with_official("cb.nannhan").await;
    official(&id, "cb.kegian", Some("JBSWY3DPEHPK3PXP")).await;
    let victims = stored_totp(&t, "cb.nannhan").await;
    set_column(
        &t,
        "UPDATE accounts SET totp_secret = $1 WHERE username = $2",
        &victims,
        "cb.kegian",
    )
    .await;
    assert!(sign_in(&id, &c, "cb.kegian", None).await.is_err());
}

#[tokio::test]
async fn recovery_codes_have_80_bits_are_stored_under_argon2_and_old_ones_still_work() {
    let t = TestDb::new().await;
    let c = clock();
    let id = node(&t, &c, kek(1)).await.expect("start");
    let a = official(&id, "cb.khoiphuc", None).await;
    let (secret, _) = id.begin_totp(&a.id).await.expect("begin");
    c.advance(chrono::Duration::seconds(60));
    let code = totp::code(&secret, c.now().timestamp()).expect("code");
    let codes = id.confirm_totp(&a.id, &code, None, &Client::default()).await.expect("confirm");
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.replace('-', "").len() == 16), "{codes:?}");
    let stored: String = sqlx::query_scalar("SELECT recovery_codes FROM accounts WHERE id = $1")
        .bind(&a.id)
        .fetch_one(t.db.pool())
        .await
        .expect("codes");
    let stored: Vec<String> = serde_json::from_str(&stored).expect("json");
    assert!(stored.iter().all(|s| s.starts_with("rc2$")), "{stored:?}");
    let stored_totp = stored_totp(&t, "cb.khoiphuc").await;
    assert!(stored_totp.starts_with("sealed:v1:") && !stored_totp.contains(&secret));

    sign_in(&id, &c, "cb.khoiphuc", Some(&codes[4])).await.expect("recovery code");
    assert!(sign_in(&id, &c, "cb.khoiphuc", Some(&codes[4])).await.is_err(), "used once");

    // A code of the earlier release (10 characters, unsalted SHA-256) is still honoured.
    let old = hex::encode(sha2::Sha256::digest(b"abcdefghij"));
    set_column(
        &t,
        "UPDATE accounts SET recovery_codes = $1 WHERE id = $2",
        &format!("[\"{old}\"]"),
        &a.id,
    )
    .await;
    sign_in(&id, &c, "cb.khoiphuc", Some("abcde-fghij")).await.expect("old recovery code");
}

/// Everything a `.tar.gz` holds, decompressed.
/// The tar inside an archive sealed under `sealer`.
fn archive_bytes(path: &std::path::Path, sealer: &Sealer) -> Vec<u8> {
    let raw = std::fs::read(path).expect("archive");
    let compressed = cqdt_platform::backup::sealed::open(&raw, sealer).expect("opens");
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice()).read_to_end(&mut out).expect("gunzip");
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn a_backup_holds_no_secret_in_clear_and_restores_under_the_same_kek() {
    let (t, c, id) = with_official("cb.saoluu").await;
    let kid = id.active_kid();
    let out = t.dir.join("backup.tar.gz");
    let files = t.dir.join("files");
    cqdt_platform::backup::backup(&t.db, &files, &out, "2026-12-05T00:00:00Z", &kek(1))
        .await
        .expect("backup");
    let raw = std::fs::read(&out).expect("archive");
    assert!(!contains(&raw, b"cb.saoluu"), "the archive is encrypted as a whole");
    let bytes = archive_bytes(&out, &kek(1));
    assert!(contains(&bytes, b"cb.saoluu"), "the archive holds the accounts table");
    assert!(!contains(&bytes, SECRET.as_bytes()), "TOTP secret in clear");
    assert!(!contains(&bytes, SECRET.to_lowercase().as_bytes()));
    for (kid, _, clear) in stored_keys(&t).await {
        assert!(!contains(&bytes, clear.as_bytes()), "private key of {kid} in clear");
        let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &clear)
            .expect("der");
        assert!(!contains(&bytes, &der[der.len() - 32..]), "raw key bytes of {kid}");
    }

    let t2 = TestDb::new().await;
    let files2 = t2.dir.join("files");
    let refused = cqdt_platform::backup::restore(&t2.db, &files2, &out, false, &kek(4))
        .await
        .expect_err("another key does not open the archive");
    assert!(refused.to_string().contains(kek(1).current_id()), "{refused}");
    cqdt_platform::backup::restore(&t2.db, &files2, &out, false, &kek(1)).await.expect("restore");
    let restored = node(&t2, &c, kek(1)).await.expect("start on the restored database");
    assert_eq!(restored.active_kid(), kid);
    sign_in(&restored, &c, "cb.saoluu", None).await.expect("TOTP after the restore");
    assert!(node(&t2, &c, kek(4)).await.is_err(), "the archive is useless without the key");
}

//! The signing key ring: the active ES256 key that signs access tokens and ID tokens, the
//! active RS256 key (made when the first client asks for RS256 ID tokens) that signs theirs,
//! the retiring keys that still verify, the JWKS that publishes them all, and rotation. Kept in
//! memory and reread from the database in the background, so that a rotation made on one node
//! reaches the others.
//!
//! Private keys are stored as PKCS#8 sealed under the key-encryption key (see `secrets.rs`),
//! bound to their kid: reading the database (or a backup) does not give them.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::{format_ts, parse_ts};
use cqdt_platform::sealing::Sealer;
use cqdt_platform::{Db, SharedClock};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::IdentityError;
use crate::jwt::{self, Alg, Expectation, PublicKey, Refusal, SigningKey};
use crate::model::{KeyStatus, SigningKeyInfo};
use crate::store::sealed::SealedColumn;
use crate::store::{self, KeyRow};

/// The keys as one node holds them.
pub(crate) struct LoadedKeys {
    /// The active ES256 key: signs every access token, and the ID tokens of clients that did
    /// not ask for RS256.
    pub es256: Arc<SigningKey>,
    /// The active RS256 key, once a client has asked for RS256 ID tokens.
    pub rs256: Option<Arc<SigningKey>>,
    /// Keys that verify: the active ones and those retiring.
    pub verifiers: Vec<PublicKey>,
    /// The JWKS document, JSON text.
    pub jwks: Arc<str>,
}

impl LoadedKeys {
    /// The verifying key with this kid.
    pub fn verifier(&self, kid: &str) -> Option<&PublicKey> {
        self.verifiers.iter().find(|k| k.kid() == kid)
    }

    /// The active key of an algorithm.
    pub fn signer(&self, alg: Alg) -> Option<&Arc<SigningKey>> {
        match alg {
            Alg::Es256 => Some(&self.es256),
            Alg::Rs256 => self.rs256.as_ref(),
        }
    }
}

/// The key ring of a node.
#[derive(Clone)]
pub(crate) struct KeyRing {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clock: SharedClock,
    audit: Audit,
    sealer: Sealer,
    refresh: Duration,
    /// How long a retiring key stays published: the longest token lifetime, plus the refresh
    /// interval (other nodes may sign with it until they notice the rotation), plus clock skew.
    publish_after_retiring: chrono::Duration,
    current: RwLock<Arc<LoadedKeys>>,
    loaded_at: Mutex<Instant>,
    refreshing: AtomicBool,
    /// When an unknown kid last made this node reread the keys.
    forced_at: Mutex<Option<Instant>>,
}

fn key_row(key: &SigningKey, status: KeyStatus, now: &str, sealer: &Sealer) -> KeyRow {
    let context = SealedColumn::PrivateKey.context(key.kid());
    KeyRow {
        public_jwk: key.public().jwk().to_string(),
        private_key_pkcs8: sealer.seal(&context, key.to_pkcs8_b64().as_bytes()),
        info: SigningKeyInfo {
            kid: key.kid().to_string(),
            alg: key.alg().as_str().into(),
            status,
            created_at: now.to_string(),
            retiring_at: None,
            retire_after: None,
            retired_at: None,
        },
    }
}

/// A new key, made off the async threads: an RSA key takes a noticeable time to find.
async fn generate(alg: Alg) -> Result<SigningKey, IdentityError> {
    tokio::task::spawn_blocking(move || SigningKey::generate(alg))
        .await
        .map_err(|e| IdentityError::Key(format!("key generation stopped: {e}")))?
}

impl KeyRing {
    /// Loads the keys, making the first ES256 key if there is none. `token_ttl` is the longest
    /// life of a token they sign.
    pub async fn load(
        db: Db,
        clock: SharedClock,
        audit: Audit,
        sealer: Sealer,
        token_ttl: Duration,
        refresh: Duration,
    ) -> Result<Self, IdentityError> {
        let margin = token_ttl + refresh + Duration::from_secs(60);
        let publish_after_retiring =
            chrono::Duration::from_std(margin).unwrap_or_else(|_| chrono::Duration::hours(1));
        let loaded = read(&db, &clock, &audit, &sealer).await?;
        Ok(KeyRing {
            inner: Arc::new(Inner {
                db,
                clock,
                audit,
                sealer,
                refresh,
                publish_after_retiring,
                current: RwLock::new(Arc::new(loaded)),
                loaded_at: Mutex::new(Instant::now()),
                refreshing: AtomicBool::new(false),
                forced_at: Mutex::new(None),
            }),
        })
    }

    /// The keys as this node holds them now; starts a background reread when they are stale.
    pub fn current(&self) -> Arc<LoadedKeys> {
        let stale =
            self.inner.loaded_at.lock().map(|t| t.elapsed() >= self.inner.refresh).unwrap_or(true);
        if stale
            && self
                .inner
                .refreshing
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            let ring = self.clone();
            tokio::spawn(async move {
                if let Err(e) = ring.reload().await {
                    tracing::error!(error = %e, "rereading signing keys");
                }
                ring.inner.refreshing.store(false, Ordering::Release);
            });
        }
        self.snapshot()
    }

    fn snapshot(&self) -> Arc<LoadedKeys> {
        match self.inner.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Rereads the keys from the database now.
    pub async fn reload(&self) -> Result<(), IdentityError> {
        let i = &self.inner;
        let loaded = read(&i.db, &i.clock, &i.audit, &i.sealer).await?;
        if let Ok(mut c) = self.inner.current.write() {
            *c = Arc::new(loaded);
        }
        if let Ok(mut t) = self.inner.loaded_at.lock() {
            *t = Instant::now();
        }
        Ok(())
    }

    /// Verifies a token this provider signed, as `expect` says, with the published key its
    /// `kid` names. An unknown kid makes the node reread the keys (a rotation on another
    /// node), at most once a second so that made-up kids cannot hammer the database.
    pub async fn verify<T: DeserializeOwned>(
        &self,
        token: &str,
        expect: &Expectation,
    ) -> Result<T, Refusal> {
        let kid = jwt::verify::key_id(token)?.ok_or(Refusal::UnknownKey)?;
        let now = self.inner.clock.now().timestamp();
        let keys = self.current();
        if let Some(key) = keys.verifier(&kid) {
            return expect.verify(token, Some(key), now);
        }
        let allowed = match self.inner.forced_at.lock() {
            Ok(mut last) => {
                let allowed = last.is_none_or(|t| t.elapsed() >= Duration::from_secs(1));
                if allowed {
                    *last = Some(Instant::now());
                }
                allowed
            }
            Err(_) => false,
        };
        if !allowed || self.reload().await.is_err() {
            return Err(Refusal::UnknownKey);
        }
        expect.verify(token, self.snapshot().verifier(&kid), now)
    }

    /// The active key of `alg`, making it if there is none yet (the RS256 key, the first time
    /// a client asks for RS256 ID tokens; another node may have made it since this one last
    /// read the keys). It may write: never call it inside a transaction.
    pub async fn signer(&self, alg: Alg) -> Result<Arc<SigningKey>, IdentityError> {
        if let Some(k) = self.current().signer(alg) {
            return Ok(k.clone());
        }
        self.reload().await?;
        if let Some(k) = self.snapshot().signer(alg) {
            return Ok(k.clone());
        }
        let now = format_ts(self.inner.clock.now());
        create(&self.inner.db, &self.inner.audit, &self.inner.sealer, alg, &now).await?;
        self.reload().await?;
        self.snapshot()
            .signer(alg)
            .cloned()
            .ok_or_else(|| IdentityError::Key(format!("no active {alg} key after creating one")))
    }

    /// Makes a new active key for each algorithm in use; the old ones keep verifying until
    /// their tokens have expired. Returns the new ES256 key.
    pub async fn rotate(
        &self,
        actor: &str,
        request_id: &str,
    ) -> Result<SigningKeyInfo, IdentityError> {
        let now_at = self.inner.clock.now();
        let now = format_ts(now_at);
        let retire_after = format_ts(now_at + self.inner.publish_after_retiring);
        let mut algs = vec![Alg::Es256];
        if self.snapshot().rs256.is_some() {
            algs.push(Alg::Rs256);
        }
        let mut rows = Vec::new();
        for alg in algs {
            rows.push(key_row(&generate(alg).await?, KeyStatus::Active, &now, &self.inner.sealer));
        }
        let mut tx = self.inner.db.begin().await?;
        let expired = store::retire_expired(&mut tx, &now).await?;
        for row in &rows {
            let old = store::retire_active(&mut tx, &row.info.alg, &now, &retire_after).await?;
            store::insert_key(&mut tx, row).await?;
            self.inner
                .audit
                .record(
                    &mut tx,
                    AuditEvent::new(actor, "identity.key.rotate", "signing_key")
                        .object(row.info.kid.clone())
                        .request(request_id)
                        .details(json!({
                            "alg": row.info.alg,
                            "previous_kid": old,
                            "previous_published_until": retire_after,
                            "retired": expired,
                        })),
                )
                .await?;
            tracing::info!(kid = %row.info.kid, alg = %row.info.alg, previous = ?old, "signing key rotated");
        }
        tx.commit().await?;
        self.reload().await?;
        rows.into_iter()
            .next()
            .map(|r| r.info)
            .ok_or_else(|| IdentityError::Key("no key rotated".into()))
    }

    /// Every key, newest first, without private parts.
    pub async fn list(&self) -> Result<Vec<SigningKeyInfo>, IdentityError> {
        Ok(store::keys(
            &self.inner.db,
            &[KeyStatus::Active, KeyStatus::Retiring, KeyStatus::Retired],
        )
        .await?
        .into_iter()
        .map(|k| k.info)
        .collect())
    }
}

/// Reads the usable keys; makes the first active ES256 key when there is none, and retires
/// keys whose publication period is over.
async fn read(
    db: &Db,
    clock: &SharedClock,
    audit: &Audit,
    sealer: &Sealer,
) -> Result<LoadedKeys, IdentityError> {
    for _ in 0..3 {
        let now = clock.now();
        let rows = store::keys(db, &[KeyStatus::Active, KeyStatus::Retiring]).await?;
        let (current, expired): (Vec<_>, Vec<_>) = rows.into_iter().partition(|k| {
            k.info.status == KeyStatus::Active
                || k.info.retire_after.as_deref().and_then(parse_ts).is_some_and(|t| t > now)
        });
        if !expired.is_empty() {
            retire(db, audit, &format_ts(now)).await?;
        }
        let es256_active =
            current.iter().any(|k| k.info.status == KeyStatus::Active && k.info.alg == jwt::ES256);
        if es256_active {
            return loaded(&current, sealer);
        }
        create(db, audit, sealer, Alg::Es256, &format_ts(now)).await?;
    }
    Err(IdentityError::Key("no active signing key after creating one".into()))
}

async fn retire(db: &Db, audit: &Audit, now: &str) -> Result<(), IdentityError> {
    let mut tx = db.begin().await?;
    let kids = store::retire_expired(&mut tx, now).await?;
    for kid in &kids {
        audit
            .record(
                &mut tx,
                AuditEvent::new("system", "identity.key.retire", "signing_key").object(kid.clone()),
            )
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Makes the active key of `alg`, unless another node does at the same moment (one active key
/// per algorithm is enforced by a unique index): then theirs is used.
async fn create(
    db: &Db,
    audit: &Audit,
    sealer: &Sealer,
    alg: Alg,
    now: &str,
) -> Result<(), IdentityError> {
    let row = key_row(&generate(alg).await?, KeyStatus::Active, now, sealer);
    let mut tx = db.begin().await?;
    if let Err(e) = store::insert_key(&mut tx, &row).await {
        tracing::info!(error = %e, %alg, "another node created the signing key");
        return Ok(());
    }
    audit
        .record(
            &mut tx,
            AuditEvent::new("system", "identity.key.create", "signing_key")
                .object(row.info.kid.clone())
                .details(json!({"alg": alg.as_str()})),
        )
        .await?;
    if let Err(e) = tx.commit().await {
        tracing::info!(error = %e, %alg, "another node created the signing key");
    }
    Ok(())
}

/// The keys of the rows: each one's public JWK verifies, the active ones' private keys sign
/// (and must be the private halves of their published JWKs). A private key that does not open
/// (another key-encryption key, or an altered value) stops the load with the reason.
fn loaded(current: &[KeyRow], sealer: &Sealer) -> Result<LoadedKeys, IdentityError> {
    let mut verifiers = Vec::new();
    let mut jwks = Vec::new();
    let (mut es256, mut rs256) = (None, None);
    for k in current {
        let kid = &k.info.kid;
        let jwk: serde_json::Value = serde_json::from_str(&k.public_jwk)
            .map_err(|e| IdentityError::Key(format!("stored JWK of {kid}: {e}")))?;
        let public = PublicKey::from_jwk(&jwk)
            .filter(|p| p.kid() == kid && p.alg().as_str() == k.info.alg)
            .ok_or_else(|| IdentityError::Key(format!("stored JWK of {kid} is unusable")))?;
        if k.info.status == KeyStatus::Active {
            let context = SealedColumn::PrivateKey.context(kid);
            let pkcs8 = sealer.open_text(&context, &k.private_key_pkcs8)?;
            let signing = SigningKey::from_pkcs8(public.alg(), &pkcs8)?;
            if signing.kid() != kid {
                return Err(IdentityError::Key(format!(
                    "the private key of {kid} does not match its published JWK"
                )));
            }
            let slot = if public.alg() == Alg::Es256 { &mut es256 } else { &mut rs256 };
            *slot = Some(Arc::new(signing));
        }
        verifiers.push(public);
        jwks.push(jwk);
    }
    Ok(LoadedKeys {
        es256: es256.ok_or_else(|| IdentityError::Key("no active ES256 key".into()))?,
        rs256,
        verifiers,
        jwks: Arc::from(json!({ "keys": jwks }).to_string()),
    })
}

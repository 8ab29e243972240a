//! The signing key ring: the active ES256 key that signs, the retiring keys that still verify,
//! the JWKS that publishes both, and rotation. Kept in memory and reread from the database
//! in the background, so that a rotation made on one node reaches the others.
//!
//! Private keys are stored as unencrypted PKCS#8 in the database for now: whoever can read the
//! database (or a backup) can sign tokens. Encrypting them under a key kept outside the
//! database (file or KMS) is future work.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::{format_ts, parse_ts};
use cqdt_platform::{Db, SharedClock};
use p256::ecdsa::{SigningKey, VerifyingKey};
use serde_json::json;

use crate::error::IdentityError;
use crate::jwt;
use crate::model::{KeyStatus, SigningKeyInfo};
use crate::store::{self, KeyRow};

/// The keys as one node holds them.
pub(crate) struct LoadedKeys {
    /// Kid of the active key.
    pub active_kid: String,
    /// The active key.
    pub signing: SigningKey,
    /// The encoded JWS header of access tokens signed with it.
    pub access_header: String,
    /// The encoded JWS header of ID tokens (`typ` JWT).
    pub id_header: String,
    /// Keys that verify: the active one and those retiring.
    pub verifiers: Vec<(String, VerifyingKey)>,
    /// The JWKS document, JSON text.
    pub jwks: Arc<str>,
}

impl LoadedKeys {
    /// The verifying key with this kid.
    pub fn verifier(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifiers.iter().find(|(k, _)| k == kid).map(|(_, key)| key)
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
    refresh: Duration,
    /// How long a retiring key stays published: the token lifetime, plus the refresh interval
    /// (other nodes may sign with it until they notice the rotation), plus clock skew.
    publish_after_retiring: chrono::Duration,
    current: RwLock<Arc<LoadedKeys>>,
    loaded_at: Mutex<Instant>,
    refreshing: AtomicBool,
    /// When an unknown kid last made this node reread the keys.
    forced_at: Mutex<Option<Instant>>,
}

fn key_row(key: &SigningKey, status: KeyStatus, now: &str) -> Result<KeyRow, IdentityError> {
    let vk = key.verifying_key();
    let kid = jwt::thumbprint(vk)?;
    Ok(KeyRow {
        public_jwk: jwt::public_jwk(vk, &kid)?.to_string(),
        private_key_pkcs8: jwt::to_pkcs8_b64(key)?,
        info: SigningKeyInfo {
            kid,
            alg: jwt::ES256.into(),
            status,
            created_at: now.to_string(),
            retiring_at: None,
            retire_after: None,
            retired_at: None,
        },
    })
}

impl KeyRing {
    /// Loads the keys, making the first one if there is none.
    pub async fn load(
        db: Db,
        clock: SharedClock,
        audit: Audit,
        token_ttl: Duration,
        refresh: Duration,
    ) -> Result<Self, IdentityError> {
        let margin = token_ttl + refresh + Duration::from_secs(60);
        let publish_after_retiring =
            chrono::Duration::from_std(margin).unwrap_or_else(|_| chrono::Duration::hours(1));
        let loaded = read(&db, &clock, &audit).await?;
        // The signer's fixed-base table (a few milliseconds), before the first grant needs it.
        crate::es256::warm_up();
        Ok(KeyRing {
            inner: Arc::new(Inner {
                db,
                clock,
                audit,
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
        let loaded = read(&self.inner.db, &self.inner.clock, &self.inner.audit).await?;
        if let Ok(mut c) = self.inner.current.write() {
            *c = Arc::new(loaded);
        }
        if let Ok(mut t) = self.inner.loaded_at.lock() {
            *t = Instant::now();
        }
        Ok(())
    }

    /// The verifying key for `kid`; rereads the keys if it is unknown (a rotation on another
    /// node), at most once a second so that made-up kids cannot hammer the database.
    pub async fn verifier(&self, kid: &str) -> Option<VerifyingKey> {
        if let Some(k) = self.current().verifier(kid) {
            return Some(*k);
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
            return None;
        }
        self.snapshot().verifier(kid).copied()
    }

    /// Makes a new active key; the old one keeps verifying until its tokens have expired.
    pub async fn rotate(
        &self,
        actor: &str,
        request_id: &str,
    ) -> Result<SigningKeyInfo, IdentityError> {
        let now_at = self.inner.clock.now();
        let now = format_ts(now_at);
        let retire_after = format_ts(now_at + self.inner.publish_after_retiring);
        let key = jwt::generate_key()?;
        let row = key_row(&key, KeyStatus::Active, &now)?;
        let mut tx = self.inner.db.begin().await?;
        let expired = store::retire_expired(&mut tx, &now).await?;
        let old = store::retire_active(&mut tx, &now, &retire_after).await?;
        store::insert_key(&mut tx, &row).await?;
        self.inner
            .audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "identity.key.rotate", "signing_key")
                    .object(row.info.kid.clone())
                    .request(request_id)
                    .details(json!({
                        "alg": jwt::ES256,
                        "previous_kid": old,
                        "previous_published_until": retire_after,
                        "retired": expired,
                    })),
            )
            .await?;
        tx.commit().await?;
        self.reload().await?;
        tracing::info!(kid = %row.info.kid, previous = ?old, "signing key rotated");
        Ok(row.info)
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

/// Reads the usable keys; makes the first active key when there is none, and retires keys
/// whose publication period is over.
async fn read(db: &Db, clock: &SharedClock, audit: &Audit) -> Result<LoadedKeys, IdentityError> {
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
        match current.iter().find(|k| k.info.status == KeyStatus::Active) {
            Some(active) => return loaded(active, &current),
            None => create_first(db, audit, &format_ts(now)).await?,
        }
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

async fn create_first(db: &Db, audit: &Audit, now: &str) -> Result<(), IdentityError> {
    let key = jwt::generate_key()?;
    let row = key_row(&key, KeyStatus::Active, now)?;
    let mut tx = db.begin().await?;
    if let Err(e) = store::insert_key(&mut tx, &row).await {
        // Another node made the first key at the same moment (one active key is enforced by a
        // unique index); use theirs.
        tracing::info!(error = %e, "another node created the first signing key");
        return Ok(());
    }
    audit
        .record(
            &mut tx,
            AuditEvent::new("system", "identity.key.create", "signing_key")
                .object(row.info.kid.clone())
                .details(json!({"alg": jwt::ES256})),
        )
        .await?;
    if let Err(e) = tx.commit().await {
        tracing::info!(error = %e, "another node created the first signing key");
    }
    Ok(())
}

fn loaded(active: &KeyRow, current: &[KeyRow]) -> Result<LoadedKeys, IdentityError> {
    let signing = jwt::from_pkcs8_b64(&active.private_key_pkcs8)?;
    let mut verifiers = Vec::new();
    let mut jwks = Vec::new();
    for k in current {
        let jwk: serde_json::Value = serde_json::from_str(&k.public_jwk)
            .map_err(|e| IdentityError::Key(format!("stored JWK of {}: {e}", k.info.kid)))?;
        let vk = jwt::verifying_key_from_jwk(&jwk).ok_or_else(|| {
            IdentityError::Key(format!("stored JWK of {} is unusable", k.info.kid))
        })?;
        verifiers.push((k.info.kid.clone(), vk));
        jwks.push(jwk);
    }
    Ok(LoadedKeys {
        access_header: jwt::encoded_header(&active.info.kid, jwt::ACCESS_TOKEN_TYP)?,
        id_header: jwt::encoded_header(&active.info.kid, "JWT")?,
        active_kid: active.info.kid.clone(),
        signing,
        verifiers,
        jwks: Arc::from(json!({ "keys": jwks }).to_string()),
    })
}

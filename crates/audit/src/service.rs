//! Recording, searching and verifying the audit log.

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, SharedClock, Tx};
use serde::Serialize;

use crate::model::{chain_hash, AuditEvent, AuditRecord, ChainBreak, ChainVerifier, GENESIS_HASH};
use crate::store::{self, Filter};

/// The one audit API every module records through.
#[derive(Clone)]
pub struct Audit {
    db: Db,
    clock: SharedClock,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows checked and found good.
    pub checked: i64,
    /// The first bad row and why, if any.
    pub first_bad: Option<(i64, ChainBreak)>,
    /// Hash of the last good row.
    pub head: String,
}

impl VerifyReport {
    /// True when no row is bad.
    pub fn ok(&self) -> bool {
        self.first_bad.is_none()
    }
}

impl Audit {
    /// The audit log over `db`.
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Audit { db, clock }
    }

    /// Records an event inside the caller's transaction, so it exists exactly when the change
    /// does. It waits in `audit_pending` until [`Audit::chain_pending`] appends it to the
    /// chain (the background chainer does so within a fraction of a second; every read of the
    /// log does first), so that business transactions never wait for the chain's lock.
    pub async fn record(&self, tx: &mut Tx, event: AuditEvent) -> Result<(), DbError> {
        let at = format_ts(self.clock.now());
        store::insert_pending(tx, &at, &event).await
    }

    /// Queues several events in the caller's transaction, in one statement, in order.
    pub async fn record_many(&self, tx: &mut Tx, events: &[AuditEvent]) -> Result<(), DbError> {
        let at = format_ts(self.clock.now());
        store::insert_pending_many(tx, &at, events).await
    }

    /// Records an event in its own transaction and chains it at once (reads, refusals and
    /// administrative acts, which change nothing else).
    #[tracing::instrument(skip_all, fields(action = %event.action))]
    pub async fn record_now(&self, event: AuditEvent) -> Result<(), DbError> {
        let mut tx = self.db.begin().await?;
        self.record(&mut tx, event).await?;
        tx.commit().await?;
        self.chain_pending().await?;
        Ok(())
    }

    /// Appends every committed pending event to the chain, in order; returns how many.
    #[tracing::instrument(skip_all)]
    pub async fn chain_pending(&self) -> Result<usize, DbError> {
        let mut total = 0;
        loop {
            let mut tx = self.db.begin().await?;
            store::lock_chain(&mut tx, self.db.backend()).await?;
            let batch = store::pending(&mut tx, 2000).await?;
            if batch.is_empty() {
                return Ok(total);
            }
            let (mut seq, mut prev_hash) = match store::head(&mut tx).await? {
                Some((seq, hash)) => (seq, hash),
                None => (0, GENESIS_HASH.to_string()),
            };
            let mut ids = Vec::with_capacity(batch.len());
            let mut records = Vec::with_capacity(batch.len());
            for (id, at, event) in batch {
                seq += 1;
                let hash = chain_hash(&prev_hash, seq, &at, &event);
                records.push(AuditRecord {
                    seq,
                    at,
                    event,
                    prev_hash: std::mem::take(&mut prev_hash),
                    hash: hash.clone(),
                });
                prev_hash = hash;
                ids.push(id);
            }
            // A hundred rows a statement: far fewer round trips, well under any
            // backend's limit on parameters.
            for chunk in records.chunks(100) {
                store::insert_many(&mut tx, chunk).await?;
            }
            store::delete_pending(&mut tx, &ids).await?;
            tx.commit().await?;
            total += ids.len();
        }
    }

    /// Chains pending events every `every` until `shutdown` turns true.
    pub fn spawn_chainer(
        &self,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let audit = self.clone();
        // SQLite: it holds the one write lock while it works (`spawn_own_thread`).
        let run = async move {
            loop {
                if let Err(e) = audit.chain_pending().await {
                    tracing::error!(error = %e, "chaining audit events");
                }
                // A sender gone (its app dropped without saying so) ends it too, rather than
                // a loop that no longer sleeps.
                let gone = tokio::select! {
                    _ = tokio::time::sleep(every) => false,
                    changed = shutdown.changed() => changed.is_err(),
                };
                if gone || *shutdown.borrow() {
                    let _ = audit.chain_pending().await;
                    break;
                }
            }
        };
        match self.db.backend() {
            cqdt_platform::Backend::Sqlite => {
                cqdt_platform::db::spawn_own_thread("cqdt-audit-chainer", run)
            }
            cqdt_platform::Backend::Postgres => tokio::spawn(run),
        }
    }

    /// Searches, newest first.
    #[tracing::instrument(skip_all, fields(before_seq, limit))]
    pub async fn search(
        &self,
        filter: &Filter,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, DbError> {
        self.chain_pending().await?;
        store::search(&self.db, filter, before_seq, limit).await
    }

    /// Whether row `seq` still exists with hash `hash` (an anchor saved outside the database,
    /// which also catches rows cut from the end of the log).
    #[tracing::instrument(skip(self, hash))]
    pub async fn matches_anchor(&self, seq: i64, hash: &str) -> Result<bool, DbError> {
        self.chain_pending().await?;
        Ok(store::hash_of(&self.db, seq).await?.as_deref() == Some(hash))
    }

    /// Checks every row of the chain, in batches; names the first bad row.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self) -> Result<VerifyReport, DbError> {
        self.chain_pending().await?;
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let rows = store::batch(&self.db, after, 5000).await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = last.seq;
            for r in &rows {
                if let Err(b) = verifier.check(r) {
                    return Ok(VerifyReport {
                        checked: verifier.checked(),
                        first_bad: Some((r.seq, b)),
                        head: verifier.head().to_string(),
                    });
                }
            }
        }
        Ok(VerifyReport {
            checked: verifier.checked(),
            first_bad: None,
            head: verifier.head().to_string(),
        })
    }
}

/// Security events (refusals the platform's guards make) go into the audit log like any other
/// event, denied, with the client's address; the chainer appends them shortly after.
impl cqdt_platform::auth::SecurityLog for Audit {
    fn record<'a>(
        &'a self,
        e: cqdt_platform::auth::SecurityEvent,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> {
        Box::pin(async move {
            let mut details =
                serde_json::json!({"ip": e.ip, "path": e.path, "user_agent": e.user_agent});
            if let (Some(d), serde_json::Value::Object(extra)) =
                (details.as_object_mut(), e.details)
            {
                d.extend(extra);
            }
            let event = AuditEvent::new(&e.actor, e.action, "request")
                .outcome(crate::Outcome::Denied)
                .request(&e.request_id)
                .details(details);
            let written = async {
                let mut tx = self.db.begin().await?;
                self.record(&mut tx, event).await?;
                tx.commit().await
            };
            if let Err(err) = written.await {
                tracing::error!(error = %err, action = e.action, "security event not recorded");
            }
        })
    }
}

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

    /// Records an event inside the caller's transaction, so it exists exactly when the change does.
    pub async fn record(&self, tx: &mut Tx, event: AuditEvent) -> Result<AuditRecord, DbError> {
        store::lock_chain(tx, self.db.backend()).await?;
        let (seq, prev_hash) = match store::head(tx).await? {
            Some((seq, hash)) => (seq + 1, hash),
            None => (1, GENESIS_HASH.to_string()),
        };
        let at = format_ts(self.clock.now());
        let hash = chain_hash(&prev_hash, seq, &at, &event);
        let record = AuditRecord {
            seq,
            at,
            event,
            prev_hash,
            hash,
        };
        store::insert(tx, &record).await?;
        Ok(record)
    }

    /// Records an event in its own transaction (for reads and refusals, which change nothing else).
    pub async fn record_now(&self, event: AuditEvent) -> Result<AuditRecord, DbError> {
        let mut tx = self.db.begin().await?;
        let r = self.record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Searches, newest first.
    pub async fn search(
        &self,
        filter: &Filter,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>, DbError> {
        store::search(&self.db, filter, before_seq, limit).await
    }

    /// Whether row `seq` still exists with hash `hash` (an anchor saved outside the database,
    /// which also catches rows cut from the end of the log).
    pub async fn matches_anchor(&self, seq: i64, hash: &str) -> Result<bool, DbError> {
        Ok(store::hash_of(&self.db, seq).await?.as_deref() == Some(hash))
    }

    /// Checks every row of the chain, in batches; names the first bad row.
    pub async fn verify(&self) -> Result<VerifyReport, DbError> {
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

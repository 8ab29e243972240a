//! Seals over the message log: at intervals the records not yet sealed are closed as a batch
//! whose root is the chain's hash at its last record (which commits to every record before
//! it); the platform signs the batch (a JWT `typ` lgsp-seal+jwt through the identity module)
//! and an RFC 3161 authority time-stamps the signature. A rewrite of the log, even one that
//! recomputes every hash after the change, or records cut from its end, no longer match a
//! seal; the time-stamp shows the seal existed at that time, from a party outside the platform.
//!
//! Sealing never waits for the authority: a seal is written signed, and time-stamped on the
//! same or a later round (an unreachable authority is retried; its reason is kept on the seal).

use std::sync::Arc;
use std::time::Duration;

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Backend, Db, DbError, DbResultExt, SharedClock};
use cqdt_timestamp::{Anchors, Client as TsaClient, Verified};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::service::Directory;

/// Most records one seal covers (a busy log gets several seals a round).
const MAX_BATCH: i64 = 100_000;

/// What a seal states (the signed claims, besides `iss`, `aud`, `sub`, `iat`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Statement {
    /// The first record it covers.
    pub first: i64,
    /// The last record it covers.
    pub last: i64,
    /// The chain's hash at `last`.
    pub root: String,
    /// When it was made (RFC 3339).
    pub sealed_at: String,
}

/// A seal as kept.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Seal {
    /// First record covered.
    pub first_seq: i64,
    /// Last record covered.
    pub last_seq: i64,
    /// The chain's hash at `last_seq`.
    pub root: String,
    /// When it was made.
    pub sealed_at: String,
    /// The platform's signature: the statement as a JWT.
    pub signature: String,
    /// The RFC 3161 token over SHA-256 of `signature`, once the authority gave one.
    pub stamp: Option<Vec<u8>>,
    /// The token's time.
    pub stamped_at: Option<String>,
    /// The authority that stamped it.
    pub authority: Option<String>,
    /// Why the last attempt to stamp it failed.
    pub stamp_error: Option<String>,
    /// The archive its records went to (then they are no longer in `lgsp_log`).
    pub archive: Option<String>,
    /// That archive's SHA-256.
    pub archive_sha256: Option<String>,
}

pub(crate) const COLS: &str = "first_seq, last_seq, root, sealed_at, signature, stamp, \
     stamped_at, authority, stamp_error, archive, archive_sha256";

/// What one round did.
#[derive(Debug, Default, Clone)]
pub struct Round {
    /// Seals made (first, last).
    pub sealed: Vec<(i64, i64)>,
    /// Seals time-stamped.
    pub stamped: usize,
    /// Why sealing or stamping failed this round, if it did.
    pub failures: Vec<String>,
}

/// Makes and stamps the seals.
#[derive(Clone)]
pub struct Sealer {
    db: Db,
    clock: SharedClock,
    directory: Arc<dyn Directory>,
    tsa: Option<TsaClient>,
}

/// The time-stamp digest of a seal: SHA-256 of its signature's text.
pub fn stamp_digest(signature: &str) -> [u8; 32] {
    Sha256::digest(signature.as_bytes()).into()
}

impl Sealer {
    /// A sealer signing through `directory`, stamping with `tsa` when there is one.
    pub fn new(
        db: Db,
        clock: SharedClock,
        directory: Arc<dyn Directory>,
        tsa: Option<TsaClient>,
    ) -> Self {
        Sealer { db, clock, directory, tsa }
    }

    /// Seals the records not sealed yet, then stamps the seals still without a token.
    #[tracing::instrument(skip(self))]
    pub async fn run(&self) -> Result<Round, DbError> {
        let mut round = Round::default();
        loop {
            match self.seal_next().await? {
                Ok(Some(range)) => round.sealed.push(range),
                Ok(None) => break,
                Err(why) => {
                    round.failures.push(why);
                    break;
                }
            }
        }
        if let Some(tsa) = &self.tsa {
            self.stamp_pending(tsa, &mut round).await?;
        }
        for why in &round.failures {
            tracing::warn!(%why, "message log seal");
        }
        Ok(round)
    }

    /// Seals the next batch; `Ok(None)` when every record is sealed.
    async fn seal_next(&self) -> Result<Result<Option<(i64, i64)>, String>, DbError> {
        let sealed: Option<i64> = sqlx::query_scalar("SELECT MAX(last_seq) FROM lgsp_log_seals")
            .fetch_one(self.db.pool())
            .await
            .ctx("reading the last seal")?;
        let first = sealed.unwrap_or(0) + 1;
        let head: Option<(i64, String)> = sqlx::query_as(
            "SELECT seq, hash FROM lgsp_log WHERE seq <= $1 ORDER BY seq DESC LIMIT 1",
        )
        .bind(first - 1 + MAX_BATCH)
        .fetch_optional(self.db.pool())
        .await
        .ctx("reading the message log's head")?;
        let Some((last, root)) = head.filter(|(last, _)| *last >= first) else {
            return Ok(Ok(None));
        };
        let statement = Statement { first, last, root, sealed_at: format_ts(self.clock.now()) };
        let claims = match serde_json::to_value(&statement) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => return Ok(Err("the statement does not serialise".into())),
        };
        let signature = match self.directory.sign_seal(claims).await {
            Ok(s) => s,
            Err(why) => return Ok(Err(format!("signing the seal of {first}–{last}: {why}"))),
        };
        let mut tx = self.db.begin().await?;
        if self.db.backend() == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(73530017)")
                .execute(&mut *tx)
                .await
                .ctx("locking the seals")?;
        }
        // Another node may have sealed meanwhile: then this seal is not written.
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT last_seq FROM lgsp_log_seals WHERE last_seq >= $1 LIMIT 1")
                .bind(first)
                .fetch_optional(&mut *tx)
                .await
                .ctx("reading the seals")?;
        if taken.is_none() {
            sqlx::query(
                "INSERT INTO lgsp_log_seals (first_seq, last_seq, root, sealed_at, signature) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(first)
            .bind(last)
            .bind(&statement.root)
            .bind(&statement.sealed_at)
            .bind(&signature)
            .execute(&mut *tx)
            .await
            .ctx("writing a seal")?;
        }
        tx.commit().await?;
        Ok(Ok(Some((first, last))))
    }

    async fn stamp_pending(&self, tsa: &TsaClient, round: &mut Round) -> Result<(), DbError> {
        let pending: Vec<(i64, String)> = sqlx::query_as(
            "SELECT last_seq, signature FROM lgsp_log_seals WHERE stamp IS NULL \
             ORDER BY last_seq LIMIT 100",
        )
        .fetch_all(self.db.pool())
        .await
        .ctx("reading seals to stamp")?;
        for (last, signature) in pending {
            match tsa.stamp(&stamp_digest(&signature)).await {
                Ok(s) => {
                    sqlx::query(
                        "UPDATE lgsp_log_seals SET stamp = $1, stamped_at = $2, authority = $3, \
                         stamp_error = NULL WHERE last_seq = $4 AND stamp IS NULL",
                    )
                    .bind(&s.token)
                    .bind(format_ts(s.verified.gen_time))
                    .bind(&s.verified.authority)
                    .bind(last)
                    .execute(self.db.pool())
                    .await
                    .ctx("keeping a seal's time-stamp")?;
                    round.stamped += 1;
                }
                Err(e) => {
                    let why = e.to_string();
                    sqlx::query("UPDATE lgsp_log_seals SET stamp_error = $1 WHERE last_seq = $2")
                        .bind(&why)
                        .bind(last)
                        .execute(self.db.pool())
                        .await
                        .ctx("noting a seal's stamping failure")?;
                    round.failures.push(format!("time-stamping the seal up to {last}: {why}"));
                    break; // the authority is likely down: the rest waits for the next round
                }
            }
        }
        Ok(())
    }

    /// Runs a round every `every` until `shutdown`.
    pub fn spawn(
        self,
        every: Duration,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        crate::every(every, shutdown, "message log seal round", move || {
            let me = self.clone();
            async move { me.run().await.map(|_| ()) }
        })
    }
}

/// How many records the log holds, and its newest seal (for the overview).
pub async fn status(db: &Db) -> Result<(i64, Option<Seal>), DbError> {
    let records: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM lgsp_log")
        .fetch_one(db.pool())
        .await
        .ctx("reading the message log's head")?;
    let seal = sqlx::query_as(&format!(
        "SELECT {COLS} FROM lgsp_log_seals ORDER BY last_seq DESC LIMIT 1"
    ))
    .fetch_optional(db.pool())
    .await
    .ctx("reading the newest seal")?;
    Ok((records.unwrap_or(0), seal))
}

/// What a check of the seals found.
#[derive(Debug, Clone, Default)]
pub struct SealReport {
    /// Seals checked.
    pub seals: i64,
    /// Records covered by them (the last sealed record).
    pub sealed_to: i64,
    /// Seals whose time-stamp verified.
    pub stamped: i64,
    /// Seals with a token that could not be checked (no authority's CA configured).
    pub unchecked: i64,
    /// The newest verified time-stamp.
    pub last_stamp: Option<Verified>,
    /// The first seal that fails (its last record) and why.
    pub first_bad: Option<(i64, String)>,
}

/// Checks every seal: the ranges follow each other, the record each ends at still has the
/// sealed hash, the platform's signature holds and says the same, and the time-stamp (with
/// `anchors`) is over that signature.
pub async fn verify(
    db: &Db,
    directory: &dyn Directory,
    anchors: Option<&Anchors>,
) -> Result<SealReport, DbError> {
    let mut report = SealReport::default();
    let mut after = 0i64;
    loop {
        let page: Vec<Seal> = sqlx::query_as(&format!(
            "SELECT {COLS} FROM lgsp_log_seals WHERE last_seq > $1 ORDER BY last_seq LIMIT 500"
        ))
        .bind(after)
        .fetch_all(db.pool())
        .await
        .ctx("reading the seals")?;
        if page.is_empty() {
            return Ok(report);
        }
        for seal in page {
            if let Err(why) = check(db, directory, anchors, &seal, after, &mut report).await? {
                report.first_bad = Some((seal.last_seq, why));
                return Ok(report);
            }
            after = seal.last_seq;
            report.seals += 1;
            report.sealed_to = seal.last_seq;
        }
    }
}

async fn check(
    db: &Db,
    directory: &dyn Directory,
    anchors: Option<&Anchors>,
    seal: &Seal,
    after: i64,
    report: &mut SealReport,
) -> Result<Result<(), String>, DbError> {
    if seal.first_seq != after + 1 {
        return Ok(Err(format!(
            "it starts at record {}, the previous seal ends at {after}",
            seal.first_seq
        )));
    }
    if seal.archive.is_some() {
        // Its records are in the archive (`cqdt lgsp verify-archive`); the signature and the
        // stamp are checked here all the same.
        return check_signed(directory, anchors, seal, report).await;
    }
    let hash: Option<String> = sqlx::query_scalar("SELECT hash FROM lgsp_log WHERE seq = $1")
        .bind(seal.last_seq)
        .fetch_optional(db.pool())
        .await
        .ctx("reading the message log")?;
    match hash {
        None => return Ok(Err(format!("record {} it seals is gone", seal.last_seq))),
        Some(h) if h != seal.root => {
            return Ok(Err(format!(
                "record {} no longer has the sealed hash: the log up to it was rewritten",
                seal.last_seq
            )))
        }
        Some(_) => {}
    }
    check_signed(directory, anchors, seal, report).await
}

async fn check_signed(
    directory: &dyn Directory,
    anchors: Option<&Anchors>,
    seal: &Seal,
    report: &mut SealReport,
) -> Result<Result<(), String>, DbError> {
    let claims = match directory.verify_seal(&seal.signature).await {
        Ok(c) => c,
        Err(why) => return Ok(Err(format!("the platform's signature: {why}"))),
    };
    let signed: Option<Statement> = serde_json::from_value(serde_json::Value::Object(claims)).ok();
    let kept = Statement {
        first: seal.first_seq,
        last: seal.last_seq,
        root: seal.root.clone(),
        sealed_at: seal.sealed_at.clone(),
    };
    if signed.as_ref() != Some(&kept) {
        return Ok(Err("the signed statement differs from the seal as kept".into()));
    }
    match (&seal.stamp, anchors) {
        (Some(token), Some(anchors)) => {
            match cqdt_timestamp::verify(token, &stamp_digest(&seal.signature), anchors) {
                Ok(v) => {
                    report.stamped += 1;
                    report.last_stamp = Some(v);
                }
                Err(e) => return Ok(Err(format!("its time-stamp: {e}"))),
            }
        }
        (Some(_), None) => report.unchecked += 1,
        (None, _) => {}
    }
    Ok(Ok(()))
}

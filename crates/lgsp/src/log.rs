//! The message log: every exchange through the gateway, with the digests of both bodies, in a
//! hash chain. Each row's hash is SHA-256 over the previous row's hash, its position and its
//! content (canonical JSON, fields in a fixed order), so a row altered, removed or moved
//! breaks the chain from there on, and [`verify`] names the first such row.
//!
//! Rows are appended by the gateway's recorder in batches, after the exchange ended (a crash
//! loses at most the batch not yet written); on PostgreSQL an advisory lock keeps one appender
//! at a time across nodes. The chain's roots are signed and time-stamped by [`crate::seal`].

use cqdt_platform::{Backend, Db, DbError, DbResultExt, Sql};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

/// The hash before the first row.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One exchange as the log keeps it (the chain covers these fields, in this order).
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow, PartialEq, Eq)]
pub struct Entry {
    /// When the call arrived (RFC 3339).
    pub at: String,
    /// Its request id.
    pub request_id: String,
    /// The consumer (`member/system`, or `client:<id>` when it is no member's).
    pub consumer: String,
    /// The service (`member/code`).
    pub service: String,
    /// The operation, when one matched.
    pub operation_id: Option<String>,
    /// Method.
    pub method: String,
    /// The path after the service, with the query, as sent.
    pub path: String,
    /// Status the consumer got.
    pub status: i64,
    /// Which side failed, if any.
    pub failed_side: Option<String>,
    /// Bytes of the request body passed on.
    pub request_bytes: i64,
    /// Bytes of the answer's body passed back.
    pub response_bytes: i64,
    /// Hex SHA-256 of the request body; none when the gateway refused the call.
    pub request_digest: Option<String>,
    /// Hex SHA-256 of the answer's body; none when the gateway refused the call.
    pub response_digest: Option<String>,
}

/// A row of the chain.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx::FromRow)]
pub struct Row {
    /// Position, from 1, without gaps.
    pub seq: i64,
    /// The exchange.
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub entry: Entry,
    /// The previous row's hash.
    pub prev_hash: String,
    /// This row's hash.
    pub hash: String,
}

/// The hash of the row at `seq` holding `entry` after `prev`.
pub fn chain_hash(prev: &str, seq: i64, entry: &Entry) -> String {
    let body = serde_json::to_string(entry).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(seq.to_string().as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

pub(crate) const COLS: &str =
    "seq, at, request_id, consumer, service, operation_id, method, path, status, \
     failed_side, request_bytes, response_bytes, request_digest, response_digest, prev_hash, hash";

/// Appends entries to the chain in the caller's transaction (which holds the chain's lock);
/// returns the position of the first (the others follow it).
pub async fn append(
    conn: &mut AnyConnection,
    backend: Backend,
    entries: &[Entry],
) -> Result<i64, DbError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(73530016)")
            .execute(&mut *conn)
            .await
            .ctx("locking the message log")?;
    }
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM lgsp_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await
            .ctx("reading the message log's head")?;
    // With every record archived, the chain goes on from the last seal's root.
    let head = match head {
        Some(h) => Some(h),
        None => sqlx::query_as(
            "SELECT last_seq, root FROM lgsp_log_seals ORDER BY last_seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *conn)
        .await
        .ctx("reading the last seal")?,
    };
    let (mut seq, mut prev) = head.unwrap_or((0, GENESIS.to_string()));
    let first = seq + 1;
    let mut rows = Vec::with_capacity(entries.len());
    for e in entries {
        seq += 1;
        let hash = chain_hash(&prev, seq, e);
        rows.push(Row {
            seq,
            entry: e.clone(),
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    for chunk in rows.chunks(60) {
        let mut q = Sql::on(conn, format!("INSERT INTO lgsp_log ({COLS}) "));
        q.push_values(chunk, |mut b, r| {
            let e = &r.entry;
            b.push_bind(r.seq)
                .push_bind(e.at.as_str())
                .push_bind(e.request_id.as_str())
                .push_bind(e.consumer.as_str())
                .push_bind(e.service.as_str())
                .push_bind(e.operation_id.as_deref())
                .push_bind(e.method.as_str())
                .push_bind(e.path.as_str())
                .push_bind(e.status)
                .push_bind(e.failed_side.as_deref())
                .push_bind(e.request_bytes)
                .push_bind(e.response_bytes)
                .push_bind(e.request_digest.as_deref())
                .push_bind(e.response_digest.as_deref())
                .push_bind(r.prev_hash.as_str())
                .push_bind(r.hash.as_str());
        });
        q.build().execute(&mut *conn).await.ctx("appending to the message log")?;
    }
    Ok(first)
}

/// Why the chain breaks at a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// Its content does not give its hash.
    Altered,
    /// A row is missing before it (its position is not the next one).
    Missing {
        /// The position expected here.
        expected: i64,
    },
    /// Its link to the previous row's hash is wrong.
    Relinked,
}

/// What a check of the whole chain found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Rows checked.
    pub checked: i64,
    /// The position of the last row checked (the last archived one when none is left).
    pub head_seq: i64,
    /// The last row's hash (an anchor to keep outside the database).
    pub head: String,
    /// The first row that breaks the chain.
    pub first_bad: Option<(i64, Break)>,
}

/// Checks the whole chain, a page at a time: from the first record, or after the records
/// archived (from the root of the last archived seal).
pub async fn verify(db: &Db) -> Result<Report, DbError> {
    let archived: Option<(i64, String)> = sqlx::query_as(
        "SELECT last_seq, root FROM lgsp_log_seals WHERE archive IS NOT NULL \
         ORDER BY last_seq DESC LIMIT 1",
    )
    .fetch_optional(db.pool())
    .await
    .ctx("reading the archived seals")?;
    let (after, mut prev) = archived.unwrap_or((0, GENESIS.to_string()));
    let (mut expected, mut checked) = (after + 1, 0i64);
    loop {
        let page: Vec<Row> = sqlx::query_as(&format!(
            "SELECT {COLS} FROM lgsp_log WHERE seq >= $1 ORDER BY seq LIMIT 5000"
        ))
        .bind(expected)
        .fetch_all(db.pool())
        .await
        .ctx("reading the message log")?;
        if page.is_empty() {
            return Ok(Report { checked, head_seq: expected - 1, head: prev, first_bad: None });
        }
        for r in page {
            let bad = if r.seq != expected {
                Some(Break::Missing { expected })
            } else if r.prev_hash != prev {
                Some(Break::Relinked)
            } else if chain_hash(&prev, r.seq, &r.entry) != r.hash {
                Some(Break::Altered)
            } else {
                None
            };
            if let Some(why) = bad {
                let first_bad = Some((r.seq, why));
                return Ok(Report { checked, head_seq: expected - 1, head: prev, first_bad });
            }
            prev = r.hash;
            expected += 1;
            checked += 1;
        }
    }
}

/// Whether the row at `seq` is there with `hash` (an anchor kept from an earlier check: rows
/// cut from the end since then are found).
pub async fn matches_anchor(db: &Db, seq: i64, hash: &str) -> Result<bool, DbError> {
    let found: Option<String> = sqlx::query_scalar("SELECT hash FROM lgsp_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(db.pool())
        .await
        .ctx("reading the message log")?;
    Ok(found.as_deref() == Some(hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: i64) -> Entry {
        Entry {
            at: "2026-12-07T01:00:00.000000Z".into(),
            request_id: "r1".into(),
            consumer: "000.00.00.H51/mot-cua".into(),
            service: "000.00.03.H51/ho-tich".into(),
            operation_id: Some("traCuuKhaiSinh".into()),
            method: "GET".into(),
            path: "/khai-sinh/1".into(),
            status,
            failed_side: None,
            request_bytes: 0,
            response_bytes: 10,
            request_digest: Some(hex::encode(Sha256::digest(b""))),
            response_digest: Some(hex::encode(Sha256::digest(b"0123456789"))),
        }
    }

    #[test]
    fn each_hash_covers_the_previous_hash_the_position_and_every_field() {
        let a = chain_hash(GENESIS, 1, &entry(200));
        assert_eq!(a.len(), 64);
        assert_ne!(a, chain_hash(GENESIS, 2, &entry(200)), "the position counts");
        assert_ne!(a, chain_hash(&a, 1, &entry(200)), "the link counts");
        assert_ne!(a, chain_hash(GENESIS, 1, &entry(404)), "the content counts");
        assert_eq!(a, chain_hash(GENESIS, 1, &entry(200)), "and nothing else");
    }
}

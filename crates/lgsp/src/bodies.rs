//! Bodies kept in the message log, for the services configured to keep them (up to
//! `keep_bodies_bytes` each). A kept body is sealed with AES-256-GCM under the platform's
//! key-encryption key ([`cqdt_platform::sealing`]), bound to its record and side, so that the
//! database alone (or a backup of it) does not give the content away, and a sealed body moved
//! to another record does not open. Reading one back is the provider's administrator's act,
//! audited, and the body is checked against the digest the hash chain holds before it is given.
//!
//! Bodies leave the database with their records when these are archived; the archive keeps
//! the digests.

use cqdt_platform::sealing::Sealer;
use cqdt_platform::{DbError, DbResultExt, Sql};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::model::LgspError;
use crate::service::{Actor, Registry};

/// The largest body a service may keep: 16 MiB.
pub const MAX_KEPT: i64 = 16 * 1024 * 1024;

/// Which body of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BodySide {
    /// What the consumer sent.
    Request,
    /// What the provider answered.
    Response,
}

impl BodySide {
    /// As stored and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            BodySide::Request => "request",
            BodySide::Response => "response",
        }
    }

    /// As stored or in the API.
    pub fn parse(s: &str) -> Option<BodySide> {
        match s {
            "request" | "yeu-cau" => Some(BodySide::Request),
            "response" | "tra-loi" => Some(BodySide::Response),
            _ => None,
        }
    }

    /// In a page's address.
    pub fn slug(self) -> &'static str {
        match self {
            BodySide::Request => "yeu-cau",
            BodySide::Response => "tra-loi",
        }
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            BodySide::Request => "Nội dung gửi",
            BodySide::Response => "Nội dung trả lời",
        }
    }
}

/// A body being kept as it passes: its bytes while they fit the service's limit.
#[derive(Debug)]
pub(crate) struct Keeping {
    data: Vec<u8>,
    limit: usize,
    over: bool,
}

impl Keeping {
    pub(crate) fn new(limit: usize) -> Self {
        Keeping { data: Vec::new(), limit, over: false }
    }

    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if self.over {
            return;
        }
        if self.data.len() + chunk.len() > self.limit {
            // Over the limit nothing is kept: a cut body would prove nothing.
            self.over = true;
            self.data = Vec::new();
        } else {
            self.data.extend_from_slice(chunk);
        }
    }

    /// The body to write: its bytes, or none when it was over the limit.
    pub(crate) fn finish(self, side: BodySide, content_type: Option<String>, bytes: i64) -> Kept {
        Kept { side, content_type, bytes, data: (!self.over).then_some(self.data) }
    }
}

/// A body to write with its record.
#[derive(Debug)]
pub(crate) struct Kept {
    pub(crate) side: BodySide,
    pub(crate) content_type: Option<String>,
    pub(crate) bytes: i64,
    /// None when it was larger than the service keeps.
    pub(crate) data: Option<Vec<u8>>,
}

/// What a sealed body is bound to: its record and side.
pub(crate) fn context(seq: i64, side: BodySide) -> String {
    format!("lgsp_bodies:{seq}:{}", side.as_str())
}

/// Seals and writes the bodies of records just appended, in the appender's transaction.
pub(crate) async fn write(
    conn: &mut AnyConnection,
    kek: &Sealer,
    bodies: &[(i64, &str, &Kept)],
) -> Result<(), DbError> {
    let sealed: Vec<Option<String>> = bodies
        .iter()
        .map(|(seq, _, k)| k.data.as_ref().map(|d| kek.seal(&context(*seq, k.side), d)))
        .collect();
    for (chunk, sealed) in bodies.chunks(100).zip(sealed.chunks(100)) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO lgsp_bodies (seq, side, service, content_type, bytes, sealed) ",
        );
        q.push_values(chunk.iter().zip(sealed), |mut b, ((seq, service, k), sealed)| {
            b.push_bind(*seq)
                .push_bind(k.side.as_str())
                .push_bind(*service)
                .push_bind(k.content_type.as_deref())
                .push_bind(k.bytes)
                .push_bind(sealed.as_deref());
        });
        q.build().execute(&mut *conn).await.ctx("keeping bodies in the message log")?;
    }
    Ok(())
}

/// Removes the bodies of the records `first..=last` (archived).
pub(crate) async fn remove(conn: &mut AnyConnection, first: i64, last: i64) -> Result<(), DbError> {
    sqlx::query("DELETE FROM lgsp_bodies WHERE seq >= $1 AND seq <= $2")
        .bind(first)
        .bind(last)
        .execute(conn)
        .await
        .ctx("removing the archived records' bodies")?;
    Ok(())
}

/// A kept body as the service's page lists it (never its content).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct KeptBody {
    /// The record's position in the message log.
    pub seq: i64,
    /// `request` or `response`.
    pub side: String,
    /// Its media type, as sent.
    pub content_type: Option<String>,
    /// Its size.
    pub bytes: i64,
    /// 1 when kept, 0 when it was larger than the service keeps.
    pub kept: i64,
    /// When the exchange happened (RFC 3339).
    pub at: String,
    /// The consumer.
    pub consumer: String,
    /// The operation.
    pub operation_id: Option<String>,
    /// Status the consumer got.
    pub status: i64,
}

/// A kept body with the digests its record holds.
#[derive(sqlx::FromRow)]
struct SealedRow {
    service: String,
    content_type: Option<String>,
    sealed: Option<String>,
    request_digest: Option<String>,
    response_digest: Option<String>,
}

/// A body read back: checked against the message log's digest.
#[derive(Debug, Clone)]
pub struct OpenedBody {
    /// Its media type, as sent.
    pub content_type: Option<String>,
    /// The content.
    pub data: Vec<u8>,
}

impl Registry {
    /// The latest kept bodies of a service (`member/code`), newest first.
    pub async fn kept_bodies(&self, service: &str, limit: i64) -> Result<Vec<KeptBody>, LgspError> {
        Ok(sqlx::query_as(
            "SELECT b.seq, b.side, b.content_type, b.bytes, \
             CASE WHEN b.sealed IS NULL THEN 0 ELSE 1 END AS kept, \
             l.at, l.consumer, l.operation_id, l.status \
             FROM lgsp_bodies b JOIN lgsp_log l ON l.seq = b.seq \
             WHERE b.service = $1 ORDER BY b.seq DESC, b.side LIMIT $2",
        )
        .bind(service)
        .bind(limit)
        .fetch_all(self.db().pool())
        .await
        .ctx("reading the kept bodies")?)
    }

    /// Opens a kept body for the administrator of the service's provider, audited; refused
    /// when it does not match the digest in the message log.
    pub async fn read_body(
        &self,
        actor: &Actor,
        rid: &str,
        seq: i64,
        side: BodySide,
    ) -> Result<OpenedBody, LgspError> {
        let row: Option<SealedRow> = sqlx::query_as(
            "SELECT b.service, b.content_type, b.sealed, l.request_digest, l.response_digest \
             FROM lgsp_bodies b JOIN lgsp_log l ON l.seq = b.seq WHERE b.seq = $1 AND b.side = $2",
        )
        .bind(seq)
        .bind(side.as_str())
        .fetch_optional(self.db().pool())
        .await
        .ctx("reading a kept body")?;
        let Some(SealedRow { service, content_type, sealed, request_digest, response_digest }) =
            row
        else {
            return Err(LgspError::NotFound(format!(
                "Nhật ký không lưu {} của lượt trao đổi số {seq}.",
                side.label().to_lowercase()
            )));
        };
        actor.require(service.split('/').next().unwrap_or(""))?;
        let Some(sealed) = sealed else {
            return Err(LgspError::Conflict(format!(
                "{} của lượt trao đổi số {seq} lớn hơn dung lượng dịch vụ cho lưu, nên chỉ có mã băm.",
                side.label()
            )));
        };
        let data = self.kek().open(&context(seq, side), &sealed).map_err(|e| {
            tracing::error!(seq, side = side.as_str(), error = %e, "a kept body does not open");
            LgspError::Conflict(format!(
                "{} của lượt trao đổi số {seq} không mở được: {e}",
                side.label()
            ))
        })?;
        let digest = match side {
            BodySide::Request => request_digest,
            BodySide::Response => response_digest,
        };
        if digest.as_deref() != Some(hex::encode(Sha256::digest(&data)).as_str()) {
            return Err(LgspError::Conflict(format!(
                "{} của lượt trao đổi số {seq} không khớp với mã băm trong nhật ký.",
                side.label()
            )));
        }
        let mut tx = self.db().begin().await?;
        self.audit()
            .record(
                &mut tx,
                cqdt_audit::AuditEvent::new(&actor.name, "lgsp.body_read", "lgsp_log")
                    .object(seq.to_string())
                    .request(rid)
                    .details(serde_json::json!({ "service": service, "side": side.as_str() })),
            )
            .await?;
        tx.commit().await?;
        Ok(OpenedBody { content_type, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_is_kept_whole_up_to_the_limit_and_not_at_all_beyond_it() {
        let mut k = Keeping::new(8);
        k.push(b"1234");
        k.push(b"5678");
        let kept = k.finish(BodySide::Request, None, 8);
        assert_eq!(kept.data.as_deref(), Some(&b"12345678"[..]));
        let mut k = Keeping::new(8);
        k.push(b"1234");
        k.push(b"56789");
        k.push(b"0");
        assert_eq!(k.finish(BodySide::Response, None, 10).data, None, "a cut body is not kept");
    }

    #[test]
    fn a_sealed_body_opens_only_for_its_own_record_and_side() {
        let kek = Sealer::new([7; 32], &[]);
        let sealed = kek.seal(&context(5, BodySide::Request), b"{\"so\":1}");
        assert!(!sealed.contains("so"), "sealed, not in clear");
        assert_eq!(
            kek.open(&context(5, BodySide::Request), &sealed).expect("opens"),
            b"{\"so\":1}"
        );
        assert!(kek.open(&context(6, BodySide::Request), &sealed).is_err());
        assert!(kek.open(&context(5, BodySide::Response), &sealed).is_err());
    }
}

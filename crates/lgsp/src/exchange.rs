//! Asynchronous exchange: store-and-forward messages between member systems (documents,
//! reports, events that need no answer at once). A sender posts a message with its own id for
//! the recipient system; the message is committed before the sender hears "accepted", so
//! nothing acknowledged is lost; the same id sent again has no second effect. The recipient
//! pulls its queue oldest first, reads each body and reports what it did ("đã nhận", "đã xử
//! lý", "lỗi"); the sender follows the status.
//!
//! A recipient system that gives a `push_url` has its messages pushed instead
//! ([`crate::delivery`]); a message it could not take goes to the dead letter (`dead`), from
//! which its sender may send it again ([`Exchange::redeliver`]).
//!
//! The same API runs on NATS JetStream ([`jetstream`], [`Exchange::on_jetstream`]) when a
//! province outgrows one node. Not yet (issue 16): the throughput target.

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, DbResultExt, JobQueue, SharedClock};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{Any, Executor};

use crate::model::{LgspError, Subsystem};

mod commit;
pub mod jetstream;

/// The largest message body.
pub const MAX_BODY: usize = 10 * 1024 * 1024;

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting in the recipient's queue.
    Queued,
    /// The recipient has it.
    Received,
    /// The recipient has dealt with it.
    Processed,
    /// The recipient could not deal with it (the note says why).
    Failed,
    /// The platform could not push it to the recipient (the dead letter; the note says why).
    Dead,
}

impl MessageStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Received => "received",
            MessageStatus::Processed => "processed",
            MessageStatus::Failed => "failed",
            MessageStatus::Dead => "dead",
        }
    }

    /// Parses a stored or sent status.
    pub fn parse(s: &str) -> Option<MessageStatus> {
        [
            MessageStatus::Queued,
            MessageStatus::Received,
            MessageStatus::Processed,
            MessageStatus::Failed,
            MessageStatus::Dead,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// In people's words.
    pub fn label(self) -> &'static str {
        match self {
            MessageStatus::Queued => "Đang chờ nhận",
            MessageStatus::Received => "Đã nhận",
            MessageStatus::Processed => "Đã xử lý",
            MessageStatus::Failed => "Lỗi",
            MessageStatus::Dead => "Không chuyển được",
        }
    }

    /// Whether a recipient may report `to` after this.
    fn may_become(self, to: MessageStatus) -> bool {
        matches!(
            (self, to),
            (
                MessageStatus::Queued,
                MessageStatus::Received | MessageStatus::Processed | MessageStatus::Failed
            ) | (MessageStatus::Received, MessageStatus::Processed | MessageStatus::Failed)
        )
    }
}

/// A message, without its body.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Message {
    /// The platform's id.
    pub id: String,
    /// The sending system (`member/system`).
    pub sender: String,
    /// The sender's own id for it (unique per sender).
    pub message_id: String,
    /// The receiving system (`member/system`).
    pub recipient: String,
    /// The body's media type, as sent.
    pub content_type: String,
    /// The body's size in bytes.
    pub size: i64,
    /// Hex SHA-256 of the body.
    pub body_sha256: String,
    /// `queued`, `received`, `processed`, `failed` or `dead` (could not be pushed).
    pub status: String,
    /// What the recipient said with its last report, or why a push failed.
    pub note: Option<String>,
    /// Failed pushes so far.
    pub attempts: i64,
    /// Accepted (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

const COLS: &str = "id, sender, message_id, recipient, content_type, size, body_sha256, status, \
     note, attempts, created_at, updated_at";

async fn by_id<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id: &str,
) -> Result<Option<Message>, DbError> {
    sqlx::query_as(&format!("SELECT {COLS} FROM lgsp_messages WHERE id = $1"))
        .bind(id)
        .fetch_optional(exec)
        .await
        .ctx("reading a message")
}

/// A message `caller` receives and reports `to` on: with its status now when that changes,
/// without when it already is `to`; not found, or a conflict when `to` cannot follow.
fn to_report(
    found: Option<Message>,
    caller: &Subsystem,
    id: &str,
    to: MessageStatus,
) -> Result<(Message, Option<MessageStatus>), LgspError> {
    let m = found.filter(|m| m.recipient == caller.key()).ok_or_else(|| {
        LgspError::NotFound(format!("Hệ thống này không nhận thông điệp “{id}”."))
    })?;
    let now = MessageStatus::parse(&m.status).unwrap_or(MessageStatus::Failed);
    if now == to {
        return Ok((m, None));
    }
    if now.may_become(to) {
        return Ok((m, Some(now)));
    }
    Err(LgspError::Conflict(format!(
        "Thông điệp đang ở trạng thái “{}”, không chuyển sang “{}” được.",
        now.label(),
        to.label()
    )))
}

/// Why a message that is not in the dead letter cannot be sent again.
fn not_dead(m: &Message) -> LgspError {
    let now = MessageStatus::parse(&m.status).map(MessageStatus::label).unwrap_or_default();
    LgspError::Conflict(format!(
        "Chỉ gửi lại được thông điệp không chuyển được; thông điệp này đang “{now}”."
    ))
}

/// A message sent again: the first one when the body is the same, else a conflict.
fn again(first: Message, digest: &str) -> Result<(Message, bool), LgspError> {
    if first.body_sha256 == digest {
        Ok((first, false))
    } else {
        Err(LgspError::Conflict(format!(
            "Mã thông điệp “{}” đã dùng cho một thông điệp có nội dung khác.",
            first.message_id
        )))
    }
}

/// The store-and-forward queues.
#[derive(Clone)]
pub struct Exchange {
    db: Db,
    clock: SharedClock,
    jobs: JobQueue,
    committer: commit::Committer,
    nats: Option<jetstream::JetStream>,
}

impl Exchange {
    /// The queues over the platform's database; pushes go through `jobs` (with
    /// [`crate::delivery::Delivery`] registered on it).
    /// Starts the writer that commits accepted messages in groups (needs a Tokio runtime).
    pub fn new(db: Db, clock: SharedClock, jobs: JobQueue) -> Self {
        let committer = commit::Committer::start(db.clone(), jobs.clone(), clock.clone());
        Exchange { db, clock, jobs, committer, nats: None }
    }

    /// The same exchange with its messages and statuses on NATS JetStream.
    pub fn on_jetstream(mut self, js: jetstream::JetStream) -> Self {
        self.nats = Some(js);
        self
    }

    /// The JetStream the messages are kept on, if not the database.
    pub fn jetstream(&self) -> Option<&jetstream::JetStream> {
        self.nats.as_ref()
    }

    /// Where the messages are kept, in words (for the operators' pages and logs).
    pub fn backend(&self) -> &'static str {
        if self.nats.is_some() {
            "NATS JetStream"
        } else {
            "cơ sở dữ liệu"
        }
    }

    /// A message by the platform's id, wherever kept.
    async fn find(&self, id: &str) -> Result<Option<Message>, LgspError> {
        match &self.nats {
            Some(js) => js.message(id).await,
            None => Ok(by_id(self.db.pool(), id).await?),
        }
    }

    /// Accepts a message from `sender` for the system `to`: the message and whether it is new
    /// (false: the same id and body were accepted before, nothing changed).
    // Debug level: on the sending path, a span per message must cost nothing when not logged.
    #[tracing::instrument(level = "debug", skip_all, fields(size = body.len()))]
    pub async fn send(
        &self,
        sender: &Subsystem,
        to: &Subsystem,
        message_id: &str,
        content_type: &str,
        body: &[u8],
    ) -> Result<(Message, bool), LgspError> {
        let message_id = message_id.trim();
        let valid_id = (1..=200).contains(&message_id.len())
            && message_id.bytes().all(|b| b.is_ascii_graphic());
        if !valid_id {
            return Err(LgspError::field(
                "X-Lgsp-Message-Id",
                "Mã thông điệp gồm 1–200 ký tự ASCII nhìn thấy được, không có khoảng trắng.",
            ));
        }
        if body.len() > MAX_BODY {
            return Err(LgspError::field("body", format!("Nội dung tối đa {MAX_BODY} byte.")));
        }
        let digest = hex::encode(Sha256::digest(body));
        let now = format_ts(self.clock.now());
        let m = Message {
            id: crate::service::new_id(),
            sender: sender.key(),
            message_id: message_id.to_string(),
            recipient: to.key(),
            content_type: content_type.chars().take(200).collect(),
            size: i64::try_from(body.len()).unwrap_or(i64::MAX),
            body_sha256: digest,
            status: MessageStatus::Queued.as_str().into(),
            note: None,
            attempts: 0,
            created_at: now.clone(),
            updated_at: now,
        };
        if let Some(js) = &self.nats {
            return js.send(m, body).await;
        }
        // The writer looks for an earlier message under this id, in its transaction.
        self.committer.commit(m, body.to_vec(), to.push_url.is_some()).await
    }

    /// Sends a message from the dead letter again (its sender asks): queued anew, attempts
    /// reset, pushed again if the recipient takes pushes.
    #[tracing::instrument(skip(self, caller), fields(sender = %caller.key()))]
    pub async fn redeliver(&self, caller: &Subsystem, id: &str) -> Result<Message, LgspError> {
        let not_sent = || LgspError::NotFound(format!("Hệ thống này không gửi thông điệp “{id}”."));
        if let Some(js) = &self.nats {
            let m =
                self.find(id).await?.filter(|m| m.sender == caller.key()).ok_or_else(not_sent)?;
            if m.status != MessageStatus::Dead.as_str() {
                return Err(not_dead(&m));
            }
            return js.redeliver(&m).await;
        }
        let mut tx = self.db.begin().await?;
        let m =
            by_id(&mut *tx, id).await?.filter(|m| m.sender == caller.key()).ok_or_else(not_sent)?;
        if m.status != MessageStatus::Dead.as_str() {
            return Err(not_dead(&m));
        }
        let at = format_ts(self.clock.now());
        sqlx::query(
            "UPDATE lgsp_messages SET status = 'queued', attempts = 0, note = NULL, updated_at = $2, \
             next_attempt_at = NULL WHERE id = $1 AND status = 'dead'",
        )
        .bind(id)
        .bind(&at)
        .execute(&mut *tx)
        .await
        .ctx("sending a message again")?;
        self.jobs
            .enqueue(&mut tx, crate::delivery::JOB_KIND, &crate::delivery::payload(&m.recipient))
            .await?;
        tx.commit().await?;
        self.jobs.wake();
        Ok(Message { status: "queued".into(), attempts: 0, note: None, updated_at: at, ..m })
    }

    /// A message the caller sent or receives.
    pub async fn message(&self, caller: &Subsystem, id: &str) -> Result<Message, LgspError> {
        let key = caller.key();
        self.find(id).await?.filter(|m| m.sender == key || m.recipient == key).ok_or_else(|| {
            LgspError::NotFound(format!("Không có thông điệp “{id}” của hệ thống này."))
        })
    }

    /// The caller's queue: messages not yet reported on, oldest first.
    pub async fn inbox(&self, caller: &Subsystem, limit: i64) -> Result<Vec<Message>, LgspError> {
        if let Some(js) = &self.nats {
            return js.inbox(&caller.key(), limit).await;
        }
        Ok(sqlx::query_as(&format!(
            "SELECT {COLS} FROM lgsp_messages WHERE recipient = $1 AND status = 'queued' \
             ORDER BY created_at, id LIMIT $2"
        ))
        .bind(caller.key())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await
        .ctx("reading a queue")?)
    }

    /// The dead letter: messages that could not be pushed, newest first (for administrators).
    pub async fn dead(&self, limit: i64) -> Result<Vec<Message>, LgspError> {
        if let Some(js) = &self.nats {
            return js.dead(limit).await;
        }
        Ok(sqlx::query_as(&format!(
            "SELECT {COLS} FROM lgsp_messages WHERE status = 'dead' ORDER BY updated_at DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await
        .ctx("reading the dead letter")?)
    }

    /// A received message's body, as sent.
    pub async fn body(
        &self,
        caller: &Subsystem,
        id: &str,
    ) -> Result<(Message, Vec<u8>), LgspError> {
        let m = self.message(caller, id).await?;
        if m.recipient != caller.key() {
            return Err(LgspError::NotFound(format!("Hệ thống này không nhận thông điệp “{id}”.")));
        }
        if let Some(js) = &self.nats {
            let (_, body) = js.body(id).await?.ok_or_else(|| LgspError::NotFound(id.into()))?;
            return Ok((m, body));
        }
        let body: Vec<u8> = sqlx::query_scalar("SELECT body FROM lgsp_messages WHERE id = $1")
            .bind(id)
            .fetch_one(self.db.pool())
            .await
            .ctx("reading a message's body")?;
        Ok((m, body))
    }

    /// The recipient's report on a message.
    #[tracing::instrument(skip(self, caller, note), fields(recipient = %caller.key()))]
    pub async fn report(
        &self,
        caller: &Subsystem,
        id: &str,
        to: MessageStatus,
        note: &str,
    ) -> Result<Message, LgspError> {
        if note.chars().count() > 1000 {
            return Err(LgspError::field("note", "Ghi chú dài tối đa 1000 ký tự."));
        }
        if to == MessageStatus::Failed && note.trim().is_empty() {
            return Err(LgspError::field("note", "Nêu lý do không xử lý được."));
        }
        let note = Some(note.trim()).filter(|n| !n.is_empty()).map(str::to_string);
        if let Some(js) = &self.nats {
            return match to_report(self.find(id).await?, caller, id, to)? {
                (m, None) => Ok(m),
                (m, Some(_)) => js.report(&m, to, note).await,
            };
        }
        let mut tx = self.db.begin().await?;
        let (m, now) = match to_report(by_id(&mut *tx, id).await?, caller, id, to)? {
            (m, None) => return Ok(m),
            (m, Some(now)) => (m, now),
        };
        let at = format_ts(self.clock.now());
        let done = sqlx::query(
            "UPDATE lgsp_messages SET status = $2, note = $3, updated_at = $4 WHERE id = $1 AND status = $5",
        )
        .bind(id)
        .bind(to.as_str())
        .bind(&note)
        .bind(&at)
        .bind(now.as_str())
        .execute(&mut *tx)
        .await
        .ctx("reporting on a message")?;
        if done.rows_affected() != 1 {
            return Err(LgspError::Conflict(
                "Thông điệp vừa được báo cáo bởi yêu cầu khác.".into(),
            ));
        }
        tx.commit().await?;
        Ok(Message { status: to.as_str().into(), note, updated_at: at, ..m })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_reports_forward_only() {
        use MessageStatus::*;
        assert!(
            Queued.may_become(Received)
                && Queued.may_become(Processed)
                && Queued.may_become(Failed)
        );
        assert!(Received.may_become(Processed) && Received.may_become(Failed));
        assert!(
            !Processed.may_become(Failed)
                && !Failed.may_become(Processed)
                && !Received.may_become(Queued)
        );
        assert_eq!(MessageStatus::parse("processed"), Some(Processed));
        assert_eq!(MessageStatus::parse("done"), None);
    }
}

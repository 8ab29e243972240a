//! The asynchronous exchange on NATS JetStream, for a province that has outgrown one node: the
//! same API as the database's, with the messages and their statuses in two JetStream streams,
//! so that the nodes share them without the database.
//!
//! - Each message is one stream message on the subject `{prefix}.m.{recipient}.{key}` (the
//!   recipient's `member/system` in hex, `key` from the sender and the sender's message id),
//!   published with `Nats-Expected-Last-Subject-Sequence: 0`: the server stores it only if
//!   that subject is empty, so a message id is taken once for ever, atomically, on any node —
//!   not only within JetStream's deduplication window. The platform's id is the stream
//!   sequence. The sender's acknowledgement comes after the server's, which is after the
//!   message is stored (file storage).
//! - A message's status is the last message on `{prefix}_status.s.{sequence}` in the second
//!   stream, `{name}_STATUS` (none: queued), written only with
//!   `Nats-Expected-Last-Subject-Sequence` set to what was read — compare-and-set, so two
//!   reports cannot both win (what JetStream's key-value buckets do, without their client API,
//!   which the NATS 2.9 of Debian 12 does not answer as the client expects).
//! - A recipient's queue is read in stream order from the sequence on
//!   `{prefix}_status.q.{recipient}`, below which every message has been reported on (moved
//!   forward as the queue is read).
//!
//! A recipient system with a `push_url` has its messages pushed by [`crate::delivery`] from a
//! durable consumer of its subjects that lets one message be in flight at a time (the order
//! holds across nodes); a failed push is negatively acknowledged with the back-off as its
//! delay, so the messages behind it wait. A dead message is marked on
//! `{prefix}_status.d.{sequence}`; sending it again puts a marker
//! `{prefix}.r.{recipient}.{sequence}` among the recipient's subjects, which the consumer meets
//! after what was queued before it.

use async_nats::jetstream::context::PublishErrorKind;
use async_nats::jetstream::stream::{LastRawMessageErrorKind, StorageType};
use async_nats::jetstream::{self, stream, Context};
use async_nats::HeaderMap;
use cqdt_platform::clock::format_ts;
use cqdt_platform::{DbError, SharedClock};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{again, Message, MessageStatus};
use crate::model::LgspError;

const SENDER: &str = "Lgsp-Sender";
const MESSAGE_ID: &str = "Lgsp-Message-Id";
const RECIPIENT: &str = "Lgsp-Recipient";
const CONTENT_TYPE: &str = "Lgsp-Content-Type";
const SHA256: &str = "Lgsp-Sha256";
const CREATED: &str = "Lgsp-Created-At";
/// Room left in a NATS message for the headers.
const HEADROOM: usize = 4096;

/// A status as kept in the bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    status: String,
    note: Option<String>,
    updated_at: String,
    /// Failed pushes (for a dead message).
    #[serde(default)]
    attempts: i64,
}

fn broker(e: impl std::fmt::Display) -> LgspError {
    LgspError::Db(DbError::Config(format!("NATS JetStream: {e}")))
}

/// The exchange's streams on a NATS server.
#[derive(Clone)]
pub struct JetStream {
    js: Context,
    stream: stream::Stream,
    statuses: stream::Stream,
    prefix: String,
    max_body: usize,
    clock: SharedClock,
}

impl JetStream {
    /// Connects to `url` and opens (or makes) the stream `name` and its bucket `{name}_STATUS`.
    pub async fn connect(url: &str, name: &str, clock: SharedClock) -> Result<Self, String> {
        let valid = (1..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !valid {
            return Err(format!("stream name {name:?}: 1–32 letters, digits or _"));
        }
        let client = async_nats::connect(url).await.map_err(|e| format!("NATS at {url}: {e}"))?;
        let max_payload = client.server_info().max_payload;
        let js = jetstream::new(client);
        let prefix = name.to_ascii_lowercase();
        let stream = js
            .get_or_create_stream(stream::Config {
                name: name.to_string(),
                // One subject tree, so that a push consumer's filter over both kinds of subjects
                // is within it (NATS 2.9 asks that of a filter).
                subjects: vec![format!("{prefix}.>")],
                storage: StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("stream {name}: {e}"))?;
        let statuses = js
            .get_or_create_stream(stream::Config {
                name: format!("{name}_STATUS"),
                subjects: vec![format!("{prefix}_status.>")],
                storage: StorageType::File,
                max_messages_per_subject: 1,
                ..Default::default()
            })
            .await
            .map_err(|e| format!("stream {name}_STATUS: {e}"))?;
        let max_body = max_payload.saturating_sub(HEADROOM).min(super::MAX_BODY);
        Ok(JetStream { js, stream, statuses, prefix, max_body, clock })
    }

    /// Removes the stream `name` and its status stream from the server at `url` (benchmarks
    /// and tests that made their own).
    pub async fn remove(url: &str, name: &str) -> Result<(), String> {
        let client = async_nats::connect(url).await.map_err(|e| format!("NATS at {url}: {e}"))?;
        let js = jetstream::new(client);
        for s in [name.to_string(), format!("{name}_STATUS")] {
            js.delete_stream(&s).await.map_err(|e| format!("removing {s}: {e}"))?;
        }
        Ok(())
    }

    fn queue(&self, recipient: &str) -> String {
        format!("{}.m.{}", self.prefix, hex::encode(recipient))
    }

    fn subject(&self, recipient: &str, sender: &str, message_id: &str) -> String {
        let key = Sha256::digest(format!("{sender}\n{message_id}"));
        format!("{}.{}", self.queue(recipient), hex::encode(&key[..16]))
    }

    /// Stores `m` (its id is set here), or answers with the message already under its id.
    pub(super) async fn send(
        &self,
        mut m: Message,
        body: &[u8],
    ) -> Result<(Message, bool), LgspError> {
        if body.len() > self.max_body {
            return Err(LgspError::field(
                "body",
                format!("Nội dung tối đa {} byte trên máy chủ NATS đang dùng.", self.max_body),
            ));
        }
        let subject = self.subject(&m.recipient, &m.sender, &m.message_id);
        let mut headers = HeaderMap::new();
        headers.insert(async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE, "0");
        headers.insert(SENDER, m.sender.as_str());
        headers.insert(MESSAGE_ID, m.message_id.as_str());
        headers.insert(RECIPIENT, m.recipient.as_str());
        // Header values are ASCII; a media type with anything else is kept as its ASCII part.
        let kind: String =
            m.content_type.chars().filter(|c| c.is_ascii() && !c.is_control()).collect();
        headers.insert(CONTENT_TYPE, kind.as_str());
        headers.insert(SHA256, m.body_sha256.as_str());
        headers.insert(CREATED, m.created_at.as_str());
        let published =
            self.js.publish_with_headers(subject.clone(), headers, body.to_vec().into()).await;
        let ack = match published {
            Ok(ack) => ack.await,
            Err(e) => return Err(broker(e)),
        };
        match ack {
            Ok(ack) => {
                m.id = ack.sequence.to_string();
                m.content_type = kind;
                Ok((m, true))
            }
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => {
                let first =
                    self.stream.get_last_raw_message_by_subject(&subject).await.map_err(broker)?;
                let digest = m.body_sha256.clone();
                again(self.read(first).await?, &digest)
            }
            Err(e) => Err(broker(e)),
        }
    }

    /// A stored message with its status.
    async fn read(&self, raw: jetstream::message::StreamMessage) -> Result<Message, LgspError> {
        let h =
            |name: &str| raw.headers.get(name).map(|v| v.as_str().to_string()).unwrap_or_default();
        let created_at = h(CREATED);
        let kept = self.kept(raw.sequence).await?.map(|(k, _)| k);
        Ok(Message {
            id: raw.sequence.to_string(),
            sender: h(SENDER),
            message_id: h(MESSAGE_ID),
            recipient: h(RECIPIENT),
            content_type: h(CONTENT_TYPE),
            size: i64::try_from(raw.payload.len()).unwrap_or(i64::MAX),
            body_sha256: h(SHA256),
            status: kept.as_ref().map_or_else(|| "queued".to_string(), |k| k.status.clone()),
            note: kept.as_ref().and_then(|k| k.note.clone()),
            attempts: kept.as_ref().map_or(0, |k| k.attempts),
            updated_at: kept.map_or_else(|| created_at.clone(), |k| k.updated_at),
            created_at,
        })
    }

    /// The last value on a subject of the status stream, and its sequence (the revision a
    /// write must name); `None` when there is none.
    async fn last(&self, subject: &str) -> Result<Option<(Vec<u8>, u64)>, LgspError> {
        match self.statuses.get_last_raw_message_by_subject(subject).await {
            Ok(raw) => Ok(Some((raw.payload.to_vec(), raw.sequence))),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(broker(e)),
        }
    }

    /// Writes `value` on `subject`, with `revision` only if the subject's last sequence is
    /// still that (0: nothing yet); false when someone else wrote first.
    async fn write(
        &self,
        subject: &str,
        value: Vec<u8>,
        revision: Option<u64>,
    ) -> Result<bool, LgspError> {
        let mut headers = HeaderMap::new();
        if let Some(r) = revision {
            headers.insert(
                async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
                r.to_string().as_str(),
            );
        }
        let ack = self
            .js
            .publish_with_headers(subject.to_string(), headers, value.into())
            .await
            .map_err(broker)?
            .await;
        match ack {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == PublishErrorKind::WrongLastSequence => Ok(false),
            Err(e) => Err(broker(e)),
        }
    }

    /// A message's status and its revision; `None` while queued.
    async fn kept(&self, seq: u64) -> Result<Option<(Kept, u64)>, LgspError> {
        let Some((value, revision)) = self.last(&format!("{}_status.s.{seq}", self.prefix)).await?
        else {
            return Ok(None);
        };
        let kept: Kept = serde_json::from_slice(&value).map_err(broker)?;
        Ok(Some((kept, revision)))
    }

    /// The message with the platform's id `id`, with its body.
    async fn raw(&self, id: &str) -> Result<Option<jetstream::message::StreamMessage>, LgspError> {
        let Ok(seq) = id.parse::<u64>() else { return Ok(None) };
        match self.stream.get_raw_message(seq).await {
            Ok(raw) if raw.subject.starts_with(&format!("{}.m.", self.prefix)) => Ok(Some(raw)),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(broker(e)),
        }
    }

    /// A message by the platform's id.
    pub(crate) async fn message(&self, id: &str) -> Result<Option<Message>, LgspError> {
        match self.raw(id).await? {
            Some(raw) => Ok(Some(self.read(raw).await?)),
            None => Ok(None),
        }
    }

    /// A message and its body.
    pub(crate) async fn body(&self, id: &str) -> Result<Option<(Message, Vec<u8>)>, LgspError> {
        let Some(raw) = self.raw(id).await? else { return Ok(None) };
        let body = raw.payload.to_vec();
        Ok(Some((self.read(raw).await?, body)))
    }

    /// The recipient's messages not yet reported on, oldest first.
    pub(super) async fn inbox(
        &self,
        recipient: &str,
        limit: i64,
    ) -> Result<Vec<Message>, LgspError> {
        let mark = format!("{}_status.q.{}", self.prefix, hex::encode(recipient));
        let low = self
            .last(&mark)
            .await?
            .and_then(|(v, _)| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1);
        let filter = format!("{}.*", self.queue(recipient));
        let (mut out, mut from, mut new_low) = (Vec::new(), low, low);
        while i64::try_from(out.len()).unwrap_or(i64::MAX) < limit {
            let raw = match self.stream.get_first_raw_message_by_subject(&filter, from).await {
                Ok(raw) => raw,
                Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => break,
                Err(e) => return Err(broker(e)),
            };
            from = raw.sequence + 1;
            let m = self.read(raw).await?;
            if m.status == MessageStatus::Queued.as_str() {
                out.push(m);
            } else if out.is_empty() {
                // Everything before this one is reported on: the next read starts after it.
                new_low = from;
            }
        }
        if new_low > low {
            // Only moved forward, and only a hint: a lost update costs a longer read.
            self.write(&mark, new_low.to_string().into_bytes(), None).await?;
        }
        Ok(out)
    }

    /// Sets a message's status from `now` to `to`, if no one else changed it meanwhile.
    pub(crate) async fn report(
        &self,
        m: &Message,
        to: MessageStatus,
        note: Option<String>,
    ) -> Result<Message, LgspError> {
        let seq: u64 = m.id.parse().map_err(broker)?;
        let at = format_ts(self.clock.now());
        // Failed pushes are kept while a message waits or lies in the dead letter.
        let attempts =
            if matches!(to, MessageStatus::Dead | MessageStatus::Queued) { m.attempts } else { 0 };
        let kept = Kept {
            status: to.as_str().into(),
            note: note.clone(),
            updated_at: at.clone(),
            attempts,
        };
        let value = serde_json::to_vec(&kept).map_err(broker)?;
        let subject = format!("{}_status.s.{seq}", self.prefix);
        let raced = || LgspError::Conflict("Thông điệp vừa được báo cáo bởi yêu cầu khác.".into());
        let revision = match self.kept(seq).await? {
            None => 0,
            Some((k, revision)) if k.status == m.status => revision,
            Some(_) => return Err(raced()),
        };
        if !self.write(&subject, value, Some(revision)).await? {
            return Err(raced());
        }
        Ok(Message { status: to.as_str().into(), note, updated_at: at, attempts, ..m.clone() })
    }

    /// The durable consumer that pushes `recipient`'s messages, one in flight at a time.
    pub(crate) async fn push_consumer(
        &self,
        recipient: &str,
    ) -> Result<jetstream::consumer::Consumer<jetstream::consumer::pull::Config>, LgspError> {
        use jetstream::consumer::{pull, AckPolicy, DeliverPolicy};
        let name = format!("push_{}", hex::encode(&Sha256::digest(recipient)[..12]));
        let config = pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: format!("{}.*.{}.*", self.prefix, hex::encode(recipient)),
            ack_policy: AckPolicy::Explicit,
            deliver_policy: DeliverPolicy::All,
            // One message in flight across all nodes: the queue's order holds.
            max_ack_pending: 1,
            ack_wait: std::time::Duration::from_secs(60),
            ..Default::default()
        };
        self.stream.get_or_create_consumer(&name, config).await.map_err(broker)
    }

    /// The message a consumer's subject names: its own sequence, or the one a marker of
    /// sending again names.
    pub(crate) fn pushed_sequence(&self, subject: &str, own: u64) -> u64 {
        let retry = format!("{}.r.", self.prefix);
        match subject.strip_prefix(&retry) {
            Some(rest) => rest.rsplit('.').next().and_then(|s| s.parse().ok()).unwrap_or(own),
            None => own,
        }
    }

    /// Notes the `attempts`-th failed push of `m` and why: it waits for its next attempt, or,
    /// `for_good`, goes to the dead letter.
    pub(crate) async fn push_failed(
        &self,
        m: &Message,
        why: &str,
        attempts: i64,
        for_good: bool,
    ) -> Result<(), LgspError> {
        let m = Message { attempts, ..m.clone() };
        let to = if for_good { MessageStatus::Dead } else { MessageStatus::Queued };
        self.report(&m, to, Some(why.to_string())).await?;
        if for_good {
            self.write(&format!("{}_status.d.{}", self.prefix, m.id), Vec::new(), None).await?;
        }
        Ok(())
    }

    /// Sends a dead message again: queued anew, behind what is queued for its recipient now.
    pub(crate) async fn redeliver(&self, m: &Message) -> Result<Message, LgspError> {
        let fresh = Message { attempts: 0, ..m.clone() };
        let again = self.report(&fresh, MessageStatus::Queued, None).await?;
        self.statuses
            .purge()
            .filter(format!("{}_status.d.{}", self.prefix, m.id))
            .await
            .map_err(broker)?;
        let marker = format!("{}.r.{}.{}", self.prefix, hex::encode(&m.recipient), m.id);
        self.write(&marker, Vec::new(), None).await?;
        Ok(again)
    }

    /// The dead letter, newest first (read from the markers; the dead letter stays small).
    pub(crate) async fn dead(&self, limit: i64) -> Result<Vec<Message>, LgspError> {
        let filter = format!("{}_status.d.*", self.prefix);
        let mut seqs = Vec::new();
        let mut from = 1;
        while seqs.len() < 10_000 {
            match self.statuses.get_first_raw_message_by_subject(&filter, from).await {
                Ok(raw) => {
                    from = raw.sequence + 1;
                    seqs.push(raw.subject.rsplit('.').next().unwrap_or_default().to_string());
                }
                Err(e) if e.kind() == LastRawMessageErrorKind::NoMessageFound => break,
                Err(e) => return Err(broker(e)),
            }
        }
        let mut out = Vec::new();
        for id in seqs.iter().rev().take(usize::try_from(limit).unwrap_or(0)) {
            if let Some(m) = self.message(id).await?.filter(|m| m.status == "dead") {
                out.push(m);
            }
        }
        Ok(out)
    }
}

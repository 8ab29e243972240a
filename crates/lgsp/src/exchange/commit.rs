//! Group commit of accepted messages: senders hand their message to one writer, which stores
//! whatever has gathered in one transaction (a multi-row insert, the push jobs with it) and
//! then answers each sender. Every answer still comes after the commit that holds the message;
//! a busy exchange commits hundreds at once instead of one by one.

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, JobQueue, SharedClock, Sql};
use tokio::sync::{mpsc, oneshot};

use super::{again, Message, COLS};
use crate::model::LgspError;

/// Most messages, and most body bytes, one transaction takes.
const MAX_BATCH: usize = 512;
const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Messages waiting for the writer before senders wait to hand theirs over.
const QUEUE: usize = 4096;

type Answer = Result<(Message, bool), LgspError>;

/// A message to store, and where to answer.
struct Pending {
    message: Message,
    body: Vec<u8>,
    push: bool,
    reply: oneshot::Sender<Answer>,
}

/// The handle senders use; the writer stops when the last handle is dropped.
#[derive(Clone)]
pub(super) struct Committer {
    tx: mpsc::Sender<Pending>,
}

fn stopped() -> LgspError {
    LgspError::Db(DbError::Config("the exchange's writer has stopped".into()))
}

impl Committer {
    /// Starts the writer (needs a Tokio runtime).
    pub(super) fn start(db: Db, jobs: JobQueue, clock: SharedClock) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(writer(Store { db, jobs, clock }, rx));
        Committer { tx }
    }

    /// Stores `message` (`push`: with the job that pushes it) and answers once committed: the
    /// message and whether it is new (false: the same sender's id was taken before).
    pub(super) async fn commit(&self, message: Message, body: Vec<u8>, push: bool) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Pending { message, body, push, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Where the writer writes.
struct Store {
    db: Db,
    jobs: JobQueue,
    clock: SharedClock,
}

async fn writer(store: Store, mut rx: mpsc::Receiver<Pending>) {
    while let Some(first) = rx.recv().await {
        let mut bytes = first.body.len();
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match rx.try_recv() {
                Ok(p) => {
                    bytes += p.body.len();
                    batch.push(p);
                }
                Err(_) => break,
            }
        }
        match write(&store, &batch).await {
            Ok(answers) => reply(batch, answers),
            // One message's trouble (another node took its id meanwhile) must not fail the
            // others: each alone, then.
            Err(_) if batch.len() > 1 => {
                for p in batch {
                    let answer = write(&store, std::slice::from_ref(&p)).await;
                    let answer = answer.map_err(LgspError::from).and_then(|mut a| a.remove(0));
                    let _ = p.reply.send(answer);
                }
            }
            Err(e) => {
                let e = LgspError::from(e);
                for p in batch {
                    let _ = p.reply.send(Err(LgspError::Db(DbError::Config(e.to_string()))));
                }
            }
        }
    }
}

fn reply(batch: Vec<Pending>, answers: Vec<Answer>) {
    for (p, a) in batch.into_iter().zip(answers) {
        let _ = p.reply.send(a);
    }
}

/// Writes the new messages of `batch` in one transaction; the answer for each.
async fn write(store: &Store, batch: &[Pending]) -> Result<Vec<Answer>, DbError> {
    let Store { db, jobs, clock } = store;
    let mut tx = db.begin().await?;
    // The messages already stored under the batch's ids, in one query a chunk (by the
    // (sender, message_id) index).
    let mut stored: Vec<Message> = Vec::new();
    for chunk in batch.chunks(256) {
        let mut q = Sql::on(&tx, format!("SELECT {COLS} FROM lgsp_messages WHERE "));
        for (i, p) in chunk.iter().enumerate() {
            q.push(if i == 0 { "(sender = " } else { " OR (sender = " });
            q.push_bind(p.message.sender.as_str());
            q.push(" AND message_id = ");
            q.push_bind(p.message.message_id.as_str());
            q.push(")");
        }
        let found: Vec<Message> = q
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| DbError::Sqlx { context: "reading earlier messages", source: e })?;
        stored.extend(found);
    }
    let mut answers: Vec<Answer> = Vec::with_capacity(batch.len());
    let mut fresh: Vec<&Pending> = Vec::new();
    for p in batch {
        let m = &p.message;
        let same = |q: &Message| q.sender == m.sender && q.message_id == m.message_id;
        if let Some(q) = fresh.iter().find(|q| same(&q.message)) {
            answers.push(again(q.message.clone(), &m.body_sha256));
        } else if let Some(first) = stored.iter().find(|q| same(q)) {
            answers.push(again(first.clone(), &m.body_sha256));
        } else {
            fresh.push(p);
            answers.push(Ok((m.clone(), true)));
        }
    }
    for chunk in fresh.chunks(256) {
        let mut q = Sql::on(&tx, format!("INSERT INTO lgsp_messages ({COLS}, body) "));
        q.push_values(chunk, |mut b, p| {
            let m = &p.message;
            b.push_bind(m.id.as_str())
                .push_bind(m.sender.as_str())
                .push_bind(m.message_id.as_str())
                .push_bind(m.recipient.as_str())
                .push_bind(m.content_type.as_str())
                .push_bind(m.size)
                .push_bind(m.body_sha256.as_str())
                .push_bind(m.status.as_str())
                .push_bind(m.note.as_deref())
                .push_bind(m.attempts)
                .push_bind(m.created_at.as_str())
                .push_bind(m.updated_at.as_str())
                .push_bind(p.body.as_slice());
        });
        q.build()
            .execute(&mut *tx)
            .await
            .map_err(|e| DbError::Sqlx { context: "queueing messages", source: e })?;
    }
    let mut recipients: Vec<&str> =
        fresh.iter().filter(|p| p.push).map(|p| p.message.recipient.as_str()).collect();
    recipients.sort_unstable();
    recipients.dedup();
    // A run under way delivers these too (it looks again before it ends); a job only where
    // none is. The sweeper starts any queue left untried.
    let now = format_ts(clock.now());
    let mut idle = Vec::with_capacity(recipients.len());
    for r in recipients {
        let running: Option<String> = sqlx::query_scalar(
            "SELECT holder FROM lgsp_push_leases WHERE recipient = $1 AND until_at >= $2",
        )
        .bind(r)
        .bind(&now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| DbError::Sqlx { context: "reading a delivery lease", source: e })?;
        if running.is_none() {
            idle.push(r);
        }
    }
    let recipients = idle;
    let payloads: Vec<serde_json::Value> =
        recipients.iter().map(|r| crate::delivery::payload(r)).collect();
    if !payloads.is_empty() {
        jobs.enqueue_many(&mut tx, crate::delivery::JOB_KIND, &payloads).await?;
    }
    tx.commit().await?;
    if !payloads.is_empty() {
        jobs.wake();
    }
    Ok(answers)
}

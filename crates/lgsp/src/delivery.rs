//! Push delivery of the asynchronous exchange: a system that gives a `push_url` gets its
//! messages POSTed there, oldest first, by the platform's job worker (the outbox: the job is
//! written in the transaction that stores the message). One run per recipient at a time (a
//! lease in `lgsp_push_leases`, taken over when it expires), so the order holds across nodes.
//!
//! A 2xx answer marks the message received. A failure the recipient may recover from (5xx,
//! 408, 429, no answer) stops the run and sets the message's next attempt after a growing
//! delay ([`backoff`]); the messages behind it wait (order). The sweeper ([`Delivery::sweep`],
//! every few seconds) starts a run for each recipient whose first message is due again, so a
//! queue moves on without new traffic. After [`MAX_ATTEMPTS`] failures the message goes to the
//! dead letter (`dead`, with the reason) and the ones behind it go on. Any other 4xx is the
//! recipient refusing the message: it goes to the dead letter at once. A message may arrive
//! twice (a crash between the answer and the record, which is written every
//! [`RECORD_EVERY`] messages): recipients deduplicate by `X-Lgsp-Message-Id`.

use std::sync::Arc;
use std::time::Duration;

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, DbResultExt, JobHandler, JobQueue, SharedClock, Sql};
use rand::RngCore;

use crate::service::Directory;
use crate::store;

mod jetstream;

/// The job kind.
pub const JOB_KIND: &str = "lgsp.deliver";
/// Failed deliveries of one message before it goes to the dead letter (over about 40 minutes).
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait after a message's `attempts`-th failed push: 10 s, doubled each time, at most an
/// hour.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    chrono::Duration::seconds((10i64 << exp).min(3600))
}
/// How long a delivery run holds a recipient (renewed with each page).
const LEASE: Duration = Duration::from_secs(60);
/// Messages pushed before their receipt is recorded (one statement for them): the most a
/// crash makes the recipient get twice.
const RECORD_EVERY: usize = 10;
/// Messages a delivery run reads at a time, and most body bytes it holds.
const PAGE: i64 = 100;
const PAGE_BYTES: i64 = 16 * 1024 * 1024;

/// The job's payload: whose queue to deliver.
pub fn payload(recipient: &str) -> serde_json::Value {
    serde_json::json!({ "recipient": recipient })
}

/// Delivers queues to the systems that take pushes.
#[derive(Clone)]
pub struct Delivery {
    db: Db,
    clock: SharedClock,
    http: reqwest::Client,
    directory: Arc<dyn Directory>,
    jobs: Option<JobQueue>,
}

/// A message to push.
#[derive(sqlx::FromRow)]
struct Pending {
    id: String,
    sender: String,
    message_id: String,
    content_type: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    size: i64,
    #[sqlx(skip)]
    body: Vec<u8>,
}

enum Outcome {
    Delivered,
    /// The recipient refused it for good.
    Refused(String),
    /// Try again later.
    Failed(String),
}

impl Delivery {
    /// A delivery over `http` (built with the platform's TLS trust and a timeout).
    pub fn new(
        db: Db,
        clock: SharedClock,
        http: reqwest::Client,
        directory: Arc<dyn Directory>,
    ) -> Self {
        Delivery { db, clock, http, directory, jobs: None }
    }

    /// Installs the handler for [`JOB_KIND`] on the queue (which the sweeper then uses).
    pub fn register(&mut self, jobs: &JobQueue) {
        self.jobs = Some(jobs.clone());
        let me = self.clone();
        let handler: JobHandler = Arc::new(move |payload: String| {
            let me = me.clone();
            Box::pin(async move {
                let v: serde_json::Value =
                    serde_json::from_str(&payload).map_err(|e| e.to_string())?;
                let recipient = v["recipient"].as_str().ok_or("no recipient in the payload")?;
                me.deliver(recipient).await
            })
        });
        jobs.register(JOB_KIND, handler);
    }

    /// Pushes `recipient`'s queue in order; `Err` when the recipient failed and the rest must
    /// wait for the job's next attempt.
    #[tracing::instrument(skip(self))]
    pub async fn deliver(&self, recipient: &str) -> Result<(), String> {
        let (member, code) = recipient.split_once('/').unwrap_or((recipient, ""));
        let to = store::subsystem(self.db.pool(), member, code).await.map_err(|e| e.to_string())?;
        let Some(url) = to.and_then(|s| s.push_url) else { return Ok(()) };
        let mut holder = [0u8; 12];
        rand::rng().fill_bytes(&mut holder);
        let holder = hex::encode(holder);
        // Released, then the queue looked at again: a message committed while this run was
        // ending, whose own job found the lease held, is not left behind.
        loop {
            if !self.lease(recipient, &holder).await.map_err(|e| e.to_string())? {
                return Ok(()); // another run holds it and looks again before it lets go
            }
            let run = self.run(recipient, &url, &holder).await;
            self.release(recipient, &holder).await.map_err(|e| e.to_string())?;
            run?;
            if self.next(recipient).await.map_err(|e| e.to_string())?.is_none() {
                break;
            }
        }
        Ok(())
    }

    /// Pushes the queue until it is empty, or its first message is not due or fails (then it
    /// waits for the sweeper). Messages are read a page at a time and marked received a page
    /// at a time (a crash in between pushes those again: at least once).
    async fn run(&self, recipient: &str, url: &str, holder: &str) -> Result<(), String> {
        let db = |e: DbError| e.to_string();
        let mut renewed = std::time::Instant::now();
        loop {
            let page = self.page(recipient).await.map_err(db)?;
            if page.is_empty() {
                return Ok(());
            }
            let mut delivered: Vec<String> = Vec::with_capacity(page.len());
            for m in &page {
                // Held well within its time, even when pushes are slow: never two runs at once.
                if renewed.elapsed() > LEASE / 3 {
                    if !self.lease(recipient, holder).await.map_err(db)? {
                        self.received(&delivered).await.map_err(db)?;
                        return Err(format!("the delivery lease on {recipient} was lost"));
                    }
                    renewed = std::time::Instant::now();
                }
                let now = self.clock.now();
                let waits =
                    m.next_attempt_at.as_deref().is_some_and(|at| at > format_ts(now).as_str());
                let outcome = if waits { None } else { Some(self.push(recipient, url, m).await) };
                match outcome {
                    Some(Outcome::Delivered) => {
                        delivered.push(m.id.clone());
                        // Recorded every few: a crash pushes again at most these.
                        if delivered.len() >= RECORD_EVERY {
                            self.received(&delivered).await.map_err(db)?;
                            delivered.clear();
                        }
                    }
                    None => {
                        self.received(&delivered).await.map_err(db)?;
                        return Ok(());
                    }
                    Some(failure) => {
                        self.received(&delivered).await.map_err(db)?;
                        delivered.clear();
                        if self.failed(recipient, m, failure).await.map_err(db)? {
                            return Ok(());
                        }
                    }
                }
            }
            self.received(&delivered).await.map_err(db)?;
            if !self.lease(recipient, holder).await.map_err(db)? {
                return Err(format!("the delivery lease on {recipient} was lost"));
            }
            renewed = std::time::Instant::now();
        }
    }

    /// Marks pushed messages received, in one statement.
    async fn received(&self, ids: &[String]) -> Result<(), DbError> {
        if ids.is_empty() {
            return Ok(());
        }
        let mut q = Sql::new(
            self.db.backend(),
            "UPDATE lgsp_messages SET status = 'received', updated_at = ",
        );
        q.push_bind(format_ts(self.clock.now()));
        q.push(" WHERE status = 'queued' AND id IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(id.as_str());
        }
        q.push(")");
        q.build().execute(self.db.pool()).await.ctx("marking messages received")?;
        Ok(())
    }

    /// Records a failed push: the dead letter, or the next attempt (then the queue waits:
    /// true).
    async fn failed(
        &self,
        recipient: &str,
        m: &Pending,
        failure: Outcome,
    ) -> Result<bool, DbError> {
        let tried = m.attempts + 1;
        let now = self.clock.now();
        let (status, note, next) = match failure {
            Outcome::Refused(why) => ("dead", why, None),
            Outcome::Failed(why) if tried >= MAX_ATTEMPTS => {
                ("dead", format!("Không chuyển được sau {MAX_ATTEMPTS} lần thử: {why}"), None)
            }
            Outcome::Failed(why) => ("queued", why, Some(format_ts(now + backoff(tried)))),
            Outcome::Delivered => return Ok(false),
        };
        sqlx::query(
            "UPDATE lgsp_messages SET status = $2, attempts = $3, note = $4, updated_at = $5, \
             next_attempt_at = $6 WHERE id = $1 AND status = 'queued'",
        )
        .bind(&m.id)
        .bind(status)
        .bind(tried)
        .bind(&note)
        .bind(format_ts(now))
        .bind(&next)
        .execute(self.db.pool())
        .await
        .ctx("recording a failed push")?;
        if next.is_some() {
            tracing::warn!(recipient, message = %m.id, tried, %note, "push failed; the queue waits");
        }
        Ok(next.is_some())
    }

    /// Starts a delivery run (a job) for each recipient whose first waiting message is due
    /// again and that no run holds; answers how many.
    pub async fn sweep(&self) -> Result<usize, DbError> {
        let Some(jobs) = &self.jobs else { return Ok(0) };
        let now = format_ts(self.clock.now());
        // Also queues with a message waiting 10 s untried: one sent while another node still
        // took its recipient for one that pulls (its registry is read every 2 s).
        let untried = format_ts(self.clock.now() - chrono::Duration::seconds(10));
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT s.member_code || '/' || s.code FROM lgsp_subsystems s \
             WHERE s.push_url IS NOT NULL \
             AND EXISTS (SELECT 1 FROM lgsp_messages m \
                 WHERE m.recipient = s.member_code || '/' || s.code AND m.status = 'queued' \
                 AND (m.next_attempt_at <= $1 \
                      OR (m.next_attempt_at IS NULL AND m.created_at <= $2))) \
             AND NOT EXISTS (SELECT 1 FROM lgsp_push_leases l \
                 WHERE l.recipient = s.member_code || '/' || s.code AND l.until_at >= $1)",
        )
        .bind(&now)
        .bind(&untried)
        .fetch_all(self.db.pool())
        .await
        .ctx("finding queues due again")?;
        if due.is_empty() {
            return Ok(0);
        }
        let payloads: Vec<serde_json::Value> = due.iter().map(|r| payload(r)).collect();
        let mut tx = self.db.begin().await?;
        jobs.enqueue_many(&mut tx, JOB_KIND, &payloads).await?;
        tx.commit().await?;
        jobs.wake();
        Ok(due.len())
    }

    /// Sweeps every `every` until `shutdown`.
    pub fn spawn_sweeper(
        self,
        every: Duration,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        crate::every(every, shutdown, "push delivery sweep", move || {
            let me = self.clone();
            async move { me.sweep().await.map(|_| ()) }
        })
    }

    async fn push(&self, recipient: &str, url: &str, m: &Pending) -> Outcome {
        let mut claims = serde_json::Map::new();
        claims.insert("op".into(), serde_json::json!("push"));
        let aud = format!("lgsp:{recipient}");
        let assertion = match self.directory.assert_call(&m.sender, &aud, &m.id, claims).await {
            Ok(a) => a,
            Err(why) => return Outcome::Failed(format!("the platform could not sign: {why}")),
        };
        let sent = self
            .http
            .post(url)
            .header("content-type", &m.content_type)
            .header("x-lgsp-message-id", &m.id)
            .header("x-lgsp-sender", &m.sender)
            .header("x-lgsp-sender-message-id", &m.message_id)
            .header("x-lgsp-assertion", assertion)
            .body(m.body.clone())
            .send()
            .await;
        match sent {
            Ok(res) if res.status().is_success() => Outcome::Delivered,
            Ok(res) => {
                let code = res.status().as_u16();
                let text: String = res.text().await.unwrap_or_default().chars().take(300).collect();
                let why = format!("hệ thống nhận trả lời HTTP {code} {}", text.trim());
                if (400..500).contains(&code) && code != 408 && code != 429 {
                    Outcome::Refused(why)
                } else {
                    Outcome::Failed(why)
                }
            }
            Err(e) => Outcome::Failed(format!("không kết nối được hệ thống nhận: {e}")),
        }
    }

    async fn next(&self, recipient: &str) -> Result<Option<Pending>, DbError> {
        Ok(self.page_of(recipient, 1).await?.pop())
    }

    async fn page(&self, recipient: &str) -> Result<Vec<Pending>, DbError> {
        self.page_of(recipient, PAGE).await
    }

    /// The first `n` waiting messages, bodies included while they fit in [`PAGE_BYTES`].
    async fn page_of(&self, recipient: &str, n: i64) -> Result<Vec<Pending>, DbError> {
        let mut page: Vec<Pending> = sqlx::query_as(
            "SELECT id, sender, message_id, content_type, attempts, next_attempt_at, size \
             FROM lgsp_messages \
             WHERE recipient = $1 AND status = 'queued' ORDER BY created_at, id LIMIT $2",
        )
        .bind(recipient)
        .bind(n)
        .fetch_all(self.db.pool())
        .await
        .ctx("reading the messages to push")?;
        let mut bytes = 0i64;
        let keep = page
            .iter()
            .position(|m| {
                bytes += m.size;
                bytes > PAGE_BYTES
            })
            .unwrap_or(page.len())
            .max(1);
        page.truncate(keep);
        let mut q = Sql::new(self.db.backend(), "SELECT id, body FROM lgsp_messages WHERE id IN (");
        for (i, m) in page.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.push_bind(m.id.as_str());
        }
        q.push(")");
        let bodies: Vec<(String, Vec<u8>)> =
            q.build_query_as().fetch_all(self.db.pool()).await.ctx("reading the bodies")?;
        let mut bodies: std::collections::HashMap<String, Vec<u8>> = bodies.into_iter().collect();
        for m in &mut page {
            m.body = bodies.remove(&m.id).unwrap_or_default();
        }
        Ok(page)
    }

    /// Takes or renews the recipient's lease for `holder`; false when another run holds it.
    async fn lease(&self, recipient: &str, holder: &str) -> Result<bool, DbError> {
        let now = self.clock.now();
        // A read first: while a run is under way, the jobs of new messages stop here without
        // writing.
        let held: Option<(String, String)> =
            sqlx::query_as("SELECT holder, until_at FROM lgsp_push_leases WHERE recipient = $1")
                .bind(recipient)
                .fetch_optional(self.db.pool())
                .await
                .ctx("reading a delivery lease")?;
        if held.is_some_and(|(h, until)| h != holder && until >= format_ts(now)) {
            return Ok(false);
        }
        let until = format_ts(now + chrono::Duration::from_std(LEASE).unwrap_or_default());
        let taken = sqlx::query(
            "UPDATE lgsp_push_leases SET holder = $2, until_at = $3 \
             WHERE recipient = $1 AND (holder = $2 OR until_at < $4)",
        )
        .bind(recipient)
        .bind(holder)
        .bind(&until)
        .bind(format_ts(now))
        .execute(self.db.pool())
        .await
        .ctx("taking a delivery lease")?;
        if taken.rows_affected() == 1 {
            return Ok(true);
        }
        let made = sqlx::query(
            "INSERT INTO lgsp_push_leases (recipient, holder, until_at) VALUES ($1, $2, $3) \
             ON CONFLICT (recipient) DO NOTHING",
        )
        .bind(recipient)
        .bind(holder)
        .bind(&until)
        .execute(self.db.pool())
        .await
        .ctx("taking a delivery lease")?;
        Ok(made.rows_affected() == 1)
    }

    async fn release(&self, recipient: &str, holder: &str) -> Result<(), DbError> {
        sqlx::query("DELETE FROM lgsp_push_leases WHERE recipient = $1 AND holder = $2")
            .bind(recipient)
            .bind(holder)
            .execute(self.db.pool())
            .await
            .ctx("releasing a delivery lease")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_after_a_failed_push_doubles_from_ten_seconds_up_to_an_hour() {
        let secs: Vec<i64> = (1..=MAX_ATTEMPTS).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, [10, 20, 40, 80, 160, 320, 640, 1280]);
        assert_eq!(backoff(12).num_seconds(), 3600);
        assert_eq!(backoff(0).num_seconds(), 10);
    }
}

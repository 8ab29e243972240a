//! Use cases: accept a notification inside the caller's transaction (the transactional
//! outbox), deliver it from the job queue with a delivery log, read notifications and notices.

use std::sync::Arc;

use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, JobHandler, JobQueue, SharedClock, Tx};
use serde_json::json;

use crate::channels::{HttpSmsGateway, SmsGateway, SmtpMailer};
use crate::model::{
    Channel, Delivery, DeliveryOutcome, Notice, Notification, NotificationFilter, NotificationId,
    NotificationRequest, NotificationStatus, NotifyError, SmtpUrl,
};
use crate::store;

/// The job kind that delivers one notification; its payload is `{"notification_id": n}`.
pub const DELIVER_JOB: &str = "notify.deliver";

/// Configuration of the delivery channels (from `CQDT_SMTP_URL`, `CQDT_SMTP_FROM`,
/// `CQDT_SMS_URL`, `CQDT_SMS_TOKEN`, `CQDT_TLS_CA_FILE`). A channel left unconfigured still
/// accepts notifications; their delivery fails and is retried until it is configured.
#[derive(Debug, Clone)]
pub struct NotifyConfig {
    /// `smtps://[user:pass@]host[:port]` (implicit TLS), `smtp://…?starttls=required`, or
    /// `smtp://[user:pass@]host[:port]` (plain SMTP, no TLS); see [`SmtpUrl`].
    pub smtp_url: Option<String>,
    /// Sender address, e.g. `no-reply@soctrang.gov.vn` or `Sở TT&TT <no-reply@…>`.
    pub smtp_from: String,
    /// SMS gateway endpoint, e.g. `http://127.0.0.1:9100/api/sms`.
    pub sms_url: Option<String>,
    /// Bearer token for the SMS gateway.
    pub sms_token: Option<String>,
    /// Whom TLS connections (SMTP, the SMS gateway) trust.
    pub tls: cqdt_platform::TlsTrust,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            smtp_url: None,
            smtp_from: "no-reply@cqdt.local".into(),
            sms_url: None,
            sms_token: None,
            tls: cqdt_platform::TlsTrust::default(),
        }
    }
}

/// A channel as the admin page shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChannelInfo {
    /// Channel.
    pub channel: Channel,
    /// Where it delivers, or `None` when it is not configured.
    pub target: Option<String>,
}

/// The notifications service.
#[derive(Clone)]
pub struct Notifier {
    db: Db,
    clock: SharedClock,
    jobs: JobQueue,
    mailer: Option<Arc<SmtpMailer>>,
    sms: Option<Arc<dyn SmsGateway>>,
}

impl Notifier {
    /// A notifier over the platform's database, clock and job queue; fails on unusable config.
    pub fn new(
        db: Db,
        clock: SharedClock,
        jobs: JobQueue,
        config: &NotifyConfig,
    ) -> Result<Self, NotifyError> {
        let mailer = match config.smtp_url.as_deref().filter(|u| !u.trim().is_empty()) {
            Some(url) => Some(Arc::new(SmtpMailer::new(
                &SmtpUrl::parse(url)?,
                &config.smtp_from,
                &config.tls,
            )?)),
            None => None,
        };
        let sms: Option<Arc<dyn SmsGateway>> =
            match config.sms_url.as_deref().filter(|u| !u.trim().is_empty()) {
                Some(url) => {
                    Some(Arc::new(HttpSmsGateway::new(url, config.sms_token.clone(), &config.tls)?))
                }
                None => None,
            };
        Ok(Notifier { db, clock, jobs, mailer, sms })
    }

    /// Replaces the SMS gateway (another provider's adapter, or a test double).
    pub fn with_sms_gateway(mut self, gateway: Arc<dyn SmsGateway>) -> Self {
        self.sms = Some(gateway);
        self
    }

    /// The channels and where they deliver.
    pub fn channels(&self) -> Vec<ChannelInfo> {
        vec![
            ChannelInfo {
                channel: Channel::Email,
                target: self.mailer.as_ref().map(|m| m.describe()),
            },
            ChannelInfo { channel: Channel::Sms, target: self.sms.as_ref().map(|g| g.describe()) },
            ChannelInfo { channel: Channel::InApp, target: Some("in_app_notices".into()) },
        ]
    }

    /// Wakes the delivery worker after a transaction with [`Notifier::send`] committed.
    pub fn wake(&self) {
        self.jobs.wake();
    }

    /// Installs the delivery handler for [`DELIVER_JOB`] on the queue.
    pub fn register(&self, jobs: &JobQueue) {
        let notifier = self.clone();
        let handler: JobHandler = Arc::new(move |payload: String| {
            let notifier = notifier.clone();
            Box::pin(async move { notifier.run_delivery_job(&payload).await })
        });
        jobs.register(DELIVER_JOB, handler);
    }

    /// Validates, renders and stores a notification in the caller's transaction, with the job
    /// that delivers it; nothing is written when the request is invalid. In-app notices are
    /// stored at once. Call `JobQueue::wake` after committing.
    // Debug level on the submission and delivery paths: a span per call must cost nothing when
    // not logged. Never the recipient: it is personal data.
    #[tracing::instrument(level = "debug", skip_all,
        fields(channel = request.channel.as_str(), template = %request.template))]
    pub async fn send(
        &self,
        tx: &mut Tx,
        request: &NotificationRequest,
    ) -> Result<NotificationId, NotifyError> {
        let prepared = request.prepare()?;
        let now = format_ts(self.clock.now());
        let id = store::insert_notification(tx, &prepared, &now).await?;
        match prepared.channel {
            Channel::InApp => {
                let notice = store::insert_notice(
                    tx,
                    &prepared.recipient,
                    &prepared.subject,
                    &prepared.body,
                    prepared.link.as_deref(),
                    &now,
                )
                .await?;
                store::record_attempt(
                    tx,
                    id,
                    &now,
                    DeliveryOutcome::Sent,
                    &format!("stored as in-app notice {notice}"),
                    NotificationStatus::Sent,
                )
                .await?;
            }
            Channel::Email | Channel::Sms => {
                let job =
                    self.jobs.enqueue(tx, DELIVER_JOB, &json!({ "notification_id": id.0 })).await?;
                store::set_job(tx, id, job).await?;
            }
        }
        Ok(id)
    }

    /// Like [`Notifier::send`] for several e-mail or SMS requests, in three statements
    /// whatever their number (for transactions that write many records at once). Nothing is
    /// written when any request is invalid.
    #[tracing::instrument(level = "debug", skip_all, fields(requests = requests.len()))]
    pub async fn send_many(
        &self,
        tx: &mut Tx,
        requests: &[NotificationRequest],
    ) -> Result<Vec<NotificationId>, NotifyError> {
        let prepared =
            requests.iter().map(NotificationRequest::prepare).collect::<Result<Vec<_>, _>>()?;
        if prepared.iter().any(|p| p.channel == Channel::InApp) {
            // In-app notices are stored at once, one by one.
            let mut ids = Vec::with_capacity(requests.len());
            for r in requests {
                ids.push(self.send(tx, r).await?);
            }
            return Ok(ids);
        }
        let now = format_ts(self.clock.now());
        let ids = store::insert_notifications(tx, &prepared, &now).await?;
        let payloads: Vec<serde_json::Value> =
            ids.iter().map(|id| json!({ "notification_id": id.0 })).collect();
        let jobs = self.jobs.enqueue_many(tx, DELIVER_JOB, &payloads).await?;
        let links: Vec<(NotificationId, i64)> = ids.iter().copied().zip(jobs).collect();
        store::set_jobs(tx, &links).await?;
        Ok(ids)
    }

    /// Sends in a transaction of its own, commits and wakes the queue.
    #[tracing::instrument(skip_all,
        fields(channel = request.channel.as_str(), template = %request.template))]
    pub async fn send_now(
        &self,
        request: &NotificationRequest,
    ) -> Result<NotificationId, NotifyError> {
        // Validate before taking the (SQLite) writer lock.
        request.prepare()?;
        let mut tx = self.db.begin().await?;
        let id = self.send(&mut tx, request).await?;
        tx.commit().await?;
        self.jobs.wake();
        Ok(id)
    }

    /// One notification with its delivery log.
    #[tracing::instrument(skip_all, fields(notification = id.0))]
    pub async fn get(
        &self,
        id: NotificationId,
    ) -> Result<Option<(Notification, Vec<Delivery>)>, NotifyError> {
        match store::get_notification(&self.db, id).await? {
            Some(n) => {
                let log = store::deliveries(&self.db, id).await?;
                Ok(Some((n, log)))
            }
            None => Ok(None),
        }
    }

    /// Notifications, newest first.
    #[tracing::instrument(skip_all, fields(status = ?filter.status, channel = ?filter.channel, limit))]
    pub async fn list(
        &self,
        filter: &NotificationFilter,
        limit: i64,
    ) -> Result<Vec<Notification>, NotifyError> {
        Ok(store::list_notifications(&self.db, filter, limit.clamp(1, 1000)).await?)
    }

    /// How many notifications are in each status.
    #[tracing::instrument(skip_all)]
    pub async fn counts(&self) -> Result<Vec<(String, i64)>, NotifyError> {
        Ok(store::count_by_status(&self.db).await?)
    }

    /// A recipient's in-app notices, newest first.
    #[tracing::instrument(skip_all, fields(limit))]
    pub async fn notices(&self, recipient: &str, limit: i64) -> Result<Vec<Notice>, NotifyError> {
        Ok(store::list_notices(&self.db, recipient.trim(), limit.clamp(1, 1000)).await?)
    }

    async fn run_delivery_job(&self, payload: &str) -> Result<(), String> {
        let id = serde_json::from_str::<serde_json::Value>(payload)
            .ok()
            .and_then(|v| v.get("notification_id").and_then(|i| i.as_i64()))
            .ok_or_else(|| format!("bad {DELIVER_JOB} payload: {payload}"))?;
        self.deliver(NotificationId(id)).await.map_err(|e| e.to_string())
    }

    /// Sends a notification on its channel; the answer of the server, or why it failed.
    async fn attempt(&self, n: &Notification) -> Result<String, NotifyError> {
        match n.channel {
            Channel::Email => match &self.mailer {
                Some(m) => {
                    let stamp: String = n.created_at.chars().filter(char::is_ascii_digit).collect();
                    let key = format!("cqdt.notification.{}.{stamp}", n.id);
                    m.send(&key, &n.recipient, &n.subject, &n.body).await
                }
                None => Err(NotifyError::Delivery(
                    "Chưa cấu hình máy chủ gửi thư điện tử (thiết lập CQDT_SMTP_URL).".into(),
                )),
            },
            Channel::Sms => match &self.sms {
                Some(g) => g.send_sms(&n.recipient, &n.body).await,
                None => Err(NotifyError::Delivery(
                    "Chưa cấu hình cổng gửi SMS (thiết lập CQDT_SMS_URL).".into(),
                )),
            },
            Channel::InApp => Ok("Thông báo trong ứng dụng đã được lưu.".into()),
        }
    }

    /// Makes one delivery attempt and logs it; an error means the attempt failed (the job
    /// queue retries it, and the notification is `failed` once the job has no attempts left).
    #[tracing::instrument(level = "debug", skip_all, fields(notification = id.0))]
    pub async fn deliver(&self, id: NotificationId) -> Result<(), NotifyError> {
        let n = store::get_notification(&self.db, id)
            .await?
            .ok_or_else(|| NotifyError::NotFound(id.to_string()))?;
        if n.status == NotificationStatus::Sent {
            // At-least-once delivery from the queue: a repeated job does not send twice.
            return Ok(());
        }
        let outcome = self.attempt(&n).await;
        let final_attempt = match n.job_id {
            Some(job) => match self.jobs.get(job).await? {
                Some((job, _)) => job.attempts >= job.max_attempts,
                None => false,
            },
            None => false,
        };
        let now = format_ts(self.clock.now());
        let mut tx = self.db.begin().await?;
        let result = match outcome {
            Ok(detail) => {
                let attempt = store::record_attempt(
                    &mut tx,
                    id,
                    &now,
                    DeliveryOutcome::Sent,
                    &detail,
                    NotificationStatus::Sent,
                )
                .await?;
                tracing::info!(
                    notification = id.0,
                    channel = n.channel.as_str(),
                    attempt,
                    "notification sent"
                );
                Ok(())
            }
            Err(e) => {
                let detail = match &e {
                    NotifyError::Delivery(m) => m.clone(),
                    other => other.to_string(),
                };
                let status = if final_attempt {
                    NotificationStatus::Failed
                } else {
                    NotificationStatus::Queued
                };
                let attempt = store::record_attempt(
                    &mut tx,
                    id,
                    &now,
                    DeliveryOutcome::Failed,
                    &detail,
                    status,
                )
                .await?;
                tracing::warn!(notification = id.0, channel = n.channel.as_str(), attempt, final_attempt, error = %detail, "notification delivery failed");
                Err(e)
            }
        };
        tx.commit().await?;
        result
    }
}

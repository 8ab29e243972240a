//! SQL for the notifications module's tables: `notifications`, `notification_deliveries`,
//! `in_app_notices`. No other module touches them.

use cqdt_platform::{Db, DbError, DbResultExt, Sql};
use sqlx::AnyConnection;

use crate::model::{
    Channel, Delivery, DeliveryOutcome, Notice, Notification, NotificationFilter, NotificationId,
    NotificationStatus, PreparedNotification,
};

const COLUMNS: &str = "id, channel, recipient, template, subject, body, status, attempts, \
                       last_error, created_at, sent_at, job_id";

/// A row of `notifications` as stored.
#[derive(sqlx::FromRow)]
struct NotificationRow {
    id: i64,
    channel: String,
    recipient: String,
    template: String,
    subject: String,
    body: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
    created_at: String,
    sent_at: Option<String>,
    job_id: Option<i64>,
}

impl TryFrom<NotificationRow> for Notification {
    type Error = sqlx::Error;

    fn try_from(r: NotificationRow) -> Result<Self, Self::Error> {
        Ok(Notification {
            id: NotificationId(r.id),
            channel: Channel::parse(&r.channel).ok_or_else(|| bad_value("channel", &r.channel))?,
            recipient: r.recipient,
            template: r.template,
            subject: r.subject,
            body: r.body,
            status: NotificationStatus::parse(&r.status)
                .ok_or_else(|| bad_value("status", &r.status))?,
            attempts: r.attempts,
            last_error: r.last_error,
            created_at: r.created_at,
            sent_at: r.sent_at,
            job_id: r.job_id,
        })
    }
}

/// A row of `notification_deliveries` as stored.
#[derive(sqlx::FromRow)]
struct DeliveryRow {
    attempt: i64,
    at: String,
    outcome: String,
    detail: Option<String>,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = sqlx::Error;

    fn try_from(r: DeliveryRow) -> Result<Self, Self::Error> {
        Ok(Delivery {
            attempt: r.attempt,
            at: r.at,
            outcome: DeliveryOutcome::parse(&r.outcome)
                .ok_or_else(|| bad_value("outcome", &r.outcome))?,
            detail: r.detail,
        })
    }
}

fn bad_value(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: format!("unknown value {value:?}").into(),
    }
}

/// Inserts a notification in the `queued` state and returns its id.
pub async fn insert_notification(
    conn: &mut AnyConnection,
    n: &PreparedNotification,
    created_at: &str,
) -> Result<NotificationId, DbError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (channel, recipient, template, subject, body, status, \
         attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, 0, $7) RETURNING id",
    )
    .bind(n.channel.as_str())
    .bind(&n.recipient)
    .bind(&n.template)
    .bind(&n.subject)
    .bind(&n.body)
    .bind(NotificationStatus::Queued.as_str())
    .bind(created_at)
    .fetch_one(conn)
    .await
    .ctx("inserting notification")?;
    Ok(NotificationId(id))
}

/// Stores several notifications in one statement; ids in the input's order.
pub async fn insert_notifications(
    conn: &mut AnyConnection,
    items: &[PreparedNotification],
    created_at: &str,
) -> Result<Vec<NotificationId>, DbError> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::on(
        conn,
        "INSERT INTO notifications (channel, recipient, template, subject, body, status, \
         attempts, created_at) ",
    );
    q.push_values(items, |mut row, n| {
        row.push_bind(n.channel.as_str())
            .push_bind(n.recipient.as_str())
            .push_bind(n.template.as_str())
            .push_bind(n.subject.as_str())
            .push_bind(n.body.as_str())
            .push_bind(NotificationStatus::Queued.as_str())
            .push_bind(0_i64)
            .push_bind(created_at);
    });
    q.push(" RETURNING id");
    let mut ids: Vec<i64> =
        q.build_query_scalar().fetch_all(conn).await.ctx("inserting notifications")?;
    // One statement takes its ids in row order; RETURNING need not list them so.
    ids.sort_unstable();
    Ok(ids.into_iter().map(NotificationId).collect())
}

/// Remembers which outbox jobs deliver several notifications, in one statement.
pub async fn set_jobs(
    conn: &mut AnyConnection,
    links: &[(NotificationId, i64)],
) -> Result<(), DbError> {
    if links.is_empty() {
        return Ok(());
    }
    let mut q = Sql::on(conn, "UPDATE notifications SET job_id = CASE id");
    for (n, job) in links {
        q.push(" WHEN ").push_bind(n.0).push(" THEN ").push_bind(*job);
    }
    q.push(" END WHERE id IN (");
    let mut ids = q.separated(", ");
    for (n, _) in links {
        ids.push_bind(n.0);
    }
    q.push(")");
    q.build().execute(conn).await.ctx("linking notifications to their jobs")?;
    Ok(())
}

/// Remembers which outbox job delivers a notification.
pub async fn set_job(
    conn: &mut AnyConnection,
    id: NotificationId,
    job_id: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE notifications SET job_id = $1 WHERE id = $2")
        .bind(job_id)
        .bind(id.0)
        .execute(conn)
        .await
        .ctx("linking notification to its job")?;
    Ok(())
}

/// Counts an attempt, logs it and sets the notification's status; returns the attempt number.
pub async fn record_attempt(
    conn: &mut AnyConnection,
    id: NotificationId,
    at: &str,
    outcome: DeliveryOutcome,
    detail: &str,
    status: NotificationStatus,
) -> Result<i64, DbError> {
    let (sent_at, last_error) = match outcome {
        DeliveryOutcome::Sent => (Some(at), None),
        DeliveryOutcome::Failed => (None, Some(detail)),
    };
    let attempt: i64 = sqlx::query_scalar(
        "UPDATE notifications SET attempts = attempts + 1, status = $1, \
         sent_at = COALESCE($2, sent_at), last_error = $3 WHERE id = $4 RETURNING attempts",
    )
    .bind(status.as_str())
    .bind(sent_at)
    .bind(last_error)
    .bind(id.0)
    .fetch_one(&mut *conn)
    .await
    .ctx("counting delivery attempt")?;
    sqlx::query(
        "INSERT INTO notification_deliveries (notification_id, attempt, at, outcome, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(attempt)
    .bind(at)
    .bind(outcome.as_str())
    .bind(detail)
    .execute(conn)
    .await
    .ctx("logging delivery attempt")?;
    Ok(attempt)
}

/// One notification.
pub async fn get_notification(
    db: &Db,
    id: NotificationId,
) -> Result<Option<Notification>, DbError> {
    let row = sqlx::query_as::<_, NotificationRow>(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(db.pool())
    .await
    .ctx("reading notification")?;
    row.map(Notification::try_from).transpose().ctx("decoding notification")
}

/// Notifications matching a filter, newest first.
pub async fn list_notifications(
    db: &Db,
    filter: &NotificationFilter,
    limit: i64,
) -> Result<Vec<Notification>, DbError> {
    let mut q = Sql::new(db.backend(), format!("SELECT {COLUMNS} FROM notifications WHERE 1 = 1"));
    if let Some(r) = &filter.recipient {
        q.push(" AND recipient = ").push_bind(r.as_str());
    }
    if let Some(s) = filter.status {
        q.push(" AND status = ").push_bind(s.as_str());
    }
    if let Some(c) = filter.channel {
        q.push(" AND channel = ").push_bind(c.as_str());
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows: Vec<NotificationRow> =
        q.build_query_as().fetch_all(db.pool()).await.ctx("listing notifications")?;
    rows.into_iter()
        .map(Notification::try_from)
        .collect::<Result<_, _>>()
        .ctx("decoding notifications")
}

/// How many notifications are in each status.
pub async fn count_by_status(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    sqlx::query_as("SELECT status, COUNT(*) FROM notifications GROUP BY status ORDER BY status")
        .fetch_all(db.pool())
        .await
        .ctx("counting notifications")
}

/// The delivery log of a notification, oldest attempt first.
pub async fn deliveries(db: &Db, id: NotificationId) -> Result<Vec<Delivery>, DbError> {
    let rows = sqlx::query_as::<_, DeliveryRow>(
        "SELECT attempt, at, outcome, detail FROM notification_deliveries \
         WHERE notification_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await
    .ctx("reading delivery log")?;
    rows.into_iter().map(Delivery::try_from).collect::<Result<_, _>>().ctx("decoding delivery log")
}

/// Stores an in-app notice and returns its id.
pub async fn insert_notice(
    conn: &mut AnyConnection,
    recipient: &str,
    title: &str,
    body: &str,
    link: Option<&str>,
    created_at: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO in_app_notices (recipient, title, body, link, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(recipient)
    .bind(title)
    .bind(body)
    .bind(link)
    .bind(created_at)
    .fetch_one(conn)
    .await
    .ctx("storing in-app notice")
}

/// A recipient's in-app notices, newest first.
pub async fn list_notices(db: &Db, recipient: &str, limit: i64) -> Result<Vec<Notice>, DbError> {
    sqlx::query_as::<_, Notice>(
        "SELECT id, recipient, title, body, link, created_at, read_at FROM in_app_notices \
         WHERE recipient = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(recipient)
    .bind(limit)
    .fetch_all(db.pool())
    .await
    .ctx("listing in-app notices")
}

//! SQL for the notifications module's tables: `notifications`, `notification_deliveries`,
//! `in_app_notices`. No other module touches them.

use cqdt_platform::{Db, DbError, DbResultExt};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::model::{
    Channel, Delivery, DeliveryOutcome, Notice, Notification, NotificationFilter, NotificationId,
    NotificationStatus, PreparedNotification,
};

const COLUMNS: &str = "id, channel, recipient, template, subject, body, status, attempts, \
                       last_error, created_at, sent_at, job_id";

fn notification_from_row(r: &AnyRow) -> Result<Notification, sqlx::Error> {
    let channel: String = r.try_get("channel")?;
    let status: String = r.try_get("status")?;
    Ok(Notification {
        id: NotificationId(r.try_get("id")?),
        channel: Channel::parse(&channel).ok_or_else(|| bad_value("channel", &channel))?,
        recipient: r.try_get("recipient")?,
        template: r.try_get("template")?,
        subject: r.try_get("subject")?,
        body: r.try_get("body")?,
        status: NotificationStatus::parse(&status).ok_or_else(|| bad_value("status", &status))?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        created_at: r.try_get("created_at")?,
        sent_at: r.try_get("sent_at")?,
        job_id: r.try_get("job_id")?,
    })
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
    let sql = format!(
        "INSERT INTO notifications (channel, recipient, template, subject, body, status, \
         attempts, created_at) VALUES {} RETURNING id",
        cqdt_platform::db::values_list(items.len(), 8, 0)
    );
    let mut q = sqlx::query_scalar(&sql);
    for n in items {
        q = q
            .bind(n.channel.as_str())
            .bind(&n.recipient)
            .bind(&n.template)
            .bind(&n.subject)
            .bind(&n.body)
            .bind(NotificationStatus::Queued.as_str())
            .bind(0_i64)
            .bind(created_at);
    }
    let mut ids: Vec<i64> = q.fetch_all(conn).await.ctx("inserting notifications")?;
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
    let cases: Vec<String> = (0..links.len())
        .map(|i| format!("WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2))
        .collect();
    let ids: Vec<String> = (0..links.len())
        .map(|i| format!("${}", 2 * i + 1))
        .collect();
    let sql = format!(
        "UPDATE notifications SET job_id = CASE id {} END WHERE id IN ({})",
        cases.join(" "),
        ids.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for (n, job) in links {
        q = q.bind(n.0).bind(*job);
    }
    q.execute(conn)
        .await
        .ctx("linking notifications to their jobs")?;
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
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM notifications WHERE id = $1"
    ))
    .bind(id.0)
    .fetch_optional(db.pool())
    .await
    .ctx("reading notification")?;
    row.as_ref()
        .map(notification_from_row)
        .transpose()
        .ctx("decoding notification")
}

/// Notifications matching a filter, newest first.
pub async fn list_notifications(
    db: &Db,
    filter: &NotificationFilter,
    limit: i64,
) -> Result<Vec<Notification>, DbError> {
    let mut conditions = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(r) = &filter.recipient {
        binds.push(r.clone());
        conditions.push(format!("recipient = ${}", binds.len()));
    }
    if let Some(s) = filter.status {
        binds.push(s.as_str().to_string());
        conditions.push(format!("status = ${}", binds.len()));
    }
    if let Some(c) = filter.channel {
        binds.push(c.as_str().to_string());
        conditions.push(format!("channel = ${}", binds.len()));
    }
    let filter_sql = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications{filter_sql} ORDER BY id DESC LIMIT ${}",
        binds.len() + 1
    );
    let mut q = sqlx::query(&sql);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q
        .bind(limit)
        .fetch_all(db.pool())
        .await
        .ctx("listing notifications")?;
    rows.iter()
        .map(notification_from_row)
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
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT attempt, at, outcome, detail FROM notification_deliveries \
         WHERE notification_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(db.pool())
    .await
    .ctx("reading delivery log")?;
    Ok(rows
        .into_iter()
        .map(|(attempt, at, outcome, detail)| Delivery {
            attempt,
            at,
            outcome: DeliveryOutcome::parse(&outcome).unwrap_or(DeliveryOutcome::Failed),
            detail,
        })
        .collect())
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
    type NoticeRow = (
        i64,
        String,
        String,
        String,
        Option<String>,
        String,
        Option<String>,
    );
    let rows: Vec<NoticeRow> = sqlx::query_as(
        "SELECT id, recipient, title, body, link, created_at, read_at FROM in_app_notices \
         WHERE recipient = $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(recipient)
    .bind(limit)
    .fetch_all(db.pool())
    .await
    .ctx("listing in-app notices")?;
    Ok(rows
        .into_iter()
        .map(
            |(id, recipient, title, body, link, created_at, read_at)| Notice {
                id,
                recipient,
                title,
                body,
                link,
                created_at,
                read_at,
            },
        )
        .collect())
}

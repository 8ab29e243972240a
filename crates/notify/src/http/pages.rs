//! The admin pages: the list of notifications with a test form, and one notification with
//! its delivery log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_audit::AuditEvent;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, PageError, RequestId, Shell};
use serde::Deserialize;
use serde_json::json;

use super::{audit_read, error, parse_filter, parse_id, ListQuery, NotifyState, PURPOSE};
use crate::model::{
    Channel, Delivery, Notification, NotificationRequest, NotificationStatus, NotifyError,
};

struct Row {
    id: i64,
    channel: &'static str,
    recipient: String,
    subject: String,
    status: &'static str,
    status_label: &'static str,
    attempts: i64,
    created_at: String,
    last_error: String,
}

impl From<&Notification> for Row {
    fn from(n: &Notification) -> Self {
        Row {
            id: n.id.0,
            channel: n.channel.label_vi(),
            recipient: n.recipient.clone(),
            subject: n.subject.clone(),
            status: n.status.as_str(),
            status_label: n.status.label_vi(),
            attempts: n.attempts,
            created_at: n.created_at_vn(),
            last_error: n.last_error.clone().unwrap_or_default(),
        }
    }
}

struct ChannelRow {
    label: &'static str,
    target: String,
    configured: bool,
}

#[derive(Deserialize, Default)]
pub(super) struct TestForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    recipient: String,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct ListPage {
    shell: Shell,
    rows: Vec<Row>,
    counts: Vec<(String, &'static str, i64)>,
    channels: Vec<ChannelRow>,
    status: String,
    errors: Vec<FieldError>,
    form: TestForm,
}

async fn list_page_response(
    s: &NotifyState,
    admin: &Admin,
    rid: &str,
    q: &ListQuery,
    errors: Vec<FieldError>,
    form: TestForm,
) -> Result<ListPage, PageError> {
    let (filter, limit) = parse_filter(q).map_err(|e| {
        PageError::BadRequest(
            e.into_iter()
                .map(|e| e.message)
                .collect::<Vec<_>>()
                .join(" "),
        )
    })?;
    let list = s
        .notifier
        .list(&filter, limit)
        .await
        .map_err(PageError::internal)?;
    audit_read(
        s,
        admin,
        rid,
        "notification.list",
        None,
        &filter,
        list.len(),
    )
    .await
    .map_err(PageError::internal)?;
    let counts = s
        .notifier
        .counts()
        .await
        .map_err(PageError::internal)?
        .into_iter()
        .map(|(status, n)| {
            let label = NotificationStatus::parse(&status)
                .map(NotificationStatus::label_vi)
                .unwrap_or("Khác");
            (status, label, n)
        })
        .collect();
    let channels = s
        .notifier
        .channels()
        .into_iter()
        .map(|c| ChannelRow {
            label: c.channel.label_vi(),
            configured: c.target.is_some(),
            target: c.target.unwrap_or_default(),
        })
        .collect();
    Ok(ListPage {
        shell: (*s.platform.shell).clone(),
        rows: list.iter().map(Row::from).collect(),
        counts,
        channels,
        status: filter
            .status
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        errors,
        form,
    })
}

pub(super) async fn list_page(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let page = list_page_response(&s, &admin, &rid, &q, Vec::new(), TestForm::default()).await?;
    Ok(render(&page))
}

pub(super) async fn test_page(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Form(form): Form<TestForm>,
) -> Result<Response, PageError> {
    let channel = Channel::parse(form.channel.trim());
    let result = match channel {
        None => Err(NotifyError::Invalid(vec![error(
            "channel",
            "Hãy chọn kênh gửi thử.",
        )])),
        Some(channel) => {
            let request = NotificationRequest::new(channel, form.recipient.clone(), "test");
            let mut tx = s.platform.db.begin().await.map_err(PageError::internal)?;
            match s.notifier.send(&mut tx, &request).await {
                Ok(id) => {
                    s.audit
                        .record(
                            &mut tx,
                            AuditEvent::new(&admin.name, "notification.send", "notification")
                                .object(id.to_string())
                                .request(&rid)
                                .details(json!({"channel": channel.as_str(), "template": "test"})),
                        )
                        .await
                        .map_err(PageError::internal)?;
                    tx.commit().await.map_err(PageError::internal)?;
                    s.platform.jobs.wake();
                    Ok(id)
                }
                Err(e) => Err(e),
            }
        }
    };
    match result {
        Ok(id) => Ok(Redirect::to(&format!("/admin/notifications/{id}")).into_response()),
        Err(NotifyError::Invalid(errors)) => {
            let page =
                list_page_response(&s, &admin, &rid, &ListQuery::default(), errors, form).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(PageError::internal(e)),
    }
}

struct DeliveryRow {
    attempt: i64,
    at: String,
    outcome: &'static str,
    outcome_label: &'static str,
    detail: String,
}

impl From<&Delivery> for DeliveryRow {
    fn from(d: &Delivery) -> Self {
        DeliveryRow {
            attempt: d.attempt,
            at: d.at_vn(),
            outcome: d.outcome.as_str(),
            outcome_label: d.outcome.label_vi(),
            detail: d.detail.clone().unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "notification_detail.html")]
struct DetailPage {
    shell: Shell,
    row: Row,
    template: String,
    paragraphs: Vec<Vec<String>>,
    sent_at: String,
    job_id: Option<i64>,
    deliveries: Vec<DeliveryRow>,
}

pub(super) async fn detail_page(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Path(raw): Path<String>,
) -> Result<Response, PageError> {
    let id = parse_id(&raw).ok_or(PageError::NotFound)?;
    let (n, deliveries) = s
        .notifier
        .get(id)
        .await
        .map_err(PageError::internal)?
        .ok_or(PageError::NotFound)?;
    s.audit
        .record_now(
            AuditEvent::new(&admin.name, "notification.read", "notification")
                .object(id.to_string())
                .request(&rid)
                .purpose(PURPOSE),
        )
        .await
        .map_err(PageError::internal)?;
    Ok(render(&DetailPage {
        shell: (*s.platform.shell).clone(),
        row: Row::from(&n),
        template: n.template.clone(),
        paragraphs: n
            .body
            .split("\n\n")
            .map(|p| p.lines().map(str::to_string).collect())
            .collect(),
        sent_at: n.sent_at_vn(),
        job_id: n.job_id,
        deliveries: deliveries.iter().map(DeliveryRow::from).collect(),
    }))
}

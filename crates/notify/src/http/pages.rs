//! The admin pages: the list of notifications with a test form, and one notification with
//! its delivery log.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cqdt_audit::AuditEvent;
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, RequestId, Shell};
use serde::Deserialize;
use serde_json::json;

use super::{audit_one, audit_read, parse_filter, parse_id, ListQuery, NotifyState};
use crate::model::{
    field_error, Channel, Delivery, Notification, NotificationId, NotificationRequest,
    NotificationStatus, NotifyError,
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
) -> Result<ListPage, NotifyError> {
    let (filter, limit) = parse_filter(q)?;
    let list = s.notifier.list(&filter, limit).await?;
    audit_read(s, admin, rid, &filter, list.len()).await?;
    let counts = s
        .notifier
        .counts()
        .await?
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
        status: filter.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        errors,
        form,
    })
}

pub(super) async fn list_page(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Query(q): Query<ListQuery>,
) -> Result<Response, NotifyError> {
    let page = list_page_response(&s, &admin, &rid, &q, Vec::new(), TestForm::default()).await?;
    Ok(render(&page))
}

/// Sends the test message on the channel the form names, with the send audited.
async fn send_test(
    s: &NotifyState,
    admin: &Admin,
    rid: &str,
    form: &TestForm,
) -> Result<NotificationId, NotifyError> {
    let channel = Channel::parse(form.channel.trim()).ok_or_else(|| {
        NotifyError::Invalid(vec![field_error("channel", "Hãy chọn kênh gửi thử.")])
    })?;
    let request = NotificationRequest::new(channel, form.recipient.clone(), "test");
    let mut tx = s.platform.db.begin().await?;
    let id = s.notifier.send(&mut tx, &request).await?;
    let event = AuditEvent::new(&admin.name, "notification.send", "notification")
        .object(id.to_string())
        .request(rid)
        .details(json!({"channel": channel.as_str(), "template": "test"}));
    s.audit.record(&mut tx, event).await?;
    tx.commit().await?;
    s.platform.jobs.wake();
    Ok(id)
}

pub(super) async fn test_page(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Form(form): Form<TestForm>,
) -> Result<Response, NotifyError> {
    match send_test(&s, &admin, &rid, &form).await {
        Ok(id) => Ok(Redirect::to(&format!("/admin/notifications/{id}")).into_response()),
        // The form again, with its errors: not an error page.
        Err(NotifyError::Invalid(errors)) => {
            let page =
                list_page_response(&s, &admin, &rid, &ListQuery::default(), errors, form).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
        }
        Err(e) => Err(e),
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
) -> Result<Response, NotifyError> {
    let id = parse_id(&raw)?;
    let (n, deliveries) = s.notifier.get(id).await?.ok_or(NotifyError::NotFound(raw))?;
    audit_one(&s, &admin, &rid, id).await?;
    Ok(render(&DetailPage {
        shell: (*s.platform.shell).clone(),
        row: Row::from(&n),
        template: crate::model::template(&n.template)
            .map_or_else(|| n.template.clone(), |t| t.name.to_string()),
        paragraphs: n.body.split("\n\n").map(|p| p.lines().map(str::to_string).collect()).collect(),
        sent_at: n.sent_at_vn(),
        job_id: n.job_id,
        deliveries: deliveries.iter().map(DeliveryRow::from).collect(),
    }))
}

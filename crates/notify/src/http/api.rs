//! The JSON API: send a notification, list and read notifications with their delivery log,
//! list a recipient's in-app notices.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::Json;
use cqdt_audit::AuditEvent;
use cqdt_platform::{Admin, FieldError, RequestId};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::ToSchema;

use super::{audit_one, audit_read, non_empty, parse_filter, parse_id, parse_limit};
use super::{ListQuery, NotifyState, PURPOSE};
use crate::model::{
    field_error, render as render_template, Channel, Delivery, Notice, Notification,
    NotificationId, NotificationRequest, NotificationStatus, NotifyError, TEMPLATES,
};
use cqdt_platform::openapi::{AdminRefusal, BadRequest, NotFound, Unprocessable};

// The handler reads the body field by field (`request_from_json`) so that every problem is
// reported at once; this type gives its shape to the API document, and the tests below keep
// the two in agreement.
/// A notification to send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub(super) struct SendBody {
    /// How to send it.
    pub channel: Channel,
    /// E-mail address, Vietnamese mobile number (0xxxxxxxxx or +84xxxxxxxxx), or account key
    /// for in_app.
    pub recipient: String,
    /// The message template.
    #[schema(schema_with = template_ids)]
    pub template: String,
    /// Template parameters; dates as dd/mm/yyyy or yyyy-mm-dd.
    pub params: Option<BTreeMap<String, ParamValue>>,
    /// in_app only: a path inside the platform, starting with /.
    pub link: Option<String>,
}

/// A template parameter: text, or a number (written as text into the message).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub(super) enum ParamValue {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
}

/// The ids of the registered templates, as the schema of `template`.
fn template_ids() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(TEMPLATES.iter().map(|t| t.id)))
        .build()
}

/// Reads the JSON body of `POST /api/v1/notifications`; every problem is reported at once.
fn request_from_json(v: &Value) -> Result<NotificationRequest, NotifyError> {
    let Some(obj) = v.as_object() else {
        let e = field_error("", "Nội dung phải là một đối tượng JSON.");
        return Err(NotifyError::Invalid(vec![e]));
    };
    let mut errors = Vec::new();
    for key in obj.keys() {
        if !matches!(key.as_str(), "channel" | "recipient" | "template" | "params" | "link") {
            errors.push(field_error(key, format!("Trường “{key}” không được hỗ trợ.")));
        }
    }
    let string = |key: &str, errors: &mut Vec<FieldError>| -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.push(field_error(key, format!("Trường “{key}” phải là chuỗi ký tự.")));
                None
            }
        }
    };
    let channel_raw = string("channel", &mut errors);
    let recipient = string("recipient", &mut errors).unwrap_or_default();
    let template = string("template", &mut errors).unwrap_or_default();
    let link = string("link", &mut errors);
    let channel = parse_channel(channel_raw.as_deref(), &mut errors);
    let params = parse_params(obj.get("params"), &mut errors);
    match channel {
        Some(channel) if errors.is_empty() => {
            Ok(NotificationRequest { channel, recipient, template, params, link })
        }
        _ => {
            // Report template problems too, so the caller can fix everything at once.
            if let Err(e) = render_template(&template, &params) {
                errors.extend_from_slice(e.field_errors());
            }
            Err(NotifyError::Invalid(errors))
        }
    }
}

fn parse_channel(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Channel> {
    let Some(c) = raw else {
        errors.push(field_error("channel", "Chưa chọn kênh gửi (email, sms, in_app)."));
        return None;
    };
    let parsed = Channel::parse(c.trim());
    if parsed.is_none() {
        errors.push(field_error(
            "channel",
            format!("Kênh gửi “{c}” không hợp lệ (email, sms, in_app)."),
        ));
    }
    parsed
}

fn parse_params(raw: Option<&Value>, errors: &mut Vec<FieldError>) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    match raw {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                match v {
                    Value::String(s) => {
                        params.insert(k.clone(), s.clone());
                    }
                    Value::Number(n) => {
                        params.insert(k.clone(), n.to_string());
                    }
                    _ => errors.push(field_error(
                        &format!("/params/{k}"),
                        format!("Tham số “{k}” phải là chuỗi ký tự hoặc số."),
                    )),
                }
            }
        }
        Some(_) => {
            errors.push(field_error("params", "Trường “params” phải là một đối tượng JSON."));
        }
    }
    params
}

/// The answer to an accepted notification.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct Accepted {
    /// The notification's id.
    pub id: NotificationId,
    /// `sent` for an in-app notice (stored at once), `queued` otherwise.
    pub status: NotificationStatus,
    /// Where to read it.
    pub href: String,
}

#[utoipa::path(post, path = "/api/v1/notifications", tag = "notifications",
    operation_id = "notifications_send",
    summary = "Send a notification by e-mail, SMS or in-app notice (queued; delivered with retries)",
    request_body = SendBody,
    responses(
        (status = 202, description = "accepted", body = Accepted,
            headers(("Location" = String, description = "The notification's address"))),
        BadRequest, Unprocessable,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn create_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    body: Bytes,
) -> Result<(StatusCode, [(header::HeaderName, String); 1], Json<Accepted>), NotifyError> {
    let value: Value =
        serde_json::from_slice(&body).map_err(|e| NotifyError::NotJson(e.to_string()))?;
    let request = request_from_json(&value)?;
    let mut tx = s.platform.db.begin().await?;
    let id = s.notifier.send(&mut tx, &request).await?;
    let details = json!({"channel": request.channel.as_str(), "template": request.template});
    let event = AuditEvent::new(&admin.name, "notification.send", "notification")
        .object(id.to_string())
        .request(&rid)
        .details(details);
    s.audit.record(&mut tx, event).await?;
    tx.commit().await?;
    s.platform.jobs.wake();
    let href = format!("/api/v1/notifications/{id}");
    let status = match request.channel {
        Channel::InApp => NotificationStatus::Sent,
        Channel::Email | Channel::Sms => NotificationStatus::Queued,
    };
    let location = [(header::LOCATION, href.clone())];
    Ok((StatusCode::ACCEPTED, location, Json(Accepted { id, status, href })))
}

/// Notifications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NotificationList {
    /// The notifications.
    pub notifications: Vec<Notification>,
}

#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    operation_id = "notifications_list",
    summary = "List notifications, newest first",
    params(
        ("recipient" = Option<String>, Query, description = "E-mail address, phone number or account key"),
        ("status" = Option<NotificationStatus>, Query, description = "Only notifications in this status"),
        ("channel" = Option<Channel>, Query, description = "Only notifications sent this way"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many (default 100)")),
    responses(
        (status = 200, description = "notifications", body = NotificationList),
        BadRequest,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn list_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Query(q): Query<ListQuery>,
) -> Result<Json<NotificationList>, NotifyError> {
    let (filter, limit) = parse_filter(&q)?;
    let notifications = s.notifier.list(&filter, limit).await?;
    audit_read(&s, &admin, &rid, &filter, notifications.len()).await?;
    Ok(Json(NotificationList { notifications }))
}

/// A notification with its delivery log.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NotificationDetail {
    /// The notification.
    pub notification: Notification,
    /// Its delivery attempts, oldest first.
    pub deliveries: Vec<Delivery>,
}

#[utoipa::path(get, path = "/api/v1/notifications/{id}", tag = "notifications",
    operation_id = "notifications_get",
    summary = "A notification with its delivery log",
    params(("id" = i64, Path, description = "The notification's id")),
    responses(
        (status = 200, description = "notification", body = NotificationDetail),
        NotFound,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn get_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Path(raw): Path<String>,
) -> Result<Json<NotificationDetail>, NotifyError> {
    let id = parse_id(&raw)?;
    let (notification, deliveries) = s.notifier.get(id).await?.ok_or(NotifyError::NotFound(raw))?;
    audit_one(&s, &admin, &rid, id).await?;
    Ok(Json(NotificationDetail { notification, deliveries }))
}

#[derive(Deserialize)]
pub(super) struct NoticeQuery {
    recipient: Option<String>,
    limit: Option<String>,
}

/// A recipient's in-app notices, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct NoticeList {
    /// The notices.
    pub notices: Vec<Notice>,
}

#[utoipa::path(get, path = "/api/v1/notices", tag = "notifications",
    operation_id = "notices_list",
    summary = "In-app notices of a recipient, newest first",
    params(
        ("recipient" = String, Query, description = "The recipient's account key"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "How many (default 100)")),
    responses(
        (status = 200, description = "notices", body = NoticeList),
        BadRequest,
        AdminRefusal),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn notices_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Query(q): Query<NoticeQuery>,
) -> Result<Json<NoticeList>, NotifyError> {
    let mut errors = Vec::new();
    let recipient = non_empty(&q.recipient).unwrap_or_default();
    if recipient.is_empty() {
        errors.push(field_error("recipient", "Chưa nhập tài khoản nhận thông báo."));
    }
    let limit = parse_limit(&q.limit, &mut errors);
    if !errors.is_empty() {
        return Err(NotifyError::Filter(errors));
    }
    let notices = s.notifier.notices(&recipient, limit).await?;
    let event = AuditEvent::new(&admin.name, "notice.list", "in_app_notice")
        .request(&rid)
        .purpose(PURPOSE)
        .details(json!({"recipient": recipient, "count": notices.len()}));
    s.audit.record_now(event).await?;
    Ok(Json(NoticeList { notices }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_the_handler_accepts_has_the_documented_shape() {
        let body = json!({
            "channel": "sms", "recipient": "0912345678", "template": "dossier_received",
            "params": {"dossier_code": "X", "due_date": "26/06/2025", "n": 3},
            "link": null
        });
        // The handler may refuse it for its template parameters; the shape is what counts.
        let _ = request_from_json(&body);
        let typed: SendBody = serde_json::from_value(body).expect("documented shape");
        assert_eq!(typed.channel, Channel::Sms);
        assert!(matches!(
            typed.params.as_ref().and_then(|p| p.get("n")),
            Some(ParamValue::Number(_))
        ));
    }

    #[test]
    fn an_unknown_field_is_refused_by_both() {
        let body = json!({"channel": "sms", "recipient": "0912345678", "template": "test", "x": 1});
        let Err(NotifyError::Invalid(errors)) = request_from_json(&body) else {
            panic!("accepted");
        };
        assert!(errors.iter().any(|e| e.field == "x"), "{errors:?}");
        assert!(serde_json::from_value::<SendBody>(body).is_err());
    }

    #[test]
    fn a_good_body_is_read_into_a_request() {
        let body = json!({"channel": "in_app", "recipient": "u1", "template": "test",
            "link": "/ho-so/1"});
        let r = request_from_json(&body).expect("valid");
        assert_eq!(r.channel, Channel::InApp);
        assert_eq!(r.link.as_deref(), Some("/ho-so/1"));
        assert!(serde_json::from_value::<SendBody>(body).is_ok());
    }
}

//! Routes of the notifications module: the JSON API (OpenAPI-described) and the admin pages.
//! Everything is behind the bootstrap admin guard until identity (M2) lands; reads of
//! notifications (which carry personal data) and sends are recorded in the audit log.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::{Admin, FieldError, Platform, Problem, RequestId};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::model::{
    normalize_recipient_filter, render as render_template, Channel, NotificationFilter,
    NotificationId, NotificationRequest, NotificationStatus, NotifyError,
};
use crate::service::Notifier;

mod pages;

/// State of the notification routes.
#[derive(Clone)]
pub struct NotifyState {
    /// Platform core.
    pub platform: Platform,
    /// The notifications service.
    pub notifier: Notifier,
    /// Audit log.
    pub audit: Audit,
}

impl FromRef<NotifyState> for Platform {
    fn from_ref(s: &NotifyState) -> Platform {
        s.platform.clone()
    }
}

/// The notification routes, ready to merge into the app.
pub fn router(state: NotifyState) -> Router {
    Router::new()
        .route("/api/v1/notifications", get(list_api).post(create_api))
        .route("/api/v1/notifications/{id}", get(get_api))
        .route("/api/v1/notices", get(notices_api))
        .route("/admin/notifications", get(pages::list_page))
        .route("/admin/notifications/test", post(pages::test_page))
        .route("/admin/notifications/{id}", get(pages::detail_page))
        .with_state(state)
}

const PURPOSE: &str = "quản trị thông báo";

fn error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

fn invalid(errors: Vec<FieldError>) -> Problem {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ")
        .with_detail("Yêu cầu gửi thông báo có lỗi; không có gì được ghi lại.")
        .with_errors(errors)
}

/// Reads the JSON body of `POST /api/v1/notifications`; every problem is reported at once.
fn request_from_json(v: &Value) -> Result<NotificationRequest, Vec<FieldError>> {
    let Some(obj) = v.as_object() else {
        return Err(vec![error("", "Nội dung phải là một đối tượng JSON.")]);
    };
    let mut errors = Vec::new();
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "channel" | "recipient" | "template" | "params" | "link"
        ) {
            errors.push(error(key, format!("Trường “{key}” không được hỗ trợ.")));
        }
    }
    let string = |key: &str, errors: &mut Vec<FieldError>| -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.push(error(key, format!("Trường “{key}” phải là chuỗi ký tự.")));
                None
            }
        }
    };
    let channel_raw = string("channel", &mut errors);
    let recipient = string("recipient", &mut errors).unwrap_or_default();
    let template = string("template", &mut errors).unwrap_or_default();
    let link = string("link", &mut errors);
    let channel = match channel_raw.as_deref() {
        None => {
            errors.push(error("channel", "Chưa chọn kênh gửi (email, sms, in_app)."));
            None
        }
        Some(c) => {
            let parsed = Channel::parse(c.trim());
            if parsed.is_none() {
                errors.push(error(
                    "channel",
                    format!("Kênh gửi “{c}” không hợp lệ (email, sms, in_app)."),
                ));
            }
            parsed
        }
    };
    let mut params = BTreeMap::new();
    match obj.get("params") {
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
                    _ => errors.push(error(
                        &format!("/params/{k}"),
                        format!("Tham số “{k}” phải là chuỗi ký tự hoặc số."),
                    )),
                }
            }
        }
        Some(_) => errors.push(error(
            "params",
            "Trường “params” phải là một đối tượng JSON.",
        )),
    }
    match channel {
        Some(channel) if errors.is_empty() => Ok(NotificationRequest {
            channel,
            recipient,
            template,
            params,
            link,
        }),
        _ => {
            // Report template problems too, so the caller can fix everything at once.
            if let Err(e) = render_template(&template, &params) {
                errors.extend_from_slice(e.field_errors());
            }
            Err(errors)
        }
    }
}

async fn create_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    body: Bytes,
) -> Result<Response, Problem> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| Problem::bad_request(format!("Nội dung không phải JSON hợp lệ: {e}")))?;
    let request = request_from_json(&value).map_err(invalid)?;
    let mut tx = s.platform.db.begin().await.map_err(Problem::internal)?;
    let id = match s.notifier.send(&mut tx, &request).await {
        Ok(id) => id,
        Err(NotifyError::Invalid(errors)) => return Err(invalid(errors)),
        Err(e) => return Err(Problem::internal(e)),
    };
    s.audit
        .record(
            &mut tx,
            AuditEvent::new(&admin.name, "notification.send", "notification")
                .object(id.to_string())
                .request(&rid)
                .details(
                    json!({"channel": request.channel.as_str(), "template": request.template}),
                ),
        )
        .await
        .map_err(Problem::internal)?;
    tx.commit().await.map_err(Problem::internal)?;
    s.platform.jobs.wake();
    let href = format!("/api/v1/notifications/{id}");
    let status = match request.channel {
        Channel::InApp => NotificationStatus::Sent,
        Channel::Email | Channel::Sms => NotificationStatus::Queued,
    };
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, href.clone())],
        Json(json!({"id": id, "status": status, "href": href})),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
struct ListQuery {
    recipient: Option<String>,
    status: Option<String>,
    channel: Option<String>,
    limit: Option<String>,
}

fn parse_filter(q: &ListQuery) -> Result<(NotificationFilter, i64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let non_empty = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let status = non_empty(&q.status).and_then(|s| {
        let parsed = NotificationStatus::parse(&s);
        if parsed.is_none() {
            errors.push(error(
                "status",
                format!("Trạng thái “{s}” không hợp lệ (queued, sent, failed)."),
            ));
        }
        parsed
    });
    let channel = non_empty(&q.channel).and_then(|c| {
        let parsed = Channel::parse(&c);
        if parsed.is_none() {
            errors.push(error(
                "channel",
                format!("Kênh gửi “{c}” không hợp lệ (email, sms, in_app)."),
            ));
        }
        parsed
    });
    let limit = match non_empty(&q.limit) {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                errors.push(error("limit", "Số dòng phải là số nguyên từ 1 đến 1000."));
                100
            }
        },
    };
    let filter = NotificationFilter {
        recipient: non_empty(&q.recipient).map(|r| normalize_recipient_filter(&r)),
        status,
        channel,
    };
    if errors.is_empty() {
        Ok((filter, limit))
    } else {
        Err(errors)
    }
}

async fn list_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Query(q): Query<ListQuery>,
) -> Result<Response, Problem> {
    let (filter, limit) = parse_filter(&q)
        .map_err(|e| Problem::bad_request("Bộ lọc không hợp lệ.").with_errors(e))?;
    let list = s
        .notifier
        .list(&filter, limit)
        .await
        .map_err(Problem::internal)?;
    audit_read(
        &s,
        &admin,
        &rid,
        "notification.list",
        None,
        &filter,
        list.len(),
    )
    .await
    .map_err(Problem::internal)?;
    Ok(Json(json!({ "notifications": list })).into_response())
}

async fn audit_read(
    s: &NotifyState,
    admin: &Admin,
    rid: &str,
    action: &str,
    object: Option<String>,
    filter: &NotificationFilter,
    count: usize,
) -> Result<(), cqdt_platform::DbError> {
    let mut event = AuditEvent::new(&admin.name, action, "notification")
        .request(rid)
        .purpose(PURPOSE)
        .details(json!({
            "recipient": filter.recipient,
            "status": filter.status.map(NotificationStatus::as_str),
            "channel": filter.channel.map(Channel::as_str),
            "count": count,
        }));
    if let Some(o) = object {
        event = event.object(o);
    }
    s.audit.record_now(event).await.map(|_| ())
}

fn parse_id(raw: &str) -> Option<NotificationId> {
    raw.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .map(NotificationId)
}

async fn get_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let not_found = || Problem::not_found(format!("Không có thông báo {raw}."));
    let id = parse_id(&raw).ok_or_else(not_found)?;
    let (n, deliveries) = s
        .notifier
        .get(id)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(not_found)?;
    s.audit
        .record_now(
            AuditEvent::new(&admin.name, "notification.read", "notification")
                .object(id.to_string())
                .request(&rid)
                .purpose(PURPOSE),
        )
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({"notification": n, "deliveries": deliveries})).into_response())
}

#[derive(Deserialize)]
struct NoticeQuery {
    recipient: Option<String>,
    limit: Option<String>,
}

async fn notices_api(
    admin: Admin,
    State(s): State<NotifyState>,
    RequestId(rid): RequestId,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, Problem> {
    let recipient = q.recipient.as_deref().map(str::trim).unwrap_or("");
    let mut errors = Vec::new();
    if recipient.is_empty() {
        errors.push(error("recipient", "Chưa nhập tài khoản nhận thông báo."));
    }
    let limit = match q.limit.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                errors.push(error("limit", "Số dòng phải là số nguyên từ 1 đến 1000."));
                100
            }
        },
    };
    if !errors.is_empty() {
        return Err(Problem::bad_request("Bộ lọc không hợp lệ.").with_errors(errors));
    }
    let notices = s
        .notifier
        .notices(recipient, limit)
        .await
        .map_err(Problem::internal)?;
    s.audit
        .record_now(
            AuditEvent::new(&admin.name, "notice.list", "in_app_notice")
                .request(&rid)
                .purpose(PURPOSE)
                .details(json!({"recipient": recipient, "count": notices.len()})),
        )
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({ "notices": notices })).into_response())
}

/// OpenAPI 3.1 path items of the notifications API.
pub fn openapi_paths() -> Value {
    let problem = json!({"$ref": "#/components/responses/Problem"});
    let notification = json!({"type": "object", "properties": {
        "id": {"type": "integer"},
        "channel": {"type": "string", "enum": ["email", "sms", "in_app"]},
        "recipient": {"type": "string"},
        "template": {"type": "string"},
        "subject": {"type": "string"},
        "body": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "sent", "failed"]},
        "attempts": {"type": "integer"},
        "last_error": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "sent_at": {"type": ["string", "null"], "format": "date-time"},
        "job_id": {"type": ["integer", "null"]}
    }});
    let templates: Vec<&str> = crate::model::TEMPLATES.iter().map(|t| t.id).collect();
    json!({
        "/api/v1/notifications": {
            "post": {
                "summary": "Send a notification by e-mail, SMS or in-app notice (queued; delivered with retries)",
                "tags": ["notifications"], "security": [{"basic": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["channel", "recipient", "template"],
                    "additionalProperties": false,
                    "properties": {
                        "channel": {"type": "string", "enum": ["email", "sms", "in_app"]},
                        "recipient": {"type": "string", "description": "E-mail address, Vietnamese mobile number (0xxxxxxxxx or +84xxxxxxxxx), or account key for in_app"},
                        "template": {"type": "string", "enum": templates},
                        "params": {"type": "object", "additionalProperties": {"type": ["string", "number"]}, "description": "Template parameters; dates as dd/mm/yyyy or yyyy-mm-dd"},
                        "link": {"type": "string", "description": "in_app only: a path inside the platform, starting with /"}
                    }}}}},
                "responses": {
                    "202": {"description": "accepted", "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": {"application/json": {"schema": {"type": "object", "properties": {
                            "id": {"type": "integer"}, "status": {"type": "string"}, "href": {"type": "string"}}}}}},
                    "400": problem, "422": problem
                }
            },
            "get": {
                "summary": "List notifications, newest first",
                "tags": ["notifications"], "security": [{"basic": []}],
                "parameters": [
                    {"name": "recipient", "in": "query", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["queued", "sent", "failed"]}},
                    {"name": "channel", "in": "query", "schema": {"type": "string", "enum": ["email", "sms", "in_app"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
                ],
                "responses": {"200": {"description": "notifications", "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"notifications": {"type": "array", "items": notification}}}}}},
                    "400": problem}
            }
        },
        "/api/v1/notifications/{id}": {"get": {
            "summary": "A notification with its delivery log",
            "tags": ["notifications"], "security": [{"basic": []}],
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "notification", "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "notification": notification,
                    "deliveries": {"type": "array", "items": {"type": "object", "properties": {
                        "attempt": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                        "outcome": {"type": "string", "enum": ["sent", "failed"]}, "detail": {"type": ["string", "null"]}}}}
                }}}}},
                "404": problem}
        }},
        "/api/v1/notices": {"get": {
            "summary": "In-app notices of a recipient, newest first",
            "tags": ["notifications"], "security": [{"basic": []}],
            "parameters": [
                {"name": "recipient", "in": "query", "required": true, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
            ],
            "responses": {"200": {"description": "notices", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"notices": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "recipient": {"type": "string"}, "title": {"type": "string"},
                    "body": {"type": "string"}, "link": {"type": ["string", "null"]},
                    "created_at": {"type": "string", "format": "date-time"}, "read_at": {"type": ["string", "null"]}}}}}}}}},
                "400": problem}
        }}
    })
}

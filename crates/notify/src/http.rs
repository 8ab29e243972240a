//! Routes of the notifications module: the JSON API (OpenAPI-described, in [`api`]) and the
//! admin pages (in [`pages`]). Everything is behind the administrator guard; reads of
//! notifications (which carry personal data) and sends are recorded in the audit log.
//!
//! Errors are [`NotifyError`]s, which answer problem+json on `/api/…` and the Vietnamese error
//! page elsewhere (through the platform's `error_pages` middleware).

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::auth::{scope_rule, ApiScope};
use cqdt_platform::{Admin, DbError, FieldError, HttpError, Platform, Problem};
use serde::Deserialize;
use serde_json::json;

use crate::model::{
    field_error, normalize_recipient_filter, Channel, Delivery, DeliveryOutcome, Notice,
    Notification, NotificationFilter, NotificationId, NotificationStatus, NotifyError,
};
use crate::service::Notifier;

mod api;
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
        .route("/api/v1/notifications", get(api::list_api).post(api::create_api))
        .route("/api/v1/notifications/{id}", get(api::get_api))
        .route("/api/v1/notices", get(api::notices_api))
        .route_layer(scope_rule(ApiScope::Notifications, ApiScope::Notifications))
        .route("/admin/notifications", get(pages::list_page))
        .route("/admin/notifications/test", post(pages::test_page))
        .route("/admin/notifications/{id}", get(pages::detail_page))
        .with_state(state)
}

impl From<NotifyError> for HttpError {
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::Invalid(errors) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ")
                    .with_detail("Yêu cầu gửi thông báo có lỗi; không có gì được ghi lại.")
                    .with_errors(errors)
                    .into()
            }
            NotifyError::Filter(errors) => {
                Problem::bad_request("Bộ lọc không hợp lệ.").with_errors(errors).into()
            }
            NotifyError::NotJson(e) => {
                Problem::bad_request(format!("Nội dung không phải JSON hợp lệ: {e}")).into()
            }
            NotifyError::NotFound(id) => {
                Problem::not_found(format!("Không có thông báo {id}.")).into()
            }
            other => HttpError::internal(other),
        }
    }
}

impl IntoResponse for NotifyError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

const PURPOSE: &str = "quản trị thông báo";

/// The query of the notification lists (API and page), as typed.
#[derive(Deserialize, Default)]
struct ListQuery {
    recipient: Option<String>,
    status: Option<String>,
    channel: Option<String>,
    limit: Option<String>,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// A list's size: 1 to 1000, 100 when absent.
fn parse_limit(raw: &Option<String>, errors: &mut Vec<FieldError>) -> i64 {
    match non_empty(raw) {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                errors.push(field_error("limit", "Số dòng phải là số nguyên từ 1 đến 1000."));
                100
            }
        },
    }
}

/// A filter value that must be one of a fixed set: absent, parsed, or an error noted.
fn parse_choice<T>(
    raw: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    errors: &mut Vec<FieldError>,
    error: impl Fn(&str) -> FieldError,
) -> Option<T> {
    let raw = non_empty(raw)?;
    let parsed = parse(&raw);
    if parsed.is_none() {
        errors.push(error(&raw));
    }
    parsed
}

/// Reads a list query; every problem is reported at once.
fn parse_filter(q: &ListQuery) -> Result<(NotificationFilter, i64), NotifyError> {
    let mut errors = Vec::new();
    let status = parse_choice(&q.status, NotificationStatus::parse, &mut errors, |s| {
        field_error("status", format!("Trạng thái “{s}” không hợp lệ (queued, sent, failed)."))
    });
    let channel = parse_choice(&q.channel, Channel::parse, &mut errors, |c| {
        field_error("channel", format!("Kênh gửi “{c}” không hợp lệ (email, sms, in_app)."))
    });
    let limit = parse_limit(&q.limit, &mut errors);
    let filter = NotificationFilter {
        recipient: non_empty(&q.recipient).map(|r| normalize_recipient_filter(&r)),
        status,
        channel,
    };
    if errors.is_empty() {
        Ok((filter, limit))
    } else {
        Err(NotifyError::Filter(errors))
    }
}

/// The audit event of a read of notifications: personal data, so it names its purpose.
fn read_event(admin: &Admin, rid: &str, action: &str) -> AuditEvent {
    AuditEvent::new(&admin.name, action, "notification").request(rid).purpose(PURPOSE)
}

/// Records a read of notifications (personal data) with the filter that selected them.
async fn audit_read(
    s: &NotifyState,
    admin: &Admin,
    rid: &str,
    filter: &NotificationFilter,
    count: usize,
) -> Result<(), DbError> {
    let event = read_event(admin, rid, "notification.list").details(json!({
        "recipient": filter.recipient,
        "status": filter.status.map(NotificationStatus::as_str),
        "channel": filter.channel.map(Channel::as_str),
        "count": count,
    }));
    s.audit.record_now(event).await
}

/// Records a read of one notification.
async fn audit_one(
    s: &NotifyState,
    admin: &Admin,
    rid: &str,
    id: NotificationId,
) -> Result<(), DbError> {
    let event = read_event(admin, rid, "notification.read").object(id.to_string());
    s.audit.record_now(event).await
}

/// A notification id from a path; anything but a positive number is no notification.
fn parse_id(raw: &str) -> Result<NotificationId, NotifyError> {
    raw.parse::<i64>()
        .ok()
        .filter(|i| *i > 0)
        .map(NotificationId)
        .ok_or_else(|| NotifyError::NotFound(raw.to_string()))
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(api::create_api, api::list_api, api::get_api, api::notices_api),
    components(schemas(
        api::SendBody,
        api::ParamValue,
        api::Accepted,
        api::NotificationList,
        api::NotificationDetail,
        api::NoticeList,
        Notification,
        NotificationId,
        Channel,
        NotificationStatus,
        Delivery,
        DeliveryOutcome,
        Notice,
    ))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_only_the_platform_security_schemes() {
        let doc = cqdt_platform::openapi::json::<ApiDoc>();
        let known: Vec<&str> =
            cqdt_platform::openapi::security_schemes().into_iter().map(|(name, _)| name).collect();
        let paths = doc["paths"].as_object().expect("paths");
        assert_eq!(paths.len(), 3);
        for (path, item) in paths {
            for (method, op) in item.as_object().expect("path item") {
                let security = op["security"].as_array().expect("security");
                assert!(!security.is_empty(), "{method} {path}");
                for requirement in security {
                    for name in requirement.as_object().expect("requirement").keys() {
                        assert!(known.contains(&name.as_str()), "{method} {path}: {name}");
                    }
                }
            }
        }
        let template = &doc["components"]["schemas"]["SendBody"]["properties"]["template"];
        assert_eq!(template["enum"].as_array().map(Vec::len), Some(crate::model::TEMPLATES.len()));
    }

    #[test]
    fn errors_keep_their_problems() {
        let p = HttpError::from(NotifyError::NotFound("abc".into())).problem;
        assert_eq!((p.status, p.detail.as_deref()), (404, Some("Không có thông báo abc.")));
        let p = HttpError::from(NotifyError::Filter(vec![field_error("limit", "x")])).problem;
        assert_eq!((p.status, p.title.as_str()), (400, "Dữ liệu không hợp lệ"));
        assert_eq!(p.detail.as_deref(), Some("Bộ lọc không hợp lệ."));
        let p = HttpError::from(NotifyError::Invalid(vec![field_error("recipient", "y")])).problem;
        assert_eq!(p.status, 422);
        assert_eq!(
            p.detail.as_deref(),
            Some("Yêu cầu gửi thông báo có lỗi; không có gì được ghi lại.")
        );
        let p = HttpError::from(NotifyError::Config("smtp".into())).problem;
        assert_eq!(p.status, 500);
    }
}

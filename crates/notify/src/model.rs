//! Domain types of notifications: channels, statuses, the request and its validation, the
//! crate's error type. Recipients, message templates and the SMTP URL live in submodules and
//! are re-exported here. No I/O here.

mod message;
mod recipient;
mod smtp_url;

use std::collections::BTreeMap;
use std::fmt;

use cqdt_platform::clock::{format_ts_vn, parse_ts};
use cqdt_platform::{DbError, FieldError};
use serde::Serialize;
use utoipa::ToSchema;

pub use message::{
    placeholders, render, template, MessageTemplate, Param, ParamKind, Rendered, TEMPLATES,
};
pub use recipient::{
    normalize_recipient_filter, parse_account, parse_email, parse_recipient, parse_vn_phone,
};
pub use smtp_url::{SmtpSecurity, SmtpUrl};

use message::render_fields;
use recipient::{check_recipient, parse_link};

/// Everything that can go wrong in the notifications module.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The request is invalid; nothing was written. Messages are in Vietnamese.
    #[error("invalid notification request: {}", join_errors(.0))]
    Invalid(Vec<FieldError>),
    /// A list was asked for with a filter that does not parse. Messages are in Vietnamese.
    #[error("invalid filter: {}", join_errors(.0))]
    Filter(Vec<FieldError>),
    /// A request body that is not JSON (the parser's message).
    #[error("request body is not JSON: {0}")]
    NotJson(String),
    /// The configuration (SMTP URL, sender, SMS gateway) is unusable.
    #[error("notification configuration: {0}")]
    Config(String),
    /// A delivery attempt failed (the mail server or SMS gateway refused or did not answer).
    #[error("Gửi không thành công: {0}")]
    Delivery(String),
    /// A notification that does not exist (its id as it was asked for).
    #[error("notification {0} does not exist")]
    NotFound(String),
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl NotifyError {
    /// The field errors of an invalid request; empty for other errors.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            NotifyError::Invalid(errors) => errors,
            _ => &[],
        }
    }
}

fn join_errors(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

/// A field error with a Vietnamese message.
pub(crate) fn field_error(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.to_string(), message: message.into() }
}

/// The identifier of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct NotificationId(pub i64);

impl fmt::Display for NotificationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// How a notification reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail through the configured SMTP server.
    Email,
    /// SMS through the configured HTTP gateway.
    Sms,
    /// A notice inside the platform, shown to the recipient's account.
    InApp,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::InApp];

    /// The stored and API form.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::InApp => "in_app",
        }
    }

    /// Parses the stored and API form.
    pub fn parse(s: &str) -> Option<Self> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The Vietnamese label for pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            Channel::Email => "Thư điện tử",
            Channel::Sms => "Tin nhắn SMS",
            Channel::InApp => "Thông báo trong hệ thống",
        }
    }
}

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum NotificationStatus {
    /// Waiting for its first delivery attempt or for a retry.
    Queued,
    /// Delivered to the mail server, the SMS gateway or the in-app inbox.
    Sent,
    /// Every attempt failed; the delivery job is dead and an admin decides.
    Failed,
}

impl NotificationStatus {
    /// Every status.
    pub const ALL: [NotificationStatus; 3] =
        [NotificationStatus::Queued, NotificationStatus::Sent, NotificationStatus::Failed];

    /// The stored and API form.
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationStatus::Queued => "queued",
            NotificationStatus::Sent => "sent",
            NotificationStatus::Failed => "failed",
        }
    }

    /// Parses the stored and API form.
    pub fn parse(s: &str) -> Option<Self> {
        NotificationStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The Vietnamese label for pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            NotificationStatus::Queued => "Đang chờ gửi",
            NotificationStatus::Sent => "Đã gửi",
            NotificationStatus::Failed => "Gửi thất bại",
        }
    }
}

/// The outcome of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryOutcome {
    /// The attempt delivered the message.
    Sent,
    /// The attempt failed; the detail says why.
    Failed,
}

impl DeliveryOutcome {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryOutcome::Sent => "sent",
            DeliveryOutcome::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "sent" => Some(DeliveryOutcome::Sent),
            "failed" => Some(DeliveryOutcome::Failed),
            _ => None,
        }
    }

    /// The Vietnamese label for pages.
    pub fn label_vi(self) -> &'static str {
        match self {
            DeliveryOutcome::Sent => "Thành công",
            DeliveryOutcome::Failed => "Thất bại",
        }
    }
}

/// A notification as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// Identifier.
    pub id: NotificationId,
    /// Channel.
    pub channel: Channel,
    /// Normalised recipient: e-mail address, `+84…` phone number or account key.
    pub recipient: String,
    /// Template id it was rendered from.
    pub template: String,
    /// Rendered subject (e-mail subject, notice title).
    pub subject: String,
    /// Rendered body (for SMS, the text message).
    pub body: String,
    /// Status.
    pub status: NotificationStatus,
    /// Delivery attempts made so far.
    pub attempts: i64,
    /// The last failure, if any.
    pub last_error: Option<String>,
    /// When it was accepted (storage form, UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was delivered.
    #[schema(format = DateTime)]
    pub sent_at: Option<String>,
    /// The outbox job that delivers it (none for in-app notices, which are stored at once).
    pub job_id: Option<i64>,
}

impl Notification {
    /// When it was accepted, in Vietnamese local time.
    pub fn created_at_vn(&self) -> String {
        ts_vn(&self.created_at)
    }

    /// When it was delivered, in Vietnamese local time, or empty.
    pub fn sent_at_vn(&self) -> String {
        self.sent_at.as_deref().map(ts_vn).unwrap_or_default()
    }
}

/// A stored timestamp shown as dd/mm/yyyy HH:MM:SS in Vietnam's time.
pub fn ts_vn(s: &str) -> String {
    parse_ts(s).map(format_ts_vn).unwrap_or_else(|| s.to_string())
}

/// One delivery attempt, for the delivery log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Delivery {
    /// Attempt number, from 1, counted by the notification itself.
    pub attempt: i64,
    /// When the attempt ended (storage form, UTC).
    #[schema(format = DateTime)]
    pub at: String,
    /// Sent or failed.
    pub outcome: DeliveryOutcome,
    /// The server's answer or the error.
    pub detail: Option<String>,
}

impl Delivery {
    /// When the attempt ended, in Vietnamese local time.
    pub fn at_vn(&self) -> String {
        ts_vn(&self.at)
    }
}

/// A notice in a recipient's in-app inbox.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct Notice {
    /// Identifier.
    pub id: i64,
    /// Account key of the recipient.
    pub recipient: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// A link inside the platform (a path starting with `/`), if any.
    pub link: Option<String>,
    /// When it was created (storage form, UTC).
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When the recipient read it.
    #[schema(format = DateTime)]
    pub read_at: Option<String>,
}

/// Which notifications to list.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// Exact (normalised) recipient.
    pub recipient: Option<String>,
    /// Status.
    pub status: Option<NotificationStatus>,
    /// Channel.
    pub channel: Option<Channel>,
}

/// What a module asks the notifier to send.
#[derive(Debug, Clone)]
pub struct NotificationRequest {
    /// Channel.
    pub channel: Channel,
    /// E-mail address, Vietnamese mobile number, or account key (in-app), as given.
    pub recipient: String,
    /// Template id from [`TEMPLATES`].
    pub template: String,
    /// Values of the template's `{placeholders}`.
    pub params: BTreeMap<String, String>,
    /// For in-app notices: a link inside the platform (a path starting with `/`).
    pub link: Option<String>,
}

impl NotificationRequest {
    /// A request with no parameters yet.
    pub fn new(
        channel: Channel,
        recipient: impl Into<String>,
        template: impl Into<String>,
    ) -> Self {
        NotificationRequest {
            channel,
            recipient: recipient.into(),
            template: template.into(),
            params: BTreeMap::new(),
            link: None,
        }
    }

    /// An e-mail request.
    pub fn email(to: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::Email, to, template)
    }

    /// An SMS request.
    pub fn sms(to: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::Sms, to, template)
    }

    /// An in-app notice request.
    pub fn in_app(account: impl Into<String>, template: impl Into<String>) -> Self {
        Self::new(Channel::InApp, account, template)
    }

    /// Adds a template parameter.
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }

    /// Sets the in-app link.
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// Validates the recipient and renders the template; every problem is reported at once.
    pub fn prepare(&self) -> Result<PreparedNotification, NotifyError> {
        let mut errors = Vec::new();
        let recipient = match check_recipient(self.channel, &self.recipient) {
            Ok(r) => Some(r),
            Err(m) => {
                errors.push(field_error("recipient", m));
                None
            }
        };
        let link = match (&self.link, self.channel) {
            (None, _) => None,
            (Some(l), Channel::InApp) => match parse_link(l) {
                Ok(l) => Some(l),
                Err(m) => {
                    errors.push(field_error("link", m));
                    None
                }
            },
            (Some(_), _) => {
                errors.push(field_error(
                    "link",
                    "Chỉ thông báo trong hệ thống (in_app) mới có đường liên kết.",
                ));
                None
            }
        };
        let rendered = match render_fields(&self.template, &self.params) {
            Ok(r) => Some(r),
            Err(mut e) => {
                errors.append(&mut e);
                None
            }
        };
        if let Some(r) = &rendered {
            if self.channel == Channel::Sms && r.sms.chars().count() > MAX_SMS_CHARS {
                errors.push(field_error(
                    "params",
                    format!(
                        "Nội dung tin nhắn SMS dài {} ký tự, vượt quá {MAX_SMS_CHARS} ký tự.",
                        r.sms.chars().count()
                    ),
                ));
            }
        }
        match (recipient, rendered) {
            (Some(recipient), Some(r)) if errors.is_empty() => {
                let body = match self.channel {
                    Channel::Sms => r.sms,
                    Channel::Email | Channel::InApp => r.body,
                };
                Ok(PreparedNotification {
                    channel: self.channel,
                    recipient,
                    template: r.template,
                    subject: r.subject,
                    body,
                    link,
                })
            }
            _ => Err(NotifyError::Invalid(errors)),
        }
    }
}

/// A validated, rendered notification, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedNotification {
    /// Channel.
    pub channel: Channel,
    /// Normalised recipient.
    pub recipient: String,
    /// Template id.
    pub template: String,
    /// Subject or title.
    pub subject: String,
    /// Body (the SMS text for SMS).
    pub body: String,
    /// In-app link.
    pub link: Option<String>,
}

/// The longest SMS text accepted (about five concatenated Unicode segments).
pub const MAX_SMS_CHARS: usize = 335;

/// Shortens user input quoted in an error message.
pub(crate) fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reports_every_problem_at_once() {
        let req = NotificationRequest::email("not-an-address", "dossier_received")
            .param("dossier_code", "X")
            .link("/x");
        let Err(NotifyError::Invalid(errors)) = req.prepare() else {
            panic!("accepted");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"recipient"));
        assert!(fields.contains(&"link"));
        assert!(fields.contains(&"/params/due_date"));
    }

    #[test]
    fn an_sms_request_carries_the_short_text_and_a_normalised_number() {
        let p = NotificationRequest::sms("0912 345 678", "test").prepare().expect("prepare");
        assert_eq!(p.recipient, "+84912345678");
        assert!(p.body.starts_with("Tin nhắn thử nghiệm"));
    }

    #[test]
    fn an_overlong_sms_is_refused() {
        let long = "x".repeat(MAX_SMS_CHARS + 1);
        let req = NotificationRequest::sms("0912345678", "generic")
            .param("subject", "S")
            .param("body", long);
        assert!(matches!(req.prepare(), Err(NotifyError::Invalid(_))));
    }

    #[test]
    fn in_app_links_stay_inside_the_platform() {
        let ok = NotificationRequest::in_app("u1", "test").link("/ho-so/1");
        assert_eq!(ok.prepare().expect("ok").link.as_deref(), Some("/ho-so/1"));
        for bad in ["//evil.example/x", "https://evil.example", "javascript:alert(1)", "/a b"] {
            let req = NotificationRequest::in_app("u1", "test").link(bad);
            assert!(req.prepare().is_err(), "{bad} accepted");
        }
    }
}

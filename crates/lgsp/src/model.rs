//! The integration platform's domain: members, their systems, services with operations,
//! access grants per operation, gateway calls; the rules for each, without I/O.

pub mod openapi;

use cqdt_platform::{DbError, FieldError};
use serde::Serialize;

pub use openapi::{parse_openapi, Operation, OperationMatch};

/// Everything the integration platform can refuse or fail with.
#[derive(Debug, thiserror::Error)]
pub enum LgspError {
    /// Input that breaks a rule, every field at once; nothing was changed.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such member, system, service or grant.
    #[error("not found: {0}")]
    NotFound(String),
    /// The change does not fit the current state (a grant already decided…).
    #[error("conflict: {0}")]
    Conflict(String),
    /// The person or system may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The gateway refused or could not complete a call, naming the side that failed.
    #[error("gateway: {0:?}")]
    Gateway(Refusal),
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl LgspError {
    /// One field's error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        LgspError::Invalid(vec![FieldError::new(field, message)])
    }
}

/// Which side of a call through the gateway failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The calling system: no grant, unknown operation, too many calls, too large a body.
    Consumer,
    /// The platform itself.
    Gateway,
    /// The providing system: unreachable, too slow, or its circuit is open.
    Provider,
}

impl Side {
    /// As stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Consumer => "consumer",
            Side::Gateway => "gateway",
            Side::Provider => "provider",
        }
    }

    /// The problem's title, which says whose fault it is.
    pub fn title(self) -> &'static str {
        match self {
            Side::Consumer => "Yêu cầu của hệ thống khai thác bị từ chối",
            Side::Gateway => "Lỗi tại trục tích hợp LGSP",
            Side::Provider => "Lỗi phía hệ thống cung cấp dịch vụ",
        }
    }

    /// In people's words, for the monitoring page.
    pub fn label(self) -> &'static str {
        match self {
            Side::Consumer => "Hệ thống khai thác",
            Side::Gateway => "Trục LGSP",
            Side::Provider => "Hệ thống cung cấp",
        }
    }

    /// Parses a stored side.
    pub fn parse(s: &str) -> Option<Side> {
        [Side::Consumer, Side::Gateway, Side::Provider].into_iter().find(|x| x.as_str() == s)
    }
}

/// Why the gateway did not pass a call on (or its answer back).
#[derive(Debug, Clone)]
pub struct Refusal {
    /// HTTP status of the answer.
    pub status: u16,
    /// Who failed.
    pub side: Side,
    /// Machine-readable reason (`no_grant`, `provider_timeout`…).
    pub code: &'static str,
    /// What happened, in Vietnamese.
    pub detail: String,
    /// Seconds to wait before calling again (429, 503).
    pub retry_after: Option<u64>,
}

impl Refusal {
    /// A refusal.
    pub fn new(status: u16, side: Side, code: &'static str, detail: impl Into<String>) -> Self {
        Refusal { status, side, code, detail: detail.into(), retry_after: None }
    }

    /// With a Retry-After.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

impl From<Refusal> for LgspError {
    fn from(r: Refusal) -> Self {
        LgspError::Gateway(r)
    }
}

/// A service's life cycle: only published (and deprecated) services take calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceStatus {
    /// Being prepared; consumers cannot call it yet, but may ask for access.
    Draft,
    /// In service.
    Published,
    /// Still in service; consumers should move to its successor (answers carry a
    /// `Deprecation` header).
    Deprecated,
    /// Out of service: calls are refused with 410.
    Retired,
}

impl ServiceStatus {
    /// Every status, in life-cycle order.
    pub const ALL: [ServiceStatus; 4] = [
        ServiceStatus::Draft,
        ServiceStatus::Published,
        ServiceStatus::Deprecated,
        ServiceStatus::Retired,
    ];

    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceStatus::Draft => "draft",
            ServiceStatus::Published => "published",
            ServiceStatus::Deprecated => "deprecated",
            ServiceStatus::Retired => "retired",
        }
    }

    /// Parses a stored or sent status.
    pub fn parse(s: &str) -> Option<ServiceStatus> {
        ServiceStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// In people's words.
    pub fn label(self) -> &'static str {
        match self {
            ServiceStatus::Draft => "Đang chuẩn bị",
            ServiceStatus::Published => "Đang cung cấp",
            ServiceStatus::Deprecated => "Sắp ngừng",
            ServiceStatus::Retired => "Đã ngừng",
        }
    }

    /// Whether the gateway passes calls on.
    pub fn takes_calls(self) -> bool {
        matches!(self, ServiceStatus::Published | ServiceStatus::Deprecated)
    }
}

/// Where a grant stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantStatus {
    /// Asked for, waiting for the provider's administrator.
    Requested,
    /// Allowed until its date.
    Approved,
    /// Refused by the provider.
    Rejected,
    /// Withdrawn after approval.
    Revoked,
}

impl GrantStatus {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            GrantStatus::Requested => "requested",
            GrantStatus::Approved => "approved",
            GrantStatus::Rejected => "rejected",
            GrantStatus::Revoked => "revoked",
        }
    }

    /// Parses a stored or sent status.
    pub fn parse(s: &str) -> Option<GrantStatus> {
        [GrantStatus::Requested, GrantStatus::Approved, GrantStatus::Rejected, GrantStatus::Revoked]
            .into_iter()
            .find(|x| x.as_str() == s)
    }

    /// In people's words.
    pub fn label(self) -> &'static str {
        match self {
            GrantStatus::Requested => "Chờ duyệt",
            GrantStatus::Approved => "Đã cấp quyền",
            GrantStatus::Rejected => "Bị từ chối",
            GrantStatus::Revoked => "Đã thu hồi",
        }
    }
}

/// A member: an agency of the province (or of a federated platform), by its QĐ 20/2020 code.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Member {
    /// The agency's code, e.g. `000.00.12.H51`.
    pub code: String,
    /// The agency's name.
    pub name: String,
    /// When it joined (RFC 3339).
    pub created_at: String,
}

/// A member's information system (X-Road's subsystem).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Subsystem {
    /// The member's code.
    pub member_code: String,
    /// The system's code within the member (`ho-tich`, `mot-cua`…).
    pub code: String,
    /// Its name.
    pub name: String,
    /// The OAuth client it calls the gateway as (client credentials), if it consumes.
    pub client_id: Option<String>,
    /// Where the platform POSTs the messages sent to it (push delivery); none: it pulls them.
    pub push_url: Option<String>,
}

impl Subsystem {
    /// `member/code`, how calls and logs name it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.member_code, self.code)
    }
}

/// A provider's service as the registry holds it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Service {
    /// Stable id.
    pub id: String,
    /// The providing member.
    pub member_code: String,
    /// The providing system.
    pub subsystem_code: String,
    /// Code within the member (the gateway path's second segment).
    pub code: String,
    /// Name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// The provider's version (from its OpenAPI document's `info.version`).
    pub version: String,
    /// Life-cycle status.
    pub status: ServiceStatus,
    /// Where the gateway sends calls.
    pub base_url: String,
    /// Who answers for it (unit, person, contact).
    pub owner: String,
    /// Answer time the provider promises, ms.
    pub sla_response_ms: i64,
    /// Availability the provider promises, per mille (995 = 99.5 %).
    pub sla_availability: i64,
    /// How long the gateway waits for the provider's answer, ms.
    pub timeout_ms: i64,
    /// The largest request body the gateway lets through, bytes.
    pub max_body_bytes: i64,
    /// Calls a minute one consumer may make.
    pub calls_per_minute: i64,
    /// The largest body the message log keeps (sealed) of each exchange, bytes; 0 keeps only
    /// the digests.
    pub keep_bodies_bytes: i64,
    /// The peer platform that provides it, if it is another platform's service.
    pub peer_code: Option<String>,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

/// A service as its row reads.
#[derive(Debug, sqlx::FromRow)]
pub struct ServiceRow {
    pub(crate) id: String,
    pub(crate) member_code: String,
    pub(crate) subsystem_code: String,
    pub(crate) code: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) version: String,
    pub(crate) status: String,
    pub(crate) base_url: String,
    pub(crate) owner: String,
    pub(crate) sla_response_ms: i64,
    pub(crate) sla_availability: i64,
    pub(crate) timeout_ms: i64,
    pub(crate) max_body_bytes: i64,
    pub(crate) calls_per_minute: i64,
    pub(crate) keep_bodies_bytes: i64,
    pub(crate) peer_code: Option<String>,
    pub(crate) updated_at: String,
}

impl TryFrom<ServiceRow> for Service {
    type Error = DbError;
    fn try_from(r: ServiceRow) -> Result<Self, DbError> {
        let status = ServiceStatus::parse(&r.status)
            .ok_or_else(|| DbError::Config(format!("service {}: status {}", r.id, r.status)))?;
        Ok(Service {
            id: r.id,
            member_code: r.member_code,
            subsystem_code: r.subsystem_code,
            code: r.code,
            name: r.name,
            description: r.description,
            version: r.version,
            status,
            base_url: r.base_url,
            owner: r.owner,
            sla_response_ms: r.sla_response_ms,
            sla_availability: r.sla_availability,
            timeout_ms: r.timeout_ms,
            max_body_bytes: r.max_body_bytes,
            calls_per_minute: r.calls_per_minute,
            keep_bodies_bytes: r.keep_bodies_bytes,
            peer_code: r.peer_code,
            updated_at: r.updated_at,
        })
    }
}

/// A grant of one operation of a service to a consumer system.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Grant {
    /// Stable id.
    pub id: String,
    /// The consuming member.
    pub consumer_member: String,
    /// The consuming system.
    pub consumer_subsystem: String,
    /// The service.
    pub service_id: String,
    /// The operation (its `operationId`).
    pub operation_id: String,
    /// Where it stands.
    pub status: GrantStatus,
    /// Why the consumer needs it (kept; the legal basis of the exchange).
    pub purpose: String,
    /// Last day it is valid (yyyy-mm-dd, inclusive).
    pub valid_until: String,
    /// Who asked.
    pub requested_by: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// Who decided, approved or revoked.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<String>,
    /// The decision's reason.
    pub decision_note: Option<String>,
}

/// A grant as its row reads.
#[derive(Debug, sqlx::FromRow)]
pub struct GrantRow {
    pub(crate) id: String,
    pub(crate) consumer_member: String,
    pub(crate) consumer_subsystem: String,
    pub(crate) service_id: String,
    pub(crate) operation_id: String,
    pub(crate) status: String,
    pub(crate) purpose: String,
    pub(crate) valid_until: String,
    pub(crate) requested_by: String,
    pub(crate) requested_at: String,
    pub(crate) decided_by: Option<String>,
    pub(crate) decided_at: Option<String>,
    pub(crate) decision_note: Option<String>,
}

impl TryFrom<GrantRow> for Grant {
    type Error = DbError;
    fn try_from(r: GrantRow) -> Result<Self, DbError> {
        let status = GrantStatus::parse(&r.status)
            .ok_or_else(|| DbError::Config(format!("grant {}: status {}", r.id, r.status)))?;
        Ok(Grant {
            id: r.id,
            consumer_member: r.consumer_member,
            consumer_subsystem: r.consumer_subsystem,
            service_id: r.service_id,
            operation_id: r.operation_id,
            status,
            purpose: r.purpose,
            valid_until: r.valid_until,
            requested_by: r.requested_by,
            requested_at: r.requested_at,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_note: r.decision_note,
        })
    }
}

/// One call through the gateway, for operational monitoring.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Call {
    /// The request id (also sent to the provider and back to the consumer).
    pub request_id: String,
    /// When it arrived (RFC 3339).
    pub at: String,
    /// The consumer system (`member/system`), or the client id when it is no member's.
    pub consumer: String,
    /// The service (`member/code`).
    pub service: String,
    /// The operation, when one matched.
    pub operation_id: Option<String>,
    /// HTTP method.
    pub method: String,
    /// The status the consumer got.
    pub status: i64,
    /// Which side failed, if any (`consumer`, `gateway`, `provider`).
    pub failed_side: Option<String>,
    /// Bytes of the request body passed on.
    pub request_bytes: i64,
    /// Bytes of the answer's body passed back.
    pub response_bytes: i64,
    /// From arrival to the answer's last byte, µs.
    pub duration_us: i64,
    /// The provider's part: from sending to its answer's headers, µs.
    pub provider_us: Option<i64>,
}

/// A code of a system or a service: lowercase letters, digits and hyphens, 2 to 40.
pub fn check_code(field: &str, code: &str, errors: &mut Vec<FieldError>) {
    let ok = (2..=40).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-');
    if !ok {
        errors.push(FieldError::new(
            field,
            "Mã gồm 2–40 chữ thường không dấu, chữ số hoặc dấu gạch ngang, ví dụ “ho-tich”.",
        ));
    }
}

/// A required text of at most `max` characters, trimmed.
pub fn check_text(field: &str, label: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    let v = value.trim();
    if v.is_empty() {
        errors.push(FieldError::new(field, format!("Nhập {label}.")));
    } else if v.chars().count() > max {
        errors.push(FieldError::new(field, format!("{label} dài tối đa {max} ký tự.")));
    }
}

/// The base URL of a provider: absolute http or https, no query, fragment or credentials.
pub fn check_base_url(value: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    let refuse = |errors: &mut Vec<FieldError>, m: &str| {
        errors.push(FieldError::new("base_url", m));
        None
    };
    let Ok(url) = reqwest::Url::parse(value.trim()) else {
        return refuse(
            errors,
            "Địa chỉ dịch vụ phải là URL đầy đủ, ví dụ https://hotich.soctrang.gov.vn/api.",
        );
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return refuse(errors, "Địa chỉ dịch vụ phải dùng http hoặc https.");
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return refuse(
            errors,
            "Địa chỉ dịch vụ không được chứa tham số truy vấn, phân đoạn (#) hay tên đăng nhập, mật khẩu.",
        );
    }
    Some(url.as_str().trim_end_matches('/').to_string())
}

/// A whole number within bounds, for the service's limits.
pub fn check_range(
    field: &str,
    label: &str,
    v: i64,
    min: i64,
    max: i64,
    errors: &mut Vec<FieldError>,
) {
    if !(min..=max).contains(&v) {
        errors.push(FieldError::new(field, format!("{label} phải từ {min} đến {max}.")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lowercase_ascii_with_inner_hyphens() {
        for ok in ["ho-tich", "mot-cua", "dkkd2"] {
            let mut e = Vec::new();
            check_code("code", ok, &mut e);
            assert!(e.is_empty(), "{ok}");
        }
        for bad in ["a", "Hộ-tịch", "ho tich", "-x", "x-", "HO", &"x".repeat(41)] {
            let mut e = Vec::new();
            check_code("code", bad, &mut e);
            assert_eq!(e.len(), 1, "{bad}");
        }
    }

    #[test]
    fn a_base_url_is_absolute_http_without_query_or_credentials() {
        let mut e = Vec::new();
        assert_eq!(
            check_base_url("https://hotich.example.vn/api/", &mut e).as_deref(),
            Some("https://hotich.example.vn/api")
        );
        for bad in
            ["hotich/api", "ftp://x.vn", "https://u:p@x.vn", "https://x.vn/?a=1", "https://x.vn/#f"]
        {
            let mut e = Vec::new();
            assert!(check_base_url(bad, &mut e).is_none(), "{bad}");
            assert_eq!(e.len(), 1);
        }
    }

    #[test]
    fn statuses_round_trip_and_only_published_or_deprecated_services_take_calls() {
        for s in ServiceStatus::ALL {
            assert_eq!(ServiceStatus::parse(s.as_str()), Some(s));
        }
        let taking: Vec<_> = ServiceStatus::ALL.into_iter().filter(|s| s.takes_calls()).collect();
        assert_eq!(taking, [ServiceStatus::Published, ServiceStatus::Deprecated]);
        assert_eq!(GrantStatus::parse("approved"), Some(GrantStatus::Approved));
        assert_eq!(GrantStatus::parse("ok"), None);
    }
}

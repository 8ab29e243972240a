//! The integration platform's JSON API: metadata services for machines (as X-Road's: members,
//! services, what the caller may call, a service's OpenAPI document) and the registry's
//! administration (members, systems, services, access requests and decisions, call records).

use axum::extract::{FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use cqdt_platform::auth::Access;
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable, UnsupportedMediaType,
};
use cqdt_platform::{Admin, ApiQuery, MaybePrincipal, RequestId};
use serde::{Deserialize, Serialize};

use super::{ConsumerSystem, LgspState, Steward};
use crate::model::{Call, Grant, GrantStatus, LgspError, Member, Operation, Service, Subsystem};
use crate::service::{AccessRequest, ServiceDraft};
use crate::store::GrantFilter;

/// Who may read the registry's metadata: a member's system (its token), an official signed
/// in, or the administrator.
pub(super) struct Reader;

impl FromRequestParts<LgspState> for Reader {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &LgspState) -> Result<Self, Self::Rejection> {
        let MaybePrincipal(p) = MaybePrincipal::from_request_parts(parts, s)
            .await
            .map_err(IntoResponse::into_response)?;
        match p {
            Some(p)
                if matches!(&p.access, Access::Token(t) if t.system) || p.kind == "official" =>
            {
                Ok(Reader)
            }
            _ => Admin::from_request_parts(parts, s).await.map(|_| Reader),
        }
    }
}

/// The registry as machines read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Catalogue {
    /// Members, by code.
    pub members: Vec<Member>,
    /// Their systems.
    pub subsystems: Vec<Subsystem>,
}

/// List members and their systems
#[utoipa::path(get, path = "/api/v1/lgsp/meta/members", tag = "lgsp", operation_id = "lgsp_meta_members",
    responses((status = 200, description = "Members and their systems", body = Catalogue), AdminRefusal),
    security(("bearer" = []), ("session" = []), ("basic" = [])))]
pub(super) async fn meta_members(
    _r: Reader,
    State(s): State<LgspState>,
) -> Result<Json<Catalogue>, LgspError> {
    Ok(Json(Catalogue {
        members: s.registry.members().await?,
        subsystems: s.registry.subsystems().await?,
    }))
}

/// Which services, of which member.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct ServicesQuery {
    /// A member's code: only its services.
    member: Option<String>,
}

/// List services that take calls (published or deprecated)
#[utoipa::path(get, path = "/api/v1/lgsp/meta/services", tag = "lgsp", operation_id = "lgsp_meta_services",
    params(ServicesQuery),
    responses((status = 200, description = "Services, by member and code", body = Vec<Service>), BadRequest, AdminRefusal),
    security(("bearer" = []), ("session" = []), ("basic" = [])))]
pub(super) async fn meta_services(
    _r: Reader,
    State(s): State<LgspState>,
    ApiQuery(q): ApiQuery<ServicesQuery>,
) -> Result<Json<Vec<Service>>, LgspError> {
    let member = q.member.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let all = s.registry.services(member).await?;
    Ok(Json(all.into_iter().filter(|x| x.status.takes_calls()).collect()))
}

/// A service's OpenAPI document, as its provider registered it
#[utoipa::path(get, path = "/api/v1/lgsp/meta/services/{id}/openapi", tag = "lgsp", operation_id = "lgsp_meta_openapi",
    params(("id" = String, Path, description = "Service id")),
    responses((status = 200, description = "The OpenAPI document (JSON)", body = Object), NotFound, AdminRefusal),
    security(("bearer" = []), ("session" = []), ("basic" = [])))]
pub(super) async fn meta_openapi(
    _r: Reader,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Response, LgspError> {
    let doc = s.registry.openapi(&id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], doc).into_response())
}

/// What the calling system may call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Allowed {
    /// The caller (`member/system`).
    pub consumer: String,
    /// Per service, the operations granted and valid today.
    pub services: Vec<AllowedService>,
}

/// One service's granted operations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AllowedService {
    /// Service id.
    pub service_id: String,
    /// Gateway address: `/lgsp/{member}/{code}`.
    pub address: String,
    /// Name.
    pub name: String,
    /// The operations (their ids).
    pub operations: Vec<String>,
}

/// The operations the calling system may call today (its own token)
#[utoipa::path(get, path = "/api/v1/lgsp/meta/allowed", tag = "lgsp", operation_id = "lgsp_meta_allowed",
    responses((status = 200, description = "Granted operations per service", body = Allowed), NotFound, AdminRefusal),
    security(("bearer" = [])))]
pub(super) async fn meta_allowed(
    ConsumerSystem(client_id): ConsumerSystem,
    State(s): State<LgspState>,
) -> Result<Json<Allowed>, LgspError> {
    let consumer = s.registry.consumer_of(&client_id).await?.ok_or_else(|| {
        LgspError::NotFound(format!("Ứng dụng “{client_id}” chưa là hệ thống của thành viên nào."))
    })?;
    let mut services = Vec::new();
    for svc in s.registry.services(None).await?.into_iter().filter(|x| x.status.takes_calls()) {
        let operations = s.registry.allowed(&consumer, &svc.id).await?;
        if !operations.is_empty() {
            services.push(AllowedService {
                address: format!("/lgsp/{}/{}", svc.member_code, svc.code),
                service_id: svc.id,
                name: svc.name,
                operations,
            });
        }
    }
    Ok(Json(Allowed { consumer: consumer.key(), services }))
}

/// A new member.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MemberBody {
    /// The agency's QĐ 20/2020 code (it must be in the agencies catalog).
    pub code: String,
}

/// Make an agency a member (platform administrator)
#[utoipa::path(post, path = "/api/v1/lgsp/members", tag = "lgsp", operation_id = "lgsp_add_member",
    request_body(content = MemberBody),
    responses((status = 201, description = "The member", body = Member), BadRequest, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn add_member(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Json(b): Json<MemberBody>,
) -> Result<(axum::http::StatusCode, Json<Member>), LgspError> {
    let m = s.registry.add_member(&actor, &rid, &b.code).await?;
    Ok((axum::http::StatusCode::CREATED, Json(m)))
}

/// A new system of a member.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SubsystemBody {
    /// Code within the member (2–40: a–z, 0–9, -).
    pub code: String,
    /// Name.
    pub name: String,
    /// The OAuth client it calls the gateway as, if it consumes services.
    pub client_id: Option<String>,
}

/// Add a system to a member
#[utoipa::path(post, path = "/api/v1/lgsp/members/{member}/subsystems", tag = "lgsp", operation_id = "lgsp_add_subsystem",
    params(("member" = String, Path, description = "Member code")),
    request_body(content = SubsystemBody),
    responses((status = 201, description = "The system", body = Subsystem), BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn add_subsystem(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path(member): Path<String>,
    Json(b): Json<SubsystemBody>,
) -> Result<(axum::http::StatusCode, Json<Subsystem>), LgspError> {
    let sub = s
        .registry
        .add_subsystem(&actor, &rid, &member, &b.code, &b.name, b.client_id.as_deref())
        .await?;
    Ok((axum::http::StatusCode::CREATED, Json(sub)))
}

/// Where the platform pushes a system's messages.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PushBody {
    /// An http or https URL that takes POSTed messages; empty or absent: the system pulls them.
    pub push_url: Option<String>,
}

/// Set or clear where a system's messages are pushed
#[utoipa::path(put, path = "/api/v1/lgsp/members/{member}/subsystems/{code}/push", tag = "lgsp", operation_id = "lgsp_set_push",
    params(("member" = String, Path, description = "Member code"), ("code" = String, Path, description = "The system's code")),
    request_body(content = PushBody),
    responses((status = 200, description = "The system", body = Subsystem), BadRequest, NotFound, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn set_push(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path((member, code)): Path<(String, String)>,
    Json(b): Json<PushBody>,
) -> Result<Json<Subsystem>, LgspError> {
    let push_url = b.push_url.as_deref();
    Ok(Json(s.registry.set_push_url(&actor, &rid, &member, &code, push_url).await?))
}

/// Register a service with its OpenAPI document (the provider's administrator)
#[utoipa::path(post, path = "/api/v1/lgsp/services", tag = "lgsp", operation_id = "lgsp_register_service",
    request_body(content = ServiceDraft),
    responses((status = 201, description = "The service", body = Service), BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn register_service(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Json(d): Json<ServiceDraft>,
) -> Result<(axum::http::StatusCode, Json<Service>), LgspError> {
    let svc = s.registry.put_service(&actor, &rid, None, &d).await?;
    Ok((axum::http::StatusCode::CREATED, Json(svc)))
}

/// A service with its operations.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServiceDetail {
    /// The service.
    #[serde(flatten)]
    pub service: Service,
    /// Its operations.
    pub operations: Vec<Operation>,
}

/// A service with its operations
#[utoipa::path(get, path = "/api/v1/lgsp/services/{id}", tag = "lgsp", operation_id = "lgsp_service",
    params(("id" = String, Path, description = "Service id")),
    responses((status = 200, description = "The service", body = ServiceDetail), NotFound, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn service(
    _s: Steward,
    State(s): State<LgspState>,
    Path(id): Path<String>,
) -> Result<Json<ServiceDetail>, LgspError> {
    let (service, operations) = s.registry.service(&id).await?;
    Ok(Json(ServiceDetail { service, operations }))
}

/// Change a service (a new document, address, status or limits)
#[utoipa::path(put, path = "/api/v1/lgsp/services/{id}", tag = "lgsp", operation_id = "lgsp_update_service",
    params(("id" = String, Path, description = "Service id")),
    request_body(content = ServiceDraft),
    responses((status = 200, description = "The service", body = Service), BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn update_service(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path(id): Path<String>,
    Json(d): Json<ServiceDraft>,
) -> Result<Json<Service>, LgspError> {
    Ok(Json(s.registry.put_service(&actor, &rid, Some(&id), &d).await?))
}

/// Which grants.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct GrantsQuery {
    /// `requested`, `approved`, `rejected` or `revoked`.
    status: Option<String>,
    /// A service's id.
    service_id: Option<String>,
    /// A consuming member's code.
    consumer_member: Option<String>,
}

/// Access requests and grants, newest first
#[utoipa::path(get, path = "/api/v1/lgsp/grants", tag = "lgsp", operation_id = "lgsp_grants",
    params(GrantsQuery),
    responses((status = 200, description = "Grants (at most 500)", body = Vec<Grant>), BadRequest, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn grants(
    _s: Steward,
    State(s): State<LgspState>,
    ApiQuery(q): ApiQuery<GrantsQuery>,
) -> Result<Json<Vec<Grant>>, LgspError> {
    let status = q.status.unwrap_or_default();
    if !status.is_empty() && GrantStatus::parse(&status).is_none() {
        return Err(LgspError::field(
            "status",
            "Trạng thái là requested, approved, rejected hoặc revoked.",
        ));
    }
    let f = GrantFilter {
        status,
        service_id: q.service_id.unwrap_or_default(),
        consumer_member: q.consumer_member.unwrap_or_default(),
        ..Default::default()
    };
    Ok(Json(s.registry.grants(&f, 500).await?))
}

/// The grants a request made.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessRequestAnswer {
    /// One per operation, waiting for the provider's decision.
    pub grants: Vec<Grant>,
}

/// Ask for access to operations of a service for a consumer system
#[utoipa::path(post, path = "/api/v1/lgsp/grants", tag = "lgsp", operation_id = "lgsp_request_access",
    request_body(content = AccessRequest),
    responses((status = 201, description = "The requests", body = AccessRequestAnswer), BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn request_access(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Json(r): Json<AccessRequest>,
) -> Result<(axum::http::StatusCode, Json<AccessRequestAnswer>), LgspError> {
    let grants = s.registry.request_access(&actor, &rid, &r).await?;
    Ok((axum::http::StatusCode::CREATED, Json(AccessRequestAnswer { grants })))
}

/// The provider's decision on a grant.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DecisionBody {
    /// `approved`, `rejected`, or `revoked` (for an approved grant).
    pub status: String,
    /// The reason (required to reject or revoke).
    #[serde(default)]
    pub note: String,
    /// A shorter period than asked for (approval only).
    pub valid_until: Option<String>,
}

/// Approve, reject or revoke a grant (the provider's administrator)
#[utoipa::path(post, path = "/api/v1/lgsp/grants/{id}/decision", tag = "lgsp", operation_id = "lgsp_decide",
    params(("id" = String, Path, description = "Grant id")),
    request_body(content = DecisionBody),
    responses((status = 200, description = "The grant", body = Grant), BadRequest, NotFound, Conflict, UnsupportedMediaType, Unprocessable, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn decide(
    Steward(actor): Steward,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    Path(id): Path<String>,
    Json(b): Json<DecisionBody>,
) -> Result<Json<Grant>, LgspError> {
    let to = match GrantStatus::parse(b.status.trim()) {
        Some(st @ (GrantStatus::Approved | GrantStatus::Rejected | GrantStatus::Revoked)) => st,
        _ => {
            return Err(LgspError::field(
                "status",
                "Quyết định là approved, rejected hoặc revoked.",
            ))
        }
    };
    Ok(Json(s.registry.decide(&actor, &rid, &id, to, &b.note, b.valid_until.as_deref()).await?))
}

/// Which calls.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct CallsQuery {
    /// A service (`member/code`).
    service: Option<String>,
    /// Most rows, 1–1000 (100).
    limit: Option<i64>,
}

/// Calls through the gateway in the last 24 hours, newest first (operational monitoring)
#[utoipa::path(get, path = "/api/v1/lgsp/calls", tag = "lgsp", operation_id = "lgsp_calls",
    params(CallsQuery),
    responses((status = 200, description = "Calls", body = Vec<Call>), BadRequest, AdminRefusal),
    security(("session" = []), ("basic" = [])))]
pub(super) async fn calls(
    _s: Steward,
    State(s): State<LgspState>,
    ApiQuery(q): ApiQuery<CallsQuery>,
) -> Result<Json<Vec<Call>>, LgspError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(LgspError::field("limit", "Số dòng từ 1 đến 1000."));
    }
    let since = s.registry.clock().now() - chrono::Duration::hours(24);
    let rows = crate::store::calls(
        s.registry.db().pool(),
        &cqdt_platform::clock::format_ts(since),
        q.service.as_deref().unwrap_or(""),
        limit,
    )
    .await?;
    Ok(Json(rows))
}

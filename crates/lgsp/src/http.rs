//! Routes of the integration platform: the gateway (`/lgsp/{member}/{service}/{path…}`), the
//! JSON API of the registry and of the metadata services (in [`api`]), and the admin pages (in
//! [`pages`]). Errors are [`LgspError`]s: problem+json on `/api/…` and `/lgsp/…` (a gateway
//! refusal names the side that failed), the Vietnamese error page elsewhere.

mod api;
mod bodies;
mod exchange;
mod pages;
mod peers;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use cqdt_platform::auth::{scope_rule, Access, ApiScope};
use cqdt_platform::{Admin, HttpError, MaybePrincipal, Platform, Problem, RequestId};

use crate::gateway::{Gateway, Inbound};
use crate::model::LgspError;
use crate::service::{Actor, Registry};

pub use api::{AccessRequestAnswer, Allowed, Catalogue, DecisionBody, MemberBody, SubsystemBody};

/// State of the integration platform's routes.
#[derive(Clone)]
pub struct LgspState {
    /// Platform core.
    pub platform: Platform,
    /// The registry.
    pub registry: Registry,
    /// The gateway.
    pub gateway: Gateway,
    /// The asynchronous exchange's queues.
    pub exchange: crate::exchange::Exchange,
}

impl FromRef<LgspState> for Platform {
    fn from_ref(s: &LgspState) -> Platform {
        s.platform.clone()
    }
}

/// The integration platform's routes, ready to merge into the app.
pub fn router(state: LgspState) -> Router {
    Router::new()
        .route("/lgsp/{member}/{service}", any(gateway))
        .route("/lgsp/{member}/{service}/{*path}", any(gateway))
        .route("/api/v1/lgsp/meta/members", get(api::meta_members))
        .route("/api/v1/lgsp/meta/services", get(api::meta_services))
        .route("/api/v1/lgsp/meta/services/{id}/openapi", get(api::meta_openapi))
        .route("/api/v1/lgsp/meta/allowed", get(api::meta_allowed))
        .route(
            "/api/v1/lgsp/messages",
            post(exchange::send).layer(DefaultBodyLimit::max(crate::exchange::MAX_BODY)),
        )
        .route("/api/v1/lgsp/messages/{id}", get(exchange::message))
        .route("/api/v1/lgsp/messages/{id}/redeliver", post(exchange::redeliver))
        .route("/api/v1/lgsp/inbox", get(exchange::inbox))
        .route("/api/v1/lgsp/inbox/{id}/content", get(exchange::content))
        .route("/api/v1/lgsp/inbox/{id}/status", post(exchange::report))
        .route_layer(scope_rule(ApiScope::Lgsp, ApiScope::Lgsp))
        .route("/api/v1/lgsp/members", post(api::add_member))
        .route("/api/v1/lgsp/members/{member}/subsystems", post(api::add_subsystem))
        .route(
            "/api/v1/lgsp/members/{member}/subsystems/{code}/push",
            axum::routing::put(api::set_push),
        )
        .route("/api/v1/lgsp/services", post(api::register_service))
        .route("/api/v1/lgsp/services/{id}", get(api::service).put(api::update_service))
        .route("/api/v1/lgsp/grants", get(api::grants).post(api::request_access))
        .route("/api/v1/lgsp/grants/{id}/decision", post(api::decide))
        .route("/api/v1/lgsp/calls", get(api::calls))
        .route("/api/v1/lgsp/peers", get(peers::peers).post(peers::add_peer))
        .route("/api/v1/lgsp/peers/{code}", axum::routing::delete(peers::remove_peer))
        .route("/api/v1/lgsp/peers/{code}/services", post(peers::import_service))
        .route("/api/v1/lgsp/services/{id}/bodies", get(bodies::kept))
        .route("/api/v1/lgsp/log/{seq}/bodies/{side}", get(bodies::body))
        .route_layer(scope_rule(ApiScope::Admin, ApiScope::Admin))
        .merge(pages::routes())
        .with_state(state)
}

/// Who administers the registry on this request: the platform's administrator (also the
/// bootstrap administrator over HTTP Basic), or an agency's administrator within their scope.
pub struct Steward(pub Actor);

impl FromRequestParts<LgspState> for Steward {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &LgspState) -> Result<Self, Self::Rejection> {
        if let Ok(MaybePrincipal(Some(p))) = MaybePrincipal::from_request_parts(parts, s).await {
            if let (Some(actor), false) = (Actor::of(&p), p.is_platform_admin()) {
                return Ok(Steward(actor));
            }
        }
        let admin = Admin::from_request_parts(parts, s).await?;
        Ok(Steward(Actor::platform(&admin.name)))
    }
}

/// A consumer system calling through the gateway (a client-credentials token with `lgsp`).
pub struct ConsumerSystem(pub String);

impl FromRequestParts<LgspState> for ConsumerSystem {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, s: &LgspState) -> Result<Self, Self::Rejection> {
        let MaybePrincipal(p) = MaybePrincipal::from_request_parts(parts, s)
            .await
            .map_err(IntoResponse::into_response)?;
        match p.map(|p| p.access) {
            Some(Access::Token(t)) if t.system => Ok(ConsumerSystem(t.client_id)),
            Some(_) => Err(Problem::forbidden(
                "Trục LGSP chỉ nhận yêu cầu của hệ thống thông tin, bằng mã truy cập cấp cho ứng dụng (client credentials), không nhận phiên đăng nhập của người dùng.",
            )
            .into_response()),
            None => {
                let mut res = Problem::new(StatusCode::UNAUTHORIZED, "Cần mã truy cập")
                    .with_detail("Gọi trục LGSP cần mã truy cập của hệ thống (OAuth 2.0 client credentials, phạm vi “lgsp”).")
                    .into_response();
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"cqdt\", scope=\"lgsp\""));
                Err(res)
            }
        }
    }
}

/// The gateway: passes a consumer system's call on to the provider.
async fn gateway(
    ConsumerSystem(client_id): ConsumerSystem,
    RequestId(rid): RequestId,
    State(s): State<LgspState>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    // /lgsp/{member}/{service}{/path…}: segments as sent (percent-encoded), passed on as such.
    let raw = parts.uri.path();
    let mut it = raw.splitn(5, '/').skip(2);
    let member = it.next().unwrap_or_default().to_string();
    let service = it.next().unwrap_or_default().to_string();
    let path = match it.next() {
        Some(rest) => format!("/{rest}"),
        None => "/".to_string(),
    };
    s.gateway
        .call(Inbound {
            client_id,
            request_id: rid,
            method: parts.method,
            member,
            service,
            path,
            query: parts.uri.query().map(str::to_string),
            headers: parts.headers,
            body,
        })
        .await
}

/// A gateway refusal as problem+json, with the side that failed in `code` and the title.
pub(crate) fn gateway_error(e: LgspError) -> Response<Body> {
    e.into_response()
}

impl From<LgspError> for HttpError {
    fn from(e: LgspError) -> Self {
        match e {
            LgspError::Invalid(errors) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ")
                    .with_detail("Có thông tin chưa hợp lệ; không có gì được ghi lại.")
                    .with_errors(errors)
                    .into()
            }
            LgspError::NotFound(m) => Problem::not_found(m).into(),
            LgspError::Conflict(m) => Problem::conflict(m).into(),
            LgspError::Forbidden(m) => Problem::forbidden(m).into(),
            LgspError::Gateway(r) => {
                let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::BAD_GATEWAY);
                Problem::new(status, r.side.title()).with_detail(r.detail).with_code(r.code).into()
            }
            LgspError::Db(e) => HttpError::internal(e),
        }
    }
}

impl IntoResponse for LgspError {
    fn into_response(self) -> Response {
        let retry = match &self {
            LgspError::Gateway(r) => r.retry_after,
            _ => None,
        };
        let mut res = HttpError::from(self).into_response();
        if let Some(secs) = retry {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// The OpenAPI document of this module's API (the gateway itself carries the providers' own
/// APIs, each described by the document its service registered).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::meta_members,
        api::meta_services,
        api::meta_openapi,
        api::meta_allowed,
        api::add_member,
        api::add_subsystem,
        api::set_push,
        api::register_service,
        api::service,
        api::update_service,
        api::grants,
        api::request_access,
        api::decide,
        api::calls,
        bodies::kept,
        bodies::body,
        peers::add_peer,
        peers::peers,
        peers::import_service,
        peers::remove_peer,
        exchange::send,
        exchange::message,
        exchange::inbox,
        exchange::content,
        exchange::report,
        exchange::redeliver,
    ),
    components(schemas(
        crate::model::Member,
        crate::model::Subsystem,
        crate::model::Service,
        crate::model::ServiceStatus,
        crate::model::Operation,
        crate::model::Grant,
        crate::model::GrantStatus,
        crate::model::Call,
        crate::bodies::KeptBody,
        crate::federation::Peer,
        crate::federation::PeerDraft,
        peers::PeerServiceBody,
        crate::service::ServiceDraft,
        crate::service::AccessRequest,
        Catalogue,
        Allowed,
        api::AllowedService,
        api::ServiceDetail,
        MemberBody,
        SubsystemBody,
        api::PushBody,
        DecisionBody,
        AccessRequestAnswer,
        crate::exchange::Message,
        crate::exchange::MessageStatus,
        exchange::ReportBody,
    ))
)]
pub struct ApiDoc;

//! What every module's OpenAPI document shares: the problem+json error response and the
//! security schemes. Each module derives its own document from its handlers
//! (`#[utoipa::path]`) and types (`ToSchema`); the binary merges them.
//!
//! In a module:
//! ```ignore
//! #[utoipa::path(get, path = "/api/v1/things/{code}", tag = "things",
//!     params(("code" = String, Path, description = "…")),
//!     responses((status = 200, body = Thing), NotFound, AdminRefusal),
//!     security(("session" = []), ("bearer" = [])))]
//! async fn get_thing(…) -> Result<Json<Thing>, ThingError> { … }
//!
//! #[derive(utoipa::OpenApi)]
//! #[openapi(paths(get_thing))]
//! pub struct ApiDoc;
//! // the binary merges `<ApiDoc as utoipa::OpenApi>::openapi()` of every module
//! ```

use std::collections::BTreeMap;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};

use crate::web::Problem;

/// The session cookie of a signed-in person (first-party pages and their scripts).
pub const SESSION: &str = "session";
/// An OAuth 2.0 / OpenID Connect access token (`Authorization: Bearer …`).
pub const BEARER: &str = "bearer";
/// HTTP Basic for the bootstrap administrator (user `admin`).
pub const BASIC: &str = "basic";

impl<'s> utoipa::ToResponse<'s> for Problem {
    fn response() -> (&'s str, RefOr<Response>) {
        (
            "Problem",
            ResponseBuilder::new()
                .description("Problem details (RFC 9457), in Vietnamese")
                .content(
                    "application/problem+json",
                    ContentBuilder::new()
                        .schema(Some(RefOr::Ref(Ref::from_schema_name("Problem"))))
                        .build(),
                )
                .build()
                .into(),
        )
    }
}

/// The security schemes every document names.
pub fn security_schemes() -> Vec<(&'static str, SecurityScheme)> {
    vec![
        (
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                // The identity module's `SESSION_COOKIE`.
                "cqdt_session",
                "Session cookie set by signing in at /dang-nhap",
            ))),
        ),
        (
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("Access token from /oauth/token (OpenID Connect provider)"))
                    .build(),
            ),
        ),
        (
            BASIC,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some("Bootstrap administrator (user admin)"))
                    .build(),
            ),
        ),
    ]
}

/// Problem+json answers under `status → description`, as `responses(...)` wants them.
fn problems(list: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| {
            let mut problem = Ref::from_response_name("Problem");
            problem.description = (*description).into();
            (status.to_string(), RefOr::Ref(problem))
        })
        .collect()
}

/// Declares one problem+json error answer per type, so a route lists its errors on one line:
/// `responses((status = 200, body = Thing), BadRequest, NotFound, AdminRefusal)`.
macro_rules! problem_answers {
    ($($(#[$doc:meta])* $name:ident = [$(($status:literal, $description:literal)),+];)+) => {$(
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                problems(&[$(($status, $description)),+])
            }
        }
    )+};
}

problem_answers! {
    /// 400: the request could not be read (syntax, query, path).
    BadRequest = [("400", "the request could not be read")];
    /// 401: no valid session or token.
    Unauthenticated = [("401", "not signed in")];
    /// 403: signed in, but this person or system may not do this.
    Forbidden = [("403", "not allowed for this person or system")];
    /// 404: no such thing (or not visible to the caller).
    NotFound = [("404", "no such resource")];
    /// 409: the state or version changed meanwhile, or the thing exists already.
    Conflict = [("409", "conflicts with the current state")];
    /// 413: the body is larger than the route accepts.
    TooLarge = [("413", "the body is too large")];
    /// 415: the body is not of a media type the route accepts.
    UnsupportedMediaType = [("415", "unsupported media type")];
    /// 422: the request was read, but its content is not valid.
    Unprocessable = [("422", "the content is not valid")];
    /// 429: too many requests from this source (Retry-After).
    TooManyRequests = [("429", "too many requests (Retry-After)")];
    /// Refusals of the administrator guard (`web::Admin`) on API routes: 401 (no or wrong
    /// credentials, with `WWW-Authenticate: Basic`), 403 (signed in, but not as a platform
    /// administrator) and 429 (locked out after wrong passwords, with `Retry-After`). Name it
    /// in `responses(...)` of every route behind the guard.
    AdminRefusal = [
        ("401", "not signed in as an administrator (WWW-Authenticate: Basic)"),
        ("403", "signed in, but not as a platform administrator"),
        ("429", "too many wrong administrator passwords from this source (Retry-After)")
    ];
}

/// A module's document as JSON, for tests that look into it.
pub fn json<D: utoipa::OpenApi>() -> serde_json::Value {
    serde_json::to_value(D::openapi()).expect("an OpenAPI document serialises")
}

/// The paths of a router's routes under `/api/` and `/dmdc/`, for checking that the OpenAPI
/// document leaves none out. axum has no route listing; its `Debug` output names every path
/// (nested routers are flattened into their parent's paths), so read them from there. The
/// gateway `/lgsp/…` is left out: it carries the providers' APIs, each described by the
/// document its service registered.
pub fn api_paths<S>(router: &axum::Router<S>) -> std::collections::BTreeSet<String> {
    let debug = format!("{router:?}");
    debug.split('"').filter(|s| documented(s)).map(str::to_string).collect()
}

/// Whether a path is one of the platform's own documented APIs.
pub fn documented(path: &str) -> bool {
    crate::web::is_api_path(path) && !path.starts_with("/lgsp/")
}

#[cfg(test)]
mod tests {
    use axum::routing::get;

    use axum::Router;

    use super::*;

    #[test]
    fn api_paths_are_read_from_the_router_including_nested_ones() {
        let inner: Router = Router::new().route("/x/{id}", get(|| async { "" }));
        let router: Router = Router::new()
            .route("/api/v1/a", get(|| async { "" }))
            .route("/trang", get(|| async { "" }))
            .route("/dmdc/Metadata/{catalog}", get(|| async { "" }))
            .nest("/api/v1/b", inner);
        let paths: Vec<String> = api_paths(&router).into_iter().collect();
        assert_eq!(paths, ["/api/v1/a", "/api/v1/b/x/{id}", "/dmdc/Metadata/{catalog}"]);
    }
}

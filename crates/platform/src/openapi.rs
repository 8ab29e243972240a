//! What every module's OpenAPI document shares: the problem+json error response and the
//! security schemes. Each module derives its own document from its handlers
//! (`#[utoipa::path]`) and types (`ToSchema`); the binary merges them.
//!
//! In a module:
//! ```ignore
//! #[utoipa::path(get, path = "/api/v1/things/{code}", tag = "things",
//!     params(("code" = String, Path, description = "…")),
//!     responses((status = 200, body = Thing), (status = 404, response = Problem)),
//!     security((SESSION = []), (BEARER = [])))]
//! async fn get_thing(…) -> Result<Json<Thing>, ThingError> { … }
//!
//! #[derive(utoipa::OpenApi)]
//! #[openapi(paths(get_thing))]
//! struct ApiDoc;
//! pub fn openapi() -> utoipa::openapi::OpenApi { <ApiDoc as utoipa::OpenApi>::openapi() }
//! ```

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};

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
                        .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                            "Problem",
                        ))))
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
                    .description(Some(
                        "Access token from /oauth/token (OpenID Connect provider)",
                    ))
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

//! Routes: the portal's procedure pages (`/dich-vu-cong`, `/thu-tuc`), the JSON API
//! (`/api/v1/procedures`) and the administrators' pages (`/admin/procedures`).
//!
//! Handlers return `Result<_, ProcedureError>` (or `HttpError` where they refuse input of
//! their own): the error renders as problem+json on the API and as the Vietnamese error page
//! elsewhere (the app's `error_pages` layer).

use cqdt_platform::auth::{scope_rule, ApiScope};
use std::collections::HashMap;

use axum::extract::FromRef;
use axum::routing::{get, post};
use axum::Router;
use cqdt_platform::Platform;

mod admin;
mod api;
mod editor;
mod import;
mod portal;
mod synonyms;

pub use api::{Imported, SearchResults, Summary};

use crate::model::{Level, OnlineLevel};
use crate::search::Filters;
use crate::service::ProcedureService;

/// State of the procedure routes.
#[derive(Clone)]
pub struct ProcedureState {
    /// Platform core.
    pub platform: Platform,
    /// The catalog.
    pub procedures: ProcedureService,
}

impl FromRef<ProcedureState> for Platform {
    fn from_ref(s: &ProcedureState) -> Platform {
        s.platform.clone()
    }
}

/// The routes, ready to merge into the app.
pub fn router(state: ProcedureState) -> Router {
    // Imports take a file (JSON or a workbook); every other route keeps the small default.
    let upload = state.platform.upload_limit(1);
    Router::new()
        .route("/api/v1/procedures", get(api::api_search).post(api::api_create))
        .route("/api/v1/procedures/export", get(api::api_export))
        .route("/api/v1/procedures/import", post(api::api_import).layer(upload))
        .route("/api/v1/procedures/{code}", get(api::api_get).put(api::api_update))
        .route("/api/v1/procedures/{code}/history", get(api::api_history))
        .route("/api/v1/procedures/{code}/publish", post(api::api_publish))
        .route("/api/v1/procedures/{code}/retire", post(api::api_retire))
        .route_layer(scope_rule(ApiScope::CatalogRead, ApiScope::CatalogWrite))
        .route("/", get(portal::portal_home))
        .route("/dich-vu-cong", get(portal::portal_home))
        .route("/thu-tuc", get(portal::search_page))
        .route("/thu-tuc/{code}", get(portal::procedure_page))
        .route("/admin/procedures", get(admin::admin_list))
        .route(
            "/admin/procedures/import",
            get(import::admin_import_form).post(import::admin_import).layer(upload),
        )
        .route("/admin/procedures/moi", get(admin::admin_new).post(admin::admin_create))
        .route("/admin/procedures/{code}/sua", get(admin::admin_edit).post(admin::admin_save))
        .route("/admin/procedures/{code}/lich-su", get(admin::admin_history))
        .route("/admin/procedures/{code}/lich-su/{version}/khoi-phuc", post(admin::admin_restore))
        .route("/admin/procedures/{code}/status", post(admin::admin_status))
        .route("/admin/procedures/{code}/bai-bo", get(admin::admin_retire_confirm))
        .route("/admin/procedures/tu-dong-nghia", get(synonyms::list).post(synonyms::save))
        .route("/admin/procedures/tu-dong-nghia/xoa", post(synonyms::delete))
        .with_state(state)
}

/// The search filters of a query string (the portal's and the API's names).
fn filters(q: &HashMap<String, String>) -> Filters {
    let nonempty = |k: &str| q.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    Filters {
        field: nonempty("linh_vuc"),
        level: nonempty("cap").and_then(|l| Level::parse(&l)),
        online: nonempty("muc_do").and_then(|o| OnlineLevel::parse(&o)),
        agency_kind: nonempty("co_quan"),
    }
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::api_search,
        api::api_create,
        api::api_get,
        api::api_update,
        api::api_history,
        api::api_publish,
        api::api_retire,
        api::api_export,
        api::api_import,
    ),
    components(schemas(
        crate::model::Procedure,
        crate::service::Entry,
        crate::store::Version,
        Summary,
        SearchResults,
        Imported,
    )),
    tags((name = "procedures", description = "Procedure catalog (M4)"))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_describes_every_api_route() {
        let doc = cqdt_platform::openapi::json::<super::ApiDoc>();
        let paths = &doc["paths"];
        for (path, methods) in [
            ("/api/v1/procedures", &["get", "post"][..]),
            ("/api/v1/procedures/export", &["get"]),
            ("/api/v1/procedures/import", &["post"]),
            ("/api/v1/procedures/{code}", &["get", "put"]),
            ("/api/v1/procedures/{code}/history", &["get"]),
            ("/api/v1/procedures/{code}/publish", &["post"]),
            ("/api/v1/procedures/{code}/retire", &["post"]),
        ] {
            for m in methods {
                assert!(paths[path][m].is_object(), "{m} {path}");
            }
        }
        assert_eq!(
            paths["/api/v1/procedures"]["post"]["responses"]["422"]["$ref"],
            "#/components/responses/Problem"
        );
        let export = &paths["/api/v1/procedures/export"]["get"]["responses"]["200"]["content"];
        assert!(export["application/json"].is_object());
        assert!(export[cqdt_platform::xlsx::MEDIA_TYPE].is_object());
        assert_eq!(
            doc["components"]["schemas"]["ProcedureStatus"]["enum"],
            serde_json::json!(["draft", "published", "retired"])
        );
    }
}

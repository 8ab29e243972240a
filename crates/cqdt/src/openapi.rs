//! The OpenAPI document of the whole platform, merged from the documents each module
//! generates from its handlers and types, and the check that it leaves no API route out.

use serde_json::json;
use utoipa::OpenApi as _;

/// The OpenAPI 3.1 document of every module's JSON API, merged from the documents each
/// module derives from its handlers and types.
pub fn openapi_document() -> serde_json::Value {
    use utoipa::openapi::{ComponentsBuilder, InfoBuilder, LicenseBuilder, OpenApiBuilder};
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("cqdt – Chính quyền điện tử")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "JSON APIs of the cqdt platform. Errors are RFC 9457 problem details.",
                ))
                .license(Some(
                    LicenseBuilder::new()
                        .name("AGPL-3.0-or-later")
                        .identifier(Some("AGPL-3.0-or-later"))
                        .build(),
                ))
                .build(),
        )
        .components(Some({
            let mut c = ComponentsBuilder::new()
                .schema_from::<cqdt_platform::Problem>()
                .schema_from::<cqdt_platform::FieldError>()
                .response_from::<cqdt_platform::Problem>();
            for (name, scheme) in cqdt_platform::openapi::security_schemes() {
                c = c.security_scheme(name, scheme);
            }
            c.build()
        }))
        .build();
    // Modules whose documents are generated from their code.
    let generated: [utoipa::openapi::OpenApi; 10] = [
        cqdt_identity::http::ApiDoc::openapi(),
        cqdt_catalog::http::ApiDoc::openapi(),
        cqdt_procedures::http::ApiDoc::openapi(),
        cqdt_audit::http::ApiDoc::openapi(),
        cqdt_calendar::http::ApiDoc::openapi(),
        cqdt_workflow::http::ApiDoc::openapi(),
        cqdt_platform::http::ApiDoc::openapi(),
        cqdt_notify::http::ApiDoc::openapi(),
        cqdt_dossiers::http::ApiDoc::openapi(),
        cqdt_lgsp::http::ApiDoc::openapi(),
    ];
    for part in generated {
        doc.merge(part);
    }
    doc.merge(AppDoc::openapi());
    let mut doc = serde_json::to_value(doc).unwrap_or_else(|_| json!({}));
    unique_operation_ids(&mut doc);
    doc
}

/// This document, served by the binary.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "platform",
    summary = "The OpenAPI 3.1 document of every JSON API (this document)",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json", body = Object)))]
#[allow(dead_code)] // Only its annotation is used; the route serves a prepared document.
fn openapi_json() {}

#[derive(utoipa::OpenApi)]
#[openapi(paths(openapi_json))]
struct AppDoc;

/// Operation ids default to the handler's name, which two modules may share (`list`,
/// `export`…); OpenAPI wants them unique, so a repeated one is prefixed with its tag.
fn unique_operation_ids(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    let mut seen = std::collections::HashMap::<String, usize>::new();
    for op in paths.values().flat_map(|p| p.as_object().into_iter().flat_map(|m| m.values())) {
        if let Some(id) = op.get("operationId").and_then(|v| v.as_str()) {
            *seen.entry(id.to_string()).or_default() += 1;
        }
    }
    for op in
        paths.values_mut().flat_map(|p| p.as_object_mut().into_iter().flat_map(|m| m.values_mut()))
    {
        let Some(id) = op.get("operationId").and_then(|v| v.as_str()) else {
            continue;
        };
        if seen.get(id).copied().unwrap_or(0) > 1 {
            let tag = op.pointer("/tags/0").and_then(|v| v.as_str()).unwrap_or("cqdt");
            let renamed = format!("{tag}_{id}");
            op["operationId"] = json!(renamed);
        }
    }
}

pub use cqdt_platform::openapi::api_paths;

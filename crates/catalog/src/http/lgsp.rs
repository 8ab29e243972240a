//! The catalogs by the LGSP catalog conventions (`/dmdc/Metadata/…`, `/dmdc/Category/…`):
//! the same data as the JSON API in the envelope LGSP consumers expect (`success`, `data`).
//! Errors are problem+json, as on the API.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use cqdt_platform::{Admin, HttpError, RequestId};
use serde::Serialize;
use utoipa::ToSchema;

use super::api::{find, EntryRequest};
use super::{CatalogState, ListQuery};
use crate::model::{CodeKind, FieldType};
use crate::service::{EntryView, Format, ImportReport};
use cqdt_platform::openapi::{AdminRefusal, BadRequest, Conflict, NotFound, Unprocessable};

/// A column of a catalog as LGSP describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LgspField {
    /// Column name.
    pub name: String,
    /// Vietnamese label.
    pub label: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether every entry has it.
    pub required: bool,
    /// How the codes are checked (the `code` column only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<CodeKind>,
}

impl LgspField {
    fn new(name: &str, label: &str, kind: FieldType, required: bool) -> Self {
        LgspField { name: name.into(), label: label.into(), kind, required, format: None }
    }
}

/// A catalog's metadata with typed columns.
#[derive(Debug, Serialize, ToSchema)]
pub struct LgspCatalog {
    /// Catalog code.
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Where its data comes from.
    pub source: String,
    /// How codes are checked.
    pub code_kind: CodeKind,
    /// Every column: the common ones, then the catalog's own.
    pub fields: Vec<LgspField>,
}

/// `GET /dmdc/Metadata/{catalog}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LgspMetadata {
    /// Always true (failures are problem+json).
    pub success: bool,
    /// The metadata.
    pub data: LgspCatalog,
}

/// `GET /dmdc/Category/{catalog}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LgspCategory {
    /// Always true (failures are problem+json).
    pub success: bool,
    /// Entries matching in all.
    pub total: i64,
    /// Page number, from 1.
    pub page: i64,
    /// Page size.
    pub page_size: i64,
    /// The entries of this page.
    pub data: Vec<EntryView>,
}

/// `POST /dmdc/Category/{catalog}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LgspImported {
    /// Always true (failures are problem+json).
    pub success: bool,
    /// What the import did.
    pub data: ImportReport,
}

/// LGSP convention: catalog metadata with typed fields
#[utoipa::path(get, path = "/dmdc/Metadata/{catalog}", tag = "lgsp",
    params(("catalog" = String, Path, description = "catalog code")),
    responses(
        (status = 200, description = "metadata", body = LgspMetadata),
        NotFound,
    ))]
pub(super) async fn lgsp_metadata(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
) -> Result<Json<LgspMetadata>, HttpError> {
    let m = s.catalogs.meta(&catalog).await?;
    let mut fields = vec![
        LgspField {
            format: Some(m.code_kind),
            ..LgspField::new("code", "Mã", FieldType::String, true)
        },
        LgspField::new("name", "Tên", FieldType::String, true),
        LgspField::new("parent", "Mã cấp trên", FieldType::String, false),
        LgspField::new("valid_from", "Hiệu lực từ ngày", FieldType::Date, false),
        LgspField::new("valid_to", "Hết hiệu lực từ ngày", FieldType::Date, false),
        LgspField::new("sample", "Dữ liệu mẫu", FieldType::Boolean, false),
    ];
    fields.extend(m.fields.iter().map(|f| LgspField::new(&f.name, &f.label, f.kind, f.required)));
    Ok(Json(LgspMetadata {
        success: true,
        data: LgspCatalog {
            code: m.code,
            name: m.name,
            description: m.description,
            source: m.source,
            code_kind: m.code_kind,
            fields,
        },
    }))
}

/// LGSP convention: catalog entries (same filters as the entries API)
#[utoipa::path(get, path = "/dmdc/Category/{catalog}", tag = "lgsp",
    params(
        ("catalog" = String, Path, description = "catalog code"),
        ListQuery,
    ),
    responses(
        (status = 200, description = "entries", body = LgspCategory),
        BadRequest, NotFound,
    ))]
pub(super) async fn lgsp_category(
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    Query(q): Query<ListQuery>,
) -> Result<Json<LgspCategory>, HttpError> {
    let page = find(&s, &catalog, &q).await?;
    Ok(Json(LgspCategory {
        success: true,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
        data: page.entries,
    }))
}

/// LGSP convention: add or update entries (JSON array, all or nothing)
#[utoipa::path(post, path = "/dmdc/Category/{catalog}", tag = "lgsp",
    params(("catalog" = String, Path, description = "catalog code")),
    request_body(content = Vec<EntryRequest>, content_type = "application/json"),
    responses(
        (status = 200, description = "import report", body = LgspImported),
        NotFound, Conflict, Unprocessable, AdminRefusal,
    ),
    security(("basic" = []), ("session" = []), ("bearer" = [])))]
pub(super) async fn lgsp_post(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CatalogState>,
    Path(catalog): Path<String>,
    body: Bytes,
) -> Result<Json<LgspImported>, HttpError> {
    let report = s.catalogs.import(&admin.name, &rid, &catalog, &body, Format::Json).await?;
    Ok(Json(LgspImported { success: true, data: report }))
}

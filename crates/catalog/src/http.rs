//! Catalog routes: the JSON API (`/api/v1/catalogs`, in `api`), the LGSP catalog conventions
//! (`/dmdc/…`, in `lgsp`); the HTML pages are in `pages`. Reads are public (catalog data is
//! public); every write needs the administrator (`Admin`).
//!
//! Handlers return `Result<_, HttpError>`: a [`CatalogError`] renders as problem+json on the
//! API (and `/dmdc/`) and as the Vietnamese error page elsewhere (the app's `error_pages`).

mod api;
mod lgsp;
mod pages;

use axum::extract::FromRef;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use cqdt_platform::auth::{scope_rule, ApiScope};
use cqdt_platform::{FieldError, HttpError, PageError, Platform, Problem};
use serde::Deserialize;
use serde_json::{Map, Value};

pub use api::{CatalogInfo, CatalogList, EndRequest, EntryHistory, EntryRequest, SuccessorsView};
pub use lgsp::{LgspCatalog, LgspCategory, LgspField, LgspImported, LgspMetadata};

use crate::model::parse_date;
use crate::service::{CatalogError, CatalogService, Format, MAX_PAGE_SIZE};
use crate::store::EntryFilter;

/// State of the catalog routes.
#[derive(Clone)]
pub struct CatalogState {
    /// Platform core.
    pub platform: Platform,
    /// The catalogs.
    pub catalogs: CatalogService,
}

impl FromRef<CatalogState> for Platform {
    fn from_ref(s: &CatalogState) -> Platform {
        s.platform.clone()
    }
}

/// The catalog routes (API, LGSP conventions, public and admin pages), ready to merge.
pub fn router(state: CatalogState) -> Router {
    // Only imports take files; every other route keeps the application's small body limit.
    let upload = state.platform.upload_limit(1);
    Router::new()
        .route("/api/v1/catalogs", get(api::list_api))
        .route("/api/v1/catalogs/{catalog}", get(api::meta_api))
        .route("/api/v1/catalogs/{catalog}/entries", get(api::entries_api).post(api::create_api))
        .route(
            "/api/v1/catalogs/{catalog}/entries/{code}",
            get(api::entry_api).put(api::update_api),
        )
        .route("/api/v1/catalogs/{catalog}/entries/{code}/history", get(api::history_api))
        .route("/api/v1/catalogs/{catalog}/entries/{code}/successors", get(api::successors_api))
        .route("/api/v1/catalogs/{catalog}/entries/{code}/end", post(api::end_api))
        .route("/api/v1/catalogs/{catalog}/import", post(api::import_api).layer(upload))
        .route("/api/v1/catalogs/{catalog}/export", get(api::export_api))
        .route("/dmdc/Metadata/{catalog}", get(lgsp::lgsp_metadata))
        .route("/dmdc/Category/{catalog}", get(lgsp::lgsp_category).post(lgsp::lgsp_post))
        .route_layer(scope_rule(ApiScope::CatalogRead, ApiScope::CatalogWrite))
        .merge(pages::routes(upload))
        .with_state(state)
}

/// The problem+json answer to a service error, and the page people see for it: a 422 lists
/// its first five problems in the detail and all of them as field errors (a JSON pointer into
/// the rows of a file, or the field of one entry); its page names every problem.
impl From<CatalogError> for HttpError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound(m) => Problem::not_found(format!("Không tìm thấy {m}.")).into(),
            CatalogError::Invalid(errors) => {
                let joined = |n: usize| {
                    errors.iter().take(n).map(ToString::to_string).collect::<Vec<_>>().join("; ")
                };
                let fields = errors
                    .iter()
                    .map(|e| FieldError {
                        field: match (e.row, e.field.is_empty()) {
                            (0, _) => e.field.clone(),
                            (row, true) => format!("/{row}"),
                            (row, false) => format!("/{row}/{}", e.field),
                        },
                        message: e.to_string(),
                    })
                    .collect();
                let problem = Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Dữ liệu không hợp lệ, không có gì được ghi",
                )
                .with_detail(joined(5))
                .with_errors(fields);
                HttpError::new(problem).with_page(PageError::BadRequest(joined(usize::MAX)))
            }
            CatalogError::Conflict(m) => {
                Problem::new(StatusCode::CONFLICT, "Xung đột dữ liệu").with_detail(m).into()
            }
            CatalogError::Db(e) => HttpError::internal(e),
            CatalogError::Internal(m) => HttpError::internal(m),
        }
    }
}

impl IntoResponse for CatalogError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

/// Query of entry lists; documented once for the entries API and its LGSP twin.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// direct children of this code
    parent: Option<String>,
    /// all descendants of this code
    ancestor: Option<String>,
    /// level: data.level for administrative units (1 province, 2 district, 3 commune), else depth (1 = top); 1 to 10
    level: Option<String>,
    /// name (diacritics ignored) or code prefix
    q: Option<String>,
    /// only entries in force on this date (yyyy-mm-dd or dd/mm/yyyy); without it every period, each with its status
    as_of: Option<String>,
    /// exactly this code
    code: Option<String>,
    /// true: only entries without parent
    roots: Option<String>,
    /// from 1
    page: Option<String>,
    /// 1 to 5000, default 1000
    page_size: Option<String>,
}

fn nonempty(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn date_error(field: &str, s: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: format!("Ngày “{s}” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)."),
    }
}

/// The filter, page and page size of a list query, or what is wrong with it.
fn parse_list(
    q: &ListQuery,
    default_size: i64,
) -> Result<(EntryFilter, i64, i64), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut int = |name: &str, v: &Option<String>, max: i64| -> Option<i64> {
        let s = nonempty(v)?;
        match s.parse::<i64>() {
            Ok(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError {
                    field: name.into(),
                    message: format!("“{s}” phải là số nguyên từ 1 đến {max}."),
                });
                None
            }
        }
    };
    let level = int("level", &q.level, 10);
    let page = int("page", &q.page, 1_000_000).unwrap_or(1);
    let page_size = int("page_size", &q.page_size, MAX_PAGE_SIZE).unwrap_or(default_size);
    let as_of = match nonempty(&q.as_of) {
        None => None,
        Some(s) => match parse_date(&s) {
            Some(d) => Some(d),
            None => {
                errors.push(date_error("as_of", &s));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok((
        EntryFilter {
            parent: nonempty(&q.parent),
            roots: q.roots.as_deref().is_some_and(|r| r == "true" || r == "1"),
            ancestor: nonempty(&q.ancestor),
            level,
            q: nonempty(&q.q),
            as_of,
            code: nonempty(&q.code),
        },
        page,
        page_size,
    ))
}

#[derive(Deserialize)]
struct AsOf {
    as_of: Option<String>,
}

fn as_of(q: &AsOf) -> Result<Option<NaiveDate>, Problem> {
    match nonempty(&q.as_of) {
        None => Ok(None),
        Some(s) => parse_date(&s).map(Some).ok_or_else(|| {
            Problem::bad_request("Ngày không hợp lệ.").with_errors(vec![date_error("as_of", &s)])
        }),
    }
}

/// A JSON object from a request body; anything else is a 400 or 415 problem.
fn json_object(headers: &HeaderMap, body: &[u8]) -> Result<Map<String, Value>, Problem> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        if Format::from_content_type(ct) != Some(Format::Json) {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Kiểu nội dung không được hỗ trợ",
            )
            .with_detail(format!(
                "Gửi JSON với Content-Type: application/json (đã nhận “{ct}”)."
            )));
        }
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(Problem::bad_request("Nội dung phải là một đối tượng JSON.")),
        Err(e) => Err(Problem::bad_request(format!(
            "Nội dung không phải JSON hợp lệ: dòng {}, cột {}.",
            e.line(),
            e.column()
        ))),
    }
}

/// The end date and successors of an `end` request, or what is wrong with them.
fn end_request(raw: &Map<String, Value>) -> Result<(NaiveDate, Vec<String>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let valid_to = match raw.get("valid_to") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            let d = parse_date(s);
            if d.is_none() {
                errors.push(date_error("valid_to", s));
            }
            d
        }
        _ => {
            errors.push(FieldError {
                field: "valid_to".into(),
                message: "Nhập ngày hết hiệu lực (dd/mm/yyyy).".into(),
            });
            None
        }
    };
    let successors = match raw.get("successors") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split([',', ';', ' ', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        Some(_) => {
            errors.push(FieldError {
                field: "successors".into(),
                message: "Mã kế thừa phải là một danh sách mã.".into(),
            });
            Vec::new()
        }
    };
    match valid_to {
        Some(d) if errors.is_empty() => Ok((d, successors)),
        _ => Err(errors),
    }
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::list_api,
        api::meta_api,
        api::entries_api,
        api::create_api,
        api::entry_api,
        api::update_api,
        api::end_api,
        api::history_api,
        api::successors_api,
        api::import_api,
        api::export_api,
        lgsp::lgsp_metadata,
        lgsp::lgsp_category,
        lgsp::lgsp_post,
    ),
    components(schemas(
        CatalogList,
        CatalogInfo,
        EntryRequest,
        EndRequest,
        EntryHistory,
        SuccessorsView,
        LgspMetadata,
        LgspCategory,
        LgspImported,
        crate::service::Page,
        crate::service::EntryView,
        crate::service::EntryDetail,
        crate::service::ImportReport,
    )),
    tags(
        (name = "catalogs", description = "Shared catalogs (M3)"),
        (name = "lgsp", description = "Shared catalogs by the LGSP catalog conventions"),
    )
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_describes_every_api_and_lgsp_route() {
        let doc = cqdt_platform::openapi::json::<super::ApiDoc>();
        let paths = &doc["paths"];
        for (path, methods) in [
            ("/api/v1/catalogs", &["get"][..]),
            ("/api/v1/catalogs/{catalog}", &["get"]),
            ("/api/v1/catalogs/{catalog}/entries", &["get", "post"]),
            ("/api/v1/catalogs/{catalog}/entries/{code}", &["get", "put"]),
            ("/api/v1/catalogs/{catalog}/entries/{code}/history", &["get"]),
            ("/api/v1/catalogs/{catalog}/entries/{code}/successors", &["get"]),
            ("/api/v1/catalogs/{catalog}/entries/{code}/end", &["post"]),
            ("/api/v1/catalogs/{catalog}/import", &["post"]),
            ("/api/v1/catalogs/{catalog}/export", &["get"]),
            ("/dmdc/Metadata/{catalog}", &["get"]),
            ("/dmdc/Category/{catalog}", &["get", "post"]),
        ] {
            for m in methods {
                assert!(paths[path][m].is_object(), "{m} {path}");
            }
        }
        let export = &paths["/api/v1/catalogs/{catalog}/export"]["get"]["responses"]["200"];
        assert!(export["content"]["text/csv"].is_object());
        assert!(export["content"]["application/json"].is_object());
        assert_eq!(
            paths["/api/v1/catalogs/{catalog}/entries/{code}/end"]["post"]["responses"]["422"]
                ["$ref"],
            "#/components/responses/Problem"
        );
        // Entries carry their status as the JSON does: current, retired or future.
        assert_eq!(
            doc["components"]["schemas"]["CatalogEntryStatus"]["enum"],
            serde_json::json!(["current", "retired", "future"])
        );
    }
}

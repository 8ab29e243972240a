//! Audit log search for admins: a page and a JSON API.

use askama::Template;
use axum::extract::{FromRef, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, TimeZone};
use cqdt_platform::clock::{format_ts, parse_date, parse_ts, vn_offset};
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, FieldError, PageError, Platform, Problem, Shell};
use serde::Deserialize;
use serde_json::json;

use crate::model::AuditRecord;
use crate::service::Audit;
use crate::store::Filter;

/// State of the audit routes.
#[derive(Clone)]
pub struct AuditState {
    /// Platform core.
    pub platform: Platform,
    /// The audit log.
    pub audit: Audit,
}

impl FromRef<AuditState> for Platform {
    fn from_ref(s: &AuditState) -> Platform {
        s.platform.clone()
    }
}

/// The audit routes, ready to merge into the app.
pub fn router(state: AuditState) -> Router {
    Router::new()
        .route("/admin/audit", get(audit_page))
        .route("/api/v1/audit", get(audit_api))
        .route("/api/v1/audit/verify", get(verify_api))
        .with_state(state)
}

/// Query of the search page and API; dates are dd/mm/yyyy or yyyy-mm-dd, Vietnam time.
#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    actor: Option<String>,
    action: Option<String>,
    object_type: Option<String>,
    object_id: Option<String>,
    agency: Option<String>,
    outcome: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<i64>,
    limit: Option<i64>,
}

fn day_start_utc(d: NaiveDate) -> Option<String> {
    let local = d.and_hms_opt(0, 0, 0)?;
    let at = vn_offset().from_local_datetime(&local).single()?;
    Some(format_ts(at.with_timezone(&chrono::Utc)))
}

fn parse_query(q: &SearchQuery) -> Result<Filter, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut date = |name: &str, v: &Option<String>, next_day: bool| -> Option<String> {
        let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        match parse_date(s) {
            Some(d) => {
                let d = if next_day {
                    d.succ_opt().unwrap_or(d)
                } else {
                    d
                };
                day_start_utc(d)
            }
            None => {
                if let Some(ts) = parse_ts(s) {
                    return Some(format_ts(ts));
                }
                errors.push(FieldError {
                    field: name.to_string(),
                    message: format!("Ngày “{s}” không hợp lệ; nhập theo dạng dd/mm/yyyy."),
                });
                None
            }
        }
    };
    let from = date("from", &q.from, false);
    let to = date("to", &q.to, true);
    if let Some(o) = q.outcome.as_deref().filter(|o| !o.is_empty()) {
        if crate::model::Outcome::parse(o).is_none() {
            errors.push(FieldError {
                field: "outcome".into(),
                message: "Kết quả phải là success, failure hoặc denied.".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Filter {
        actor: q.actor.clone(),
        action: q.action.clone(),
        object_type: q.object_type.clone(),
        object_id: q.object_id.clone(),
        agency: q.agency.clone(),
        outcome: q.outcome.clone().filter(|o| !o.is_empty()),
        from,
        to,
    })
}

#[derive(Template)]
#[template(path = "audit_search.html")]
struct AuditPage {
    shell: Shell,
    errors: Vec<FieldError>,
    q: SearchView,
    rows: Vec<RowView>,
    next_before: Option<i64>,
    next_query: String,
}

#[derive(Default)]
struct SearchView {
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    from: String,
    to: String,
}

struct RowView {
    seq: i64,
    at: String,
    actor: String,
    agency: String,
    action: String,
    object: String,
    purpose: String,
    outcome: &'static str,
    request_id: String,
}

fn row_view(r: &AuditRecord) -> RowView {
    RowView {
        seq: r.seq,
        at: parse_ts(&r.at)
            .map(cqdt_platform::clock::format_ts_vn)
            .unwrap_or_else(|| r.at.clone()),
        actor: r.event.actor.clone(),
        agency: r.event.actor_agency.clone().unwrap_or_default(),
        action: r.event.action.clone(),
        object: match &r.event.object_id {
            Some(id) => format!("{} {}", r.event.object_type, id),
            None => r.event.object_type.clone(),
        },
        purpose: r.event.purpose.clone().unwrap_or_default(),
        outcome: match r.event.outcome {
            crate::model::Outcome::Success => "Thành công",
            crate::model::Outcome::Failure => "Thất bại",
            crate::model::Outcome::Denied => "Bị từ chối",
        },
        request_id: r.event.request_id.clone().unwrap_or_default(),
    }
}

async fn audit_page(
    _admin: Admin,
    State(s): State<AuditState>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let view = SearchView {
        actor: q.actor.clone().unwrap_or_default(),
        action: q.action.clone().unwrap_or_default(),
        object_type: q.object_type.clone().unwrap_or_default(),
        object_id: q.object_id.clone().unwrap_or_default(),
        from: q.from.clone().unwrap_or_default(),
        to: q.to.clone().unwrap_or_default(),
    };
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let (errors, rows) = match parse_query(&q) {
        Ok(filter) => (
            Vec::new(),
            s.audit
                .search(&filter, q.before, limit)
                .await
                .map_err(PageError::internal)?,
        ),
        Err(errors) => (errors, Vec::new()),
    };
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let next_query = [
        ("actor", &view.actor),
        ("action", &view.action),
        ("object_type", &view.object_type),
        ("object_id", &view.object_id),
        ("from", &view.from),
        ("to", &view.to),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}&", url_encode(v)))
    .collect();
    Ok(render(&AuditPage {
        shell: (*s.platform.shell).clone(),
        errors,
        q: view,
        rows: rows.iter().map(row_view).collect(),
        next_before,
        next_query,
    }))
}

async fn audit_api(
    _admin: Admin,
    State(s): State<AuditState>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, Problem> {
    let filter = parse_query(&q)
        .map_err(|e| Problem::bad_request("Điều kiện tìm kiếm không hợp lệ.").with_errors(e))?;
    let rows = s
        .audit
        .search(&filter, q.before, q.limit.unwrap_or(100).clamp(1, 1000))
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({ "records": rows })).into_response())
}

async fn verify_api(_admin: Admin, State(s): State<AuditState>) -> Result<Response, Problem> {
    let report = s.audit.verify().await.map_err(Problem::internal)?;
    Ok(Json(json!({
        "ok": report.ok(),
        "checked": report.checked,
        "first_bad_seq": report.first_bad.as_ref().map(|(seq, _)| seq),
        "reason": report.first_bad.as_ref().map(|(_, why)| why),
    }))
    .into_response())
}

/// OpenAPI paths of the audit module.
pub fn openapi_paths() -> serde_json::Value {
    let s = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string"}});
    json!({
        "/api/v1/audit": {"get": {"summary": "Search the audit log, newest first", "tags": ["audit"], "security": [{"basic": []}],
            "parameters": [s("actor"), s("action"), s("object_type"), s("object_id"), s("agency"), s("outcome"), s("from"), s("to"),
                {"name": "before", "in": "query", "schema": {"type": "integer"}}, {"name": "limit", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "records"}, "400": {"$ref": "#/components/responses/Problem"}}}},
        "/api/v1/audit/verify": {"get": {"summary": "Verify the hash chain", "tags": ["audit"], "security": [{"basic": []}],
            "responses": {"200": {"description": "verification report"}}}}
    })
}

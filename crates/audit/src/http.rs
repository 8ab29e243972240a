//! Audit log search for admins: a page and a JSON API.

use askama::Template;
use std::collections::HashMap;

use axum::extract::{FromRef, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use chrono::{NaiveDate, TimeZone};
use cqdt_platform::auth::{scope_rule, ApiScope};
use cqdt_platform::clock::{format_ts, parse_date, parse_ts, vn_offset};
use cqdt_platform::web::{render, url_encode};
use cqdt_platform::{Admin, ApiQuery, FieldError, Platform, Shell};
use serde::{Deserialize, Serialize};

use crate::error::AuditError;
use crate::model::{AuditEvent, AuditRecord, ChainBreak, Outcome};
use crate::service::Audit;
use crate::store::Filter;
use cqdt_platform::openapi::{AdminRefusal, BadRequest};

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
        .route("/api/v1/audit", get(audit_api))
        .route("/api/v1/audit/verify", get(verify_api))
        .route_layer(scope_rule(ApiScope::Audit, ApiScope::Audit))
        .route("/admin/audit", get(audit_page))
        .with_state(state)
}

/// Query of the search page and API; dates are dd/mm/yyyy or yyyy-mm-dd, Vietnam time.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SearchQuery {
    /// Actor, exact.
    actor: Option<String>,
    /// Action, prefix (e.g. `calendar.`).
    action: Option<String>,
    /// Object type, exact.
    object_type: Option<String>,
    /// Object id, exact.
    object_id: Option<String>,
    /// Agency code of the actor, exact.
    agency: Option<String>,
    /// success, failure or denied.
    outcome: Option<String>,
    /// From this day (dd/mm/yyyy or yyyy-mm-dd, Vietnam time) or stored timestamp, inclusive.
    from: Option<String>,
    /// Up to and including this day.
    to: Option<String>,
    /// Only rows before this position in the chain (the next page).
    before: Option<i64>,
    /// Rows per page (1–1000 on the API, 1–500 on the page).
    limit: Option<i64>,
}

fn day_start_utc(d: NaiveDate) -> Option<String> {
    let local = d.and_hms_opt(0, 0, 0)?;
    let at = vn_offset().from_local_datetime(&local).single()?;
    Some(format_ts(at.with_timezone(&chrono::Utc)))
}

fn parse_query(q: &SearchQuery) -> Result<Filter, AuditError> {
    let mut errors = Vec::new();
    let mut date = |name: &str, v: &Option<String>, next_day: bool| -> Option<String> {
        let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        match parse_date(s) {
            Some(d) => {
                let d = if next_day { d.succ_opt().unwrap_or(d) } else { d };
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
        if Outcome::parse(o).is_none() {
            errors.push(FieldError {
                field: "outcome".into(),
                message: "Kết quả phải là success, failure hoặc denied.".into(),
            });
        }
    }
    if !errors.is_empty() {
        return Err(AuditError::InvalidSearch(errors));
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

/// The search form as typed.
#[derive(Default)]
struct SearchView {
    actor: String,
    action: String,
    object_type: String,
    object_id: String,
    from: String,
    to: String,
}

impl SearchView {
    fn of(q: &SearchQuery) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        SearchView {
            actor: text(&q.actor),
            action: text(&q.action),
            object_type: text(&q.object_type),
            object_id: text(&q.object_id),
            from: text(&q.from),
            to: text(&q.to),
        }
    }

    /// The criteria as a query string prefix (`k=v&…`) for the next page's link.
    fn query_prefix(&self) -> String {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("object_type", &self.object_type),
            ("object_id", &self.object_id),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}&", url_encode(v)))
        .collect()
    }
}

struct RowView {
    seq: i64,
    at: String,
    actor: String,
    /// The login name under a person's name (what the search form's actor field takes).
    actor_login: String,
    agency: String,
    action: String,
    /// The stored code, shown small under the words: the search form filters by it.
    action_code: String,
    object: String,
    purpose: String,
    outcome: &'static str,
    request_id: String,
}

/// The accounts a page of records names, as the identity module is asked for their names.
fn people_named(rows: &[AuditRecord]) -> Vec<String> {
    let mut keys: Vec<String> = rows
        .iter()
        .flat_map(|r| {
            let object = match (&r.event.object_type[..], &r.event.object_id) {
                ("account", Some(id)) => Some(format!("account:{id}")),
                _ => None,
            };
            std::iter::once(r.event.actor.clone()).chain(object)
        })
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

fn row_view(r: &AuditRecord, names: &HashMap<String, String>) -> RowView {
    let e = &r.event;
    let (actor, actor_login) = match names.get(&e.actor) {
        Some(name) if e.actor.starts_with("account:") => (name.clone(), String::new()),
        Some(name) => (name.clone(), e.actor.clone()),
        None => (crate::words::actor_label(&e.actor), String::new()),
    };
    let kind = crate::words::object_label(&e.object_type);
    let object = match &e.object_id {
        Some(id) if e.object_type == "account" => match names.get(&format!("account:{id}")) {
            Some(name) => format!("{kind} của {name}"),
            None => kind.to_string(),
        },
        // A date as an object (a calendar day) reads dd/mm/yyyy like every date on the page.
        Some(id) => format!("{kind} {}", cqdt_platform::clock::local_text(id)),
        None => kind.to_string(),
    };
    RowView {
        seq: r.seq,
        at: parse_ts(&r.at).map(cqdt_platform::clock::format_ts_vn).unwrap_or_else(|| r.at.clone()),
        actor,
        actor_login,
        agency: e.actor_agency.clone().unwrap_or_default(),
        action: crate::words::action_label(&e.action),
        action_code: e.action.clone(),
        object,
        purpose: e.purpose.clone().unwrap_or_default(),
        outcome: e.outcome.label_vi(),
        request_id: e.request_id.clone().unwrap_or_default(),
    }
}

/// The search page: criteria that cannot be read are shown at the top of the form, not as an
/// error page.
async fn audit_page(
    _admin: Admin,
    State(s): State<AuditState>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, AuditError> {
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let (errors, rows) = match parse_query(&q) {
        Ok(filter) => (Vec::new(), s.audit.search(&filter, q.before, limit).await?),
        Err(AuditError::InvalidSearch(errors)) => (errors, Vec::new()),
        Err(e) => return Err(e),
    };
    let next_before = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.seq)).flatten();
    let view = SearchView::of(&q);
    let names = s.platform.auth.display_names(&people_named(&rows)).await;
    Ok(render(&AuditPage {
        shell: (*s.platform.shell).clone(),
        errors,
        next_query: view.query_prefix(),
        q: view,
        rows: rows.iter().map(|r| row_view(r, &names)).collect(),
        next_before,
    }))
}

/// One page of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditRecords {
    /// Records, newest first.
    pub records: Vec<AuditRecord>,
}

/// The result of checking the whole chain.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VerifyResult {
    /// Whether every row is good.
    pub ok: bool,
    /// Rows checked and found good.
    pub checked: i64,
    /// The first bad row, if any.
    pub first_bad_seq: Option<i64>,
    /// Why it is bad.
    pub reason: Option<ChainBreak>,
}

/// Search the audit log, newest first
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", operation_id = "audit_search",
    params(SearchQuery),
    responses(
        (status = 200, description = "One page of records", body = AuditRecords),
        BadRequest, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn audit_api(
    _admin: Admin,
    State(s): State<AuditState>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<AuditRecords>, AuditError> {
    let filter = parse_query(&q)?;
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let records = s.audit.search(&filter, q.before, limit).await?;
    Ok(Json(AuditRecords { records }))
}

/// Verify the hash chain
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit", operation_id = "audit_verify",
    responses(
        (status = 200, description = "Verification report", body = VerifyResult),
        AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
async fn verify_api(
    _admin: Admin,
    State(s): State<AuditState>,
) -> Result<Json<VerifyResult>, AuditError> {
    let report = s.audit.verify().await?;
    Ok(Json(VerifyResult {
        ok: report.ok(),
        checked: report.checked,
        first_bad_seq: report.first_bad.as_ref().map(|(seq, _)| *seq),
        reason: report.first_bad.map(|(_, why)| why),
    }))
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(audit_api, verify_api),
    components(schemas(AuditRecords, AuditRecord, AuditEvent, Outcome, VerifyResult, ChainBreak))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_has_both_routes_and_the_outcomes_as_stored() {
        let doc = cqdt_platform::openapi::json::<super::ApiDoc>();
        let search = &doc["paths"]["/api/v1/audit"]["get"];
        assert_eq!(search["responses"]["400"]["$ref"], "#/components/responses/Problem");
        let params: Vec<&str> = search["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(params.contains(&"object_id") && params.contains(&"before"), "{params:?}");
        assert!(doc["paths"]["/api/v1/audit/verify"]["get"].is_object());
        assert_eq!(
            doc["components"]["schemas"]["Outcome"]["enum"],
            serde_json::json!(["success", "failure", "denied"])
        );
    }
}

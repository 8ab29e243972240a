//! Calendar routes: a public page of holidays, the admin page of announced changes, JSON API.
//!
//! `pages` holds the HTML pages, `api` the JSON API; errors of both are the module's
//! [`ServiceError`], which renders itself here.

mod api;
mod pages;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{Datelike, NaiveDate};
use cqdt_platform::auth::{scope_rule, ApiScope};
use cqdt_platform::clock::parse_date;
use cqdt_platform::{FieldError, HttpError, Platform, Problem};

use crate::service::{CalendarService, ServiceError};

pub use api::{
    AdjustmentBody, AdjustmentList, DayStatus, WorkingDaysAdded, WorkingDaysBetween,
    WorkingHoursAdded, YearHolidays,
};

/// State of the calendar routes.
#[derive(Clone)]
pub struct CalendarState {
    /// Platform core.
    pub platform: Platform,
    /// The calendar service.
    pub calendar: CalendarService,
}

impl FromRef<CalendarState> for Platform {
    fn from_ref(s: &CalendarState) -> Platform {
        s.platform.clone()
    }
}

/// The calendar routes, ready to merge into the app.
pub fn router(state: CalendarState) -> Router {
    Router::new()
        .route("/api/v1/calendar/holidays/{year}", get(api::holidays))
        .route("/api/v1/calendar/days/{date}", get(api::day))
        .route("/api/v1/calendar/add-working-days", get(api::add_days))
        .route("/api/v1/calendar/working-days-between", get(api::between))
        .route("/api/v1/calendar/add-working-hours", get(api::add_hours))
        .route("/api/v1/calendar/adjustments", get(api::list_adjustments).post(api::set_adjustment))
        .route("/api/v1/calendar/adjustments/{date}", delete(api::remove_adjustment))
        .route_layer(scope_rule(ApiScope::CatalogRead, ApiScope::CatalogWrite))
        .route("/lich-lam-viec", get(pages::public_page))
        .route("/admin/calendar", get(pages::admin_page))
        .route("/admin/calendar/adjustments", post(pages::admin_add))
        .route("/admin/calendar/adjustments/{date}/delete", post(pages::admin_remove))
        .with_state(state)
}

impl From<ServiceError> for HttpError {
    fn from(e: ServiceError) -> Self {
        let invalid = || Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ");
        match e {
            ServiceError::Invalid(m) => invalid().with_detail(m).into(),
            ServiceError::InvalidFields(errors) => invalid().with_errors(errors).into(),
            ServiceError::BadRequest { detail, errors } => {
                Problem::bad_request(detail).with_errors(errors).into()
            }
            ServiceError::NotFound(m) => Problem::not_found(m).into(),
            ServiceError::Db(e) => HttpError::internal(e),
        }
    }
}

impl IntoResponse for ServiceError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

/// A year the holidays are computed for.
fn check_year(year: i32) -> Result<i32, ServiceError> {
    if (1990..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(ServiceError::bad_request(format!("Năm {year} nằm ngoài khoảng 1990–2100.")))
    }
}

/// A date in 1990–2100 from a request field (dd/mm/yyyy or yyyy-mm-dd).
fn date_arg(field: &str, value: Option<&str>) -> Result<NaiveDate, ServiceError> {
    let v = value.unwrap_or("").trim();
    parse_date(v).filter(|d| (1990..=2100).contains(&d.year())).ok_or_else(|| {
        ServiceError::BadRequest {
            detail: "Ngày không hợp lệ.".into(),
            errors: vec![FieldError {
                field: field.into(),
                message: format!(
                    "“{v}” không phải ngày hợp lệ trong 1990–2100 (dd/mm/yyyy hoặc yyyy-mm-dd)."
                ),
            }],
        }
    })
}

/// The OpenAPI document of this module's routes, generated from its handlers and types
/// (`<ApiDoc as utoipa::OpenApi>::openapi()`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        api::holidays,
        api::day,
        api::add_days,
        api::between,
        api::add_hours,
        api::list_adjustments,
        api::set_adjustment,
        api::remove_adjustment,
    ),
    components(schemas(
        YearHolidays,
        DayStatus,
        WorkingDaysAdded,
        WorkingDaysBetween,
        WorkingHoursAdded,
        AdjustmentList,
        AdjustmentBody,
        crate::model::Holiday,
        crate::model::HolidayKind,
        crate::model::Adjustment,
        crate::model::AdjustmentKind,
    ))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_has_every_api_route_with_its_errors() {
        let doc = cqdt_platform::openapi::json::<super::ApiDoc>();
        let paths = doc["paths"].as_object().expect("paths");
        let mut names: Vec<&str> = paths.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "/api/v1/calendar/add-working-days",
                "/api/v1/calendar/add-working-hours",
                "/api/v1/calendar/adjustments",
                "/api/v1/calendar/adjustments/{date}",
                "/api/v1/calendar/days/{date}",
                "/api/v1/calendar/holidays/{year}",
                "/api/v1/calendar/working-days-between",
            ]
        );
        let set = &paths["/api/v1/calendar/adjustments"]["post"];
        assert_eq!(set["responses"]["422"]["$ref"], "#/components/responses/Problem");
        assert_eq!(set["security"][2]["basic"], serde_json::json!([]));
        let kind = &doc["components"]["schemas"]["AdjustmentKind"]["enum"];
        assert_eq!(kind, &serde_json::json!(["day_off", "working_day"]));
    }
}

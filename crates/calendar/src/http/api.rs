//! The calendar's JSON API: holidays, working days and hours, announced changes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use cqdt_platform::clock::format_date_vn;
use cqdt_platform::{Admin, ApiQuery, FieldError, RequestId};
use serde::{Deserialize, Serialize};

use super::pages::{parse_form, AdjustmentForm};
use super::{check_year, date_arg, CalendarState};
use crate::model::{Adjustment, AdjustmentKind, Holiday};
use crate::service::ServiceError;
use cqdt_platform::openapi::{
    AdminRefusal, BadRequest, NotFound, Unprocessable, UnsupportedMediaType,
};

/// The days off of a year.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct YearHolidays {
    /// The year.
    pub year: i32,
    /// Statutory, compensatory and announced days off, by date.
    pub holidays: Vec<Holiday>,
}

/// Whether a date is a working day.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DayStatus {
    /// The date.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Whether work is done that day.
    pub working_day: bool,
    /// The holiday that day, if any (null on working days and ordinary weekends).
    pub holiday: Option<Holiday>,
}

/// A date some working days after another.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingDaysAdded {
    /// The date counted from.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Working days added (negative: before).
    pub days: i64,
    /// The resulting date.
    #[schema(value_type = String, format = Date)]
    pub result: NaiveDate,
}

/// Working days between two dates.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingDaysBetween {
    /// From (exclusive).
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    /// To (inclusive).
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// Working days after `from` up to and including `to`; negative when `to` is earlier.
    pub working_days: i64,
}

/// A moment some office time after another (Vietnam local time, `yyyy-mm-ddTHH:MM:SS`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WorkingHoursAdded {
    /// The moment counted from.
    #[schema(value_type = String, example = "2026-02-13T16:00:00")]
    pub start: NaiveDateTime,
    /// Office minutes added.
    pub minutes: i64,
    /// The resulting moment.
    #[schema(value_type = String, example = "2026-02-23T08:00:00")]
    pub result: NaiveDateTime,
}

/// Announced changes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdjustmentList {
    /// By date.
    pub adjustments: Vec<Adjustment>,
}

/// An announced change to add or replace.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AdjustmentBody {
    /// The date, dd/mm/yyyy or yyyy-mm-dd, 1990–2100.
    #[schema(required = true, value_type = String, example = "21/02/2026")]
    pub date: Option<String>,
    /// Off or working.
    #[schema(required = true, value_type = AdjustmentKind)]
    pub kind: Option<String>,
    /// Reason or name, up to 200 characters.
    #[schema(required = true, value_type = String, example = "Làm bù theo Thông báo của UBND tỉnh")]
    pub name: Option<String>,
}

/// Public holidays of a year, with compensatory days and announced changes
#[utoipa::path(get, path = "/api/v1/calendar/holidays/{year}", tag = "calendar", operation_id = "calendar_holidays",
    params(("year" = i32, Path, minimum = 1990, maximum = 2100, description = "1990–2100")),
    responses(
        (status = 200, description = "Days off of the year", body = YearHolidays),
        BadRequest,
    ))]
pub(super) async fn holidays(
    State(s): State<CalendarState>,
    Path(year): Path<i32>,
) -> Result<Json<YearHolidays>, ServiceError> {
    let year = check_year(year)?;
    let holidays = s.calendar.calendar().holidays(year);
    Ok(Json(YearHolidays { year, holidays }))
}

/// Is a date a working day
#[utoipa::path(get, path = "/api/v1/calendar/days/{date}", tag = "calendar", operation_id = "calendar_day",
    params(("date" = String, Path, description = "dd/mm/yyyy or yyyy-mm-dd")),
    responses(
        (status = 200, description = "The day", body = DayStatus),
        BadRequest,
    ))]
pub(super) async fn day(
    State(s): State<CalendarState>,
    Path(date): Path<String>,
) -> Result<Json<DayStatus>, ServiceError> {
    let date = date_arg("date", Some(&date))?;
    let cal = s.calendar.calendar();
    let holiday = cal.holidays(date.year()).into_iter().find(|h| h.date == date);
    Ok(Json(DayStatus { date, working_day: cal.is_working_day(date), holiday }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AddDaysQuery {
    /// dd/mm/yyyy or yyyy-mm-dd
    #[param(required = true)]
    date: Option<String>,
    /// Integer, may be negative (−3650…3650)
    #[param(required = true, value_type = i64)]
    days: Option<String>,
}

/// An integer in a range from a request field.
fn int_arg(
    field: &str,
    v: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ServiceError> {
    let raw = v.unwrap_or("").trim();
    raw.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| ServiceError::BadRequest {
        detail: "Số không hợp lệ.".into(),
        errors: vec![FieldError {
            field: field.into(),
            message: format!(
                "“{raw}” phải là số nguyên trong khoảng {}..{}.",
                range.start(),
                range.end()
            ),
        }],
    })
}

/// The date N working days after a date
#[utoipa::path(get, path = "/api/v1/calendar/add-working-days", tag = "calendar", operation_id = "calendar_add_days",
    params(AddDaysQuery),
    responses(
        (status = 200, description = "The resulting date", body = WorkingDaysAdded),
        BadRequest,
    ))]
pub(super) async fn add_days(
    State(s): State<CalendarState>,
    ApiQuery(q): ApiQuery<AddDaysQuery>,
) -> Result<Json<WorkingDaysAdded>, ServiceError> {
    let date = date_arg("date", q.date.as_deref())?;
    let days = int_arg("days", q.days.as_deref(), -3650..=3650)?;
    let result = s.calendar.calendar().add_working_days(date, days);
    Ok(Json(WorkingDaysAdded { date, days, result }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct BetweenQuery {
    /// date
    #[param(required = true)]
    from: Option<String>,
    /// date
    #[param(required = true)]
    to: Option<String>,
}

/// Working days after `from` up to and including `to`
#[utoipa::path(get, path = "/api/v1/calendar/working-days-between", tag = "calendar", operation_id = "calendar_between",
    params(BetweenQuery),
    responses(
        (status = 200, description = "The count", body = WorkingDaysBetween),
        BadRequest,
    ))]
pub(super) async fn between(
    State(s): State<CalendarState>,
    ApiQuery(q): ApiQuery<BetweenQuery>,
) -> Result<Json<WorkingDaysBetween>, ServiceError> {
    let from = date_arg("from", q.from.as_deref())?;
    let to = date_arg("to", q.to.as_deref())?;
    let working_days = s.calendar.calendar().working_days_between(from, to);
    Ok(Json(WorkingDaysBetween { from, to, working_days }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct HoursQuery {
    /// yyyy-mm-ddTHH:MM, Vietnam time
    #[param(required = true)]
    start: Option<String>,
    /// Office hours to add (0–10000); one of `hours` or `minutes`
    #[param(value_type = Option<i64>)]
    hours: Option<String>,
    /// Office minutes to add (0–1000000); takes precedence over `hours`
    #[param(value_type = Option<i64>)]
    minutes: Option<String>,
}

/// The moment a request asks to count from.
fn start_arg(raw: Option<&str>) -> Result<NaiveDateTime, ServiceError> {
    let raw = raw.unwrap_or("").trim();
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(raw, f).ok())
        .filter(|t| (1990..=2100).contains(&t.year()))
        .ok_or_else(|| ServiceError::BadRequest {
            detail: "Thời điểm không hợp lệ.".into(),
            errors: vec![FieldError {
                field: "start".into(),
                message: format!(
                    "“{raw}” không phải thời điểm hợp lệ (yyyy-mm-ddTHH:MM, giờ Việt Nam)."
                ),
            }],
        })
}

/// Add working hours within office hours
#[utoipa::path(get, path = "/api/v1/calendar/add-working-hours", tag = "calendar", operation_id = "calendar_add_hours",
    params(HoursQuery),
    responses(
        (status = 200, description = "The resulting moment", body = WorkingHoursAdded),
        BadRequest,
    ))]
pub(super) async fn add_hours(
    State(s): State<CalendarState>,
    ApiQuery(q): ApiQuery<HoursQuery>,
) -> Result<Json<WorkingHoursAdded>, ServiceError> {
    let start = start_arg(q.start.as_deref())?;
    let minutes = match (q.hours.as_deref(), q.minutes.as_deref()) {
        (_, Some(m)) => int_arg("minutes", Some(m), 0..=1_000_000)?,
        (Some(h), None) => int_arg("hours", Some(h), 0..=10_000)? * 60,
        (None, None) => {
            return Err(ServiceError::bad_request("Cần số giờ (hours) hoặc số phút (minutes)."))
        }
    };
    let result = s.calendar.calendar().add_working_hours(start, minutes);
    Ok(Json(WorkingHoursAdded { start, minutes, result }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct AdjustmentsQuery {
    /// Only the changes of this year
    year: Option<i32>,
    /// The same as `year`
    nam: Option<i32>,
}

/// Announced changes
#[utoipa::path(get, path = "/api/v1/calendar/adjustments", tag = "calendar", operation_id = "calendar_list_adjustments",
    params(AdjustmentsQuery),
    responses(
        (status = 200, description = "The changes, by date", body = AdjustmentList),
        BadRequest,
    ))]
pub(super) async fn list_adjustments(
    State(s): State<CalendarState>,
    ApiQuery(q): ApiQuery<AdjustmentsQuery>,
) -> Result<Json<AdjustmentList>, ServiceError> {
    let adjustments = s.calendar.adjustments(q.year.or(q.nam)).await?;
    Ok(Json(AdjustmentList { adjustments }))
}

/// Add or replace the announced change of a date (audited)
#[utoipa::path(post, path = "/api/v1/calendar/adjustments", tag = "calendar", operation_id = "calendar_set_adjustment",
    request_body = AdjustmentBody,
    responses(
        (status = 201, description = "Saved", body = Adjustment),
        BadRequest, UnsupportedMediaType, Unprocessable, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn set_adjustment(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Json(b): Json<AdjustmentBody>,
) -> Result<Response, ServiceError> {
    let form = AdjustmentForm {
        date: b.date.unwrap_or_default(),
        kind: b.kind.unwrap_or_default(),
        name: b.name.unwrap_or_default(),
    };
    let a = parse_form(&form).map_err(ServiceError::InvalidFields)?;
    s.calendar.set_adjustment(&admin.name, &rid, a.clone()).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// Remove an announced change (audited)
#[utoipa::path(delete, path = "/api/v1/calendar/adjustments/{date}", tag = "calendar", operation_id = "calendar_remove_adjustment",
    params(("date" = String, Path, description = "dd/mm/yyyy or yyyy-mm-dd")),
    responses(
        (status = 204, description = "Removed"),
        BadRequest, NotFound, AdminRefusal,
    ),
    security(("session" = []), ("bearer" = []), ("basic" = [])))]
pub(super) async fn remove_adjustment(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Path(date): Path<String>,
) -> Result<StatusCode, ServiceError> {
    let d = date_arg("date", Some(&date))?;
    if s.calendar.remove_adjustment(&admin.name, &rid, d).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ServiceError::NotFound(format!("Không có điều chỉnh cho ngày {}.", format_date_vn(d))))
    }
}

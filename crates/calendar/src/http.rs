//! Calendar routes: a public page of holidays, the admin page of announced changes, JSON API.

use askama::Template;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{delete, get, post};
use axum::{Form, Json, Router};
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use cqdt_platform::clock::{format_date_vn, parse_date};
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, PageError, Platform, Problem, RequestId, Shell};
use serde::Deserialize;
use serde_json::json;

use crate::model::{weekday_vi, Adjustment, AdjustmentKind, Holiday};
use crate::service::{CalendarService, ServiceError};

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
        .route("/lich-lam-viec", get(public_page))
        .route("/admin/calendar", get(admin_page))
        .route("/admin/calendar/adjustments", post(admin_add))
        .route(
            "/admin/calendar/adjustments/{date}/delete",
            post(admin_remove),
        )
        .route("/api/v1/calendar/holidays/{year}", get(holidays_api))
        .route("/api/v1/calendar/days/{date}", get(day_api))
        .route("/api/v1/calendar/add-working-days", get(add_days_api))
        .route("/api/v1/calendar/working-days-between", get(between_api))
        .route("/api/v1/calendar/add-working-hours", get(add_hours_api))
        .route(
            "/api/v1/calendar/adjustments",
            get(list_adjustments_api).post(set_adjustment_api),
        )
        .route(
            "/api/v1/calendar/adjustments/{date}",
            delete(remove_adjustment_api),
        )
        .with_state(state)
}

fn check_year(year: i32) -> Result<i32, String> {
    if (1990..=2100).contains(&year) {
        Ok(year)
    } else {
        Err(format!("Năm {year} nằm ngoài khoảng 1990–2100."))
    }
}

fn date_arg(field: &str, value: Option<&str>) -> Result<NaiveDate, Problem> {
    let v = value.unwrap_or("").trim();
    parse_date(v)
        .filter(|d| (1990..=2100).contains(&d.year()))
        .ok_or_else(|| {
            Problem::bad_request("Ngày không hợp lệ.").with_errors(vec![FieldError {
                field: field.into(),
                message: format!(
                    "“{v}” không phải ngày hợp lệ trong 1990–2100 (dd/mm/yyyy hoặc yyyy-mm-dd)."
                ),
            }])
        })
}

struct HolidayView {
    date: String,
    weekday: &'static str,
    name: String,
}

fn views(h: &[Holiday]) -> Vec<HolidayView> {
    h.iter()
        .map(|h| HolidayView {
            date: format_date_vn(h.date),
            weekday: weekday_vi(h.date),
            name: h.name.clone(),
        })
        .collect()
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i32>,
    #[serde(rename = "nam")]
    nam: Option<i32>,
}

#[derive(Template)]
#[template(path = "calendar_public.html")]
struct PublicPage {
    shell: Shell,
    year: i32,
    prev: i32,
    next: i32,
    holidays: Vec<HolidayView>,
    working_saturdays: Vec<HolidayView>,
}

async fn public_page(
    State(s): State<CalendarState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = check_year(
        q.nam
            .or(q.year)
            .unwrap_or_else(|| s.calendar.today().year()),
    )
    .map_err(PageError::BadRequest)?;
    let cal = s.calendar.calendar();
    let adjustments = s
        .calendar
        .adjustments(Some(year))
        .await
        .map_err(PageError::internal)?;
    let working: Vec<Holiday> = adjustments
        .iter()
        .filter(|a| a.kind == AdjustmentKind::WorkingDay)
        .map(|a| Holiday {
            date: a.date,
            name: a.name.clone(),
            kind: crate::model::HolidayKind::Announced,
        })
        .collect();
    Ok(render(&PublicPage {
        shell: (*s.platform.shell).clone(),
        year,
        prev: year - 1,
        next: year + 1,
        holidays: views(&cal.holidays(year)),
        working_saturdays: views(&working),
    }))
}

#[derive(Template)]
#[template(path = "calendar_admin.html")]
struct AdminPage {
    shell: Shell,
    year: i32,
    errors: Vec<FieldError>,
    holidays: Vec<HolidayView>,
    adjustments: Vec<AdjustmentView>,
    form: AdjustmentForm,
}

struct AdjustmentView {
    iso: String,
    date: String,
    weekday: &'static str,
    kind: &'static str,
    name: String,
}

#[derive(Deserialize, Default, Clone)]
struct AdjustmentForm {
    date: String,
    kind: String,
    name: String,
}

async fn admin_view(
    s: &CalendarState,
    year: i32,
    errors: Vec<FieldError>,
    form: AdjustmentForm,
) -> Result<Response, PageError> {
    let cal = s.calendar.calendar();
    let adjustments = s
        .calendar
        .adjustments(Some(year))
        .await
        .map_err(PageError::internal)?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = render(&AdminPage {
        shell: (*s.platform.shell).clone(),
        year,
        errors,
        holidays: views(&cal.holidays(year)),
        adjustments: adjustments
            .iter()
            .map(|a| AdjustmentView {
                iso: a.date.format("%Y-%m-%d").to_string(),
                date: format_date_vn(a.date),
                weekday: weekday_vi(a.date),
                kind: match a.kind {
                    AdjustmentKind::DayOff => "Ngày nghỉ",
                    AdjustmentKind::WorkingDay => "Ngày làm việc (làm bù)",
                },
                name: a.name.clone(),
            })
            .collect(),
        form,
    });
    Ok((status, page).into_response())
}

async fn admin_page(
    _admin: Admin,
    State(s): State<CalendarState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let year = check_year(
        q.nam
            .or(q.year)
            .unwrap_or_else(|| s.calendar.today().year()),
    )
    .map_err(PageError::BadRequest)?;
    admin_view(
        &s,
        year,
        Vec::new(),
        AdjustmentForm {
            kind: "day_off".into(),
            ..Default::default()
        },
    )
    .await
}

fn parse_form(f: &AdjustmentForm) -> Result<Adjustment, Vec<FieldError>> {
    let mut errors = Vec::new();
    let date = parse_date(&f.date).filter(|d| (1990..=2100).contains(&d.year()));
    if date.is_none() {
        errors.push(FieldError {
            field: "date".into(),
            message: "Nhập ngày theo dạng dd/mm/yyyy, trong khoảng 1990–2100.".into(),
        });
    }
    let kind = match f.kind.as_str() {
        "day_off" => Some(AdjustmentKind::DayOff),
        "working_day" => Some(AdjustmentKind::WorkingDay),
        _ => {
            errors.push(FieldError {
                field: "kind".into(),
                message: "Chọn loại điều chỉnh.".into(),
            });
            None
        }
    };
    let name = f.name.trim();
    if name.is_empty() {
        errors.push(FieldError {
            field: "name".into(),
            message: "Nhập lý do, ví dụ “Nghỉ bù Tết theo Thông báo số …”.".into(),
        });
    } else if name.chars().count() > 200 {
        errors.push(FieldError {
            field: "name".into(),
            message: "Lý do dài tối đa 200 ký tự.".into(),
        });
    }
    match (date, kind) {
        (Some(date), Some(kind)) if errors.is_empty() => Ok(Adjustment {
            date,
            kind,
            name: name.to_string(),
        }),
        _ => Err(errors),
    }
}

async fn admin_add(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Form(f): Form<AdjustmentForm>,
) -> Result<Response, PageError> {
    let fallback_year = s.calendar.today().year();
    match parse_form(&f) {
        Ok(a) => {
            let year = a.date.year();
            match s.calendar.set_adjustment(&admin.name, &rid, a).await {
                Ok(()) => Ok(Redirect::to(&format!("/admin/calendar?year={year}")).into_response()),
                Err(ServiceError::Invalid(m)) => {
                    admin_view(
                        &s,
                        year,
                        vec![FieldError {
                            field: "name".into(),
                            message: m,
                        }],
                        f,
                    )
                    .await
                }
                Err(e) => Err(PageError::internal(e)),
            }
        }
        Err(errors) => admin_view(&s, fallback_year, errors, f).await,
    }
}

async fn admin_remove(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Path(date): Path<String>,
) -> Result<Response, PageError> {
    let d = parse_date(&date).ok_or_else(|| PageError::BadRequest("Ngày không hợp lệ.".into()))?;
    s.calendar
        .remove_adjustment(&admin.name, &rid, d)
        .await
        .map_err(PageError::internal)?;
    Ok(Redirect::to(&format!("/admin/calendar?year={}", d.year())).into_response())
}

async fn holidays_api(
    State(s): State<CalendarState>,
    Path(year): Path<i32>,
) -> Result<Response, Problem> {
    let year = check_year(year).map_err(Problem::bad_request)?;
    Ok(
        Json(json!({"year": year, "holidays": s.calendar.calendar().holidays(year)}))
            .into_response(),
    )
}

async fn day_api(
    State(s): State<CalendarState>,
    Path(date): Path<String>,
) -> Result<Response, Problem> {
    let d = date_arg("date", Some(&date))?;
    let cal = s.calendar.calendar();
    let holiday = cal.holidays(d.year()).into_iter().find(|h| h.date == d);
    Ok(
        Json(json!({"date": d, "working_day": cal.is_working_day(d), "holiday": holiday}))
            .into_response(),
    )
}

#[derive(Deserialize)]
struct AddDaysQuery {
    date: Option<String>,
    days: Option<String>,
}

fn int_arg(
    field: &str,
    v: Option<&str>,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, Problem> {
    let raw = v.unwrap_or("").trim();
    raw.parse::<i64>()
        .ok()
        .filter(|n| range.contains(n))
        .ok_or_else(|| {
            Problem::bad_request("Số không hợp lệ.").with_errors(vec![FieldError {
                field: field.into(),
                message: format!(
                    "“{raw}” phải là số nguyên trong khoảng {}..{}.",
                    range.start(),
                    range.end()
                ),
            }])
        })
}

async fn add_days_api(
    State(s): State<CalendarState>,
    Query(q): Query<AddDaysQuery>,
) -> Result<Response, Problem> {
    let d = date_arg("date", q.date.as_deref())?;
    let n = int_arg("days", q.days.as_deref(), -3650..=3650)?;
    let result = s.calendar.calendar().add_working_days(d, n);
    Ok(Json(json!({"date": d, "days": n, "result": result})).into_response())
}

#[derive(Deserialize)]
struct BetweenQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn between_api(
    State(s): State<CalendarState>,
    Query(q): Query<BetweenQuery>,
) -> Result<Response, Problem> {
    let a = date_arg("from", q.from.as_deref())?;
    let b = date_arg("to", q.to.as_deref())?;
    let n = s.calendar.calendar().working_days_between(a, b);
    Ok(Json(json!({"from": a, "to": b, "working_days": n})).into_response())
}

#[derive(Deserialize)]
struct HoursQuery {
    start: Option<String>,
    hours: Option<String>,
    minutes: Option<String>,
}

async fn add_hours_api(
    State(s): State<CalendarState>,
    Query(q): Query<HoursQuery>,
) -> Result<Response, Problem> {
    let raw = q.start.as_deref().unwrap_or("").trim().to_string();
    let start = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&raw, f).ok())
        .filter(|t| (1990..=2100).contains(&t.year()))
        .ok_or_else(|| {
            Problem::bad_request("Thời điểm không hợp lệ.").with_errors(vec![FieldError {
                field: "start".into(),
                message: format!(
                    "“{raw}” không phải thời điểm hợp lệ (yyyy-mm-ddTHH:MM, giờ Việt Nam)."
                ),
            }])
        })?;
    let minutes = match (q.hours.as_deref(), q.minutes.as_deref()) {
        (_, Some(m)) => int_arg("minutes", Some(m), 0..=1_000_000)?,
        (Some(h), None) => int_arg("hours", Some(h), 0..=10_000)? * 60,
        (None, None) => {
            return Err(Problem::bad_request(
                "Cần số giờ (hours) hoặc số phút (minutes).",
            ));
        }
    };
    let result = s.calendar.calendar().add_working_hours(start, minutes);
    Ok(Json(json!({"start": start, "minutes": minutes, "result": result})).into_response())
}

async fn list_adjustments_api(
    State(s): State<CalendarState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, Problem> {
    let year = q.year.or(q.nam);
    let list = s
        .calendar
        .adjustments(year)
        .await
        .map_err(Problem::internal)?;
    Ok(Json(json!({"adjustments": list})).into_response())
}

#[derive(Deserialize)]
struct AdjustmentBody {
    date: Option<String>,
    kind: Option<String>,
    name: Option<String>,
}

async fn set_adjustment_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Json(b): Json<AdjustmentBody>,
) -> Result<Response, Problem> {
    let form = AdjustmentForm {
        date: b.date.unwrap_or_default(),
        kind: b.kind.unwrap_or_default(),
        name: b.name.unwrap_or_default(),
    };
    let a = parse_form(&form).map_err(|e| {
        Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Dữ liệu không hợp lệ").with_errors(e)
    })?;
    match s
        .calendar
        .set_adjustment(&admin.name, &rid, a.clone())
        .await
    {
        Ok(()) => Ok((StatusCode::CREATED, Json(a)).into_response()),
        Err(ServiceError::Invalid(m)) => Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Dữ liệu không hợp lệ",
        )
        .with_detail(m)),
        Err(e) => Err(Problem::internal(e)),
    }
}

async fn remove_adjustment_api(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Path(date): Path<String>,
) -> Result<Response, Problem> {
    let d = date_arg("date", Some(&date))?;
    match s.calendar.remove_adjustment(&admin.name, &rid, d).await {
        Ok(true) => Ok(StatusCode::NO_CONTENT.into_response()),
        Ok(false) => Err(Problem::not_found(format!(
            "Không có điều chỉnh cho ngày {}.",
            format_date_vn(d)
        ))),
        Err(e) => Err(Problem::internal(e)),
    }
}

/// OpenAPI paths of the calendar module.
pub fn openapi_paths() -> serde_json::Value {
    let q = |name: &str, desc: &str| json!({"name": name, "in": "query", "required": true, "description": desc, "schema": {"type": "string"}});
    let p = |name: &str| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}});
    let problem = json!({"$ref": "#/components/responses/Problem"});
    json!({
        "/api/v1/calendar/holidays/{year}": {"get": {"summary": "Public holidays of a year, with compensatory days and announced changes", "tags": ["calendar"],
            "parameters": [{"name": "year", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1990, "maximum": 2100}}],
            "responses": {"200": {"description": "holidays"}, "400": problem}}},
        "/api/v1/calendar/days/{date}": {"get": {"summary": "Is a date a working day", "tags": ["calendar"], "parameters": [p("date")],
            "responses": {"200": {"description": "day"}, "400": problem}}},
        "/api/v1/calendar/add-working-days": {"get": {"summary": "The date N working days after a date", "tags": ["calendar"],
            "parameters": [q("date", "dd/mm/yyyy or yyyy-mm-dd"), q("days", "integer, may be negative")],
            "responses": {"200": {"description": "result"}, "400": problem}}},
        "/api/v1/calendar/working-days-between": {"get": {"summary": "Working days after `from` up to and including `to`", "tags": ["calendar"],
            "parameters": [q("from", "date"), q("to", "date")], "responses": {"200": {"description": "count"}, "400": problem}}},
        "/api/v1/calendar/add-working-hours": {"get": {"summary": "Add working hours within office hours", "tags": ["calendar"],
            "parameters": [q("start", "yyyy-mm-ddTHH:MM, Vietnam time"), {"name": "hours", "in": "query", "schema": {"type": "integer"}}, {"name": "minutes", "in": "query", "schema": {"type": "integer"}}],
            "responses": {"200": {"description": "result"}, "400": problem}}},
        "/api/v1/calendar/adjustments": {
            "get": {"summary": "Announced changes", "tags": ["calendar"], "parameters": [{"name": "year", "in": "query", "schema": {"type": "integer"}}], "responses": {"200": {"description": "list"}}},
            "post": {"summary": "Add or replace the announced change of a date (audited)", "tags": ["calendar"], "security": [{"basic": []}],
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "required": ["date", "kind", "name"], "properties": {
                    "date": {"type": "string"}, "kind": {"type": "string", "enum": ["day_off", "working_day"]}, "name": {"type": "string"}}}}}},
                "responses": {"201": {"description": "saved"}, "422": problem}}},
        "/api/v1/calendar/adjustments/{date}": {"delete": {"summary": "Remove an announced change (audited)", "tags": ["calendar"], "security": [{"basic": []}],
            "parameters": [p("date")], "responses": {"204": {"description": "removed"}, "404": problem}}}
    })
}

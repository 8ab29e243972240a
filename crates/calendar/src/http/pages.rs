//! The calendar's pages: the public list of holidays and the admin page of announced changes.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Datelike;
use cqdt_platform::clock::{format_date_vn, parse_date};
use cqdt_platform::web::render;
use cqdt_platform::{Admin, FieldError, RequestId, Shell};
use serde::Deserialize;

use super::{check_year, CalendarState};
use crate::model::{weekday_vi, Adjustment, AdjustmentKind, Holiday, HolidayKind};
use crate::service::ServiceError;

/// The year asked for: `nam` (the Vietnamese name the pages use) or `year`.
#[derive(Deserialize)]
pub(super) struct YearQuery {
    year: Option<i32>,
    nam: Option<i32>,
}

impl YearQuery {
    fn year_or(&self, this_year: i32) -> Result<i32, ServiceError> {
        check_year(self.nam.or(self.year).unwrap_or(this_year))
    }
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

pub(super) async fn public_page(
    State(s): State<CalendarState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, ServiceError> {
    let year = q.year_or(s.calendar.today().year())?;
    let adjustments = s.calendar.adjustments(Some(year)).await?;
    let working: Vec<Holiday> = adjustments
        .iter()
        .filter(|a| a.kind == AdjustmentKind::WorkingDay)
        .map(|a| Holiday { date: a.date, name: a.name.clone(), kind: HolidayKind::Announced })
        .collect();
    Ok(render(&PublicPage {
        shell: (*s.platform.shell).clone(),
        year,
        prev: year - 1,
        next: year + 1,
        holidays: views(&s.calendar.calendar().holidays(year)),
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

impl AdjustmentView {
    fn of(a: &Adjustment) -> Self {
        AdjustmentView {
            iso: a.date.format("%Y-%m-%d").to_string(),
            date: format_date_vn(a.date),
            weekday: weekday_vi(a.date),
            kind: match a.kind {
                AdjustmentKind::DayOff => "Ngày nghỉ",
                AdjustmentKind::WorkingDay => "Ngày làm việc (làm bù)",
            },
            name: a.name.clone(),
        }
    }
}

/// The admin form as typed (also the JSON API's body, every field optional there).
#[derive(Deserialize, Default, Clone)]
pub(super) struct AdjustmentForm {
    pub(super) date: String,
    pub(super) kind: String,
    pub(super) name: String,
}

/// The admin page of a year; with field errors, the form as typed with a 422 and the error
/// summary at the top.
async fn admin_view(
    s: &CalendarState,
    year: i32,
    errors: Vec<FieldError>,
    form: AdjustmentForm,
) -> Result<Response, ServiceError> {
    let adjustments = s.calendar.adjustments(Some(year)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = render(&AdminPage {
        shell: (*s.platform.shell).clone(),
        year,
        errors,
        holidays: views(&s.calendar.calendar().holidays(year)),
        adjustments: adjustments.iter().map(AdjustmentView::of).collect(),
        form,
    });
    Ok((status, page).into_response())
}

pub(super) async fn admin_page(
    _admin: Admin,
    State(s): State<CalendarState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, ServiceError> {
    let year = q.year_or(s.calendar.today().year())?;
    let form = AdjustmentForm { kind: "day_off".into(), ..Default::default() };
    admin_view(&s, year, Vec::new(), form).await
}

/// Checks the form; every field error at once.
pub(super) fn parse_form(f: &AdjustmentForm) -> Result<Adjustment, Vec<FieldError>> {
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
            errors
                .push(FieldError {
                    field: "kind".into(), message: "Chọn loại điều chỉnh.".into()
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
        (Some(date), Some(kind)) if errors.is_empty() => {
            Ok(Adjustment { date, kind, name: name.to_string() })
        }
        _ => Err(errors),
    }
}

/// Saves an announced change; a refused one shows the form again with the reason.
pub(super) async fn admin_add(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Form(f): Form<AdjustmentForm>,
) -> Result<Response, ServiceError> {
    let a = match parse_form(&f) {
        Ok(a) => a,
        Err(errors) => return admin_view(&s, s.calendar.today().year(), errors, f).await,
    };
    let year = a.date.year();
    match s.calendar.set_adjustment(&admin.name, &rid, a).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/calendar?year={year}")).into_response()),
        Err(ServiceError::Invalid(message)) => {
            let errors = vec![FieldError { field: "name".into(), message }];
            admin_view(&s, year, errors, f).await
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn admin_remove(
    admin: Admin,
    RequestId(rid): RequestId,
    State(s): State<CalendarState>,
    Path(date): Path<String>,
) -> Result<Response, ServiceError> {
    let d = parse_date(&date).ok_or_else(|| ServiceError::bad_request("Ngày không hợp lệ."))?;
    s.calendar.remove_adjustment(&admin.name, &rid, d).await?;
    Ok(Redirect::to(&format!("/admin/calendar?year={}", d.year())).into_response())
}

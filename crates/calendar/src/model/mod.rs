//! Public holidays (Bộ luật Lao động 2019, Điều 112), compensatory days, announced changes and
//! working-day arithmetic. Pure: no I/O, no clock; every function answers for any input
//! without panicking.
//!
//! The module is split along its parts: `office_hours` (the periods of a working day),
//! `holidays` (the statutory holidays of a year, computed from the lunar calendar) and
//! `working` (the calendar with its working-day and office-hour arithmetic).

mod holidays;
mod office_hours;
mod working;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

pub use holidays::statutory_holidays;
pub use office_hours::{OfficeHours, OfficePeriod};
pub use working::WorkingCalendar;

/// First year whose statutory holidays are computed.
pub const FIRST_YEAR: i32 = 1990;
/// Last year whose statutory holidays are computed.
pub const LAST_YEAR: i32 = 2100;

/// Bad calendar input; messages are in Vietnamese for the admin who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A year outside the range a computation supports.
    #[error("năm {year} nằm ngoài khoảng {first}–{last}")]
    YearOutOfRange {
        /// The year asked for.
        year: i32,
        /// First supported year.
        first: i32,
        /// Last supported year.
        last: i32,
    },
    /// A period of office hours is not `HH:MM-HH:MM`.
    #[error("“{0}” phải có dạng HH:MM-HH:MM, ví dụ 07:00-11:30")]
    BadPeriod(String),
    /// A time of day is not `HH:MM`.
    #[error("“{0}” không phải giờ hợp lệ (HH:MM)")]
    BadTime(String),
    /// A period of office hours does not start before it ends.
    #[error("khoảng giờ {0}: giờ bắt đầu phải trước giờ kết thúc")]
    EmptyPeriod(String),
    /// Two periods of office hours overlap.
    #[error("hai khoảng giờ {0} và {1} chồng lên nhau")]
    OverlappingPeriods(String, String),
    /// No period of office hours at all.
    #[error("chưa có khoảng giờ làm việc nào")]
    NoPeriods,
}

/// Why a day is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Tết Dương lịch, 1/1.
    NewYear,
    /// Tết Nguyên đán: the last day of the lunar year and the first four of the next.
    Tet,
    /// Giỗ Tổ Hùng Vương, 10/3 lunar.
    HungKings,
    /// Ngày Chiến thắng, 30/4.
    Reunification,
    /// Ngày Quốc tế Lao động, 1/5.
    Labour,
    /// Quốc khánh, 2/9 and one adjacent day.
    National,
    /// Nghỉ bù: a holiday fell on a weekly rest day.
    Compensatory,
    /// A day off announced for the year by the government or the province.
    Announced,
}

/// A day off other than an ordinary Saturday or Sunday.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Holiday {
    /// The date.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Its Vietnamese name.
    pub name: String,
    /// Why it is off.
    pub kind: HolidayKind,
}

/// The direction of an announced change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// An extra day off (a swapped day, a new or moved holiday).
    DayOff,
    /// Work on what would be a day off (a swapped working Saturday, a holiday moved away).
    WorkingDay,
}

/// A change announced for a year, entered by an admin; at most one per date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Adjustment {
    /// The date.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Off or working.
    pub kind: AdjustmentKind,
    /// Reason or name, in Vietnamese.
    pub name: String,
}

/// The Vietnamese name of a date's weekday.
pub fn weekday_vi(d: NaiveDate) -> &'static str {
    match d.weekday() {
        Weekday::Mon => "Thứ Hai",
        Weekday::Tue => "Thứ Ba",
        Weekday::Wed => "Thứ Tư",
        Weekday::Thu => "Thứ Năm",
        Weekday::Fri => "Thứ Sáu",
        Weekday::Sat => "Thứ Bảy",
        Weekday::Sun => "Chủ Nhật",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers shared by the unit tests of the calendar's parts.
    use super::*;

    pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    pub(crate) fn cal() -> WorkingCalendar {
        WorkingCalendar::new(Vec::new(), OfficeHours::default())
    }

    pub(crate) fn adj(date: NaiveDate, kind: AdjustmentKind, name: &str) -> Adjustment {
        Adjustment { date, kind, name: name.into() }
    }

    pub(crate) fn dates_of(h: &[Holiday], kind: HolidayKind) -> Vec<NaiveDate> {
        h.iter().filter(|h| h.kind == kind).map(|h| h.date).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{adj, d};
    use super::*;
    use crate::lunar::LunarDate;

    #[test]
    fn values_serialize_with_snake_case_names_and_office_hours_are_validated_on_input() {
        let h = Holiday {
            date: d(2026, 4, 26),
            name: "Giỗ Tổ Hùng Vương".into(),
            kind: HolidayKind::HungKings,
        };
        let v = serde_json::to_value(&h).expect("json");
        assert_eq!(v["date"], "2026-04-26");
        assert_eq!(v["kind"], "hung_kings");
        let a = adj(d(2026, 2, 7), AdjustmentKind::WorkingDay, "Làm bù");
        let v = serde_json::to_value(&a).expect("json");
        assert_eq!(v["kind"], "working_day");
        assert_eq!(serde_json::from_value::<Adjustment>(v).expect("back"), a);
        let o = serde_json::to_value(OfficeHours::default()).expect("json");
        assert_eq!(o, "07:00-11:30,13:30-17:00");
        assert_eq!(serde_json::from_value::<OfficeHours>(o).expect("back"), OfficeHours::default());
        assert!(serde_json::from_str::<OfficeHours>("\"17:00-07:00\"").is_err());
        let l = serde_json::to_value(LunarDate { day: 10, month: 3, year: 2026, leap: false })
            .expect("json");
        assert_eq!(l, serde_json::json!({"day": 10, "month": 3, "year": 2026, "leap": false}));
    }
}

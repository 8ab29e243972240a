//! Public holidays and working-day arithmetic (Bộ luật Lao động 2019, Điều 112).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::lunar::{lunar_new_year, lunar_to_solar, LunarDate};

/// First year with computed holidays.
pub const FIRST_YEAR: i32 = 1990;
/// Last year with computed holidays.
pub const LAST_YEAR: i32 = 2100;

/// Bad calendar input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Office hours could not be read.
    #[error("giờ làm việc không hợp lệ: {0}")]
    OfficeHours(String),
}

/// Why a day is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolidayKind {
    /// Tết Dương lịch, 1/1.
    NewYear,
    /// Tết Nguyên đán.
    Tet,
    /// Giỗ Tổ Hùng Vương, 10/3 lunar.
    HungKings,
    /// Ngày Chiến thắng, 30/4.
    Reunification,
    /// Ngày Quốc tế Lao động, 1/5.
    Labour,
    /// Quốc khánh, 2/9 and one adjacent day.
    National,
    /// A holiday fell on a weekly rest day.
    Compensatory,
    /// Announced for the year by the government or the province.
    Announced,
}

/// A day off other than the weekly rest days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holiday {
    /// The date.
    pub date: NaiveDate,
    /// Its Vietnamese name.
    pub name: String,
    /// Why it is off.
    pub kind: HolidayKind,
}

/// The direction of an announced change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// An extra day off (a swapped day, a new holiday).
    DayOff,
    /// A working day on what would be a day off (a swapped working Saturday, a moved holiday).
    WorkingDay,
}

/// A change announced for a year, entered by an admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Adjustment {
    /// The date.
    pub date: NaiveDate,
    /// Off or working.
    pub kind: AdjustmentKind,
    /// Reason or name, in Vietnamese.
    pub name: String,
}

/// Office hours: the periods of a working day when work is counted, e.g. 07:00–11:30, 13:30–17:00.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficeHours {
    /// Periods in order, not overlapping.
    pub periods: Vec<(NaiveTime, NaiveTime)>,
}

impl Default for OfficeHours {
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        OfficeHours {
            periods: vec![(t(7, 0), t(11, 30)), (t(13, 30), t(17, 0))],
        }
    }
}

impl OfficeHours {
    /// Parses `07:00-11:30,13:30-17:00`.
    pub fn parse(s: &str) -> Result<Self, CalendarError> {
        let mut periods = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (a, b) = part
                .split_once('-')
                .ok_or_else(|| CalendarError::OfficeHours(format!("“{part}” thiếu dấu “-”")))?;
            let parse = |x: &str| {
                NaiveTime::parse_from_str(x.trim(), "%H:%M")
                    .map_err(|_| CalendarError::OfficeHours(format!("“{x}” không phải giờ HH:MM")))
            };
            let (start, end) = (parse(a)?, parse(b)?);
            if start >= end {
                return Err(CalendarError::OfficeHours(format!(
                    "“{part}”: giờ bắt đầu phải trước giờ kết thúc"
                )));
            }
            if let Some((_, prev_end)) = periods.last() {
                if start < *prev_end {
                    return Err(CalendarError::OfficeHours(format!(
                        "“{part}” chồng lên khoảng trước"
                    )));
                }
            }
            periods.push((start, end));
        }
        if periods.is_empty() {
            return Err(CalendarError::OfficeHours("không có khoảng giờ nào".into()));
        }
        Ok(OfficeHours { periods })
    }
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
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

/// The day taken with 2 September by default; the government announces each year's choice.
fn national_day_companion(year: i32) -> Option<NaiveDate> {
    let sep2 = ymd(year, 9, 2)?;
    match sep2.weekday() {
        Weekday::Tue | Weekday::Fri | Weekday::Sat => sep2.pred_opt(),
        Weekday::Mon | Weekday::Wed | Weekday::Thu | Weekday::Sun => sep2.succ_opt(),
    }
}

/// The statutory holidays of a year, with compensatory days; empty outside 1990–2100.
pub fn statutory_holidays(year: i32) -> Vec<Holiday> {
    if !(FIRST_YEAR..=LAST_YEAR).contains(&year) {
        return Vec::new();
    }
    let mut days: Vec<Holiday> = Vec::new();
    let mut push = |date: Option<NaiveDate>, name: &str, kind| {
        if let Some(date) = date {
            days.push(Holiday {
                date,
                name: name.to_string(),
                kind,
            });
        }
    };
    push(ymd(year, 1, 1), "Tết Dương lịch", HolidayKind::NewYear);
    if let Some(tet) = lunar_new_year(year) {
        push(
            tet.pred_opt(),
            "Tết Nguyên đán (ngày cuối năm âm lịch)",
            HolidayKind::Tet,
        );
        for i in 0..4 {
            push(
                tet.checked_add_signed(Duration::days(i)),
                &format!("Tết Nguyên đán (mùng {})", i + 1),
                HolidayKind::Tet,
            );
        }
    }
    push(
        lunar_to_solar(LunarDate {
            day: 10,
            month: 3,
            year,
            leap: false,
        }),
        "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
        HolidayKind::HungKings,
    );
    push(
        ymd(year, 4, 30),
        "Ngày Chiến thắng (30/4)",
        HolidayKind::Reunification,
    );
    push(
        ymd(year, 5, 1),
        "Ngày Quốc tế Lao động (1/5)",
        HolidayKind::Labour,
    );
    push(ymd(year, 9, 2), "Quốc khánh (2/9)", HolidayKind::National);
    push(
        national_day_companion(year),
        "Quốc khánh (ngày liền kề 2/9)",
        HolidayKind::National,
    );
    days.sort_by_key(|h| h.date);
    // A holiday on a Saturday or Sunday moves its rest to the next working day.
    let mut off: BTreeSet<NaiveDate> = days.iter().map(|h| h.date).collect();
    let mut compensatory = Vec::new();
    for h in days.iter().filter(|h| is_weekend(h.date)) {
        let mut d = h.date;
        while let Some(next) = d.succ_opt() {
            d = next;
            if !is_weekend(d) && !off.contains(&d) {
                off.insert(d);
                compensatory.push(Holiday {
                    date: d,
                    name: format!("Nghỉ bù {}", h.name),
                    kind: HolidayKind::Compensatory,
                });
                break;
            }
        }
    }
    days.extend(compensatory);
    days.sort_by_key(|h| h.date);
    days
}

/// Working days and hours of an instance: statutory holidays, compensatory days, announced changes.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    holidays: BTreeMap<NaiveDate, Holiday>,
    adjustments: BTreeMap<NaiveDate, Adjustment>,
    office_hours: OfficeHours,
}

impl WorkingCalendar {
    /// Builds the calendar for 1990–2100 with the given announced changes.
    pub fn new(adjustments: Vec<Adjustment>, office_hours: OfficeHours) -> Self {
        let holidays = (FIRST_YEAR..=LAST_YEAR)
            .flat_map(statutory_holidays)
            .map(|h| (h.date, h))
            .collect();
        WorkingCalendar {
            holidays,
            adjustments: adjustments.into_iter().map(|a| (a.date, a)).collect(),
            office_hours,
        }
    }

    /// The office hours.
    pub fn office_hours(&self) -> &OfficeHours {
        &self.office_hours
    }

    /// Whether work is done on a date.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if let Some(a) = self.adjustments.get(&d) {
            return a.kind == AdjustmentKind::WorkingDay;
        }
        !is_weekend(d) && !self.holidays.contains_key(&d)
    }

    /// Days off of a year other than ordinary weekends, with announced changes applied.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let (Some(start), Some(end)) = (ymd(year, 1, 1), ymd(year, 12, 31)) else {
            return Vec::new();
        };
        let mut out: BTreeMap<NaiveDate, Holiday> = self
            .holidays
            .range(start..=end)
            .map(|(d, h)| (*d, h.clone()))
            .collect();
        for (d, a) in self.adjustments.range(start..=end) {
            match a.kind {
                AdjustmentKind::WorkingDay => {
                    out.remove(d);
                }
                AdjustmentKind::DayOff => {
                    out.insert(
                        *d,
                        Holiday {
                            date: *d,
                            name: a.name.clone(),
                            kind: HolidayKind::Announced,
                        },
                    );
                }
            }
        }
        out.into_values().collect()
    }

    /// The date `n` working days after `date` (before it when `n` is negative); `date` when 0.
    pub fn add_working_days(&self, date: NaiveDate, n: i64) -> NaiveDate {
        let mut d = date;
        let mut left = n.abs();
        while left > 0 {
            let next = if n > 0 { d.succ_opt() } else { d.pred_opt() };
            let Some(next) = next else {
                return d;
            };
            d = next;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// Working days d with a < d ≤ b; when b < a, minus those with b ≤ d < a.
    /// So `add_working_days(a, n) == b` implies `working_days_between(a, b) == n`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        if b >= a {
            a.iter_days()
                .skip(1)
                .take_while(|d| *d <= b)
                .filter(|d| self.is_working_day(*d))
                .count() as i64
        } else {
            -(b.iter_days()
                .take_while(|d| *d < a)
                .filter(|d| self.is_working_day(*d))
                .count() as i64)
        }
    }

    /// The moment `minutes` of office time after `start` (local time), skipping nights,
    /// lunch breaks, weekends and holidays.
    pub fn add_working_hours(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        if minutes <= 0 {
            return start;
        }
        let mut t = start;
        let mut left = minutes;
        // At most one full pass per day; bounded so bad input cannot spin forever.
        for _ in 0..(366 * 200) {
            let day = t.date();
            if self.is_working_day(day) {
                for (ps, pe) in &self.office_hours.periods {
                    let (ps, pe) = (day.and_time(*ps), day.and_time(*pe));
                    if t >= pe {
                        continue;
                    }
                    let s = t.max(ps);
                    let available = (pe - s).num_minutes();
                    if left <= available {
                        return s + Duration::minutes(left);
                    }
                    left -= available;
                    t = pe;
                }
            }
            let Some(next) = day.succ_opt() else {
                return t;
            };
            t = next.and_time(NaiveTime::MIN);
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(Vec::new(), OfficeHours::default())
    }

    fn dates(h: &[Holiday]) -> Vec<NaiveDate> {
        h.iter().map(|h| h.date).collect()
    }

    #[test]
    fn one_working_day_after_friday_13_february_2026_is_monday_23_february() {
        assert_eq!(cal().add_working_days(d(2026, 2, 13), 1), d(2026, 2, 23));
        assert_eq!(
            cal().working_days_between(d(2026, 2, 13), d(2026, 2, 23)),
            1
        );
    }

    #[test]
    fn tet_2026_gives_five_days_from_the_last_day_of_the_lunar_year() {
        let h = statutory_holidays(2026);
        let tet: Vec<NaiveDate> = h
            .iter()
            .filter(|h| h.kind == HolidayKind::Tet)
            .map(|h| h.date)
            .collect();
        assert_eq!(
            tet,
            vec![
                d(2026, 2, 16),
                d(2026, 2, 17),
                d(2026, 2, 18),
                d(2026, 2, 19),
                d(2026, 2, 20)
            ]
        );
    }

    #[test]
    fn tet_days_on_a_weekend_are_compensated_on_the_next_working_days() {
        // Tết 2027 is Saturday 06/02: 05–09/02 include a Saturday and a Sunday.
        let comp: Vec<NaiveDate> = statutory_holidays(2027)
            .iter()
            .filter(|h| h.kind == HolidayKind::Compensatory && h.date.month() == 2)
            .map(|h| h.date)
            .collect();
        assert_eq!(comp, vec![d(2027, 2, 10), d(2027, 2, 11)]);
        assert_eq!(cal().add_working_days(d(2027, 2, 4), 1), d(2027, 2, 12));
    }

    #[test]
    fn april_30_and_may_1_on_a_weekend_give_monday_and_tuesday_off() {
        // 2022: 30/4 Saturday, 1/5 Sunday.
        let h = dates(&statutory_holidays(2022));
        assert!(h.contains(&d(2022, 5, 2)) && h.contains(&d(2022, 5, 3)));
        assert_eq!(cal().add_working_days(d(2022, 4, 29), 1), d(2022, 5, 4));
    }

    #[test]
    fn national_day_takes_one_adjacent_day() {
        // 2025: 2/9 Tuesday, with Monday 1/9.
        let h = dates(&statutory_holidays(2025));
        assert!(h.contains(&d(2025, 9, 1)) && h.contains(&d(2025, 9, 2)));
        // 2023: 2/9 Saturday, with Friday 1/9 and Monday 4/9 in compensation.
        let h = dates(&statutory_holidays(2023));
        assert!(h.contains(&d(2023, 9, 1)) && h.contains(&d(2023, 9, 4)));
    }

    #[test]
    fn hung_kings_day_follows_the_lunar_calendar() {
        let h = statutory_holidays(2026);
        let hk = h
            .iter()
            .find(|h| h.kind == HolidayKind::HungKings)
            .expect("hung kings");
        assert_eq!(hk.date, d(2026, 4, 26));
    }

    #[test]
    fn every_year_from_1990_to_2100_has_all_statutory_holidays() {
        for y in FIRST_YEAR..=LAST_YEAR {
            let h = statutory_holidays(y);
            let kinds = |k| h.iter().filter(|h| h.kind == k).count();
            assert_eq!(kinds(HolidayKind::Tet), 5, "{y}");
            assert_eq!(kinds(HolidayKind::HungKings), 1, "{y}");
            assert_eq!(kinds(HolidayKind::National), 2, "{y}");
            let weekend = h
                .iter()
                .filter(|h| h.kind != HolidayKind::Compensatory && is_weekend(h.date))
                .count();
            assert_eq!(
                kinds(HolidayKind::Compensatory),
                weekend,
                "{y}: one compensatory day per weekend holiday"
            );
        }
    }

    #[test]
    fn a_swapped_working_saturday_becomes_a_working_day() {
        let sat = d(2026, 2, 7);
        let c = WorkingCalendar::new(
            vec![
                Adjustment {
                    date: sat,
                    kind: AdjustmentKind::WorkingDay,
                    name: "Làm bù".into(),
                },
                Adjustment {
                    date: d(2026, 2, 23),
                    kind: AdjustmentKind::DayOff,
                    name: "Nghỉ hoán đổi".into(),
                },
            ],
            OfficeHours::default(),
        );
        assert!(c.is_working_day(sat));
        assert!(!c.is_working_day(d(2026, 2, 23)));
        assert_eq!(c.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 24));
        assert!(c
            .holidays(2026)
            .iter()
            .any(|h| h.date == d(2026, 2, 23) && h.kind == HolidayKind::Announced));
    }

    #[test]
    fn adding_and_counting_working_days_agree_in_both_directions() {
        let c = cal();
        let mut start = d(2025, 12, 20);
        while start < d(2027, 3, 1) {
            for n in [-12, -5, -1, 0, 1, 2, 7, 30] {
                let end = c.add_working_days(start, n);
                assert_eq!(
                    c.working_days_between(start, end),
                    n,
                    "{start} {n} -> {end}"
                );
            }
            start = start.succ_opt().expect("next");
        }
    }

    #[test]
    fn working_hours_skip_lunch_nights_weekends_and_holidays() {
        let c = cal();
        let at = |y, m, dd, h, mi| d(y, m, dd).and_hms_opt(h, mi, 0).expect("time");
        // 11:00 + 1h: 30 min before lunch, 30 min after.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 11, 0), 60),
            at(2026, 3, 2, 14, 0)
        );
        // Friday 16:30 + 1h → Monday 07:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 6, 16, 30), 60),
            at(2026, 3, 9, 7, 30)
        );
        // Evening start begins next morning.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 20, 0), 30),
            at(2026, 3, 3, 7, 30)
        );
        // Friday 13/02/2026 16:00 + 2h crosses Tết → Monday 23/02 08:00.
        assert_eq!(
            c.add_working_hours(at(2026, 2, 13, 16, 0), 120),
            at(2026, 2, 23, 8, 0)
        );
    }

    #[test]
    fn office_hours_are_parsed_and_checked() {
        assert_eq!(
            OfficeHours::parse("07:00-11:30,13:30-17:00"),
            Ok(OfficeHours::default())
        );
        assert!(OfficeHours::parse("11:00-07:00").is_err());
        assert!(OfficeHours::parse("07:00-12:00,11:00-17:00").is_err());
        assert!(OfficeHours::parse("bảy giờ").is_err());
        assert!(OfficeHours::parse("").is_err());
    }
}

//! Public holidays (Bộ luật Lao động 2019, Điều 112), compensatory days, announced changes and
//! working-day arithmetic. Pure: no I/O, no clock; every function answers for any input
//! without panicking.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::lunar::{lunar_new_year, lunar_to_solar, LunarDate};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Holiday {
    /// The date.
    pub date: NaiveDate,
    /// Its Vietnamese name.
    pub name: String,
    /// Why it is off.
    pub kind: HolidayKind,
}

/// The direction of an announced change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustmentKind {
    /// An extra day off (a swapped day, a new or moved holiday).
    DayOff,
    /// Work on what would be a day off (a swapped working Saturday, a holiday moved away).
    WorkingDay,
}

/// A change announced for a year, entered by an admin; at most one per date.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Adjustment {
    /// The date.
    pub date: NaiveDate,
    /// Off or working.
    pub kind: AdjustmentKind,
    /// Reason or name, in Vietnamese.
    pub name: String,
}

/// One period of office hours in a day, start before end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OfficePeriod {
    /// When work starts.
    pub start: NaiveTime,
    /// When work stops.
    pub end: NaiveTime,
}

fn fmt_time(t: NaiveTime) -> String {
    if t.second() == 0 && t.nanosecond() == 0 {
        t.format("%H:%M").to_string()
    } else {
        t.format("%H:%M:%S").to_string()
    }
}

impl fmt::Display for OfficePeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", fmt_time(self.start), fmt_time(self.end))
    }
}

/// Office hours: the periods of a working day in which time counts; validated, sorted,
/// not overlapping. Serialized as the text `07:00-11:30,13:30-17:00`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OfficeHours {
    // Private so that every value went through `new`: the arithmetic relies on it.
    periods: Vec<OfficePeriod>,
}

impl Default for OfficeHours {
    /// 07:00–11:30 and 13:30–17:00, the usual hours of a provincial agency.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        OfficeHours {
            periods: vec![
                OfficePeriod {
                    start: t(7, 0),
                    end: t(11, 30),
                },
                OfficePeriod {
                    start: t(13, 30),
                    end: t(17, 0),
                },
            ],
        }
    }
}

impl OfficeHours {
    /// Checks and sorts periods: each must start before it ends, none may overlap another.
    pub fn new(mut periods: Vec<OfficePeriod>) -> Result<Self, CalendarError> {
        periods.sort();
        if let Some(p) = periods.iter().find(|p| p.start >= p.end) {
            return Err(CalendarError::EmptyPeriod(p.to_string()));
        }
        if let Some(w) = periods.windows(2).find(|w| w[1].start < w[0].end) {
            return Err(CalendarError::OverlappingPeriods(
                w[0].to_string(),
                w[1].to_string(),
            ));
        }
        if periods.is_empty() {
            return Err(CalendarError::NoPeriods);
        }
        Ok(OfficeHours { periods })
    }

    /// Parses comma-separated periods such as `07:00-11:30,13:30-17:00`.
    pub fn parse(s: &str) -> Result<Self, CalendarError> {
        let time = |x: &str| {
            let x = x.trim();
            NaiveTime::parse_from_str(x, "%H:%M")
                .or_else(|_| NaiveTime::parse_from_str(x, "%H:%M:%S"))
                .map_err(|_| CalendarError::BadTime(x.to_string()))
        };
        let periods = s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (a, b) = p
                    .split_once('-')
                    .ok_or_else(|| CalendarError::BadPeriod(p.to_string()))?;
                Ok(OfficePeriod {
                    start: time(a)?,
                    end: time(b)?,
                })
            })
            .collect::<Result<Vec<_>, CalendarError>>()?;
        OfficeHours::new(periods)
    }

    /// The periods, in order.
    pub fn periods(&self) -> &[OfficePeriod] {
        &self.periods
    }

    /// Office minutes in one working day.
    pub fn minutes_per_day(&self) -> i64 {
        self.seconds_per_day() / 60
    }

    fn seconds_per_day(&self) -> i64 {
        self.periods
            .iter()
            .map(|p| (p.end - p.start).num_seconds())
            .sum()
    }
}

impl fmt::Display for OfficeHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.periods.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

impl FromStr for OfficeHours {
    type Err = CalendarError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OfficeHours::parse(s)
    }
}

impl TryFrom<String> for OfficeHours {
    type Error = CalendarError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        OfficeHours::parse(&s)
    }
}

impl From<OfficeHours> for String {
    fn from(h: OfficeHours) -> String {
        h.to_string()
    }
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

/// Mondays to Fridays among the days numbered below `i`, where day 0 is 0001-01-01 (a
/// Monday); negative for earlier days. A difference of two values counts the weekdays between.
fn weekdays_before(i: i64) -> i64 {
    i.div_euclid(7) * 5 + i.rem_euclid(7).min(5)
}

fn day_index(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - 1
}

/// The day taken with 2 September by default: Monday, Wednesday, Thursday and Sunday take
/// 3/9, Tuesday, Friday and Saturday take 1/9, so that the two days join a weekend where they
/// can. Only a default: the government announces each year's choice, which admins enter as
/// adjustments.
fn national_day_companion(year: i32) -> Option<NaiveDate> {
    let sep2 = NaiveDate::from_ymd_opt(year, 9, 2)?;
    match sep2.weekday() {
        Weekday::Tue | Weekday::Fri | Weekday::Sat => sep2.pred_opt(),
        Weekday::Mon | Weekday::Wed | Weekday::Thu | Weekday::Sun => sep2.succ_opt(),
    }
}

/// The statutory holidays of a year 1990–2100 with their compensatory days, sorted; empty for
/// other years.
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
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    push(ymd(1, 1), "Tết Dương lịch", HolidayKind::NewYear);
    if let Ok(tet) = lunar_new_year(year) {
        push(
            tet.pred_opt(),
            "Tết Nguyên đán (ngày cuối năm âm lịch)",
            HolidayKind::Tet,
        );
        for i in 0..4u64 {
            push(
                tet.checked_add_days(Days::new(i)),
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
        ymd(4, 30),
        "Ngày Chiến thắng (30/4)",
        HolidayKind::Reunification,
    );
    push(
        ymd(5, 1),
        "Ngày Quốc tế Lao động (1/5)",
        HolidayKind::Labour,
    );
    push(ymd(9, 2), "Quốc khánh (2/9)", HolidayKind::National);
    push(
        national_day_companion(year),
        "Quốc khánh (ngày liền kề 2/9)",
        HolidayKind::National,
    );
    days.sort_by_key(|h| h.date);
    // Khoản 3 Điều 111: a holiday on the weekly rest day is taken on the next working day,
    // i.e. the next weekday that is neither a holiday nor already given in compensation.
    let mut off: BTreeSet<NaiveDate> = days.iter().map(|h| h.date).collect();
    let mut compensatory = Vec::new();
    for h in days.iter().filter(|h| is_weekend(h.date)) {
        let mut d = h.date;
        while let Some(next) = d.succ_opt() {
            d = next;
            if !is_weekend(d) && off.insert(d) {
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

/// Working days and office hours: statutory holidays 1990–2100 with their compensatory days,
/// amended by announced adjustments. Outside 1990–2100 only weekends and adjustments count.
#[derive(Debug, Clone)]
pub struct WorkingCalendar {
    holidays: BTreeMap<NaiveDate, Holiday>,
    adjustments: BTreeMap<NaiveDate, Adjustment>,
    /// Dates whose status differs from a plain Monday–Friday week, sorted; between two of them
    /// whole weeks hold exactly five working days, which lets the arithmetic skip them.
    exceptions: Vec<NaiveDate>,
    /// `exception_sums[k]`: working days gained (+1) or lost (−1) by `exceptions[..k]`.
    exception_sums: Vec<i64>,
    office_hours: OfficeHours,
}

impl WorkingCalendar {
    /// Builds the calendar from announced adjustments (the last one of a date wins).
    pub fn new(
        adjustments: impl IntoIterator<Item = Adjustment>,
        office_hours: OfficeHours,
    ) -> Self {
        let holidays: BTreeMap<NaiveDate, Holiday> = (FIRST_YEAR..=LAST_YEAR)
            .flat_map(statutory_holidays)
            .map(|h| (h.date, h))
            .collect();
        let adjustments: BTreeMap<NaiveDate, Adjustment> =
            adjustments.into_iter().map(|a| (a.date, a)).collect();
        let mut cal = WorkingCalendar {
            holidays,
            adjustments,
            exceptions: Vec::new(),
            exception_sums: Vec::new(),
            office_hours,
        };
        let dates: BTreeSet<NaiveDate> = cal
            .holidays
            .keys()
            .chain(cal.adjustments.keys())
            .copied()
            .filter(|d| cal.is_working_day(*d) == is_weekend(*d))
            .collect();
        let mut sum = 0;
        cal.exception_sums.push(sum);
        for d in &dates {
            sum += if cal.is_working_day(*d) { 1 } else { -1 };
            cal.exception_sums.push(sum);
        }
        cal.exceptions = dates.into_iter().collect();
        cal
    }

    fn sum_at(&self, k: usize) -> i64 {
        self.exception_sums.get(k).copied().unwrap_or(0)
    }

    /// The office hours.
    pub fn office_hours(&self) -> &OfficeHours {
        &self.office_hours
    }

    /// Whether work is done on a date: a weekday that is no holiday, unless an adjustment says
    /// otherwise (a WorkingDay adjustment overrides even a statutory holiday).
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.adjustments.get(&d) {
            Some(a) => a.kind == AdjustmentKind::WorkingDay,
            None => !is_weekend(d) && !self.holidays.contains_key(&d),
        }
    }

    /// The holiday on a date, as `holidays` lists it; `None` on working days and ordinary
    /// weekends.
    pub fn holiday(&self, d: NaiveDate) -> Option<Holiday> {
        match self.adjustments.get(&d) {
            Some(a) if a.kind == AdjustmentKind::WorkingDay => None,
            // A DayOff on a statutory holiday changes nothing: keep its statutory name.
            Some(a) => Some(self.holidays.get(&d).cloned().unwrap_or_else(|| Holiday {
                date: d,
                name: a.name.clone(),
                kind: HolidayKind::Announced,
            })),
            None => self.holidays.get(&d).cloned(),
        }
    }

    /// Days off of a year other than ordinary weekends, sorted: statutory, compensatory and
    /// announced, less the holidays an adjustment turned into working days.
    pub fn holidays(&self, year: i32) -> Vec<Holiday> {
        let (Some(start), Some(end)) = (
            NaiveDate::from_ymd_opt(year, 1, 1),
            NaiveDate::from_ymd_opt(year, 12, 31),
        ) else {
            return Vec::new();
        };
        let dates: BTreeSet<NaiveDate> = self
            .holidays
            .range(start..=end)
            .map(|(d, _)| *d)
            .chain(self.adjustments.range(start..=end).map(|(d, _)| *d))
            .collect();
        dates.into_iter().filter_map(|d| self.holiday(d)).collect()
    }

    /// The date `n` working days after `date`, before it when `n` is negative, `date` itself
    /// when 0. Saturates at the ends of chrono's date range.
    pub fn add_working_days(&self, date: NaiveDate, n: i64) -> NaiveDate {
        let forward = n > 0;
        let mut left = n.saturating_abs();
        let mut d = date;
        while left > 0 {
            if left > 5 {
                // Days strictly beyond `d` (in the direction of travel) before the next
                // exception: whole weeks among them hold five working days each.
                let room = if forward {
                    self.exceptions
                        .get(self.exceptions.partition_point(|e| *e <= d))
                        .map(|e| (*e - d).num_days() - 1)
                } else {
                    self.exceptions
                        .partition_point(|e| *e < d)
                        .checked_sub(1)
                        .and_then(|k| self.exceptions.get(k))
                        .map(|e| (d - *e).num_days() - 1)
                };
                let weeks = (room.unwrap_or(i64::MAX) / 7)
                    .min((left - 1) / 5)
                    .min(MAX_WEEKS);
                if weeks > 0 {
                    let days = Days::new(weeks.unsigned_abs() * 7);
                    let jumped = if forward {
                        d.checked_add_days(days)
                    } else {
                        d.checked_sub_days(days)
                    };
                    match jumped {
                        Some(j) => d = j,
                        None => {
                            return if forward {
                                NaiveDate::MAX
                            } else {
                                NaiveDate::MIN
                            }
                        }
                    }
                    left -= weeks * 5;
                    continue;
                }
            }
            let step = if forward { d.succ_opt() } else { d.pred_opt() };
            let Some(next) = step else {
                return d;
            };
            d = next;
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The number of working days d with `a < d ≤ b`; when `b < a`, minus the number with
    /// `b ≤ d < a`. So `add_working_days(a, n) == b` implies `working_days_between(a, b) == n`.
    pub fn working_days_between(&self, a: NaiveDate, b: NaiveDate) -> i64 {
        let (ia, ib) = (day_index(a), day_index(b));
        // Plain weekdays by arithmetic, corrected by the exceptions in the range: O(log n).
        let through = |d: NaiveDate| self.sum_at(self.exceptions.partition_point(|e| *e <= d));
        let before = |d: NaiveDate| self.sum_at(self.exceptions.partition_point(|e| *e < d));
        if a <= b {
            weekdays_before(ib + 1) - weekdays_before(ia + 1) + through(b) - through(a)
        } else {
            -(weekdays_before(ia) - weekdays_before(ib) + before(a) - before(b))
        }
    }

    /// The moment `minutes` of office time after `start` (Vietnam local time), counting only
    /// office hours on working days: a start outside them begins at the next office period,
    /// and a count that ends exactly at the close of a period gives that close. `start` itself
    /// when `minutes` ≤ 0; saturates at the end of chrono's range.
    pub fn add_working_hours(&self, start: NaiveDateTime, minutes: i64) -> NaiveDateTime {
        if minutes <= 0 {
            return start;
        }
        let mut left = minutes.saturating_mul(60);
        let week = self.office_hours.seconds_per_day() * 5;
        let mut t = start;
        loop {
            let day = t.date();
            if self.is_working_day(day) {
                for p in &self.office_hours.periods {
                    let (ps, pe) = (day.and_time(p.start), day.and_time(p.end));
                    if t >= pe {
                        continue;
                    }
                    let s = t.max(ps);
                    let available = (pe - s).num_seconds();
                    if left <= available {
                        return TimeDelta::try_seconds(left)
                            .and_then(|x| s.checked_add_signed(x))
                            .unwrap_or(pe);
                    }
                    left -= available;
                    t = pe;
                }
            }
            let Some(mut next) = day.succ_opt() else {
                return NaiveDateTime::MAX;
            };
            if week > 0 && left > week {
                // From midnight of `next`, whole weeks before the next exception hold five
                // full office days each.
                let room = self
                    .exceptions
                    .get(self.exceptions.partition_point(|e| *e < next))
                    .map(|e| (*e - next).num_days());
                let weeks = (room.unwrap_or(i64::MAX) / 7)
                    .min((left - 1) / week)
                    .min(MAX_WEEKS);
                if weeks > 0 {
                    match next.checked_add_days(Days::new(weeks.unsigned_abs() * 7)) {
                        Some(j) => next = j,
                        None => return NaiveDateTime::MAX,
                    }
                    left -= weeks * week;
                }
            }
            t = next.and_time(NaiveTime::MIN);
        }
    }
}

/// More weeks than chrono's whole date range holds: a jump this long always saturates, and
/// the multiplication by seven cannot overflow.
const MAX_WEEKS: i64 = 1 << 26;

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn at(y: i32, m: u32, day: u32, h: u32, mi: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, mi, 0).expect("time")
    }

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(Vec::new(), OfficeHours::default())
    }

    fn adj(date: NaiveDate, kind: AdjustmentKind, name: &str) -> Adjustment {
        Adjustment {
            date,
            kind,
            name: name.into(),
        }
    }

    fn dates_of(h: &[Holiday], kind: HolidayKind) -> Vec<NaiveDate> {
        h.iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.date)
            .collect()
    }

    /// Day-by-day stepping, the obvious definition the fast arithmetic must agree with.
    fn naive_add(c: &WorkingCalendar, date: NaiveDate, n: i64) -> NaiveDate {
        let mut day = date;
        let mut left = n.abs();
        while left > 0 {
            day = if n > 0 {
                day.succ_opt()
            } else {
                day.pred_opt()
            }
            .expect("in range");
            if c.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    #[derive(Deserialize)]
    struct Row {
        year: i32,
        tet: NaiveDate,
        hung_kings: NaiveDate,
    }

    #[derive(Deserialize)]
    struct Fixture {
        years: Vec<Row>,
    }

    #[test]
    fn one_working_day_after_friday_13_february_2026_is_monday_23_february() {
        let c = cal();
        assert_eq!(c.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 23));
        assert_eq!(c.add_working_days(d(2026, 2, 23), -1), d(2026, 2, 13));
        assert_eq!(c.add_working_days(d(2026, 2, 17), 0), d(2026, 2, 17));
        assert_eq!(c.working_days_between(d(2026, 2, 13), d(2026, 2, 23)), 1);
        assert_eq!(c.working_days_between(d(2026, 2, 23), d(2026, 2, 13)), -1);
        assert!(!c.is_working_day(d(2026, 2, 16)) && !c.is_working_day(d(2026, 2, 20)));
    }

    #[test]
    fn tet_2026_gives_five_days_from_the_last_day_of_the_lunar_year() {
        let h = statutory_holidays(2026);
        assert_eq!(
            dates_of(&h, HolidayKind::Tet),
            (16..=20).map(|day| d(2026, 2, day)).collect::<Vec<_>>()
        );
        assert!(h
            .iter()
            .filter(|h| h.kind == HolidayKind::Tet)
            .all(|h| h.name.starts_with("Tết Nguyên đán")));
        // Monday to Friday: nothing to compensate in February.
        assert!(dates_of(&h, HolidayKind::Compensatory)
            .iter()
            .all(|x| x.month() != 2));
    }

    #[test]
    fn tet_2027_on_a_weekend_gives_compensatory_days_on_wednesday_and_thursday() {
        // Mùng 1 is Saturday 06/02/2027: 05–09/02 hold a Saturday and a Sunday.
        let h = statutory_holidays(2027);
        assert_eq!(
            dates_of(&h, HolidayKind::Tet),
            (5..=9).map(|day| d(2027, 2, day)).collect::<Vec<_>>()
        );
        let comp: Vec<NaiveDate> = dates_of(&h, HolidayKind::Compensatory)
            .into_iter()
            .filter(|x| x.month() == 2)
            .collect();
        assert_eq!(comp, vec![d(2027, 2, 10), d(2027, 2, 11)]);
        assert_eq!(cal().add_working_days(d(2027, 2, 4), 1), d(2027, 2, 12));
        assert_eq!(cal().working_days_between(d(2027, 2, 4), d(2027, 2, 12)), 1);
    }

    #[test]
    fn april_30_and_may_1_2022_on_a_weekend_give_monday_and_tuesday_off() {
        let h = cal().holidays(2022);
        let comp: Vec<&Holiday> = h
            .iter()
            .filter(|h| h.kind == HolidayKind::Compensatory && h.date.month() == 5)
            .collect();
        assert_eq!(comp.len(), 2);
        assert_eq!((comp[0].date, comp[1].date), (d(2022, 5, 2), d(2022, 5, 3)));
        assert!(comp.iter().all(|h| h.name.starts_with("Nghỉ bù")));
        assert_eq!(cal().add_working_days(d(2022, 4, 29), 1), d(2022, 5, 4));
    }

    #[test]
    fn national_day_takes_the_default_adjacent_day_for_each_weekday() {
        // (year, weekday of 2/9, the companion day, the compensatory day if any)
        let cases = [
            (2024, Weekday::Mon, d(2024, 9, 3), None),
            (2025, Weekday::Tue, d(2025, 9, 1), None),
            (2026, Weekday::Wed, d(2026, 9, 3), None),
            (2027, Weekday::Thu, d(2027, 9, 3), None),
            (2028, Weekday::Sat, d(2028, 9, 1), Some(d(2028, 9, 4))),
            (2029, Weekday::Sun, d(2029, 9, 3), Some(d(2029, 9, 4))),
            (2034, Weekday::Sat, d(2034, 9, 1), Some(d(2034, 9, 4))),
            (2033, Weekday::Fri, d(2033, 9, 1), None),
        ];
        for (year, weekday, companion, comp) in cases {
            assert_eq!(d(year, 9, 2).weekday(), weekday, "{year}");
            let h = statutory_holidays(year);
            let national = dates_of(&h, HolidayKind::National);
            let mut expected = vec![d(year, 9, 2), companion];
            expected.sort();
            assert_eq!(national, expected, "{year}");
            let sept: Vec<NaiveDate> = dates_of(&h, HolidayKind::Compensatory)
                .into_iter()
                .filter(|x| x.month() == 9)
                .collect();
            assert_eq!(sept, comp.into_iter().collect::<Vec<_>>(), "{year}");
        }
    }

    #[test]
    fn hung_kings_day_2026_falls_on_a_sunday_and_is_compensated_on_monday() {
        let h = statutory_holidays(2026);
        assert_eq!(dates_of(&h, HolidayKind::HungKings), vec![d(2026, 4, 26)]);
        assert!(h
            .iter()
            .any(|h| h.date == d(2026, 4, 27)
                && h.name == "Nghỉ bù Giỗ Tổ Hùng Vương (10/3 âm lịch)"));
    }

    #[test]
    fn every_year_from_1990_to_2100_has_all_statutory_holidays() {
        for y in FIRST_YEAR..=LAST_YEAR {
            let h = statutory_holidays(y);
            let count = |k| h.iter().filter(|h| h.kind == k).count();
            assert_eq!(count(HolidayKind::NewYear), 1, "{y}");
            assert_eq!(count(HolidayKind::Tet), 5, "{y}");
            assert_eq!(count(HolidayKind::HungKings), 1, "{y}");
            assert_eq!(count(HolidayKind::Reunification), 1, "{y}");
            assert_eq!(count(HolidayKind::Labour), 1, "{y}");
            assert_eq!(count(HolidayKind::National), 2, "{y}");
            let weekend = h
                .iter()
                .filter(|h| h.kind != HolidayKind::Compensatory && is_weekend(h.date))
                .count();
            assert_eq!(
                count(HolidayKind::Compensatory),
                weekend,
                "{y}: one per weekend holiday"
            );
            assert!(
                h.windows(2).all(|w| w[0].date < w[1].date),
                "{y}: sorted, distinct"
            );
            assert!(h
                .iter()
                .filter(|h| h.kind == HolidayKind::Compensatory)
                .all(|h| !is_weekend(h.date)));
        }
        assert!(statutory_holidays(1989).is_empty() && statutory_holidays(i32::MAX).is_empty());
    }

    #[test]
    fn statutory_tet_and_hung_kings_day_match_the_reference_for_every_year() {
        let text = include_str!("../tests/fixtures/vn-lunar-1990-2100.json");
        let rows = serde_json::from_str::<Fixture>(text)
            .expect("fixture")
            .years;
        assert_eq!(rows.len(), 111);
        for row in rows {
            let h = statutory_holidays(row.year);
            let tet = dates_of(&h, HolidayKind::Tet);
            assert_eq!(tet.first().copied(), row.tet.pred_opt(), "{}", row.year);
            assert_eq!(tet.get(1).copied(), Some(row.tet), "{}", row.year);
            assert_eq!(dates_of(&h, HolidayKind::HungKings), vec![row.hung_kings]);
        }
    }

    #[test]
    fn holidays_of_a_year_are_sorted_and_named_in_vietnamese() {
        let h = cal().holidays(2026);
        assert!(h.windows(2).all(|w| w[0].date < w[1].date));
        let names: Vec<&str> = h.iter().map(|h| h.name.as_str()).collect();
        for expected in [
            "Tết Dương lịch",
            "Tết Nguyên đán",
            "Giỗ Tổ Hùng Vương",
            "Ngày Chiến thắng",
            "Ngày Quốc tế Lao động",
            "Quốc khánh",
            "Nghỉ bù",
        ] {
            assert!(names.iter().any(|n| n.starts_with(expected)), "{expected}");
        }
        assert_eq!(h[0].date, d(2026, 1, 1));
        assert!(cal().holidays(i32::MIN).is_empty() && cal().holidays(2500).is_empty());
    }

    #[test]
    fn a_swapped_working_saturday_becomes_a_working_day() {
        // A swap: work on Saturday 07/02/2026, rest on Monday 23/02.
        let sat = d(2026, 2, 7);
        let c = WorkingCalendar::new(
            vec![
                adj(sat, AdjustmentKind::WorkingDay, "Làm bù cho ngày 23/02"),
                adj(d(2026, 2, 23), AdjustmentKind::DayOff, "Nghỉ hoán đổi"),
            ],
            OfficeHours::default(),
        );
        assert!(c.is_working_day(sat));
        assert!(!c.is_working_day(d(2026, 2, 23)));
        assert_eq!(c.add_working_days(d(2026, 2, 6), 1), sat);
        assert_eq!(c.add_working_days(d(2026, 2, 13), 1), d(2026, 2, 24));
        assert_eq!(c.working_days_between(d(2026, 2, 1), d(2026, 2, 28)), 15);
        assert_eq!(
            cal().working_days_between(d(2026, 2, 1), d(2026, 2, 28)),
            15
        );
        let h = c.holidays(2026);
        assert!(h.iter().any(|h| h.date == d(2026, 2, 23)
            && h.kind == HolidayKind::Announced
            && h.name == "Nghỉ hoán đổi"));
        assert!(h.iter().all(|h| h.date != sat));
        assert_eq!(
            c.add_working_hours(at(2026, 2, 6, 16, 0), 120),
            at(2026, 2, 7, 8, 0)
        );
    }

    #[test]
    fn a_working_day_on_a_holiday_overrides_it_and_a_day_off_on_one_is_harmless() {
        // The government moves the companion of 2/9/2026 (Wednesday) from 3/9 to 1/9.
        let c = WorkingCalendar::new(
            vec![
                adj(
                    d(2026, 9, 3),
                    AdjustmentKind::WorkingDay,
                    "Đi làm (ngày nghỉ dời sang 1/9)",
                ),
                adj(
                    d(2026, 9, 1),
                    AdjustmentKind::DayOff,
                    "Quốc khánh (nghỉ dời từ 3/9)",
                ),
                adj(d(2026, 9, 2), AdjustmentKind::DayOff, "Quốc khánh"),
            ],
            OfficeHours::default(),
        );
        assert!(c.is_working_day(d(2026, 9, 3)));
        assert!(!c.is_working_day(d(2026, 9, 1)) && !c.is_working_day(d(2026, 9, 2)));
        assert_eq!(c.holiday(d(2026, 9, 3)), None);
        let sep2 = c.holiday(d(2026, 9, 2)).expect("2/9");
        assert_eq!(
            (sep2.kind, sep2.name.as_str()),
            (HolidayKind::National, "Quốc khánh (2/9)")
        );
        let sept: Vec<NaiveDate> = c
            .holidays(2026)
            .into_iter()
            .filter(|h| h.date.month() == 9)
            .map(|h| h.date)
            .collect();
        assert_eq!(sept, vec![d(2026, 9, 1), d(2026, 9, 2)]);
        assert_eq!(c.add_working_days(d(2026, 8, 31), 1), d(2026, 9, 3));
    }

    #[test]
    fn adding_and_counting_working_days_agree_in_both_directions() {
        let with_swap = WorkingCalendar::new(
            vec![
                adj(d(2026, 2, 7), AdjustmentKind::WorkingDay, "Làm bù"),
                adj(d(2026, 2, 23), AdjustmentKind::DayOff, "Nghỉ hoán đổi"),
                adj(d(2026, 12, 31), AdjustmentKind::DayOff, "Nghỉ thêm"),
            ],
            OfficeHours::default(),
        );
        for c in [cal(), with_swap] {
            let mut start = d(2025, 12, 1);
            while start < d(2027, 6, 1) {
                for n in [-300, -40, -12, -6, -5, -1, 0, 1, 2, 5, 6, 7, 30, 300] {
                    let end = c.add_working_days(start, n);
                    assert_eq!(end, naive_add(&c, start, n), "{start} {n}");
                    assert_eq!(
                        c.working_days_between(start, end),
                        n,
                        "{start} {n} -> {end}"
                    );
                    if n != 0 {
                        assert!(c.is_working_day(end), "{start} {n} -> {end}");
                    }
                }
                start = start.succ_opt().expect("next");
            }
        }
    }

    #[test]
    fn counting_agrees_with_day_by_day_counting_across_the_computed_range_and_beyond() {
        let c = cal();
        // prefix[i]: working days among the first i days from 25/12/1988, counted one by one.
        let days: Vec<NaiveDate> = d(1988, 12, 25)
            .iter_days()
            .take_while(|x| *x < d(2103, 1, 1))
            .collect();
        let mut prefix = vec![0i64];
        for x in &days {
            prefix.push(prefix[prefix.len() - 1] + i64::from(c.is_working_day(*x)));
        }
        for i in (0..days.len()).step_by(19) {
            for j in (0..days.len())
                .step_by(293)
                .chain([i, i + 1, days.len() - 1])
            {
                let Some(b) = days.get(j) else { continue };
                let a = days[i];
                let (forward, backward) = if i <= j {
                    (prefix[j + 1] - prefix[i + 1], -(prefix[j] - prefix[i]))
                } else {
                    (-(prefix[i] - prefix[j]), prefix[i + 1] - prefix[j + 1])
                };
                assert_eq!(c.working_days_between(a, *b), forward, "{a} {b}");
                assert_eq!(c.working_days_between(*b, a), backward, "{b} {a}");
            }
        }
        // Beyond 2100 only weekends are off: 5 working days a week.
        assert_eq!(c.working_days_between(d(2101, 1, 3), d(2102, 1, 2)), 52 * 5);
        for (start, n) in [
            (d(2101, 1, 3), 5000),
            (d(1980, 1, 3), 5000),
            (d(2105, 1, 3), -5000),
        ] {
            assert_eq!(
                c.add_working_days(start, n),
                naive_add(&c, start, n),
                "{start} {n}"
            );
        }
    }

    #[test]
    fn extreme_inputs_saturate_instead_of_panicking_or_spinning() {
        let c = cal();
        assert_eq!(c.add_working_days(d(2026, 1, 1), i64::MAX), NaiveDate::MAX);
        assert_eq!(c.add_working_days(d(2026, 1, 1), i64::MIN), NaiveDate::MIN);
        assert_eq!(c.add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(c.add_working_days(NaiveDate::MIN, -1), NaiveDate::MIN);
        let all = c.working_days_between(NaiveDate::MIN, NaiveDate::MAX);
        assert!(all > 0);
        assert_eq!(
            c.working_days_between(NaiveDate::MAX, NaiveDate::MIN),
            -all - i64::from(c.is_working_day(NaiveDate::MIN))
                + i64::from(c.is_working_day(NaiveDate::MAX))
        );
        assert_eq!(
            c.add_working_hours(at(2026, 1, 5, 8, 0), i64::MAX),
            NaiveDateTime::MAX
        );
        assert_eq!(
            c.add_working_hours(NaiveDateTime::MAX, 1),
            NaiveDateTime::MAX
        );
        assert_eq!(
            c.add_working_hours(at(2026, 1, 5, 8, 0), i64::MIN),
            at(2026, 1, 5, 8, 0)
        );
        // A year of office time from 2101, beyond the holidays: 52 weeks of 5 × 8 h.
        let start = at(2101, 1, 3, 0, 0); // a Monday
        assert_eq!(start.weekday(), Weekday::Mon);
        assert_eq!(
            c.add_working_hours(start, 52 * 5 * 480),
            at(2101, 12, 30, 17, 0)
        );
    }

    #[test]
    fn working_hours_skip_lunch_nights_weekends_and_holidays() {
        let c = cal();
        // 11:00 + 1 h: 30 min before lunch, 30 min after.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 11, 0), 60),
            at(2026, 3, 2, 14, 0)
        );
        // Ending exactly at the close of the morning gives 11:30, not 13:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 11, 0), 30),
            at(2026, 3, 2, 11, 30)
        );
        // A start during lunch begins at 13:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 12, 15), 15),
            at(2026, 3, 2, 13, 45)
        );
        // Friday 16:30 + 1 h → Monday 07:30.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 6, 16, 30), 60),
            at(2026, 3, 9, 7, 30)
        );
        // An evening start begins next morning; so does one before dawn.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 20, 0), 30),
            at(2026, 3, 3, 7, 30)
        );
        assert_eq!(
            c.add_working_hours(at(2026, 3, 3, 5, 0), 30),
            at(2026, 3, 3, 7, 30)
        );
        // A Sunday start begins on Monday.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 8, 10, 0), 60),
            at(2026, 3, 9, 8, 0)
        );
        // Friday 13/02/2026 16:00 + 2 h crosses Tết → Monday 23/02 08:00.
        assert_eq!(
            c.add_working_hours(at(2026, 2, 13, 16, 0), 120),
            at(2026, 2, 23, 8, 0)
        );
        // Three office days (24 h) from Monday 08:00 → Thursday 08:00.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 2, 8, 0), 24 * 60),
            at(2026, 3, 5, 8, 0)
        );
        // Zero minutes change nothing, even outside office hours.
        assert_eq!(
            c.add_working_hours(at(2026, 3, 8, 22, 0), 0),
            at(2026, 3, 8, 22, 0)
        );
        // Seconds are kept: 07:00:30 + 1 min.
        let odd = d(2026, 3, 2).and_hms_opt(7, 0, 30).expect("time");
        assert_eq!(
            c.add_working_hours(odd, 1),
            d(2026, 3, 2).and_hms_opt(7, 1, 30).expect("time")
        );
    }

    #[test]
    fn long_working_hour_counts_agree_with_whole_working_days() {
        let c = cal();
        let mut day = d(2025, 12, 1);
        while day < d(2027, 3, 1) {
            for n in [1i64, 6, 11, 40] {
                // n office days from the close of `day` end at the close of the n-th working day.
                let close = day.and_hms_opt(17, 0, 0).expect("time");
                let expected = c
                    .add_working_days(day, n)
                    .and_hms_opt(17, 0, 0)
                    .expect("time");
                assert_eq!(c.add_working_hours(close, n * 480), expected, "{day} {n}");
            }
            day = day.succ_opt().expect("next");
        }
    }

    #[test]
    fn office_hours_are_parsed_checked_and_printed() {
        assert_eq!(
            OfficeHours::parse("07:00-11:30,13:30-17:00"),
            Ok(OfficeHours::default())
        );
        assert_eq!(OfficeHours::default().minutes_per_day(), 480);
        assert_eq!(
            OfficeHours::default().to_string(),
            "07:00-11:30,13:30-17:00"
        );
        // Order does not matter; touching periods are fine.
        let h = OfficeHours::parse(" 13:00 - 17:00 , 08:00-12:00 ").expect("hours");
        assert_eq!(h.to_string(), "08:00-12:00,13:00-17:00");
        assert!(OfficeHours::parse("08:00-12:00,12:00-16:00").is_ok());
        assert_eq!(
            OfficeHours::parse("11:00-07:00"),
            Err(CalendarError::EmptyPeriod("11:00-07:00".into()))
        );
        assert_eq!(
            OfficeHours::parse("07:00-12:00,11:00-17:00"),
            Err(CalendarError::OverlappingPeriods(
                "07:00-12:00".into(),
                "11:00-17:00".into()
            ))
        );
        assert_eq!(
            OfficeHours::parse("bảy giờ"),
            Err(CalendarError::BadPeriod("bảy giờ".into()))
        );
        assert_eq!(
            OfficeHours::parse("7h-11h"),
            Err(CalendarError::BadTime("7h".into()))
        );
        assert_eq!(
            OfficeHours::parse("25:00-26:00"),
            Err(CalendarError::BadTime("25:00".into()))
        );
        assert_eq!(OfficeHours::parse(""), Err(CalendarError::NoPeriods));
        assert_eq!(OfficeHours::parse(" , "), Err(CalendarError::NoPeriods));
        assert_eq!(
            "07:00-11:30,13:30-17:00".parse(),
            Ok(OfficeHours::default())
        );
        let msg = OfficeHours::parse("11:00-07:00")
            .expect_err("bad")
            .to_string();
        assert!(msg.contains("11:00-07:00"), "{msg}");
    }

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
        assert_eq!(
            serde_json::from_value::<OfficeHours>(o).expect("back"),
            OfficeHours::default()
        );
        assert!(serde_json::from_str::<OfficeHours>("\"17:00-07:00\"").is_err());
        let l = serde_json::to_value(LunarDate {
            day: 10,
            month: 3,
            year: 2026,
            leap: false,
        })
        .expect("json");
        assert_eq!(
            l,
            serde_json::json!({"day": 10, "month": 3, "year": 2026, "leap": false})
        );
    }

    #[test]
    fn the_weekday_formula_counts_mondays_to_fridays() {
        assert_eq!(
            NaiveDate::from_num_days_from_ce_opt(1)
                .expect("day 1")
                .weekday(),
            Weekday::Mon
        );
        let mut day = d(2025, 12, 20);
        let mut count = 0;
        let base = day;
        for _ in 0..60 {
            day = day.succ_opt().expect("next");
            count += i64::from(!is_weekend(day));
            assert_eq!(
                weekdays_before(day_index(day) + 1) - weekdays_before(day_index(base) + 1),
                count
            );
        }
    }
}

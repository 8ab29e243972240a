//! The working calendar: statutory holidays amended by announced adjustments, with
//! working-day and office-hour arithmetic.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};

use super::{
    is_weekend, statutory_holidays, Adjustment, AdjustmentKind, Holiday, HolidayKind, OfficeHours,
    FIRST_YEAR, LAST_YEAR,
};

/// Mondays to Fridays among the days numbered below `i`, where day 0 is 0001-01-01 (a
/// Monday); negative for earlier days. A difference of two values counts the weekdays between.
fn weekdays_before(i: i64) -> i64 {
    i.div_euclid(7) * 5 + i.rem_euclid(7).min(5)
}

fn day_index(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - 1
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
        let holidays: BTreeMap<NaiveDate, Holiday> =
            (FIRST_YEAR..=LAST_YEAR).flat_map(statutory_holidays).map(|h| (h.date, h)).collect();
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
        let (Some(start), Some(end)) =
            (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31))
        else {
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
                let weeks = (room.unwrap_or(i64::MAX) / 7).min((left - 1) / 5).min(MAX_WEEKS);
                if weeks > 0 {
                    let days = Days::new(weeks.unsigned_abs() * 7);
                    let jumped =
                        if forward { d.checked_add_days(days) } else { d.checked_sub_days(days) };
                    match jumped {
                        Some(j) => d = j,
                        None => return if forward { NaiveDate::MAX } else { NaiveDate::MIN },
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
                let weeks = (room.unwrap_or(i64::MAX) / 7).min((left - 1) / week).min(MAX_WEEKS);
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
    use super::super::testing::{adj, cal, d};
    use super::*;
    use chrono::Weekday;

    fn at(y: i32, m: u32, day: u32, h: u32, mi: u32) -> NaiveDateTime {
        d(y, m, day).and_hms_opt(h, mi, 0).expect("time")
    }

    /// Day-by-day stepping, the obvious definition the fast arithmetic must agree with.
    fn naive_add(c: &WorkingCalendar, date: NaiveDate, n: i64) -> NaiveDate {
        let mut day = date;
        let mut left = n.abs();
        while left > 0 {
            day = if n > 0 { day.succ_opt() } else { day.pred_opt() }.expect("in range");
            if c.is_working_day(day) {
                left -= 1;
            }
        }
        day
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
        assert_eq!(cal().working_days_between(d(2026, 2, 1), d(2026, 2, 28)), 15);
        let h = c.holidays(2026);
        assert!(h.iter().any(|h| h.date == d(2026, 2, 23)
            && h.kind == HolidayKind::Announced
            && h.name == "Nghỉ hoán đổi"));
        assert!(h.iter().all(|h| h.date != sat));
        assert_eq!(c.add_working_hours(at(2026, 2, 6, 16, 0), 120), at(2026, 2, 7, 8, 0));
    }

    #[test]
    fn a_working_day_on_a_holiday_overrides_it_and_a_day_off_on_one_is_harmless() {
        // The government moves the companion of 2/9/2026 (Wednesday) from 3/9 to 1/9.
        let c = WorkingCalendar::new(
            vec![
                adj(d(2026, 9, 3), AdjustmentKind::WorkingDay, "Đi làm (ngày nghỉ dời sang 1/9)"),
                adj(d(2026, 9, 1), AdjustmentKind::DayOff, "Quốc khánh (nghỉ dời từ 3/9)"),
                adj(d(2026, 9, 2), AdjustmentKind::DayOff, "Quốc khánh"),
            ],
            OfficeHours::default(),
        );
        assert!(c.is_working_day(d(2026, 9, 3)));
        assert!(!c.is_working_day(d(2026, 9, 1)) && !c.is_working_day(d(2026, 9, 2)));
        assert_eq!(c.holiday(d(2026, 9, 3)), None);
        let sep2 = c.holiday(d(2026, 9, 2)).expect("2/9");
        assert_eq!((sep2.kind, sep2.name.as_str()), (HolidayKind::National, "Quốc khánh (2/9)"));
        let sept: Vec<NaiveDate> =
            c.holidays(2026).into_iter().filter(|h| h.date.month() == 9).map(|h| h.date).collect();
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
                    assert_eq!(c.working_days_between(start, end), n, "{start} {n} -> {end}");
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
        let days: Vec<NaiveDate> =
            d(1988, 12, 25).iter_days().take_while(|x| *x < d(2103, 1, 1)).collect();
        let mut prefix = vec![0i64];
        for x in &days {
            prefix.push(prefix[prefix.len() - 1] + i64::from(c.is_working_day(*x)));
        }
        for i in (0..days.len()).step_by(19) {
            for j in (0..days.len()).step_by(293).chain([i, i + 1, days.len() - 1]) {
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
        for (start, n) in [(d(2101, 1, 3), 5000), (d(1980, 1, 3), 5000), (d(2105, 1, 3), -5000)] {
            assert_eq!(c.add_working_days(start, n), naive_add(&c, start, n), "{start} {n}");
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
        assert_eq!(c.add_working_hours(at(2026, 1, 5, 8, 0), i64::MAX), NaiveDateTime::MAX);
        assert_eq!(c.add_working_hours(NaiveDateTime::MAX, 1), NaiveDateTime::MAX);
        assert_eq!(c.add_working_hours(at(2026, 1, 5, 8, 0), i64::MIN), at(2026, 1, 5, 8, 0));
        // A year of office time from 2101, beyond the holidays: 52 weeks of 5 × 8 h.
        let start = at(2101, 1, 3, 0, 0); // a Monday
        assert_eq!(start.weekday(), Weekday::Mon);
        assert_eq!(c.add_working_hours(start, 52 * 5 * 480), at(2101, 12, 30, 17, 0));
    }

    #[test]
    fn working_hours_skip_lunch_nights_weekends_and_holidays() {
        let c = cal();
        // 11:00 + 1 h: 30 min before lunch, 30 min after.
        assert_eq!(c.add_working_hours(at(2026, 3, 2, 11, 0), 60), at(2026, 3, 2, 14, 0));
        // Ending exactly at the close of the morning gives 11:30, not 13:30.
        assert_eq!(c.add_working_hours(at(2026, 3, 2, 11, 0), 30), at(2026, 3, 2, 11, 30));
        // A start during lunch begins at 13:30.
        assert_eq!(c.add_working_hours(at(2026, 3, 2, 12, 15), 15), at(2026, 3, 2, 13, 45));
        // Friday 16:30 + 1 h → Monday 07:30.
        assert_eq!(c.add_working_hours(at(2026, 3, 6, 16, 30), 60), at(2026, 3, 9, 7, 30));
        // An evening start begins next morning; so does one before dawn.
        assert_eq!(c.add_working_hours(at(2026, 3, 2, 20, 0), 30), at(2026, 3, 3, 7, 30));
        assert_eq!(c.add_working_hours(at(2026, 3, 3, 5, 0), 30), at(2026, 3, 3, 7, 30));
        // A Sunday start begins on Monday.
        assert_eq!(c.add_working_hours(at(2026, 3, 8, 10, 0), 60), at(2026, 3, 9, 8, 0));
        // Friday 13/02/2026 16:00 + 2 h crosses Tết → Monday 23/02 08:00.
        assert_eq!(c.add_working_hours(at(2026, 2, 13, 16, 0), 120), at(2026, 2, 23, 8, 0));
        // Three office days (24 h) from Monday 08:00 → Thursday 08:00.
        assert_eq!(c.add_working_hours(at(2026, 3, 2, 8, 0), 24 * 60), at(2026, 3, 5, 8, 0));
        // Zero minutes change nothing, even outside office hours.
        assert_eq!(c.add_working_hours(at(2026, 3, 8, 22, 0), 0), at(2026, 3, 8, 22, 0));
        // Seconds are kept: 07:00:30 + 1 min.
        let odd = d(2026, 3, 2).and_hms_opt(7, 0, 30).expect("time");
        assert_eq!(c.add_working_hours(odd, 1), d(2026, 3, 2).and_hms_opt(7, 1, 30).expect("time"));
    }

    #[test]
    fn long_working_hour_counts_agree_with_whole_working_days() {
        let c = cal();
        let mut day = d(2025, 12, 1);
        while day < d(2027, 3, 1) {
            for n in [1i64, 6, 11, 40] {
                // n office days from the close of `day` end at the close of the n-th working day.
                let close = day.and_hms_opt(17, 0, 0).expect("time");
                let expected = c.add_working_days(day, n).and_hms_opt(17, 0, 0).expect("time");
                assert_eq!(c.add_working_hours(close, n * 480), expected, "{day} {n}");
            }
            day = day.succ_opt().expect("next");
        }
    }

    #[test]
    fn the_weekday_formula_counts_mondays_to_fridays() {
        assert_eq!(NaiveDate::from_num_days_from_ce_opt(1).expect("day 1").weekday(), Weekday::Mon);
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

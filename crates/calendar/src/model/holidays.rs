//! The statutory holidays of a year (Bộ luật Lao động 2019, Điều 112) with their
//! compensatory days, computed from the lunar calendar.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use super::{is_weekend, Holiday, HolidayKind, FIRST_YEAR, LAST_YEAR};
use crate::lunar::{lunar_new_year, lunar_to_solar, LunarDate};

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
            days.push(Holiday { date, name: name.to_string(), kind });
        }
    };
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    push(ymd(1, 1), "Tết Dương lịch", HolidayKind::NewYear);
    if let Ok(tet) = lunar_new_year(year) {
        push(tet.pred_opt(), "Tết Nguyên đán (ngày cuối năm âm lịch)", HolidayKind::Tet);
        for i in 0..4u64 {
            push(
                tet.checked_add_days(Days::new(i)),
                &format!("Tết Nguyên đán (mùng {})", i + 1),
                HolidayKind::Tet,
            );
        }
    }
    push(
        lunar_to_solar(LunarDate { day: 10, month: 3, year, leap: false }),
        "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
        HolidayKind::HungKings,
    );
    push(ymd(4, 30), "Ngày Chiến thắng (30/4)", HolidayKind::Reunification);
    push(ymd(5, 1), "Ngày Quốc tế Lao động (1/5)", HolidayKind::Labour);
    push(ymd(9, 2), "Quốc khánh (2/9)", HolidayKind::National);
    push(national_day_companion(year), "Quốc khánh (ngày liền kề 2/9)", HolidayKind::National);
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

#[cfg(test)]
mod tests {
    use super::super::testing::{cal, d, dates_of};
    use super::*;
    use serde::Deserialize;

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
        assert!(dates_of(&h, HolidayKind::Compensatory).iter().all(|x| x.month() != 2));
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
            assert_eq!(count(HolidayKind::Compensatory), weekend, "{y}: one per weekend holiday");
            assert!(h.windows(2).all(|w| w[0].date < w[1].date), "{y}: sorted, distinct");
            assert!(h
                .iter()
                .filter(|h| h.kind == HolidayKind::Compensatory)
                .all(|h| !is_weekend(h.date)));
        }
        assert!(statutory_holidays(1989).is_empty() && statutory_holidays(i32::MAX).is_empty());
    }

    #[test]
    fn statutory_tet_and_hung_kings_day_match_the_reference_for_every_year() {
        let text = include_str!("../../tests/fixtures/vn-lunar-1990-2100.json");
        let rows = serde_json::from_str::<Fixture>(text).expect("fixture").years;
        assert_eq!(rows.len(), 111);
        for row in rows {
            let h = statutory_holidays(row.year);
            let tet = dates_of(&h, HolidayKind::Tet);
            assert_eq!(tet.first().copied(), row.tet.pred_opt(), "{}", row.year);
            assert_eq!(tet.get(1).copied(), Some(row.tet), "{}", row.year);
            assert_eq!(dates_of(&h, HolidayKind::HungKings), vec![row.hung_kings]);
        }
    }
}

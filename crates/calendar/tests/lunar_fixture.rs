//! cqdt's lunar computation against an independent implementation, every year 1990–2100.

use chrono::NaiveDate;
use cqdt_calendar::{lunar_new_year, lunar_to_solar, statutory_holidays, HolidayKind, LunarDate};

fn fixture() -> Vec<serde_json::Value> {
    let text = include_str!("fixtures/vn-lunar-1990-2100.json");
    let v: serde_json::Value = serde_json::from_str(text).expect("fixture");
    v["years"].as_array().expect("years").clone()
}

fn date(v: &serde_json::Value) -> NaiveDate {
    NaiveDate::parse_from_str(v.as_str().expect("date"), "%Y-%m-%d").expect("date")
}

#[test]
fn tet_and_hung_kings_day_match_the_reference_for_every_year_1990_to_2100() {
    let years = fixture();
    assert_eq!(years.len(), 111);
    for y in years {
        let year = y["year"].as_i64().expect("year") as i32;
        assert_eq!(lunar_new_year(year), Some(date(&y["tet"])), "Tết {year}");
        let hk = lunar_to_solar(LunarDate {
            day: 10,
            month: 3,
            year,
            leap: false,
        });
        assert_eq!(hk, Some(date(&y["hung_kings"])), "Giỗ Tổ {year}");
        let h = statutory_holidays(year);
        let tet_days: Vec<NaiveDate> = h
            .iter()
            .filter(|h| h.kind == HolidayKind::Tet)
            .map(|h| h.date)
            .collect();
        let first = date(&y["tet"]);
        assert_eq!(
            tet_days.first().copied(),
            first.pred_opt(),
            "{year}: Tết starts on the last day of the lunar year"
        );
        assert_eq!(tet_days.len(), 5);
        assert!(h
            .iter()
            .any(|h| h.kind == HolidayKind::HungKings && h.date == date(&y["hung_kings"])));
    }
}

#[test]
fn the_vietnamese_calendar_differs_from_the_chinese_exactly_where_the_reference_says() {
    let differing: Vec<i64> = fixture()
        .iter()
        .filter(|y| y["tet"] != y["chinese_new_year"])
        .map(|y| y["year"].as_i64().expect("year"))
        .collect();
    assert_eq!(differing, vec![2007, 2030, 2053]);
}

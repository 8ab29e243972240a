//! The Vietnamese lunisolar calendar, computed astronomically with Hồ Ngọc Đức's algorithm
//! (after Jean Meeus) for Vietnam's time zone, UTC+7. It differs from the Chinese calendar
//! (UTC+8) in the years where a new moon or the month holding the winter solstice falls
//! differently across the one-hour gap, e.g. Tết 1985, 2007, 2030 and 2053.
//!
//! The functions keep the structure and the names (in snake case) of the original JavaScript:
//! jdFromDate, getNewMoonDay, getSunLongitude, getLunarMonth11, getLeapMonthOffset,
//! convertSolar2Lunar, convertLunar2Solar.

use std::f64::consts::PI;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::model::CalendarError;

/// Vietnam's offset from UTC, in hours.
const TIME_ZONE: f64 = 7.0;

/// First solar (and lunar) year the conversions accept; the astronomical series are made for
/// 1800–2199, the range of Hồ Ngọc Đức's published tables.
pub const LUNAR_FIRST_YEAR: i32 = 1800;
/// Last solar (and lunar) year the conversions accept.
pub const LUNAR_LAST_YEAR: i32 = 2199;

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LunarDate {
    /// Day of the month, 1–30.
    pub day: u8,
    /// Month, 1–12.
    pub month: u8,
    /// Lunar year, numbered by the solar year in which its first day (Tết) falls.
    pub year: i32,
    /// True in the intercalary (leap) month, which repeats the number of the month before it.
    pub leap: bool,
}

fn out_of_range(year: i32) -> CalendarError {
    CalendarError::YearOutOfRange { year, first: LUNAR_FIRST_YEAR, last: LUNAR_LAST_YEAR }
}

/// Julian day number of a proleptic Gregorian date (jdFromDate).
fn jd_from_date(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) + 1_721_425
}

/// The proleptic Gregorian date of a Julian day number (jdToDate).
fn date_from_jd(jd: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jd.checked_sub(1_721_425)?).ok()?)
}

/// Julian day (fractional, UT) of the k-th new moon after 1900-01-01 (NewMoon).
fn new_moon(k: f64) -> f64 {
    let t = k / 1236.85;
    let t2 = t * t;
    let t3 = t2 * t;
    let dr = PI / 180.0;
    let mut jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3;
    jd1 += 0.00033 * ((166.56 + 132.87 * t - 0.009173 * t2) * dr).sin();
    let m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3;
    let mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3;
    let f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3;
    let mut c1 = (0.1734 - 0.000393 * t) * (m * dr).sin() + 0.0021 * (2.0 * dr * m).sin();
    c1 = c1 - 0.4068 * (mpr * dr).sin() + 0.0161 * (dr * 2.0 * mpr).sin();
    c1 -= 0.0004 * (dr * 3.0 * mpr).sin();
    c1 = c1 + 0.0104 * (dr * 2.0 * f).sin() - 0.0051 * (dr * (m + mpr)).sin();
    c1 = c1 - 0.0074 * (dr * (m - mpr)).sin() + 0.0004 * (dr * (2.0 * f + m)).sin();
    c1 = c1 - 0.0004 * (dr * (2.0 * f - m)).sin() - 0.0006 * (dr * (2.0 * f + mpr)).sin();
    c1 = c1 + 0.0010 * (dr * (2.0 * f - mpr)).sin() + 0.0005 * (dr * (2.0 * mpr + m)).sin();
    let delta_t = if t < -11.0 {
        0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    } else {
        -0.000278 + 0.000265 * t + 0.000262 * t2
    };
    jd1 + c1 - delta_t
}

/// The sun's ecliptic longitude, radians in 0..2π, at a fractional Julian day (SunLongitude).
fn sun_longitude(jdn: f64) -> f64 {
    let t = (jdn - 2451545.0) / 36525.0;
    let t2 = t * t;
    let dr = PI / 180.0;
    let m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2;
    let l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2;
    let mut dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * (dr * m).sin();
    dl = dl + (0.019993 - 0.000101 * t) * (dr * 2.0 * m).sin() + 0.000290 * (dr * 3.0 * m).sin();
    let l = (l0 + dl) * dr;
    l - PI * 2.0 * (l / (PI * 2.0)).floor()
}

/// The sun's longitude sector (0..11, of 30°) at local midnight starting a day
/// (getSunLongitude).
fn get_sun_longitude(day_number: i64) -> i64 {
    (sun_longitude(day_number as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// The local day on which the k-th new moon falls (getNewMoonDay).
fn get_new_moon_day(k: i64) -> i64 {
    (new_moon(k as f64) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// The first day of the 11th lunar month (the one holding the winter solstice) that begins in
/// solar year `yy` (getLunarMonth11).
fn get_lunar_month_11(yy: i32) -> Option<i64> {
    let off = jd_from_date(NaiveDate::from_ymd_opt(yy, 12, 31)?) - 2415021;
    let k = (off as f64 / 29.530588853).floor() as i64;
    let nm = get_new_moon_day(k);
    // A month starting after the sun passed 270° cannot hold the solstice: take the one before.
    if get_sun_longitude(nm) >= 9 {
        Some(get_new_moon_day(k - 1))
    } else {
        Some(nm)
    }
}

/// In a 13-month year starting with month 11 on day `a11`, how many months after it the leap
/// month comes: the first month without a major solar term (getLeapMonthOffset).
fn get_leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - 2415021.076998695) / 29.530588853 + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = get_sun_longitude(get_new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = get_sun_longitude(get_new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// Converts a solar date to the Vietnamese lunar calendar (convertSolar2Lunar); an error
/// outside the solar years 1800–2199.
pub fn solar_to_lunar(date: NaiveDate) -> Result<LunarDate, CalendarError> {
    let yy = date.year();
    if !(LUNAR_FIRST_YEAR..=LUNAR_LAST_YEAR).contains(&yy) {
        return Err(out_of_range(yy));
    }
    let day_number = jd_from_date(date);
    // The original estimate can be one lunation off near a new moon; settle on the last new
    // moon on or before the day instead of trusting it.
    let mut k = ((day_number as f64 - 2415021.076998695) / 29.530588853).floor() as i64 + 1;
    while get_new_moon_day(k) > day_number {
        k -= 1;
    }
    while get_new_moon_day(k + 1) <= day_number {
        k += 1;
    }
    let month_start = get_new_moon_day(k);
    let month_11 = |y| get_lunar_month_11(y).ok_or_else(|| out_of_range(y));
    let mut a11 = month_11(yy)?;
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = month_11(yy - 1)?;
    } else {
        lunar_year = yy + 1;
        b11 = month_11(yy + 1)?;
    }
    let lunar_day = day_number - month_start + 1;
    let diff = (month_start - a11) / 29;
    let mut leap = false;
    let mut lunar_month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = get_leap_month_offset(a11);
        if diff >= leap_diff {
            lunar_month = diff + 10;
            leap = diff == leap_diff;
        }
    }
    if lunar_month > 12 {
        lunar_month -= 12;
    }
    if lunar_month >= 11 && diff < 4 {
        lunar_year -= 1;
    }
    match (u8::try_from(lunar_day), u8::try_from(lunar_month)) {
        (Ok(day), Ok(month)) => Ok(LunarDate { day, month, year: lunar_year, leap }),
        // Unreachable for sane astronomy; reported rather than panicking.
        _ => Err(out_of_range(yy)),
    }
}

/// Converts a Vietnamese lunar date to the solar calendar (convertLunar2Solar); `None` when
/// the date does not exist (day 30 of a short month, a leap month the year lacks) or the
/// lunar year is outside 1800–2199.
pub fn lunar_to_solar(l: LunarDate) -> Option<NaiveDate> {
    if !(1..=30).contains(&l.day)
        || !(1..=12).contains(&l.month)
        || !(LUNAR_FIRST_YEAR..=LUNAR_LAST_YEAR).contains(&l.year)
    {
        return None;
    }
    let month = i64::from(l.month);
    let (a11, b11) = if month < 11 {
        (get_lunar_month_11(l.year - 1)?, get_lunar_month_11(l.year)?)
    } else {
        (get_lunar_month_11(l.year)?, get_lunar_month_11(l.year + 1)?)
    };
    let k = (0.5 + (a11 as f64 - 2415021.076998695) / 29.530588853).floor() as i64;
    let mut off = month - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = get_leap_month_offset(a11);
        let mut leap_month = leap_off - 2;
        if leap_month < 0 {
            leap_month += 12;
        }
        if l.leap && month != leap_month {
            return None;
        }
        if l.leap || off >= leap_off {
            off += 1;
        }
    } else if l.leap {
        return None;
    }
    let month_start = get_new_moon_day(k + off);
    let date = date_from_jd(month_start + i64::from(l.day) - 1)?;
    // The original happily returns day 30 of a 29-day month (the next month's 1st): only
    // answer when the date converts back to the same lunar date.
    (solar_to_lunar(date).ok()? == l).then_some(date)
}

/// The first day of the lunar year that begins in solar year `year` (mùng 1 Tết Nguyên đán);
/// an error outside 1800–2199.
pub fn lunar_new_year(year: i32) -> Result<NaiveDate, CalendarError> {
    lunar_to_solar(LunarDate { day: 1, month: 1, year, leap: false })
        .ok_or_else(|| out_of_range(year))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn lunar(day: u8, month: u8, year: i32, leap: bool) -> LunarDate {
        LunarDate { day, month, year, leap }
    }

    /// One row of the reference computed by Hồ Ngọc Đức's own JavaScript (see fixtures/).
    #[derive(Deserialize)]
    struct Row {
        year: i32,
        tet: NaiveDate,
        hung_kings: NaiveDate,
        chinese_new_year: NaiveDate,
    }

    #[derive(Deserialize)]
    struct Fixture {
        years: Vec<Row>,
    }

    fn fixture() -> Vec<Row> {
        let text = include_str!("../tests/fixtures/vn-lunar-1990-2100.json");
        serde_json::from_str::<Fixture>(text).expect("fixture").years
    }

    #[test]
    fn tet_2026_starts_on_the_seventeenth_of_february() {
        assert_eq!(lunar_new_year(2026), Ok(d(2026, 2, 17)));
    }

    #[test]
    fn recent_lunar_new_years_fall_on_the_announced_dates() {
        assert_eq!(lunar_new_year(2024), Ok(d(2024, 2, 10)));
        assert_eq!(lunar_new_year(2025), Ok(d(2025, 1, 29)));
        assert_eq!(lunar_new_year(2027), Ok(d(2027, 2, 6)));
    }

    #[test]
    fn vietnamese_tet_differs_from_the_chinese_new_year_where_the_time_zone_matters() {
        // China (UTC+8) celebrated on 18/02/2007 and 20/02/1985, and will on 03/02/2030.
        assert_eq!(lunar_new_year(2007), Ok(d(2007, 2, 17)));
        assert_eq!(lunar_new_year(1985), Ok(d(1985, 1, 21)));
        // The new moon is at 23:07 on 02/02/2030 in Hà Nội, 00:07 on 03/02 in Beijing.
        assert_eq!(lunar_new_year(2030), Ok(d(2030, 2, 2)));
    }

    #[test]
    fn tet_and_hung_kings_day_match_the_reference_for_every_year_1990_to_2100() {
        let rows = fixture();
        assert_eq!(rows.len(), 111);
        for (row, year) in rows.iter().zip(1990..=2100) {
            assert_eq!(row.year, year);
            assert_eq!(lunar_new_year(year), Ok(row.tet), "Tết {year}");
            assert_eq!(
                lunar_to_solar(lunar(10, 3, year, false)),
                Some(row.hung_kings),
                "Giỗ Tổ {year}"
            );
            assert_eq!(
                solar_to_lunar(row.hung_kings),
                Ok(lunar(10, 3, year, false)),
                "Giỗ Tổ {year} back to lunar"
            );
        }
    }

    #[test]
    fn the_reference_differs_from_the_chinese_calendar_only_in_2007_2030_and_2053() {
        let differing: Vec<i32> =
            fixture().iter().filter(|r| r.tet != r.chinese_new_year).map(|r| r.year).collect();
        assert_eq!(differing, vec![2007, 2030, 2053]);
    }

    #[test]
    fn conversions_round_trip_every_day_for_two_centuries() {
        let mut day = d(1900, 1, 1);
        while day < d(2101, 1, 1) {
            let l = solar_to_lunar(day).expect("lunar");
            assert_eq!(lunar_to_solar(l), Some(day), "{day} -> {l:?}");
            day = day.succ_opt().expect("next");
        }
    }

    #[test]
    fn the_day_before_tet_is_the_last_day_of_the_lunar_year() {
        for year in 1990..=2100 {
            let eve = lunar_new_year(year).expect("tết").pred_opt().expect("eve");
            let l = solar_to_lunar(eve).expect("lunar");
            assert_eq!((l.month, l.year, l.leap), (12, year - 1, false), "{year}");
            assert!(l.day == 29 || l.day == 30, "{year}: {l:?}");
        }
    }

    #[test]
    fn a_leap_month_is_found_where_the_year_has_thirteen_months() {
        // 2023 had a leap second month (tháng 2 nhuận) starting 22/03/2023.
        assert_eq!(solar_to_lunar(d(2023, 3, 22)), Ok(lunar(1, 2, 2023, true)));
        assert_eq!(lunar_to_solar(lunar(1, 2, 2023, true)), Some(d(2023, 3, 22)));
        assert_eq!(lunar_to_solar(lunar(1, 3, 2023, true)), None);
        // 2025 had a leap sixth month starting 25/07/2025.
        assert_eq!(solar_to_lunar(d(2025, 7, 25)), Ok(lunar(1, 6, 2025, true)));
        assert_eq!(lunar_to_solar(lunar(1, 6, 2026, true)), None);
    }

    #[test]
    fn impossible_lunar_dates_and_far_years_give_none_or_an_error() {
        assert_eq!(lunar_to_solar(lunar(31, 1, 2026, false)), None);
        assert_eq!(lunar_to_solar(lunar(0, 1, 2026, false)), None);
        assert_eq!(lunar_to_solar(lunar(1, 13, 2026, false)), None);
        assert_eq!(lunar_to_solar(lunar(1, 1, i32::MAX, false)), None);
        assert_eq!(lunar_to_solar(lunar(1, 1, i32::MIN, false)), None);
        // Day 30 exists only in long months: 12/2025 (lunar) has 29 days, Tết 2026 is 17/02.
        assert_eq!(lunar_to_solar(lunar(30, 12, 2025, false)), None);
        assert_eq!(lunar_to_solar(lunar(29, 12, 2025, false)), Some(d(2026, 2, 16)));
        assert!(solar_to_lunar(d(1700, 1, 1)).is_err());
        assert!(solar_to_lunar(NaiveDate::MAX).is_err());
        assert!(solar_to_lunar(NaiveDate::MIN).is_err());
        assert_eq!(
            lunar_new_year(2200),
            Err(CalendarError::YearOutOfRange { year: 2200, first: 1800, last: 2199 })
        );
        assert!(lunar_new_year(i32::MIN).is_err());
        assert!(lunar_new_year(1800).is_ok() && lunar_new_year(2199).is_ok());
    }
}

//! The Vietnamese lunisolar calendar, computed astronomically (Hồ Ngọc Đức's algorithm after
//! Jean Meeus), for Vietnam's time zone UTC+7. It differs from the Chinese calendar (UTC+8) in
//! the years where a new moon falls between 16:00 and 17:00 UTC, e.g. Tết 1985 and 2007.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Vietnam's offset from UTC, in hours.
const TIME_ZONE: f64 = 7.0;

/// A date of the Vietnamese lunar calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LunarDate {
    /// Day of the month, 1–30.
    pub day: u8,
    /// Month, 1–12.
    pub month: u8,
    /// Lunar year (the solar year in which its Tết falls).
    pub year: i32,
    /// True for the intercalary (leap) month.
    pub leap: bool,
}

/// Julian day number of the proleptic Gregorian date.
fn jd_from_date(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) + 1_721_425
}

fn date_from_jd(jd: i64) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(jd - 1_721_425).ok()?)
}

/// Julian day (fractional) of the k-th new moon after 1900-01-01.
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

/// The sun's ecliptic longitude (radians, 0..2π) at a fractional Julian day.
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

/// The sun's longitude sector (0..11, of 30°) at the start of a local day.
fn sun_sector(day_number: i64) -> i64 {
    (sun_longitude(day_number as f64 - 0.5 - TIME_ZONE / 24.0) / PI * 6.0).floor() as i64
}

/// The local day on which the k-th new moon falls.
fn new_moon_day(k: i64) -> i64 {
    (new_moon(k as f64) + 0.5 + TIME_ZONE / 24.0).floor() as i64
}

/// The first day of the 11th lunar month (which holds the winter solstice) of solar year `yy`.
fn lunar_month_11(yy: i32) -> Option<i64> {
    let off = jd_from_date(NaiveDate::from_ymd_opt(yy, 12, 31)?) - 2415021;
    let k = (off as f64 / 29.530588853).floor() as i64;
    let nm = new_moon_day(k);
    if sun_sector(nm) >= 9 {
        Some(new_moon_day(k - 1))
    } else {
        Some(nm)
    }
}

/// Which month after month 11 is the leap month, in a 13-month year starting at `a11`.
fn leap_month_offset(a11: i64) -> i64 {
    let k = ((a11 as f64 - 2415021.076998695) / 29.530588853 + 0.5).floor() as i64;
    let mut i = 1;
    let mut arc = sun_sector(new_moon_day(k + i));
    loop {
        let last = arc;
        i += 1;
        arc = sun_sector(new_moon_day(k + i));
        if arc == last || i >= 14 {
            break;
        }
    }
    i - 1
}

/// Converts a solar date to the Vietnamese lunar calendar; None outside years 1800–2199.
pub fn solar_to_lunar(date: NaiveDate) -> Option<LunarDate> {
    let yy = date.year();
    if !(1800..=2199).contains(&yy) {
        return None;
    }
    let day_number = jd_from_date(date);
    // The estimate can be one lunation off; take the last new moon on or before the day.
    let mut k = ((day_number as f64 - 2415021.076998695) / 29.530588853).floor() as i64 + 1;
    while new_moon_day(k) > day_number {
        k -= 1;
    }
    while new_moon_day(k + 1) <= day_number {
        k += 1;
    }
    let month_start = new_moon_day(k);
    let mut a11 = lunar_month_11(yy)?;
    let mut b11 = a11;
    let mut lunar_year;
    if a11 >= month_start {
        lunar_year = yy;
        a11 = lunar_month_11(yy - 1)?;
    } else {
        lunar_year = yy + 1;
        b11 = lunar_month_11(yy + 1)?;
    }
    let lunar_day = day_number - month_start + 1;
    let diff = (month_start - a11) / 29;
    let mut leap = false;
    let mut lunar_month = diff + 11;
    if b11 - a11 > 365 {
        let leap_diff = leap_month_offset(a11);
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
    Some(LunarDate {
        day: u8::try_from(lunar_day).ok()?,
        month: u8::try_from(lunar_month).ok()?,
        year: lunar_year,
        leap,
    })
}

/// Converts a Vietnamese lunar date to the solar calendar; None if no such date exists.
pub fn lunar_to_solar(l: LunarDate) -> Option<NaiveDate> {
    if !(1..=30).contains(&l.day)
        || !(1..=12).contains(&l.month)
        || !(1801..=2199).contains(&l.year)
    {
        return None;
    }
    let month = i64::from(l.month);
    let (a11, b11) = if month < 11 {
        (lunar_month_11(l.year - 1)?, lunar_month_11(l.year)?)
    } else {
        (lunar_month_11(l.year)?, lunar_month_11(l.year + 1)?)
    };
    let k = (0.5 + (a11 as f64 - 2415021.076998695) / 29.530588853).floor() as i64;
    let mut off = month - 11;
    if off < 0 {
        off += 12;
    }
    if b11 - a11 > 365 {
        let leap_off = leap_month_offset(a11);
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
    let month_start = new_moon_day(k + off);
    let date = date_from_jd(month_start + i64::from(l.day) - 1)?;
    // Day 30 exists only in long months: it must still belong to the same lunar month.
    (solar_to_lunar(date)? == l).then_some(date)
}

/// The first day of the lunar year that begins in solar year `year` (Tết Nguyên đán).
pub fn lunar_new_year(year: i32) -> Option<NaiveDate> {
    lunar_to_solar(LunarDate {
        day: 1,
        month: 1,
        year,
        leap: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn tet_2026_falls_on_the_seventeenth_of_february() {
        assert_eq!(lunar_new_year(2026), Some(d(2026, 2, 17)));
        assert_eq!(lunar_new_year(2025), Some(d(2025, 1, 29)));
        assert_eq!(lunar_new_year(2024), Some(d(2024, 2, 10)));
        assert_eq!(lunar_new_year(2027), Some(d(2027, 2, 6)));
    }

    #[test]
    fn vietnamese_tet_differs_from_the_chinese_new_year_where_the_time_zone_matters() {
        // China (UTC+8) celebrated on 18/02/2007 and 20/02/1985.
        assert_eq!(lunar_new_year(2007), Some(d(2007, 2, 17)));
        assert_eq!(lunar_new_year(1985), Some(d(1985, 1, 21)));
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
    fn a_leap_month_is_found_where_the_year_has_thirteen_months() {
        // 2023 had a leap second month (tháng 2 nhuận) starting 22/03/2023.
        let l = solar_to_lunar(d(2023, 3, 22)).expect("lunar");
        assert_eq!(
            l,
            LunarDate {
                day: 1,
                month: 2,
                year: 2023,
                leap: true
            }
        );
        assert_eq!(
            lunar_to_solar(LunarDate {
                day: 1,
                month: 3,
                year: 2023,
                leap: true
            }),
            None
        );
    }

    #[test]
    fn impossible_lunar_dates_are_none() {
        assert_eq!(
            lunar_to_solar(LunarDate {
                day: 31,
                month: 1,
                year: 2026,
                leap: false
            }),
            None
        );
        assert_eq!(
            lunar_to_solar(LunarDate {
                day: 1,
                month: 13,
                year: 2026,
                leap: false
            }),
            None
        );
        assert_eq!(solar_to_lunar(d(1700, 1, 1)), None);
    }
}

//! ISO 8601 durations (`PnYnMnWnDTnHnMnS`) as timers use them. The whole syntax is read, so
//! that a refusal names what is unsupported rather than calling a valid duration invalid.
//! A timer counts calendar time, as BPMN says, to the millisecond: months and years as
//! calendar months, the rest as elapsed time. One that asks for working time
//! (`cqdt:calendar="working"`) counts working days (8 working hours a day) with a resolution
//! of a day, so years, months, seconds and fractions are refused there by name.

use chrono::{DateTime, Months, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A duration in calendar time: whole months (years are twelve), then elapsed milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalendarDuration {
    /// Calendar months, added first (31 January plus a month is the last day of February).
    pub months: u32,
    /// Then this many milliseconds.
    pub millis: i64,
}

impl CalendarDuration {
    /// When a timer started at `from` fires; `None` past the calendar's end.
    pub fn after(&self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Months in Vietnam's calendar (UTC+7 all year), so that "one month" from a local
        // date is the same local date next month.
        let vn = cqdt_platform::clock::to_vn(from);
        let moved = vn.checked_add_months(Months::new(self.months))?.with_timezone(&Utc);
        moved.checked_add_signed(TimeDelta::try_milliseconds(self.millis)?)
    }
}

/// A timer's duration in calendar time, or why it is refused (fractions of years or months
/// have no calendar meaning; a duration must be more than zero).
pub fn calendar_time(text: &str) -> Result<CalendarDuration, String> {
    let d = parse_iso(text)?;
    if d.years.fract() != 0.0 || d.months.fract() != 0.0 {
        return Err(format!(
            "thời lượng “{}” có phần lẻ của năm hoặc tháng, không có nghĩa trên lịch",
            text.trim()
        ));
    }
    let months = d.years * 12.0 + d.months;
    let seconds =
        (d.weeks * 7.0 + d.days) * 86_400.0 + d.hours * 3600.0 + d.minutes * 60.0 + d.seconds;
    let millis = (seconds * 1000.0).round();
    if months > 12_000.0 || millis > 1e15 {
        return Err(format!("thời lượng “{}” quá dài", text.trim()));
    }
    if months == 0.0 && millis <= 0.0 {
        return Err(format!("thời lượng “{}” bằng 0", text.trim()));
    }
    Ok(CalendarDuration { months: months as u32, millis: millis as i64 })
}

/// An ISO 8601 duration, field by field, as written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IsoDuration {
    /// Years.
    pub years: f64,
    /// Months.
    pub months: f64,
    /// Weeks.
    pub weeks: f64,
    /// Days.
    pub days: f64,
    /// Hours.
    pub hours: f64,
    /// Minutes.
    pub minutes: f64,
    /// Seconds.
    pub seconds: f64,
    /// Whether any field had a fraction.
    pub fraction: bool,
}

/// Reads an ISO 8601 duration; `Err` says why the text is not one.
pub fn parse_iso(text: &str) -> Result<IsoDuration, String> {
    let s = text.trim();
    let rest = s.strip_prefix('P').ok_or_else(|| format!("“{s}” không bắt đầu bằng P"))?;
    let (date, time) = match rest.split_once('T') {
        Some((d, "")) => return Err(format!("“{s}” có T nhưng thiếu giờ ({d})")),
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut d = IsoDuration::default();
    let mut any = false;
    for (part, units) in [(date, "YMWD"), (time, "HMS")] {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' || c == ',' {
                num.push(if c == ',' { '.' } else { c });
                continue;
            }
            if !units.contains(c) || num.is_empty() {
                return Err(format!("“{s}” không phải thời lượng ISO 8601"));
            }
            let v: f64 = num.parse().map_err(|_| format!("số “{num}” không hợp lệ"))?;
            d.fraction |= num.contains('.');
            let field = match (units, c) {
                ("YMWD", 'Y') => &mut d.years,
                ("YMWD", 'M') => &mut d.months,
                ("YMWD", 'W') => &mut d.weeks,
                ("YMWD", 'D') => &mut d.days,
                (_, 'H') => &mut d.hours,
                (_, 'M') => &mut d.minutes,
                _ => &mut d.seconds,
            };
            *field = v;
            any = true;
            num.clear();
        }
        if !num.is_empty() {
            return Err(format!("“{s}” thiếu đơn vị sau số {num}"));
        }
    }
    if !any {
        return Err(format!("“{s}” không có giá trị nào"));
    }
    Ok(d)
}

/// A timer's duration in working days (8 working hours a day), or why it is refused: the
/// parts that a working-day timer cannot honour are named.
pub fn working_days(text: &str) -> Result<f64, String> {
    let d = parse_iso(text)?;
    let mut unsupported = Vec::new();
    if d.years != 0.0 {
        unsupported.push("năm (Y)");
    }
    if d.months != 0.0 {
        unsupported.push("tháng (M, số ngày làm việc của một tháng không cố định)");
    }
    if d.seconds != 0.0 {
        unsupported.push("giây (S)");
    }
    if d.fraction {
        unsupported.push("phần lẻ");
    }
    if !unsupported.is_empty() {
        return Err(format!(
            "thời lượng “{}” là ISO 8601 hợp lệ nhưng hẹn giờ tính theo ngày làm việc chưa hỗ trợ {}",
            text.trim(),
            unsupported.join(", ")
        ));
    }
    let days = d.weeks * 5.0 + d.days + d.hours / 8.0 + d.minutes / 480.0;
    if days <= 0.0 {
        return Err(format!("thời lượng “{}” bằng 0", text.trim()));
    }
    Ok(days)
}

/// Parses "P3D", "PT12H", "P1DT4H" as working days (8 working hours a day); `None` for
/// anything a timer cannot honour (see [`working_days`] for the reason).
pub fn parse_duration_days(s: &str) -> Option<f64> {
    working_days(s).ok()
}

/// A repeating timer (`timeCycle` `R[n]/[start/]duration`): fires at `start` (or a period
/// after it began waiting), then every period, `repeat` times in all (None: until its task
/// ends).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cycle {
    /// How many times in all; None for `R/…` (no bound).
    pub repeat: Option<u32>,
    /// The period.
    pub every: CalendarDuration,
    /// The first firing (RFC 3339, UTC), when the cycle names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
}

/// A `timeDate`: an instant in ISO 8601 with its zone; without a zone, Vietnam's time (the
/// province's, as the officials who draw the process mean it); a date alone, its midnight in
/// Vietnam. Expressions are refused.
pub fn time_date(text: &str) -> Result<DateTime<Utc>, String> {
    let t = text.trim();
    if t.contains("${") || t.starts_with('=') || t.contains("#{") {
        return Err(format!("thời điểm “{t}” là biểu thức; chỉ hỗ trợ thời điểm cố định"));
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(at.with_timezone(&Utc));
    }
    let vn = cqdt_platform::clock::vn_offset();
    let local = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M"))
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| {
            format!("“{t}” không phải thời điểm ISO 8601 (ví dụ 2026-03-01T08:00:00+07:00)")
        })?;
    local
        .and_local_timezone(vn)
        .single()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| format!("thời điểm “{t}” không xác định"))
}

/// A `timeCycle` in ISO 8601 repeating-interval form, `R[n]/[start/]duration`; cron
/// expressions and intervals ending at a date are refused by name.
pub fn time_cycle(text: &str) -> Result<Cycle, String> {
    let t = text.trim();
    let Some(rest) = t.strip_prefix('R') else {
        return Err(format!(
            "chu kỳ “{t}” không phải dạng R[n]/[bắt đầu/]thời lượng của ISO 8601 (biểu thức cron chưa được hỗ trợ)"
        ));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    let (count, start, period) = match parts.as_slice() {
        [n, p] => (*n, None, *p),
        [n, s, p] => (*n, Some(*s), *p),
        _ => return Err(format!("chu kỳ “{t}” không đọc được")),
    };
    let repeat = match count {
        "" => None,
        n => Some(
            n.parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("chu kỳ “{t}”: số lần “{n}” phải là số nguyên dương"))?,
        ),
    };
    if !period.starts_with('P') {
        return Err(format!(
            "chu kỳ “{t}”: khoảng kết thúc bằng thời điểm chưa được hỗ trợ; dùng thời lượng (P…)"
        ));
    }
    let every = calendar_time(period)?;
    let start = start.map(|s| time_date(s).map(cqdt_platform::clock::format_ts)).transpose()?;
    Ok(Cycle { repeat, every, start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_timers_count_seconds_fractions_and_calendar_months() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("instant").to_utc();
        let fires = |text: &str, from: &str| calendar_time(text).expect(text).after(at(from));
        // A Friday afternoon hour is an hour, not Monday.
        assert_eq!(fires("PT1H", "2026-12-04T08:00:00Z"), Some(at("2026-12-04T09:00:00Z")));
        assert_eq!(fires("PT0.1S", "2026-12-04T08:00:00Z"), Some(at("2026-12-04T08:00:00.100Z")));
        assert_eq!(fires("P1DT2H3M4S", "2026-12-04T08:00:00Z"), Some(at("2026-12-05T10:03:04Z")));
        assert_eq!(fires("P1W", "2026-12-04T08:00:00Z"), Some(at("2026-12-11T08:00:00Z")));
        // A month in Vietnam's calendar: 31 January (local) plus one is 28 February.
        assert_eq!(fires("P1M", "2027-01-31T03:00:00Z"), Some(at("2027-02-28T03:00:00Z")));
        assert_eq!(fires("P1Y", "2026-12-04T08:00:00Z"), Some(at("2027-12-04T08:00:00Z")));
        assert!(calendar_time("P0.5M").expect_err("no calendar meaning").contains("phần lẻ"));
        assert!(calendar_time("PT0S").is_err());
    }

    #[test]
    fn durations_are_working_days() {
        assert_eq!(parse_duration_days("P3D"), Some(3.0));
        assert_eq!(parse_duration_days("PT4H"), Some(0.5));
        assert_eq!(parse_duration_days("P1W"), Some(5.0));
        assert_eq!(parse_duration_days("P1DT4H"), Some(1.5));
        assert_eq!(parse_duration_days("3 days"), None);
        assert_eq!(parse_duration_days("P"), None);
    }

    #[test]
    fn seconds_fractions_and_months_are_valid_iso_8601_refused_by_name() {
        for (text, named) in [("PT5S", "giây"), ("PT0.1S", "phần lẻ"), ("P1M", "tháng")] {
            assert!(parse_iso(text).is_ok(), "{text} is ISO 8601");
            let why = working_days(text).expect_err(text);
            assert!(why.contains("ISO 8601 hợp lệ") && why.contains(named), "{text}: {why}");
        }
        assert!(working_days("PT1M").is_ok(), "minutes after T are minutes");
        assert!(working_days("5 ngày").expect_err("not iso").contains("không bắt đầu bằng P"));
    }

    #[test]
    fn a_time_date_is_an_instant_in_its_zone_or_in_vietnam_and_an_expression_is_refused() {
        let at = |t: &str| time_date(t).map(cqdt_platform::clock::format_ts);
        assert_eq!(at("2026-03-01T08:00:00+07:00"), at("2026-03-01T01:00:00Z"));
        assert_eq!(at("2026-03-01T08:00:00"), at("2026-03-01T01:00:00Z"), "Vietnam's time");
        assert_eq!(at("2026-03-01"), at("2026-02-28T17:00:00Z"), "midnight in Vietnam");
        assert!(time_date("${han}").is_err_and(|e| e.contains("biểu thức")));
        assert!(time_date("mai").is_err());
    }

    #[test]
    fn a_time_cycle_reads_its_count_start_and_period_and_cron_is_refused_by_name() {
        let c = time_cycle("R3/PT1H").expect("cycle");
        assert_eq!((c.repeat, c.every.millis, c.start), (Some(3), 3_600_000, None));
        assert_eq!(time_cycle("R/P1D").expect("unbounded").repeat, None);
        let c = time_cycle("R2/2026-03-01T08:00:00+07:00/P1D").expect("with a start");
        assert_eq!(c.start.as_deref().map(|s| &s[..19]), Some("2026-03-01T01:00:00"));
        assert!(time_cycle("0 0 9 * * ?").is_err_and(|e| e.contains("cron")));
        assert!(time_cycle("R0/PT1H").is_err());
        assert!(time_cycle("R/2026-03-01T00:00:00Z/2026-03-02T00:00:00Z").is_err());
    }
}

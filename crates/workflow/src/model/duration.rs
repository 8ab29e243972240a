//! ISO 8601 durations (`PnYnMnWnDTnHnMnS`) as timers use them. The whole syntax is read, so
//! that a refusal names what is unsupported rather than calling a valid duration invalid:
//! timers count working days (8 working hours a day) with a resolution of a day, so years,
//! months, seconds and fractions are refused by name.

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

#[cfg(test)]
mod tests {
    use super::*;

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
}

//! Office hours: the periods of a working day in which time counts.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use super::CalendarError;

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
    pub(super) periods: Vec<OfficePeriod>,
}

impl Default for OfficeHours {
    /// 07:00–11:30 and 13:30–17:00, the usual hours of a provincial agency.
    fn default() -> Self {
        let t = |h, m| NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN);
        OfficeHours {
            periods: vec![
                OfficePeriod { start: t(7, 0), end: t(11, 30) },
                OfficePeriod { start: t(13, 30), end: t(17, 0) },
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
            return Err(CalendarError::OverlappingPeriods(w[0].to_string(), w[1].to_string()));
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
                let (a, b) =
                    p.split_once('-').ok_or_else(|| CalendarError::BadPeriod(p.to_string()))?;
                Ok(OfficePeriod { start: time(a)?, end: time(b)? })
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

    pub(super) fn seconds_per_day(&self) -> i64 {
        self.periods.iter().map(|p| (p.end - p.start).num_seconds()).sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn office_hours_are_parsed_checked_and_printed() {
        assert_eq!(OfficeHours::parse("07:00-11:30,13:30-17:00"), Ok(OfficeHours::default()));
        assert_eq!(OfficeHours::default().minutes_per_day(), 480);
        assert_eq!(OfficeHours::default().to_string(), "07:00-11:30,13:30-17:00");
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
            Err(CalendarError::OverlappingPeriods("07:00-12:00".into(), "11:00-17:00".into()))
        );
        assert_eq!(OfficeHours::parse("bảy giờ"), Err(CalendarError::BadPeriod("bảy giờ".into())));
        assert_eq!(OfficeHours::parse("7h-11h"), Err(CalendarError::BadTime("7h".into())));
        assert_eq!(OfficeHours::parse("25:00-26:00"), Err(CalendarError::BadTime("25:00".into())));
        assert_eq!(OfficeHours::parse(""), Err(CalendarError::NoPeriods));
        assert_eq!(OfficeHours::parse(" , "), Err(CalendarError::NoPeriods));
        assert_eq!("07:00-11:30,13:30-17:00".parse(), Ok(OfficeHours::default()));
        let msg = OfficeHours::parse("11:00-07:00").expect_err("bad").to_string();
        assert!(msg.contains("11:00-07:00"), "{msg}");
    }
}

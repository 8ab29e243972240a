//! Time is passed in, never read ad hoc, so deadlines are testable.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in Vietnam (UTC+7).
    fn today(&self) -> NaiveDate {
        to_vn(self.now()).date_naive()
    }
}

/// A clock shared between services.
pub type SharedClock = Arc<dyn Clock>;

/// The machine's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that tests set and move by hand.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: chrono::Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(t) => *t,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// Vietnam's offset from UTC (UTC+7, no daylight saving).
pub const VN_OFFSET: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// Vietnam's offset from UTC.
pub fn vn_offset() -> FixedOffset {
    VN_OFFSET
}

/// An instant in Vietnam's local time.
pub fn to_vn(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&vn_offset())
}

/// The storage form of an instant: fixed-width RFC 3339 in UTC, so text order is time order.
pub fn format_ts(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Parses the storage form of an instant.
pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|d| d.with_timezone(&Utc))
}

/// A date as Vietnamese pages show it: dd/mm/yyyy.
pub fn format_date_vn(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// An instant as Vietnamese pages show it, in local time: dd/mm/yyyy HH:MM.
pub fn format_ts_vn(at: DateTime<Utc>) -> String {
    to_vn(at).format("%d/%m/%Y %H:%M:%S").to_string()
}

/// Parses a date given as yyyy-mm-dd or dd/mm/yyyy.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn stored_timestamps_sort_as_text_in_time_order() {
        let a = Utc.with_ymd_and_hms(2026, 2, 13, 9, 0, 0).single().expect("a");
        let b = a + chrono::Duration::microseconds(1);
        assert!(format_ts(a) < format_ts(b));
        assert_eq!(parse_ts(&format_ts(b)), Some(b));
    }

    #[test]
    fn vietnamese_dates_read_day_first() {
        let d = parse_date("23/02/2026").expect("date");
        assert_eq!(format_date_vn(d), "23/02/2026");
        assert_eq!(parse_date("2026-02-23"), Some(d));
        assert_eq!(parse_date("31/02/2026"), None);
    }

    #[test]
    fn today_is_counted_in_vietnam_time() {
        let clock =
            ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 13, 18, 0, 0).single().expect("t"));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 2, 14).expect("d"));
    }
}

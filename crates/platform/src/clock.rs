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

/// An instant as people read it on every page, PDF and export: `HH:MM dd/mm/yyyy` in
/// Vietnam's time.
pub fn format_ts_vn(at: DateTime<Utc>) -> String {
    to_vn(at).format("%H:%M %d/%m/%Y").to_string()
}

/// A stored value as people read it: an instant (RFC 3339) as [`format_ts_vn`], a date
/// (`yyyy-mm-dd`) as [`format_date_vn`], anything else as it is.
pub fn local_text(s: &str) -> String {
    if let Some(at) = parse_ts(s) {
        return format_ts_vn(at);
    }
    match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        Ok(d) => format_date_vn(d),
        Err(_) => s.to_string(),
    }
}

/// The date of a stored instant or date, `dd/mm/yyyy`, in Vietnam's time; anything else as
/// it is.
pub fn local_date_text(s: &str) -> String {
    match parse_ts(s) {
        Some(at) => format_date_vn(to_vn(at).date_naive()),
        None => local_text(s),
    }
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
    fn people_read_stored_instants_in_vietnam_time_as_hours_minutes_then_the_date() {
        assert_eq!(local_text("2026-12-04T17:57:31.344150Z"), "00:57 05/12/2026");
        assert_eq!(local_text("2026-12-04T13:57:31+00:00"), "20:57 04/12/2026");
        assert_eq!(local_text("1985-09-02"), "02/09/1985");
        assert_eq!(local_text("không phải ngày"), "không phải ngày");
        assert_eq!(local_date_text("2026-12-04T17:57:31Z"), "05/12/2026");
    }

    #[test]
    fn today_is_counted_in_vietnam_time() {
        let clock =
            ManualClock::new(Utc.with_ymd_and_hms(2026, 2, 13, 18, 0, 0).single().expect("t"));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 2, 14).expect("d"));
    }
}

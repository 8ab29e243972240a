//! The askama filters templates print stored values through, so every page shows them the
//! way a person reads them: local time, the kind of a file in words, its size in kB. A
//! module brings them into scope of its template structs with `use cqdt_platform::filters;`
//! and writes `{{ e.at|local_time }}`, `{{ f.media_type|file_kind }}`, `{{ f.size|file_size }}`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::clock::{format_date_vn, format_ts_vn, local_date_text, local_text};

/// A value stored as time: text in the storage form, or a chrono value.
pub trait StoredTime {
    /// `HH:MM dd/mm/yyyy` (an instant) or `dd/mm/yyyy` (a date), Vietnam time; text that
    /// is neither as it is; nothing for nothing.
    fn local_time(&self) -> String;
    /// `dd/mm/yyyy` of an instant or a date, Vietnam time.
    fn local_date(&self) -> String;
}

impl StoredTime for str {
    fn local_time(&self) -> String {
        local_text(self)
    }
    fn local_date(&self) -> String {
        local_date_text(self)
    }
}

impl StoredTime for String {
    fn local_time(&self) -> String {
        local_text(self)
    }
    fn local_date(&self) -> String {
        local_date_text(self)
    }
}

impl StoredTime for DateTime<Utc> {
    fn local_time(&self) -> String {
        format_ts_vn(*self)
    }
    fn local_date(&self) -> String {
        format_date_vn(crate::clock::to_vn(*self).date_naive())
    }
}

impl StoredTime for NaiveDate {
    fn local_time(&self) -> String {
        format_date_vn(*self)
    }
    fn local_date(&self) -> String {
        format_date_vn(*self)
    }
}

impl<T: StoredTime> StoredTime for Option<T> {
    fn local_time(&self) -> String {
        self.as_ref().map(T::local_time).unwrap_or_default()
    }
    fn local_date(&self) -> String {
        self.as_ref().map(T::local_date).unwrap_or_default()
    }
}

impl<T: StoredTime + ?Sized> StoredTime for &T {
    fn local_time(&self) -> String {
        (**self).local_time()
    }
    fn local_date(&self) -> String {
        (**self).local_date()
    }
}

/// `{{ x|local_time }}`: an instant as `HH:MM dd/mm/yyyy`, a date as `dd/mm/yyyy`, Vietnam
/// time.
pub fn local_time<T: StoredTime>(v: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(v.local_time())
}

/// `{{ x|local_date }}`: the date of an instant or a date, `dd/mm/yyyy`, Vietnam time.
pub fn local_date<T: StoredTime>(v: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(v.local_date())
}

/// `{{ f.media_type|file_kind }}`: a stored MIME type as the kind of file a person names
/// ("PDF", "Ảnh JPEG"); "Tệp" for a type the platform does not know.
pub fn file_kind<T: AsRef<str>>(mime: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(kind_text(mime.as_ref()).to_string())
}

/// A MIME type as the kind of file a person names (see [`file_kind`]).
pub fn kind_text(mime: &str) -> &'static str {
    crate::MediaType::from_mime(mime).map(crate::MediaType::label_vi).unwrap_or("Tệp")
}

/// `{{ p|phone }}`: a Vietnamese phone number as people write it, `0912000123` rather
/// than the stored `+84912000123`.
pub fn phone<T: AsRef<str>>(raw: T, _: &dyn askama::Values) -> askama::Result<String> {
    Ok(phone_text(raw.as_ref()))
}

/// A phone number as people write it (see [`phone`]).
pub fn phone_text(raw: &str) -> String {
    match raw.strip_prefix("+84") {
        Some(rest) => format!("0{rest}"),
        None => raw.to_string(),
    }
}

/// `{{ f.size|file_size }}`: a size in bytes as people read it, in decimal units with a
/// decimal comma ("812 B", "11,3 kB", "2,5 MB").
pub fn file_size<T: std::borrow::Borrow<i64>>(
    bytes: T,
    _: &dyn askama::Values,
) -> askama::Result<String> {
    Ok(size_text(*bytes.borrow()))
}

/// A size in bytes as people read it (see [`file_size`]).
pub fn size_text(bytes: i64) -> String {
    if bytes < 1000 {
        return format!("{} B", bytes.max(0));
    }
    let units = ["kB", "MB", "GB", "TB"];
    let (mut value, mut i) = (bytes as f64 / 1e3, 0);
    // Rounded to one decimal, 999.95 would read "1000,0": the next unit reads better.
    while value >= 999.95 && i + 1 < units.len() {
        value /= 1e3;
        i += 1;
    }
    format!("{value:.1} {}", units[i]).replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_decimal_units_with_a_decimal_comma() {
        assert_eq!(size_text(812), "812 B");
        assert_eq!(size_text(11_300), "11,3 kB");
        assert_eq!(size_text(2_500_000), "2,5 MB");
        assert_eq!(size_text(999_999), "1,0 MB");
    }
}

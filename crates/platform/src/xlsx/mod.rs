//! A small Office Open XML spreadsheet (.xlsx) writer and reader, so that officials can edit
//! catalogs in Excel or LibreOffice. The writer makes plain workbooks (inline strings, numbers,
//! a bold frozen header row, column widths, drop-down lists); the reader takes what Excel,
//! LibreOffice and openpyxl write and returns every sheet's rows as text. Untrusted input:
//! the ZIP container is capped in entries and inflated size, CRCs are checked, XML has no DTD.

mod read;
#[cfg(test)]
mod tests;
mod write;
mod zip;

pub use read::{read, ReadSheet, Row, Workbook};
pub use write::{column_name, write, Cell, Column, Sheet};

/// Media type of an .xlsx workbook.
pub const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Most bytes the parts of one workbook may inflate to (and the most text its cells may hold).
pub const MAX_UNCOMPRESSED: u64 = 50 * 1024 * 1024;
/// Most entries a workbook's ZIP container may list.
pub const MAX_ENTRIES: usize = 10_000;
/// Most cells (gaps included) a workbook may return: bounds the memory a tiny sheet can claim.
const MAX_CELLS: usize = 2_000_000;
/// Most XML nodes one part may have: roxmltree keeps a tree, so bound it.
const MAX_NODES: u32 = 4_000_000;
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLS: u32 = 16_384;

const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// Why a workbook could not be written or read; messages are for the user, in Vietnamese.
#[derive(Debug, thiserror::Error)]
pub enum XlsxError {
    /// The bytes are not a ZIP container we can read.
    #[error("tệp không phải bảng tính .xlsx đọc được (cấu trúc ZIP hỏng: {0})")]
    Zip(String),
    /// A part's content does not match its checksum or size.
    #[error("tệp .xlsx bị hỏng: phần {0} không khớp kích thước hoặc mã kiểm tra")]
    Corrupt(String),
    /// The workbook inflates to more than the caps allow (a "zip bomb", or just too big).
    #[error("tệp .xlsx quá lớn khi giải nén ({0}); giới hạn là 50 MB và 2 triệu ô")]
    TooLarge(String),
    /// The ZIP container lists too many entries.
    #[error("tệp .xlsx có quá nhiều phần (hơn {MAX_ENTRIES})")]
    TooManyEntries,
    /// Encryption, ZIP64 or a compression method other than deflate.
    #[error("tệp .xlsx dùng tính năng không hỗ trợ: {0}")]
    Unsupported(String),
    /// A part the workbook needs is absent.
    #[error("tệp .xlsx thiếu phần {0}")]
    Missing(String),
    /// A part is not well-formed XML, or not the XML it should be.
    #[error("phần {part} của tệp .xlsx không đọc được: {message}")]
    Xml {
        /// Part name inside the container.
        part: String,
        /// What is wrong.
        message: String,
    },
    /// The sheets given to the writer cannot make a valid workbook.
    #[error("không tạo được bảng tính: {0}")]
    Write(String),
}

/// Escapes text for XML content or attributes. Characters XML 1.0 cannot carry, and text that
/// would read as one of their `_xHHHH_` escapes, use the escape of ECMA-376 (ST_Xstring).
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '_' && hex_escape(rest).is_some() {
            out.push_str("_x005F_");
        } else {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                // A literal CR would be normalised to LF by every XML parser.
                '\r' => out.push_str("&#13;"),
                '\t' | '\n' => out.push(c),
                c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                    out.push_str(&format!("_x{:04X}_", c as u32));
                }
                c => out.push(c),
            }
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The character of an `_xHHHH_` escape at the start of `s`, if there is one.
fn hex_escape(s: &str) -> Option<char> {
    let b = s.as_bytes();
    if b.len() < 7 || &b[..2] != b"_x" || b[6] != b'_' {
        return None;
    }
    let hex = s.get(2..6)?;
    if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

/// Reverses [`escape`]'s `_xHHHH_` escapes.
pub(super) fn unescape(s: &str) -> String {
    if !s.contains("_x") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if let Some(decoded) = (c == '_').then(|| hex_escape(rest)).flatten() {
            out.push(decoded);
            rest = &rest[7..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

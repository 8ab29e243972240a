//! Office Open XML spreadsheets (.xlsx), so that officials can edit catalogs and procedures
//! in Excel or LibreOffice: plain workbooks written with rust_xlsxwriter (text, numbers, a bold
//! frozen header row, column widths, drop-down lists), and every sheet's rows read as text with
//! calamine from what Excel, LibreOffice and openpyxl write. Uploaded files are untrusted: the
//! ZIP container is checked first with the zip crate (entries capped, every part's inflated
//! size and checksum verified, the total capped), and cells are capped as they stream.

mod container;
mod read;
#[cfg(test)]
mod tests;
mod write;

pub use read::{read, ReadSheet, Row, Workbook};
pub use write::{column_name, write, Cell, Column, Sheet};

/// Media type of an .xlsx workbook.
pub const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Most bytes all the parts of one workbook may inflate to (and the most text its cells may hold).
pub const MAX_UNCOMPRESSED: u64 = 50 * 1024 * 1024;
/// Most entries a workbook's ZIP container may list.
pub const MAX_ENTRIES: usize = 10_000;
/// Most cells (gaps included) a workbook may return: bounds the memory a tiny sheet can claim.
const MAX_CELLS: usize = 2_000_000;
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLS: u32 = 16_384;

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
    /// Encryption, or a compression method other than stored and deflate.
    #[error("tệp .xlsx dùng tính năng không hỗ trợ: {0}")]
    Unsupported(String),
    /// A readable ZIP container, but not a workbook (a .docx, an .odt, any other archive).
    #[error("tệp không phải bảng tính .xlsx (không có phần xl/workbook.xml)")]
    NotAWorkbook,
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

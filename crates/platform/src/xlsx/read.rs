//! Reading a workbook: every worksheet's rows as text, from what Excel, LibreOffice and
//! openpyxl write (shared and inline strings, numbers, booleans, formulas' cached values).
//! The container is checked first ([`super::container`]); calamine then parses the parts,
//! and its cells are streamed here one by one so that the cell caps hold.

use std::io::Cursor;

use calamine::{DataRef, Reader, SheetType, Xlsx};

use super::write::{Cell, Column, Sheet};
use super::{container, XlsxError, MAX_CELLS, MAX_COLS, MAX_ROWS, MAX_UNCOMPRESSED};

/// A row read from a sheet: its number (from 1) and its cells from column A, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Row number as the spreadsheet shows it.
    pub number: u32,
    /// Cells from column A; gaps are empty strings, trailing empty cells are dropped.
    pub cells: Vec<String>,
}

impl Row {
    /// The cell of a 0-based column, or "" when there is none.
    pub fn get(&self, column: usize) -> &str {
        self.cells.get(column).map(String::as_str).unwrap_or("")
    }
}

/// A sheet read from a workbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadSheet {
    /// Name, as the tab shows it.
    pub name: String,
    /// Rows that have at least one non-empty cell, in order.
    pub rows: Vec<Row>,
}

/// A workbook read from an .xlsx file: its worksheets in tab order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workbook {
    /// Worksheets (chart sheets and the like are left out).
    pub sheets: Vec<ReadSheet>,
}

impl Workbook {
    /// The sheet with this name (exact, else ignoring case and surrounding spaces).
    pub fn sheet(&self, name: &str) -> Option<&ReadSheet> {
        self.sheets.iter().find(|s| s.name == name).or_else(|| {
            let want = name.trim().to_lowercase();
            self.sheets.iter().find(|s| s.name.trim().to_lowercase() == want)
        })
    }

    /// The workbook as sheets to change and write again: each first row becomes the
    /// headers, the rest plain text cells.
    pub fn to_sheets(&self) -> Vec<Sheet> {
        self.sheets
            .iter()
            .map(|s| Sheet {
                name: s.name.clone(),
                columns: s
                    .rows
                    .first()
                    .map(|h| {
                        h.cells
                            .iter()
                            .map(|h| Column { header: h.clone(), ..Column::default() })
                            .collect()
                    })
                    .unwrap_or_default(),
                rows: s
                    .rows
                    .iter()
                    .skip(1)
                    .map(|r| r.cells.iter().map(|c| Cell::from(c.as_str())).collect())
                    .collect(),
            })
            .collect()
    }
}

/// A number as text: the shortest form that reads back as the same value, so that Excel's
/// `0.10000000000000001` reads as `0.1`.
fn number_text(v: f64) -> String {
    format!("{v}")
}

/// A cell's value as text, as the spreadsheet stores it: dates stay the serial numbers they
/// are (no format is applied), booleans are `TRUE`/`FALSE`, errors their `#` codes.
fn text_of(value: DataRef<'_>) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s,
        DataRef::SharedString(s) => s.to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(v) => number_text(v),
        DataRef::DateTime(d) => number_text(d.as_f64()),
        DataRef::Bool(b) => (if b { "TRUE" } else { "FALSE" }).to_string(),
        DataRef::Error(e) => e.to_string(),
    }
}

fn composed(text: String) -> String {
    match crate::web::nfc(&text) {
        std::borrow::Cow::Owned(c) => c,
        std::borrow::Cow::Borrowed(_) => text,
    }
}

/// What the cells read so far have cost, against [`MAX_CELLS`] and [`MAX_UNCOMPRESSED`].
#[derive(Default)]
struct Spent {
    cells: usize,
    bytes: u64,
}

fn parse_error(part: &str, e: calamine::XlsxError) -> XlsxError {
    match e {
        calamine::XlsxError::Zip(e) => XlsxError::Zip(e.to_string()),
        calamine::XlsxError::Io(e) => XlsxError::Zip(e.to_string()),
        calamine::XlsxError::Password => {
            XlsxError::Unsupported("tệp được mã hoá bằng mật khẩu".into())
        }
        calamine::XlsxError::FileNotFound(p) => XlsxError::Missing(p),
        calamine::XlsxError::WorksheetNotFound(n) => XlsxError::Missing(format!("trang “{n}”")),
        e => XlsxError::Xml { part: part.into(), message: e.to_string() },
    }
}

fn read_sheet(
    book: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    spent: &mut Spent,
) -> Result<Vec<Row>, XlsxError> {
    let part = format!("trang “{name}”");
    let bad = |message: &str| XlsxError::Xml { part: part.clone(), message: message.into() };
    let mut cells = book.worksheet_cells_reader(name).map_err(|e| parse_error(&part, e))?;
    let mut rows: Vec<Row> = Vec::new();
    while let Some(cell) = cells.next_cell().map_err(|e| parse_error(&part, e))? {
        let (row, col) = cell.get_position();
        if row >= MAX_ROWS {
            return Err(bad("số dòng vượt quá giới hạn của bảng tính"));
        }
        if col >= MAX_COLS {
            return Err(bad("quá nhiều cột"));
        }
        // Imported text is composed like every other text input (see `web::nfc`).
        let value = composed(text_of(cell.get_value().clone()));
        if value.is_empty() {
            continue;
        }
        // Cells arrive in the order of the sheet; a new row number starts a new row.
        let number = row + 1;
        if rows.last().is_none_or(|r| r.number != number) {
            rows.push(Row { number, cells: Vec::new() });
        }
        let Some(current) = rows.last_mut() else { continue };
        let col = col as usize;
        if col >= current.cells.len() {
            spent.cells += col + 1 - current.cells.len();
            current.cells.resize(col + 1, String::new());
        }
        spent.bytes += value.len() as u64;
        if spent.cells > MAX_CELLS || spent.bytes > MAX_UNCOMPRESSED {
            return Err(XlsxError::TooLarge(part));
        }
        current.cells[col] = value;
    }
    Ok(rows)
}

fn read_checked(bytes: &[u8]) -> Result<Workbook, XlsxError> {
    let mut book: Xlsx<_> =
        Xlsx::new(Cursor::new(bytes)).map_err(|e| parse_error("xl/workbook.xml", e))?;
    let names: Vec<String> = book
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect();
    let mut spent = Spent::default();
    let mut sheets = Vec::with_capacity(names.len());
    for name in names {
        let rows = read_sheet(&mut book, &name, &mut spent)?;
        sheets.push(ReadSheet { name: composed(name), rows });
    }
    Ok(Workbook { sheets })
}

/// Reads every worksheet of an .xlsx workbook (Excel, LibreOffice, openpyxl…) as text.
pub fn read(bytes: &[u8]) -> Result<Workbook, XlsxError> {
    container::check(bytes)?;
    // A parser bug (an arithmetic overflow on a hostile cell reference, say) must refuse the
    // file, not take the request down with it.
    std::panic::catch_unwind(|| read_checked(bytes)).unwrap_or_else(|_| {
        Err(XlsxError::Xml {
            part: "xl/workbook.xml".into(),
            message: "cấu trúc không đọc được".into(),
        })
    })
}

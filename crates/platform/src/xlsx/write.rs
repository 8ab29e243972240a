//! Writing a workbook with rust_xlsxwriter: text and numbers, a bold frozen header row,
//! column widths, text-formatted columns and drop-down lists. The output is reproducible:
//! the same sheets give the same bytes.

use rust_xlsxwriter::{
    DataValidation, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet,
};

use super::{XlsxError, MAX_COLS, MAX_ROWS};

/// A cell value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (line breaks allowed).
    Text(String),
    /// A number.
    Number(f64),
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

impl From<f64> for Cell {
    fn from(v: f64) -> Cell {
        Cell::Number(v)
    }
}

impl From<u32> for Cell {
    fn from(v: u32) -> Cell {
        Cell::Number(f64::from(v))
    }
}

/// A column of a sheet to write: its header, width and the values it offers.
#[derive(Debug, Clone, Default)]
pub struct Column {
    /// Header text (row 1, bold).
    pub header: String,
    /// Width in characters.
    pub width: f64,
    /// Formatted as text, so that what people type (codes like `1.000100`) stays as typed.
    pub text: bool,
    /// Values offered in a drop-down (no commas; joined at most 255 characters).
    pub choices: Vec<String>,
}

/// A sheet to write: a header row from the columns, then the rows.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    /// Name (at most 31 characters, none of `[]:*?/\`).
    pub name: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Data rows below the header.
    pub rows: Vec<Vec<Cell>>,
}

/// Most characters Excel keeps in one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column index.
pub fn column_name(index: u32) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = ((n - 1) % 26) as u8;
        out.push(b'A' + rem);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8_lossy(&out).into_owned()
}

fn check_sheet_name(name: &str, seen: &mut Vec<String>) -> Result<(), XlsxError> {
    let bad = name.trim().is_empty()
        || name.chars().count() > 31
        || name.starts_with('\'')
        || name.ends_with('\'')
        || name.contains(['[', ']', ':', '*', '?', '/', '\\']);
    if bad {
        return Err(XlsxError::Write(format!("tên trang “{name}” không hợp lệ")));
    }
    let lower = name.to_lowercase();
    if seen.contains(&lower) {
        return Err(XlsxError::Write(format!("tên trang “{name}” bị trùng")));
    }
    seen.push(lower);
    Ok(())
}

fn failed(e: rust_xlsxwriter::XlsxError) -> XlsxError {
    XlsxError::Write(e.to_string())
}

/// The formats of a sheet: the header row, body cells, and body cells of text columns.
struct Formats {
    header: Format,
    body: Format,
    text: Format,
}

impl Formats {
    fn new() -> Self {
        let body = Format::new().set_align(FormatAlign::Top).set_text_wrap();
        Formats { header: body.clone().set_bold(), text: body.clone().set_num_format("@"), body }
    }
}

fn check_choices(c: &Column) -> Result<(), XlsxError> {
    let joined = c.choices.join(",");
    if joined.chars().count() > 255 || c.choices.iter().any(|v| v.contains([',', '"'])) {
        return Err(XlsxError::Write(format!(
            "danh sách chọn của cột “{}” quá dài hoặc có dấu phẩy",
            c.header
        )));
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    (row, col): (u32, u16),
    cell: &Cell,
    format: &Format,
) -> Result<(), XlsxError> {
    let at = || format!("{}{}", column_name(u32::from(col)), row + 1);
    match cell {
        Cell::Empty => {}
        Cell::Text(t) if t.chars().count() > MAX_CELL_CHARS => {
            return Err(XlsxError::Write(format!(
                "ô {} dài quá {MAX_CELL_CHARS} ký tự (giới hạn của Excel)",
                at()
            )))
        }
        Cell::Text(t) => {
            ws.write_string_with_format(row, col, t, format).map_err(failed)?;
        }
        Cell::Number(v) if v.is_finite() => {
            ws.write_number_with_format(row, col, *v, format).map_err(failed)?;
        }
        Cell::Number(_) => {
            return Err(XlsxError::Write(format!("ô {} không phải một số hữu hạn", at())))
        }
    }
    Ok(())
}

fn add_sheet(book: &mut Workbook, sheet: &Sheet, formats: &Formats) -> Result<(), XlsxError> {
    let ncols = sheet.rows.iter().map(Vec::len).chain([sheet.columns.len()]).max().unwrap_or(0);
    if ncols > MAX_COLS as usize || sheet.rows.len() >= MAX_ROWS as usize {
        return Err(XlsxError::Write(format!("trang “{}” quá nhiều dòng hoặc cột", sheet.name)));
    }
    let ws = book.add_worksheet();
    ws.set_name(&sheet.name).map_err(failed)?;
    // The header stays visible while scrolling.
    ws.set_freeze_panes(1, 0).map_err(failed)?;
    for (i, c) in sheet.columns.iter().enumerate() {
        let col = i as u16;
        let width = if c.width > 0.0 { c.width.min(255.0) } else { 12.0 };
        ws.set_column_width(col, width).map_err(failed)?;
        let format = if c.text { &formats.text } else { &formats.body };
        ws.set_column_format(col, format).map_err(failed)?;
        write_cell(ws, (0, col), &Cell::Text(c.header.clone()), &formats.header)?;
        if !c.choices.is_empty() {
            check_choices(c)?;
            let list = DataValidation::new()
                .allow_list_strings(&c.choices)
                .and_then(|v| v.set_error_title("Giá trị không hợp lệ"))
                .and_then(|v| v.set_error_message("Chọn một giá trị trong danh sách."))
                .map_err(failed)?;
            ws.add_data_validation(1, col, MAX_ROWS - 1, col, &list).map_err(failed)?;
        }
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let text = sheet.columns.get(c).is_some_and(|col| col.text);
            let format = if text { &formats.text } else { &formats.body };
            write_cell(ws, (r as u32 + 1, c as u16), cell, format)?;
        }
    }
    Ok(())
}

/// Writes a workbook with these sheets, in order; the first is the one that opens.
pub fn write(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    if sheets.is_empty() {
        return Err(XlsxError::Write("bảng tính cần ít nhất một trang".into()));
    }
    let mut seen = Vec::new();
    for s in sheets {
        check_sheet_name(&s.name, &mut seen)?;
    }
    let mut book = Workbook::new();
    // A fixed creation date, so that the same sheets give the same bytes.
    let created = ExcelDateTime::from_ymd(2000, 1, 1).map_err(failed)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let formats = Formats::new();
    for s in sheets {
        add_sheet(&mut book, s, &formats)?;
    }
    book.save_to_buffer().map_err(failed)
}

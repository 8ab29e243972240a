//! A small Office Open XML spreadsheet (.xlsx) writer and reader, so that officials can edit
//! catalogs in Excel or LibreOffice. The writer makes plain workbooks (inline strings, numbers,
//! a bold frozen header row, column widths, drop-down lists); the reader takes what Excel,
//! LibreOffice and openpyxl write and returns every sheet's rows as text. Untrusted input:
//! the ZIP container is capped in entries and inflated size, CRCs are checked, XML has no DTD.

use std::collections::HashMap;
use std::io::{Read, Write};

use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};

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

// ---------------------------------------------------------------------------------------------
// Writing

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

/// Styles of `styles.xml`, by index.
const STYLE_HEADER: u8 = 1;
const STYLE_BODY: u8 = 2;
const STYLE_TEXT: u8 = 3;

const STYLES: &str = concat!(
    r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#,
    r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
    r#"<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>"#,
    r#"<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>"#,
    r#"<fills count="2"><fill><patternFill patternType="none"/></fill>"#,
    r#"<fill><patternFill patternType="gray125"/></fill></fills>"#,
    r#"<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"#,
    r#"<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>"#,
    r#"<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>"#,
    r#"<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>"#,
    r#"<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>"#,
    r#"<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>"#,
    r#"</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>"#,
    r#"</styleSheet>"#
);

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

/// Escapes text for XML content or attributes. Characters XML 1.0 cannot carry, and text that
/// would read as one of their `_xHHHH_` escapes, use the escape of ECMA-376 (ST_Xstring).
fn escape(s: &str) -> String {
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
                    out.push_str(&format!("_x{:04X}_", c as u32))
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
fn unescape(s: &str) -> String {
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

fn worksheet_xml(sheet: &Sheet, first: bool) -> Result<String, XlsxError> {
    let ncols = sheet
        .rows
        .iter()
        .map(Vec::len)
        .chain([sheet.columns.len(), 1])
        .max()
        .unwrap_or(1);
    if ncols > MAX_COLS as usize || sheet.rows.len() >= MAX_ROWS as usize {
        return Err(XlsxError::Write(format!(
            "trang “{}” quá nhiều dòng hoặc cột",
            sheet.name
        )));
    }
    let last = format!("{}{}", column_name(ncols as u32 - 1), sheet.rows.len() + 1);
    let mut x = String::new();
    x.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    x.push_str(&format!(
        r#"<worksheet xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><dimension ref="A1:{last}"/>"#
    ));
    // The header stays visible while scrolling.
    x.push_str(&format!(
        r#"<sheetViews><sheetView workbookViewId="0"{}><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>"#,
        if first { r#" tabSelected="1""# } else { "" }
    ));
    if !sheet.columns.is_empty() {
        x.push_str("<cols>");
        for (i, c) in sheet.columns.iter().enumerate() {
            let style = if c.text { STYLE_TEXT } else { STYLE_BODY };
            let width = if c.width > 0.0 {
                c.width.min(255.0)
            } else {
                12.0
            };
            x.push_str(&format!(
                r#"<col min="{n}" max="{n}" width="{width}" customWidth="1" style="{style}"/>"#,
                n = i + 1
            ));
        }
        x.push_str("</cols>");
    }
    x.push_str("<sheetData>");
    let header: Vec<Cell> = sheet
        .columns
        .iter()
        .map(|c| Cell::Text(c.header.clone()))
        .collect();
    for (r, row) in std::iter::once(&header).chain(&sheet.rows).enumerate() {
        x.push_str(&format!(r#"<row r="{}">"#, r + 1));
        for (c, cell) in row.iter().enumerate() {
            let style = if r == 0 {
                STYLE_HEADER
            } else if sheet.columns.get(c).is_some_and(|col| col.text) {
                STYLE_TEXT
            } else {
                STYLE_BODY
            };
            let at = format!("{}{}", column_name(c as u32), r + 1);
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => x.push_str(&format!(
                    r#"<c r="{at}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                    escape(t)
                )),
                Cell::Number(v) if v.is_finite() => {
                    x.push_str(&format!(r#"<c r="{at}" s="{style}"><v>{v}</v></c>"#))
                }
                Cell::Number(_) => {
                    return Err(XlsxError::Write(format!("ô {at} không phải một số hữu hạn")))
                }
            }
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData>");
    let lists: Vec<(usize, &Column)> = sheet
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.choices.is_empty())
        .collect();
    if !lists.is_empty() {
        x.push_str(&format!(r#"<dataValidations count="{}">"#, lists.len()));
        for (i, c) in lists {
            let joined = c.choices.join(",");
            if joined.chars().count() > 255 || c.choices.iter().any(|v| v.contains([',', '"'])) {
                return Err(XlsxError::Write(format!(
                    "danh sách chọn của cột “{}” quá dài hoặc có dấu phẩy",
                    c.header
                )));
            }
            let col = column_name(i as u32);
            x.push_str(&format!(
                r#"<dataValidation type="list" allowBlank="1" showErrorMessage="1" errorTitle="Giá trị không hợp lệ" error="Chọn một giá trị trong danh sách." sqref="{col}2:{col}{MAX_ROWS}"><formula1>"{}"</formula1></dataValidation>"#,
                escape(&joined)
            ));
        }
        x.push_str("</dataValidations>");
    }
    x.push_str(r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#);
    Ok(x)
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
    let head = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#;
    let mut types = format!(
        r#"{head}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#
    );
    let mut book = format!(
        r#"{head}<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><bookViews><workbookView activeTab="0"/></bookViews><sheets>"#
    );
    let mut rels = format!(r#"{head}<Relationships xmlns="{NS_PKG_REL}">"#);
    for (i, s) in sheets.iter().enumerate() {
        let n = i + 1;
        types.push_str(&format!(r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#));
        book.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            escape(&s.name)
        ));
        rels.push_str(&format!(r#"<Relationship Id="rId{n}" Type="{NS_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#));
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    rels.push_str(&format!(
        r#"<Relationship Id="rId{}" Type="{NS_REL}/styles" Target="styles.xml"/></Relationships>"#,
        sheets.len() + 1
    ));
    let root_rels = format!(
        r#"{head}<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
    );
    let mut zip = ZipWriter::default();
    zip.add("[Content_Types].xml", types.as_bytes())?;
    zip.add("_rels/.rels", root_rels.as_bytes())?;
    zip.add("xl/workbook.xml", book.as_bytes())?;
    zip.add("xl/_rels/workbook.xml.rels", rels.as_bytes())?;
    zip.add("xl/styles.xml", STYLES.as_bytes())?;
    for (i, s) in sheets.iter().enumerate() {
        let xml = worksheet_xml(s, i == 0)?;
        zip.add(&format!("xl/worksheets/sheet{}.xml", i + 1), xml.as_bytes())?;
    }
    zip.finish()
}

/// A ZIP archive being written in memory: local headers and data, then the central directory.
#[derive(Default)]
struct ZipWriter {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

fn u32_of(n: usize, what: &str) -> Result<u32, XlsxError> {
    u32::try_from(n).map_err(|_| XlsxError::Write(format!("{what} vượt quá 4 GB")))
}

impl ZipWriter {
    fn add(&mut self, name: &str, data: &[u8]) -> Result<(), XlsxError> {
        let mut crc = Crc::new();
        crc.update(data);
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
        let packed = enc
            .write_all(data)
            .and_then(|()| enc.finish())
            .map_err(|e| XlsxError::Write(e.to_string()))?;
        self.add_raw(name, 8, crc.sum(), &packed, data.len())
    }

    /// Adds an entry whose data is already compressed with `method`.
    fn add_raw(
        &mut self,
        name: &str,
        method: u16,
        crc: u32,
        packed: &[u8],
        size: usize,
    ) -> Result<(), XlsxError> {
        let offset = u32_of(self.out.len(), "bảng tính")?;
        let (csize, usize_) = (u32_of(packed.len(), name)?, u32_of(size, name)?);
        let name_len = u16::try_from(name.len()).map_err(|_| XlsxError::Write(name.into()))?;
        // version 2.0, flags 0, method, time 00:00, date 1980-01-01 (reproducible output)
        let common = |b: &mut Vec<u8>| {
            for v in [20u16, 0, method, 0, 0x21] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            for v in [crc, csize, usize_] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(&name_len.to_le_bytes());
            b.extend_from_slice(&0u16.to_le_bytes()); // extra field length
        };
        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(packed);
        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // made by: version 2.0
        common(&mut self.central);
        // comment length, disk, internal attributes, external attributes, local header offset
        for v in [0u16, 0, 0] {
            self.central.extend_from_slice(&v.to_le_bytes());
        }
        self.central.extend_from_slice(&0u32.to_le_bytes());
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries = self
            .entries
            .checked_add(1)
            .ok_or_else(|| XlsxError::Write("quá nhiều phần".into()))?;
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        let offset = u32_of(self.out.len(), "bảng tính")?;
        let size = u32_of(self.central.len(), "bảng tính")?;
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, self.entries, self.entries] {
            self.out.extend_from_slice(&v.to_le_bytes());
        }
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&offset.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        Ok(self.out)
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

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
            self.sheets
                .iter()
                .find(|s| s.name.trim().to_lowercase() == want)
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
                            .map(|h| Column {
                                header: h.clone(),
                                ..Column::default()
                            })
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

struct Entry {
    flags: u16,
    method: u16,
    crc: u32,
    csize: u64,
    size: u64,
    offset: u64,
}

fn le16(b: &[u8], at: usize) -> Result<u16, XlsxError> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| XlsxError::Zip("dữ liệu bị cắt cụt".into()))
}

fn le32(b: &[u8], at: usize) -> Result<u32, XlsxError> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| XlsxError::Zip("dữ liệu bị cắt cụt".into()))
}

/// The ZIP container: its central directory, and what is left of the inflation budget.
struct Archive<'a> {
    data: &'a [u8],
    entries: HashMap<String, Entry>,
    budget: u64,
}

impl<'a> Archive<'a> {
    fn open(data: &'a [u8]) -> Result<Self, XlsxError> {
        // The end record is the last thing in the file, followed by at most a 64 KB comment.
        let min_start = data.len().saturating_sub(22 + 65_535);
        let end = (min_start..=data.len().saturating_sub(22))
            .rev()
            .find(|&i| data.len() >= 22 && data[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
            .ok_or_else(|| XlsxError::Zip("không có bản ghi kết thúc".into()))?;
        let count = le16(data, end + 10)?;
        let cd_offset = le32(data, end + 16)?;
        if count == 0xFFFF || cd_offset == 0xFFFF_FFFF {
            return Err(XlsxError::Unsupported("ZIP64".into()));
        }
        if usize::from(count) > MAX_ENTRIES {
            return Err(XlsxError::TooManyEntries);
        }
        let mut entries = HashMap::new();
        let mut at = cd_offset as usize;
        for _ in 0..count {
            if le32(data, at)? != 0x0201_4b50 {
                return Err(XlsxError::Zip("thư mục trung tâm hỏng".into()));
            }
            let name_len = usize::from(le16(data, at + 28)?);
            let extra_len = usize::from(le16(data, at + 30)?);
            let comment_len = usize::from(le16(data, at + 32)?);
            let name = data
                .get(at + 46..at + 46 + name_len)
                .ok_or_else(|| XlsxError::Zip("tên phần bị cắt cụt".into()))?;
            let name = String::from_utf8_lossy(name).replace('\\', "/");
            let entry = Entry {
                flags: le16(data, at + 8)?,
                method: le16(data, at + 10)?,
                crc: le32(data, at + 16)?,
                csize: u64::from(le32(data, at + 20)?),
                size: u64::from(le32(data, at + 24)?),
                offset: u64::from(le32(data, at + 42)?),
            };
            // Part names are case-insensitive (OPC).
            entries.insert(name.trim_start_matches('/').to_lowercase(), entry);
            at += 46 + name_len + extra_len + comment_len;
        }
        Ok(Archive {
            data,
            entries,
            budget: MAX_UNCOMPRESSED,
        })
    }

    /// Inflates one part, within the budget, and checks its size and CRC-32.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, XlsxError> {
        let Some(e) = self.entries.get(&name.to_lowercase()) else {
            return Ok(None);
        };
        if e.flags & 1 != 0 {
            return Err(XlsxError::Unsupported(
                "tệp được mã hoá bằng mật khẩu".into(),
            ));
        }
        if e.size > self.budget {
            return Err(XlsxError::TooLarge(format!("phần {name}")));
        }
        let local = e.offset as usize;
        if le32(self.data, local)? != 0x0403_4b50 {
            return Err(XlsxError::Zip(format!("đầu phần {name} hỏng")));
        }
        let start = local
            + 30
            + usize::from(le16(self.data, local + 26)?)
            + usize::from(le16(self.data, local + 28)?);
        let packed = start
            .checked_add(e.csize as usize)
            .and_then(|stop| self.data.get(start..stop))
            .ok_or_else(|| XlsxError::Zip(format!("phần {name} bị cắt cụt")))?;
        let mut out = Vec::new();
        match e.method {
            0 => out.extend_from_slice(packed),
            8 => {
                // Never trust the declared size: stop one byte past the budget.
                DeflateDecoder::new(packed)
                    .take(self.budget + 1)
                    .read_to_end(&mut out)
                    .map_err(|_| XlsxError::Corrupt(name.into()))?;
            }
            m => return Err(XlsxError::Unsupported(format!("cách nén số {m}"))),
        }
        if out.len() as u64 > self.budget {
            return Err(XlsxError::TooLarge(format!("phần {name}")));
        }
        let mut crc = Crc::new();
        crc.update(&out);
        if out.len() as u64 != e.size || crc.sum() != e.crc {
            return Err(XlsxError::Corrupt(name.into()));
        }
        self.budget -= out.len() as u64;
        Ok(Some(out))
    }
}

fn xml_text(part: &str, bytes: &[u8]) -> Result<String, XlsxError> {
    let text = std::str::from_utf8(bytes).map_err(|_| XlsxError::Xml {
        part: part.into(),
        message: "không phải UTF-8".into(),
    })?;
    Ok(text.trim_start_matches('\u{FEFF}').to_string())
}

fn parse_xml<'t>(part: &str, text: &'t str) -> Result<roxmltree::Document<'t>, XlsxError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| XlsxError::Xml {
        part: part.into(),
        message: e.to_string(),
    })
}

fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

/// Resolves a relationship target against the folder of the part that names it.
fn resolve(base_part: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(abs) => abs.to_string(),
        None => match base_part.rfind('/') {
            Some(i) => format!("{}/{target}", &base_part[..i]),
            None => target.to_string(),
        },
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The relationships of a part: id → (type, resolved target).
fn relationships(
    zip: &mut Archive,
    part: &str,
) -> Result<HashMap<String, (String, String)>, XlsxError> {
    let rels_part = match part.rfind('/') {
        Some(i) => format!("{}/_rels/{}.rels", &part[..i], &part[i + 1..]),
        None => format!("_rels/{part}.rels"),
    };
    let Some(bytes) = zip.read(&rels_part)? else {
        return Ok(HashMap::new());
    };
    let text = xml_text(&rels_part, &bytes)?;
    let doc = parse_xml(&rels_part, &text)?;
    Ok(elements(doc.root_element(), "Relationship")
        .filter(|r| r.attribute("TargetMode") != Some("External"))
        .filter_map(|r| {
            let target = resolve(part, r.attribute("Target")?);
            Some((
                r.attribute("Id")?.to_string(),
                (r.attribute("Type")?.to_string(), target),
            ))
        })
        .collect())
}

/// The text of a shared string or inline string: its `t`, or its runs' `t`s; phonetic
/// guides (`rPh`) are not part of the text.
fn rich_text(node: roxmltree::Node) -> String {
    let mut out = String::new();
    for c in node.children().filter(|c| c.is_element()) {
        match c.tag_name().name() {
            "t" => out.push_str(c.text().unwrap_or("")),
            "r" => elements(c, "t").for_each(|t| out.push_str(t.text().unwrap_or(""))),
            _ => {}
        }
    }
    unescape(&out)
}

/// Splits `BC12` into the 0-based column and the row number.
fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r.bytes().take(letters).fold(0u32, |acc, b| {
        acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = r[letters..].parse::<u32>().ok()?;
    ((1..=MAX_COLS).contains(&col) && (1..=MAX_ROWS).contains(&row)).then_some((col - 1, row))
}

/// A number as text: the shortest form that reads back as the same value, so that Excel's
/// `0.10000000000000001` reads as `0.1`.
fn number_text(raw: &str) -> String {
    match raw.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => format!("{v}"),
        _ => raw.trim().to_string(),
    }
}

/// What the cells read so far have cost, against [`MAX_CELLS`] and [`MAX_UNCOMPRESSED`].
#[derive(Default)]
struct Spent {
    cells: usize,
    bytes: u64,
}

fn read_sheet(
    part: &str,
    text: &str,
    shared: &[String],
    spent: &mut Spent,
) -> Result<Vec<Row>, XlsxError> {
    let doc = parse_xml(part, text)?;
    let bad = |message: String| XlsxError::Xml {
        part: part.into(),
        message,
    };
    let Some(data) = elements(doc.root_element(), "sheetData").next() else {
        return Ok(Vec::new());
    };
    let mut rows = Vec::new();
    let mut row_number = 0u32;
    for row in elements(data, "row") {
        row_number = match row.attribute("r") {
            Some(r) => r
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_ROWS).contains(n))
                .ok_or_else(|| bad(format!("số dòng “{r}” không hợp lệ")))?,
            None => row_number + 1,
        };
        let mut cells: Vec<String> = Vec::new();
        let mut next_col = 0usize;
        for c in elements(row, "c") {
            // Without a reference, a cell is the one after the previous cell.
            let col = match c.attribute("r") {
                Some(r) => match cell_ref(r) {
                    Some((col, _)) => col as usize,
                    None => return Err(bad(format!("địa chỉ ô “{r}” không hợp lệ"))),
                },
                None => next_col,
            };
            next_col = col + 1;
            if col >= MAX_COLS as usize {
                return Err(bad("quá nhiều cột".into()));
            }
            let v = elements(c, "v").next().and_then(|v| v.text()).unwrap_or("");
            let value = match c.attribute("t").unwrap_or("n") {
                "s" => {
                    let i = v.trim().parse::<usize>().ok();
                    i.and_then(|i| shared.get(i))
                        .cloned()
                        .ok_or_else(|| bad(format!("chuỗi dùng chung số “{v}” không có")))?
                }
                "inlineStr" => elements(c, "is").next().map(rich_text).unwrap_or_default(),
                "str" => unescape(v),
                "b" => (if v.trim() == "1" { "TRUE" } else { "FALSE" }).to_string(),
                "e" | "d" => v.to_string(),
                _ if v.is_empty() => String::new(),
                _ => number_text(v),
            };
            if value.is_empty() {
                continue;
            }
            if col >= cells.len() {
                spent.cells += col + 1 - cells.len();
                cells.resize(col + 1, String::new());
            }
            spent.bytes += value.len() as u64;
            if spent.cells > MAX_CELLS || spent.bytes > MAX_UNCOMPRESSED {
                return Err(XlsxError::TooLarge(format!("trang {part}")));
            }
            cells[col] = value;
        }
        if !cells.is_empty() {
            rows.push(Row {
                number: row_number,
                cells,
            });
        }
    }
    Ok(rows)
}

/// Reads every worksheet of an .xlsx workbook (Excel, LibreOffice, openpyxl…) as text.
pub fn read(bytes: &[u8]) -> Result<Workbook, XlsxError> {
    let mut zip = Archive::open(bytes)?;
    let root = relationships(&mut zip, "")?;
    let book_part = root
        .values()
        .find(|(kind, _)| kind.ends_with("/officeDocument"))
        .map(|(_, target)| target.clone())
        .unwrap_or_else(|| "xl/workbook.xml".into());
    let book_bytes = zip
        .read(&book_part)?
        .ok_or_else(|| XlsxError::Missing(book_part.clone()))?;
    let rels = relationships(&mut zip, &book_part)?;
    let mut shared = Vec::new();
    let shared_part = rels
        .values()
        .find(|(kind, _)| kind.ends_with("/sharedStrings"))
        .map(|(_, t)| t.clone())
        .unwrap_or_else(|| "xl/sharedStrings.xml".into());
    if let Some(b) = zip.read(&shared_part)? {
        let text = xml_text(&shared_part, &b)?;
        let doc = parse_xml(&shared_part, &text)?;
        shared = elements(doc.root_element(), "si").map(rich_text).collect();
    }
    let book_text = xml_text(&book_part, &book_bytes)?;
    let book = parse_xml(&book_part, &book_text)?;
    let mut sheets = Vec::new();
    let mut spent = Spent::default();
    let listed = elements(book.root_element(), "sheets").flat_map(|s| elements(s, "sheet"));
    for s in listed {
        let name = s.attribute("name").unwrap_or("").to_string();
        // r:id, in the transitional or the strict namespace.
        let id = s
            .attributes()
            .find(|a| a.name() == "id" && a.namespace().is_some())
            .map(|a| a.value().to_string())
            .unwrap_or_default();
        let Some((kind, target)) = rels.get(&id) else {
            return Err(XlsxError::Missing(format!("trang “{name}”")));
        };
        if !kind.ends_with("/worksheet") {
            continue;
        }
        let bytes = zip
            .read(target)?
            .ok_or_else(|| XlsxError::Missing(target.clone()))?;
        let text = xml_text(target, &bytes)?;
        let rows = read_sheet(target, &text, &shared, &mut spent)?;
        sheets.push(ReadSheet { name, rows });
    }
    Ok(Workbook { sheets })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(header: &str) -> Column {
        Column {
            header: header.into(),
            width: 20.0,
            ..Column::default()
        }
    }

    fn texts(rows: &[Row]) -> Vec<Vec<&str>> {
        rows.iter()
            .map(|r| r.cells.iter().map(String::as_str).collect())
            .collect()
    }

    #[test]
    fn a_written_workbook_reads_back_the_same() {
        let tricky = "Sở Tư pháp & \"UBND\" <cấp xã>\nDòng hai\r\n  _x0041_ \u{1}";
        let sheets = vec![
            Sheet {
                name: "Thủ tục".into(),
                columns: vec![col("Mã"), col("Tên"), col("Phí (đồng)")],
                rows: vec![
                    vec!["1.001193".into(), tricky.into(), 200_000u32.into()],
                    vec!["1.000656".into(), Cell::Empty, 0.1f64.into()],
                ],
            },
            Sheet {
                name: "Biểu mẫu điện tử".into(),
                columns: vec![Column {
                    choices: vec!["Có".into(), "Không".into()],
                    text: true,
                    ..col("Bắt buộc")
                }],
                rows: vec![vec!["Có".into()]],
            },
        ];
        let bytes = write(&sheets).expect("write");
        let book = read(&bytes).expect("read");
        assert_eq!(book.sheets.len(), 2);
        let first = book.sheet("Thủ tục").expect("sheet");
        assert_eq!(
            texts(&first.rows),
            vec![
                vec!["Mã", "Tên", "Phí (đồng)"],
                vec!["1.001193", tricky, "200000"],
                vec!["1.000656", "", "0.1"],
            ]
        );
        assert_eq!(first.rows[2].number, 3);
        assert_eq!(
            book.sheet("biểu mẫu điện tử").map(|s| s.rows.len()),
            Some(2)
        );
        assert_eq!(write(&sheets).expect("again"), bytes, "reproducible");
    }

    #[test]
    fn sheet_names_excel_refuses_are_refused() {
        for name in ["", "a/b", "x".repeat(32).as_str()] {
            let s = Sheet {
                name: name.into(),
                ..Sheet::default()
            };
            assert!(matches!(write(&[s]), Err(XlsxError::Write(_))), "{name}");
        }
    }

    /// A workbook with one hand-written sheet, as other programs write them.
    fn with_sheet(sheet_xml: &str, shared: Option<&str>) -> Vec<u8> {
        let mut z = ZipWriter::default();
        let rels = format!(
            r#"<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId1" Type="{NS_REL}/officeDocument" Target="/xl/workbook.xml"/></Relationships>"#
        );
        let book = format!(
            r#"<workbook xmlns="{NS_MAIN}" xmlns:r="{NS_REL}"><sheets><sheet name="Dữ liệu" sheetId="7" r:id="rId3"/></sheets></workbook>"#
        );
        let book_rels = format!(
            r#"<Relationships xmlns="{NS_PKG_REL}"><Relationship Id="rId3" Type="{NS_REL}/worksheet" Target="worksheets/../worksheets/data.xml"/><Relationship Id="rId4" Type="{NS_REL}/sharedStrings" Target="strings.xml"/></Relationships>"#
        );
        z.add("_rels/.rels", rels.as_bytes()).expect("zip");
        z.add("xl/workbook.xml", book.as_bytes()).expect("zip");
        z.add("xl/_rels/workbook.xml.rels", book_rels.as_bytes())
            .expect("zip");
        let sheet = format!(
            r#"<worksheet xmlns="{NS_MAIN}"><sheetData>{sheet_xml}</sheetData></worksheet>"#
        );
        z.add("xl/worksheets/data.xml", sheet.as_bytes())
            .expect("zip");
        if let Some(s) = shared {
            let sst = format!(r#"<sst xmlns="{NS_MAIN}">{s}</sst>"#);
            z.add("xl/strings.xml", sst.as_bytes()).expect("zip");
        }
        z.finish().expect("zip")
    }

    #[test]
    fn shared_strings_booleans_formulas_and_gaps_are_read() {
        let bytes = with_sheet(
            concat!(
                r#"<row r="2"><c r="A2" t="s"><v>1</v></c><c r="C2" t="b"><v>1</v></c>"#,
                r#"<c r="E2" t="str"><f>A1</f><v>Nước &amp; "điện"</v></c></row>"#,
                r#"<row><c t="s"><v>0</v></c><c/><c><v>1.0011930000000001</v></c><c t="inlineStr"><is><r><t>Hộ </t></r><r><t>tịch</t></r></is></c></row>"#,
                r#"<row r="9"><c r="B9" s="3"/></row>"#
            ),
            Some(
                r#"<si><t>Cấp xã</t></si><si><r><t>Sóc</t></r><r><t xml:space="preserve"> Trăng</t></r><rPh><t>x</t></rPh></si>"#,
            ),
        );
        let book = read(&bytes).expect("read");
        let s = book.sheet("Dữ liệu").expect("sheet");
        assert_eq!(
            texts(&s.rows),
            vec![
                vec!["Sóc Trăng", "", "TRUE", "", "Nước & \"điện\""],
                vec!["Cấp xã", "", "1.001193", "Hộ tịch"],
            ]
        );
        assert_eq!((s.rows[0].number, s.rows[1].number), (2, 3));
    }

    #[test]
    fn a_corrupted_file_is_refused() {
        let good = write(&[Sheet {
            name: "A".into(),
            columns: vec![col("x")],
            rows: vec![vec!["một dòng dữ liệu".into()]],
        }])
        .expect("write");
        assert!(matches!(read(b"not a zip at all"), Err(XlsxError::Zip(_))));
        assert!(matches!(
            read(&good[..good.len() / 2]),
            Err(XlsxError::Zip(_))
        ));
        // Flip one byte inside the last part's compressed data.
        let mut bad = good.clone();
        let at = bad
            .windows(4)
            .rposition(|w| w == [0x50, 0x4b, 0x03, 0x04])
            .expect("local header")
            + 30
            + "xl/worksheets/sheet1.xml".len()
            + 5;
        bad[at] ^= 0xFF;
        assert!(
            matches!(read(&bad), Err(XlsxError::Corrupt(_))),
            "{:?}",
            read(&bad)
        );
        let text = read(&bad).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("bị hỏng"), "{text}");
        let broken = with_sheet("<row><c><v>1</v></row>", None);
        assert!(matches!(read(&broken), Err(XlsxError::Xml { .. })));
    }

    #[test]
    fn a_zip_bomb_is_refused() {
        // 60 MB of zeros deflate to about 60 KB; the entry claims to hold 1 KB.
        let mut enc = DeflateEncoder::new(Vec::new(), Compression::fast());
        let chunk = vec![0u8; 1 << 20];
        let mut crc = Crc::new();
        for _ in 0..60 {
            enc.write_all(&chunk).expect("deflate");
            crc.update(&chunk);
        }
        let packed = enc.finish().expect("deflate");
        assert!(packed.len() < 1 << 20);
        let mut z = ZipWriter::default();
        z.add_raw("xl/workbook.xml", 8, crc.sum(), &packed, 1024)
            .expect("zip");
        let bomb = z.finish().expect("zip");
        let e = read(&bomb).expect_err("bomb");
        assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
        // Honest about its size, it is refused before inflating anything.
        let mut z = ZipWriter::default();
        z.add_raw("xl/workbook.xml", 8, crc.sum(), &packed, 60 << 20)
            .expect("zip");
        let e = read(&z.finish().expect("zip")).expect_err("bomb");
        assert!(matches!(e, XlsxError::TooLarge(_)), "{e:?}");
    }

    #[test]
    fn too_many_entries_are_refused() {
        let mut z = ZipWriter::default();
        for i in 0..=MAX_ENTRIES {
            z.add_raw(&format!("p{i}"), 0, 0, &[], 0).expect("zip");
        }
        let e = read(&z.finish().expect("zip")).expect_err("entries");
        assert!(matches!(e, XlsxError::TooManyEntries), "{e:?}");
    }

    #[test]
    fn column_names_follow_excel() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(16_383), "XFD");
        assert_eq!(cell_ref("XFD1048576"), Some((16_383, 1_048_576)));
        assert_eq!(cell_ref("AB7"), Some((27, 7)));
        assert_eq!(cell_ref("7"), None);
    }
}

//! Writing a workbook: sheets of inline strings and numbers, a bold frozen header row,
//! column widths and drop-down lists, in a ZIP container made here.

use super::zip::ZipWriter;
use super::{escape, XlsxError, MAX_COLS, MAX_ROWS, NS_MAIN, NS_PKG_REL, NS_REL};

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
    let ncols = sheet.rows.iter().map(Vec::len).chain([sheet.columns.len(), 1]).max().unwrap_or(1);
    if ncols > MAX_COLS as usize || sheet.rows.len() >= MAX_ROWS as usize {
        return Err(XlsxError::Write(format!("trang “{}” quá nhiều dòng hoặc cột", sheet.name)));
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
            let width = if c.width > 0.0 { c.width.min(255.0) } else { 12.0 };
            x.push_str(&format!(
                r#"<col min="{n}" max="{n}" width="{width}" customWidth="1" style="{style}"/>"#,
                n = i + 1
            ));
        }
        x.push_str("</cols>");
    }
    x.push_str("<sheetData>");
    let header: Vec<Cell> = sheet.columns.iter().map(|c| Cell::Text(c.header.clone())).collect();
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
                    x.push_str(&format!(r#"<c r="{at}" s="{style}"><v>{v}</v></c>"#));
                }
                Cell::Number(_) => {
                    return Err(XlsxError::Write(format!("ô {at} không phải một số hữu hạn")))
                }
            }
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData>");
    let lists: Vec<(usize, &Column)> =
        sheet.columns.iter().enumerate().filter(|(_, c)| !c.choices.is_empty()).collect();
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

//! Reading a workbook: every worksheet's rows as text, from what Excel, LibreOffice and
//! openpyxl write (shared and inline strings, numbers, booleans, formulas' cached values).

use std::collections::HashMap;

use super::write::{Cell, Column, Sheet};
use super::zip::Archive;
use super::{unescape, XlsxError, MAX_CELLS, MAX_COLS, MAX_NODES, MAX_ROWS, MAX_UNCOMPRESSED};

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

fn xml_text(part: &str, bytes: &[u8]) -> Result<String, XlsxError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| XlsxError::Xml { part: part.into(), message: "không phải UTF-8".into() })?;
    Ok(text.trim_start_matches('\u{FEFF}').to_string())
}

fn parse_xml<'t>(part: &str, text: &'t str) -> Result<roxmltree::Document<'t>, XlsxError> {
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES };
    roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| XlsxError::Xml { part: part.into(), message: e.to_string() })
}

fn elements<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
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
            Some((r.attribute("Id")?.to_string(), (r.attribute("Type")?.to_string(), target)))
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
pub(super) fn cell_ref(r: &str) -> Option<(u32, u32)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r
        .bytes()
        .take(letters)
        .fold(0u32, |acc, b| acc * 26 + u32::from(b.to_ascii_uppercase() - b'A' + 1));
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
    let bad = |message: String| XlsxError::Xml { part: part.into(), message };
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
            rows.push(Row { number: row_number, cells });
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
    let book_bytes = zip.read(&book_part)?.ok_or_else(|| XlsxError::Missing(book_part.clone()))?;
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
        let bytes = zip.read(target)?.ok_or_else(|| XlsxError::Missing(target.clone()))?;
        let text = xml_text(target, &bytes)?;
        let rows = read_sheet(target, &text, &shared, &mut spent)?;
        sheets.push(ReadSheet { name, rows });
    }
    Ok(Workbook { sheets })
}

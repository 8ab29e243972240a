//! Input rows: raw rows read from CSV or JSON files, and the check of one row against a
//! catalog's metadata.

use chrono::NaiveDate;
use serde_json::{Map, Value};

use super::{parse_date, CatalogMeta, EntryInput, FieldType, RowError};

/// One input row before checking: text values by column name.
pub type RawRow = Map<String, Value>;

fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        other => Some(other.to_string()),
    }
}

/// Column names that are entry columns, never keys of an entry's extra data.
pub const RESERVED: [&str; 7] =
    ["code", "name", "parent", "valid_from", "valid_to", "sample", "data"];

/// Checks one row against a catalog's metadata; `row` numbers the errors.
pub fn check_row(
    meta: &CatalogMeta,
    row: usize,
    raw: &RawRow,
) -> Result<EntryInput, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| {
        errors.push(RowError { row, field: field.into(), message });
    };
    let code = raw.get("code").and_then(text).unwrap_or_default();
    if let Err(m) = meta.code_kind.check(&code) {
        err("code", m);
    }
    let name = raw.get("name").and_then(text).unwrap_or_default();
    if name.is_empty() {
        err("name", "thiếu tên".into());
    } else if name.chars().count() > 300 {
        err("name", "tên dài quá 300 ký tự".into());
    }
    let parent = raw.get("parent").and_then(text);
    if let Some(p) = &parent {
        if let Err(m) = meta.code_kind.check(p) {
            err("parent", format!("mã cha: {m}"));
        } else if *p == code {
            err("parent", "mã cha không được trùng mã của chính nó".into());
        }
    }
    let mut date = |field: &str| -> Option<NaiveDate> {
        let s = raw.get(field).and_then(text)?;
        let d = parse_date(&s);
        if d.is_none() {
            err(field, format!("ngày “{s}” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"));
        }
        d
    };
    let valid_from = date("valid_from");
    let valid_to = date("valid_to");
    if let (Some(f), Some(t)) = (valid_from, valid_to) {
        if f >= t {
            errors.push(RowError {
                row,
                field: "valid_to".into(),
                message: "ngày hết hiệu lực phải sau ngày có hiệu lực".into(),
            });
        }
    }
    let sample = raw.get("sample").is_some_and(|v| {
        matches!(v, Value::Bool(true)) || text(v).is_some_and(|t| t == "true" || t == "1")
    });
    // Extra fields may come at the top level (CSV columns) or under "data" (JSON).
    let mut given: Map<String, Value> = raw
        .iter()
        .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(Value::Object(d)) = raw.get("data") {
        for (k, v) in d {
            given.insert(k.clone(), v.clone());
        }
    }
    let mut data = Map::new();
    for f in &meta.fields {
        let value = given.remove(&f.name).unwrap_or(Value::Null);
        let t = text(&value);
        match (f.kind, t) {
            (_, None) if f.required => errors.push(RowError {
                row,
                field: f.name.clone(),
                message: format!("thiếu “{}”", f.label),
            }),
            (_, None) => {}
            (FieldType::String, Some(s)) => {
                data.insert(f.name.clone(), Value::String(s));
            }
            (FieldType::Integer, Some(s)) => match s.parse::<i64>() {
                Ok(n) => {
                    data.insert(f.name.clone(), Value::from(n));
                }
                Err(_) => errors.push(RowError {
                    row,
                    field: f.name.clone(),
                    message: format!("“{}” phải là số nguyên, không phải “{s}”", f.label),
                }),
            },
            (FieldType::Date, Some(s)) => match parse_date(&s) {
                Some(d) => {
                    data.insert(f.name.clone(), Value::String(d.format("%Y-%m-%d").to_string()));
                }
                None => errors.push(RowError {
                    row,
                    field: f.name.clone(),
                    message: format!("“{}” phải là ngày, không phải “{s}”", f.label),
                }),
            },
            (FieldType::Boolean, Some(s)) => match s.as_str() {
                "true" | "1" | "có" => {
                    data.insert(f.name.clone(), Value::Bool(true));
                }
                "false" | "0" | "không" => {
                    data.insert(f.name.clone(), Value::Bool(false));
                }
                _ => errors.push(RowError {
                    row,
                    field: f.name.clone(),
                    message: format!("“{}” phải là true hoặc false, không phải “{s}”", f.label),
                }),
            },
        }
    }
    for unknown in given.keys() {
        errors.push(RowError {
            row,
            field: unknown.clone(),
            message: format!("cột “{unknown}” không có trong danh mục {}", meta.code),
        });
    }
    if errors.is_empty() {
        Ok(EntryInput { code, name, parent, data, valid_from, valid_to, sample })
    } else {
        Err(errors)
    }
}

/// Reads CSV (UTF-8, optional BOM, header row; `,` or `;` between columns) into raw rows.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let fail = |row: usize, message: String| RowError { row, field: String::new(), message };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        fail(
            0,
            format!(
                "tệp không phải văn bản UTF-8 (byte lỗi ở vị trí {}); hãy lưu lại tệp CSV với bảng mã UTF-8",
                e.valid_up_to()
            ),
        )
    })?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if !first_line.contains(',') && first_line.contains(';') { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| fail(0, format!("không đọc được dòng tiêu đề CSV: {e}")))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    if !headers.iter().any(|h| h == "code") || !headers.iter().any(|h| h == "name") {
        return Err(fail(0, "tệp CSV phải có cột “code” và “name” ở dòng tiêu đề".into()));
    }
    if let Some((i, h)) = headers.iter().enumerate().find(|(i, h)| headers[..*i].contains(h)) {
        return Err(fail(
            0,
            format!("cột “{h}” xuất hiện hai lần ở dòng tiêu đề (cột thứ {})", i + 1),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let why = match e.kind() {
                csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                    format!("có {len} cột, dòng tiêu đề có {expected_len}")
                }
                _ => e.to_string(),
            };
            fail(i + 1, format!("dòng CSV không hợp lệ: {why}"))
        })?;
        let mut row = Map::new();
        for (h, v) in headers.iter().zip(record.iter()) {
            row.insert(h.clone(), Value::String(v.to_string()));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// Reads a JSON array of objects into raw rows.
pub fn read_json(bytes: &[u8]) -> Result<Vec<RawRow>, RowError> {
    let fail = |row: usize, message: String| RowError { row, field: String::new(), message };
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| fail(0, format!("JSON không hợp lệ: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        Value::Object(mut o) => match o.remove("entries") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(fail(
                    0,
                    "JSON phải là một mảng các mục, hoặc một đối tượng có “entries”".into(),
                ))
            }
        },
        _ => return Err(fail(0, "JSON phải là một mảng các mục".into())),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Object(o) => Ok(o),
            _ => Err(fail(i + 1, "mỗi mục phải là một đối tượng JSON".into())),
        })
        .collect()
}

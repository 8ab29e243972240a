//! Catalogs, their entries, codes and import rows: domain types and rules, no I/O.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An agency's electronic identifier (QĐ 20/2020/QĐ-TTg, QCVN 102:2016): `V1V2V3.Z1Z2.Y1Y2.MX1X2`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Parses a code, explaining in Vietnamese what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let fail = |why: String| {
            format!(
                "mã cơ quan “{s}” không đúng định dạng QĐ 20/2020/QĐ-TTg \
                 (V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.00.H51): {why}"
            )
        };
        if s.is_empty() {
            return Err(fail("mã đang để trống".into()));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace()) {
            return Err(fail(format!("có khoảng trắng ({c:?})")));
        }
        let parts: Vec<&str> = s.split('.').collect();
        if parts.len() != 4 {
            return Err(fail(format!(
                "phải có 4 phần ngăn cách bởi dấu chấm, mã này có {}",
                parts.len()
            )));
        }
        let digits = |p: &str, n: usize| p.len() == n && p.bytes().all(|b| b.is_ascii_digit());
        for (part, name, n) in [
            (parts[0], "V1V2V3", 3),
            (parts[1], "Z1Z2", 2),
            (parts[2], "Y1Y2", 2),
        ] {
            if !digits(part, n) {
                return Err(fail(format!(
                    "phần {name} “{part}” phải gồm đúng {n} chữ số"
                )));
            }
        }
        let m = parts[3].as_bytes();
        let last_ok =
            m.len() == 3 && m[0].is_ascii_uppercase() && m[1..].iter().all(u8::is_ascii_digit);
        if !last_ok {
            return Err(fail(format!(
                "phần MX1X2 “{}” phải là một chữ cái in hoa và 2 chữ số, như H51",
                parts[3]
            )));
        }
        Ok(AgencyCode(s.to_string()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The province or central-body part `MX1X2` (e.g. `H51` for Sóc Trăng's committee).
    pub fn top(&self) -> &str {
        self.0.rsplit('.').next().unwrap_or_default()
    }
}

impl std::fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for AgencyCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AgencyCode::parse(s)
    }
}

impl<'de> Deserialize<'de> for AgencyCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        AgencyCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A catalog's own code, as used in URLs: lowercase letters, digits and hyphens, at most 64.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CatalogCode(String);

impl CatalogCode {
    /// Parses a catalog code, explaining in Vietnamese what is wrong.
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(CatalogCode(s.to_string()))
        } else {
            Err(format!(
                "mã danh mục “{s}” chỉ được gồm chữ thường không dấu, chữ số và dấu gạch ngang (tối đa 64 ký tự)"
            ))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How the codes of a catalog are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CodeKind {
    /// QĐ 20/2020 agency code.
    Agency,
    /// GSO administrative unit code: 2, 3 or 5 digits.
    Gso,
    /// Digits only.
    Digits,
    /// ISO 3166-1 alpha-2.
    IsoAlpha2,
    /// Any short text without spaces.
    Text,
}

impl CodeKind {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Agency => "agency",
            CodeKind::Gso => "gso",
            CodeKind::Digits => "digits",
            CodeKind::IsoAlpha2 => "iso-alpha2",
            CodeKind::Text => "text",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        [
            CodeKind::Agency,
            CodeKind::Gso,
            CodeKind::Digits,
            CodeKind::IsoAlpha2,
            CodeKind::Text,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Checks a code, explaining in Vietnamese what is wrong.
    pub fn check(self, code: &str) -> Result<(), String> {
        if code.is_empty() {
            return Err("thiếu mã".into());
        }
        match self {
            CodeKind::Agency => AgencyCode::parse(code).map(|_| ()),
            CodeKind::Gso => {
                if matches!(code.len(), 2 | 3 | 5) && code.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err(format!("mã “{code}” không phải mã đơn vị hành chính của Tổng cục Thống kê (2, 3 hoặc 5 chữ số)"))
                }
            }
            CodeKind::Digits => {
                if code.len() <= 20 && code.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err(format!("mã “{code}” chỉ được gồm chữ số (tối đa 20)"))
                }
            }
            CodeKind::IsoAlpha2 => {
                if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
                    Ok(())
                } else {
                    Err(format!(
                        "mã “{code}” không phải mã quốc gia ISO 3166-1 alpha-2 (hai chữ in hoa)"
                    ))
                }
            }
            CodeKind::Text => {
                // '/' separates codes in materialised paths.
                if code.chars().count() <= 64
                    && !code
                        .chars()
                        .any(|c| c.is_whitespace() || c.is_control() || c == '/')
                {
                    Ok(())
                } else {
                    Err(format!(
                        "mã “{code}” không được chứa khoảng trắng hay dấu “/” và dài tối đa 64 ký tự"
                    ))
                }
            }
        }
    }
}

/// Type of an extra field of a catalog's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// Text.
    String,
    /// Whole number.
    Integer,
    /// Date (yyyy-mm-dd).
    Date,
    /// Yes or no.
    Boolean,
}

/// An extra field of a catalog's entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    /// Key in the entry's data.
    pub name: String,
    /// Vietnamese label.
    pub label: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Whether every entry must have it.
    #[serde(default)]
    pub required: bool,
}

/// A catalog's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogMeta {
    /// Catalog code, e.g. `agencies`.
    pub code: String,
    /// Vietnamese name.
    pub name: String,
    /// What it holds.
    pub description: String,
    /// Where its data comes from.
    pub source: String,
    /// Extra fields of entries (besides code, name, parent, validity).
    pub fields: Vec<FieldDef>,
    /// How codes are checked.
    pub code_kind: CodeKind,
    /// Shipped with cqdt.
    pub builtin: bool,
}

impl CatalogMeta {
    /// Drops fields that name entry columns (`code`, `name`, …): they are not data keys.
    pub fn without_column_fields(mut self) -> Self {
        self.fields.retain(|f| !RESERVED.contains(&f.name.as_str()));
        self
    }

    /// Checks the metadata of a catalog to register, explaining in Vietnamese what is wrong.
    pub fn check(&self) -> Result<(), Vec<RowError>> {
        let mut errors = Vec::new();
        let mut err = |field: &str, message: String| {
            errors.push(RowError {
                row: 0,
                field: field.into(),
                message,
            })
        };
        if let Err(m) = CatalogCode::parse(&self.code) {
            err("code", m);
        }
        if self.name.trim().is_empty() {
            err("name", "thiếu tên danh mục".into());
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.fields {
            let good_name = !f.name.is_empty()
                && f.name.len() <= 64
                && f.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !good_name {
                err(
                    "fields",
                    format!(
                        "tên trường “{}” chỉ được gồm chữ thường không dấu, chữ số và “_”",
                        f.name
                    ),
                );
            } else if RESERVED.contains(&f.name.as_str()) {
                err(
                    "fields",
                    format!(
                        "“{}” là cột chung của mọi danh mục, không khai báo lại",
                        f.name
                    ),
                );
            } else if !seen.insert(f.name.as_str()) {
                err("fields", format!("trường “{}” khai báo hai lần", f.name));
            }
            if f.label.trim().is_empty() {
                err(
                    "fields",
                    format!("trường “{}” thiếu nhãn tiếng Việt", f.name),
                );
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// An entry as stored: one recorded version of one code in one validity period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// Row id.
    pub id: i64,
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent code in the same catalog.
    pub parent: Option<String>,
    /// Codes from the root to this entry, joined by `/`.
    pub path: String,
    /// Level: the `level` field when the catalog has one, else the depth (1 = top).
    pub level: i64,
    /// Extra fields.
    pub data: Map<String, Value>,
    /// In force from (inclusive); None = since before records.
    pub valid_from: Option<NaiveDate>,
    /// In force until (exclusive); None = still in force.
    pub valid_to: Option<NaiveDate>,
    /// Generated sample data, not an official value.
    pub sample: bool,
    /// When this version was recorded.
    pub recorded_at: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When a later version replaced it, if one did.
    pub superseded_at: Option<String>,
    /// The row that replaced it.
    pub superseded_by: Option<i64>,
}

/// An entry's level: its integer `level` field when it has one (administrative units:
/// 1 province, 2 district, 3 commune — also for a commune directly under a province), else
/// its depth in the hierarchy (1 = top).
pub fn level_of(data: &Map<String, Value>, path: &str) -> i64 {
    data.get("level")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| path.split('/').count() as i64)
}

/// Where an entry stands on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Validity {
    /// In force.
    Current,
    /// No longer in force.
    Retired,
    /// Not yet in force.
    Future,
}

impl Entry {
    /// Whether the entry is in force on `day`.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|f| f <= day) && self.valid_to.is_none_or(|t| day < t)
    }

    /// Where the entry stands on `day`.
    pub fn validity(&self, day: NaiveDate) -> Validity {
        if self.valid_to.is_some_and(|t| t <= day) {
            Validity::Retired
        } else if self.valid_from.is_some_and(|f| f > day) {
            Validity::Future
        } else {
            Validity::Current
        }
    }
}

/// A checked entry to write.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryInput {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Parent code.
    pub parent: Option<String>,
    /// Extra fields.
    pub data: Map<String, Value>,
    /// In force from.
    pub valid_from: Option<NaiveDate>,
    /// In force until.
    pub valid_to: Option<NaiveDate>,
    /// Sample data.
    pub sample: bool,
}

/// A problem with one row or field of input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based data row number (0 for a single entry).
    pub row: usize,
    /// Which field.
    pub field: String,
    /// What is wrong, in Vietnamese.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.row > 0 {
            write!(f, "Dòng {}: {}", self.row, self.message)
        } else {
            write!(f, "{}", self.message)
        }
    }
}

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

pub use cqdt_platform::clock::parse_date;

/// Column names that are entry columns, never keys of an entry's extra data.
pub const RESERVED: [&str; 7] = [
    "code",
    "name",
    "parent",
    "valid_from",
    "valid_to",
    "sample",
    "data",
];

/// Checks one row against a catalog's metadata; `row` numbers the errors.
pub fn check_row(
    meta: &CatalogMeta,
    row: usize,
    raw: &RawRow,
) -> Result<EntryInput, Vec<RowError>> {
    let mut errors = Vec::new();
    let mut err = |field: &str, message: String| {
        errors.push(RowError {
            row,
            field: field.into(),
            message,
        })
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
            err(
                field,
                format!("ngày “{s}” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"),
            );
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
                    data.insert(
                        f.name.clone(),
                        Value::String(d.format("%Y-%m-%d").to_string()),
                    );
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
        Ok(EntryInput {
            code,
            name,
            parent,
            data,
            valid_from,
            valid_to,
            sample,
        })
    } else {
        Err(errors)
    }
}

/// Reads CSV (UTF-8, optional BOM, header row; `,` or `;` between columns) into raw rows.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let fail = |row: usize, message: String| RowError {
        row,
        field: String::new(),
        message,
    };
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
    let delimiter = if !first_line.contains(',') && first_line.contains(';') {
        b';'
    } else {
        b','
    };
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
        return Err(fail(
            0,
            "tệp CSV phải có cột “code” và “name” ở dòng tiêu đề".into(),
        ));
    }
    if let Some((i, h)) = headers
        .iter()
        .enumerate()
        .find(|(i, h)| headers[..*i].contains(h))
    {
        return Err(fail(
            0,
            format!(
                "cột “{h}” xuất hiện hai lần ở dòng tiêu đề (cột thứ {})",
                i + 1
            ),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            let why = match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("có {len} cột, dòng tiêu đề có {expected_len}"),
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
    let fail = |row: usize, message: String| RowError {
        row,
        field: String::new(),
        message,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn agencies() -> CatalogMeta {
        CatalogMeta {
            code: "agencies".into(),
            name: "Cơ quan".into(),
            description: String::new(),
            source: String::new(),
            fields: vec![FieldDef {
                name: "kind".into(),
                label: "Loại".into(),
                kind: FieldType::String,
                required: true,
            }],
            code_kind: CodeKind::Agency,
            builtin: true,
        }
    }

    #[test]
    fn agency_codes_follow_the_national_format() {
        for good in ["000.00.00.H51", "000.18.29.H51", "123.45.67.K51"] {
            let c = AgencyCode::parse(good).expect(good);
            assert_eq!(c.to_string(), good);
        }
        assert_eq!(
            AgencyCode::parse("000.00.41.H51").map(|c| c.top().to_string()),
            Ok("H51".into())
        );
        for (bad, why) in [
            ("000.0A.00.H51", "phần Z1Z2 “0A”"),
            ("00.00.00.H51", "phần V1V2V3 “00”"),
            ("000.00.0.H51", "phần Y1Y2 “0”"),
            ("000.00.00.h51", "phần MX1X2 “h51”"),
            ("000.00.00.H5", "phần MX1X2 “H5”"),
            ("000.00.00", "có 3"),
            ("000-00-00-H51", "có 1"),
            ("000.00.00.H51 ", "khoảng trắng"),
            ("", "để trống"),
        ] {
            let e = AgencyCode::parse(bad).expect_err(bad);
            assert!(e.contains("QĐ 20/2020") && e.contains(why), "{bad}: {e}");
        }
        let parsed: Result<AgencyCode, _> = serde_json::from_str("\"000.00.01.H51\"");
        assert!(parsed.is_ok());
        let refused: Result<AgencyCode, _> = serde_json::from_str("\"000.00.01\"");
        assert!(refused.is_err());
    }

    #[test]
    fn catalog_codes_are_url_safe_slugs() {
        assert!(CatalogCode::parse("admin-units").is_ok());
        for bad in ["", "Admin", "a b", "-x", "đơn-vị", "a/b"] {
            assert!(CatalogCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn gso_and_iso_codes_are_checked() {
        assert!(
            CodeKind::Gso.check("94").is_ok()
                && CodeKind::Gso.check("941").is_ok()
                && CodeKind::Gso.check("31471").is_ok()
        );
        assert!(CodeKind::Gso.check("9411").is_err() && CodeKind::Gso.check("94a").is_err());
        assert!(
            CodeKind::IsoAlpha2.check("VN").is_ok() && CodeKind::IsoAlpha2.check("vn").is_err()
        );
        assert!(CodeKind::Text.check("a b").is_err() && CodeKind::Text.check("").is_err());
    }

    #[test]
    fn a_csv_row_with_a_bad_code_is_reported_with_its_row_number() {
        let csv = "\u{feff}code,name,parent,kind\n000.00.01.H51,Sở Nội vụ,000.00.00.H51,department\n000.0A.00.H51,Sở Lỗi,,department\n";
        let rows = read_csv(csv.as_bytes()).expect("csv");
        assert!(check_row(&agencies(), 1, &rows[0]).is_ok());
        let errors = check_row(&agencies(), 2, &rows[1]).expect_err("bad");
        assert_eq!(errors[0].row, 2);
        let text = errors[0].to_string();
        assert!(
            text.starts_with("Dòng 2: mã cơ quan “000.0A.00.H51” không đúng định dạng QĐ 20/2020"),
            "{text}"
        );
    }

    #[test]
    fn csv_files_may_use_semicolons_a_bom_and_any_header_case() {
        let rows =
            read_csv("\u{feff}Code;Name;Kind\n000.00.01.H51;Sở Nội vụ;department\n".as_bytes())
                .expect("csv");
        assert_eq!(rows[0]["code"], "000.00.01.H51");
        assert_eq!(rows[0]["name"], "Sở Nội vụ");
    }

    #[test]
    fn broken_csv_files_are_refused_with_a_reason() {
        let e = read_csv(b"code,name,code\n1,a,1\n").expect_err("duplicate header");
        assert!(e.message.contains("hai lần"), "{}", e.message);
        let e = read_csv(b"code,name\n1,a\n2,b,c\n").expect_err("ragged");
        assert_eq!(e.row, 2);
        assert!(e.message.contains("có 3 cột"), "{}", e.message);
        let e = read_csv(b"code,name\n1,\xff\xfe\n").expect_err("latin-1");
        assert!(e.message.contains("UTF-8"), "{}", e.message);
        let e = read_csv(b"ma,ten\n1,a\n").expect_err("no code column");
        assert!(e.message.contains("“code”"), "{}", e.message);
    }

    #[test]
    fn dates_in_rows_take_both_vietnamese_and_iso_forms() {
        let mut raw = Map::new();
        raw.insert("code".into(), "000.00.02.H51".into());
        raw.insert("name".into(), "Sở Tư pháp".into());
        raw.insert("kind".into(), "department".into());
        raw.insert("valid_from".into(), "01/07/2025".into());
        raw.insert("valid_to".into(), "2026-01-01".into());
        let e = check_row(&agencies(), 1, &raw).expect("ok");
        assert_eq!(e.valid_from, parse_date("2025-07-01"));
        assert_eq!(e.valid_to, parse_date("01/01/2026"));
        raw.insert("valid_from".into(), "31/02/2025".into());
        let errors = check_row(&agencies(), 4, &raw).expect_err("bad date");
        assert_eq!(
            errors[0].to_string(),
            "Dòng 4: ngày “31/02/2025” không hợp lệ (dd/mm/yyyy hoặc yyyy-mm-dd)"
        );
    }

    #[test]
    fn required_fields_types_dates_and_unknown_columns_are_checked() {
        let mut raw = Map::new();
        raw.insert("code".into(), "000.00.02.H51".into());
        raw.insert("name".into(), "Sở Tư pháp".into());
        raw.insert("valid_from".into(), "01/07/2025".into());
        raw.insert("valid_to".into(), "2025-01-01".into());
        raw.insert("colour".into(), "red".into());
        let errors = check_row(&agencies(), 5, &raw).expect_err("bad");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["valid_to", "kind", "colour"]);
    }

    #[test]
    fn json_rows_may_carry_extra_fields_under_data() {
        let rows = read_json(br#"[{"code":"000.00.03.H51","name":"S\u1edf Y t\u1ebf","data":{"kind":"department"}}]"#).expect("json");
        let e = check_row(&agencies(), 1, &rows[0]).expect("ok");
        assert_eq!(
            e.data.get("kind"),
            Some(&Value::String("department".into()))
        );
        assert!(read_json(b"{\"x\":1}").is_err());
        assert_eq!(read_json(b"[{},1]").expect_err("not an object").row, 2);
        let wrapped = read_json(br#"{"entries":[{"code":"x","name":"y"}]}"#).expect("wrapped");
        assert_eq!(wrapped.len(), 1);
    }

    #[test]
    fn validity_follows_the_effective_dates() {
        let d = |s| parse_date(s).expect("date");
        let e = Entry {
            id: 1,
            code: "941".into(),
            name: "Thành phố Sóc Trăng".into(),
            parent: Some("94".into()),
            path: "94/941".into(),
            level: 2,
            data: Map::new(),
            valid_from: None,
            valid_to: Some(d("2025-07-01")),
            sample: false,
            recorded_at: String::new(),
            recorded_by: String::new(),
            superseded_at: None,
            superseded_by: None,
        };
        assert!(e.valid_on(d("2025-06-30")));
        assert!(!e.valid_on(d("2025-07-01")));
        assert_eq!(e.validity(d("2026-11-25")), Validity::Retired);
    }
}

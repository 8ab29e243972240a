//! Catalogs, their entries, codes and import rows: domain types and rules, no I/O.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

mod rows;
#[cfg(test)]
mod tests;

pub use cqdt_platform::clock::parse_date;
pub use rows::{check_row, read_csv, read_json, RawRow, RESERVED};

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
        for (part, name, n) in
            [(parts[0], "V1V2V3", 3), (parts[1], "Z1Z2", 2), (parts[2], "Y1Y2", 2)]
        {
            if !digits(part, n) {
                return Err(fail(format!("phần {name} “{part}” phải gồm đúng {n} chữ số")));
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
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = CatalogCodeKind)]
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
        [CodeKind::Agency, CodeKind::Gso, CodeKind::Digits, CodeKind::IsoAlpha2, CodeKind::Text]
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
                    && !code.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/')
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = CatalogFieldType)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = CatalogFieldDef)]
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
            errors.push(RowError { row: 0, field: field.into(), message });
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
                    format!("“{}” là cột chung của mọi danh mục, không khai báo lại", f.name),
                );
            } else if !seen.insert(f.name.as_str()) {
                err("fields", format!("trường “{}” khai báo hai lần", f.name));
            }
            if f.label.trim().is_empty() {
                err("fields", format!("trường “{}” thiếu nhãn tiếng Việt", f.name));
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
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = CatalogEntry)]
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
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    /// In force from (inclusive); None = since before records.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_from: Option<NaiveDate>,
    /// In force until (exclusive); None = still in force.
    #[schema(value_type = Option<String>, format = Date)]
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
    data.get("level").and_then(Value::as_i64).unwrap_or_else(|| path.split('/').count() as i64)
}

/// Where an entry stands on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = CatalogEntryStatus)]
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

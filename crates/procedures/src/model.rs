//! Administrative procedures (thủ tục hành chính) as the province publishes them: codes,
//! field, levels, time, fees, dossier components, the e-form the applicant fills, legal basis.
//! A procedure document is parsed at the boundary into checked values.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod changes;
mod check;
#[cfg(test)]
mod tests;

pub use changes::{changes, Change};
pub use check::{fill_template, template_keys, valid_national_code, RESULT_PLACEHOLDERS};

/// Administrative level that implements a procedure.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[schema(as = ProcedureLevel)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Province (cấp tỉnh).
    Tinh,
    /// District (cấp huyện).
    Huyen,
    /// Commune (cấp xã).
    Xa,
}

impl Level {
    /// Every level, top down.
    pub const ALL: [Level; 3] = [Level::Tinh, Level::Huyen, Level::Xa];

    /// Stored and URL form.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Tinh => "tinh",
            Level::Huyen => "huyen",
            Level::Xa => "xa",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            Level::Tinh => "Cấp tỉnh",
            Level::Huyen => "Cấp huyện",
            Level::Xa => "Cấp xã",
        }
    }
}

/// How much of a procedure can be done online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnlineLevel {
    /// Fully online (toàn trình): filing, fees and result online.
    Full,
    /// Partly online (một phần): some step at the counter.
    Partial,
}

impl OnlineLevel {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineLevel::Full => "full",
            OnlineLevel::Partial => "partial",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(OnlineLevel::Full),
            "partial" => Some(OnlineLevel::Partial),
            _ => None,
        }
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            OnlineLevel::Full => "Dịch vụ công trực tuyến toàn trình",
            OnlineLevel::Partial => "Dịch vụ công trực tuyến một phần",
        }
    }
}

/// Unit of a processing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ProcessingTimeUnit)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    /// Working days (the calendar's working days).
    WorkingDays,
    /// Calendar days.
    CalendarDays,
    /// Office hours.
    Hours,
}

impl TimeUnit {
    /// Every unit.
    pub const ALL: [TimeUnit; 3] = [TimeUnit::WorkingDays, TimeUnit::CalendarDays, TimeUnit::Hours];

    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "working_days",
            TimeUnit::CalendarDays => "calendar_days",
            TimeUnit::Hours => "hours",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        TimeUnit::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            TimeUnit::WorkingDays => "ngày làm việc",
            TimeUnit::CalendarDays => "ngày",
            TimeUnit::Hours => "giờ làm việc",
        }
    }
}

/// How long the agency has to resolve a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProcessingTime {
    /// Amount.
    pub amount: u32,
    /// Unit.
    pub unit: TimeUnit,
    /// Further explanation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A fee or charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ProcedureFee)]
pub struct Fee {
    /// What it is.
    pub name: String,
    /// Amount in đồng.
    pub amount_vnd: u64,
    /// Who is exempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exempt: Option<String>,
    /// Whether the amount was checked against the fee schedule.
    #[serde(default = "yes")]
    pub fee_verified: bool,
}

fn yes() -> bool {
    true
}

/// A document the dossier must (or may) contain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ProcedureComponent)]
pub struct Component {
    /// Name.
    pub name: String,
    /// Originals.
    #[serde(default)]
    pub originals: u32,
    /// Copies.
    #[serde(default)]
    pub copies: u32,
    /// Required.
    #[serde(default)]
    pub required: bool,
    /// Blank form to download, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    /// Note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The type of an e-form field, which decides how it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = FormFieldType)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    /// One line of text.
    Text,
    /// Several lines.
    Textarea,
    /// A number.
    Number,
    /// A date (dd/mm/yyyy).
    Date,
    /// One of a list, or of a shared catalog.
    Choice,
    /// A 12-digit personal identification number.
    PersonalId,
    /// An enterprise / tax code.
    TaxCode,
    /// An address with the administrative-unit picker.
    Address,
    /// A Vietnamese mobile number.
    Phone,
    /// An e-mail address.
    Email,
}

impl FieldType {
    /// Every type, in the order an editor offers them.
    pub const ALL: [FieldType; 10] = [
        FieldType::Text,
        FieldType::Textarea,
        FieldType::Number,
        FieldType::Date,
        FieldType::Choice,
        FieldType::PersonalId,
        FieldType::TaxCode,
        FieldType::Address,
        FieldType::Phone,
        FieldType::Email,
    ];

    /// Stored form (the JSON `type`).
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Textarea => "textarea",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::Choice => "choice",
            FieldType::PersonalId => "personal_id",
            FieldType::TaxCode => "tax_code",
            FieldType::Address => "address",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        FieldType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            FieldType::Text => "Văn bản một dòng",
            FieldType::Textarea => "Văn bản nhiều dòng",
            FieldType::Number => "Số",
            FieldType::Date => "Ngày",
            FieldType::Choice => "Lựa chọn",
            FieldType::PersonalId => "Số định danh cá nhân",
            FieldType::TaxCode => "Mã số thuế",
            FieldType::Address => "Địa chỉ (chọn xã, phường)",
            FieldType::Phone => "Số điện thoại",
            FieldType::Email => "Thư điện tử",
        }
    }
}

/// A field of a procedure's e-form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FormField {
    /// Key in the submitted data (`[a-z0-9_]`).
    pub key: String,
    /// Label shown to the applicant.
    pub label: String,
    /// Type.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// Required.
    #[serde(default)]
    pub required: bool,
    /// For choices: the shared catalog the values come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<String>,
    /// For choices without a catalog: the values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Longest text accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Smallest number accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest number accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// A procedure's field of activity (lĩnh vực).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[schema(as = ProcedureField)]
pub struct Field {
    /// Short code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// Where a procedure is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = ProcedureStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Being prepared; not on the portal.
    Draft,
    /// On the portal; dossiers can be filed.
    Published,
    /// No longer in force; kept for the dossiers filed under it.
    Retired,
}

impl Status {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
            Status::Retired => "retired",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(Status::Draft),
            "published" => Some(Status::Published),
            "retired" => Some(Status::Retired),
            _ => None,
        }
    }

    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Dự thảo",
            Status::Published => "Đang áp dụng",
            Status::Retired => "Đã bãi bỏ",
        }
    }
}

/// A procedure as it is stored and exchanged (JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Procedure {
    /// Provincial code: the national code plus the province's suffix, e.g.
    /// `1.001193.000.00.00.H51`.
    pub code: String,
    /// National code in the national procedure database, e.g. `1.001193`.
    pub national_code: String,
    /// Whether the national code was checked against the national database.
    #[serde(default = "yes")]
    pub code_verified: bool,
    /// Name.
    pub name: String,
    /// Field.
    pub field: Field,
    /// Levels that implement it.
    pub levels: Vec<Level>,
    /// Kinds of agencies that implement it (e.g. "UBND cấp xã", "Sở Tư pháp").
    #[serde(default)]
    pub implementing_agency_kinds: Vec<String>,
    /// Agencies (codes) that implement it, when known.
    #[serde(default)]
    pub agencies: Vec<String>,
    /// Online level.
    pub online_level: OnlineLevel,
    /// Processing time.
    pub processing_time: ProcessingTime,
    /// Fees.
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// Dossier components.
    #[serde(default)]
    pub components: Vec<Component>,
    /// The e-form.
    #[serde(default)]
    pub form: Vec<FormField>,
    /// Conditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    /// Legal basis.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// What the applicant receives.
    #[serde(default)]
    pub result: String,
    /// The body of the result document the one-stop office generates: text with `{{key}}`
    /// placeholders for the e-form's fields and the dossier's facts
    /// ([`RESULT_PLACEHOLDERS`]); empty for the default.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub result_template: String,
    /// Steps, as the procedure's text describes them.
    #[serde(default)]
    pub steps: Vec<String>,
    /// The shape of its process (filled in by the one-stop module's processes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_shape: Option<String>,
    /// Key of the workflow definition that processes its dossiers, once linked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_key: Option<String>,
    /// Shown among the popular procedures.
    #[serde(default)]
    pub popular: bool,
    /// Sample data of the demo province, not the province's official record.
    #[serde(default)]
    pub sample: bool,
}

/// An amount in đồng with Vietnamese thousands separators: `200.000 đồng`.
pub fn vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("{out} đồng")
}

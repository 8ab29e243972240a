//! Administrative procedures (thủ tục hành chính) as the province publishes them: codes,
//! field, levels, time, fees, dossier components, the e-form the applicant fills, legal basis.
//! A procedure document is parsed at the boundary into checked values.

use cqdt_platform::FieldError;
use serde::{Deserialize, Serialize};

/// Administrative level that implements a procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    pub const ALL: [TimeUnit; 3] = [
        TimeUnit::WorkingDays,
        TimeUnit::CalendarDays,
        TimeUnit::Hours,
    ];

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    /// Short code.
    pub code: String,
    /// Name.
    pub name: String,
}

/// Where a procedure is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Whether a national code has the national database's shape (`1.001193`, `2.000908`).
pub fn valid_national_code(s: &str) -> bool {
    let Some((a, b)) = s.split_once('.') else {
        return false;
    };
    a.len() == 1
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.len() == 6
        && b.bytes().all(|c| c.is_ascii_digit())
}

/// Facts of a dossier a result template may name, beside the e-form's field keys.
pub const RESULT_PLACEHOLDERS: [(&str, &str); 6] = [
    ("ma_ho_so", "mã hồ sơ"),
    ("nguoi_nop", "họ tên người nộp"),
    ("thu_tuc", "tên thủ tục"),
    ("co_quan", "cơ quan giải quyết"),
    ("ngay_nop", "ngày nộp hồ sơ"),
    ("ngay", "ngày ban hành"),
];

/// The keys a template names with `{{key}}`, in order; an unclosed `{{` is refused.
pub fn template_keys(text: &str) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or("Mẫu văn bản kết quả có “{{” chưa đóng bằng “}}”.")?;
        let key = after[..end].trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!(
                "“{{{{{}}}}}” không phải tên trường (chỉ chữ không dấu, số và dấu _).",
                after[..end].chars().take(40).collect::<String>()
            ));
        }
        keys.push(key.to_string());
        rest = &after[end + 2..];
    }
    Ok(keys)
}

/// Fills a template's placeholders; a key without a value becomes an empty string.
pub fn fill_template(text: &str, value: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                out.push_str(&value(after[..end].trim()).unwrap_or_default());
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl Procedure {
    /// The result template, or one that confirms the procedure and lists the e-form.
    pub fn result_template_or_default(&self) -> String {
        if !self.result_template.trim().is_empty() {
            return self.result_template.clone();
        }
        let mut t = String::from(
            "{{co_quan}} xác nhận đã giải quyết thủ tục “{{thu_tuc}}” theo hồ sơ số {{ma_ho_so}} do ông/bà {{nguoi_nop}} nộp ngày {{ngay_nop}}, với nội dung sau:",
        );
        for f in &self.form {
            t.push_str(&format!("\n- {}: {{{{{}}}}}", f.label, f.key));
        }
        t
    }

    /// Checks a procedure document; every problem at once, each with a JSON pointer.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut e = Vec::new();
        if !valid_national_code(&self.national_code) {
            e.push(err(
                "/national_code",
                "Mã thủ tục quốc gia có dạng 1.001193 (một chữ số, dấu chấm, sáu chữ số).",
            ));
        }
        let suffix_ok = self
            .code
            .strip_prefix(&self.national_code)
            .and_then(|r| r.strip_prefix('.'))
            .is_some_and(|agency| {
                let parts: Vec<&str> = agency.split('.').collect();
                parts.len() == 4
                    && parts[..3]
                        .iter()
                        .all(|p| p.bytes().all(|c| c.is_ascii_digit()))
                    && parts[3].len() == 3
                    && parts[3].bytes().all(|c| c.is_ascii_alphanumeric())
            });
        if !suffix_ok {
            e.push(err(
                "/code",
                "Mã thủ tục của tỉnh là mã quốc gia nối với mã định danh cơ quan, ví dụ 1.001193.000.00.00.H51.",
            ));
        }
        let len = self.name.trim().chars().count();
        if !(5..=500).contains(&len) {
            e.push(err("/name", "Tên thủ tục cần từ 5 đến 500 ký tự."));
        }
        if self.field.code.trim().is_empty() || self.field.name.trim().is_empty() {
            e.push(err("/field", "Cần mã và tên lĩnh vực."));
        }
        if self.levels.is_empty() {
            e.push(err("/levels", "Cần ít nhất một cấp thực hiện."));
        }
        if self.processing_time.amount == 0 || self.processing_time.amount > 365 {
            e.push(err(
                "/processing_time/amount",
                "Thời hạn giải quyết từ 1 đến 365.",
            ));
        }
        for (i, c) in self.components.iter().enumerate() {
            if c.name.trim().is_empty() {
                e.push(err(
                    format!("/components/{i}/name"),
                    "Thành phần hồ sơ cần có tên.",
                ));
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for (i, f) in self.form.iter().enumerate() {
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 60
                && f.key
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                e.push(err(
                    format!("/form/{i}/key"),
                    "Khoá trường chỉ gồm chữ thường không dấu, chữ số và gạch dưới.",
                ));
            }
            if !keys.insert(f.key.clone()) {
                e.push(err(
                    format!("/form/{i}/key"),
                    format!("Khoá “{}” bị trùng.", f.key),
                ));
            }
            if f.label.trim().is_empty() {
                e.push(err(format!("/form/{i}/label"), "Trường cần có nhãn."));
            }
            if f.kind == FieldType::Choice && f.catalog.is_none() && f.options.is_empty() {
                e.push(err(
                    format!("/form/{i}/options"),
                    "Trường chọn cần danh sách lựa chọn hoặc một danh mục dùng chung.",
                ));
            }
            if let (Some(min), Some(max)) = (f.min, f.max) {
                if min > max {
                    e.push(err(
                        format!("/form/{i}/min"),
                        "Giá trị nhỏ nhất lớn hơn giá trị lớn nhất.",
                    ));
                }
            }
        }
        match template_keys(&self.result_template) {
            Err(m) => e.push(err("/result_template", m)),
            Ok(keys) => {
                if self.result_template.chars().count() > 20_000 {
                    e.push(err(
                        "/result_template",
                        "Mẫu văn bản kết quả tối đa 20000 ký tự.",
                    ));
                }
                let unknown: Vec<String> = keys
                    .into_iter()
                    .filter(|k| {
                        !RESULT_PLACEHOLDERS.iter().any(|(b, _)| b == k)
                            && !self.form.iter().any(|f| &f.key == k)
                    })
                    .map(|k| format!("{{{{{k}}}}}"))
                    .collect();
                if !unknown.is_empty() {
                    e.push(err(
                        "/result_template",
                        format!(
                            "Mẫu văn bản kết quả dùng {} nhưng biểu mẫu không có trường này.",
                            unknown.join(", ")
                        ),
                    ));
                }
            }
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(e)
        }
    }

    /// The processing time as a sentence, e.g. "3 ngày làm việc".
    pub fn time_text(&self) -> String {
        format!(
            "{} {}",
            self.processing_time.amount,
            self.processing_time.unit.label()
        )
    }

    /// The fees as a sentence.
    pub fn fee_text(&self) -> String {
        if self.fees.iter().all(|f| f.amount_vnd == 0) {
            return "Không thu phí, lệ phí".into();
        }
        self.fees
            .iter()
            .map(|f| format!("{}: {}", f.name, vnd(f.amount_vnd)))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// One difference between two versions of a procedure, as the history page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The part that changed, in Vietnamese.
    pub part: &'static str,
    /// Before and after, or what was added and removed.
    pub detail: String,
}

fn short(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(119).collect::<String>())
    } else if s.is_empty() {
        "(trống)".into()
    } else {
        s
    }
}

/// Items added, removed and changed between two lists keyed by name.
fn list_changes<T: PartialEq>(old: &[T], new: &[T], key: impl Fn(&T) -> String) -> Option<String> {
    let mut parts = Vec::new();
    let added: Vec<String> = new
        .iter()
        .filter(|n| !old.iter().any(|o| key(o) == key(n)))
        .map(|n| format!("“{}”", short(&key(n))))
        .collect();
    let removed: Vec<String> = old
        .iter()
        .filter(|o| !new.iter().any(|n| key(o) == key(n)))
        .map(|o| format!("“{}”", short(&key(o))))
        .collect();
    let edited: Vec<String> = new
        .iter()
        .filter(|n| old.iter().any(|o| key(o) == key(n) && o != *n))
        .map(|n| format!("“{}”", short(&key(n))))
        .collect();
    for (label, items) in [("thêm", added), ("bỏ", removed), ("sửa", edited)] {
        if !items.is_empty() {
            parts.push(format!("{label} {}", items.join(", ")));
        }
    }
    let reordered = parts.is_empty() && old != new;
    if reordered {
        parts.push("đổi thứ tự".into());
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// What differs between two versions of a procedure, part by part.
pub fn changes(old: &Procedure, new: &Procedure) -> Vec<Change> {
    let mut out = Vec::new();
    let mut scalar = |part: &'static str, a: String, b: String| {
        if a != b {
            out.push(Change {
                part,
                detail: format!("{} → {}", short(&a), short(&b)),
            });
        }
    };
    let levels = |p: &Procedure| {
        p.levels
            .iter()
            .map(|l| l.label())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let yes_no = |b: bool| if b { "có" } else { "không" }.to_string();
    scalar("Tên", old.name.clone(), new.name.clone());
    scalar(
        "Mã quốc gia",
        old.national_code.clone(),
        new.national_code.clone(),
    );
    scalar(
        "Lĩnh vực",
        format!("{} ({})", old.field.name, old.field.code),
        format!("{} ({})", new.field.name, new.field.code),
    );
    scalar("Cấp thực hiện", levels(old), levels(new));
    scalar(
        "Mức độ trực tuyến",
        old.online_level.label().into(),
        new.online_level.label().into(),
    );
    scalar("Thời hạn giải quyết", old.time_text(), new.time_text());
    scalar(
        "Ghi chú thời hạn",
        old.processing_time.note.clone().unwrap_or_default(),
        new.processing_time.note.clone().unwrap_or_default(),
    );
    scalar(
        "Điều kiện",
        old.conditions.clone().unwrap_or_default(),
        new.conditions.clone().unwrap_or_default(),
    );
    scalar("Kết quả", old.result.clone(), new.result.clone());
    scalar(
        "Mẫu văn bản kết quả",
        old.result_template.clone(),
        new.result_template.clone(),
    );
    scalar(
        "Quy trình xử lý",
        old.process_key.clone().unwrap_or_default(),
        new.process_key.clone().unwrap_or_default(),
    );
    scalar("Thủ tục phổ biến", yes_no(old.popular), yes_no(new.popular));
    scalar("Dữ liệu mẫu", yes_no(old.sample), yes_no(new.sample));
    scalar(
        "Mã đã đối chiếu CSDL quốc gia",
        yes_no(old.code_verified),
        yes_no(new.code_verified),
    );
    let text = |s: &String| s.clone();
    let lists: [(&'static str, Option<String>); 7] = [
        (
            "Loại cơ quan thực hiện",
            list_changes(
                &old.implementing_agency_kinds,
                &new.implementing_agency_kinds,
                text,
            ),
        ),
        (
            "Cơ quan thực hiện",
            list_changes(&old.agencies, &new.agencies, text),
        ),
        (
            "Phí, lệ phí",
            list_changes(&old.fees, &new.fees, |f| f.name.clone()),
        ),
        (
            "Thành phần hồ sơ",
            list_changes(&old.components, &new.components, |c| c.name.clone()),
        ),
        (
            "Trường của tờ khai",
            list_changes(&old.form, &new.form, |f| f.key.clone()),
        ),
        (
            "Căn cứ pháp lý",
            list_changes(&old.legal_basis, &new.legal_basis, text),
        ),
        ("Các bước", list_changes(&old.steps, &new.steps, text)),
    ];
    for (part, detail) in lists {
        if let Some(detail) = detail {
            out.push(Change { part, detail });
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Procedure {
        serde_json::from_value(serde_json::json!({
            "code": "1.001193.000.00.00.H51",
            "national_code": "1.001193",
            "name": "Thủ tục đăng ký khai sinh",
            "field": {"code": "HT", "name": "Hộ tịch"},
            "levels": ["xa"],
            "online_level": "full",
            "processing_time": {"amount": 1, "unit": "working_days"},
            "form": [{"key": "child_name", "label": "Họ tên trẻ", "type": "text", "required": true}]
        }))
        .expect("procedure")
    }

    #[test]
    fn a_result_template_may_name_only_the_form_and_the_dossier_facts() {
        let mut p = sample();
        p.result_template = "Xác nhận {{ child_name }} ({{ma_ho_so}}) ngày {{ngay}}.".into();
        assert_eq!(p.check(), Ok(()));
        let filled = fill_template(&p.result_template, &|k| match k {
            "child_name" => Some("Trần Gia Huy".into()),
            "ma_ho_so" => Some("HS-1".into()),
            _ => None,
        });
        assert_eq!(filled, "Xác nhận Trần Gia Huy (HS-1) ngày .");
        for bad in ["{{ten_me}}", "Xác nhận {{child_name", "{{họ tên}}"] {
            p.result_template = bad.into();
            let errors = p.check().expect_err(bad);
            assert!(
                errors.iter().any(|e| e.field == "/result_template"),
                "{bad}"
            );
        }
        // Without a template, the default confirms the procedure and lists the e-form.
        p.result_template.clear();
        let t = p.result_template_or_default();
        assert!(t.contains("{{thu_tuc}}") && t.contains("- Họ tên trẻ: {{child_name}}"));
        assert_eq!(template_keys(&t).map(|k| k.len()), Ok(6));
    }

    #[test]
    fn a_well_formed_procedure_passes_its_checks() {
        assert_eq!(sample().check(), Ok(()));
        assert_eq!(sample().time_text(), "1 ngày làm việc");
        assert_eq!(sample().fee_text(), "Không thu phí, lệ phí");
    }

    #[test]
    fn every_problem_is_reported_with_its_pointer() {
        let mut p = sample();
        p.national_code = "1.11".into();
        p.levels.clear();
        p.form.push(p.form[0].clone());
        p.form.push(FormField {
            key: "Bad Key".into(),
            label: "".into(),
            kind: FieldType::Choice,
            required: false,
            catalog: None,
            options: vec![],
            max_length: None,
            min: None,
            max: None,
            hint: None,
        });
        let errors = p.check().expect_err("invalid");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for f in [
            "/national_code",
            "/code",
            "/levels",
            "/form/1/key",
            "/form/2/key",
            "/form/2/label",
            "/form/2/options",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn changes_name_each_part_that_differs() {
        let old = sample();
        let mut new = sample();
        assert!(changes(&old, &new).is_empty(), "no change, no entry");
        new.name = "Thủ tục đăng ký khai sinh có yếu tố nước ngoài".into();
        new.processing_time.amount = 3;
        new.form[0].required = false;
        new.form.push(FormField {
            key: "father_name".into(),
            label: "Họ tên cha".into(),
            kind: FieldType::Text,
            required: false,
            catalog: None,
            options: vec![],
            max_length: None,
            min: None,
            max: None,
            hint: None,
        });
        let c = changes(&old, &new);
        let parts: Vec<&str> = c.iter().map(|c| c.part).collect();
        assert_eq!(parts, ["Tên", "Thời hạn giải quyết", "Trường của tờ khai"]);
        assert_eq!(c[1].detail, "1 ngày làm việc → 3 ngày làm việc");
        assert_eq!(c[2].detail, "thêm “father_name”; sửa “child_name”");
    }

    #[test]
    fn field_types_and_units_round_trip_their_stored_form() {
        for t in FieldType::ALL {
            assert_eq!(FieldType::parse(t.as_str()), Some(t));
            let json = serde_json::to_value(t).expect("json");
            assert_eq!(json, serde_json::json!(t.as_str()));
        }
        for u in TimeUnit::ALL {
            assert_eq!(TimeUnit::parse(u.as_str()), Some(u));
            assert_eq!(
                serde_json::to_value(u).expect("json"),
                serde_json::json!(u.as_str())
            );
        }
    }

    #[test]
    fn amounts_use_vietnamese_separators() {
        assert_eq!(vnd(200_000), "200.000 đồng");
        assert_eq!(vnd(5_000), "5.000 đồng");
        assert_eq!(vnd(1_500_000), "1.500.000 đồng");
        assert_eq!(vnd(0), "0 đồng");
    }
}

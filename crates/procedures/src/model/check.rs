//! A procedure's own checks, and its result-document template.

use cqdt_platform::FieldError;

use super::{vnd, FieldType, Procedure};

fn err(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
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
        let end = after.find("}}").ok_or("Mẫu văn bản kết quả có “{{” chưa đóng bằng “}}”.")?;
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
        // The facts the result states, not how to reach the applicant.
        let contact = [FieldType::Phone, FieldType::Email];
        for f in self.form.iter().filter(|f| !contact.contains(&f.kind)) {
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
                    && parts[..3].iter().all(|p| p.bytes().all(|c| c.is_ascii_digit()))
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
            e.push(err("/processing_time/amount", "Thời hạn giải quyết từ 1 đến 365."));
        }
        for (i, c) in self.components.iter().enumerate() {
            if c.name.trim().is_empty() {
                e.push(err(format!("/components/{i}/name"), "Thành phần hồ sơ cần có tên."));
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for (i, f) in self.form.iter().enumerate() {
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 60
                && f.key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !key_ok {
                e.push(err(
                    format!("/form/{i}/key"),
                    "Khoá trường chỉ gồm chữ thường không dấu, chữ số và gạch dưới.",
                ));
            }
            if !keys.insert(f.key.clone()) {
                e.push(err(format!("/form/{i}/key"), format!("Khoá “{}” bị trùng.", f.key)));
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
                    e.push(err("/result_template", "Mẫu văn bản kết quả tối đa 20000 ký tự."));
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
        format!("{} {}", self.processing_time.amount, self.processing_time.unit.label())
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

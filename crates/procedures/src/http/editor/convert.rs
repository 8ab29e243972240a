//! From the form as typed to a procedure: every problem at once, under the input to fix.

use cqdt_platform::FieldError;

use super::{opt, split_lines, EditorForm};
use crate::model::{
    Component, Fee, Field, FieldType, FormField, Level, OnlineLevel, Procedure, ProcessingTime,
    TimeUnit,
};

impl EditorForm {
    /// The procedure the form describes, or every problem at once, each under the id of
    /// the input to fix. The procedure's own checks run too.
    pub fn to_procedure(&self) -> Result<Procedure, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut e = |id: String, message: &str| {
            errors.push(FieldError { field: id, message: message.into() });
        };
        let mut levels = Vec::new();
        for l in &self.levels {
            match Level::parse(l) {
                Some(l) if !levels.contains(&l) => levels.push(l),
                Some(_) => {}
                None => e("level_tinh".into(), "Cấp thực hiện không hợp lệ."),
            }
        }
        levels.sort();
        let online_level = OnlineLevel::parse(&self.online_level).unwrap_or_else(|| {
            e("online_level".into(), "Chọn mức độ dịch vụ công trực tuyến.");
            OnlineLevel::Partial
        });
        let amount = match self.time_amount.parse::<u32>() {
            Ok(n) => n,
            Err(_) => {
                e("time_amount".into(), "Thời hạn giải quyết là một số nguyên, ví dụ 15.");
                1
            }
        };
        let unit = TimeUnit::parse(&self.time_unit).unwrap_or_else(|| {
            e("time_unit".into(), "Chọn đơn vị của thời hạn.");
            TimeUnit::WorkingDays
        });
        let count = |s: &str| -> Option<u32> {
            let s = s.trim();
            if s.is_empty() {
                Some(0)
            } else {
                s.parse().ok().filter(|n| *n <= 100)
            }
        };
        let mut fees = Vec::new();
        for (i, r) in self.fees.iter().enumerate() {
            if r.name.trim().is_empty() {
                e(format!("fee_{i}_name"), "Phí, lệ phí cần có tên.");
            }
            let digits: String =
                r.amount.chars().filter(|c| !matches!(c, '.' | ',' | ' ' | '\u{a0}')).collect();
            let amount_vnd = if digits.is_empty() {
                0
            } else if let Ok(n) = digits.parse::<u64>() {
                n
            } else {
                e(format!("fee_{i}_amount"), "Mức thu là số đồng, ví dụ 200.000.");
                0
            };
            fees.push(Fee {
                name: r.name.trim().into(),
                amount_vnd,
                exempt: opt(&r.exempt),
                fee_verified: r.verified,
            });
        }
        let mut components = Vec::new();
        for (i, r) in self.components.iter().enumerate() {
            let originals = count(&r.originals).unwrap_or_else(|| {
                e(format!("comp_{i}_originals"), "Số bản chính từ 0 đến 100.");
                0
            });
            let copies = count(&r.copies).unwrap_or_else(|| {
                e(format!("comp_{i}_copies"), "Số bản sao từ 0 đến 100.");
                0
            });
            components.push(Component {
                name: r.name.trim().into(),
                originals,
                copies,
                required: r.required,
                template: opt(&r.template),
                note: opt(&r.note),
            });
        }
        let number = |s: &str| -> Result<Option<f64>, ()> {
            let s = s.trim();
            if s.is_empty() {
                return Ok(None);
            }
            s.replace(',', ".").parse::<f64>().ok().filter(|n| n.is_finite()).map(Some).ok_or(())
        };
        let mut form = Vec::new();
        for (i, r) in self.fields.iter().enumerate() {
            let kind = FieldType::parse(&r.kind).unwrap_or_else(|| {
                e(format!("ff_{i}_kind"), "Chọn kiểu của trường.");
                FieldType::Text
            });
            let max_length = match r.max_length.trim() {
                "" => None,
                t => match t.parse::<u32>() {
                    Ok(n) if (1..=10_000).contains(&n) => Some(n),
                    _ => {
                        e(format!("ff_{i}_max_length"), "Độ dài tối đa từ 1 đến 10000 ký tự.");
                        None
                    }
                },
            };
            let min = number(&r.min).unwrap_or_else(|_| {
                e(format!("ff_{i}_min"), "Giá trị nhỏ nhất phải là số.");
                None
            });
            let max = number(&r.max).unwrap_or_else(|_| {
                e(format!("ff_{i}_max"), "Giá trị lớn nhất phải là số.");
                None
            });
            form.push(FormField {
                key: r.key.trim().into(),
                label: r.label.trim().into(),
                kind,
                required: r.required,
                catalog: opt(&r.catalog),
                options: split_lines(&r.options),
                max_length,
                min,
                max,
                hint: opt(&r.hint),
            });
        }
        let p = Procedure {
            code: self.code.trim().into(),
            national_code: self.national_code.trim().into(),
            code_verified: self.code_verified,
            name: self.name.trim().into(),
            field: Field {
                code: self.field_code.trim().into(),
                name: self.field_name.trim().into(),
            },
            levels,
            implementing_agency_kinds: split_lines(&self.agency_kinds),
            agencies: split_lines(&self.agencies),
            online_level,
            processing_time: ProcessingTime { amount, unit, note: opt(&self.time_note) },
            fees,
            components,
            form,
            conditions: opt(&self.conditions),
            legal_basis: split_lines(&self.legal_basis),
            result: self.result.trim().into(),
            result_template: self.result_template.trim().into(),
            steps: split_lines(&self.steps),
            process_shape: opt(&self.process_shape),
            process_key: opt(&self.process_key),
            popular: self.popular,
            sample: self.sample,
        };
        if let Err(checks) = p.check() {
            for c in checks {
                // Typed-input errors already name that input; keep one message per input.
                let id = input_id(&c.field);
                if !errors.iter().any(|x| x.field == id) {
                    errors.push(FieldError { field: id, message: c.message });
                }
            }
        }
        if errors.is_empty() {
            Ok(p)
        } else {
            // The summary lists errors in the order of the inputs on the page.
            errors.sort_by_key(|e| page_order(&e.field));
            Err(errors)
        }
    }
}

/// Where an input comes on the page, for ordering the error summary.
fn page_order(id: &str) -> (usize, usize, usize) {
    const TOP: [&str; 20] = [
        "code",
        "national_code",
        "name",
        "field_code",
        "field_name",
        "level_tinh",
        "agency_kinds",
        "agencies",
        "online_level",
        "time_amount",
        "time_unit",
        "time_note",
        "conditions",
        "steps",
        "legal_basis",
        "result",
        "result_template",
        "fee",
        "comp",
        "ff",
    ];
    let mut parts = id.splitn(3, '_');
    let (head, index) = (parts.next().unwrap_or(""), parts.next());
    match (TOP.iter().position(|t| *t == head), index) {
        (Some(group), Some(i)) if group >= 17 => (group, i.parse().unwrap_or(0), 0),
        _ => (TOP.iter().position(|t| *t == id).unwrap_or(TOP.len()), 0, 0),
    }
}

/// The editor input a procedure check's JSON pointer points at (`/form/2/key` → `ff_2_key`).
pub fn input_id(pointer: &str) -> String {
    let p = pointer.trim_start_matches('/');
    match p {
        "field" => return "field_code".into(),
        "levels" => return "level_tinh".into(),
        "processing_time/amount" => return "time_amount".into(),
        _ => {}
    }
    let mut parts = p.splitn(3, '/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("components"), Some(i), Some(part)) => format!("comp_{i}_{part}"),
        (Some("fees"), Some(i), Some(part)) => format!("fee_{i}_{part}"),
        (Some("form"), Some(i), Some(part)) => format!("ff_{i}_{part}"),
        _ => p.replace('/', "_"),
    }
}

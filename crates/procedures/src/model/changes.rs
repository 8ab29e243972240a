//! What differs between two versions of a procedure, as the history page lists it.

use serde::Serialize;

use super::Procedure;

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
            out.push(Change { part, detail: format!("{} → {}", short(&a), short(&b)) });
        }
    };
    let levels = |p: &Procedure| p.levels.iter().map(|l| l.label()).collect::<Vec<_>>().join(", ");
    let yes_no = |b: bool| if b { "có" } else { "không" }.to_string();
    scalar("Tên", old.name.clone(), new.name.clone());
    scalar("Mã quốc gia", old.national_code.clone(), new.national_code.clone());
    scalar(
        "Lĩnh vực",
        format!("{} ({})", old.field.name, old.field.code),
        format!("{} ({})", new.field.name, new.field.code),
    );
    scalar("Cấp thực hiện", levels(old), levels(new));
    scalar("Mức độ trực tuyến", old.online_level.label().into(), new.online_level.label().into());
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
    scalar("Mẫu văn bản kết quả", old.result_template.clone(), new.result_template.clone());
    scalar(
        "Quy trình xử lý",
        old.process_key.clone().unwrap_or_default(),
        new.process_key.clone().unwrap_or_default(),
    );
    scalar("Thủ tục phổ biến", yes_no(old.popular), yes_no(new.popular));
    scalar("Dữ liệu mẫu", yes_no(old.sample), yes_no(new.sample));
    scalar("Mã đã đối chiếu CSDL quốc gia", yes_no(old.code_verified), yes_no(new.code_verified));
    let text = |s: &String| s.clone();
    let lists: [(&'static str, Option<String>); 7] = [
        (
            "Loại cơ quan thực hiện",
            list_changes(&old.implementing_agency_kinds, &new.implementing_agency_kinds, text),
        ),
        ("Cơ quan thực hiện", list_changes(&old.agencies, &new.agencies, text)),
        ("Phí, lệ phí", list_changes(&old.fees, &new.fees, |f| f.name.clone())),
        ("Thành phần hồ sơ", list_changes(&old.components, &new.components, |c| c.name.clone())),
        ("Trường của tờ khai", list_changes(&old.form, &new.form, |f| f.key.clone())),
        ("Căn cứ pháp lý", list_changes(&old.legal_basis, &new.legal_basis, text)),
        ("Các bước", list_changes(&old.steps, &new.steps, text)),
    ];
    for (part, detail) in lists {
        if let Some(detail) = detail {
            out.push(Change { part, detail });
        }
    }
    out
}

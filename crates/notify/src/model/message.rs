//! The registry of Vietnamese message templates and their rendering.

use std::collections::BTreeMap;

use cqdt_platform::clock::{format_date_vn, parse_date};
use cqdt_platform::FieldError;

use super::{field_error, shorten, NotifyError};

// Templates

/// What a template parameter holds, and how it is checked and formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// One line of text (names, codes), at most 500 characters.
    Line,
    /// Free text, possibly several lines, at most 10,000 characters.
    Text,
    /// A date given as dd/mm/yyyy or yyyy-mm-dd, shown as dd/mm/yyyy.
    Date,
}

/// A named parameter of a template.
#[derive(Debug, Clone, Copy)]
pub struct Param {
    /// Name used in `{placeholders}` and in requests.
    pub name: &'static str,
    /// Kind.
    pub kind: ParamKind,
}

const fn line(name: &'static str) -> Param {
    Param { name, kind: ParamKind::Line }
}

const fn text(name: &'static str) -> Param {
    Param { name, kind: ParamKind::Text }
}

const fn date(name: &'static str) -> Param {
    Param { name, kind: ParamKind::Date }
}

/// A message template in Vietnamese, with `{placeholders}`.
#[derive(Debug, Clone, Copy)]
pub struct MessageTemplate {
    /// Identifier used in requests.
    pub id: &'static str,
    /// What it is for, in Vietnamese.
    pub name: &'static str,
    /// Subject of the e-mail, title of the in-app notice.
    pub subject: &'static str,
    /// Body of the e-mail and the in-app notice.
    pub body: &'static str,
    /// The short text sent by SMS.
    pub sms: &'static str,
    /// Parameters, all required.
    pub params: &'static [Param],
}

const FOOTER: &str =
    "\n\nĐây là thư tự động từ hệ thống Chính quyền điện tử, vui lòng không trả lời thư này.";

/// The template registry.
pub const TEMPLATES: &[MessageTemplate] = &[
    MessageTemplate {
        id: "test",
        name: "Thông báo thử nghiệm kênh gửi",
        subject: "Thư thử nghiệm từ hệ thống",
        body: "Xin chào,\n\nĐây là thông báo thử nghiệm do hệ thống Chính quyền điện tử gửi để kiểm tra kênh thông báo. Nếu bạn nhận được thông báo này, kênh gửi đang hoạt động bình thường.\n\nĐây là thư tự động từ hệ thống Chính quyền điện tử, vui lòng không trả lời thư này.",
        sms: "Tin nhắn thử nghiệm từ hệ thống Chính quyền điện tử: kênh SMS đang hoạt động bình thường.",
        params: &[],
    },
    MessageTemplate {
        id: "generic",
        name: "Thông báo tự soạn (tiêu đề và nội dung do nơi gửi cung cấp)",
        subject: "{subject}",
        body: "{body}",
        sms: "{body}",
        params: &[line("subject"), text("body")],
    },
    MessageTemplate {
        id: "dossier_received",
        name: "Thông báo đã tiếp nhận hồ sơ",
        subject: "Đã tiếp nhận hồ sơ {dossier_code}",
        body: "Kính gửi ông/bà {applicant_name},\n\n{agency_name} đã tiếp nhận hồ sơ số {dossier_code} về thủ tục “{procedure_name}” ngày {received_date}.\nNgày hẹn trả kết quả: {due_date}.\n\nÔng/bà có thể tra cứu tình trạng hồ sơ bằng mã hồ sơ trên Cổng Dịch vụ công.",
        sms: "{agency_name} đã tiếp nhận hồ sơ {dossier_code} ngày {received_date}, hẹn trả kết quả ngày {due_date}.",
        params: &[
            line("applicant_name"),
            line("agency_name"),
            line("dossier_code"),
            line("procedure_name"),
            date("received_date"),
            date("due_date"),
        ],
    },
    MessageTemplate {
        id: "dossier_result_ready",
        name: "Thông báo hồ sơ đã có kết quả",
        subject: "Hồ sơ {dossier_code} đã có kết quả",
        body: "Kính gửi ông/bà {applicant_name},\n\nHồ sơ số {dossier_code} về thủ tục “{procedure_name}” đã có kết quả ngày {result_date}.\nMời ông/bà nhận kết quả theo hình thức đã đăng ký khi nộp hồ sơ.",
        sms: "Hồ sơ {dossier_code} đã có kết quả ngày {result_date}. Mời ông/bà nhận kết quả theo hình thức đã đăng ký.",
        params: &[
            line("applicant_name"),
            line("dossier_code"),
            line("procedure_name"),
            date("result_date"),
        ],
    },
    MessageTemplate {
        id: "dossier_late_apology",
        name: "Thư xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)",
        subject: "Thư xin lỗi và hẹn lại ngày trả kết quả hồ sơ {dossier_code}",
        body: "Kính gửi ông/bà {applicant_name},\n\nNgày {received_date}, {agency_name} đã tiếp nhận hồ sơ số {dossier_code} về thủ tục “{procedure_name}”, hẹn trả kết quả ngày {due_date}.\nĐến nay hồ sơ chưa giải quyết xong. Lý do: {reason}\n\n{agency_name} thành thật xin lỗi ông/bà vì sự chậm trễ này và hẹn trả kết quả vào ngày {new_due_date}.",
        sms: "{agency_name} xin lỗi vì hồ sơ {dossier_code} chưa có kết quả đúng hẹn ngày {due_date}. Ngày hẹn trả kết quả mới: {new_due_date}.",
        params: &[
            line("applicant_name"),
            line("agency_name"),
            line("dossier_code"),
            line("procedure_name"),
            date("received_date"),
            date("due_date"),
            date("new_due_date"),
            text("reason"),
        ],
    },
];

/// Looks a template up by id.
pub fn template(id: &str) -> Option<&'static MessageTemplate> {
    TEMPLATES.iter().find(|t| t.id == id)
}

/// A template rendered with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Template id.
    pub template: String,
    /// Subject or title.
    pub subject: String,
    /// Body for e-mail and in-app notices.
    pub body: String,
    /// Text for SMS.
    pub sms: String,
}

/// Renders a template; an unknown template or a missing or malformed parameter is an error
/// naming the field, in Vietnamese. Parameters the template does not use are ignored.
pub fn render(
    template_id: &str,
    params: &BTreeMap<String, String>,
) -> Result<Rendered, NotifyError> {
    render_fields(template_id, params).map_err(NotifyError::Invalid)
}

/// [`render`] with the field errors as a list, for collecting every problem of a request.
pub(crate) fn render_fields(
    template_id: &str,
    params: &BTreeMap<String, String>,
) -> Result<Rendered, Vec<FieldError>> {
    let id = template_id.trim();
    let Some(t) = template(id) else {
        let known = TEMPLATES.iter().map(|t| t.id).collect::<Vec<_>>().join(", ");
        let message = if id.is_empty() {
            format!("Chưa chọn mẫu thông báo (có: {known}).")
        } else {
            format!("Không có mẫu thông báo “{}” (có: {known}).", shorten(id))
        };
        return Err(vec![field_error("template", message)]);
    };
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for p in t.params {
        let field = format!("/params/{}", p.name);
        match params.get(p.name) {
            None => errors.push(field_error(
                &field,
                format!("Thiếu tham số “{}” của mẫu “{}”.", p.name, t.id),
            )),
            Some(v) => match check_param(p, v) {
                Ok(v) => {
                    values.insert(p.name, v);
                }
                Err(m) => errors.push(field_error(&field, m)),
            },
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let footer = if t.id == "test" || t.id == "generic" { "" } else { FOOTER };
    Ok(Rendered {
        template: t.id.to_string(),
        subject: fill(t.subject, &values),
        body: format!("{}{footer}", fill(t.body, &values)),
        sms: fill(t.sms, &values),
    })
}

fn check_param(p: &Param, raw: &str) -> Result<String, String> {
    let v = raw.trim();
    if v.is_empty() {
        return Err(format!("Tham số “{}” không được để trống.", p.name));
    }
    match p.kind {
        ParamKind::Line => {
            if v.chars().count() > 500 {
                Err(format!("Tham số “{}” dài quá 500 ký tự.", p.name))
            } else if v.chars().any(char::is_control) {
                Err(format!(
                    "Tham số “{}” phải nằm trên một dòng, không chứa ký tự điều khiển.",
                    p.name
                ))
            } else {
                Ok(v.to_string())
            }
        }
        ParamKind::Text => {
            if v.chars().count() > 10_000 {
                Err(format!("Tham số “{}” dài quá 10.000 ký tự.", p.name))
            } else if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
                Err(format!("Tham số “{}” chứa ký tự điều khiển.", p.name))
            } else {
                Ok(v.replace("\r\n", "\n"))
            }
        }
        ParamKind::Date => parse_date(v).map(format_date_vn).ok_or_else(|| {
            format!("Tham số “{}”: “{}” không phải ngày hợp lệ (dd/mm/yyyy).", p.name, shorten(v))
        }),
    }
}

/// Replaces `{name}` with its value; values are inserted as they are, never re-scanned.
fn fill(pattern: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(pattern.len() + 64);
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if values.contains_key(&after[..end]) => {
                out.push_str(&values[&after[..end]]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{placeholders}` a pattern uses, for checking the registry.
pub fn placeholders(pattern: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                out.push(&after[..end]);
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn every_placeholder_of_every_template_is_a_declared_parameter_and_every_parameter_is_used() {
        for t in TEMPLATES {
            let declared: Vec<&str> = t.params.iter().map(|p| p.name).collect();
            let mut used = Vec::new();
            for pattern in [t.subject, t.body, t.sms] {
                for p in placeholders(pattern) {
                    assert!(declared.contains(&p), "{}: {{{p}}} is not declared", t.id);
                    used.push(p);
                }
            }
            for d in declared {
                assert!(used.contains(&d), "{}: parameter {d} is never used", t.id);
            }
        }
    }

    #[test]
    fn the_test_template_needs_no_parameters_and_has_a_vietnamese_subject() {
        let r = render("test", &BTreeMap::new()).expect("render");
        assert_eq!(r.subject, "Thư thử nghiệm từ hệ thống");
        assert!(r.body.contains("thử nghiệm"));
    }

    #[test]
    fn a_dossier_receipt_shows_dates_day_first_whatever_form_they_were_given_in() {
        let r = render(
            "dossier_received",
            &params(&[
                ("applicant_name", "Nguyễn Văn An"),
                ("agency_name", "Bộ phận Một cửa tỉnh Sóc Trăng"),
                ("dossier_code", "000.18.29.H51-250612-0001"),
                ("procedure_name", "Cấp giấy phép xây dựng"),
                ("received_date", "2025-06-12"),
                ("due_date", "26/06/2025"),
                ("unused", "ignored"),
            ]),
        )
        .expect("render");
        assert_eq!(r.subject, "Đã tiếp nhận hồ sơ 000.18.29.H51-250612-0001");
        assert!(r.body.contains("ngày 12/06/2025"), "{}", r.body);
        assert!(r.body.contains("Ngày hẹn trả kết quả: 26/06/2025"));
        assert!(r.sms.contains("hẹn trả kết quả ngày 26/06/2025"));
    }

    #[test]
    fn a_missing_parameter_is_named_in_the_error() {
        let errors = render(
            "dossier_result_ready",
            &params(&[("applicant_name", "A"), ("dossier_code", "X")]),
        )
        .expect_err("missing");
        let errors = errors.field_errors();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/params/procedure_name", "/params/result_date"]);
        assert!(errors[0].message.contains("Thiếu tham số “procedure_name”"));
    }

    #[test]
    fn an_unknown_template_is_refused_with_the_list_of_known_ones() {
        let errors = render("khong-co", &BTreeMap::new()).expect_err("unknown");
        let errors = errors.field_errors();
        assert_eq!(errors[0].field, "template");
        assert!(errors[0].message.contains("dossier_late_apology"));
    }

    #[test]
    fn a_malformed_date_or_a_multi_line_name_is_refused() {
        let errors = render(
            "dossier_result_ready",
            &params(&[
                ("applicant_name", "A\nB"),
                ("dossier_code", "X"),
                ("procedure_name", "P"),
                ("result_date", "31/02/2026"),
            ]),
        )
        .expect_err("bad");
        let errors = errors.field_errors();
        assert_eq!(errors.len(), 2);
        assert!(errors[1].message.contains("31/02/2026"));
    }

    #[test]
    fn values_are_inserted_verbatim_and_never_expanded_again() {
        let r = render("generic", &params(&[("subject", "{body}"), ("body", "Giá {subject} {x}")]))
            .expect("render");
        assert_eq!(r.subject, "{body}");
        assert_eq!(r.body, "Giá {subject} {x}");
    }
}

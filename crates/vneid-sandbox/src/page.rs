//! The sandbox's two HTML pages, in Vietnamese: the consent page where a tester picks who to
//! log in as, and the page that explains a request that cannot be answered by redirect.
//! Self-contained (inline CSS, no script, no external resource), WCAG 2.1 AA.

use crate::identities::{has_scope, TestIdentity};
use crate::oauth::AuthRequest;

const TITLE: &str = "Cổng xác thực VNeID – môi trường thử nghiệm";

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;\
font-size:1rem;line-height:1.5;color:#1a1a1a;background:#fff}\
.sandbox{background:#fff3cd;color:#5c3b00;border-bottom:3px solid #8a5a00;padding:.75rem 1rem}\
main{max-width:44rem;margin:0 auto;padding:1rem}\
h1{font-size:1.5rem;color:#7a0c0c;margin:.5rem 0 1rem}\
fieldset{border:1px solid #6b6b6b;border-radius:.25rem;margin:0 0 1rem;padding:.5rem 1rem 1rem}\
legend{font-weight:700;padding:0 .25rem}\
.choice{display:flex;gap:.5rem;align-items:flex-start;padding:.4rem 0;border-bottom:1px solid #ddd}\
.choice:last-child{border-bottom:0}\
.choice input{margin-top:.35rem;width:1.1rem;height:1.1rem}\
.meta{display:block;color:#4a4a4a;font-size:.9rem}\
.field{margin:.5rem 0}.field label{display:block;font-weight:600}\
.field input{font:inherit;padding:.4rem;border:1px solid #6b6b6b;border-radius:.25rem;width:100%;max-width:24rem;box-sizing:border-box}\
.hint{color:#4a4a4a;font-size:.9rem;margin:.25rem 0}\
.error{background:#fdecea;color:#8a1c1c;border-left:4px solid #8a1c1c;padding:.5rem 1rem;margin:0 0 1rem}\
button{font:inherit;padding:.6rem 1.2rem;border-radius:.25rem;border:2px solid #0b4f8a;cursor:pointer;margin:0 .5rem .5rem 0}\
.primary{background:#0b4f8a;color:#fff}.secondary{background:#fff;color:#0b4f8a}\
:focus-visible{outline:3px solid #b35c00;outline-offset:2px}\
code{font-size:.95em}";

/// HTML-escapes text for element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `YYYY-MM-DD` as Vietnamese write it, `dd/mm/yyyy`.
pub(crate) fn vn_date(iso: &str) -> String {
    match (iso.get(..4), iso.get(5..7), iso.get(8..10)) {
        (Some(y), Some(m), Some(d)) if iso.len() == 10 => format!("{d}/{m}/{y}"),
        _ => iso.to_string(),
    }
}

fn gender_vi(g: &str) -> &'static str {
    if g == "female" {
        "Nữ"
    } else {
        "Nam"
    }
}

fn layout(body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"vi\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{TITLE}</title><style>{STYLE}</style></head><body>\
<header class=\"sandbox\"><strong>MÔI TRƯỜNG THỬ NGHIỆM (SANDBOX).</strong> \
Đây không phải VNeID thật: mọi danh tính dưới đây là giả lập, chỉ dùng để phát triển và kiểm thử.</header>\
<main>{body}</main></body></html>"
    )
}

/// The page for a request that is refused without redirecting.
pub(crate) fn refusal(message: &str) -> String {
    layout(&format!(
        "<h1>{TITLE}</h1><h2>Yêu cầu xác thực không hợp lệ</h2>\
<div class=\"error\" role=\"alert\"><p>{}</p></div>\
<p>Vì lý do an toàn, cổng xác thực không chuyển bạn về ứng dụng. \
Hãy quay lại ứng dụng và thử lại, hoặc báo cho quản trị viên của ứng dụng.</p>",
        escape(message)
    ))
}

/// What the tester typed for a person not in the list, kept when the page is shown again.
#[derive(Debug, Default, Clone)]
pub(crate) struct Typed {
    pub personal_id: String,
    pub full_name: String,
}

/// The consent page: the request's parameters in hidden fields, the test citizens as radio
/// buttons, fields for another person, and the buttons to agree or refuse.
pub(crate) fn consent(
    action: &str,
    request: &AuthRequest,
    people: &[TestIdentity],
    chosen: Option<&str>,
    typed: &Typed,
    error: Option<&str>,
) -> String {
    let mut b = format!("<h1>{TITLE}</h1>");
    if let Some(e) = error {
        b.push_str(&format!(
            "<div class=\"error\" role=\"alert\" id=\"loi\"><p>{}</p></div>",
            escape(e)
        ));
    }
    b.push_str(&format!(
        "<p>Ứng dụng <strong>{}</strong> đề nghị đăng nhập bằng VNeID và được biết các thông tin sau của bạn:</p><ul>",
        escape(&request.client_id)
    ));
    let mut wanted =
        vec!["Mã định danh người dùng trong ứng dụng (không phải số định danh cá nhân)"];
    for (scope, text) in [
        ("profile", "Họ và tên, ngày sinh, giới tính, địa chỉ thường trú"),
        ("phone", "Số điện thoại"),
        ("email", "Thư điện tử"),
        ("personal_id", "Số định danh cá nhân"),
    ] {
        if has_scope(&request.scope, scope) {
            wanted.push(text);
        }
    }
    for w in wanted {
        b.push_str(&format!("<li>{w}</li>"));
    }
    b.push_str(&format!("</ul><form method=\"post\" action=\"{}\">", escape(action)));
    let mut hidden = vec![
        ("response_type", "code"),
        ("client_id", request.client_id.as_str()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("scope", request.scope.as_str()),
        ("code_challenge", request.code_challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if let Some(s) = &request.state {
        hidden.push(("state", s));
    }
    if let Some(n) = &request.nonce {
        hidden.push(("nonce", n));
    }
    for (name, value) in hidden {
        b.push_str(&format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(value)));
    }
    b.push_str("<fieldset><legend>Chọn danh tính thử nghiệm</legend>");
    let chosen = chosen.or(people.first().map(|p| p.personal_id.as_str()));
    for (i, p) in people.iter().enumerate() {
        let checked = if chosen == Some(p.personal_id.as_str()) { " checked" } else { "" };
        b.push_str(&format!(
            "<div class=\"choice\"><input type=\"radio\" name=\"identity\" id=\"nguoi-{i}\" value=\"{pid}\"{checked}>\
<label for=\"nguoi-{i}\">{name} – số định danh {pid}\
<span class=\"meta\">{gender}, sinh ngày {birth}; {address}</span></label></div>",
            pid = escape(&p.personal_id),
            name = escape(&p.full_name),
            gender = gender_vi(&p.gender),
            birth = vn_date(&p.birth_date),
            address = escape(&p.address),
        ));
    }
    let invalid = if error.is_some() && !typed.personal_id.is_empty() {
        " aria-invalid=\"true\""
    } else {
        ""
    };
    b.push_str(&format!(
        "</fieldset><fieldset><legend>Hoặc đăng nhập bằng một người khác</legend>\
<p class=\"hint\" id=\"goi-y\">Không bắt buộc. Nếu nhập số định danh cá nhân, lựa chọn ở trên được bỏ qua; \
giới tính và năm sinh được suy ra từ số định danh.</p>\
<div class=\"field\"><label for=\"custom_personal_id\">Số định danh cá nhân (12 chữ số)</label>\
<input type=\"text\" id=\"custom_personal_id\" name=\"custom_personal_id\" inputmode=\"numeric\" \
autocomplete=\"off\" maxlength=\"14\" aria-describedby=\"goi-y\" value=\"{}\"{invalid}></div>\
<div class=\"field\"><label for=\"custom_full_name\">Họ và tên</label>\
<input type=\"text\" id=\"custom_full_name\" name=\"custom_full_name\" autocomplete=\"off\" maxlength=\"100\" value=\"{}\"></div>\
</fieldset>\
<button type=\"submit\" name=\"decision\" value=\"allow\" class=\"primary\">Đồng ý và tiếp tục</button>\
<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">Từ chối</button>\
</form>",
        escape(&typed.personal_id),
        escape(&typed.full_name),
    ));
    layout(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identities::test_identities;

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        assert_eq!(escape("Trần Thị"), "Trần Thị");
    }

    #[test]
    fn dates_are_written_the_vietnamese_way() {
        assert_eq!(vn_date("1985-03-12"), "12/03/1985");
        assert_eq!(vn_date("1985"), "1985");
    }

    #[test]
    fn the_consent_page_escapes_what_it_echoes() {
        let request = AuthRequest {
            client_id: "cqdt".into(),
            redirect_uri: "http://app.test/cb".into(),
            scope: "openid personal_id".into(),
            state: Some("\"><script>alert(1)</script>".into()),
            nonce: None,
            code_challenge: "c".repeat(43),
        };
        let typed = Typed { personal_id: "<b>".into(), full_name: String::new() };
        let html =
            consent("http://x/authorize", &request, &test_identities(), None, &typed, Some("<i>"));
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>") && !html.contains("<i>"));
        assert!(html.contains("lang=\"vi\""));
        assert!(html.contains("Số định danh cá nhân</li>"));
        assert!(html.contains("Nguyễn Văn An – số định danh 094085012345"));
        assert!(html.contains("Đồng ý và tiếp tục"));
    }
}

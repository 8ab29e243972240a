//! A citizen registers, then verifies the account with the code sent to their phone or
//! e-mail.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;

use super::{field, see_other, Caller, FormPage};
use crate::account::{Account, AccountStatus, RegistrationForm};
use crate::error::IdentityError;
use crate::http::IdentityState;

fn register_page(f: &RegistrationForm) -> FormPage {
    FormPage {
        title: "Đăng ký tài khoản công dân",
        intro: vec!["Tài khoản dùng để nộp hồ sơ trực tuyến, theo dõi và nhận kết quả. Người từ đủ 14 tuổi tự đăng ký.".into()],
        action: "/dang-ky".into(),
        fields: vec![
            field("personal_id", "Số định danh cá nhân", "text")
                .hint("12 chữ số, in trên căn cước công dân.")
                .value(&f.personal_id),
            field("full_name", "Họ và tên", "text").auto("name").value(&f.full_name),
            field("birth_date", "Ngày sinh", "text")
                .hint("Ngày/tháng/năm, ví dụ 02/09/1985.")
                .auto("bday")
                .value(&f.birth_date),
            field("phone", "Số điện thoại di động", "text")
                .hint("Mã xác thực được gửi tới số này.")
                .auto("tel")
                .value(&f.phone),
            field("email", "Thư điện tử (không bắt buộc)", "email")
                .auto("email")
                .value(&f.email),
            field("password", "Mật khẩu", "password")
                .hint("Ít nhất 10 ký tự; nên dùng một câu dễ nhớ. Không dùng mật khẩu phổ biến hay thông tin cá nhân.")
                .auto("new-password"),
            field("password_confirm", "Nhập lại mật khẩu", "password").auto("new-password"),
        ],
        submit: "Đăng ký",
        links: vec![("/dang-nhap".into(), "Đã có tài khoản? Đăng nhập".into())],
        ..FormPage::default()
    }
}

pub(super) async fn register_form(State(s): State<IdentityState>) -> Response {
    register_page(&RegistrationForm::default()).render(&s.platform.shell, Vec::new())
}

pub(super) async fn register_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<RegistrationForm>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let today = s.platform.clock.today();
    let reg = match f.parse(today) {
        Ok(r) => r,
        Err(errors) => return Ok(register_page(&f).render(shell, errors)),
    };
    match s.identity.register_citizen(&reg, &caller.client).await {
        Ok(a) => Ok(see_other(&format!("/xac-thuc-tai-khoan?tk={}", a.id))),
        Err(IdentityError::Fields(errors)) => Ok(register_page(&f).render(shell, errors)),
        Err(e) => Err(e),
    }
}

fn verify_page(account_id: &str, a: Option<&Account>) -> FormPage {
    let to = a
        .map(|a| {
            let mut t = Vec::new();
            if let Some(p) = &a.phone {
                t.push(format!("số điện thoại …{}", &p[p.len().saturating_sub(3)..]));
            }
            if let Some(e) = &a.email {
                t.push(format!("thư điện tử {}", mask_email(e)));
            }
            t.join(" và ")
        })
        .unwrap_or_default();
    FormPage {
        title: "Xác thực tài khoản",
        intro: vec![format!(
            "Chúng tôi đã gửi mã xác thực 6 chữ số tới {to}. Mã có hiệu lực 10 phút."
        )],
        action: "/xac-thuc-tai-khoan".into(),
        hidden: vec![("tk".into(), account_id.to_string())],
        fields: vec![field("code", "Mã xác thực", "text").auto("one-time-code")],
        submit: "Xác thực",
        extra_button: "Gửi lại mã",
        ..FormPage::default()
    }
}

fn mask_email(e: &str) -> String {
    match e.split_once('@') {
        Some((l, d)) => format!("{}***@{d}", l.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

pub(super) async fn verify_form(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = q.get("tk").cloned().unwrap_or_default();
    let a = s.identity.account(&id).await.ok().flatten();
    let Some(a) = a.filter(|a| a.status == AccountStatus::Pending) else {
        return see_other("/dang-nhap");
    };
    let mut page = verify_page(&id, Some(&a));
    if q.contains_key("da-gui") {
        page.notice = "Đã gửi mã mới.".into();
    }
    page.render(&s.platform.shell, Vec::new())
}

pub(super) async fn verify_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let id = f.get("tk").cloned().unwrap_or_default();
    if f.contains_key("resend") {
        return verify_resend(State(s), Form(f)).await;
    }
    let code = f.get("code").cloned().unwrap_or_default();
    match s.identity.verify_account(&id, &code, &caller.client).await {
        Ok(_) => Ok(see_other("/dang-nhap?da-xac-thuc=1")),
        Err(IdentityError::Fields(errors)) => {
            let a = s.identity.account(&id).await.ok().flatten();
            Ok(verify_page(&id, a.as_ref()).render(&s.platform.shell, errors))
        }
        Err(IdentityError::NotFound(_)) => Ok(see_other("/dang-nhap")),
        Err(e) => Err(e),
    }
}

pub(super) async fn verify_resend(
    State(s): State<IdentityState>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let id = f.get("tk").cloned().unwrap_or_default();
    match s.identity.resend_code(&id).await {
        Ok(()) => Ok(see_other(&format!(
            "/xac-thuc-tai-khoan?tk={}&da-gui=1",
            cqdt_platform::web::url_encode(&id)
        ))),
        Err(IdentityError::NotFound(_)) => Ok(see_other("/dang-nhap")),
        Err(e) => Err(e),
    }
}

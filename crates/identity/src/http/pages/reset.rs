//! Forgotten password: ask for a reset link, then set a new password through it.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use cqdt_platform::Shell;

use super::{clear_cookie, field, field_error, message, see_other, Caller, FormPage};
use crate::error::IdentityError;
use crate::http::IdentityState;

fn forgot_page(login: &str) -> FormPage {
    FormPage {
        title: "Quên mật khẩu",
        intro: vec!["Nhập số định danh cá nhân, số điện thoại, thư điện tử hoặc tên đăng nhập. Nếu có tài khoản, chúng tôi gửi liên kết đặt lại mật khẩu tới thư điện tử (hoặc số điện thoại) của tài khoản.".into()],
        action: "/quen-mat-khau".into(),
        fields: vec![field("login", "Tài khoản", "text").auto("username").value(login)],
        submit: "Gửi liên kết",
        links: vec![("/dang-nhap".into(), "Quay lại đăng nhập".into())],
        ..FormPage::default()
    }
}

pub(super) async fn forgot_form(State(s): State<IdentityState>) -> Response {
    forgot_page("").render(&s.platform.shell, Vec::new())
}

pub(super) async fn forgot_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let login = f.get("login").cloned().unwrap_or_default();
    if login.trim().is_empty() {
        let errors = field_error("login", "Chưa nhập tài khoản.");
        return Ok(forgot_page(&login).render(shell, errors));
    }
    s.identity.request_reset(&login, &caller.client).await?;
    Ok(message(
        shell,
        "Đã tiếp nhận yêu cầu",
        vec!["Nếu thông tin trùng với một tài khoản, liên kết đặt lại mật khẩu đã được gửi đi. Liên kết có hiệu lực 30 phút và chỉ dùng một lần.".into()],
        ("/dang-nhap", "Quay lại đăng nhập"),
    ))
}

fn reset_page(token: &str) -> FormPage {
    FormPage {
        title: "Đặt mật khẩu mới",
        action: "/dat-lai-mat-khau".into(),
        hidden: vec![("ma".into(), token.to_string())],
        fields: vec![
            field("password", "Mật khẩu mới", "password")
                .hint("Ít nhất 10 ký tự; không dùng mật khẩu phổ biến hay thông tin cá nhân.")
                .auto("new-password"),
            field("password_confirm", "Nhập lại mật khẩu mới", "password").auto("new-password"),
        ],
        submit: "Lưu mật khẩu",
        ..FormPage::default()
    }
}

/// A reset link that is wrong, used or expired.
fn dead_link(shell: &Shell, why: String) -> Response {
    message(
        shell,
        "Liên kết không còn hiệu lực",
        vec![why],
        ("/quen-mat-khau", "Yêu cầu liên kết mới"),
    )
}

pub(super) async fn reset_form(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let token = q.get("ma").cloned().unwrap_or_default();
    Ok(match s.identity.reset_link_account(&token).await? {
        Some(_) => reset_page(&token).render(shell, Vec::new()),
        None => dead_link(
            shell,
            "Liên kết đặt lại mật khẩu không đúng, đã dùng hoặc đã hết hạn. Hãy yêu cầu liên kết mới.".into(),
        ),
    })
}

pub(super) async fn reset_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let token = f.get("ma").cloned().unwrap_or_default();
    let p = f.get("password").cloned().unwrap_or_default();
    let c = f.get("password_confirm").cloned().unwrap_or_default();
    match s.identity.reset_password(&token, &p, &c, &caller.client).await {
        Ok(_) => Ok(clear_cookie(see_other("/dang-nhap?da-dat-lai=1"), shell.tls)),
        Err(IdentityError::Fields(errors)) => Ok(reset_page(&token).render(shell, errors)),
        Err(IdentityError::Invalid(m)) => Ok(dead_link(shell, m)),
        Err(e) => Err(e),
    }
}

//! Signing in with a password, and signing out.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use cqdt_platform::auth::AuthRejection;
use cqdt_platform::{FieldError, MaybePrincipal};

use super::{
    field, leading_to, rp_origin, safe_next, see_other, signed_out, with_cookie, Caller, FormPage,
};
use crate::error::IdentityError;
use crate::http::IdentityState;
use crate::login::Stage;

fn login_page(s: &IdentityState, next: &str, login: &str) -> FormPage {
    let vneid = s.identity.vneid_enabled();
    FormPage {
        title: "Đăng nhập",
        intro: vec![
            "Đăng nhập một lần để dùng mọi dịch vụ của hệ thống Chính quyền điện tử.".into()
        ],
        action: "/dang-nhap".into(),
        hidden: vec![("next".into(), next.to_string())],
        fields: vec![
            field(
                "login",
                "Số định danh cá nhân, số điện thoại, thư điện tử hoặc tên đăng nhập",
                "text",
            )
            .auto("username")
            .value(login),
            field("password", "Mật khẩu", "password").auto("current-password"),
        ],
        submit: "Đăng nhập",
        links: vec![
            ("/quen-mat-khau".into(), "Quên mật khẩu?".into()),
            ("/dang-ky".into(), "Chưa có tài khoản? Đăng ký".into()),
        ],
        alt_heading: if vneid { "Hoặc" } else { "" },
        alt_action: if vneid {
            format!("/dang-nhap/vneid?next={}", cqdt_platform::web::url_encode(next))
        } else {
            String::new()
        },
        alt_label: "Đăng nhập bằng VNeID",
        ..FormPage::default()
    }
}

pub(super) async fn login_form(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
    signed_in: Result<MaybePrincipal, AuthRejection>,
) -> Response {
    let next = safe_next(q.get("next"));
    // Someone already signed in goes on where they were going (home by default), except in
    // an OpenID Connect flow, which comes here to make the person sign in again
    // (`prompt=login`).
    if matches!(signed_in, Ok(MaybePrincipal(Some(_)))) && !next.starts_with("/oauth/") {
        return see_other(if q.contains_key("next") { &next } else { "/" });
    }
    let mut page = login_page(&s, &next, "");
    if q.contains_key("da-dat-lai") {
        page.notice = "Đã đặt mật khẩu mới. Mời đăng nhập.".into();
    }
    if q.contains_key("da-xac-thuc") {
        page.notice = "Tài khoản đã được xác thực. Mời đăng nhập.".into();
    }
    leading_to(page.render(&s.platform.shell, Vec::new()), rp_origin(&s, &next).await)
}

fn after_login(stage: Stage, next: &str) -> String {
    let enc = cqdt_platform::web::url_encode;
    match stage {
        Stage::Full => next.to_string(),
        Stage::SecondFactor => format!("/dang-nhap/xac-thuc-hai-lop?next={}", enc(next)),
        Stage::Enrol => format!("/dang-nhap/cai-dat-hai-lop?next={}", enc(next)),
    }
}

/// The fields left empty.
fn missing(login: &str, password: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if login.trim().is_empty() {
        errors.push(FieldError::new("login", "Chưa nhập tên đăng nhập."));
    }
    if password.is_empty() {
        errors.push(FieldError::new("password", "Chưa nhập mật khẩu."));
    }
    errors
}

/// The login page again after too many failures: 429, with when to try again.
fn locked_page(s: &IdentityState, next: &str, login: &str, mins: u64) -> Response {
    let mut res = login_page(s, next, login).render(
        &s.platform.shell,
        vec![FieldError::new(
            "login",
            format!(
                "Đăng nhập sai quá nhiều lần; tài khoản tạm khoá. Vui lòng thử lại sau {mins} phút hoặc đặt lại mật khẩu."
            ),
        )],
    );
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    res
}

pub(super) async fn login_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let next = safe_next(f.get("next"));
    let origin = rp_origin(&s, &next).await;
    Ok(leading_to(login_attempt(&s, caller, &f, &next).await?, origin))
}

async fn login_attempt(
    s: &IdentityState,
    caller: Caller,
    f: &HashMap<String, String>,
    next: &str,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let login = f.get("login").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let errors = missing(&login, &password);
    if !errors.is_empty() {
        return Ok(login_page(s, next, &login).render(shell, errors));
    }
    match s.identity.login_password(&login, &password, &caller.client).await {
        Ok(signed) => {
            Ok(with_cookie(see_other(&after_login(signed.stage, next)), &signed.cookie, shell.tls))
        }
        Err(IdentityError::Fields(errors)) => Ok(login_page(s, next, &login).render(shell, errors)),
        Err(IdentityError::Locked(mins)) => Ok(locked_page(s, next, &login, mins)),
        Err(IdentityError::Unverified(id)) => {
            Ok(see_other(&format!("/xac-thuc-tai-khoan?tk={id}")))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn logout_form(State(s): State<IdentityState>) -> Response {
    FormPage {
        title: "Đăng xuất",
        intro: vec!["Kết thúc phiên đăng nhập trên trình duyệt này?".into()],
        action: "/dang-xuat".into(),
        submit: "Đăng xuất",
        ..FormPage::default()
    }
    .render(&s.platform.shell, Vec::new())
}

pub(super) async fn logout_submit(
    State(s): State<IdentityState>,
    caller: Caller,
) -> Result<Response, IdentityError> {
    if let Some(cookie) = &caller.cookie {
        s.identity.logout(cookie, &caller.client).await?;
    }
    Ok(signed_out(
        &s.platform.shell,
        "Phiên đăng nhập đã kết thúc. Nếu dùng máy tính công cộng, hãy đóng trình duyệt.",
    ))
}

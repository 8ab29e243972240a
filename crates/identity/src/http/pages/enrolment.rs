//! Enrolling an authenticator app (TOTP): at the first sign-in of an official, or from the
//! account page.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, Shell};

use super::{field, leading_to, rp_origin, safe_next, see_other, Caller, FormPage, MessageTpl};
use crate::error::IdentityError;
use crate::http::IdentityState;
use crate::login::{LiveSession, Stage};
use crate::totp;

pub(super) async fn enrol_form(
    State(s): State<IdentityState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let Some(live) = caller.live(&s).await else {
        return Ok(see_other("/dang-nhap"));
    };
    if !matches!(live.stage, Stage::Enrol | Stage::Full) || live.account.has_second_factor() {
        return Ok(see_other("/tai-khoan"));
    }
    let (secret, uri) = s.identity.begin_totp(&live.account.id).await?;
    let next = safe_next(q.get("next"));
    let page = enrol_page(&next, &secret, &uri, live.stage);
    Ok(leading_to(page.render(&s.platform.shell, Vec::new()), rp_origin(&s, &next).await))
}

fn enrol_page(next: &str, secret: &str, uri: &str, stage: Stage) -> FormPage {
    let grouped: Vec<String> =
        secret.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let mut intro = Vec::new();
    if stage == Stage::Enrol {
        intro.push(
            "Tài khoản cán bộ bắt buộc xác thực hai lớp. Ông/bà cần cài đặt trước khi tiếp tục."
                .to_string(),
        );
    }
    intro.push("1. Mở ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, FreeOTP…) trên điện thoại và quét mã QR dưới đây.".into());
    intro.push(format!("Nếu không quét được, nhập khoá sau vào ứng dụng: {}", grouped.join(" ")));
    intro.push("2. Nhập mã 6 chữ số ứng dụng hiển thị để xác nhận.".into());
    FormPage {
        title: "Cài đặt xác thực hai lớp",
        intro,
        qr_svg: totp::qr_svg(uri, "Mã QR để thêm tài khoản vào ứng dụng xác thực")
            .unwrap_or_default(),
        action: if stage == Stage::Enrol {
            "/dang-nhap/cai-dat-hai-lop".into()
        } else {
            "/tai-khoan/xac-thuc-hai-lop".into()
        },
        hidden: vec![
            ("next".into(), next.to_string()),
            ("secret_shown".into(), secret.to_string()),
        ],
        fields: vec![field("code", "Mã xác thực từ ứng dụng", "text").auto("one-time-code")],
        submit: "Xác nhận và bật",
        ..FormPage::default()
    }
}

/// The recovery codes, shown once after the second factor is on.
fn recovery_codes_page(shell: &Shell, codes: Vec<String>, next: String) -> Response {
    render(&MessageTpl {
        shell: shell.clone(),
        title: "Đã bật xác thực hai lớp",
        paragraphs: vec![
            "Từ nay mỗi lần đăng nhập, ông/bà nhập thêm mã từ ứng dụng xác thực.".into(),
            "Dưới đây là 10 mã khôi phục, mỗi mã dùng được một lần khi mất điện thoại. Hãy in hoặc chép ra nơi an toàn: các mã này chỉ hiện một lần.".into(),
        ],
        codes,
        link_href: next,
        link_label: "Tiếp tục",
    })
}

/// The enrolment page again after a wrong code, with the same secret if it is still the
/// pending one; otherwise a fresh start.
fn enrol_again(
    s: &IdentityState,
    live: &LiveSession,
    secret: &str,
    next: &str,
    errors: Vec<FieldError>,
) -> Response {
    if s.identity.pending_totp_secret(&live.account).as_deref() != Some(secret) {
        return see_other("/tai-khoan/xac-thuc-hai-lop");
    }
    let label = live.account.username.clone().unwrap_or_else(|| live.account.full_name.clone());
    let uri = totp::otpauth_uri(&s.identity.config().totp_issuer, &label, secret);
    enrol_page(next, secret, &uri, live.stage).render(&s.platform.shell, errors)
}

pub(super) async fn enrol_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let next = safe_next(f.get("next"));
    let Some(cookie) = caller.cookie else {
        return Ok(see_other("/dang-nhap"));
    };
    let Some(live) = s.identity.session(&cookie).await.ok().flatten() else {
        return Ok(see_other("/dang-nhap"));
    };
    if !matches!(live.stage, Stage::Enrol | Stage::Full) {
        return Ok(see_other("/dang-nhap"));
    }
    let code = f.get("code").cloned().unwrap_or_default();
    let origin = rp_origin(&s, &next).await;
    match s.identity.confirm_totp(&live.account.id, &code, Some(&cookie), &caller.client).await {
        Ok(codes) => Ok(recovery_codes_page(&s.platform.shell, codes, next)),
        Err(IdentityError::Fields(errors)) => {
            let secret = f.get("secret_shown").cloned().unwrap_or_default();
            Ok(leading_to(enrol_again(&s, &live, &secret, &next, errors), origin))
        }
        Err(e) => Err(e),
    }
}

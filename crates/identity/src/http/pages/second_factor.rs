//! The second factor at sign-in: a code from the authenticator app, or a recovery code.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Form;

use super::{field, field_error, leading_to, rp_origin, safe_next, see_other, Caller, FormPage};
use crate::error::IdentityError;
use crate::http::IdentityState;
use crate::login::Stage;

fn mfa_page(next: &str) -> FormPage {
    FormPage {
        title: "Xác thực hai lớp",
        intro: vec!["Nhập mã 6 chữ số đang hiển thị trong ứng dụng xác thực trên điện thoại của ông/bà. Nếu mất điện thoại, nhập một mã khôi phục.".into()],
        action: "/dang-nhap/xac-thuc-hai-lop".into(),
        hidden: vec![("next".into(), next.to_string())],
        fields: vec![field("code", "Mã xác thực", "text").auto("one-time-code")],
        submit: "Xác nhận",
        ..FormPage::default()
    }
}

pub(super) async fn mfa_form(
    State(s): State<IdentityState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = safe_next(q.get("next"));
    match caller.live(&s).await {
        Some(l) if l.stage == Stage::SecondFactor => leading_to(
            mfa_page(&next).render(&s.platform.shell, Vec::new()),
            rp_origin(&s, &next).await,
        ),
        _ => see_other("/dang-nhap"),
    }
}

pub(super) async fn mfa_submit(
    State(s): State<IdentityState>,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let next = safe_next(f.get("next"));
    let Some(cookie) = caller.cookie else {
        return Ok(see_other("/dang-nhap"));
    };
    let code = f.get("code").cloned().unwrap_or_default();
    let origin = rp_origin(&s, &next).await;
    let res = match s.identity.second_factor(&cookie, &code, &caller.client).await {
        Ok(_) => Ok(see_other(&next)),
        Err(IdentityError::Fields(errors)) => Ok(mfa_page(&next).render(shell, errors)),
        Err(IdentityError::Locked(mins)) => Ok(mfa_page(&next).render(
            shell,
            field_error(
                "code",
                format!("Nhập sai quá nhiều lần; vui lòng thử lại sau {mins} phút."),
            ),
        )),
        Err(IdentityError::NotFound(_)) => Ok(see_other("/dang-nhap")),
        Err(e) => Err(e),
    };
    res.map(|r| leading_to(r, origin))
}

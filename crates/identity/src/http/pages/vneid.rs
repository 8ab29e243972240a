//! Signing in with VNeID, the national identity provider.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use cqdt_platform::Shell;

use super::{message, safe_next, see_other, with_cookie, Caller};
use crate::error::IdentityError;
use crate::http::IdentityState;

/// Why signing in with VNeID did not work, with the way back to the login page.
fn not_signed_in(shell: &Shell, why: String) -> Response {
    message(
        shell,
        "Chưa đăng nhập được bằng VNeID",
        vec![why],
        ("/dang-nhap", "Quay lại đăng nhập"),
    )
}

pub(super) async fn vneid_start(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let next = safe_next(q.get("next"));
    match s.identity.vneid_start(&next).await {
        Ok(url) => Ok(see_other(&url)),
        Err(IdentityError::Upstream(e)) => {
            tracing::warn!(error = %e, "VNeID unreachable");
            Ok(message(
                &s.platform.shell,
                "Chưa kết nối được VNeID",
                vec!["Hệ thống định danh VNeID đang không phản hồi. Vui lòng thử lại sau, hoặc đăng nhập bằng mật khẩu.".into()],
                ("/dang-nhap", "Đăng nhập bằng mật khẩu"),
            ))
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn vneid_callback(
    State(s): State<IdentityState>,
    caller: Caller,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    if q.contains_key("error") {
        return Ok(not_signed_in(
            shell,
            "Ông/bà đã huỷ hoặc VNeID từ chối yêu cầu đăng nhập.".into(),
        ));
    }
    let code = q.get("code").cloned().unwrap_or_default();
    let state = q.get("state").cloned().unwrap_or_default();
    match s.identity.vneid_callback(&code, &state, &caller.client).await {
        Ok((signed, next)) => {
            Ok(with_cookie(see_other(&safe_next(Some(&next))), &signed.cookie, shell.tls))
        }
        Err(IdentityError::Invalid(m) | IdentityError::Forbidden(m)) => Ok(not_signed_in(shell, m)),
        Err(IdentityError::Upstream(e)) => {
            tracing::warn!(error = %e, "VNeID login failed");
            Ok(not_signed_in(
                shell,
                "Không xác minh được kết quả đăng nhập từ VNeID. Vui lòng thử lại.".into(),
            ))
        }
        Err(e) => Err(e),
    }
}

//! The pages people use (Vietnamese, no JavaScript): register, verify, log in, the second
//! factor, forgot and reset password, the account, its sessions and businesses, login with
//! VNeID; and the browser side of OpenID Connect: authorize, consent, logout.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cqdt_platform::web::render;
use cqdt_platform::{FieldError, PageError, Principal, RequestId, Role, Shell};

use super::IdentityState;
use crate::account::{Account, BusinessForm, RegistrationForm};
use crate::error::IdentityError;
use crate::login::{Client, LiveSession, Stage, SESSION_COOKIE, SESSION_MAX};
use crate::oidc::{AuthRequest, AuthorizeError, USER_SCOPES};
use crate::totp;

pub(super) fn routes() -> Router<IdentityState> {
    Router::new()
        .route("/dang-nhap", get(login_form).post(login_submit))
        .route(
            "/dang-nhap/xac-thuc-hai-lop",
            get(mfa_form).post(mfa_submit),
        )
        .route(
            "/dang-nhap/cai-dat-hai-lop",
            get(enrol_form).post(enrol_submit),
        )
        .route(
            "/tai-khoan/xac-thuc-hai-lop",
            get(enrol_form).post(enrol_submit),
        )
        .route("/dang-ky", get(register_form).post(register_submit))
        .route("/xac-thuc-tai-khoan", get(verify_form).post(verify_submit))
        .route("/xac-thuc-tai-khoan/gui-lai", post(verify_resend))
        .route("/quen-mat-khau", get(forgot_form).post(forgot_submit))
        .route("/dat-lai-mat-khau", get(reset_form).post(reset_submit))
        .route("/dang-xuat", get(logout_form).post(logout_submit))
        .route("/tai-khoan", get(account_page))
        .route("/tai-khoan/phien", get(sessions_page))
        .route("/tai-khoan/dia-chi", get(address_form).post(address_submit))
        .route("/tai-khoan/phien/{id}/ket-thuc", post(end_session))
        .route(
            "/tai-khoan/doi-mat-khau",
            get(password_form).post(password_submit),
        )
        .route(
            "/tai-khoan/doanh-nghiep",
            get(business_form).post(business_submit),
        )
        .route("/dang-nhap/vneid", get(vneid_start))
        .route("/dang-nhap/vneid/callback", get(vneid_callback))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/authorize/consent", post(consent_submit))
        .route("/oauth/logout", get(rp_logout).post(rp_logout_confirm))
}

/// One field of a form page.
#[derive(Debug, Clone, Default)]
pub(super) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: &'static str,
    pub value: String,
    pub error: String,
    pub hint: &'static str,
    pub autocomplete: &'static str,
    pub options: Vec<(String, String)>,
}

pub(super) fn field(name: &'static str, label: &'static str, kind: &'static str) -> Field {
    Field {
        name,
        label,
        kind,
        ..Field::default()
    }
}

impl Field {
    pub(super) fn hint(mut self, h: &'static str) -> Self {
        self.hint = h;
        self
    }
    pub(super) fn auto(mut self, a: &'static str) -> Self {
        self.autocomplete = a;
        self
    }
    pub(super) fn value(mut self, v: impl Into<String>) -> Self {
        self.value = v.into();
        self
    }
}

/// A page with one form.
#[derive(Debug, Clone, Default)]
pub(super) struct FormPage {
    pub title: &'static str,
    pub intro: Vec<String>,
    pub notice: String,
    pub qr_svg: String,
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    pub extra_button: &'static str,
    pub links: Vec<(String, String)>,
    pub alt_heading: &'static str,
    pub alt_action: String,
    pub alt_label: &'static str,
}

#[derive(Template)]
#[template(path = "form_page.html")]
pub(super) struct FormTpl {
    pub shell: Shell,
    pub errors: Vec<FieldError>,
    pub page: FormPage,
}

impl FormPage {
    /// Renders with errors placed on their fields; passwords are never echoed back.
    pub(super) fn render(mut self, shell: &Shell, errors: Vec<FieldError>) -> Response {
        for f in &mut self.fields {
            if f.kind == "password" {
                f.value.clear();
            }
            if let Some(e) = errors.iter().find(|e| e.field == f.name) {
                f.error = e.message.clone();
            }
        }
        let status = if errors.is_empty() {
            axum::http::StatusCode::OK
        } else {
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        };
        let mut res = render(&FormTpl {
            shell: shell.clone(),
            errors,
            page: self,
        });
        if res.status() == axum::http::StatusCode::OK {
            *res.status_mut() = status;
        }
        res
    }
}

#[derive(Template)]
#[template(path = "message.html")]
pub(super) struct MessageTpl {
    pub shell: Shell,
    pub title: &'static str,
    pub paragraphs: Vec<String>,
    pub codes: Vec<String>,
    pub link_href: String,
    pub link_label: &'static str,
}

pub(super) fn message(
    shell: &Shell,
    title: &'static str,
    paragraphs: Vec<String>,
    link: (&str, &'static str),
) -> Response {
    render(&MessageTpl {
        shell: shell.clone(),
        title,
        paragraphs,
        codes: Vec::new(),
        link_href: link.0.to_string(),
        link_label: link.1,
    })
}

/// The peer address of the connection, when the server recorded it.
pub(super) struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The request's origin, for sessions and the audit log.
pub(super) fn client_of(addr: &Peer, headers: &HeaderMap, request_id: &str) -> Client {
    Client {
        ip: addr.0.map(|a| a.ip().to_string()).unwrap_or_default(),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(300)
            .collect(),
        request_id: request_id.to_string(),
    }
}

/// The session cookie's value, if sent.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn cookie_header(value: &str, max_age: u64, tls: bool) -> HeaderValue {
    let secure = if tls { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static("cqdt_session=; Path=/; Max-Age=0"))
}

fn with_cookie(mut res: Response, value: &str, tls: bool) -> Response {
    res.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(value, SESSION_MAX.as_secs(), tls),
    );
    res
}

fn clear_cookie(mut res: Response, tls: bool) -> Response {
    res.headers_mut()
        .append(header::SET_COOKIE, cookie_header("", 0, tls));
    res
}

/// A local path to return to after signing in; anything else becomes `/tai-khoan`.
pub(super) fn safe_next(next: Option<&String>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(char::is_control)
                && n.len() < 4000 =>
        {
            n.clone()
        }
        _ => "/tai-khoan".into(),
    }
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

pub(super) fn page_error(e: IdentityError, shell: &Shell) -> Response {
    match e {
        IdentityError::NotFound(_) => PageError::NotFound.with_shell(shell),
        IdentityError::Forbidden(_) => PageError::Forbidden.with_shell(shell),
        IdentityError::Invalid(m) => PageError::BadRequest(m).with_shell(shell),
        other => PageError::internal(other).with_shell(shell),
    }
}

async fn live_session(s: &IdentityState, headers: &HeaderMap) -> Option<LiveSession> {
    let cookie = session_cookie(headers)?;
    s.identity.session(&cookie).await.ok().flatten()
}

// ---- login ----

fn login_page(s: &IdentityState, next: &str, login: &str) -> FormPage {
    FormPage {
        title: "Đăng nhập",
        intro: vec![
            "Đăng nhập một lần để dùng mọi dịch vụ của hệ thống Chính quyền điện tử.".into(),
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
        alt_heading: if s.identity.vneid_enabled() {
            "Hoặc"
        } else {
            ""
        },
        alt_action: if s.identity.vneid_enabled() {
            format!(
                "/dang-nhap/vneid?next={}",
                cqdt_platform::web::url_encode(next)
            )
        } else {
            String::new()
        },
        alt_label: "Đăng nhập bằng VNeID",
        ..FormPage::default()
    }
}

async fn login_form(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = safe_next(q.get("next"));
    let mut page = login_page(&s, &next, "");
    if q.contains_key("da-dat-lai") {
        page.notice = "Đã đặt mật khẩu mới. Mời đăng nhập.".into();
    }
    if q.contains_key("da-xac-thuc") {
        page.notice = "Tài khoản đã được xác thực. Mời đăng nhập.".into();
    }
    page.render(&s.platform.shell, Vec::new())
}

fn after_login(stage: Stage, next: &str) -> String {
    let enc = cqdt_platform::web::url_encode;
    match stage {
        Stage::Full => next.to_string(),
        Stage::SecondFactor => format!("/dang-nhap/xac-thuc-hai-lop?next={}", enc(next)),
        Stage::Enrol => format!("/dang-nhap/cai-dat-hai-lop?next={}", enc(next)),
    }
}

async fn login_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let next = safe_next(f.get("next"));
    let login = f.get("login").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let client = client_of(&addr, &headers, &rid);
    if login.trim().is_empty() || password.is_empty() {
        let mut errors = Vec::new();
        if login.trim().is_empty() {
            errors.push(FieldError {
                field: "login".into(),
                message: "Chưa nhập tên đăng nhập.".into(),
            });
        }
        if password.is_empty() {
            errors.push(FieldError {
                field: "password".into(),
                message: "Chưa nhập mật khẩu.".into(),
            });
        }
        return login_page(&s, &next, &login).render(shell, errors);
    }
    match s.identity.login_password(&login, &password, &client).await {
        Ok(signed) => with_cookie(
            see_other(&after_login(signed.stage, &next)),
            &signed.cookie,
            shell.tls,
        ),
        Err(IdentityError::Fields(errors)) => login_page(&s, &next, &login).render(shell, errors),
        Err(IdentityError::Locked(mins)) => {
            let mut res = login_page(&s, &next, &login).render(
                shell,
                vec![FieldError {
                    field: "login".into(),
                    message: format!(
                        "Đăng nhập sai quá nhiều lần; tài khoản tạm khoá. Vui lòng thử lại sau {mins} phút hoặc đặt lại mật khẩu."
                    ),
                }],
            );
            *res.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            res
        }
        Err(IdentityError::Unverified(id)) => see_other(&format!("/xac-thuc-tai-khoan?tk={id}")),
        Err(e) => page_error(e, shell),
    }
}

// ---- second factor ----

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

async fn mfa_form(
    State(s): State<IdentityState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match live_session(&s, &headers).await {
        Some(l) if l.stage == Stage::SecondFactor => {
            mfa_page(&safe_next(q.get("next"))).render(&s.platform.shell, Vec::new())
        }
        _ => see_other("/dang-nhap"),
    }
}

async fn mfa_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let next = safe_next(f.get("next"));
    let Some(cookie) = session_cookie(&headers) else {
        return see_other("/dang-nhap");
    };
    let client = client_of(&addr, &headers, &rid);
    let code = f.get("code").cloned().unwrap_or_default();
    match s.identity.second_factor(&cookie, &code, &client).await {
        Ok(_) => see_other(&next),
        Err(IdentityError::Fields(errors)) => mfa_page(&next).render(shell, errors),
        Err(IdentityError::Locked(mins)) => mfa_page(&next).render(
            shell,
            vec![FieldError {
                field: "code".into(),
                message: format!("Nhập sai quá nhiều lần; vui lòng thử lại sau {mins} phút."),
            }],
        ),
        Err(IdentityError::NotFound(_)) => see_other("/dang-nhap"),
        Err(e) => page_error(e, shell),
    }
}

// ---- TOTP enrolment ----

async fn enrol_form(
    State(s): State<IdentityState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let Some(live) = live_session(&s, &headers).await else {
        return see_other("/dang-nhap");
    };
    if !matches!(live.stage, Stage::Enrol | Stage::Full) || live.account.has_second_factor() {
        return see_other("/tai-khoan");
    }
    let (secret, uri) = match s.identity.begin_totp(&live.account.id).await {
        Ok(x) => x,
        Err(e) => return page_error(e, shell),
    };
    enrol_page(&safe_next(q.get("next")), &secret, &uri, live.stage).render(shell, Vec::new())
}

fn enrol_page(next: &str, secret: &str, uri: &str, stage: Stage) -> FormPage {
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let mut intro = Vec::new();
    if stage == Stage::Enrol {
        intro.push(
            "Tài khoản cán bộ bắt buộc xác thực hai lớp. Ông/bà cần cài đặt trước khi tiếp tục."
                .to_string(),
        );
    }
    intro.push("1. Mở ứng dụng xác thực (Google Authenticator, Microsoft Authenticator, FreeOTP…) trên điện thoại và quét mã QR dưới đây.".into());
    intro.push(format!(
        "Nếu không quét được, nhập khoá sau vào ứng dụng: {}",
        grouped.join(" ")
    ));
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

async fn enrol_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let next = safe_next(f.get("next"));
    let Some(cookie) = session_cookie(&headers) else {
        return see_other("/dang-nhap");
    };
    let Some(live) = s.identity.session(&cookie).await.ok().flatten() else {
        return see_other("/dang-nhap");
    };
    if !matches!(live.stage, Stage::Enrol | Stage::Full) {
        return see_other("/dang-nhap");
    }
    let client = client_of(&addr, &headers, &rid);
    let code = f.get("code").cloned().unwrap_or_default();
    match s
        .identity
        .confirm_totp(&live.account.id, &code, Some(&cookie), &client)
        .await
    {
        Ok(codes) => render(&MessageTpl {
            shell: (**shell).clone(),
            title: "Đã bật xác thực hai lớp",
            paragraphs: vec![
                "Từ nay mỗi lần đăng nhập, ông/bà nhập thêm mã từ ứng dụng xác thực.".into(),
                "Dưới đây là 10 mã khôi phục, mỗi mã dùng được một lần khi mất điện thoại. Hãy in hoặc chép ra nơi an toàn: các mã này chỉ hiện một lần.".into(),
            ],
            codes,
            link_href: next,
            link_label: "Tiếp tục",
        }),
        Err(IdentityError::Fields(errors)) => {
            let secret = f.get("secret_shown").cloned().unwrap_or_default();
            let label = live
                .account
                .username
                .clone()
                .unwrap_or_else(|| live.account.full_name.clone());
            let uri = totp::otpauth_uri(&s.identity.config().totp_issuer, &label, &secret);
            // Show the same secret again only if it is still the pending one.
            if live.account.totp_secret.as_deref() == Some(secret.as_str()) {
                enrol_page(&next, &secret, &uri, live.stage).render(shell, errors)
            } else {
                see_other("/tai-khoan/xac-thuc-hai-lop")
            }
        }
        Err(e) => page_error(e, shell),
    }
}

// ---- registration and verification ----

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

async fn register_form(State(s): State<IdentityState>) -> Response {
    register_page(&RegistrationForm::default()).render(&s.platform.shell, Vec::new())
}

async fn register_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<RegistrationForm>,
) -> Response {
    let shell = &s.platform.shell;
    let today = s.platform.clock.today();
    let reg = match f.parse(today) {
        Ok(r) => r,
        Err(errors) => return register_page(&f).render(shell, errors),
    };
    let client = client_of(&addr, &headers, &rid);
    match s.identity.register_citizen(&reg, &client).await {
        Ok(a) => see_other(&format!("/xac-thuc-tai-khoan?tk={}", a.id)),
        Err(IdentityError::Fields(errors)) => register_page(&f).render(shell, errors),
        Err(e) => page_error(e, shell),
    }
}

fn verify_page(account_id: &str, a: Option<&Account>) -> FormPage {
    let to = a
        .map(|a| {
            let mut t = Vec::new();
            if let Some(p) = &a.phone {
                t.push(format!(
                    "số điện thoại …{}",
                    &p[p.len().saturating_sub(3)..]
                ));
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

async fn verify_form(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let id = q.get("tk").cloned().unwrap_or_default();
    let a = s.identity.account(&id).await.ok().flatten();
    let Some(a) = a.filter(|a| a.status == crate::account::AccountStatus::Pending) else {
        return see_other("/dang-nhap");
    };
    let mut page = verify_page(&id, Some(&a));
    if q.contains_key("da-gui") {
        page.notice = "Đã gửi mã mới.".into();
    }
    page.render(shell, Vec::new())
}

async fn verify_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let id = f.get("tk").cloned().unwrap_or_default();
    if f.contains_key("resend") {
        return verify_resend(State(s), Form(f)).await;
    }
    let client = client_of(&addr, &headers, &rid);
    let code = f.get("code").cloned().unwrap_or_default();
    match s.identity.verify_account(&id, &code, &client).await {
        Ok(_) => see_other("/dang-nhap?da-xac-thuc=1"),
        Err(IdentityError::Fields(errors)) => {
            let a = s.identity.account(&id).await.ok().flatten();
            verify_page(&id, a.as_ref()).render(shell, errors)
        }
        Err(IdentityError::NotFound(_)) => see_other("/dang-nhap"),
        Err(e) => page_error(e, shell),
    }
}

async fn verify_resend(
    State(s): State<IdentityState>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let id = f.get("tk").cloned().unwrap_or_default();
    match s.identity.resend_code(&id).await {
        Ok(()) => see_other(&format!(
            "/xac-thuc-tai-khoan?tk={}&da-gui=1",
            cqdt_platform::web::url_encode(&id)
        )),
        Err(IdentityError::NotFound(_)) => see_other("/dang-nhap"),
        Err(e) => page_error(e, &s.platform.shell),
    }
}

// ---- password reset ----

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

async fn forgot_form(State(s): State<IdentityState>) -> Response {
    forgot_page("").render(&s.platform.shell, Vec::new())
}

async fn forgot_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let login = f.get("login").cloned().unwrap_or_default();
    if login.trim().is_empty() {
        return forgot_page(&login).render(
            shell,
            vec![FieldError {
                field: "login".into(),
                message: "Chưa nhập tài khoản.".into(),
            }],
        );
    }
    let client = client_of(&addr, &headers, &rid);
    match s.identity.request_reset(&login, &client).await {
        Ok(()) => message(
            shell,
            "Đã tiếp nhận yêu cầu",
            vec!["Nếu thông tin trùng với một tài khoản, liên kết đặt lại mật khẩu đã được gửi đi. Liên kết có hiệu lực 30 phút và chỉ dùng một lần.".into()],
            ("/dang-nhap", "Quay lại đăng nhập"),
        ),
        Err(e) => page_error(e, shell),
    }
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

async fn reset_form(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let token = q.get("ma").cloned().unwrap_or_default();
    match s.identity.reset_link_account(&token).await {
        Ok(Some(_)) => reset_page(&token).render(shell, Vec::new()),
        Ok(None) => message(
            shell,
            "Liên kết không còn hiệu lực",
            vec!["Liên kết đặt lại mật khẩu không đúng, đã dùng hoặc đã hết hạn. Hãy yêu cầu liên kết mới.".into()],
            ("/quen-mat-khau", "Yêu cầu liên kết mới"),
        ),
        Err(e) => page_error(e, shell),
    }
}

async fn reset_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let token = f.get("ma").cloned().unwrap_or_default();
    let client = client_of(&addr, &headers, &rid);
    let p = f.get("password").cloned().unwrap_or_default();
    let c = f.get("password_confirm").cloned().unwrap_or_default();
    match s.identity.reset_password(&token, &p, &c, &client).await {
        Ok(_) => clear_cookie(see_other("/dang-nhap?da-dat-lai=1"), shell.tls),
        Err(IdentityError::Fields(errors)) => reset_page(&token).render(shell, errors),
        Err(IdentityError::Invalid(m)) => message(
            shell,
            "Liên kết không còn hiệu lực",
            vec![m],
            ("/quen-mat-khau", "Yêu cầu liên kết mới"),
        ),
        Err(e) => page_error(e, shell),
    }
}

// ---- logout, account, sessions ----

async fn logout_form(State(s): State<IdentityState>) -> Response {
    FormPage {
        title: "Đăng xuất",
        intro: vec!["Kết thúc phiên đăng nhập trên trình duyệt này?".into()],
        action: "/dang-xuat".into(),
        submit: "Đăng xuất",
        ..FormPage::default()
    }
    .render(&s.platform.shell, Vec::new())
}

async fn logout_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
) -> Response {
    let shell = &s.platform.shell;
    if let Some(cookie) = session_cookie(&headers) {
        let client = client_of(&addr, &headers, &rid);
        if let Err(e) = s.identity.logout(&cookie, &client).await {
            return page_error(e, shell);
        }
    }
    clear_cookie(
        message(
            shell,
            "Đã đăng xuất",
            vec![
                "Phiên đăng nhập đã kết thúc. Nếu dùng máy tính công cộng, hãy đóng trình duyệt."
                    .into(),
            ],
            ("/dang-nhap", "Đăng nhập lại"),
        ),
        shell.tls,
    )
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTpl {
    shell: Shell,
    notice: String,
    account: Account,
    agency_name: String,
    roles: Vec<(String, String)>,
    businesses: Vec<(String, String, String)>,
}

async fn account_page(
    State(s): State<IdentityState>,
    p: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let account = match s.identity.account(&p.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return see_other("/dang-nhap"),
        Err(e) => return page_error(e, shell),
    };
    let businesses = match s.identity.businesses(&p.account_id).await {
        Ok(b) => b
            .into_iter()
            .map(|l| {
                (
                    l.business.full_name,
                    l.business.tax_code.unwrap_or_default(),
                    if l.relation == "legal_representative" {
                        "người đại diện theo pháp luật".to_string()
                    } else {
                        "người được uỷ quyền".to_string()
                    },
                )
            })
            .collect(),
        Err(e) => return page_error(e, shell),
    };
    let roles = p
        .roles
        .iter()
        .filter(|g| Role::OFFICIAL.contains(&g.role))
        .map(|g| {
            (
                g.role.label().to_string(),
                if g.subtree {
                    format!("{} và đơn vị trực thuộc", g.agency)
                } else {
                    g.agency.clone()
                },
            )
        })
        .collect();
    let notice = if q.contains_key("da-luu") {
        "Đã lưu.".to_string()
    } else {
        String::new()
    };
    render(&AccountTpl {
        shell: (**shell).clone(),
        notice,
        agency_name: account.agency_code.clone().unwrap_or_default(),
        account,
        roles,
        businesses,
    })
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsTpl {
    shell: Shell,
    notice: String,
    sessions: Vec<crate::store::accounts::SessionRow>,
    current: String,
}

async fn sessions_page(
    State(s): State<IdentityState>,
    p: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    match s.identity.sessions_of(&p.account_id).await {
        Ok(sessions) => render(&SessionsTpl {
            shell: (**shell).clone(),
            notice: if q.contains_key("da-ket-thuc") {
                "Đã kết thúc phiên.".into()
            } else {
                String::new()
            },
            sessions,
            current: p.session_id,
        }),
        Err(e) => page_error(e, shell),
    }
}

async fn end_session(
    State(s): State<IdentityState>,
    p: Principal,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let shell = &s.platform.shell;
    let client = client_of(&addr, &headers, &rid);
    let account = match s.identity.account(&p.account_id).await {
        Ok(Some(a)) => a,
        Ok(None) => return see_other("/dang-nhap"),
        Err(e) => return page_error(e, shell),
    };
    match s.identity.end_session(&account, &id, &client).await {
        Ok(true) => see_other("/tai-khoan/phien?da-ket-thuc=1"),
        Ok(false) => PageError::NotFound.with_shell(shell),
        Err(e) => page_error(e, shell),
    }
}

fn password_page() -> FormPage {
    FormPage {
        title: "Đổi mật khẩu",
        action: "/tai-khoan/doi-mat-khau".into(),
        fields: vec![
            field("current_password", "Mật khẩu hiện tại", "password").auto("current-password"),
            field("password", "Mật khẩu mới", "password")
                .hint("Ít nhất 10 ký tự; không dùng mật khẩu phổ biến hay thông tin cá nhân.")
                .auto("new-password"),
            field("password_confirm", "Nhập lại mật khẩu mới", "password").auto("new-password"),
        ],
        submit: "Đổi mật khẩu",
        links: vec![("/tai-khoan".into(), "Quay lại tài khoản".into())],
        ..FormPage::default()
    }
}

async fn password_form(State(s): State<IdentityState>, _p: Principal) -> Response {
    password_page().render(&s.platform.shell, Vec::new())
}

async fn password_submit(
    State(s): State<IdentityState>,
    p: Principal,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let client = client_of(&addr, &headers, &rid);
    let g = |k: &str| f.get(k).cloned().unwrap_or_default();
    match s
        .identity
        .change_password(
            &p.account_id,
            &g("current_password"),
            &g("password"),
            &g("password_confirm"),
            &client,
        )
        .await
    {
        Ok(()) => see_other("/tai-khoan?da-luu=1"),
        Err(IdentityError::Fields(errors)) => password_page().render(shell, errors),
        Err(e) => page_error(e, shell),
    }
}

fn address_page(value: &str) -> FormPage {
    FormPage {
        title: "Địa chỉ liên hệ",
        intro: vec!["Địa chỉ nơi ông/bà thường trú hoặc đang sinh sống. Khi nộp hồ sơ, tờ khai được điền sẵn địa chỉ này; ông/bà vẫn sửa được trên từng tờ khai.".into()],
        action: "/tai-khoan/dia-chi".into(),
        fields: vec![field("address", "Địa chỉ", "text")
            .hint("Số nhà, đường hoặc ấp, khóm; xã, phường; tỉnh, thành phố. Để trống để xoá.")
            .auto("street-address")
            .value(value)],
        submit: "Lưu",
        links: vec![("/tai-khoan".into(), "Quay lại tài khoản".into())],
        ..FormPage::default()
    }
}

async fn address_form(State(s): State<IdentityState>, p: Principal) -> Response {
    let shell = &s.platform.shell;
    match s.identity.account(&p.account_id).await {
        Ok(Some(a)) => address_page(a.address.as_deref().unwrap_or("")).render(shell, Vec::new()),
        Ok(None) => see_other("/dang-nhap"),
        Err(e) => page_error(e, shell),
    }
}

async fn address_submit(
    State(s): State<IdentityState>,
    p: Principal,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let client = client_of(&addr, &headers, &rid);
    let typed = f.get("address").cloned().unwrap_or_default();
    match s.identity.set_address(&p.account_id, &typed, &client).await {
        Ok(()) => see_other("/tai-khoan?da-luu=1"),
        Err(IdentityError::Fields(errors)) => address_page(&typed).render(shell, errors),
        Err(e) => page_error(e, shell),
    }
}

fn business_page(f: &BusinessForm) -> FormPage {
    FormPage {
        title: "Đại diện cho doanh nghiệp",
        intro: vec!["Khai báo doanh nghiệp mà ông/bà là người đại diện theo pháp luật hoặc được uỷ quyền, để nộp hồ sơ nhân danh doanh nghiệp. Thông tin do ông/bà tự khai và được đối chiếu khi cán bộ tiếp nhận hồ sơ.".into()],
        action: "/tai-khoan/doanh-nghiep".into(),
        fields: vec![
            field("tax_code", "Mã số doanh nghiệp (mã số thuế)", "text")
                .hint("10 chữ số, hoặc 13 chữ số với chi nhánh (ví dụ 0300588569-001).")
                .value(&f.tax_code),
            field("name", "Tên doanh nghiệp", "text").auto("organization").value(&f.name),
            field("legal_representative", "Người đại diện theo pháp luật", "text")
                .value(&f.legal_representative),
            Field {
                options: vec![
                    ("legal_representative".into(), "Tôi là người đại diện theo pháp luật".into()),
                    ("authorised".into(), "Tôi là người được uỷ quyền".into()),
                ],
                ..field("relation", "Quan hệ của ông/bà với doanh nghiệp", "select")
                    .value(&f.relation)
            },
        ],
        submit: "Lưu",
        links: vec![("/tai-khoan".into(), "Quay lại tài khoản".into())],
        ..FormPage::default()
    }
}

async fn business_form(State(s): State<IdentityState>, _p: Principal) -> Response {
    business_page(&BusinessForm::default()).render(&s.platform.shell, Vec::new())
}

async fn business_submit(
    State(s): State<IdentityState>,
    p: Principal,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<BusinessForm>,
) -> Response {
    let shell = &s.platform.shell;
    let b = match f.parse() {
        Ok(b) => b,
        Err(errors) => return business_page(&f).render(shell, errors),
    };
    let client = client_of(&addr, &headers, &rid);
    match s.identity.register_business(&p, &b, &client).await {
        Ok(_) => see_other("/tai-khoan?da-luu=1"),
        Err(IdentityError::Fields(errors)) => business_page(&f).render(shell, errors),
        Err(e) => page_error(e, shell),
    }
}

// ---- VNeID ----

async fn vneid_start(
    State(s): State<IdentityState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let next = safe_next(q.get("next"));
    match s.identity.vneid_start(&next).await {
        Ok(url) => see_other(&url),
        Err(IdentityError::Upstream(e)) => {
            tracing::warn!(error = %e, "VNeID unreachable");
            message(
                &s.platform.shell,
                "Chưa kết nối được VNeID",
                vec!["Hệ thống định danh VNeID đang không phản hồi. Vui lòng thử lại sau, hoặc đăng nhập bằng mật khẩu.".into()],
                ("/dang-nhap", "Đăng nhập bằng mật khẩu"),
            )
        }
        Err(e) => page_error(e, &s.platform.shell),
    }
}

async fn vneid_callback(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    if q.contains_key("error") {
        return message(
            shell,
            "Chưa đăng nhập được bằng VNeID",
            vec!["Ông/bà đã huỷ hoặc VNeID từ chối yêu cầu đăng nhập.".into()],
            ("/dang-nhap", "Quay lại đăng nhập"),
        );
    }
    let client = client_of(&addr, &headers, &rid);
    let code = q.get("code").cloned().unwrap_or_default();
    let state = q.get("state").cloned().unwrap_or_default();
    match s.identity.vneid_callback(&code, &state, &client).await {
        Ok((signed, next)) => with_cookie(
            see_other(&safe_next(Some(&next))),
            &signed.cookie,
            shell.tls,
        ),
        Err(IdentityError::Invalid(m)) | Err(IdentityError::Forbidden(m)) => message(
            shell,
            "Chưa đăng nhập được bằng VNeID",
            vec![m],
            ("/dang-nhap", "Quay lại đăng nhập"),
        ),
        Err(IdentityError::Upstream(e)) => {
            tracing::warn!(error = %e, "VNeID login failed");
            message(
                shell,
                "Chưa đăng nhập được bằng VNeID",
                vec!["Không xác minh được kết quả đăng nhập từ VNeID. Vui lòng thử lại.".into()],
                ("/dang-nhap", "Quay lại đăng nhập"),
            )
        }
        Err(e) => page_error(e, shell),
    }
}

// ---- OpenID Connect, browser side ----

fn auth_hidden(req: &AuthRequest) -> Vec<(String, String)> {
    let mut h = vec![
        ("client_id".to_string(), req.client_id.clone()),
        ("redirect_uri".into(), req.redirect_uri.clone()),
        ("scope".into(), req.scope.clone()),
        ("response_type".into(), "code".into()),
        ("code_challenge".into(), req.code_challenge.clone()),
        ("code_challenge_method".into(), "S256".into()),
    ];
    if let Some(s) = &req.state {
        h.push(("state".into(), s.clone()));
    }
    if let Some(n) = &req.nonce {
        h.push(("nonce".into(), n.clone()));
    }
    h
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentTpl {
    shell: Shell,
    client_name: String,
    scopes: Vec<String>,
    hidden: Vec<(String, String)>,
}

async fn authorize(
    State(s): State<IdentityState>,
    headers: HeaderMap,
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    authorize_with(&s, &headers, &uri.to_string(), q).await
}

async fn authorize_with(
    s: &IdentityState,
    headers: &HeaderMap,
    here: &str,
    mut q: HashMap<String, String>,
) -> Response {
    let shell = &s.platform.shell;
    let req = match s.identity.check_authorize(&q).await {
        Ok(r) => r,
        Err(AuthorizeError::Page(m)) => {
            return PageError::BadRequest(m).with_shell(shell);
        }
        Err(AuthorizeError::Redirect(to)) => return see_other(&to),
    };
    let live = live_session(s, headers)
        .await
        .filter(|l| l.stage == Stage::Full);
    let prompt = q.remove("prompt").unwrap_or_default();
    let Some(live) = live.filter(|_| !prompt.split(' ').any(|p| p == "login")) else {
        if prompt.split(' ').any(|p| p == "none") {
            return see_other(&req.error_redirect("login_required", "the person is not signed in"));
        }
        // Back here after signing in, without prompt=login (else it would loop).
        let back = if prompt.is_empty() {
            here.to_string()
        } else {
            let mut params: Vec<(String, String)> = q.into_iter().collect();
            params.sort();
            format!(
                "/oauth/authorize?{}",
                params
                    .iter()
                    .map(|(k, v)| format!(
                        "{}={}",
                        cqdt_platform::web::url_encode(k),
                        cqdt_platform::web::url_encode(v)
                    ))
                    .collect::<Vec<_>>()
                    .join("&")
            )
        };
        return see_other(&format!(
            "/dang-nhap?next={}",
            cqdt_platform::web::url_encode(&back)
        ));
    };
    match s.identity.needs_consent(&live.account.id, &req).await {
        Ok(true) => {
            if prompt.split(' ').any(|p| p == "none") {
                return see_other(&req.error_redirect("consent_required", "consent is required"));
            }
            let scopes = req
                .scope
                .split(' ')
                .filter_map(|sc| USER_SCOPES.iter().find(|(k, _)| *k == sc))
                .map(|(_, d)| d.to_string())
                .collect();
            return render(&ConsentTpl {
                shell: (**shell).clone(),
                client_name: req.client_name.clone(),
                scopes,
                hidden: auth_hidden(&req),
            });
        }
        Ok(false) => {}
        Err(e) => return page_error(e, shell),
    }
    match s.identity.issue_code(&live, &req).await {
        Ok(to) => see_other(&to),
        Err(e) => page_error(e, shell),
    }
}

async fn consent_submit(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let req = match s.identity.check_authorize(&f).await {
        Ok(r) => r,
        Err(AuthorizeError::Page(m)) => return PageError::BadRequest(m).with_shell(shell),
        Err(AuthorizeError::Redirect(to)) => return see_other(&to),
    };
    let Some(live) = live_session(&s, &headers)
        .await
        .filter(|l| l.stage == Stage::Full)
    else {
        return see_other("/dang-nhap");
    };
    if f.get("decision").map(String::as_str) != Some("allow") {
        return see_other(&req.error_redirect("access_denied", "the person declined"));
    }
    let client = client_of(&addr, &headers, &rid);
    if let Err(e) = s.identity.grant_consent(&live.account, &req, &client).await {
        return page_error(e, shell);
    }
    match s.identity.issue_code(&live, &req).await {
        Ok(to) => see_other(&to),
        Err(e) => page_error(e, shell),
    }
}

/// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). With a valid
/// `id_token_hint` for the signed-in person the session ends at once; otherwise the person
/// confirms. `post_logout_redirect_uri` must be one of the client's registered URIs.
async fn rp_logout(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    let hint = match q.get("id_token_hint") {
        Some(t) => s.identity.read_id_token_hint(t).await,
        None => None,
    };
    let client_id = hint
        .as_ref()
        .map(|h| h.aud.clone())
        .or_else(|| q.get("client_id").cloned());
    let redirect = match (client_id, q.get("post_logout_redirect_uri")) {
        (Some(cid), Some(uri)) => match s.identity.client(&cid).await {
            Ok(Some(c)) if c.redirect_uris.iter().any(|r| r.as_str() == uri) => {
                let mut to = uri.clone();
                if let Some(st) = q.get("state") {
                    to.push(if to.contains('?') { '&' } else { '?' });
                    to.push_str("state=");
                    to.push_str(&cqdt_platform::web::url_encode(st));
                }
                Some(to)
            }
            Ok(_) => {
                return PageError::BadRequest(
                    "Địa chỉ quay lại sau khi đăng xuất không được đăng ký cho ứng dụng.".into(),
                )
                .with_shell(shell)
            }
            Err(e) => return page_error(e, shell),
        },
        _ => None,
    };
    let live = live_session(&s, &headers).await;
    let matches_hint = match (&live, &hint) {
        (Some(l), Some(h)) => h.sub == l.account.id,
        _ => false,
    };
    if matches_hint || live.is_none() {
        if let Some(cookie) = session_cookie(&headers) {
            let client = client_of(&addr, &headers, &rid);
            if let Err(e) = s.identity.logout(&cookie, &client).await {
                return page_error(e, shell);
            }
        }
        let res = match redirect {
            Some(to) => see_other(&to),
            None => message(
                shell,
                "Đã đăng xuất",
                vec!["Phiên đăng nhập đã kết thúc.".into()],
                ("/dang-nhap", "Đăng nhập lại"),
            ),
        };
        return clear_cookie(res, shell.tls);
    }
    let mut hidden = Vec::new();
    if let Some(to) = redirect {
        hidden.push(("after".to_string(), to));
    }
    FormPage {
        title: "Đăng xuất",
        intro: vec!["Một ứng dụng yêu cầu kết thúc phiên đăng nhập của ông/bà. Đăng xuất?".into()],
        action: "/oauth/logout".into(),
        hidden,
        submit: "Đăng xuất",
        ..FormPage::default()
    }
    .render(shell, Vec::new())
}

async fn rp_logout_confirm(
    State(s): State<IdentityState>,
    RequestId(rid): RequestId,
    addr: Peer,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let shell = &s.platform.shell;
    if let Some(cookie) = session_cookie(&headers) {
        let client = client_of(&addr, &headers, &rid);
        if let Err(e) = s.identity.logout(&cookie, &client).await {
            return page_error(e, shell);
        }
    }
    // Only a URI this server put in the form (checked against the client's registration)
    // is followed; anything else ends on the message page.
    let after = f.get("after").cloned();
    let res = match after {
        Some(to) if s.identity.is_registered_redirect(&to).await => see_other(&to),
        _ => message(
            shell,
            "Đã đăng xuất",
            vec!["Phiên đăng nhập đã kết thúc.".into()],
            ("/dang-nhap", "Đăng nhập lại"),
        ),
    };
    clear_cookie(res, shell.tls)
}

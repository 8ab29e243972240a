//! The signed-in person's account: the overview, sessions, password, contact address and the
//! businesses they represent.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::Form;
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{Principal, Role, Shell};

use super::{field, see_other, Caller, Field, FormPage};
use crate::account::{Account, BusinessForm};
use crate::error::IdentityError;
use crate::http::IdentityState;

#[derive(Template)]
#[template(path = "account.html")]
struct AccountTpl {
    shell: Shell,
    notice: String,
    account: Account,
    roles: Vec<(String, String)>,
    businesses: Vec<(String, String, String)>,
}

/// The official's roles: (role, where).
fn role_rows(shell: &Shell, p: &Principal) -> Vec<(String, String)> {
    p.roles
        .iter()
        .filter(|g| Role::OFFICIAL.contains(&g.role))
        .map(|g| {
            (
                g.role.label().to_string(),
                if g.subtree {
                    format!("{} và đơn vị trực thuộc", shell.agency(&g.agency))
                } else {
                    shell.agency(&g.agency)
                },
            )
        })
        .collect()
}

/// The businesses the person represents: (name, tax code, relation).
async fn business_rows(
    s: &IdentityState,
    account_id: &str,
) -> Result<Vec<(String, String, String)>, IdentityError> {
    let links = s.identity.businesses(account_id).await?;
    Ok(links
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
        .collect())
}

pub(super) async fn account_page(
    State(s): State<IdentityState>,
    p: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let Some(account) = s.identity.account(&p.account_id).await? else {
        return Ok(see_other("/dang-nhap"));
    };
    let businesses = business_rows(&s, &p.account_id).await?;
    let notice = if q.contains_key("da-luu") { "Đã lưu.".to_string() } else { String::new() };
    Ok(render(&AccountTpl {
        shell: (*s.platform.shell).clone(),
        notice,
        account,
        roles: role_rows(&s.platform.shell, &p),
        businesses,
    }))
}

#[derive(Template)]
#[template(path = "sessions.html")]
struct SessionsTpl {
    shell: Shell,
    notice: String,
    sessions: Vec<crate::store::accounts::SessionRow>,
    current: String,
}

impl SessionsTpl {
    /// A browser's User-Agent as a person names the device: "Chrome trên Windows".
    fn device(&self, user_agent: &str) -> String {
        device_text(user_agent)
    }
}

/// The browser and system a User-Agent names, in words; "Trình duyệt khác" for one the
/// page does not recognise.
fn device_text(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("CocCoc", "Cốc Cốc"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(mark, _)| ua.contains(mark))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} trên {s}"),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => format!("Trình duyệt trên {s}"),
        (None, None) if ua.trim().is_empty() => "Không rõ".into(),
        (None, None) => "Trình duyệt khác".into(),
    }
}

pub(super) async fn sessions_page(
    State(s): State<IdentityState>,
    p: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let sessions = s.identity.sessions_of(&p.account_id).await?;
    Ok(render(&SessionsTpl {
        shell: (*s.platform.shell).clone(),
        notice: if q.contains_key("da-ket-thuc") {
            "Đã kết thúc phiên.".into()
        } else {
            String::new()
        },
        sessions,
        current: p.session_id,
    }))
}

pub(super) async fn end_session(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, IdentityError> {
    let Some(account) = s.identity.account(&p.account_id).await? else {
        return Ok(see_other("/dang-nhap"));
    };
    if s.identity.end_session(&account, &id, &caller.client).await? {
        Ok(see_other("/tai-khoan/phien?da-ket-thuc=1"))
    } else {
        Err(IdentityError::NotFound(format!("phiên {id}")))
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

pub(super) async fn password_form(State(s): State<IdentityState>, _p: Principal) -> Response {
    password_page().render(&s.platform.shell, Vec::new())
}

pub(super) async fn password_submit(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let g = |k: &str| f.get(k).cloned().unwrap_or_default();
    let saved = s
        .identity
        .change_password(
            &p.account_id,
            &g("current_password"),
            &g("password"),
            &g("password_confirm"),
            &caller.client,
        )
        .await;
    saved_or_form(saved, password_page, &s.platform.shell)
}

/// After a change from an account form: back to the account with "saved", or the form again
/// with the errors on its fields.
fn saved_or_form<T>(
    saved: Result<T, IdentityError>,
    page: impl FnOnce() -> FormPage,
    shell: &Shell,
) -> Result<Response, IdentityError> {
    match saved {
        Ok(_) => Ok(see_other("/tai-khoan?da-luu=1")),
        Err(IdentityError::Fields(errors)) => Ok(page().render(shell, errors)),
        Err(e) => Err(e),
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

pub(super) async fn address_form(
    State(s): State<IdentityState>,
    p: Principal,
) -> Result<Response, IdentityError> {
    let Some(a) = s.identity.account(&p.account_id).await? else {
        return Ok(see_other("/dang-nhap"));
    };
    let page = address_page(a.address.as_deref().unwrap_or(""));
    Ok(page.render(&s.platform.shell, Vec::new()))
}

pub(super) async fn address_submit(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let typed = f.get("address").cloned().unwrap_or_default();
    let saved = s.identity.set_address(&p.account_id, &typed, &caller.client).await;
    saved_or_form(saved, || address_page(&typed), &s.platform.shell)
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

pub(super) async fn business_form(State(s): State<IdentityState>, _p: Principal) -> Response {
    business_page(&BusinessForm::default()).render(&s.platform.shell, Vec::new())
}

pub(super) async fn business_submit(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Form(f): Form<BusinessForm>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    let b = match f.parse() {
        Ok(b) => b,
        Err(errors) => return Ok(business_page(&f).render(shell, errors)),
    };
    let saved = s.identity.register_business(&p, &b, &caller.client).await;
    saved_or_form(saved, || business_page(&f), shell)
}

#[cfg(test)]
mod device_tests {
    #[test]
    fn a_user_agent_reads_as_the_browser_and_system_it_names() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(super::device_text(chrome), "Chrome trên Linux");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0";
        assert_eq!(super::device_text(edge), "Edge trên Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(super::device_text(iphone), "Safari trên iPhone");
        assert_eq!(super::device_text("curl/8.0"), "Trình duyệt khác");
    }
}

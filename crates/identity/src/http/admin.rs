//! Administrators' pages: accounts, officials and their roles (agency administrators within
//! their scope, platform administrators everywhere), OAuth clients and sign-in history.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use cqdt_platform::filters;
use cqdt_platform::web::render;
use cqdt_platform::{
    Admin, FieldError, HttpError, Principal, Problem, RequestId, Role, RoleGrant, Shell,
};

use super::pages::{field, field_error, Caller, Field, FormPage};
use super::IdentityState;
use crate::account::{Account, AccountKind, OfficialForm, StoredGrant};
use crate::error::IdentityError;
use crate::model::{NewClient, OAuthClient};
use crate::officials::may_manage;

pub(super) fn routes() -> Router<IdentityState> {
    Router::new()
        .route("/admin/accounts", get(accounts))
        .route("/admin/accounts/new", get(new_form).post(new_submit))
        .route("/admin/accounts/import", get(import_form).post(import_submit))
        .route("/admin/accounts/{id}", get(account))
        .route("/admin/accounts/{id}/roles", post(grant))
        .route("/admin/accounts/{id}/roles/revoke", post(revoke))
        .route("/admin/accounts/{id}/status", post(status))
        .route("/admin/accounts/{id}/mfa-reset", post(mfa_reset))
        .route("/admin/clients", get(clients).post(add_client))
        .route("/admin/clients/{id}/disable", post(disable_client))
        .route("/admin/clients/{id}/enable", post(enable_client))
        .route("/admin/sign-ins", get(sign_ins))
}

/// A person who administers accounts: a platform or agency administrator.
fn require_admin(p: &Principal) -> Result<(), IdentityError> {
    if p.is_platform_admin() || p.has_role(Role::AgencyAdmin) {
        Ok(())
    } else {
        Err(IdentityError::Forbidden("Chỉ quản trị viên mới quản lý được tài khoản.".into()))
    }
}

/// A redirect after a change.
fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

#[derive(Template)]
#[template(path = "admin_accounts.html")]
struct AccountsTpl {
    shell: Shell,
    notice: String,
    q: String,
    kind: String,
    accounts: Vec<Account>,
}

async fn accounts(
    State(s): State<IdentityState>,
    p: Principal,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    require_admin(&p)?;
    let text = q.get("q").cloned().unwrap_or_default();
    let kind_s = q.get("kind").cloned().unwrap_or_default();
    let kind = AccountKind::parse(&kind_s);
    let accounts = s.identity.accounts_for(&p, kind, &text).await?;
    Ok(render(&AccountsTpl {
        shell: (*s.platform.shell).clone(),
        notice: match q.get("done").map(String::as_str) {
            Some("created") => "Đã tạo tài khoản cán bộ và gửi liên kết kích hoạt.".into(),
            Some("imported") => "Đã nhập danh sách cán bộ và gửi liên kết kích hoạt.".into(),
            _ => String::new(),
        },
        q: text,
        kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
        accounts,
    }))
}

fn official_page(f: &OfficialForm) -> FormPage {
    FormPage {
        title: "Thêm cán bộ",
        intro: vec!["Cán bộ nhận liên kết kích hoạt qua thư điện tử để tự đặt mật khẩu, rồi cài đặt xác thực hai lớp ở lần đăng nhập đầu.".into()],
        action: "/admin/accounts/new".into(),
        fields: vec![
            field("username", "Tên đăng nhập", "text").hint("Chữ thường không dấu, ví dụ nguyenvana.stp").value(&f.username),
            field("full_name", "Họ và tên", "text").value(&f.full_name),
            field("email", "Thư điện tử công vụ", "email").value(&f.email),
            field("phone", "Số điện thoại (không bắt buộc)", "text").value(&f.phone),
            field("agency_code", "Mã định danh cơ quan", "text").hint("Ví dụ 000.00.03.H51 (Sở Tư pháp).").value(&f.agency_code),
            Field {
                hint: "Một hoặc nhiều vai trò, cách nhau bằng dấu phẩy: Cán bộ tiếp nhận, Chuyên viên xử lý, Lãnh đạo, Văn thư, Quản trị đơn vị, Thanh tra, kiểm tra.",
                ..field("roles", "Vai trò", "text").value(&f.roles)
            },
        ],
        submit: "Tạo tài khoản",
        links: vec![("/admin/accounts".into(), "Quay lại danh sách".into())],
        ..FormPage::default()
    }
}

async fn new_form(State(s): State<IdentityState>, p: Principal) -> Result<Response, IdentityError> {
    require_admin(&p)?;
    let page = official_page(&OfficialForm {
        agency_code: p.agency.unwrap_or_default(),
        ..OfficialForm::default()
    });
    Ok(page.render(&s.platform.shell, Vec::new()))
}

async fn new_submit(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Form(f): Form<OfficialForm>,
) -> Result<Response, IdentityError> {
    let shell = &s.platform.shell;
    require_admin(&p)?;
    let exists = (s.agency_exists)(f.agency_code.trim());
    let o = match f.parse(exists) {
        Ok(o) => o,
        Err(errors) => return Ok(official_page(&f).render(shell, errors)),
    };
    if !may_manage(&p, &o.agency_code) {
        let e = field_error("agency_code", "Cơ quan này ngoài phạm vi ông/bà quản trị.");
        return Ok(official_page(&f).render(shell, e));
    }
    match s.identity.create_official(&p, &o, &caller.client).await {
        Ok(_) => Ok(see_other("/admin/accounts?done=created")),
        Err(IdentityError::Fields(errors)) => Ok(official_page(&f).render(shell, errors)),
        Err(IdentityError::Forbidden(m)) => {
            Ok(official_page(&f).render(shell, field_error("roles", m)))
        }
        Err(e) => Err(e),
    }
}

fn import_page() -> FormPage {
    FormPage {
        title: "Nhập cán bộ từ tệp CSV",
        intro: vec![
            "Tệp CSV (UTF-8) có dòng tiêu đề: username,full_name,email,phone,agency_code,roles. Cột roles có thể ghi nhiều vai trò cách nhau bằng dấu chấm phẩy.".into(),
            "Nếu một dòng có lỗi, không dòng nào được nhập; danh sách lỗi ghi rõ số dòng.".into(),
        ],
        action: "/admin/accounts/import".into(),
        fields: vec![field("csv", "Nội dung tệp CSV", "textarea")],
        submit: "Nhập",
        links: vec![("/admin/accounts".into(), "Quay lại danh sách".into())],
        ..FormPage::default()
    }
}

async fn import_form(
    State(s): State<IdentityState>,
    p: Principal,
) -> Result<Response, IdentityError> {
    require_admin(&p)?;
    Ok(import_page().render(&s.platform.shell, Vec::new()))
}

async fn import_submit(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    require_admin(&p)?;
    let text = f.get("csv").cloned().unwrap_or_default();
    let exists = s.agency_exists.clone();
    match s.identity.import_officials(&p, &text, &move |c| exists(c), &caller.client).await {
        Ok(_) => Ok(see_other("/admin/accounts?done=imported")),
        Err(rows) => {
            let errors = rows
                .iter()
                .flat_map(|r| {
                    r.errors.iter().map(move |e| {
                        FieldError::new("csv", format!("Dòng {}: {}", r.line, e.message))
                    })
                })
                .collect();
            let mut page = import_page();
            page.fields[0].value = text;
            Ok(page.render(&s.platform.shell, errors))
        }
    }
}

#[derive(Template)]
#[template(path = "admin_account.html")]
struct AccountTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    notice: String,
    account: Account,
    grants: Vec<StoredGrant>,
    roles: Vec<(&'static str, &'static str)>,
}

async fn show_account(
    s: &IdentityState,
    p: &Principal,
    id: &str,
    notice: &str,
    errors: Vec<FieldError>,
) -> Result<Response, IdentityError> {
    require_admin(p)?;
    let account = s.identity.managed_account(p, id).await?;
    let grants = s.identity.grants_of(id).await?;
    let roles = Role::OFFICIAL
        .iter()
        .filter(|r| **r != Role::PlatformAdmin || p.is_platform_admin())
        .map(|r| (r.as_str(), r.label()))
        .collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let mut res = render(&AccountTpl {
        shell: (*s.platform.shell).clone(),
        errors,
        notice: notice.to_string(),
        account,
        grants,
        roles,
    });
    if res.status().is_success() {
        *res.status_mut() = status;
    }
    Ok(res)
}

async fn account(
    State(s): State<IdentityState>,
    p: Principal,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let notice = match q.get("done").map(String::as_str) {
        Some("granted") => "Đã giao vai trò.",
        Some("revoked") => "Đã thu hồi vai trò.",
        Some("status") => "Đã cập nhật trạng thái tài khoản.",
        Some("mfa") => "Đã đặt lại xác thực hai lớp; cán bộ cài đặt lại ở lần đăng nhập tới.",
        _ => "",
    };
    show_account(&s, &p, &id, notice, Vec::new()).await
}

async fn grant(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let role = f.get("role").and_then(|r| Role::parse(r));
    let agency = f.get("agency").map(|a| a.trim().to_string()).unwrap_or_default();
    let Some(role) = role else {
        let e = field_error("role", "Chọn một vai trò.");
        return show_account(&s, &p, &id, "", e).await;
    };
    if !(s.agency_exists)(&agency) {
        let e = field_error("agency", format!("Không có cơ quan mã “{agency}”."));
        return show_account(&s, &p, &id, "", e).await;
    }
    let g =
        RoleGrant { role, agency, subtree: f.get("subtree").map(String::as_str) != Some("false") };
    match s.identity.grant_role(&p, &id, &g, &caller.client).await {
        Ok(_) => Ok(see_other(&format!("/admin/accounts/{id}?done=granted"))),
        Err(IdentityError::Forbidden(m) | IdentityError::Invalid(m)) => {
            show_account(&s, &p, &id, "", field_error("agency", m)).await
        }
        Err(e) => Err(e),
    }
}

async fn revoke(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let Some(role) = f.get("role").and_then(|r| Role::parse(r)) else {
        return Err(IdentityError::Invalid("Vai trò không hợp lệ.".into()));
    };
    let agency = f.get("agency").cloned().unwrap_or_default();
    s.identity.revoke_role(&p, &id, role, &agency, &caller.client).await?;
    Ok(see_other(&format!("/admin/accounts/{id}?done=revoked")))
}

async fn status(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let enabled = f.get("enabled").map(String::as_str) == Some("true");
    match s.identity.set_account_enabled(&p, &id, enabled, &caller.client).await {
        Ok(_) => Ok(see_other(&format!("/admin/accounts/{id}?done=status"))),
        Err(IdentityError::Invalid(m)) => {
            show_account(&s, &p, &id, "", field_error("status", m)).await
        }
        Err(e) => Err(e),
    }
}

async fn mfa_reset(
    State(s): State<IdentityState>,
    p: Principal,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, IdentityError> {
    s.identity.reset_second_factor(&p, &id, &caller.client).await?;
    Ok(see_other(&format!("/admin/accounts/{id}?done=mfa")))
}

#[derive(Default, serde::Deserialize)]
struct ClientForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    grant: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    scopes: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    first_party: String,
    #[serde(default)]
    id_token_alg: String,
}

#[derive(Template)]
#[template(path = "admin_clients.html")]
struct ClientsTpl {
    shell: Shell,
    errors: Vec<FieldError>,
    notice: String,
    secret: String,
    created_id: String,
    clients: Vec<OAuthClient>,
    form: ClientForm,
}

async fn show_clients(
    s: &IdentityState,
    form: ClientForm,
    errors: Vec<FieldError>,
    created: Option<(String, String)>,
    notice: &str,
) -> Result<Response, IdentityError> {
    let clients = s.identity.list_clients().await?;
    let (created_id, secret) = created.unwrap_or_default();
    let bad = !errors.is_empty();
    let mut res = render(&ClientsTpl {
        shell: (*s.platform.shell).clone(),
        errors,
        notice: notice.into(),
        secret,
        created_id,
        clients,
        form,
    });
    if bad && res.status().is_success() {
        *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    // The secret is on this page once; it must not be cached anywhere.
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn clients(
    State(s): State<IdentityState>,
    _a: Admin,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, IdentityError> {
    let notice = match q.get("done").map(String::as_str) {
        Some("disabled") => "Đã khoá ứng dụng.",
        Some("enabled") => "Đã mở khoá ứng dụng.",
        _ => "",
    };
    show_clients(&s, ClientForm::default(), Vec::new(), None, notice).await
}

async fn add_client(
    State(s): State<IdentityState>,
    a: Admin,
    RequestId(rid): RequestId,
    Form(f): Form<ClientForm>,
) -> Result<Response, IdentityError> {
    let new = NewClient {
        name: f.name.clone(),
        grants: vec![f.grant.clone()],
        redirect_uris: f
            .redirect_uris
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
        public: f.kind == "public",
        scopes: vec![f.scopes.clone()],
        first_party: f.first_party == "true",
        id_token_signed_response_alg: Some(f.id_token_alg.clone()),
    };
    match s.identity.add_client(&a.name, &rid, &new).await {
        Ok(c) => {
            let secret = c
                .secret
                .as_ref()
                .map(|x| x.expose().to_string())
                .unwrap_or_else(|| "(ứng dụng công khai không có khoá bí mật)".into());
            show_clients(
                &s,
                ClientForm::default(),
                Vec::new(),
                Some((c.client.client_id.clone(), secret)),
                "",
            )
            .await
        }
        Err(IdentityError::Invalid(m)) => {
            show_clients(&s, f, field_error("name", m), None, "").await
        }
        Err(e) => Err(e),
    }
}

async fn disable_client(
    State(s): State<IdentityState>,
    a: Admin,
    RequestId(rid): RequestId,
    Path(id): Path<String>,
) -> Result<Response, IdentityError> {
    s.identity.set_client_enabled(&a.name, &rid, &id, false).await?;
    Ok(see_other("/admin/clients?done=disabled"))
}

async fn enable_client(
    State(s): State<IdentityState>,
    a: Admin,
    RequestId(rid): RequestId,
    Path(id): Path<String>,
) -> Result<Response, IdentityError> {
    s.identity.set_client_enabled(&a.name, &rid, &id, true).await?;
    Ok(see_other("/admin/clients?done=enabled"))
}

/// A sign-in event as the administrator reads it.
fn sign_in_event(action: &str) -> &str {
    match action {
        "identity.login.success" => "Đăng nhập",
        "identity.login.failure" => "Đăng nhập không thành công",
        "identity.login.password" => "Đăng nhập bằng mật khẩu",
        "identity.login.lockout" => "Khoá tạm thời sau nhiều lần sai",
        "identity.logout" => "Đăng xuất",
        other => other,
    }
}

#[derive(Template)]
#[template(path = "admin_signins.html")]
struct SignInsTpl {
    shell: Shell,
    rows: Vec<SignInRow>,
}

struct SignInRow {
    at: String,
    who: String,
    login: String,
    event: String,
    outcome: String,
    details: String,
}

/// A sign-in event's details (stored as JSON for the audit log) as the page says them.
fn sign_in_details(json: &str) -> String {
    let Ok(serde_json::Value::Object(d)) = serde_json::from_str(json) else {
        return String::new();
    };
    let text = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("");
    let mut parts = Vec::new();
    let method = match text("method") {
        "" => "",
        "password" => "mật khẩu",
        "password+otp" => "mật khẩu và mã xác thực hai lớp",
        "password+recovery_code" => "mật khẩu và mã dự phòng",
        "vneid" => "VNeID",
        _ => "cách khác",
    };
    if !method.is_empty() {
        parts.push(format!("bằng {method}"));
    }
    match text("stage") {
        "mfa" => parts.push("chờ mã xác thực hai lớp".into()),
        "enroll" => parts.push("phải bật xác thực hai lớp".into()),
        _ => {}
    }
    let reason = match text("reason") {
        "" => "",
        "wrong_password" => "sai mật khẩu",
        "wrong_second_factor" => "sai mã xác thực hai lớp",
        "account_locked" => "tài khoản đang bị khoá tạm thời",
        "address_locked" => "địa chỉ đang bị chặn tạm thời",
        "disabled" => "tài khoản đã bị khoá",
        "unknown_login" => "tên đăng nhập không có",
        _ => "lý do khác",
    };
    if !reason.is_empty() {
        parts.push(reason.to_string());
    }
    if let Some(n) = d.get("recovery_codes_left").and_then(|v| v.as_u64()) {
        parts.push(format!("còn {n} mã dự phòng"));
    }
    if let Some(m) = d.get("minutes").and_then(|v| v.as_u64()) {
        parts.push(format!("khoá {m} phút"));
    }
    if !text("ip").is_empty() {
        parts.push(format!("từ địa chỉ {}", text("ip")));
    }
    parts.join("; ")
}

async fn sign_ins(State(s): State<IdentityState>, p: Principal) -> Result<Response, HttpError> {
    if !(p.is_platform_admin() || p.has_role(Role::Auditor)) {
        return Err(Problem::forbidden(
            "Chỉ quản trị viên và thanh tra xem được lịch sử đăng nhập.",
        )
        .into());
    }
    let filter =
        cqdt_audit::store::Filter { action: Some("identity.log".into()), ..Default::default() };
    let records = s.audit.search(&filter, None, 200).await.map_err(HttpError::internal)?;
    let mut actors: Vec<String> = records.iter().map(|r| r.event.actor.clone()).collect();
    actors.sort();
    actors.dedup();
    let names = s.identity.display_names(&actors).await.map_err(HttpError::internal)?;
    Ok(render(&SignInsTpl {
        shell: (*s.platform.shell).clone(),
        rows: records
            .into_iter()
            .map(|r| {
                // A person by name with the login beneath; a failed sign-in under a name that
                // matches nobody shows what was typed.
                let (who, login) = match names.get(&r.event.actor) {
                    Some(n) if r.event.actor.starts_with("account:") => (n.clone(), String::new()),
                    Some(n) => (n.clone(), r.event.actor.clone()),
                    None => (r.event.actor.clone(), String::new()),
                };
                SignInRow {
                    at: r.at,
                    who,
                    login,
                    event: sign_in_event(&r.event.action).to_string(),
                    outcome: r.event.outcome.label_vi().to_string(),
                    details: sign_in_details(r.event.details.as_deref().unwrap_or("")),
                }
            })
            .collect(),
    }))
}

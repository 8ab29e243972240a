//! The national population database at reception (issue 16, adapters): the reception officer
//! looks the applicant up by personal ID and the counter form is filled from the record; the
//! read states its purpose, which the database receives and the audit log keeps. Once
//! directly against the shipped sandbox, once through the province's own LGSP gateway with
//! the one-stop system's client-credentials token, refused until the grant is approved.

use cqdt_national::sandbox::{population_openapi, Read, Sandbox, POPULATION_BASE};
use reqwest::Method;
use serde_json::json;

use reqwest::multipart::{Form, Part};

use crate::helpers::{
    add_client, audit_text, client, first_option, get_page, location, post_page, sign_in, Instance,
    DEMO_PASSWORD, DEMO_TOTP, PDF,
};
use crate::lgsp::{admin_json, grant, COMMITTEE};

/// Birth registration, received by the ward's reception officer.
const KHAI_SINH: &str = "1.001193.000.00.00.H51";
/// The provincial office that runs the province's connection to the national databases.
const OFFICE: &str = "000.00.01.H51";

/// The national sandbox on a loopback port: its address and its journal.
pub(crate) async fn sandbox() -> (String, Sandbox) {
    let s = Sandbox::new(std::sync::Arc::new(cqdt_platform::SystemClock));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = s.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), s)
}

/// The ward's reception officer, signed in (a TOTP code counts once: one sign-in a test).
async fn officer(app: &Instance) -> String {
    sign_in(app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await
}

async fn counter_lookup(app: &Instance, officer: &str, cccd: &str) -> String {
    let (status, page) =
        get_page(app, officer, &format!("/mot-cua/tiep-nhan-truc-tiep/{KHAI_SINH}?cccd={cccd}"))
            .await;
    assert_eq!(status, 200, "{page}");
    page
}

fn last_read(s: &Sandbox) -> Read {
    s.reads().last().cloned().expect("the sandbox was asked")
}

#[tokio::test]
async fn the_counter_form_is_filled_from_the_population_database_and_the_purpose_is_recorded() {
    let (url, s) = sandbox().await;
    let population = format!("{url}{POPULATION_BASE}");
    let app = Instance::start_with(&[], &[("CQDT_NATIONAL_POPULATION_URL", &population)]).await;
    let me = officer(&app).await;
    let page = counter_lookup(&app, &me, "094085000123").await;
    assert!(page.contains("Tra cứu CSDL quốc gia về dân cư"), "the counter offers the lookup");
    assert!(page.contains("value=\"Nguyễn Văn An\""), "the applicant's name is filled in");
    assert!(page.contains("value=\"094085000123\""));
    assert!(page.contains("02/09/1985"), "the birth date is shown as people write it");
    assert!(page.contains("môi trường thử nghiệm"), "the sandbox says it is one");
    let read = last_read(&s);
    assert_eq!(read.key, "094085000123");
    let purpose = read.purpose.expect("a purpose reached the database");
    assert!(purpose.contains("Tiếp nhận hồ sơ thủ tục hành chính"), "{purpose}");
    assert!(purpose.contains("khai sinh"), "the purpose names the procedure: {purpose}");
    let audit = audit_text(&app, "dossier.citizen_lookup").await;
    assert!(audit.contains("094085000123") && audit.contains("Tiếp nhận hồ sơ"), "{audit}");

    let page = counter_lookup(&app, &me, "094099999998").await;
    assert!(page.contains("không có công dân mang số định danh 094099999998"), "{page}");
    assert!(!page.contains("value=\"094099999998\""), "nothing is filled from a missing record");
    let page = counter_lookup(&app, &me, "12345").await;
    assert!(page.contains("gồm đúng 12 chữ số"), "a mistyped number is said, not sent");
    assert_eq!(s.reads().len(), 2, "the mistyped number never reached the database");
}

#[tokio::test]
async fn without_a_connection_the_counter_offers_no_lookup_and_ignores_one_asked_for() {
    let app = Instance::start().await;
    let me = officer(&app).await;
    let page = counter_lookup(&app, &me, "094085000123").await;
    assert!(!page.contains("Tra cứu CSDL quốc gia về dân cư"));
    assert!(!page.contains("value=\"Nguyễn Văn An\""));
}

#[tokio::test]
async fn through_the_lgsp_the_lookup_is_refused_until_the_grant_is_approved_then_logged_by_both() {
    let (url, s) = sandbox().await;
    let path = format!("/lgsp/{OFFICE}/dan-cu");
    let mut app = Instance::start_with(&[], &[("CQDT_NATIONAL_POPULATION_URL", &path)]).await;
    for code in [OFFICE, COMMITTEE] {
        let (status, body) =
            admin_json(&app, Method::POST, "/api/v1/lgsp/members", json!({ "code": code })).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = admin_json(
        &app,
        Method::POST,
        &format!("/api/v1/lgsp/members/{OFFICE}/subsystems"),
        json!({ "code": "ket-noi-quoc-gia", "name": "Kết nối CSDL quốc gia (NDXP)" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (client_id, secret) =
        add_client(&app, &["Hệ thống một cửa", "--grant", "client_credentials", "--scope", "lgsp"])
            .await;
    let (status, body) = admin_json(
        &app,
        Method::POST,
        &format!("/api/v1/lgsp/members/{COMMITTEE}/subsystems"),
        json!({ "code": "mot-cua", "name": "Hệ thống một cửa", "client_id": client_id }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = admin_json(
        &app,
        Method::POST,
        "/api/v1/lgsp/services",
        json!({
            "member_code": OFFICE, "subsystem_code": "ket-noi-quoc-gia", "code": "dan-cu",
            "status": "published", "base_url": format!("{url}{POPULATION_BASE}"),
            "owner": "Văn phòng UBND tỉnh", "openapi": population_openapi(),
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let service = body["id"].as_str().expect("id").to_string();
    let me = officer(&app).await;
    let secret = secret.expect("secret");
    app.restart_with(
        &[],
        &[
            ("CQDT_NATIONAL_POPULATION_URL", &path),
            ("CQDT_NATIONAL_CLIENT_ID", &client_id),
            ("CQDT_NATIONAL_CLIENT_SECRET", &secret),
        ],
    )
    .await;

    let page = counter_lookup(&app, &me, "094085000123").await;
    assert!(page.contains("Không tra cứu được"), "{page}");
    assert!(page.contains("từ chối"), "the refusal is said: {page}");
    assert!(s.reads().is_empty(), "the gateway stopped the call");
    let audit = audit_text(&app, "dossier.citizen_lookup").await;
    assert!(audit.contains("denied"), "the refused read is audited: {audit}");

    grant(&app, &service, &["traCuuCongDan"]).await;
    let page = counter_lookup(&app, &me, "094085000123").await;
    assert!(page.contains("value=\"Nguyễn Văn An\""), "{page}");
    let read = last_read(&s);
    assert_eq!(read.lgsp_client.as_deref(), Some(format!("{COMMITTEE}/mot-cua").as_str()));
    assert!(read.purpose.unwrap_or_default().contains("Tiếp nhận hồ sơ"));
    // The gateway's monitoring records are written in batches, off the request path.
    let calls = format!("/api/v1/lgsp/calls?service={OFFICE}/dan-cu");
    let mut seen = serde_json::Value::Null;
    for _ in 0..50 {
        let (status, body) = admin_json(&app, Method::GET, &calls, json!({})).await;
        assert_eq!(status, 200, "{body}");
        seen = body;
        if seen.to_string().contains("traCuuCongDan") {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the gateway's monitoring has no record of the call: {seen}");
}

/// A birth registration entered at the ward's counter with the parents' personal IDs; its
/// dossier code.
async fn walk_in_with_parents(app: &Instance, officer: &str, mother_name: &str) -> String {
    let (_, page) =
        get_page(app, officer, &format!("/mot-cua/tiep-nhan-truc-tiep/{KHAI_SINH}")).await;
    let mut f = Form::new();
    for (k, v) in [
        ("applicant_name", "Nguyễn Văn An"),
        ("applicant_personal_id", "094085000123"),
        ("f_child_full_name", "Nguyễn Gia Huy"),
        ("f_child_date_of_birth", "01/11/2026"),
        ("f_place_of_birth", "Số 378 Lê Duẩn"),
        ("f_place_of_birth__xa", "Phường Sóc Trăng"),
        ("f_hometown", "94"),
        ("f_father_full_name", "Nguyễn  văn An"),
        ("f_father_personal_id", "094085000123"),
        ("f_mother_full_name", mother_name),
        ("f_mother_personal_id", "094192004567"),
        ("f_requester_phone", "0912345678"),
    ] {
        f = f.text(k, v.to_string());
    }
    for id in ["f_child_gender", "f_child_ethnicity", "f_child_nationality"] {
        f = f.text(id, first_option(&page, id));
    }
    for i in 0..2 {
        let part = Part::bytes(PDF.to_vec()).file_name(format!("ban-quet-{i}.pdf"));
        f = f.part(format!("file_{i}"), part.mime_str("application/pdf").expect("mime"));
    }
    let res = client()
        .post(app.url(&format!("/mot-cua/tiep-nhan-truc-tiep/{KHAI_SINH}")))
        .header("cookie", officer)
        .multipart(f)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let to = location(&res);
    to.trim_start_matches("/mot-cua/ho-so/").trim_end_matches("/phieu/01").to_string()
}

#[tokio::test]
async fn the_official_checks_a_dossiers_personal_ids_and_sees_which_names_agree() {
    let (url, s) = sandbox().await;
    let population = format!("{url}{POPULATION_BASE}");
    let app = Instance::start_with(&[], &[("CQDT_NATIONAL_POPULATION_URL", &population)]).await;
    let me = officer(&app).await;
    let code = walk_in_with_parents(&app, &me, "Trần Thị Ngọc").await;
    let (_, page) = get_page(&app, &me, &format!("/mot-cua/ho-so/{code}")).await;
    assert!(page.contains("Đối chiếu số định danh"), "the dossier page offers the check");
    let (status, page) =
        post_page(&app, &me, &format!("/mot-cua/ho-so/{code}/doi-chieu"), &[]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Kết quả đối chiếu với cơ sở dữ liệu quốc gia"), "{page}");
    // The father's name agrees (case and spacing aside); the mother's does not.
    assert!(page.contains("Họ, chữ đệm và tên người cha” khớp với cơ sở dữ liệu"), "{page}");
    assert!(page.contains("ghi “Trần Thị Ngọc”, cơ sở dữ liệu ghi “Trần Thị Bích Ngọc”"), "{page}");
    assert!(page.contains("cần kiểm tra"));
    let purposes: Vec<String> = s.reads().iter().filter_map(|r| r.purpose.clone()).collect();
    assert_eq!(purposes.len(), 2, "one read a personal ID: {purposes:?}");
    assert!(purposes.iter().all(|p| p.starts_with(&format!("Đối chiếu hồ sơ {code}"))));
    let audit = audit_text(&app, "dossier.citizen_lookup").await;
    assert!(audit.contains("094192004567") && audit.contains("Đối chiếu hồ sơ"), "{audit}");
    // An official of another agency may not check it.
    let other = sign_in(&app, "tiepnhan.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let (status, _) =
        post_page(&app, &other, &format!("/mot-cua/ho-so/{code}/doi-chieu"), &[]).await;
    assert_eq!(status, 404);
    assert_eq!(s.reads().len(), 2, "nothing read for them");
}

#[tokio::test]
async fn an_enterprise_code_at_the_counter_fills_the_code_and_the_investor_s_name_from_the_registry(
) {
    let (url, s) = sandbox().await;
    let firms =
        cqdt_national::sandbox::data::enterprises(&cqdt_national::sandbox::data::citizens());
    let (code, firm) = firms.iter().next().expect("a sandbox enterprise");
    let env = [
        ("CQDT_NATIONAL_POPULATION_URL", format!("{url}{POPULATION_BASE}")),
        ("CQDT_NATIONAL_BUSINESS_URL", format!("{url}{}", cqdt_national::sandbox::BUSINESS_BASE)),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let app = Instance::start_with(&[], &env).await;
    let me = sign_in(&app, "tiepnhan", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    // A construction permit: the investor's tax code and name.
    let permit = "1.009795.000.00.00.H51";
    let path = format!("/mot-cua/tiep-nhan-truc-tiep/{permit}?cccd={code}");
    let (status, page) = get_page(&app, &me, &path).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("hoặc mã số doanh nghiệp"), "the lookup takes enterprise codes");
    let input = |id: &str| {
        page.split("<input").find(|t| t.contains(&format!("id=\"{id}\""))).unwrap_or("").to_string()
    };
    assert!(input("f_investor_tax_code").contains(&format!("value=\"{code}\"")), "{page}");
    let name = firm.ten_doanh_nghiep.replace('&', "&amp;");
    assert!(input("f_investor_name").contains(&format!("value=\"{name}\"")), "{page}");
    assert!(page.contains(&firm.nguoi_dai_dien.ho_va_ten), "the representative is shown");
    let read = last_read(&s);
    assert_eq!((read.service.as_str(), read.key.as_str()), ("dang-ky-doanh-nghiep", code.as_str()));
    let audit = audit_text(&app, "dossier.enterprise_lookup").await;
    assert!(audit.contains(code.as_str()) && audit.contains("Tiếp nhận hồ sơ"), "{audit}");
}

#[tokio::test]
async fn cqdt_lgsp_connect_national_registers_the_connection_and_prints_settings_that_work() {
    let (url, s) = sandbox().await;
    let population = format!("/lgsp/{OFFICE}/dan-cu");
    let mut app = Instance::start_with(&[], &[("CQDT_NATIONAL_POPULATION_URL", &population)]).await;
    let out = app.cli(&["lgsp", "connect-national", "--base", &url]).await;
    let printed = crate::helpers::text(&out);
    assert!(out.status.success(), "{printed}");
    let setting = |name: &str| {
        printed
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} printed: {printed}"))
            .to_string()
    };
    assert_eq!(setting("CQDT_NATIONAL_POPULATION_URL"), population);
    let (id, secret) = (setting("CQDT_NATIONAL_CLIENT_ID"), setting("CQDT_NATIONAL_CLIENT_SECRET"));
    let again = app.cli(&["lgsp", "connect-national", "--base", &url]).await;
    assert!(!again.status.success(), "a second registration is refused");
    assert!(crate::helpers::text(&again).contains("registered already"));
    app.restart_with(
        &[],
        &[
            ("CQDT_NATIONAL_POPULATION_URL", &population),
            ("CQDT_NATIONAL_CLIENT_ID", &id),
            ("CQDT_NATIONAL_CLIENT_SECRET", &secret),
        ],
    )
    .await;
    let me = officer(&app).await;
    let page = counter_lookup(&app, &me, "094192004567").await;
    assert!(page.contains("value=\"Trần Thị Bích Ngọc\""), "{page}");
    let read = last_read(&s);
    assert_eq!(read.lgsp_client.as_deref(), Some(format!("{COMMITTEE}/mot-cua-quoc-gia").as_str()));
}

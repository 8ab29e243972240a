//! Filing dossiers on the portal through the whole platform: the e-form with attachments, the
//! review, submission with a TT 01/2018 code, "Hồ sơ của tôi", the public lookup, the API,
//! and the bad input that must be refused without creating anything.

use crate::helpers;
use crate::helpers::{
    client, filing_form, first_option, get_as, get_page, location, post_multipart,
    required_components, sign_in, ByAdmin, Instance, SendJson, SendStatus, DEMO_PASSWORD, PDF,
};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

pub(crate) const CITIZEN: &str = "094085000123";
pub(crate) const KHAI_SINH: &str = "1.001193.000.00.00.H51";

/// The form's filled fields as the API takes them: without the `f_` prefix of the page.
pub(crate) fn api_values(page: &str) -> serde_json::Map<String, Value> {
    filled(page)
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix("f_").map(|k| (k.to_string(), Value::String(v))))
        .collect()
}

pub(crate) async fn form_page(app: &Instance, cookie: &str) -> String {
    let res = get_as(app, cookie, &format!("/nop-ho-so/{KHAI_SINH}")).await;
    assert_eq!(res.status(), 200);
    res.text().await.expect("page")
}

pub(crate) fn filled(page: &str) -> Vec<(String, String)> {
    vec![
        ("agency".into(), first_option(page, "agency")),
        ("f_child_full_name".into(), "Nguyễn Gia Bảo".into()),
        ("f_child_date_of_birth".into(), "01/11/2026".into()),
        ("f_child_gender".into(), first_option(page, "f_child_gender")),
        ("f_child_ethnicity".into(), first_option(page, "f_child_ethnicity")),
        ("f_child_nationality".into(), first_option(page, "f_child_nationality")),
        ("f_place_of_birth".into(), "Bệnh viện Đa khoa tỉnh Sóc Trăng, số 378 Lê Duẩn".into()),
        ("f_place_of_birth__xa".into(), "Phường Sóc Trăng".into()),
        ("f_hometown".into(), "94".into()),
        ("f_mother_full_name".into(), "Trần Thị Mai".into()),
        ("f_requester_phone".into(), "0912000123".into()),
    ]
}

fn multipart(fields: &[(String, String)], files: Vec<(&str, &str, Vec<u8>)>, action: &str) -> Form {
    let mut form = Form::new().text("action", action.to_string());
    for (k, v) in fields {
        form = form.text(k.clone(), v.clone());
    }
    for (field, name, bytes) in files {
        let part = Part::bytes(bytes).file_name(name.to_string());
        form = form.part(field.to_string(), part);
    }
    form
}

async fn post_form(app: &Instance, cookie: &str, form: Form) -> reqwest::Response {
    post_multipart(app, cookie, &format!("/nop-ho-so/{KHAI_SINH}"), form).await
}

/// Sends the filled form with these files to be reviewed before filing.
async fn review(
    app: &Instance,
    cookie: &str,
    fields: &[(String, String)],
    files: Vec<(&str, &str, Vec<u8>)>,
) -> reqwest::Response {
    post_form(app, cookie, multipart(fields, files, "review")).await
}

async fn my_dossiers(app: &Instance, cookie: &str) -> Value {
    client().get(app.url("/api/v1/dossiers")).header("cookie", cookie).send_json().await
}

#[tokio::test]
async fn a_citizen_files_online_and_finds_the_dossier_with_its_code() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    assert!(page.contains("value=\"0912000123\""), "the phone is pre-filled from the account");
    let fields = filled(&page);
    let res = review(
        &app,
        &cookie,
        &fields,
        vec![
            ("file_0", "to-khai.pdf", PDF.to_vec()),
            ("file_1", "giay-chung-sinh.pdf", PDF.to_vec()),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap_or_default());
    let review = location(&res);
    assert!(review.starts_with(&format!("/nop-ho-so/{KHAI_SINH}/xem-lai?ho_so=")));
    let id = review.split("ho_so=").nth(1).expect("id").to_string();
    let page = get_page(&app, &cookie, &review).await.1;
    assert!(page.contains("Nguyễn Gia Bảo") && page.contains("giay-chung-sinh.pdf"));
    let res = client()
        .post(app.url(&format!("/nop-ho-so/{KHAI_SINH}/nop")))
        .header("cookie", &cookie)
        .form(&[("ho_so", id.as_str())])
        .send()
        .await
        .expect("submit");
    assert_eq!(res.status(), 303);
    let to = location(&res);
    let code =
        to.trim_start_matches("/ho-so-cua-toi/").split('?').next().expect("code").to_string();
    let parts: Vec<&str> = code.split('-').collect();
    let shape = parts.len() == 3
        && parts[0].split('.').count() == 4
        && parts[0].ends_with(".H51")
        && parts[1].len() == 6
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[2] == "0001";
    assert!(shape, "TT 01/2018 code: {code}");
    let page = get_page(&app, &cookie, &to).await.1;
    assert!(page.contains("Đã nộp, chờ tiếp nhận") && page.contains(&code));
    let mine = my_dossiers(&app, &cookie).await;
    assert_eq!(mine[0]["code"], code.as_str());
    // Submitting twice does nothing more.
    assert_eq!(
        client()
            .post(app.url(&format!("/nop-ho-so/{KHAI_SINH}/nop")))
            .header("cookie", &cookie)
            .form(&[("ho_so", id.as_str())])
            .send_status()
            .await,
        400
    );
    // The public lookup shows the status, not the person.
    let (status, lookup) = {
        let r = client()
            .get(app.url(&format!("/api/v1/dossiers/lookup/{code}")))
            .send()
            .await
            .expect("lookup");
        (r.status(), r.text().await.expect("text"))
    };
    assert_eq!(status, 200);
    assert!(
        lookup.contains("submitted")
            && !lookup.contains("Nguyễn Văn An")
            && !lookup.contains(CITIZEN)
    );
    // The confirmation is queued by e-mail, SMS and in-app, with the code.
    let notes = client()
        .get(app.url("/api/v1/notifications"))
        .by_admin()
        .send()
        .await
        .expect("notifications")
        .text()
        .await
        .expect("text");
    assert!(notes.contains("nguyenvanan@example.vn") && notes.contains(&code), "{notes}");
    // Another person sees nothing of it.
    let other = sign_in(&app, "xuly.stp", DEMO_PASSWORD, Some(helpers::DEMO_TOTP)).await;
    let r = get_as(&app, &other, &format!("/api/v1/dossiers/{code}")).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_filings_are_refused_with_clear_messages_and_create_nothing() {
    let app = Instance::start_with(&[], &[("CQDT_MAX_UPLOAD_MB", "1")]).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    // Missing fields and an invalid personal ID: every error at the top, in Vietnamese.
    let mut fields = filled(&page);
    fields.retain(|(k, _)| k != "f_child_full_name");
    fields.push(("f_father_personal_id".into(), "12345".into()));
    let res = review(&app, &cookie, &fields, vec![]).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("page");
    for m in ["Có lỗi cần sửa", "Chưa nhập “Họ, chữ đệm và tên", "12 chữ số", "Chưa đính kèm"]
    {
        assert!(html.contains(m), "{m} missing");
    }
    assert!(html.contains("href=\"#f_child_full_name\""), "the summary links to the field");
    // A file that is not what its name says, and one too large.
    let fields = filled(&page);
    let res = review(
        &app,
        &cookie,
        &fields,
        vec![
            ("file_0", "to-khai.pdf", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
            ("file_1", "lon.pdf", [PDF.to_vec(), vec![b' '; 1024 * 1024 + 10]].concat()),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.expect("page");
    assert!(html.contains("giả mạo") || html.contains("đổi tên"), "disguised file");
    assert!(html.contains("quá lớn"), "oversized file");
    // Nothing was submitted.
    let mine = my_dossiers(&app, &cookie).await;
    assert!(mine.as_array().is_some_and(|a| a.iter().all(|d| d["status"] == "draft")), "{mine}");
    // A forged cross-site post is refused (the server may answer before reading the body,
    // which the client sees as a broken pipe).
    let forged = client()
        .post(app.url(&format!("/nop-ho-so/{KHAI_SINH}")))
        .header("cookie", &cookie)
        .header("origin", "http://trang-gia-mao.example")
        .header("sec-fetch-site", "cross-site")
        .multipart(multipart(&fields, vec![], "review"))
        .send()
        .await;
    match forged {
        Ok(r) => assert_eq!(r.status(), 403),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    let mine = my_dossiers(&app, &cookie).await;
    assert!(mine.as_array().is_some_and(|a| a.iter().all(|d| d["status"] == "draft")));
    // A retired procedure takes no dossier.
    assert_eq!(
        client()
            .post(app.url(&format!("/api/v1/procedures/{KHAI_SINH}/retire")))
            .by_admin()
            .send_status()
            .await,
        200
    );
    let res = get_as(&app, &cookie, &format!("/nop-ho-so/{KHAI_SINH}")).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.expect("page").contains("đã bãi bỏ"));
    assert_eq!(
        client()
            .post(app.url("/api/v1/dossiers"))
            .header("cookie", &cookie)
            .json(&json!({"procedure_code": KHAI_SINH, "agency_code": "000.01.41.H51", "form": {}}))
            .send_status()
            .await,
        409
    );
}

/// Files a birth registration through the API with the given form values, and a PDF for
/// each of its required components (as `multipart/form-data`).
async fn file_by_api(
    app: &Instance,
    cookie: &str,
    agency: &str,
    form: &serde_json::Map<String, Value>,
) -> reqwest::Response {
    let files = required_components(app, KHAI_SINH).await;
    let body = filing_form(KHAI_SINH, agency, &Value::Object(form.clone()), &files);
    post_multipart(app, cookie, "/api/v1/dossiers", body).await
}

/// Files through the API the form's values with one of them changed.
async fn file_with(
    app: &Instance,
    cookie: &str,
    agency: &str,
    values: &serde_json::Map<String, Value>,
    field: &str,
    value: Value,
) -> reqwest::Response {
    let mut changed = values.clone();
    changed.insert(field.into(), value);
    file_by_api(app, cookie, agency, &changed).await
}

#[tokio::test]
async fn the_api_files_a_dossier_and_refuses_bad_input_with_problem_details() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    let values = api_values(&page);
    let agency = first_option(&page, "agency");
    let res = file_with(&app, &cookie, &agency, &values, "requester_phone", json!("12")).await;
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.expect("json");
    assert_eq!(p["errors"][0]["field"], "requester_phone");
    // An address must name a commune of the chosen province, from the catalog in force.
    let res =
        file_with(&app, &cookie, &agency, &values, "place_of_birth__xa", json!("Phường Không Có"))
            .await;
    assert_eq!(res.status(), 422);
    let p: Value = res.json().await.expect("json");
    assert_eq!(p["errors"][0]["field"], "place_of_birth", "{p}");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Phường Không Có") && m.contains("Cần Thơ")),
        "{p}"
    );
    assert!(my_dossiers(&app, &cookie).await.as_array().is_some_and(Vec::is_empty));
    // The picker's list: the communes of the province, for the script and for apps.
    let list: Value = client().get(app.url("/api/v1/dia-ban/92/xa")).send_json().await;
    assert!(
        list["communes"].as_array().is_some_and(|a| a.iter().any(|c| c["code"] == "31507")),
        "{list}"
    );
    assert_eq!(
        client().get(app.url("/api/v1/dia-ban/94/xa")).send_status().await,
        404,
        "Sóc Trăng province no longer exists"
    );
    let res = file_by_api(&app, &cookie, &agency, &values).await;
    assert_eq!(res.status(), 201);
    let d: Value = res.json().await.expect("json");
    let code = d["code"].as_str().expect("code").to_string();
    assert!(code.starts_with(&agency));
    let view: Value = client()
        .get(app.url(&format!("/api/v1/dossiers/{code}")))
        .header("cookie", &cookie)
        .send_json()
        .await;
    assert_eq!(
        view["form"]["place_of_birth"],
        "Bệnh viện Đa khoa tỉnh Sóc Trăng, số 378 Lê Duẩn, Phường Sóc Trăng, Thành phố Cần Thơ",
        "the address is stored whole: {view}"
    );
    assert_eq!(view["form"]["place_of_birth__ma"], "31507");
    let res = file_by_api(&app, &cookie, &agency, &values).await;
    let second: Value = res.json().await.expect("json");
    assert!(
        second["code"].as_str().is_some_and(|c| c.ends_with("-0002")),
        "the day's sequence: {second}"
    );
    // Submissions arriving together share one transaction; each still gets its own
    // consecutive number, its confirmation e-mail and SMS, and its delivery job.
    let mut many = tokio::task::JoinSet::new();
    let required = required_components(&app, KHAI_SINH).await;
    for _ in 0..20 {
        let (url, cookie) = (app.url("/api/v1/dossiers"), cookie.clone());
        let body = filing_form(KHAI_SINH, &agency, &Value::Object(values.clone()), &required);
        many.spawn(async move {
            let req = client().post(url).header("cookie", cookie).multipart(body);
            let res = req.send().await.expect("api");
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.expect("json")
        });
    }
    let mut seqs = Vec::new();
    while let Some(d) = many.join_next().await {
        let d = d.expect("request task");
        let code = d["code"].as_str().expect("code").to_string();
        seqs.push(code.rsplit('-').next().and_then(|n| n.parse::<u32>().ok()).expect("number"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (3..23).collect::<Vec<u32>>(), "consecutive, none twice");
    let notes: Value =
        client().get(app.url("/api/v1/notifications?limit=200")).by_admin().send_json().await;
    let list = notes["notifications"].as_array().cloned().unwrap_or_default();
    for n in 3..23 {
        let code = format!("-{n:04}");
        let mine: Vec<&Value> = list
            .iter()
            .filter(|x| x["subject"].as_str().is_some_and(|s| s.ends_with(&code)))
            .collect();
        assert_eq!(mine.len(), 2, "e-mail and SMS for {code}: {notes}");
        assert!(mine.iter().all(|x| x["job_id"].as_i64().is_some()), "{mine:?}");
    }
    // Without signing in: 401 problem+json.
    assert_eq!(
        client()
            .post(app.url("/api/v1/dossiers"))
            .json(&json!({"procedure_code": KHAI_SINH, "agency_code": agency, "form": values}))
            .send_status()
            .await,
        401
    );
}

#[tokio::test]
async fn the_applicants_own_address_is_pre_filled_from_the_account_into_the_picker() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let lltp = "2.000488.000.00.00.H51";
    let page = |cookie: String| {
        let url = app.url(&format!("/nop-ho-so/{lltp}"));
        async move {
            let res = client().get(url).header("cookie", cookie).send().await.expect("form");
            assert_eq!(res.status(), 200);
            res.text().await.expect("page")
        }
    };
    let html = page(cookie.clone()).await;
    assert!(
        html.contains("id=\"f_permanent_address\" name=\"f_permanent_address\" value=\"Số 12 đường Trần Hưng Đạo\""),
        "street pre-filled: {html}"
    );
    assert!(
        html.contains("name=\"f_permanent_address__xa\" value=\"Phường Sóc Trăng\""),
        "commune pre-filled"
    );
    assert!(html.contains("<option value=\"92\" selected>"), "province");

    // The citizen changes the address on the account page; an unusable one is refused.
    let post = |address: &str| {
        client()
            .post(app.url("/tai-khoan/dia-chi"))
            .header("cookie", cookie.clone())
            .form(&[("address", address)])
            .send()
    };
    let res = post("x\u{7}").await.expect("post");
    assert_eq!(res.status(), 422);
    let res = post("Ấp 3, Xã An Ninh, Thành phố Cần Thơ").await.expect("post");
    assert_eq!(res.status(), 303);
    let account = client()
        .get(app.url("/tai-khoan"))
        .header("cookie", cookie.clone())
        .send()
        .await
        .expect("account")
        .text()
        .await
        .expect("page");
    assert!(account.contains("Ấp 3, Xã An Ninh, Thành phố Cần Thơ"));
    let html = page(cookie.clone()).await;
    assert!(html.contains("name=\"f_permanent_address\" value=\"Ấp 3\""));
    assert!(html.contains("name=\"f_permanent_address__xa\" value=\"Xã An Ninh\""));
}

/// The `<option>` a `<select>` of the page has selected, and its first option.
fn select_state(page: &str, id: &str) -> (Option<String>, Option<String>) {
    let select = page.split(&format!("<select id=\"{id}\"")).nth(1).unwrap_or("");
    let select = select.split("</select>").next().unwrap_or("");
    let value = |o: &str| o.split('"').next().map(str::to_string);
    let options: Vec<&str> = select.split("<option value=\"").skip(1).collect();
    let first = options.iter().find(|o| !o.starts_with('"')).and_then(|o| value(o));
    let selected = options.iter().find(|o| o.contains(" selected")).and_then(|o| value(o));
    (selected, first)
}

#[tokio::test]
async fn the_e_form_starts_with_viet_nam_and_the_procedures_receiving_agency_chosen() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    let (selected, first) = select_state(&page, "f_child_nationality");
    assert_eq!(first.as_deref(), Some("VN"), "Việt Nam first in the list");
    assert_eq!(selected.as_deref(), Some("VN"), "and chosen");
    // The judicial record is received by the Department of Justice alone: it is chosen.
    let res = get_as(&app, &cookie, "/nop-ho-so/2.000488.000.00.00.H51").await;
    assert_eq!(res.status(), 200);
    let page = res.text().await.expect("page");
    let (selected, _) = select_state(&page, "agency");
    assert!(selected.is_some(), "the receiving agency is chosen");
    assert!(page.contains(" selected>Sở Tư pháp"), "the Department of Justice");
}

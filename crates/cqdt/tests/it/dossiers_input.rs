//! What a filing may carry, through the whole platform: the API files with the same checks as
//! the portal (required components, files recognised by their content), bodies are limited
//! per route (small for forms and JSON, the upload limit where files go), nothing a request
//! sent is repeated whole in an error, and a draft holds no value longer than its field.

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::dossiers::{api_values, filled, form_page, CITIZEN, KHAI_SINH};
use crate::helpers::{
    client, filing_form, first_option, get_as, post_multipart, sign_in, Instance, SendJson,
    DEMO_PASSWORD, PDF,
};

/// The citizen's dossiers, as the API lists them.
async fn mine(app: &Instance, cookie: &str) -> Vec<Value> {
    let list = client().get(app.url("/api/v1/dossiers")).header("cookie", cookie).send_json().await;
    list.as_array().cloned().unwrap_or_default()
}

/// The birth registration's filled values, as the API takes them, and its agency.
async fn filled_values(app: &Instance, cookie: &str) -> (Value, String) {
    let page = form_page(app, cookie).await;
    (Value::Object(api_values(&page)), first_option(&page, "agency"))
}

/// A file part with a name.
fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_string())
}

/// The answer's status and its body as text.
async fn answer(res: reqwest::Response) -> (u16, String) {
    (res.status().as_u16(), res.text().await.expect("text"))
}

#[tokio::test]
async fn a_json_filing_of_a_procedure_with_required_components_is_refused_naming_them() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let (form, agency) = filled_values(&app, &cookie).await;
    let res = client()
        .post(app.url("/api/v1/dossiers"))
        .header("cookie", &cookie)
        .json(&json!({"procedure_code": KHAI_SINH, "agency_code": agency, "form": form}))
        .send()
        .await
        .expect("api");
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.expect("json");
    let errors: Vec<(&str, &str)> = p["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| (e["field"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(errors.len(), 2, "{p}");
    assert_eq!(errors[0], ("file_0", "Chưa đính kèm “Tờ khai đăng ký khai sinh theo mẫu”."));
    assert!(errors[1].0 == "file_1" && errors[1].1.contains("Giấy chứng sinh"), "{p}");
    assert!(mine(&app, &cookie).await.is_empty(), "nothing was filed");
}

#[tokio::test]
async fn a_multipart_filing_keeps_its_files_and_a_disguised_one_is_refused_as_on_the_page() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let (form, agency) = filled_values(&app, &cookie).await;
    // A program renamed .pdf, and a PNG image renamed .pdf: both refused by content.
    let exe = [b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), vec![0; 200]].concat();
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let body = filing_form(KHAI_SINH, &agency, &form, &[])
        .part("file_0", file("to-khai.pdf", exe))
        .part("file_1", file("giay-chung-sinh.pdf", png));
    let (status, text) =
        answer(post_multipart(&app, &cookie, "/api/v1/dossiers", body).await).await;
    assert_eq!(status, 422, "{text}");
    let p: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(p["errors"][0]["field"], "file_0", "{p}");
    assert!(p["errors"][0]["message"].as_str().is_some_and(|m| m.contains("Loại tệp")), "{p}");
    assert_eq!(p["errors"][1]["field"], "file_1", "{p}");
    assert!(p["errors"][1]["message"].as_str().is_some_and(|m| m.contains("giả mạo")), "{p}");
    assert!(mine(&app, &cookie).await.is_empty(), "nothing was filed");
    // The same filing with the real documents: filed, with them on the dossier.
    let body = filing_form(KHAI_SINH, &agency, &form, &[])
        .part("file_0", file("to-khai.pdf", PDF.to_vec()))
        .part("file_1", file("giay-chung-sinh.pdf", [PDF, b"% 2\n"].concat()));
    let (status, text) =
        answer(post_multipart(&app, &cookie, "/api/v1/dossiers", body).await).await;
    assert_eq!(status, 201, "{text}");
    let code = serde_json::from_str::<Value>(&text).expect("json")["code"].clone();
    let code = code.as_str().expect("code");
    let view = get_as(&app, &cookie, &format!("/api/v1/dossiers/{code}")).await;
    let view: Value = view.json().await.expect("json");
    let files: Vec<(i64, &str, &str)> = view["files"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let component = f["component"].as_i64().unwrap_or(-1);
            (
                component,
                f["file_name"].as_str().unwrap_or(""),
                f["media_type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        files,
        vec![(0, "to-khai.pdf", "application/pdf"), (1, "giay-chung-sinh.pdf", "application/pdf")],
        "{view}"
    );
    assert_eq!(view["form"]["child_full_name"], "Nguyễn Gia Bảo");
    assert!(
        view["events"][0]["note"].as_str().is_some_and(|n| !n.contains("xuất trình")),
        "the step knows the files came with it: {view}"
    );
}

#[tokio::test]
async fn bodies_are_limited_per_route_and_a_huge_value_is_never_repeated_whole() {
    let app = Instance::start_with(&[], &[("CQDT_MAX_UPLOAD_MB", "1")]).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let (form, agency) = filled_values(&app, &cookie).await;
    // JSON and forms: 1 MiB.
    let big = json!({ "reason": "x".repeat(2 << 20) });
    let res = client()
        .post(app.url("/api/v1/dossiers/000.01.41.H51-261101-0001/withdraw"))
        .header("cookie", &cookie)
        .json(&big)
        .send()
        .await
        .expect("withdraw");
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let res = client()
        .post(app.url("/ho-so-cua-toi/000.01.41.H51-261101-0001/rut"))
        .header("cookie", &cookie)
        .form(&[("reason", "x".repeat(2 << 20)), ("confirm", "1".into())])
        .send()
        .await
        .expect("withdraw page");
    assert_eq!(res.status(), 413);
    // Where files go, the upload limit: two files of 0.9 MB are taken together…
    let near = |n: u8| [PDF.to_vec(), vec![b' '; 900_000 + n as usize]].concat();
    let body = filing_form(KHAI_SINH, &agency, &form, &[])
        .part("file_0", file("to-khai.pdf", near(0)))
        .part("file_1", file("giay-chung-sinh.pdf", near(1)));
    let (status, text) =
        answer(post_multipart(&app, &cookie, "/api/v1/dossiers", body).await).await;
    assert_eq!(status, 201, "{text}");
    // …one file over the limit is refused by name, and a body over the route's limit is a 413.
    let body = filing_form(KHAI_SINH, &agency, &form, &[0])
        .part("file_1", file("lon.pdf", [PDF.to_vec(), vec![b' '; 1 << 20]].concat()));
    let (status, text) =
        answer(post_multipart(&app, &cookie, "/api/v1/dossiers", body).await).await;
    assert!(status == 422 && text.contains("quá lớn"), "{status} {text}");
    let body = filing_form(KHAI_SINH, &agency, &form, &[0, 1])
        .part("file_khac", file("rat-lon.pdf", vec![b' '; 10 << 20]));
    let res = client()
        .post(app.url("/api/v1/dossiers"))
        .header("cookie", &cookie)
        .multipart(body)
        .send()
        .await;
    // The server may answer before reading the whole body, which the client sees as a
    // broken pipe.
    if let Ok(res) = res {
        assert_eq!(res.status(), 413);
    }
    // A 6 MB value (within a file route's limit) is refused, and not repeated.
    let huge = "Đ".repeat(3_000_000);
    let body = filing_form(&huge, &agency, &form, &[0, 1]);
    let (status, text) =
        answer(post_multipart(&app, &cookie, "/api/v1/dossiers", body).await).await;
    assert!(status == 409 && text.len() < 2000 && text.contains('…'), "{status} {}", text.len());
    let mut changed = form.clone();
    // Two of 3 MB, within the route's 9 MiB.
    changed["mother_full_name"] = Value::String(huge[..3_000_000].to_string());
    changed["place_of_birth__xa"] = Value::String(huge[..3_000_000].to_string());
    let body = filing_form(KHAI_SINH, &agency, &changed, &[0, 1]);
    let (status, text) =
        answer(post_multipart(&app, &cookie, "/api/v1/dossiers", body).await).await;
    assert!(status == 422 && text.len() < 2000, "{status} {}", text.len());
    assert!(text.contains("Tối đa 100 ký tự") && text.contains("Tối đa 200 ký tự"), "{text}");
    let mut fields = filled(&form_page(&app, &cookie).await);
    fields.retain(|(k, _)| k != "f_mother_full_name");
    fields.push(("f_mother_full_name".into(), huge.clone()));
    let (status, html) = answer(post_page_form(&app, &cookie, &fields, "review").await).await;
    assert_eq!(status, 422);
    assert!(html.contains("Tối đa 100 ký tự") && html.len() < 200_000, "{}", html.len());
}

/// Posts the e-form page's fields as the browser does.
async fn post_page_form(
    app: &Instance,
    cookie: &str,
    fields: &[(String, String)],
    action: &str,
) -> reqwest::Response {
    let mut body = Form::new().text("action", action.to_string());
    for (k, v) in fields {
        body = body.text(k.clone(), v.clone());
    }
    post_multipart(app, cookie, &format!("/nop-ho-so/{KHAI_SINH}"), body).await
}

#[tokio::test]
async fn a_draft_with_a_value_longer_than_its_field_allows_is_refused_and_nothing_is_saved() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    let mut fields = filled(&page);
    fields.retain(|(k, _)| k != "f_child_full_name");
    let with_name = |fields: &[(String, String)], name: String| {
        let mut all = fields.to_vec();
        all.push(("f_child_full_name".into(), name));
        all
    };
    // A 1 MB name: refused on its field, and no draft is made.
    let mega = "a".repeat(1_000_000);
    let (status, html) =
        answer(post_page_form(&app, &cookie, &with_name(&fields, mega.clone()), "save").await)
            .await;
    assert_eq!(status, 422);
    assert!(html.contains("Họ, chữ đệm và tên") && html.contains("Tối đa 100 ký tự"));
    assert!(!html.contains(&"a".repeat(101)), "the name is not shown back whole");
    assert!(mine(&app, &cookie).await.is_empty(), "no draft was saved");
    // A draft saved, then saved again with the name too long: it keeps what it had.
    let named = with_name(&fields, "Nguyễn Gia Bảo".into());
    let (status, html) = answer(post_page_form(&app, &cookie, &named, "save").await).await;
    assert_eq!(status, 200, "{html}");
    let list = mine(&app, &cookie).await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_str().expect("id").to_string();
    let mut again = with_name(&fields, mega);
    again.push(("ho_so".into(), id.clone()));
    let (status, html) = answer(post_page_form(&app, &cookie, &again, "save").await).await;
    assert_eq!(status, 422);
    assert!(html.contains(&format!("value=\"{id}\"")), "the form still names the draft");
    let draft = get_as(&app, &cookie, &format!("/api/v1/dossiers/{id}")).await;
    let draft: Value = draft.json().await.expect("json");
    assert_eq!(draft["form"]["child_full_name"], "Nguyễn Gia Bảo", "{draft}");
}

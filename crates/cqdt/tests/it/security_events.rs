//! Refusals an auditor must see (issue 13, item 10): the platform's guards record them in the
//! audit log as `security.*` events, denied, with the client's address.

use crate::dossiers::{api_values, filled, form_page, CITIZEN, KHAI_SINH};
use crate::helpers::{
    audit_text, client, file_birth_registration, filing_form, first_option, get_as, post_multipart,
    sign_in, ByAdmin, Instance, SendStatus, DEMO_PASSWORD, DEMO_TOTP, PDF,
};
use crate::oidc::{authorize, REDIRECT};

/// The audit log's records of `action`, once the chainer has caught up.
async fn recorded(app: &Instance, action: &str, needle: &str) -> String {
    let mut text = String::new();
    for _ in 0..50 {
        text = audit_text(app, action).await;
        if text.contains(needle) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    text
}

#[tokio::test]
async fn a_wrong_administrator_password_is_a_security_event() {
    let app = Instance::start().await;
    let res = client().get(app.url("/api/v1/admin/jobs")).basic_auth("admin", Some("doan")).send();
    assert_eq!(res.await.expect("get").status(), 401);
    let log = recorded(&app, "security.admin_sign_in_failed", "127.0.0.1").await;
    assert!(log.contains("/api/v1/admin/jobs") && log.contains("denied"), "{log}");
}

#[tokio::test]
async fn a_cross_site_post_is_a_security_event() {
    let app = Instance::start().await;
    let res = client()
        .post(app.url("/dang-nhap"))
        .header("origin", "http://trang-gia-mao.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("login", "x"), ("password", "y")])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 403);
    let log = recorded(&app, "security.csrf_refused", "trang-gia-mao.example").await;
    assert!(log.contains("trang-gia-mao.example"), "{log}");
}

#[tokio::test]
async fn a_redirect_uri_the_client_did_not_register_is_a_security_event() {
    let app = Instance::start().await;
    let (id, _) = crate::helpers::add_client(
        &app,
        &["Ứng dụng", "--grant", "authorization_code", "--redirect-uri", REDIRECT],
    )
    .await;
    let params = [
        ("response_type", "code"),
        ("client_id", id.as_str()),
        ("redirect_uri", "https://ke-gian.example/cb"),
        ("scope", "openid"),
    ];
    assert_eq!(authorize(&app, "", &params).await.status(), 400);
    let log = recorded(&app, "security.redirect_uri_refused", "ke-gian.example").await;
    assert!(log.contains("ke-gian.example") && log.contains(&id), "{log}");
}

/// The `security.*` records of `action` once at least `n` are in, as (actor, details).
async fn events(app: &Instance, action: &str, n: usize) -> Vec<(String, serde_json::Value)> {
    let mut found = Vec::new();
    for _ in 0..50 {
        let text = audit_text(app, action).await;
        let v: serde_json::Value = serde_json::from_str(&text).expect("audit json");
        found = v["records"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| {
                let details = r["details"].as_str().unwrap_or("null");
                let actor = r["actor"].as_str().unwrap_or("").to_string();
                (actor, serde_json::from_str(details).expect("details json"))
            })
            .collect();
        if found.len() >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    found
}

/// The records' values of one detail, sorted.
fn detail(found: &[(String, serde_json::Value)], key: &str) -> Vec<String> {
    let mut values: Vec<String> =
        found.iter().map(|(_, d)| d[key].as_str().unwrap_or("").to_string()).collect();
    values.sort();
    values
}

/// The status and text of `route` for dossier `code`, the code itself blanked out.
async fn answer(app: &Instance, cookie: &str, route: &str, code: &str) -> (u16, String) {
    let res = get_as(app, cookie, &route.replace("{}", code)).await;
    let status = res.status().as_u16();
    (status, res.text().await.expect("text").replace(code, "…"))
}

#[tokio::test]
async fn asking_for_someone_elses_dossier_is_a_security_event_answered_like_a_missing_one() {
    let app = Instance::start().await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let code = file_birth_registration(&app, &citizen).await;
    let missing = "000.01.41.H51-261101-9999";
    // Someone else on the citizen's routes, an official of another agency on the office's:
    // each answer is the very answer for a dossier that does not exist.
    let other = sign_in(&app, "xuly.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let routes = ["/api/v1/dossiers/{}", "/ho-so-cua-toi/{}", "/api/v1/office/dossiers/{}"];
    for route in routes.into_iter().chain(["/mot-cua/ho-so/{}"]) {
        let theirs = answer(&app, &other, route, &code).await;
        let gone = answer(&app, &other, route, missing).await;
        assert_eq!(theirs.0, 404, "{route}");
        assert_eq!(theirs, gone, "{route}");
    }
    let withdraw = client()
        .post(app.url(&format!("/api/v1/dossiers/{code}/withdraw")))
        .header("cookie", &other)
        .json(&serde_json::json!({"reason": "không cần nữa"}))
        .send_status()
        .await;
    assert_eq!(withdraw, 404);
    // One record each, naming the dossier and the route, none for the missing one.
    let found = events(&app, "security.dossier_not_theirs", 5).await;
    assert_eq!(found.len(), 5, "{found:?}");
    assert!(
        found.iter().all(|(actor, d)| actor != "anonymous"
            && d["dossier_code"] == code.as_str()
            && d["asked"] == code.as_str()
            && d["ip"] == "127.0.0.1"),
        "{found:?}"
    );
    let mut paths: Vec<String> =
        routes.iter().chain(&["/mot-cua/ho-so/{}"]).map(|r| r.replace("{}", &code)).collect();
    paths.push(format!("/api/v1/dossiers/{code}/withdraw"));
    paths.sort();
    assert_eq!(detail(&found, "path"), paths);
    // The applicant still sees it.
    assert_eq!(get_as(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await.status(), 200);
}

/// A PNG that calls itself a PDF, with a secret in it that no record may keep.
fn disguised() -> Vec<u8> {
    [b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice(), b"NOI-DUNG-BI-MAT"].concat()
}

fn part(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Part {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_string());
    part.mime_str("application/pdf").expect("mime")
}

#[tokio::test]
async fn a_disguised_upload_is_a_security_event_on_the_page_and_the_api_without_its_content() {
    let app = Instance::start().await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    // The filing page…
    let mut form = reqwest::multipart::Form::new().text("action", "review");
    for (k, v) in filled(&page) {
        form = form.text(k, v);
    }
    let form = form.part("file_0", part("to-khai.pdf", disguised()));
    let res = post_multipart(&app, &cookie, &format!("/nop-ho-so/{KHAI_SINH}"), form).await;
    assert_eq!(res.status(), 422);
    // …the filing API…
    let (values, agency) = (api_values(&page), first_option(&page, "agency"));
    let form = filing_form(KHAI_SINH, &agency, &serde_json::Value::Object(values), &[])
        .part("file_1", part("giay-chung-sinh.pdf", disguised()));
    let res = post_multipart(&app, &cookie, "/api/v1/dossiers", form).await;
    assert_eq!(res.status(), 422);
    // …and the file store's API.
    let form = reqwest::multipart::Form::new().part("file", part("don.pdf", disguised()));
    let req = client().post(app.url("/api/v1/files")).by_admin().multipart(form);
    assert_eq!(req.send_status().await, 422);
    let found = events(&app, "security.upload_refused", 3).await;
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(detail(&found, "file_name"), ["don.pdf", "giay-chung-sinh.pdf", "to-khai.pdf"]);
    assert!(
        found.iter().all(|(_, d)| d["reason"] == "disguised"
            && d["declared_type"] == "application/pdf"
            && d["size"] == disguised().len()),
        "{found:?}"
    );
    assert_eq!(
        detail(&found, "path"),
        ["/api/v1/dossiers", "/api/v1/files", &format!("/nop-ho-so/{KHAI_SINH}")]
    );
    let text = audit_text(&app, "security.upload_refused").await;
    assert!(!text.contains("NOI-DUNG-BI-MAT") && !text.contains("IHDR"), "{text}");
}

#[tokio::test]
async fn a_file_over_the_size_limit_is_a_security_event_in_the_store_and_at_the_body_limit() {
    let app = Instance::start_with(&[], &[("CQDT_MAX_UPLOAD_MB", "1")]).await;
    let cookie = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let page = form_page(&app, &cookie).await;
    let (values, agency) = (api_values(&page), first_option(&page, "agency"));
    let values = serde_json::Value::Object(values);
    // A file over the limit inside a body the route takes: the store refuses it…
    let big = [PDF.to_vec(), vec![b' '; 1 << 20]].concat();
    let form =
        filing_form(KHAI_SINH, &agency, &values, &[0]).part("file_1", part("lon.pdf", big.clone()));
    let res = post_multipart(&app, &cookie, "/api/v1/dossiers", form).await;
    assert_eq!(res.status(), 422);
    // …and a body over the route's limit is cut off while the file is read (the server may
    // answer before the client has sent it all, which the client sees as a broken pipe).
    let form = filing_form(KHAI_SINH, &agency, &values, &[0, 1])
        .part("file_khac", part("rat-lon.pdf", vec![b' '; 10 << 20]));
    let req = client().post(app.url("/api/v1/dossiers")).header("cookie", &cookie);
    if let Ok(res) = req.multipart(form).send().await {
        assert_eq!(res.status(), 413);
    }
    let found = events(&app, "security.upload_refused", 2).await;
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(detail(&found, "reason"), ["body_limit", "too_large"]);
    for (_, d) in &found {
        assert_eq!(d["path"], "/api/v1/dossiers");
        assert_eq!(d["declared_type"], "application/pdf");
        match d["reason"].as_str() {
            Some("too_large") => {
                assert!(d["file_name"] == "lon.pdf" && d["size"] == big.len(), "{d}");
            }
            _ => assert!(d["file_name"] == "rat-lon.pdf" && d["size"].as_u64() > Some(10 << 20)),
        }
    }
    assert!(found.iter().all(|(actor, _)| actor != "anonymous"), "{found:?}");
}

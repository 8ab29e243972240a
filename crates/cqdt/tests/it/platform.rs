//! The platform shell end to end: the whole platform in-process, a fresh database, real HTTP.

use crate::helpers::{client, ByAdmin, Instance, SendJson, SendStatus};

#[tokio::test]
async fn the_home_page_is_served_in_vietnamese_with_the_demo_banner() {
    let app = Instance::start().await;
    let res = client().get(app.url("/")).send().await.expect("get /");
    assert_eq!(res.status(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains("<html lang=\"vi\">"));
    assert!(body.contains("Bỏ qua, đến nội dung chính"));
    assert!(body.contains("Bản trình diễn"), "demo banner missing");
    assert!(body.contains("Danh mục dùng chung"));
}

#[tokio::test]
async fn the_home_page_is_for_citizens_with_search_life_events_and_dossier_lookup() {
    let app = Instance::start().await;
    let body = client().get(app.url("/")).send().await.expect("get").text().await.expect("body");
    for expected in [
        "Bạn cần làm thủ tục gì?",
        "action=\"/thu-tuc\"",
        "action=\"/tra-cuu-ho-so\"",
        "Thủ tục được quan tâm",
        "Sinh con",
        "Thủ tục theo lĩnh vực",
    ] {
        assert!(body.contains(expected), "{expected}");
    }
    // Not a list of modules by their codes, nor a list of modules "being built".
    assert!(!body.contains("Mã phân hệ") && !body.contains("Đang xây dựng"));
}

#[tokio::test]
async fn an_instance_started_without_demo_shows_no_banner() {
    let app = Instance::start_with(&["--no-demo"], &[]).await;
    let body = client().get(app.url("/")).send().await.expect("get").text().await.expect("body");
    assert!(!body.contains("Bản trình diễn"));
}

#[tokio::test]
async fn an_unknown_page_gets_a_vietnamese_404_with_security_headers_and_a_request_id() {
    let app = Instance::start().await;
    let res = client().get(app.url("/khong-co-trang-nay")).send().await.expect("get");
    assert_eq!(res.status(), 404);
    let h = res.headers().clone();
    assert!(h["content-security-policy"].to_str().expect("csp").contains("default-src 'self'"));
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("referrer-policy"));
    assert!(!h.contains_key("strict-transport-security"), "no HSTS without TLS");
    assert!(h["x-request-id"].len() >= 16);
    let body = res.text().await.expect("body");
    assert!(body.contains("Không tìm thấy trang"));
    assert!(body.contains("Bản trình diễn"), "the 404 page keeps the instance's shell");
}

#[tokio::test]
async fn an_unknown_api_path_gets_problem_json() {
    let app = Instance::start().await;
    let res = client().get(app.url("/api/v1/khong-co")).send().await.expect("get");
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_address_is_https() {
    let app =
        Instance::start_with(&[], &[("CQDT_PUBLIC_URL", "https://dichvucong.soctrang.gov.vn")])
            .await;
    let res = client().get(app.url("/")).send().await.expect("get");
    assert!(res.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn admin_pages_need_the_administrator() {
    let app = Instance::start().await;
    let c = client();
    let res = c.get(app.url("/admin/jobs")).send().await.expect("get");
    assert_eq!(res.status(), 401);
    assert!(res.headers().contains_key("www-authenticate"));
    assert_eq!(
        c.get(app.url("/admin/jobs")).basic_auth("admin", Some("sai")).send_status().await,
        401
    );
    assert_eq!(c.get(app.url("/admin/jobs")).by_admin().send_status().await, 200);
}

#[tokio::test]
async fn a_form_post_from_another_site_is_refused() {
    let app = Instance::start().await;
    assert_eq!(
        client()
            .post(app.url("/admin/jobs/1/retry"))
            .by_admin()
            .header("origin", "https://evil.example")
            .send_status()
            .await,
        403
    );
}

fn upload(name: &str, bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()))
}

#[tokio::test]
async fn oversized_disguised_and_unknown_files_are_refused_and_nothing_is_stored() {
    let app = Instance::start_with(&[], &[("CQDT_MAX_UPLOAD_MB", "1")]).await;
    let c = client();
    // A fresh connection per upload: the server closes one after refusing an oversized body.
    let post = |form| client().post(app.url("/api/v1/files")).by_admin().multipart(form).send();
    let disguised =
        post(upload("don-de-nghi.pdf", b"\x89PNG\r\n\x1a\nrest".to_vec())).await.expect("post");
    assert_eq!(disguised.status(), 422);
    assert_eq!(disguised.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = disguised.json().await.expect("json");
    assert!(p["detail"].as_str().unwrap_or("").contains("giả mạo"), "{p}");
    let exe = post(upload("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00".to_vec())).await.expect("post");
    assert_eq!(exe.status(), 422);
    // The server answers 413 as soon as the limit is passed and may close before the client
    // finishes sending, which the client sees as a broken pipe.
    match post(upload("big.pdf", [b"%PDF-1.7\n".to_vec(), vec![b'a'; 2 * 1024 * 1024]].concat()))
        .await
    {
        Ok(big) => assert!(big.status() == 413 || big.status() == 422, "{}", big.status()),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    let files = std::fs::read_dir(app.data_dir.join("files")).map(|d| d.count()).unwrap_or(0);
    assert_eq!(files, 0, "a refused file left something in the store");
    let good = post(upload("to-khai.pdf", b"%PDF-1.7\n%%EOF".to_vec())).await.expect("post");
    assert_eq!(good.status(), 201);
    let stored: serde_json::Value = good.json().await.expect("json");
    let sha = stored["sha256"].as_str().expect("sha");
    let back =
        c.get(app.url(&format!("/api/v1/files/{sha}"))).by_admin().send().await.expect("get");
    assert_eq!(back.bytes().await.expect("bytes").as_ref(), b"%PDF-1.7\n%%EOF");
    assert_eq!(
        c.get(app.url("/api/v1/files/..%2F..%2Fcqdt.db")).by_admin().send_status().await,
        404
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_apis() {
    let app = Instance::start().await;
    let doc: serde_json::Value = client().get(app.url("/api/v1/openapi.json")).send_json().await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/audit"].is_object());
}

#[tokio::test]
async fn every_api_route_of_the_assembled_router_is_in_the_openapi_document() {
    let app = Instance::start().await;
    let doc: serde_json::Value = client().get(app.url("/api/v1/openapi.json")).send_json().await;
    let documented: std::collections::BTreeSet<String> =
        doc["paths"].as_object().expect("paths").keys().cloned().collect();
    let routes = app.api_paths();
    assert!(routes.len() > 50, "too few API routes found: {routes:?}");
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(missing.is_empty(), "API routes missing from the document: {missing:?}");
    let stale: Vec<_> = documented
        .iter()
        .filter(|p| cqdt_platform::openapi::documented(p))
        .filter(|p| !routes.contains(*p))
        .collect();
    assert!(stale.is_empty(), "documented paths no route serves: {stale:?}");
    // Operation ids are unique, and every reference resolves.
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(id) = op["operationId"].as_str() {
                assert!(ids.insert(id.to_string()), "{method} {path}: operationId {id} repeats");
            }
        }
    }
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().expect("ref");
        let pointer = target.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
}

#[tokio::test]
async fn repeated_wrong_admin_passwords_lock_the_source_out() {
    let app = Instance::start().await;
    let c = client();
    for _ in 0..10 {
        assert_eq!(
            c.get(app.url("/admin/jobs")).basic_auth("admin", Some("doan-mo")).send_status().await,
            401
        );
    }
    let locked = c.get(app.url("/admin/jobs")).by_admin().send().await.expect("get");
    assert_eq!(locked.status(), 429, "even the right password waits out the lockout");
    assert!(locked.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn pages_and_answers_about_a_person_are_never_cached_but_assets_are() {
    let app = Instance::start().await;
    let cookie =
        crate::helpers::sign_in(&app, "094085000123", crate::helpers::DEMO_PASSWORD, None).await;
    for path in ["/tai-khoan", "/ho-so-cua-toi", "/api/v1/dossiers", "/khong-co"] {
        let res = client().get(app.url(path)).header("cookie", &cookie).send().await;
        let res = res.expect("get");
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let res = client().get(app.url("/assets/app.css")).send().await.expect("css");
    assert!(res.headers()["cache-control"].to_str().expect("ascii").starts_with("public"));
}

/// Requests carrying a NUL character (`%00`, `\u0000`) in a path segment, a query parameter or
/// a form or JSON body: PostgreSQL refuses NUL in text, so without the boundary's guard these
/// were 500s there; on both backends they are 400s, before any handler runs.
#[tokio::test]
async fn a_nul_in_a_path_query_or_body_is_a_bad_request_on_every_route() {
    let app = Instance::start().await;
    let gets = [
        "/tra-cuu-ho-so?ma=a%00b",
        "/api/v1/dossiers/lookup/a%00b",
        "/thu-tuc?q=a%00b",
        "/thu-tuc/a%00b",
        "/nop-ho-so/a%00b",
        "/api/v1/procedures?q=a%00b",
        "/api/v1/procedures/a%00b",
        "/danh-muc/dan-toc?q=a%00b",
        "/danh-muc/a%00b",
        "/api/v1/catalogs/dan-toc/entries?q=a%00b",
        "/api/v1/catalogs/a%00b",
        "/dmdc/Category/a%00b",
        "/api/v1/dia-ban/a%00b/xa",
        "/lich-lam-viec?nam=a%00b",
        "/api/v1/calendar/days/a%00b",
        "/admin/audit?actor=a%00b",
        "/api/v1/audit?actor=a%00b",
        "/api/v1/audit?object_id=a%00b",
        "/admin/procedures/a%00b/sua",
        "/admin/catalogs/a%00b",
        "/api/v1/admin/jobs?status=a%00b",
        "/api/v1/workflow/instances?business_key=a%00b",
    ];
    for path in gets {
        let status = client().get(app.url(path)).by_admin().send_status().await;
        assert_eq!(status, 400, "GET {path}");
    }
    let status = client()
        .post(app.url("/dang-nhap"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("login=a%00b&password=x")
        .send_status()
        .await;
    assert_eq!(status, 400, "a form body");
    let status = client()
        .post(app.url("/api/v1/procedures"))
        .by_admin()
        .header("content-type", "application/json")
        .body(r#"{"code":"a\u0000b"}"#)
        .send_status()
        .await;
    assert_eq!(status, 400, "a JSON body");
    // The same requests without the NUL are answered by their handlers.
    let ok = client().get(app.url("/tra-cuu-ho-so?ma=ab")).send_status().await;
    assert_eq!(ok, 200);
}

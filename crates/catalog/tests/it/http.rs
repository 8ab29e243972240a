//! The catalog routes over real HTTP (axum::serve on a loopback port, called with reqwest):
//! public reads, Basic-auth-guarded writes, problem+json on bad input, LGSP conventions and
//! the admin pages.

use crate::common::{Env, PASSWORD};
use reqwest::{Client, Response, StatusCode};
use serde_json::{json, Value};

fn client() -> Client {
    Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

async fn get_json(base: &str, path: &str) -> Value {
    let res = client().get(format!("{base}{path}")).send().await.expect("get");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.json().await.expect("json")
}

/// A header of a response, when it is text.
fn header<'a>(res: &'a Response, name: &str) -> Option<&'a str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The HTML of an admin page, as the administrator sees it.
async fn admin_html(c: &Client, url: String) -> String {
    let res = c.get(url).basic_auth("admin", Some(PASSWORD)).send().await.expect("get");
    res.text().await.expect("html")
}

async fn problem(res: Response, status: u16) -> Value {
    assert_eq!(res.status().as_u16(), status);
    assert_eq!(header(&res, "content-type"), Some("application/problem+json"));
    res.json().await.expect("problem json")
}

fn codes(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["code"].as_str().expect("code").to_string())
        .collect()
}

#[tokio::test]
async fn the_api_answers_the_soc_trang_acceptance_questions() {
    let env = Env::seeded().await;
    let base = env.serve().await;
    let districts = get_json(&base, "/api/v1/catalogs/admin-units/entries?parent=94").await;
    let expected: Vec<String> = (941..=951).map(|c| c.to_string()).collect();
    assert_eq!(codes(&districts, "entries"), expected);
    assert!(districts["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .all(|e| e["status"] == "retired" && e["valid_to"] == "2025-07-01"));
    let communes = get_json(
        &base,
        "/api/v1/catalogs/admin-units/entries?ancestor=94&level=3&as_of=2025-03-01",
    )
    .await;
    assert_eq!(communes["total"], 108);
    assert!(codes(&communes, "entries")
        .iter()
        .all(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit())));
    let none =
        get_json(&base, "/api/v1/catalogs/admin-units/entries?ancestor=94&as_of=2025-08-01").await;
    assert_eq!(none["total"], 0);
    let old = get_json(&base, "/api/v1/catalogs/admin-units/entries/31498?as_of=2025-08-01").await;
    assert_eq!(old["name"], "Phường 5");
    assert_eq!(old["status"], "retired");
    assert_eq!(codes(&old, "resolved"), ["31507"]);
    let succ =
        get_json(&base, "/api/v1/catalogs/admin-units/entries/941/successors?as_of=2025-08-01")
            .await;
    assert_eq!(codes(&succ, "resolved"), ["31507", "31510", "31684"]);
    let history = get_json(&base, "/api/v1/catalogs/admin-units/entries/31507/history").await;
    assert_eq!(history["history"].as_array().map(Vec::len), Some(2));
    // LGSP conventions.
    let meta = get_json(&base, "/dmdc/Metadata/admin-units").await;
    assert_eq!(meta["success"], true);
    let fields = meta["data"]["fields"].as_array().expect("fields");
    assert!(fields.iter().any(|f| f["name"] == "level" && f["type"] == "integer"));
    let lgsp = get_json(&base, "/dmdc/Category/admin-units?parent=94&as_of=01/03/2025").await;
    assert_eq!(codes(&lgsp, "data"), expected);
    let list = get_json(&base, "/api/v1/catalogs").await;
    assert_eq!(list["catalogs"].as_array().map(Vec::len), Some(9));
}

#[tokio::test]
async fn writes_need_the_administrator_and_reads_do_not() {
    let env = Env::seeded().await;
    let base = env.serve().await;
    let c = client();
    let body = json!({"code": "000.00.40.H51", "name": "Sở Thử nghiệm", "parent": "000.00.00.H51", "data": {"kind": "department"}});
    let url = format!("{base}/api/v1/catalogs/agencies/entries");
    let anonymous = c.post(&url).json(&body).send().await.expect("post");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(anonymous.headers().contains_key("www-authenticate"));
    let wrong = c
        .post(&url)
        .basic_auth("admin", Some("sai-mat-khau"))
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    for (method, path) in [
        (reqwest::Method::PUT, "/api/v1/catalogs/agencies/entries/000.00.02.H51"),
        (reqwest::Method::POST, "/api/v1/catalogs/agencies/entries/000.00.02.H51/end"),
        (reqwest::Method::POST, "/api/v1/catalogs/agencies/import"),
        (reqwest::Method::POST, "/dmdc/Category/agencies"),
        (reqwest::Method::GET, "/admin/catalogs"),
        (reqwest::Method::GET, "/admin/catalogs/agencies/new"),
    ] {
        let res = c
            .request(method.clone(), format!("{base}{path}"))
            .json(&json!({}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    assert_eq!(env.audits("catalog.entry").await.len(), 0);

    let created = c
        .post(&url)
        .basic_auth("admin", Some(PASSWORD))
        .header("x-request-id", "req-http-1")
        .json(&body)
        .send()
        .await
        .expect("post");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        header(&created, "location"),
        Some("/api/v1/catalogs/agencies/entries/000.00.40.H51")
    );
    let e: Value = created.json().await.expect("json");
    assert_eq!(e["status"], "current");
    assert_eq!(e["path"], "000.00.00.H51/000.00.40.H51");
    let audits = env.audits("catalog.entry.create").await;
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].event.actor, "admin");
    assert_eq!(audits[0].event.request_id.as_deref(), Some("req-http-1"));

    let ended = c
        .post(format!("{base}/api/v1/catalogs/agencies/entries/000.00.40.H51/end"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!({"valid_to": "2026-01-01", "successors": ["000.00.02.H51"]}))
        .send()
        .await
        .expect("end");
    assert_eq!(ended.status(), StatusCode::OK);
    let e: Value = ended.json().await.expect("json");
    assert_eq!(e["status"], "retired");
    let after = get_json(&base, "/api/v1/catalogs/agencies/entries/000.00.40.H51").await;
    assert_eq!(codes(&after, "resolved"), ["000.00.02.H51"]);
}

#[tokio::test]
async fn bad_input_gets_problem_json_with_field_errors_and_writes_nothing() {
    let env = Env::seeded().await;
    let base = env.serve().await;
    let c = client();
    let rows = env.entry_rows().await;
    // The administrator's POST to agencies/entries or agencies/import.
    let send = |to: &'static str, body: &'static str, ct: &'static str| {
        c.post(format!("{base}/api/v1/catalogs/agencies/{to}"))
            .basic_auth("admin", Some(PASSWORD))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let post = |body, ct| send("entries", body, ct);
    let p = problem(post("{\"code\": ", "application/json").await.expect("post"), 400).await;
    assert!(p["detail"].as_str().expect("detail").contains("JSON"));
    let p = problem(post("[1, 2]", "application/json").await.expect("post"), 400).await;
    assert_eq!(p["status"], 400);
    problem(post("code=1", "application/x-www-form-urlencoded").await.expect("post"), 415).await;
    let p = problem(
        post(
            r#"{"code": "000.0A.00.H51", "name": "", "valid_from": "31/02/2026"}"#,
            "application/json",
        )
        .await
        .expect("post"),
        422,
    )
    .await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["code", "name", "valid_from", "kind"]);
    let dup =
        post(r#"{"code": "000.00.02.H51", "name": "Trùng", "kind": "other"}"#, "application/json")
            .await
            .expect("post");
    problem(dup, 409).await;

    // Lookups: each refusal with its status and, for a bad argument, the field it names.
    for (path, status, field) in [
        ("/api/v1/catalogs/admin-units/entries?as_of=hom-nay", 400, Some("as_of")),
        ("/api/v1/catalogs/admin-units/entries?page_size=5001", 400, Some("page_size")),
        ("/api/v1/catalogs/khong-co/entries", 404, None),
        ("/api/v1/catalogs/admin-units/entries/99999", 404, None),
        ("/api/v1/catalogs/admin-units/export?format=xml", 400, None),
    ] {
        let p = problem(c.get(format!("{base}{path}")).send().await.expect("get"), status).await;
        if let Some(field) = field {
            assert_eq!(p["errors"][0]["field"], field, "{path}");
        }
    }

    // An import with one bad row: 422, every bad row named, nothing written.
    let csv = "code,name,parent,kind\n\
               000.00.30.H51,Sở Du lịch,000.00.00.H51,department\n\
               000.0A.31.H51,Sở Sai Mã,000.00.00.H51,department\n";
    let import = |body, ct| send("import", body, ct);
    let p = problem(import(csv, "text/csv; charset=utf-8").await.expect("import"), 422).await;
    assert_eq!(p["errors"][0]["field"], "/2/code");
    assert!(p["errors"][0]["message"]
        .as_str()
        .expect("message")
        .starts_with("Dòng 2: mã cơ quan “000.0A.31.H51”"));
    problem(import("<x/>", "application/xml").await.expect("import"), 415).await;
    assert_eq!(env.entry_rows().await, rows);
    assert!(env.audits("catalog.").await.iter().all(|a| a.event.action == "catalog.seed"));
}

#[tokio::test]
async fn imports_and_exports_go_through_the_api_and_the_lgsp_convention() {
    let env = Env::seeded().await;
    let base = env.serve().await;
    let c = client();
    let res = c
        .get(format!("{base}/api/v1/catalogs/urgency-levels/export?format=csv"))
        .send()
        .await
        .expect("export");
    assert_eq!(header(&res, "content-type"), Some("text/csv; charset=utf-8"));
    let csv = res.text().await.expect("csv");
    assert!(csv.starts_with("code,name,parent,valid_from,valid_to,sample,stamp\n"), "{csv}");
    let report: Value = c
        .post(format!("{base}/api/v1/catalogs/urgency-levels/import"))
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import")
        .json()
        .await
        .expect("json");
    assert_eq!(report, json!({"rows": 4, "created": 0, "updated": 0, "unchanged": 4}));
    let res = c
        .post(format!("{base}/dmdc/Category/document-types"))
        .basic_auth("admin", Some(PASSWORD))
        .json(&json!([{"code": "30", "name": "Văn bản thử", "data": {"abbreviation": "VBT"}}]))
        .send()
        .await
        .expect("lgsp post");
    assert_eq!(res.status(), StatusCode::OK);
    let v: Value = res.json().await.expect("json");
    assert_eq!(v["success"], true);
    assert_eq!(v["data"]["created"], 1);
    let got = get_json(&base, "/dmdc/Category/document-types?code=30").await;
    assert_eq!(got["data"][0]["data"]["abbreviation"], "VBT");
}

#[tokio::test]
async fn the_admin_pages_list_browse_edit_and_import_in_vietnamese() {
    let env = Env::seeded().await;
    let base = env.serve().await;
    let c = client();
    let page =
        |path: &str| c.get(format!("{base}{path}")).basic_auth("admin", Some(PASSWORD)).send();
    let submit = |path: &str, form: &[(&str, &str)]| {
        c.post(format!("{base}{path}")).basic_auth("admin", Some(PASSWORD)).form(form).send()
    };
    let list = page("/admin/catalogs").await.expect("list");
    assert_eq!(list.status(), StatusCode::OK);
    let html = list.text().await.expect("html");
    assert!(html.contains("Đơn vị hành chính") && html.contains("10850"), "{html}");
    let browse =
        admin_html(&c, format!("{base}/admin/catalogs/admin-units?parent=94&as_of=01/03/2025"))
            .await;
    assert!(browse.contains("<caption>11 mục</caption>"), "{browse}");
    assert!(browse.contains("scope=\"col\"") && browse.contains("Huyện Kế Sách"));
    let agencies =
        admin_html(&c, format!("{base}/admin/catalogs/agencies?parent=000.00.00.H51")).await;
    assert!(agencies.contains("tag-sample"));
    let bad = page("/admin/catalogs/admin-units?as_of=32/13/2025").await.expect("bad date");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(bad.text().await.expect("html").contains("href=\"#as_of\""));
    let entry = admin_html(&c, format!("{base}/admin/catalogs/admin-units/entries/31498")).await;
    assert!(entry.contains("Nay thuộc về") && entry.contains("Phường Sóc Trăng"));
    assert!(entry.contains("Lịch sử ghi nhận") && entry.contains("Cho hết hiệu lực"));

    // The new-entry form: errors at the top linking to the fields, then a redirect.
    let form = [
        ("code", "000.00.AB.H51"),
        ("name", ""),
        ("parent", ""),
        ("valid_from", ""),
        ("valid_to", ""),
        ("short_name", ""),
        ("kind", "department"),
        ("admin_unit", ""),
    ];
    let res = submit("/admin/catalogs/agencies/new", &form).await.expect("post");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    let summary = html.find("error-summary").expect("summary");
    assert!(summary < html.find("<form method=\"post\"").expect("form"));
    for id in ["code", "name"] {
        assert!(html.contains(&format!("href=\"#{id}\"")), "{id}");
        assert!(html.contains(&format!("<label for=\"{id}\"")), "{id}");
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}");
    }
    let mut good = form;
    good[0] = ("code", "000.00.30.H51");
    good[1] = ("name", "Sở Thử nghiệm");
    good[2] = ("parent", "000.00.00.H51");
    let res = submit("/admin/catalogs/agencies/new", &good).await.expect("post");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(header(&res, "location"), Some("/admin/catalogs/agencies/entries/000.00.30.H51"));

    // Editing records a new version.
    let edit =
        admin_html(&c, format!("{base}/admin/catalogs/agencies/entries/000.00.30.H51/edit")).await;
    assert!(edit.contains("value=\"Sở Thử nghiệm\""));
    let res = submit(
        "/admin/catalogs/agencies/entries/000.00.30.H51/edit",
        &[
            ("name", "Sở Thử nghiệm (đổi tên)"),
            ("parent", "000.00.00.H51"),
            ("valid_from", ""),
            ("valid_to", ""),
            ("short_name", "STN"),
            ("kind", "department"),
            ("admin_unit", "94"),
            ("sample", "true"),
        ],
    )
    .await
    .expect("post");
    let status = res.status();
    assert_eq!(status, StatusCode::SEE_OTHER, "{}", res.text().await.unwrap_or_default());
    let history = env.svc.history("agencies", "000.00.30.H51").await.expect("history");
    assert_eq!(history.len(), 2);
    assert!(history[1].entry.sample);

    // Import by file upload (multipart), with a bad row.
    let boundary = "cqdt-test-boundary";
    let file = "code,name,parent,kind\n000.00.31.H51,Sở A,000.00.00.H51,department\n000.00.4.H51,Sở B,000.00.00.H51,department\n";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"co-quan.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    );
    let res = c
        .post(format!("{base}/admin/catalogs/agencies/import"))
        .basic_auth("admin", Some(PASSWORD))
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("html");
    assert!(html.contains("Dòng 2: mã cơ quan “000.00.4.H51”"), "{html}");
    assert!(html.contains("href=\"#file\"") && html.contains("id=\"file\""));

    // The public pages are read-only.
    let public =
        c.get(format!("{base}/danh-muc/agencies/000.00.30.H51")).send().await.expect("public");
    assert_eq!(public.status(), StatusCode::OK);
    let html = public.text().await.expect("html");
    assert!(html.contains("Sở Thử nghiệm (đổi tên)") && !html.contains("Cho hết hiệu lực"));
}

#[test]
fn the_openapi_description_covers_every_api_route() {
    let doc = cqdt_platform::openapi::json::<cqdt_catalog::ApiDoc>();
    let paths = &doc["paths"];
    for p in [
        "/api/v1/catalogs",
        "/api/v1/catalogs/{catalog}",
        "/api/v1/catalogs/{catalog}/entries",
        "/api/v1/catalogs/{catalog}/entries/{code}",
        "/api/v1/catalogs/{catalog}/entries/{code}/history",
        "/api/v1/catalogs/{catalog}/entries/{code}/successors",
        "/api/v1/catalogs/{catalog}/entries/{code}/end",
        "/api/v1/catalogs/{catalog}/import",
        "/api/v1/catalogs/{catalog}/export",
        "/dmdc/Metadata/{catalog}",
        "/dmdc/Category/{catalog}",
    ] {
        assert!(paths.get(p).is_some(), "{p}");
    }
    assert_eq!(
        paths["/api/v1/catalogs/{catalog}/entries"]["post"]["responses"]["422"]["$ref"],
        "#/components/responses/Problem"
    );
}

//! The procedure catalog through the real binary: the demo province's procedures on the
//! portal, search as people type, and the administrators' API with versions and atomic import.

mod common;

use common::{client, Instance, ADMIN_PASSWORD};
use serde_json::{json, Value};

const KHAI_SINH: &str = "1.001193.000.00.00.H51";

async fn get_json(app: &Instance, path: &str) -> (u16, Value) {
    let res = client()
        .get(app.url(path))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .expect("get");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn send(
    app: &Instance,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client()
        .request(method, app.url(path))
        .basic_auth("admin", Some(ADMIN_PASSWORD));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("send");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn page(app: &Instance, path: &str) -> (u16, String) {
    let res = client().get(app.url(path)).send().await.expect("page");
    (res.status().as_u16(), res.text().await.expect("text"))
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["name"].as_str().map(str::to_string))
        .collect()
}

fn draft(code: &str, name: &str) -> Value {
    json!({
        "code": format!("{code}.000.00.00.H51"), "national_code": code, "name": name,
        "field": {"code": "TN", "name": "Thử nghiệm"}, "levels": ["huyen"], "online_level": "partial",
        "processing_time": {"amount": 5, "unit": "working_days"},
        "components": [{"name": "Đơn đề nghị", "originals": 1, "required": true}],
        "form": [{"key": "ly_do", "label": "Lý do", "type": "textarea", "required": true}],
        "legal_basis": ["Luật thử nghiệm"], "result": "Văn bản trả lời", "steps": ["Nộp", "Nhận"]
    })
}

#[tokio::test]
async fn people_find_procedures_as_they_type_them() {
    let app = Instance::start().await;
    let (_, r) = get_json(&app, "/api/v1/procedures?q=giay%20phep%20xay%20dung").await;
    let first = names(&r).first().cloned().unwrap_or_default();
    assert!(first.contains("giấy phép xây dựng"), "{r}");
    let (_, r) = get_json(&app, "/api/v1/procedures?q=khai%20sinh").await;
    assert_eq!(
        names(&r).first().map(String::as_str),
        Some("Thủ tục đăng ký khai sinh"),
        "{r}"
    );
    let (_, r) = get_json(&app, "/api/v1/procedures?q=khai%20sihn").await;
    assert_eq!(
        names(&r).first().map(String::as_str),
        Some("Thủ tục đăng ký khai sinh"),
        "a typo: {r}"
    );
    let (_, r) = get_json(&app, "/api/v1/procedures?q=1.001193").await;
    assert_eq!(r["items"][0]["code"], KHAI_SINH);
    let (_, r) = get_json(&app, "/api/v1/procedures?cap=tinh&limit=200").await;
    assert!(r["items"]
        .as_array()
        .is_some_and(|a| a.iter().all(|i| i["levels"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("tinh"))))));
    let (status, html) = page(&app, "/thu-tuc?q=dang+ky+ket+hon").await;
    assert_eq!(status, 200);
    assert!(html.contains("Thủ tục đăng ký kết hôn"));
    let (status, html) = page(&app, "/dich-vu-cong").await;
    assert_eq!(status, 200);
    assert!(html.contains("Thủ tục được quan tâm") && html.contains("Hộ tịch"));
}

#[tokio::test]
async fn a_procedure_page_shows_what_to_bring_and_what_it_costs() {
    let app = Instance::start().await;
    let (status, html) = page(&app, &format!("/thu-tuc/{KHAI_SINH}")).await;
    assert_eq!(status, 200);
    for part in [
        "Thành phần hồ sơ",
        "Tờ khai đăng ký khai sinh",
        "Phí, lệ phí",
        "Căn cứ pháp lý",
        "Luật Hộ tịch",
        "Dữ liệu mẫu",
        "ngày làm việc",
    ] {
        assert!(html.contains(part), "{part} missing");
    }
    let (status, _) = page(&app, "/thu-tuc/9.999999.000.00.00.H51").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn administrators_draft_publish_edit_and_retire_with_every_version_kept() {
    let app = Instance::start().await;
    // Bad input: every error, nothing created.
    let mut bad = draft("1.77", "");
    bad["levels"] = json!([]);
    let (status, body) = send(&app, reqwest::Method::POST, "/api/v1/procedures", Some(bad)).await;
    assert_eq!(status, 422);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    for f in ["/national_code", "/name", "/levels"] {
        assert!(fields.contains(&f), "{f}: {body}");
    }
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/procedures",
        Some(draft("1.999001", "Thủ tục xác nhận thử nghiệm")),
    )
    .await;
    assert_eq!(status, 201);
    let code = "1.999001.000.00.00.H51";
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/procedures",
        Some(draft("1.999001", "Lần hai")),
    )
    .await;
    assert_eq!(status, 409, "codes are unique");
    // A draft is not on the portal.
    let (_, r) = get_json(&app, "/api/v1/procedures?q=xac%20nhan%20thu%20nghiem").await;
    assert!(names(&r).is_empty());
    assert_eq!(page(&app, &format!("/thu-tuc/{code}")).await.0, 404);
    let (status, e) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/procedures/{code}/publish"),
        None,
    )
    .await;
    assert_eq!((status, e["status"].as_str()), (200, Some("published")));
    let (_, r) = get_json(&app, "/api/v1/procedures?q=xac%20nhan%20thu%20nghiem").await;
    assert_eq!(names(&r), vec!["Thủ tục xác nhận thử nghiệm"]);
    let mut edited = draft("1.999001", "Thủ tục xác nhận thử nghiệm (sửa đổi)");
    edited["processing_time"]["amount"] = json!(3);
    let (status, e) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/procedures/{code}"),
        Some(edited),
    )
    .await;
    assert_eq!((status, e["version"].as_i64()), (200, Some(3)));
    let (status, e) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/procedures/{code}/retire"),
        None,
    )
    .await;
    assert_eq!((status, e["status"].as_str()), (200, Some("retired")));
    let (_, r) = get_json(&app, "/api/v1/procedures?q=xac%20nhan%20thu%20nghiem").await;
    assert!(
        names(&r).is_empty(),
        "retired procedures take no new dossiers"
    );
    let (status, html) = page(&app, &format!("/thu-tuc/{code}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("đã bãi bỏ"));
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &format!("/api/v1/procedures/{code}/publish"),
        None,
    )
    .await;
    assert_eq!(status, 409, "a retired procedure does not come back");
    let (_, history) = get_json(&app, &format!("/api/v1/procedures/{code}/history")).await;
    let actions: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .filter_map(|v| v["action"].as_str())
        .collect();
    assert_eq!(actions, vec!["retire", "update", "publish", "create"]);
    let audit = client()
        .get(app.url("/api/v1/audit?action=procedure."))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .await
        .expect("audit")
        .text()
        .await
        .expect("text");
    assert!(audit.contains("procedure.retire"));
    // Without credentials nothing changes.
    let res = client()
        .post(app.url(&format!("/api/v1/procedures/{code}/retire")))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn an_import_with_one_bad_item_imports_nothing_and_an_export_imports_back() {
    let app = Instance::start().await;
    let mut bad = draft("1.999003", "Thủ tục hỏng");
    bad["form"][0]["key"] = json!("Khoá Sai");
    let items = json!([draft("1.999002", "Thủ tục nhập thử nghiệm"), bad]);
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/procedures/import",
        Some(items),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "/1/form/0/key", "{body}");
    let (status, _) = get_json(&app, "/api/v1/procedures/1.999002.000.00.00.H51").await;
    assert_eq!(status, 404, "nothing was imported");
    let (status, exported) = get_json(&app, "/api/v1/procedures/export").await;
    assert_eq!(status, 200);
    let n = exported.as_array().map(Vec::len).unwrap_or(0);
    assert!(n >= 40, "{n} demo procedures");
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/v1/procedures/import",
        Some(exported),
    )
    .await;
    assert_eq!((status, body["imported"].as_u64()), (200, Some(n as u64)));
    let (_, e) = get_json(&app, &format!("/api/v1/procedures/{KHAI_SINH}")).await;
    assert_eq!(
        (e["status"].as_str(), e["version"].as_i64()),
        (Some("published"), Some(2))
    );
}

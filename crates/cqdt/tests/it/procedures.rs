//! The procedure catalog through the whole platform: the demo province's procedures on the
//! portal, search as people type, and the administrators' API with versions and atomic import.

use crate::helpers::{client, ByAdmin, Instance, SendStatus};
use crate::workflow::call as send;
use serde_json::{json, Value};

const KHAI_SINH: &str = "1.001193.000.00.00.H51";

async fn get_json(app: &Instance, path: &str) -> (u16, Value) {
    let res = client().get(app.url(path)).by_admin().send().await.expect("get");
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
    assert_eq!(names(&r).first().map(String::as_str), Some("Thủ tục đăng ký khai sinh"), "{r}");
    let (_, r) = get_json(&app, "/api/v1/procedures?q=khai%20sihn").await;
    assert_eq!(
        names(&r).first().map(String::as_str),
        Some("Thủ tục đăng ký khai sinh"),
        "a typo: {r}"
    );
    let (_, r) = get_json(&app, "/api/v1/procedures?q=1.001193").await;
    assert_eq!(r["items"][0]["code"], KHAI_SINH);
    let (_, r) = get_json(&app, "/api/v1/procedures?cap=tinh&limit=200").await;
    assert!(r["items"].as_array().is_some_and(|a| a
        .iter()
        .all(|i| i["levels"].as_array().is_some_and(|l| l.contains(&json!("tinh"))))));
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
    let (status, _) =
        send(&app, reqwest::Method::POST, "/api/v1/procedures", Some(draft("1.999001", "Lần hai")))
            .await;
    assert_eq!(status, 409, "codes are unique");
    // A draft is not on the portal.
    let (_, r) = get_json(&app, "/api/v1/procedures?q=xac%20nhan%20thu%20nghiem").await;
    assert!(names(&r).is_empty());
    assert_eq!(page(&app, &format!("/thu-tuc/{code}")).await.0, 404);
    let (status, e) =
        send(&app, reqwest::Method::POST, &format!("/api/v1/procedures/{code}/publish"), None)
            .await;
    assert_eq!((status, e["status"].as_str()), (200, Some("published")));
    let (_, r) = get_json(&app, "/api/v1/procedures?q=xac%20nhan%20thu%20nghiem").await;
    assert_eq!(names(&r), vec!["Thủ tục xác nhận thử nghiệm"]);
    let mut edited = draft("1.999001", "Thủ tục xác nhận thử nghiệm (sửa đổi)");
    edited["processing_time"]["amount"] = json!(3);
    let (status, e) =
        send(&app, reqwest::Method::PUT, &format!("/api/v1/procedures/{code}"), Some(edited)).await;
    assert_eq!((status, e["version"].as_i64()), (200, Some(3)));
    let (status, e) =
        send(&app, reqwest::Method::POST, &format!("/api/v1/procedures/{code}/retire"), None).await;
    assert_eq!((status, e["status"].as_str()), (200, Some("retired")));
    let (_, r) = get_json(&app, "/api/v1/procedures?q=xac%20nhan%20thu%20nghiem").await;
    assert!(names(&r).is_empty(), "retired procedures take no new dossiers");
    let (status, html) = page(&app, &format!("/thu-tuc/{code}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("đã bãi bỏ"));
    // Retiring can be undone: publishing a retired procedure reinstates it.
    let (status, e) =
        send(&app, reqwest::Method::POST, &format!("/api/v1/procedures/{code}/publish"), None)
            .await;
    assert_eq!((status, e["status"].as_str()), (200, Some("published")), "{e}");
    let (_, history) = get_json(&app, &format!("/api/v1/procedures/{code}/history")).await;
    let actions: Vec<&str> =
        history.as_array().expect("history").iter().filter_map(|v| v["action"].as_str()).collect();
    assert_eq!(actions, vec!["reinstate", "retire", "update", "publish", "create"]);
    let audit = crate::helpers::audit_text(&app, "procedure.").await;
    assert!(audit.contains("procedure.retire") && audit.contains("procedure.reinstate"));
    // Without credentials nothing changes.
    assert_eq!(
        client().post(app.url(&format!("/api/v1/procedures/{code}/retire"))).send_status().await,
        401
    );
}

#[tokio::test]
async fn an_import_with_one_bad_item_imports_nothing_and_an_export_imports_back() {
    let app = Instance::start().await;
    let mut bad = draft("1.999003", "Thủ tục hỏng");
    bad["form"][0]["key"] = json!("Khoá Sai");
    let items = json!([draft("1.999002", "Thủ tục nhập thử nghiệm"), bad]);
    let (status, body) =
        send(&app, reqwest::Method::POST, "/api/v1/procedures/import", Some(items)).await;
    assert_eq!(status, 422);
    assert_eq!(body["errors"][0]["field"], "/1/form/0/key", "{body}");
    let (status, _) = get_json(&app, "/api/v1/procedures/1.999002.000.00.00.H51").await;
    assert_eq!(status, 404, "nothing was imported");
    let (status, exported) = get_json(&app, "/api/v1/procedures/export").await;
    assert_eq!(status, 200);
    let n = exported.as_array().map(Vec::len).unwrap_or(0);
    assert!(n >= 40, "{n} demo procedures");
    let (status, body) =
        send(&app, reqwest::Method::POST, "/api/v1/procedures/import", Some(exported)).await;
    assert_eq!((status, body["imported"].as_u64()), (200, Some(n as u64)));
    let (_, e) = get_json(&app, &format!("/api/v1/procedures/{KHAI_SINH}")).await;
    assert_eq!((e["status"].as_str(), e["version"].as_i64()), (Some("published"), Some(2)));
}

async fn post_form(app: &Instance, path: &str, form: &[(&str, &str)]) -> (u16, String, String) {
    let res = client().post(app.url(path)).by_admin().form(form).send().await.expect("post");
    let location =
        res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (res.status().as_u16(), location, res.text().await.expect("text"))
}

async fn admin_page(app: &Instance, path: &str) -> (u16, String) {
    let res = client().get(app.url(path)).by_admin().send().await.expect("page");
    (res.status().as_u16(), res.text().await.expect("text"))
}

const EDITOR_FORM: &[(&str, &str)] = &[
    ("code", "1.999101.000.00.00.H51"),
    ("national_code", "1.999101"),
    ("name", "Thủ tục cấp giấy xác nhận soạn trên trang"),
    ("field_code", "TN"),
    ("field_name", "Thử nghiệm"),
    ("level", "huyen"),
    ("level", "xa"),
    ("online_level", "full"),
    ("time_amount", "5"),
    ("time_unit", "working_days"),
    ("legal_basis", "Luật thử nghiệm\nNghị định thử nghiệm"),
    ("result", "Giấy xác nhận"),
    ("fee_0_name", "Lệ phí"),
    ("fee_0_amount", "50.000"),
    ("fee_1_name", ""),
    ("comp_0_name", "Đơn đề nghị"),
    ("comp_0_originals", "1"),
    ("comp_0_copies", "0"),
    ("comp_0_required", "on"),
    ("comp_1_name", ""),
    ("comp_1_originals", "1"),
    ("ff_0_key", "ly_do"),
    ("ff_0_label", "Lý do"),
    ("ff_0_kind", "textarea"),
    ("ff_0_required", "on"),
    ("ff_1_key", "hinh_thuc"),
    ("ff_1_label", "Hình thức nhận"),
    ("ff_1_kind", "choice"),
    ("ff_1_options", "Tại quầy\nQua bưu chính"),
    ("ff_2_kind", "text"),
    ("luu", "1"),
];

#[tokio::test]
async fn administrators_write_a_procedure_on_the_editor_page_and_see_its_history() {
    let app = Instance::start().await;
    let code = "1.999101.000.00.00.H51";
    let (status, html) = admin_page(&app, "/admin/procedures/moi").await;
    assert_eq!(status, 200);
    assert!(html.contains("Thêm thủ tục hành chính"));

    // Bad input: every problem in the summary, linked to its input; nothing created.
    let mut bad: Vec<(&str, &str)> = EDITOR_FORM.to_vec();
    for (k, v) in bad.iter_mut() {
        match *k {
            "time_amount" => *v = "năm",
            "fee_0_amount" => *v = "50 nghìn",
            "ff_1_options" => *v = "",
            "national_code" => *v = "1.99",
            _ => {}
        }
    }
    let (status, _, html) = post_form(&app, "/admin/procedures/moi", &bad).await;
    assert_eq!(status, 422);
    for anchor in ["#time_amount", "#fee_0_amount", "#ff_1_options", "#national_code"] {
        assert!(html.contains(&format!("href=\"{anchor}\"")), "{anchor}");
    }
    assert!(html.contains("Có lỗi cần sửa"));
    assert!(
        html.contains("value=\"Thủ tục cấp giấy xác nhận soạn trên trang\""),
        "what was typed is kept"
    );
    assert_eq!(get_json(&app, &format!("/api/v1/procedures/{code}")).await.0, 404);

    // "Add a row" re-renders with one more blank row and saves nothing.
    let mut add: Vec<(&str, &str)> = EDITOR_FORM.to_vec();
    add.retain(|(k, _)| *k != "luu");
    add.push(("them", "fee"));
    let (status, _, html) = post_form(&app, "/admin/procedures/moi", &add).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"fee_3_name\""), "1 filled + 2 blank + 1 added");
    assert_eq!(get_json(&app, &format!("/api/v1/procedures/{code}")).await.0, 404);

    // A good form creates a draft with what was typed.
    let (status, location, _) = post_form(&app, "/admin/procedures/moi", EDITOR_FORM).await;
    assert_eq!(status, 303, "redirect after create");
    assert_eq!(location, format!("/admin/procedures/{code}/sua?done=created"));
    let (_, p) = get_json(&app, &format!("/api/v1/procedures/{code}")).await;
    assert_eq!(p["status"], "draft");
    assert_eq!(p["levels"], json!(["huyen", "xa"]));
    assert_eq!(p["fees"][0]["amount_vnd"], 50_000);
    assert_eq!(p["components"].as_array().map(Vec::len), Some(1));
    assert_eq!(p["form"][1]["options"], json!(["Tại quầy", "Qua bưu chính"]));
    assert_eq!(
        post_form(&app, "/admin/procedures/moi", EDITOR_FORM).await.0,
        422,
        "the same code twice is refused on the page"
    );

    // The edit page shows the stored content; saving writes version 2.
    let (status, html) = admin_page(&app, &format!("/admin/procedures/{code}/sua")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Qua bưu chính"));
    assert!(html.contains("name=\"version\" value=\"1\""));
    let mut edit: Vec<(&str, &str)> = EDITOR_FORM.to_vec();
    edit.push(("version", "1"));
    for (k, v) in edit.iter_mut() {
        match *k {
            "time_amount" => *v = "3",
            "name" => *v = "Thủ tục cấp giấy xác nhận (sửa trên trang)",
            _ => {}
        }
    }
    edit.push(("comp_1_delete", "on"));
    edit.push(("ff_0_delete", "on"));
    let path = format!("/admin/procedures/{code}/sua");
    let (status, _, _) = post_form(&app, &path, &edit).await;
    assert_eq!(status, 303);
    let (_, p) = get_json(&app, &format!("/api/v1/procedures/{code}")).await;
    assert_eq!(p["version"], 2);
    assert_eq!(p["processing_time"]["amount"], 3);
    assert_eq!(p["form"].as_array().map(Vec::len), Some(1), "the deleted row is gone");

    // A second save from the same stale page is refused: no lost update.
    let (status, _, html) = post_form(&app, &path, &edit).await;
    assert_eq!(status, 409);
    assert!(html.contains("sau khi bạn mở"), "{html}");
    assert_eq!(get_json(&app, &format!("/api/v1/procedures/{code}")).await.1["version"], 2);
    // The API honours If-Match the same way.
    assert_eq!(
        client()
            .put(app.url(&format!("/api/v1/procedures/{code}")))
            .by_admin()
            .header("if-match", "\"1\"")
            .json(&p)
            .send_status()
            .await,
        409
    );

    // The history page names what each version changed, and restores an earlier one.
    let (status, html) = admin_page(&app, &format!("/admin/procedures/{code}/lich-su")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Phiên bản 2: sửa"), "{html}");
    assert!(html.contains("5 ngày làm việc → 3 ngày làm việc"), "{html}");
    assert!(html.contains("bỏ “ly_do”"), "{html}");
    let (status, location, _) = post_form(
        &app,
        &format!("/admin/procedures/{code}/lich-su/1/khoi-phuc"),
        &[("version", "2")],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let (_, p) = get_json(&app, &format!("/api/v1/procedures/{code}")).await;
    assert_eq!(p["version"], 3);
    assert_eq!(p["processing_time"]["amount"], 5);
    assert_eq!(p["name"], "Thủ tục cấp giấy xác nhận soạn trên trang");

    // A retired procedure is shown read-only and refuses a save.
    send(&app, reqwest::Method::POST, &format!("/api/v1/procedures/{code}/retire"), None).await;
    let (_, html) = admin_page(&app, &path).await;
    assert!(html.contains("chỉ xem, không sửa được"));
    let mut stale: Vec<(&str, &str)> = EDITOR_FORM.to_vec();
    stale.push(("version", "4"));
    assert_eq!(post_form(&app, &path, &stale).await.0, 409);
    // Without credentials the editor is closed.
    assert_eq!(client().get(app.url("/admin/procedures/moi")).send_status().await, 401);
}

/// "Lý lịch tư pháp" as a "Unicode tổ hợp" keyboard types it: letters, then their marks.
const LY_LICH_NFD: &str = "Ly\u{301} li\u{323}ch tu\u{31b} pha\u{301}p";

fn codes(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["code"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn a_search_typed_in_decomposed_unicode_finds_what_the_composed_text_finds() {
    let app = Instance::start().await;
    assert_ne!(LY_LICH_NFD, "Lý lịch tư pháp", "the query really is decomposed");
    let query = |q: &str| format!("/api/v1/procedures?q={}", cqdt_platform::web::url_encode(q));
    let (_, composed) = get_json(&app, &query("Lý lịch tư pháp")).await;
    let (_, decomposed) = get_json(&app, &query(LY_LICH_NFD)).await;
    let first = names(&composed).first().cloned().unwrap_or_default();
    assert!(first.contains("lý lịch tư pháp"), "{composed}");
    assert_eq!(codes(&decomposed), codes(&composed), "{decomposed}");
    // The public page, as a browser sends the form (spaces as '+').
    let nfd_form = cqdt_platform::web::url_encode(LY_LICH_NFD).replace("%20", "+");
    let (status, html) = page(&app, &format!("/thu-tuc?q={nfd_form}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Thủ tục cấp Phiếu lý lịch tư pháp"), "{html}");
    // What is written decomposed is stored composed, and found by either spelling.
    let name = format!("Thủ tục thử nghiệm {LY_LICH_NFD} số hai");
    let (status, _) =
        send(&app, reqwest::Method::POST, "/api/v1/procedures", Some(draft("1.999077", &name)))
            .await;
    assert_eq!(status, 201);
    let code = "1.999077.000.00.00.H51";
    let (status, _) =
        send(&app, reqwest::Method::POST, &format!("/api/v1/procedures/{code}/publish"), None)
            .await;
    assert_eq!(status, 200);
    let (_, stored) = get_json(&app, &format!("/api/v1/procedures/{code}")).await;
    assert_eq!(stored["name"], "Thủ tục thử nghiệm Lý lịch tư pháp số hai", "{stored}");
    for q in ["thu nghiem ly lich tu phap so hai", LY_LICH_NFD] {
        let (_, found) = get_json(&app, &query(q)).await;
        assert!(codes(&found).contains(&code.to_string()), "{q}: {found}");
    }
}

#[tokio::test]
async fn people_find_procedures_the_way_they_say_them() {
    let app = Instance::start().await;
    let first = |r: &Value| names(r).first().cloned().unwrap_or_default();
    for (q, expected) in [
        ("gi%E1%BA%A5y%20khai%20sinh", "Thủ tục đăng ký khai sinh"),
        ("lam%20giay%20khai%20sinh%20cho%20con", "Thủ tục đăng ký khai sinh"),
        ("xin%20giay%20phep%20xay%20dung", "giấy phép xây dựng"),
        ("LLTP", "lý lịch tư pháp"),
        ("so%20do", "quyền sử dụng đất"),
    ] {
        let (_, r) = get_json(&app, &format!("/api/v1/procedures?q={q}")).await;
        assert!(first(&r).contains(expected), "{q}: {r}");
    }
    let (_, r) = get_json(&app, "/api/v1/procedures?q=lam%20giay%20khai%20sinh%20cho%20con").await;
    assert_eq!(names(&r), vec!["Thủ tục đăng ký khai sinh"], "only what was meant");
}

#[tokio::test]
async fn an_administrator_adds_an_abbreviation_and_the_search_uses_it_at_once() {
    let app = Instance::start().await;
    let c = client();
    let (_, r) = get_json(&app, "/api/v1/procedures?q=GKS").await;
    assert!(names(&r).is_empty(), "{r}");
    let post = |form: &'static [(&'static str, &'static str)], path: &'static str| {
        c.post(app.url(path)).by_admin().form(form).send()
    };
    let bad = post(&[("term", "  "), ("expansion", "")], "/admin/procedures/tu-dong-nghia")
        .await
        .expect("post");
    assert_eq!(bad.status(), 422);
    let body = bad.text().await.expect("body");
    assert!(body.contains("href=\"#term\"") && body.contains("href=\"#expansion\""), "{body}");
    let ok =
        post(&[("term", "GKS"), ("expansion", "khai sinh")], "/admin/procedures/tu-dong-nghia")
            .await
            .expect("post");
    assert_eq!(ok.status(), 303);
    let (_, r) = get_json(&app, "/api/v1/procedures?q=gks").await;
    assert_eq!(names(&r).first().map(String::as_str), Some("Thủ tục đăng ký khai sinh"), "{r}");
    let listed = c.get(app.url("/admin/procedures/tu-dong-nghia")).by_admin().send();
    let listed = listed.await.expect("page").text().await.expect("text");
    assert!(listed.contains("gks") && listed.contains("lltp"), "the built-in list is there too");
    let audit = crate::helpers::audit_text(&app, "procedure.synonym").await;
    assert!(audit.contains("procedure.synonym_set") && audit.contains("gks"), "{audit}");
    let gone = post(&[("term", "gks")], "/admin/procedures/tu-dong-nghia/xoa").await.expect("post");
    assert_eq!(gone.status(), 303);
    let (_, r) = get_json(&app, "/api/v1/procedures?q=gks").await;
    assert!(names(&r).is_empty(), "{r}");
    // A built-in term can be removed too, and stays removed.
    let gone =
        post(&[("term", "lltp")], "/admin/procedures/tu-dong-nghia/xoa").await.expect("post");
    assert_eq!(gone.status(), 303);
    let (_, r) = get_json(&app, "/api/v1/procedures?q=LLTP").await;
    assert!(names(&r).is_empty(), "{r}");
    assert_eq!(
        client()
            .post(app.url("/admin/procedures/tu-dong-nghia"))
            .form(&[("term", "x")])
            .send_status()
            .await,
        401
    );
}

#[tokio::test]
async fn retiring_a_procedure_on_the_admin_page_asks_first_and_can_be_undone() {
    let app = Instance::start().await;
    let c = client();
    let list = c.get(app.url("/admin/procedures")).by_admin().send().await.expect("list");
    let list = list.text().await.expect("text");
    let ask = format!("/admin/procedures/{KHAI_SINH}/bai-bo");
    assert!(list.contains(&format!("href=\"{ask}\"")), "retiring is a link to a question");
    let confirm = c.get(app.url(&ask)).by_admin().send().await.expect("confirm");
    assert_eq!(confirm.status(), 200);
    let confirm = confirm.text().await.expect("text");
    assert!(confirm.contains("Khôi phục áp dụng") && confirm.contains("value=\"retired\""));
    let status = format!("/admin/procedures/{KHAI_SINH}/status");
    let retired = c.post(app.url(&status)).by_admin().form(&[("status", "retired")]).send();
    assert_eq!(retired.await.expect("retire").status(), 303);
    let (_, r) = get_json(&app, "/api/v1/procedures?q=khai%20sinh").await;
    assert!(!names(&r).contains(&"Thủ tục đăng ký khai sinh".to_string()), "{r}");
    let list = c.get(app.url("/admin/procedures?done=retired")).by_admin().send().await;
    let list = list.expect("list").text().await.expect("text");
    assert!(list.contains("Khôi phục áp dụng"), "undo offered");
    let back = c.post(app.url(&status)).by_admin().form(&[("status", "published")]).send();
    assert_eq!(back.await.expect("reinstate").status(), 303);
    let (_, r) = get_json(&app, "/api/v1/procedures?q=khai%20sinh").await;
    assert_eq!(names(&r).first().map(String::as_str), Some("Thủ tục đăng ký khai sinh"));
}

//! Shared catalogs through the whole platform: API, LGSP conventions, import, history, audit, CLI.

use crate::helpers::{client, text, ByAdmin, Instance, SendJson, SendStatus};
use serde_json::{json, Value};

async fn get(app: &Instance, path: &str) -> Value {
    let res = client().get(app.url(path)).send().await.expect("get");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.expect("json")
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
async fn soc_trang_has_eleven_district_level_units_and_108_communes_with_gso_codes() {
    let app = Instance::start().await;
    let districts = get(&app, "/api/v1/catalogs/admin-units/entries?parent=94").await;
    let expected: Vec<String> = (941..=951).map(|c| c.to_string()).collect();
    assert_eq!(codes(&districts, "entries"), expected);
    let communes =
        get(&app, "/api/v1/catalogs/admin-units/entries?ancestor=94&level=3&as_of=2025-03-01")
            .await;
    assert_eq!(communes["total"], 108);
    assert!(codes(&communes, "entries")
        .iter()
        .all(|c| c.len() == 5 && c.bytes().all(|b| b.is_ascii_digit())));
    // The LGSP convention gives the same data.
    let lgsp = get(&app, "/dmdc/Category/admin-units?parent=94").await;
    assert_eq!(lgsp["success"], true);
    assert_eq!(codes(&lgsp, "data"), expected);
    let meta = get(&app, "/dmdc/Metadata/admin-units").await;
    assert!(meta["data"]["fields"].as_array().expect("fields").iter().any(|f| f["name"] == "type"));
}

#[tokio::test]
async fn lookups_as_of_a_date_follow_the_2025_reorganisation() {
    let app = Instance::start().await;
    let before = get(&app, "/api/v1/catalogs/admin-units/entries?parent=94&as_of=2025-06-30").await;
    assert_eq!(before["total"], 11);
    let after = get(&app, "/api/v1/catalogs/admin-units/entries?parent=94&as_of=2025-08-01").await;
    assert_eq!(after["total"], 0);
    let national = get(&app, "/api/v1/catalogs/admin-units/entries?level=1&as_of=2025-03-01").await;
    assert_eq!(national["total"], 63);
    let l2 = get(&app, "/api/v1/catalogs/admin-units/entries?level=2&as_of=2025-03-01&page_size=1")
        .await;
    assert_eq!(l2["total"], 696);
    let l3 = get(&app, "/api/v1/catalogs/admin-units/entries?level=3&as_of=2025-03-01&page_size=1")
        .await;
    assert_eq!(l3["total"], 10047);
    // Phường 5 of Sóc Trăng city became part of Phường Sóc Trăng (31507).
    let old = get(&app, "/api/v1/catalogs/admin-units/entries/31498").await;
    assert_eq!(old["status"], "retired");
    assert_eq!(old["valid_to"], "2025-07-01");
    assert_eq!(codes(&old, "resolved"), ["31507"]);
    assert_eq!(old["resolved"][0]["name"], "Phường Sóc Trăng");
    // The same code names another unit before the date.
    let then = get(&app, "/api/v1/catalogs/admin-units/entries/31507?as_of=2025-01-01").await;
    assert_eq!(then["name"], "Phường 6");
    let province = get(&app, "/api/v1/catalogs/admin-units/entries/94/successors").await;
    assert_eq!(codes(&province, "resolved"), ["92"]);
    // Search ignores diacritics.
    let found = get(&app, "/api/v1/catalogs/admin-units/entries?q=soc%20trang&level=1").await;
    assert_eq!(codes(&found, "entries"), ["94"]);
}

#[tokio::test]
async fn the_demo_agencies_form_a_hierarchy_under_the_provincial_committee() {
    let app = Instance::start().await;
    let root = get(&app, "/api/v1/catalogs/agencies/entries/000.00.00.H51").await;
    assert_eq!(root["name"], "Ủy ban nhân dân tỉnh Sóc Trăng");
    assert_eq!(root["sample"], false);
    let under =
        get(&app, "/api/v1/catalogs/agencies/entries?parent=000.00.00.H51&page_size=100").await;
    let n = under["total"].as_i64().expect("total");
    assert!(n >= 11 + 15, "departments and district committees: {n}");
    let level3 =
        get(&app, "/api/v1/catalogs/agencies/entries?ancestor=000.00.00.H51&level=3&page_size=500")
            .await;
    let communes: Vec<&Value> = level3["entries"]
        .as_array()
        .expect("list")
        .iter()
        .filter(|e| e["data"]["kind"] == "commune_committee")
        .collect();
    assert_eq!(communes.len(), 108);
    assert!(communes
        .iter()
        .all(|e| e["sample"] == true
            && e["data"]["admin_unit"].as_str().is_some_and(|u| u.len() == 5)));
    let none = app.cli(&["catalog", "list"]).await;
    let listing = String::from_utf8_lossy(&none.stdout).to_string();
    for c in [
        "admin-units",
        "agencies",
        "ethnic-groups",
        "religions",
        "nationalities",
        "genders",
        "marital-statuses",
        "document-types",
        "urgency-levels",
    ] {
        assert!(listing.contains(c), "{c} missing from {listing}");
    }
    let ethnic = get(&app, "/api/v1/catalogs/ethnic-groups/entries").await;
    assert_eq!(ethnic["total"], 54);
    let countries = get(&app, "/api/v1/catalogs/nationalities/entries/VN").await;
    assert_eq!(countries["name"], "Việt Nam");
}

async fn entry_count(app: &Instance, catalog: &str) -> i64 {
    get(app, &format!("/api/v1/catalogs/{catalog}/entries?page_size=1")).await["total"]
        .as_i64()
        .expect("total")
}

async fn audit_count(app: &Instance) -> usize {
    let res = client()
        .get(app.url("/api/v1/audit?action=catalog.&limit=1000"))
        .by_admin()
        .send()
        .await
        .expect("audit");
    let v: Value = res.json().await.expect("json");
    v["records"].as_array().expect("records").len()
}

#[tokio::test]
async fn an_import_with_one_malformed_agency_code_is_rejected_whole_and_changes_nothing() {
    let app = Instance::start().await;
    let before = entry_count(&app, "agencies").await;
    let audits = audit_count(&app).await;
    let csv = "code,name,parent,kind,short_name\n\
               000.00.30.H51,Sở Du lịch,000.00.00.H51,department,SDL\n\
               000.0A.31.H51,Sở Sai Mã,000.00.00.H51,department,SSM\n\
               000.00.32.H51,Ban Thiếu Loại,000.00.00.H51,,BTL\n";
    let res = client()
        .post(app.url("/api/v1/catalogs/agencies/import"))
        .by_admin()
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.expect("json");
    let messages: Vec<&str> = p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["message"].as_str())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("Dòng 2:") && m.contains("000.0A.31.H51")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.starts_with("Dòng 3:")), "{messages:?}");
    assert_eq!(entry_count(&app, "agencies").await, before);
    assert_eq!(audit_count(&app).await, audits);

    // The corrected file goes in whole, and importing it again changes nothing.
    let good = "code,name,parent,kind,short_name\n\
                000.00.30.H51,Sở Du lịch,000.00.00.H51,department,SDL\n\
                000.01.30.H51,Phòng Quản lý lữ hành,000.00.30.H51,other,\n";
    for (created, unchanged) in [(2, 0), (0, 2)] {
        let r: Value = client()
            .post(app.url("/api/v1/catalogs/agencies/import"))
            .by_admin()
            .header("content-type", "text/csv")
            .body(good)
            .send_json()
            .await;
        assert_eq!(
            (r["created"].as_i64(), r["unchanged"].as_i64()),
            (Some(created), Some(unchanged)),
            "{r}"
        );
    }
    let child = get(&app, "/api/v1/catalogs/agencies/entries/000.01.30.H51").await;
    assert_eq!(child["path"], "000.00.00.H51/000.00.30.H51/000.01.30.H51");
}

#[tokio::test]
async fn an_edit_keeps_history_and_is_audited_and_bad_input_changes_nothing() {
    let app = Instance::start().await;
    let c = client();
    let put = |body: Value| {
        c.put(app.url("/api/v1/catalogs/agencies/entries/000.00.09.H51"))
            .by_admin()
            .json(&body)
            .send()
    };
    assert_eq!(
        c.put(app.url("/api/v1/catalogs/agencies/entries/000.00.09.H51"))
            .json(&json!({}))
            .send_status()
            .await,
        401
    );
    let bad = put(json!({"name": "", "parent": "000.00.00.H51", "valid_from": "31/02/2026"}))
        .await
        .expect("put");
    assert_eq!(bad.status(), 422);
    let ok = put(json!({"name": "Sở Khoa học và Công nghệ", "parent": "000.00.00.H51", "data": {"kind": "department", "short_name": "SKHCN"}}))
        .await
        .expect("put");
    assert_eq!(ok.status(), 200, "{}", ok.text().await.unwrap_or_default());
    let history = get(&app, "/api/v1/catalogs/agencies/entries/000.00.09.H51/history").await;
    let versions = history["history"].as_array().expect("history");
    assert_eq!(versions.len(), 2);
    assert!(versions[0]["superseded_at"].is_string());
    assert_eq!(versions[1]["name"], "Sở Khoa học và Công nghệ");
    let audit: Value =
        c.get(app.url("/api/v1/audit?action=catalog.entry.update")).by_admin().send_json().await;
    assert_eq!(audit["records"][0]["object_id"], "agencies/000.00.09.H51");
    assert_eq!(
        c.post(app.url("/api/v1/catalogs/agencies/entries"))
            .by_admin()
            .json(&json!({"code": "000.00.09.H51", "name": "Trùng", "data": {"kind": "other"}}))
            .send_status()
            .await,
        409
    );
    assert_eq!(c.get(app.url("/api/v1/catalogs/khong-co/entries")).send_status().await, 404);
    assert_eq!(
        c.get(app.url("/api/v1/catalogs/admin-units/entries?as_of=hom-nay")).send_status().await,
        400
    );
}

#[tokio::test]
async fn the_cli_exports_and_refuses_a_bad_import_naming_the_row() {
    let app = Instance::start().await;
    let out = app.cli(&["catalog", "export", "urgency-levels"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        csv.starts_with("code,name,parent,valid_from,valid_to,sample") && csv.contains("Hỏa tốc"),
        "{csv}"
    );
    let file = app.db.dir.join("bad.csv");
    std::fs::write(&file, "code,name\n5,Tối khẩn\n6 7,Sai mã\n").expect("write");
    let bad = app.cli(&["catalog", "import", "urgency-levels", file.to_str().expect("path")]).await;
    assert!(!bad.status.success());
    assert!(text(&bad).contains("Dòng 2"), "{}", text(&bad));
    let out = app.cli(&["catalog", "export", "urgency-levels", "--format", "json"]).await;
    let rows: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(rows.as_array().expect("rows").len(), 4, "nothing was imported");
}

#[tokio::test]
async fn the_admin_entry_form_shows_errors_at_the_top() {
    let app = Instance::start().await;
    let res = client()
        .post(app.url("/admin/catalogs/agencies/new"))
        .by_admin()
        .form(&[
            ("code", "000.00.AB.H51"),
            ("name", ""),
            ("parent", ""),
            ("valid_from", ""),
            ("valid_to", ""),
            ("kind", "department"),
            ("short_name", ""),
            ("admin_unit", ""),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 422);
    let body = res.text().await.expect("body");
    assert!(
        body.contains("error-summary")
            && body.contains("href=\"#code\"")
            && body.contains("href=\"#name\""),
        "{body}"
    );
}

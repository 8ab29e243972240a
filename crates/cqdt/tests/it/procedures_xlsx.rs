//! The procedure catalog as an Excel workbook, through the whole platform: the seeded catalog
//! round-trips, a bad row anywhere imports nothing and is named by sheet and row (API and
//! page), and an independent library (openpyxl) reads what we write and writes what we read.

use crate::helpers;
use crate::helpers::{client, ByAdmin, Instance, SendStatus};
use cqdt_platform::xlsx::{self, Cell, Sheet, MEDIA_TYPE};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const KHAI_SINH: &str = "1.001193.000.00.00.H51";

async fn get_json(app: &Instance, path: &str) -> Value {
    let res = client().get(app.url(path)).by_admin().send().await.expect("get");
    assert_eq!(res.status(), 200, "{path}");
    res.json().await.expect("json")
}

async fn export_xlsx(app: &Instance) -> Vec<u8> {
    let res = client()
        .get(app.url("/api/v1/procedures/export?format=xlsx"))
        .by_admin()
        .send()
        .await
        .expect("export");
    assert_eq!(res.status(), 200);
    let header = |name: &str| {
        res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    };
    assert_eq!(header("content-type"), MEDIA_TYPE);
    assert!(header("content-disposition").contains(".xlsx"));
    res.bytes().await.expect("bytes").to_vec()
}

async fn import_xlsx(app: &Instance, bytes: Vec<u8>) -> (u16, Value) {
    let res = client()
        .post(app.url("/api/v1/procedures/import"))
        .by_admin()
        .header("content-type", MEDIA_TYPE)
        .body(bytes)
        .send()
        .await
        .expect("import");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The procedures of an export, without what an import changes (version, time).
fn procedures(export: &Value) -> Vec<Value> {
    export.as_array().cloned().unwrap_or_default()
}

/// An exported workbook as sheets to edit and write again.
fn editable(bytes: &[u8]) -> Vec<Sheet> {
    xlsx::read(bytes).expect("our workbook reads").to_sheets()
}

fn column(sheet: &Sheet, header: &str) -> usize {
    sheet
        .columns
        .iter()
        .position(|c| c.header == header)
        .unwrap_or_else(|| panic!("no column {header} in {}", sheet.name))
}

#[tokio::test]
async fn the_seeded_catalog_round_trips_through_xlsx_to_equal_procedures() {
    let app = Instance::start().await;
    let before = get_json(&app, "/api/v1/procedures/export").await;
    let n = procedures(&before).len();
    assert!(n >= 40, "{n} demo procedures");
    let bytes = export_xlsx(&app).await;
    let book = xlsx::read(&bytes).expect("read");
    let names: Vec<&str> = book.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["Thủ tục", "Thành phần hồ sơ", "Biểu mẫu điện tử", "Phí, lệ phí", "Hướng dẫn"]
    );
    assert_eq!(book.sheets[0].rows.len(), n + 1, "a header and one row each");
    let (status, body) = import_xlsx(&app, bytes).await;
    assert_eq!((status, body["imported"].as_u64()), (200, Some(n as u64)), "{body}");
    let after = get_json(&app, "/api/v1/procedures/export").await;
    assert_eq!(procedures(&after), procedures(&before));
    let e = get_json(&app, &format!("/api/v1/procedures/{KHAI_SINH}")).await;
    assert_eq!(
        (e["status"].as_str(), e["version"].as_i64()),
        (Some("published"), Some(2)),
        "imported as a new version, still published"
    );
    // An unknown format is refused, not silently answered in JSON.
    assert_eq!(
        client()
            .get(app.url("/api/v1/procedures/export?format=ods"))
            .by_admin()
            .send_status()
            .await,
        400
    );
}

#[tokio::test]
async fn a_workbook_with_a_bad_row_imports_nothing_and_names_the_sheet_and_row() {
    let app = Instance::start().await;
    let mut sheets = editable(&export_xlsx(&app).await);
    // A harmless change on row 2, then a bad e-form key on row 6 and a level nobody has.
    let name = column(&sheets[0], "Tên thủ tục");
    sheets[0].rows[0][name] = Cell::from("Tên đã sửa nhưng không được nhập");
    let key = column(&sheets[2], "Khoá trường");
    sheets[2].rows[4][key] = Cell::from("Khoá Sai");
    let levels = column(&sheets[0], "Cấp thực hiện");
    sheets[0].rows[9][levels] = Cell::from("Cấp thôn");
    let bytes = xlsx::write(&sheets).expect("write");

    let (status, body) = import_xlsx(&app, bytes.clone()).await;
    assert_eq!(status, 422, "{body}");
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    let fields: Vec<&str> = errors.iter().filter_map(|e| e["field"].as_str()).collect();
    assert_eq!(fields, vec!["'Thủ tục'!G11", "'Biểu mẫu điện tử'!B6"], "{body}");
    let message = errors[1]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("Trang “Biểu mẫu điện tử”, dòng 6, cột “Khoá trường”: Khoá trường"),
        "{message}"
    );
    let first = procedures(&get_json(&app, "/api/v1/procedures/export").await)[0].clone();
    assert_ne!(first["name"], "Tên đã sửa nhưng không được nhập", "nothing imported");

    // The administrators' page says the same, in Vietnamese, and imports nothing either.
    let form = Form::new().text("publish", "false").part(
        "file",
        Part::bytes(bytes).file_name("thu-tuc.xlsx").mime_str(MEDIA_TYPE).expect("mime"),
    );
    let res = import_page(&app, form).await;
    assert_eq!(res.status(), 422);
    let page = res.text().await.expect("page");
    assert!(page.contains("Trang “Biểu mẫu điện tử”, dòng 6, cột “Khoá trường”"), "{page}");
    assert!(page.contains("Trang “Thủ tục”, dòng 11, cột “Cấp thực hiện”"), "{page}");
    assert!(page.contains("href=\"#file\""), "the summary links to the upload field");

    // A file that is no workbook is refused with a clear message.
    let form = Form::new().part("file", Part::bytes(b"PK\x03\x04 garbage".to_vec()));
    let res = import_page(&app, form).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("không phải bảng tính .xlsx"));
}

/// Uploads a workbook on the administrators' import page.
async fn import_page(app: &Instance, form: Form) -> reqwest::Response {
    let req = client().post(app.url("/admin/procedures/import")).by_admin().multipart(form);
    req.send().await.expect("page")
}

/// Whether python3 with openpyxl is here; without it the check is skipped, saying so, unless
/// CQDT_REQUIRE_OPENPYXL is set (as in CI).
fn openpyxl() -> bool {
    cqdt_testing::prerequisite(
        cqdt_testing::python_modules(&["openpyxl"]),
        "reading the workbook back with openpyxl",
        "python3 with openpyxl is missing (python3 -m pip install openpyxl)",
        "CQDT_REQUIRE_OPENPYXL",
    )
}

fn python(script: &str, args: &[&str]) -> String {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3");
    let text = helpers::text(&out);
    assert!(out.status.success(), "{text}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

const READ_WITH_OPENPYXL: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1])
ws = wb["Thủ tục"]
headers = [c.value for c in ws[1]]
row = next(r for r in ws.iter_rows(min_row=2, values_only=True) if r[0] == sys.argv[2])
form = wb["Biểu mẫu điện tử"]
print(json.dumps({
    "sheets": wb.sheetnames,
    "a1": ws["A1"].value,
    "bold": ws["A1"].font.b,
    "frozen": ws.freeze_panes,
    "name": row[headers.index("Tên thủ tục")],
    "days": row[headers.index("Thời hạn giải quyết")],
    "levels": row[headers.index("Cấp thực hiện")],
    "form_key": form["B2"].value,
    "validations": len(ws.data_validations.dataValidation),
}, ensure_ascii=False))
"#;

/// A path of this name in a fresh temporary directory, which lives as long as the guard.
fn temp_file(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    (dir, path)
}

#[tokio::test]
async fn openpyxl_opens_an_exported_workbook_and_reads_its_cells() {
    if !openpyxl() {
        return;
    }
    let app = Instance::start().await;
    let (_dir, path) = temp_file("thu-tuc.xlsx");
    std::fs::write(&path, export_xlsx(&app).await).expect("write");
    let out = python(READ_WITH_OPENPYXL, &[path.to_str().expect("path"), KHAI_SINH]);
    let v: Value = serde_json::from_str(out.trim()).expect("openpyxl output");
    assert_eq!(v["sheets"][0], "Thủ tục");
    assert_eq!(v["sheets"][2], "Biểu mẫu điện tử");
    assert_eq!(v["a1"], "Mã thủ tục");
    assert_eq!(v["bold"], true);
    assert_eq!(v["frozen"], "A2");
    assert_eq!(v["name"], "Thủ tục đăng ký khai sinh");
    assert_eq!(v["days"], 1, "a number, not text: {v}");
    assert_eq!(v["levels"], "Cấp xã");
    assert!(v["form_key"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(v["validations"].as_u64().unwrap_or(0) >= 4, "{v}");
}

/// A workbook as someone might make it from scratch in openpyxl: shared strings, booleans,
/// integers, a line break in a cell, columns in another order, a missing optional column.
const WRITE_WITH_OPENPYXL: &str = r#"
import sys, openpyxl
wb = openpyxl.Workbook()
ws = wb.active
ws.title = "Thủ tục"
ws.append(["Tên thủ tục", "Mã thủ tục", "Mã thủ tục quốc gia", "Mã lĩnh vực", "Tên lĩnh vực",
           "Cấp thực hiện", "Mức độ trực tuyến", "Thời hạn giải quyết", "Đơn vị thời hạn",
           "Căn cứ pháp lý", "Thủ tục phổ biến", "Kết quả thực hiện"])
ws.append(["Cấp giấy phép thử nghiệm & kiểm tra <đặc biệt>", "1.999101.000.00.00.H51", "1.999101",
           "TN", "Thử nghiệm", "Cấp huyện, Cấp xã", "Một phần", 7, "Ngày làm việc",
           "Luật A\nNghị định B", True, "Giấy phép"])
c = wb.create_sheet("Thành phần hồ sơ")
c.append(["Mã thủ tục", "Tên giấy tờ", "Số bản chính", "Số bản sao", "Bắt buộc"])
c.append(["1.999101.000.00.00.H51", "Đơn đề nghị", 1, 0, True])
c.append(["1.999101.000.00.00.H51", "Bản sao giấy tờ tùy thân", None, 1, False])
f = wb.create_sheet("Biểu mẫu điện tử")
f.append(["Mã thủ tục", "Khoá trường", "Nhãn", "Kiểu dữ liệu", "Bắt buộc", "Các lựa chọn", "Giá trị nhỏ nhất"])
f.append(["1.999101.000.00.00.H51", "muc_dich", "Mục đích", "Lựa chọn", True, "Học tập\nLàm việc", None])
f.append(["1.999101.000.00.00.H51", "so_nguoi", "Số người", "Số", False, None, 1.5])
p = wb.create_sheet("Phí, lệ phí")
p.append(["Mã thủ tục", "Tên phí, lệ phí", "Mức thu (đồng)"])
p.append(["1.999101.000.00.00.H51", "Lệ phí cấp phép", 150000])
wb.save(sys.argv[1])
"#;

#[tokio::test]
async fn a_workbook_written_by_openpyxl_is_read_and_imported() {
    if !openpyxl() {
        return;
    }
    let app = Instance::start().await;
    let (_dir, path) = temp_file("moi.xlsx");
    python(WRITE_WITH_OPENPYXL, &[path.to_str().expect("path")]);
    let bytes = std::fs::read(&path).expect("read");
    let (status, body) = import_xlsx(&app, bytes).await;
    assert_eq!((status, body["imported"].as_u64()), (200, Some(1)), "{body}");
    let e = get_json(&app, "/api/v1/procedures/1.999101.000.00.00.H51").await;
    assert_eq!(e["status"], "draft");
    assert_eq!(e["name"], "Cấp giấy phép thử nghiệm & kiểm tra <đặc biệt>");
    assert_eq!(e["levels"], serde_json::json!(["huyen", "xa"]));
    assert_eq!(e["online_level"], "partial");
    assert_eq!(e["processing_time"]["amount"], 7);
    assert_eq!(e["legal_basis"], serde_json::json!(["Luật A", "Nghị định B"]));
    assert_eq!(e["popular"], true);
    assert_eq!(e["components"][0]["required"], true);
    assert_eq!(e["components"][1]["originals"], 0);
    assert_eq!(e["components"][1]["copies"], 1);
    assert_eq!(e["form"][0]["options"], serde_json::json!(["Học tập", "Làm việc"]));
    assert_eq!(e["form"][1]["type"], "number");
    assert_eq!(e["form"][1]["min"], 1.5);
    assert_eq!(e["fees"][0]["amount_vnd"], 150000);
    assert_eq!(e["fees"][0]["fee_verified"], true);
}

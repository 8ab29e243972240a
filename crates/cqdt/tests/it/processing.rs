//! A dossier processed through its procedure's BPMN process across two agencies (liên
//! thông): the department's counter hands it to processing, a department official, a
//! commune official (in parallel with the department's clerk) and the department's leader
//! each do their task from their own work list, the control slip Mẫu 05 records every
//! hand-over, and only then can the result be issued; the citizen downloads it and rates.

use crate::helpers;
use crate::helpers::{
    client, file_lltp, first_option, get_as, get_page as get, location, post_multipart,
    post_page as post, rate, sign_in, Instance, SendStatus, DEMO_PASSWORD, DEMO_TOTP,
};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const CITIZEN: &str = "094085000123";
const LLTP: &str = "2.000488.000.00.00.H51";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Asks the applicant's pardon for a late dossier, with a reason and a new date.
async fn apologise(
    app: &Instance,
    cookie: &str,
    dossier: &str,
    reason: &str,
    new_due: &str,
) -> (u16, String) {
    post(app, cookie, &format!("{dossier}/xin-loi"), &[("reason", reason), ("new_due", new_due)])
        .await
}

/// The result, a PDF, to be returned online.
fn online_result() -> Form {
    let pdf = Part::bytes(PDF.to_vec()).file_name("phieu-lltp.pdf");
    Form::new().part("file_0", pdf.mime_str("application/pdf").expect("mime")).text("online", "on")
}

/// The id of the one task the page offers this official to complete.
fn my_task(page: &str, code: &str) -> String {
    let marker = format!("/mot-cua/ho-so/{code}/cong-viec/");
    page.split(&marker)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no task of mine on the page"))
        .to_string()
}

/// An LLTP dossier filed by the citizen and received at the department's counter: the
/// citizen's, the counter's and the department official's sessions, and the dossier's code.
async fn received_lltp(app: &Instance) -> (String, String, String, String) {
    let citizen = sign_in(app, CITIZEN, DEMO_PASSWORD, None).await;
    let counter = sign_in(app, "tiepnhan.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let department = sign_in(app, "xuly.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let code = file_lltp(app, &citizen).await;
    let received = post(app, &counter, &format!("/mot-cua/ho-so/{code}/tiep-nhan"), &[]).await;
    assert_eq!(received.0, 303);
    (citizen, counter, department, code)
}

#[tokio::test]
async fn a_dossier_runs_through_its_process_across_two_agencies_to_a_result() {
    let app = Instance::start().await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let official = |login: &'static str| sign_in(&app, login, DEMO_PASSWORD, Some(DEMO_TOTP));
    let counter = official("tiepnhan.stp").await;
    let department = official("xuly.stp").await;
    let clerk = official("vanthu.stp").await;
    let commune = official("tuphap.p5").await;
    let commune_counter = official("tiepnhan.p5").await;
    let leader = official("lanhdao.stp").await;
    let code = file_lltp(&app, &citizen).await;
    let dossier = format!("/mot-cua/ho-so/{code}");

    // Reception, then hand-over to processing starts the procedure's process.
    assert_eq!(post(&app, &counter, &format!("{dossier}/tiep-nhan"), &[]).await.0, 303);
    assert_eq!(post(&app, &counter, &format!("{dossier}/chuyen-xu-ly"), &[]).await.0, 303);
    assert_eq!(get(&app, &commune, &dossier).await.0, 404, "the commune has no part in it yet");

    // The department's official finds the task in their work list and completes it.
    let (_, work) = get(&app, &department, "/mot-cua?tinh-trang=viec").await;
    assert!(work.contains(&code) && work.contains("Thẩm định hồ sơ"), "{work}");
    let (_, page) = get(&app, &department, &dossier).await;
    assert!(page.contains("Quy trình đang chạy"));
    // No result while the process runs.
    let form = online_result();
    let res = post_multipart(&app, &department, &format!("{dossier}/ket-qua"), form).await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.expect("page").contains("Quy trình xử lý chưa xong"));
    let task = my_task(&page, &code);
    assert_eq!(
        post(&app, &commune, &format!("{dossier}/cong-viec/{task}"), &[]).await.0,
        404,
        "another agency's official cannot do it"
    );
    assert!(
        page.contains("<svg") && page.contains("Sơ đồ quy trình"),
        "the process is drawn on the dossier page"
    );
    let (s, _) =
        post(&app, &department, &format!("{dossier}/cong-viec/{task}"), &[("decision", "tra_lai")])
            .await;
    assert_eq!(s, 409, "this step has no way back in the diagram");
    let (s, _) = post(
        &app,
        &department,
        &format!("{dossier}/cong-viec/{task}"),
        &[("note", "Hồ sơ hợp lệ; đề nghị xác minh nơi cư trú.")],
    )
    .await;
    assert_eq!(s, 303);
    let (s, _) = post(&app, &department, &format!("{dossier}/cong-viec/{task}"), &[]).await;
    assert_eq!(s, 409, "a task is done once");

    // In parallel: the commune verifies residence (another agency), the clerk searches.
    let (_, work) = get(&app, &commune, "/mot-cua?tinh-trang=viec").await;
    assert!(work.contains(&code) && work.contains("Xác minh nơi cư trú"), "{work}");
    assert!(work.contains("Ủy ban nhân dân Phường 5"));
    let (s, page) = get(&app, &commune, &dossier).await;
    assert_eq!(s, 200, "the commune now sees the dossier it works on");
    assert!(!page.contains("/tiep-nhan\""), "but cannot act as the department");
    let task = my_task(&page, &code);
    assert_eq!(
        post(
            &app,
            &commune,
            &format!("{dossier}/cong-viec/{task}"),
            &[("note", "Có cư trú tại địa phương.")]
        )
        .await
        .0,
        303
    );
    assert_eq!(
        get(&app, &commune_counter, &dossier).await.0,
        404,
        "the commune's counter has no task in it"
    );
    let (_, page) = get(&app, &clerk, &dossier).await;
    let task = my_task(&page, &code);
    assert_eq!(post(&app, &clerk, &format!("{dossier}/cong-viec/{task}"), &[]).await.0, 303);

    // The leader first sends it back: the process loops to the appraisal, and the
    // parallel checks run again.
    let (_, work) = get(&app, &leader, "/mot-cua?tinh-trang=viec").await;
    assert!(work.contains("Phê duyệt, ký phiếu"));
    let (_, page) = get(&app, &leader, &dossier).await;
    assert!(page.contains("Không đồng ý, trả lại"));
    let task = my_task(&page, &code);
    let (s, _) = post(
        &app,
        &leader,
        &format!("{dossier}/cong-viec/{task}"),
        &[("decision", "tra_lai"), ("note", "Bổ sung kết quả tra cứu năm 2010.")],
    )
    .await;
    assert_eq!(s, 303);
    for who in [&department, &commune, &clerk] {
        let (_, page) = get(&app, who, &dossier).await;
        let task = my_task(&page, &code);
        let (s, _) = post(&app, who, &format!("{dossier}/cong-viec/{task}"), &[]).await;
        assert_eq!(s, 303);
    }

    // Then approves; the process ends.
    let (_, page) = get(&app, &leader, &dossier).await;
    let task = my_task(&page, &code);
    assert_eq!(post(&app, &leader, &format!("{dossier}/cong-viec/{task}"), &[]).await.0, 303);
    let (_, page) = get(&app, &department, &dossier).await;
    assert!(page.contains("Quy trình đã hoàn thành; có thể ban hành kết quả"), "{page}");
    // The history gives every step's opinion with who and when, both rounds of the loop,
    // officials named by their full name.
    let history = page.split("Quá trình xử lý</h2>").nth(1).unwrap_or_default();
    for line in [
        "Hoàn thành “Thẩm định hồ sơ”</strong> – ",
        " – Nguyễn Văn Bình: Ý kiến: Hồ sơ hợp lệ; đề nghị xác minh nơi cư trú.",
        "Ý kiến: Có cư trú tại địa phương.",
        " – Thạch Văn Sơn: Ý kiến: Bổ sung kết quả tra cứu năm 2010.",
    ] {
        assert!(history.contains(line), "{line} in {history}");
    }
    assert_eq!(history.matches("Hoàn thành “Thẩm định hồ sơ”").count(), 2, "both rounds");
    assert!(!history.contains("tiepnhan.stp"), "no login names: {history}");
    let first = history.find("Hồ sơ hợp lệ; đề nghị").expect("first opinion");
    let sent_back = history.find("Bổ sung kết quả tra cứu năm 2010").expect("leader's");
    assert!(first < sent_back, "in the order they happened");

    // Each attachment opens in the browser's viewer, or downloads; only for those who see
    // the dossier.
    let href = page
        .split(&format!("href=\"{dossier}/tep/"))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("a link to an attachment")
        .to_string();
    let file = format!("{dossier}/tep/{href}");
    let res = get_as(&app, &department, &file).await;
    assert_eq!(res.status(), 200);
    let header = |res: &reqwest::Response, name: &str| {
        res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
    };
    assert_eq!(header(&res, "content-type"), "application/pdf");
    assert!(header(&res, "content-disposition").starts_with("inline;"));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert!(res.bytes().await.expect("bytes").starts_with(b"%PDF-"));
    let res = get_as(&app, &department, &format!("{file}?tai-ve=1")).await;
    assert!(header(&res, "content-disposition").starts_with("attachment;"));
    assert_eq!(get_as(&app, &commune_counter, &file).await.status(), 404);
    let other = format!("{dossier}/tep/{}", "0".repeat(64));
    assert_eq!(get_as(&app, &department, &other).await.status(), 404);

    // The control slip records each hand-over, in both agencies.
    let (s, slip) = get(&app, &department, &format!("{dossier}/phieu/05")).await;
    assert_eq!(s, 200);
    assert!(slip.contains("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"));
    for step in [
        "Thẩm định hồ sơ",
        "Xác minh nơi cư trú",
        "Tra cứu cơ sở dữ liệu lý lịch tư pháp",
        "Phê duyệt, ký phiếu",
    ] {
        assert!(slip.contains(step), "{step}");
    }
    assert!(slip.contains("Ủy ban nhân dân Phường 5") && slip.contains("Sở Tư pháp"));
    assert!(slip.contains("Nguyễn Văn Bình, ") && !slip.contains("xuly.stp"), "full names");
    assert!(slip.contains(": Bổ sung kết quả tra cứu năm 2010."), "with the opinions: {slip}");
    assert_eq!(slip.matches("Trước hạn").count(), 8, "all eight steps done early: {slip}");

    // Now the result can be issued, online; the citizen downloads it and rates.
    let form = online_result().text("note", "Phiếu lý lịch tư pháp số 1");
    assert_eq!(
        client()
            .post(app.url(&format!("{dossier}/ket-qua")))
            .header("cookie", &department)
            .multipart(form)
            .send_status()
            .await,
        303
    );
    // The dossier page links the result issued and no longer offers to issue one.
    let (_, page) = get(&app, &department, &dossier).await;
    assert!(page.contains("Kết quả đã ban hành") && page.contains("phieu-lltp.pdf"), "{page}");
    assert!(page.contains("Phiếu lý lịch tư pháp số 1"));
    assert!(!page.contains("có thể ban hành kết quả"), "a stale message: {page}");
    let results = page.split("Kết quả đã ban hành</h2>").nth(1).unwrap_or_default();
    let link = results.split("href=\"").nth(1).and_then(|s| s.split('"').next()).expect("link");
    let res = get_as(&app, &department, link).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), PDF);
    let res = get_as(&app, &citizen, &format!("/api/v1/dossiers/{code}/results/1")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), PDF);
    assert_eq!(rate(&app, &citizen, &code, 5).await, 201);
}

#[tokio::test]
async fn a_late_notice_is_printed_as_mau_04_and_the_statistics_count_it() {
    let app = Instance::start().await;
    let (citizen, _, department, code) = received_lltp(&app).await;
    let dossier = format!("/mot-cua/ho-so/{code}");
    let (_, page) = get(&app, &department, &dossier).await;
    assert!(page.contains("Xin lỗi, hẹn lại ngày trả kết quả"));
    // A new date before the appointment is refused with the reason on the page.
    let (s, page) = apologise(&app, &department, &dossier, "Chờ xác minh", "01/01/2020").await;
    assert_eq!(s, 422);
    assert!(page.contains("href=\"#new_due\""));
    let (s, _) = apologise(&app, &department, &dossier, "Chờ xác minh", "not a date").await;
    assert_eq!(s, 422);
    let later = (chrono::Utc::now() + chrono::Duration::days(60)).format("%d/%m/%Y").to_string();
    let (s, _) =
        apologise(&app, &department, &dossier, "Chờ kết quả xác minh của Công an tỉnh", &later)
            .await;
    assert_eq!(s, 303);
    let (s, slip) = get(&app, &department, &format!("{dossier}/phieu/04")).await;
    assert_eq!(s, 200);
    assert!(slip.contains("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"));
    assert!(slip.contains("Chờ kết quả xác minh của Công an tỉnh"));
    assert!(slip.contains(&later));
    // The applicant's timeline carries the apology.
    let (_, mine) = get(&app, &citizen, &format!("/ho-so-cua-toi/{code}")).await;
    assert!(mine.contains(&later), "the new date reaches the applicant");

    // Statistics: the department sees its dossier, with the apology; the public summary
    // counts it with no personal data; another agency's official does not see it.
    let (s, stats) = get(&app, &department, "/mot-cua/thong-ke?theo=thu-tuc").await;
    assert_eq!(s, 200);
    assert!(stats.contains("Thủ tục cấp Phiếu lý lịch tư pháp"), "{stats}");
    let (s, public) = get(&app, "", "/thong-ke-ho-so?theo=co-quan").await;
    assert_eq!(s, 200);
    assert!(public.contains("Sở Tư pháp") && !public.contains("Nguyễn Văn An"));
    let commune = sign_in(&app, "tuphap.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let (_, theirs) = get(&app, &commune, "/mot-cua/thong-ke?theo=thu-tuc").await;
    assert!(!theirs.contains("Thủ tục cấp Phiếu lý lịch tư pháp"));
    let res = get_as(&app, &department, "/mot-cua/thong-ke?theo=co-quan&dinh-dang=xlsx").await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.expect("bytes");
    let book = cqdt_platform::xlsx::read(&bytes).expect("a workbook we can read back");
    let sheet = book.sheet("Thống kê").expect("sheet");
    assert!(sheet.rows.iter().any(|r| r.get(0) == "Tổng cộng"));

    // The ledger (Mẫu 06): the department's dossiers with both dates; Excel the same.
    let (s, ledger) = get(&app, &department, "/mot-cua/so-theo-doi").await;
    assert_eq!(s, 200);
    assert!(ledger.contains(&code) && ledger.contains("hẹn lại"), "{ledger}");
    let (_, theirs) = get(&app, &commune, "/mot-cua/so-theo-doi").await;
    assert!(!theirs.contains(&code), "another agency's ledger does not list it");
    let res =
        get_as(&app, &department, &format!("/mot-cua/so-theo-doi?thu-tuc={LLTP}&dinh-dang=xlsx"))
            .await;
    let bytes = res.bytes().await.expect("bytes");
    let book = cqdt_platform::xlsx::read(&bytes).expect("workbook");
    let sheet = book.sheet("Sổ theo dõi hồ sơ").expect("sheet");
    assert_eq!(sheet.rows[0].get(1), "Mã hồ sơ");
    assert!(sheet.rows.iter().any(|r| r.get(1) == code));
}

#[tokio::test]
async fn a_walk_in_dossier_is_entered_at_the_counter_and_received_at_once() {
    let app = Instance::start().await;
    let counter = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let khai_sinh = "1.001193.000.00.00.H51";
    let (s, list) = get(&app, &counter, "/mot-cua/tiep-nhan-truc-tiep").await;
    assert_eq!(s, 200);
    assert!(list.contains("Thủ tục đăng ký khai sinh"));
    let (s, page) = get(&app, &counter, &format!("/mot-cua/tiep-nhan-truc-tiep/{khai_sinh}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("id=\"applicant_personal_id\""));
    let form = |pid: &str| {
        let mut f = Form::new();
        for (k, v) in [
            ("applicant_name", "Trần Thị Mai"),
            ("applicant_personal_id", pid),
            ("applicant_phone", "0912 345 678"),
            ("f_child_full_name", "Trần Gia Huy"),
            ("f_child_date_of_birth", "01/11/2026"),
            ("f_place_of_birth", "Số 378 Lê Duẩn"),
            ("f_place_of_birth__xa", "Phường Sóc Trăng"),
            ("f_hometown", "94"),
            ("f_mother_full_name", "Trần Thị Mai"),
            ("f_requester_phone", "0912345678"),
        ] {
            f = f.text(k, v.to_string());
        }
        for id in ["f_child_gender", "f_child_ethnicity", "f_child_nationality"] {
            f = f.text(id, first_option(&page, id));
        }
        for i in 0..2 {
            f = f.part(
                format!("file_{i}"),
                Part::bytes(PDF.to_vec())
                    .file_name(format!("ban-quet-{i}.pdf"))
                    .mime_str("application/pdf")
                    .expect("mime"),
            );
        }
        f
    };
    let post = |f: Form, cookie: String| {
        client()
            .post(app.url(&format!("/mot-cua/tiep-nhan-truc-tiep/{khai_sinh}")))
            .header("cookie", cookie)
            .multipart(f)
            .send()
    };
    let (_, before) = get(&app, &counter, "/mot-cua?tinh-trang=received").await;
    // A bad personal ID: the page again with the error, nothing created.
    let res = post(form("12345"), counter.clone()).await.expect("post");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("href=\"#applicant_personal_id\""));
    let (_, after) = get(&app, &counter, "/mot-cua?tinh-trang=received").await;
    assert_eq!(before.matches("<tr>").count(), after.matches("<tr>").count());
    // Another role may not enter dossiers at the counter.
    let processing = sign_in(&app, "tuphap.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    assert_eq!(post(form("094192004567"), processing.clone()).await.expect("post").status(), 403);
    // A good one is received at once and goes to its receipt.
    let res = post(form("094192004567"), counter.clone()).await.expect("post");
    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.ends_with("/phieu/01"), "{to}");
    let (s, slip) = get(&app, &counter, &to).await;
    assert_eq!(s, 200);
    assert!(slip.contains("Trần Thị Mai") && slip.contains("GIẤY TIẾP NHẬN HỒ SƠ"));
    let code = to.trim_start_matches("/mot-cua/ho-so/").trim_end_matches("/phieu/01").to_string();
    let (_, v) = get(&app, &counter, &format!("/api/v1/office/dossiers/{code}")).await;
    let v: Value = serde_json::from_str(&v).expect("json");
    assert_eq!(v["status"], "received");
    assert_eq!(v["files"].as_array().map(Vec::len), Some(2), "the scans are kept");
    // Anyone with the code can follow it on the portal.
    let (s, lookup) = get(&app, "", &format!("/tra-cuu-ho-so?ma={code}")).await;
    assert_eq!(s, 200);
    assert!(lookup.contains("Đã tiếp nhận"));
    // Typed in small letters with spaces around, it is still found, with its due date.
    let typed = format!("/tra-cuu-ho-so?ma=%20{}%20", code.to_lowercase());
    let (s, lookup) = get(&app, "", &typed).await;
    assert_eq!(s, 200);
    assert!(lookup.contains("Đã tiếp nhận") && lookup.contains(&code), "{lookup}");
    assert!(lookup.contains("Ngày hẹn trả kết quả"), "the due date is shown");

    // The result document is generated from the procedure's template: the reception
    // officer may not, the commune's processing officer may.
    let page_path = format!("/mot-cua/ho-so/{code}/ket-qua/tao");
    assert_eq!(get(&app, &counter, &page_path).await.0, 403);
    let official = processing;
    let (s, page) = get(&app, &official, &page_path).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("Trần Gia Huy") && page.contains(&code),
        "the body is filled from the e-form: {page}"
    );
    // Defaults that fit a commune: its chairman signs; the applicant and the archive receive.
    assert!(page.contains(">CHỦ TỊCH</textarea>"), "{page}");
    assert!(page.contains("- Ông/bà Trần Thị Mai;\n- Lưu: VT.</textarea>"), "{page}");
    assert!(page.contains("value=\"GIẤY KHAI SINH\""), "the title is the result: {page}");
    assert!(!page.contains("0912000123"), "not the contact phone in the result's body");
    let draft = |title: &str, action: &str| {
        vec![
            ("number".to_string(), "15/GKS-UBND".to_string()),
            ("title".to_string(), title.to_string()),
            (
                "body".to_string(),
                "Ủy ban nhân dân Phường 5 xác nhận đã đăng ký khai sinh cho cháu Trần Gia Huy.\r\nNgười đi đăng ký:\tTrần Thị Mai.".to_string(),
            ),
            ("signer_title".to_string(), "KT. CHỦ TỊCH\r\nPHÓ CHỦ TỊCH".to_string()),
            ("signer_name".to_string(), "Lâm Văn Đức".to_string()),
            ("recipients".to_string(), "- Bà Trần Thị Mai;\r\n- Lưu: VT.".to_string()),
            ("action".to_string(), action.to_string()),
        ]
    };
    let send = |fields: Vec<(String, String)>| {
        client().post(app.url(&page_path)).header("cookie", &official).form(&fields).send()
    };
    // No title: the form again, the error linked to its input, nothing issued.
    let res = send(draft(" ", "ban-hanh")).await.expect("post");
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("href=\"#title\""));
    let (_, v) = get(&app, &official, &format!("/api/v1/office/dossiers/{code}")).await;
    let v: Value = serde_json::from_str(&v).expect("json");
    assert_eq!(v["status"], "received");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(0));
    // The preview is a PDF whose text reads back in Vietnamese (the pasted tab is a space).
    let res = send(draft("GIẤY XÁC NHẬN ĐĂNG KÝ KHAI SINH", "xem-truoc")).await.expect("preview");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let pdf = res.bytes().await.expect("bytes").to_vec();
    assert!(pdf.starts_with(b"%PDF-1.7"));
    if let Some(text) = helpers::pdf_text(&pdf) {
        for words in [
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "GIẤY XÁC NHẬN ĐĂNG KÝ KHAI SINH",
            "Số: 15/GKS-UBND",
            "Trần Gia Huy",
            "Lâm Văn Đức",
            "Người đi đăng ký: Trần Thị Mai",
            "Nơi nhận:",
            "- Lưu: VT.",
            "Sóc Trăng, ngày",
            "chưa có chữ ký số",
            &code,
        ] {
            assert!(text.contains(words), "{words} in {text}");
        }
    }
    // The same through the API (the page's own issuing is in the browser journey): the
    // draft, a refusal as problem+json, then issued, kept as the result at the counter.
    let api = format!("/api/v1/office/dossiers/{code}/result");
    let (s, v) = get(&app, &official, &format!("{api}/draft")).await;
    assert_eq!(s, 200);
    let v: Value = serde_json::from_str(&v).expect("draft");
    assert!(v["body"].as_str().is_some_and(|b| b.contains("Trần Gia Huy")));
    let generate = |body: Value| {
        client()
            .post(app.url(&format!("{api}/generated")))
            .header("cookie", &official)
            .json(&body)
            .send()
    };
    let res = generate(json!({"title": "", "body": ""})).await.expect("bad");
    assert_eq!(res.status(), 422);
    assert_eq!(
        res.headers().get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    let res = generate(json!({"number": "15/GKS-UBND", "signer_name": "Lâm Văn Đức"}))
        .await
        .expect("issue");
    assert_eq!(res.status(), 200);
    let (_, v) = get(&app, &official, &format!("/api/v1/office/dossiers/{code}")).await;
    let v: Value = serde_json::from_str(&v).expect("json");
    assert_eq!(v["status"], "result_ready");
    assert_eq!(v["results"][0]["media_type"], "application/pdf");
    assert_eq!(v["results"][0]["file_name"], format!("ket-qua-{code}.pdf"));
    // Once issued, there is nothing left to generate.
    assert_eq!(get(&app, &official, &page_path).await.0, 403);
    assert_eq!(generate(json!({})).await.expect("again").status(), 403);
}

#[tokio::test]
async fn a_task_for_several_roles_is_labelled_with_all_and_done_by_an_official_holding_any() {
    let app = Instance::start().await;
    // A new version of the procedure's process whose first task is for leaders or processing
    // officers, as Camunda Modeler writes it.
    let xml = include_str!("../../demo/processes/lltp-lien-thong.bpmn")
        .replacen(
            "xmlns:cqdt=",
            "xmlns:camunda=\"http://camunda.org/schema/1.0/bpmn\" xmlns:cqdt=",
            1,
        )
        .replacen(
            "name=\"Thẩm định hồ sơ\" candidateGroups=\"processing_officer\"",
            "name=\"Thẩm định hồ sơ\" camunda:candidateGroups=\"leader, processing_officer\"",
            1,
        );
    assert_eq!(crate::workflow::deploy(&app, &xml).await.status(), 201);
    let (_, counter, department, code) = received_lltp(&app).await;
    let dossier = format!("/mot-cua/ho-so/{code}");
    assert_eq!(post(&app, &counter, &format!("{dossier}/chuyen-xu-ly"), &[]).await.0, 303);

    let (_, work) = get(&app, &department, "/mot-cua?tinh-trang=viec").await;
    assert!(work.contains(&code), "the task is in the processing officer's work list");
    let (_, page) = get(&app, &department, &dossier).await;
    assert!(page.contains(">Lãnh đạo, Chuyên viên xử lý</td>"), "both roles named: {page}");
    let task = my_task(&page, &code);
    let (s, _) = post(&app, &department, &format!("{dossier}/cong-viec/{task}"), &[]).await;
    assert_eq!(s, 303);
    let (_, slip) = get(&app, &department, &format!("{dossier}/phieu/05")).await;
    assert!(slip.contains("(Lãnh đạo, Chuyên viên xử lý)"), "the control slip names both: {slip}");
}

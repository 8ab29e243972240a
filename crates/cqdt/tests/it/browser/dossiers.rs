//! Dossiers in the browser: filed online, received at the counter, processed across two
//! agencies and rated.

use super::*;

#[tokio::test]
async fn a_citizen_finds_a_procedure_files_online_and_gets_the_confirmation_email() {
    if !tools_present() {
        return;
    }
    let port = helpers::free_port();
    let smtp = helpers::Smtp::start(port).await;
    let smtp_url = format!("smtp://127.0.0.1:{port}");
    let app = Instance::start_with(&[], &[("CQDT_SMTP_URL", &smtp_url)]).await;
    let b = Browser::start().await;
    let pdf = app.data_dir.join("giay-chung-sinh.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .expect("pdf");
    // From an empty browser: sign in, then the portal.
    b.goto(&app.url("/dang-nhap?next=/dich-vu-cong")).await;
    b.fill("login", "094085000123").await;
    b.fill("password", helpers::DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    assert_eq!(b.path().await, "/dich-vu-cong");
    assert_accessible(&b, "portal home").await;
    b.fill("q", "khai sinh").await;
    b.click_and_wait("main form[role=search] button").await;
    assert_accessible(&b, "search results").await;
    b.click_and_wait("a[href='/thu-tuc/1.001193.000.00.00.H51']").await;
    assert_accessible(&b, "procedure page").await;
    b.click_and_wait("a[href='/nop-ho-so/1.001193.000.00.00.H51']").await;
    assert_accessible(&b, "e-form").await;
    // Submitting with a required field empty: the summary at the top, in Vietnamese.
    b.click_and_wait("button[value=review]").await;
    let summary = b
        .js("return Array.from(document.querySelectorAll('.error-summary a')).map(a => a.getAttribute('href'))")
        .await;
    assert!(
        summary.as_array().is_some_and(|a| a.contains(&json!("#f_child_full_name"))),
        "{summary}"
    );
    assert!(b.text().await.contains("Chưa nhập"));
    assert_accessible(&b, "e-form with errors").await;
    b.fill("f_child_full_name", "Nguyễn Gia Bảo").await;
    b.fill("f_child_date_of_birth", "01/11/2026").await;
    // The picker's script offers the communes of the province chosen.
    for (province, expected) in [("01", "Phường Phúc Xá"), ("92", "Phường Sóc Trăng")] {
        b.js(&format!(
            "var s = document.getElementById('f_place_of_birth__tinh'); s.value = '{province}'; \
             s.dispatchEvent(new Event('change')); return true;"
        ))
        .await;
        let mut offered = false;
        for _ in 0..50 {
            let v = b
                .js(&format!(
                    "return Array.from(document.querySelectorAll('#f_place_of_birth__ds option')) \
                     .some(function (o) {{ return o.value.indexOf('{expected}') === 0; }});"
                ))
                .await;
            if v == json!(true) {
                offered = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(offered, "{expected} offered for province {province}");
    }
    b.fill("f_place_of_birth", "Số 378 Lê Duẩn").await;
    // The commune typed without diacritics, as a person on a phone might.
    b.fill("f_place_of_birth__xa", "phuong soc trang").await;
    b.fill("f_hometown", "94").await;
    for id in ["agency", "f_child_gender", "f_child_ethnicity", "f_child_nationality"] {
        b.js(&format!("document.getElementById('{id}').selectedIndex = 1; return true;")).await;
    }
    b.upload("#file_0", &pdf).await;
    b.upload("#file_1", &pdf).await;
    b.click_and_wait("button[value=review]").await;
    assert!(b.path().await.contains("/xem-lai"), "{}", b.text().await);
    assert_accessible(&b, "review").await;
    b.click_and_wait(SUBMIT).await;
    let path = b.path().await;
    assert!(path.starts_with("/ho-so-cua-toi/"), "{path}");
    let code =
        path.trim_start_matches("/ho-so-cua-toi/").split('?').next().unwrap_or("").to_string();
    assert!(b.text().await.contains(&code));
    assert_accessible(&b, "dossier").await;
    // The confirmation reaches a real SMTP server.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !smtp.output().contains(&code) {
        assert!(std::time::Instant::now() < deadline, "no e-mail with {code}: {}", smtp.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    b.goto(&app.url("/ho-so-cua-toi")).await;
    assert!(b.text().await.contains(&code));
    assert_accessible(&b, "my dossiers").await;
    b.goto(&app.url(&format!("/tra-cuu-ho-so?ma={code}"))).await;
    assert!(b.text().await.contains("Đã nộp, chờ tiếp nhận"));
    assert_accessible(&b, "public lookup").await;
    b.quit().await;
}

#[tokio::test]
async fn a_reception_officer_receives_a_dossier_and_prints_the_receipt() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let citizen = helpers::sign_in(&app, "094085000123", helpers::DEMO_PASSWORD, None).await;
    let code = helpers::file_birth_registration(&app, &citizen).await;
    let b = official_browser(&app, "tiepnhan.p5").await;
    b.goto(&app.url("/mot-cua")).await;
    assert_eq!(b.path().await, "/mot-cua");
    assert!(b.text().await.contains(&code), "the queue has the dossier");
    assert_accessible(&b, "work list").await;
    b.click_and_wait(&format!("a[href='/mot-cua/ho-so/{code}']")).await;
    assert_accessible(&b, "dossier at the counter").await;
    b.click_and_wait("form[action$='/tiep-nhan'] button").await;
    assert!(b.text().await.contains("Đã tiếp nhận hồ sơ"));
    b.click_and_wait("a[href$='/phieu/01']").await;
    let text = b.text().await;
    assert!(text.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
    assert!(text.contains(&code));
    assert_accessible(&b, "receipt Mẫu 01").await;
    // Entering a walk-in dossier: the choice of procedure, then the form with errors.
    b.goto(&app.url("/mot-cua/tiep-nhan-truc-tiep")).await;
    assert_accessible(&b, "walk-in: choose a procedure").await;
    b.click_and_wait("a[href='/mot-cua/tiep-nhan-truc-tiep/1.001193.000.00.00.H51']").await;
    assert_accessible(&b, "walk-in form").await;
    b.click_and_wait("button[value=receive]").await;
    assert!(b.text().await.contains("Có lỗi cần sửa"));
    assert_accessible(&b, "walk-in form with errors").await;
    b.quit().await;
}

#[tokio::test]
async fn a_reception_officer_fills_the_counter_form_from_the_national_population_database() {
    if !tools_present() {
        return;
    }
    let (url, _sandbox) = crate::national::sandbox().await;
    let population = format!("{url}{}", cqdt_national::sandbox::POPULATION_BASE);
    let app = Instance::start_with(&[], &[("CQDT_NATIONAL_POPULATION_URL", &population)]).await;
    let b = official_browser(&app, "tiepnhan.p5").await;
    b.goto(&app.url("/mot-cua/tiep-nhan-truc-tiep/1.001193.000.00.00.H51")).await;
    assert_accessible(&b, "walk-in form offering the population database").await;
    b.fill("cccd", "094085000123").await;
    b.click_and_wait("form.lookup button").await;
    let text = b.text().await;
    assert!(text.contains("Đã điền sẵn từ CSDL quốc gia về dân cư"), "{text}");
    assert!(text.contains("02/09/1985"), "{text}");
    let name = b.js("return document.getElementById('applicant_name').value").await;
    assert_eq!(name, "Nguyễn Văn An");
    assert_accessible(&b, "walk-in form filled from the population database").await;
    b.fill("cccd", "094099999998").await;
    b.click_and_wait("form.lookup button").await;
    assert!(b.text().await.contains("không có công dân mang số định danh"));
    // A dossier filed online with the parents' numbers, checked at reception.
    let citizen = helpers::sign_in(&app, "094085000123", helpers::DEMO_PASSWORD, None).await;
    let page = helpers::get_page(&app, &citizen, "/nop-ho-so/1.001193.000.00.00.H51").await.1;
    let form = serde_json::json!({
        "child_full_name": "Nguyễn Gia Bảo",
        "child_date_of_birth": "01/11/2026",
        "child_gender": helpers::first_option(&page, "f_child_gender"),
        "child_ethnicity": helpers::first_option(&page, "f_child_ethnicity"),
        "child_nationality": helpers::first_option(&page, "f_child_nationality"),
        "place_of_birth": "Bệnh viện Đa khoa tỉnh Sóc Trăng, số 378 Lê Duẩn",
        "place_of_birth__xa": "Phường Sóc Trăng",
        "hometown": "94",
        "father_full_name": "Nguyễn Văn An",
        "father_personal_id": "094085000123",
        "mother_full_name": "Trần Thị Ngọc",
        "mother_personal_id": "094192004567",
        "requester_phone": "0912000123",
    });
    let code =
        helpers::file_by_api(&app, &citizen, "1.001193.000.00.00.H51", "000.01.41.H51", form).await;
    b.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    b.click_and_wait(&format!("form[action='/mot-cua/ho-so/{code}/doi-chieu'] button")).await;
    let text = b.text().await;
    assert!(text.contains("Kết quả đối chiếu với cơ sở dữ liệu quốc gia"), "{text}");
    assert!(text.contains("cơ sở dữ liệu ghi “Trần Thị Bích Ngọc”"), "{text}");
    assert_accessible(&b, "dossier checked against the national databases").await;
    b.quit().await;
}

/// A browser with an official signed in (password and TOTP), on their work list.
async fn official_browser(app: &Instance, login: &str) -> Browser {
    let b = Browser::start().await;
    b.goto(&app.url("/mot-cua?tinh-trang=viec")).await;
    b.fill("login", login).await;
    b.fill("password", helpers::DEMO_PASSWORD).await;
    b.click_and_wait(SUBMIT).await;
    let totp = helpers::totp_now(helpers::DEMO_TOTP);
    b.fill("code", &totp).await;
    b.click_and_wait(SUBMIT).await;
    assert_eq!(b.path().await, "/mot-cua?tinh-trang=viec", "{login} signed in");
    b
}

/// Opens the dossier from the work list and completes the official's task on it.
async fn do_my_task(b: &Browser, code: &str, task: &str, note: &str) {
    assert!(b.text().await.contains(task), "{task} in the work list");
    b.click_and_wait(&format!("a[href='/mot-cua/ho-so/{code}']")).await;
    let form = "form[action*='/cong-viec/']";
    let id = b.js(&format!("return document.querySelector(\"{form} textarea\").id")).await;
    b.fill(id.as_str().unwrap_or(""), note).await;
    b.click_and_wait(&format!("{form} button")).await;
    assert!(b.text().await.contains("Đã hoàn thành công việc"), "{task} done");
}

#[tokio::test]
async fn a_dossier_filed_on_the_portal_is_processed_across_two_agencies_and_the_citizen_rates_it() {
    if !tools_present() {
        return;
    }
    let app = Instance::start().await;
    let pdf = app.data_dir.join("giay-to.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .expect("pdf");
    let lltp = "2.000488.000.00.00.H51";

    // The citizen files a judicial record request on the portal.
    let citizen = Browser::start().await;
    citizen.goto(&app.url(&format!("/dang-nhap?next=/nop-ho-so/{lltp}"))).await;
    citizen.fill("login", "094085000123").await;
    citizen.fill("password", helpers::DEMO_PASSWORD).await;
    citizen.click_and_wait(SUBMIT).await;
    assert_eq!(citizen.path().await, format!("/nop-ho-so/{lltp}"));
    assert_menu_for(&citizen, "Nguyễn Văn An", "").await;
    let prefilled =
        citizen.js("return document.getElementById('f_permanent_address__xa').value").await;
    assert_eq!(prefilled, "Phường Sóc Trăng", "address from the account");
    citizen.js("document.getElementById('agency').value = '000.00.03.H51'; return true;").await;
    for id in ["f_gender", "f_nationality", "f_record_type"] {
        citizen
            .js(&format!("document.getElementById('{id}').selectedIndex = 1; return true;"))
            .await;
    }
    citizen.fill("f_father_full_name", "Nguyễn Văn Ba").await;
    citizen.fill("f_mother_full_name", "Lê Thị Tư").await;
    citizen.fill("f_purpose", "Bổ sung hồ sơ xin việc").await;
    citizen.fill("f_copies_requested", "1").await;
    citizen.upload("#file_0", &pdf).await;
    citizen.upload("#file_1", &pdf).await;
    citizen.click_and_wait("button[value=review]").await;
    assert!(citizen.path().await.contains("/xem-lai"), "{}", citizen.text().await);
    citizen.click_and_wait(SUBMIT).await;
    let code = citizen
        .path()
        .await
        .trim_start_matches("/ho-so-cua-toi/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(code.starts_with("000.00.03.H51-"), "{code}");

    // The department's counter receives it, prints the receipt, hands it to processing.
    let counter = official_browser(&app, "tiepnhan.stp").await;
    assert_menu_for(&counter, "Võ Thị Ngọc Hân", "Sở Tư pháp").await;
    counter.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    // Reception checks the papers in the browser's own PDF viewer before receiving.
    let file = counter
        .js("return document.querySelector(\"a[href*='/tep/']\").getAttribute('href')")
        .await;
    let file = file.as_str().expect("a link to each attachment").to_string();
    counter.goto(&app.url(&file)).await;
    let opened = counter.js("return [document.contentType, location.pathname]").await;
    assert_eq!(opened, json!(["application/pdf", file]), "the PDF opens in the browser");
    counter.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    counter.click_and_wait("form[action$='/tiep-nhan'] button").await;
    counter.click_and_wait("a[href$='/phieu/01']").await;
    assert!(counter.text().await.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
    counter.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    counter.click_and_wait("form[action$='/chuyen-xu-ly'] button").await;
    assert!(counter.text().await.contains("Thẩm định hồ sơ"));
    counter.quit().await;

    // Three officials in two agencies, each from their own work list.
    let department = official_browser(&app, "xuly.stp").await;
    assert_accessible(&department, "my work").await;
    do_my_task(&department, &code, "Thẩm định hồ sơ", "Hồ sơ hợp lệ.").await;
    department.quit().await;
    let commune = official_browser(&app, "tuphap.p5").await;
    do_my_task(&commune, &code, "Xác minh nơi cư trú", "Có cư trú tại phường.").await;
    commune.quit().await;
    let clerk = official_browser(&app, "vanthu.stp").await;
    do_my_task(&clerk, &code, "Tra cứu cơ sở dữ liệu lý lịch tư pháp", "Không có án tích.").await;
    clerk.quit().await;

    // The leader approves, checks the control slip and issues the result online.
    let leader = official_browser(&app, "lanhdao.stp").await;
    assert_menu_for(&leader, "Thạch Văn Sơn", "Sở Tư pháp").await;
    do_my_task(&leader, &code, "Phê duyệt, ký phiếu", "Đồng ý.").await;
    let text = leader.text().await;
    assert!(text.contains("Quy trình đã hoàn thành; có thể ban hành kết quả"));
    // Every step's opinion in the history, with who did it and when.
    for opinion in [
        "Nguyễn Văn Bình: Ý kiến: Hồ sơ hợp lệ.",
        "Ý kiến: Có cư trú tại phường.",
        "Ý kiến: Không có án tích.",
        "Thạch Văn Sơn: Ý kiến: Đồng ý.",
    ] {
        assert!(text.contains(opinion), "{opinion} in the history: {text}");
    }
    assert_accessible(&leader, "dossier with its process").await;
    leader.click_and_wait("a[href$='/phieu/05']").await;
    assert!(leader.text().await.contains("Ủy ban nhân dân Phường 5"));
    assert_accessible(&leader, "control slip Mẫu 05").await;
    // The result document is generated from the procedure's template, filled from the
    // dossier; the leader completes number and signer and issues it.
    leader.goto(&app.url(&format!("/mot-cua/ho-so/{code}"))).await;
    leader.click_and_wait("a[href$='/ket-qua/tao']").await;
    assert!(leader.text().await.contains(&code));
    // Defaults for a department's leader: the document asked for, not the alternatives;
    // the director's title and the leader's own name; who receives it (item 10).
    let defaults = leader
        .js("return ['title', 'signer_title', 'signer_name', 'recipients'].map(function (id) { return document.getElementById(id).value; })")
        .await;
    assert_eq!(
        defaults,
        json!([
            "PHIẾU LÝ LỊCH TƯ PHÁP SỐ 1",
            "GIÁM ĐỐC",
            "Thạch Văn Sơn",
            "- Ông/bà Nguyễn Văn An;\n- Lưu: VT."
        ])
    );
    assert_accessible(&leader, "result document form").await;
    leader
        .js("document.getElementById('number').value = '15/PLLTP-STP'; \
             document.getElementById('signer_name').value = 'Lâm Văn Đức'; return true;")
        .await;
    leader.click_and_wait("button[value='ban-hanh']").await;
    let text = leader.text().await;
    assert!(text.contains("Đã ban hành kết quả") && text.contains("Kết quả đã ban hành"));
    assert!(!text.contains("có thể ban hành kết quả"), "no stale message: {text}");
    let issued = leader
        .js("return document.querySelectorAll(\"#da-ban-hanh ~ ul a[href*='/tep/']\").length")
        .await;
    assert_eq!(issued, 2, "the issued result opens and downloads");
    assert_accessible(&leader, "dossier with its result").await;
    leader.goto(&app.url("/mot-cua/thong-ke?theo=thang")).await;
    assert!(leader.text().await.contains("Trước hạn"));
    assert_accessible(&leader, "statistics with the chart").await;
    leader.goto(&app.url("/mot-cua/so-theo-doi")).await;
    assert!(leader.text().await.contains(&code));
    assert_accessible(&leader, "ledger Mẫu 06").await;
    leader.quit().await;

    // The citizen downloads the result and rates the service.
    citizen.goto(&app.url(&format!("/ho-so-cua-toi/{code}"))).await;
    let link = citizen
        .js("return document.querySelector(\"a[href*='/ket-qua/']\").getAttribute('href')")
        .await;
    let link = link.as_str().expect("a result link").to_string();
    let status = citizen
        .js(&format!(
            "var r = new XMLHttpRequest(); r.open('GET', '{link}', false); r.send(); return r.status;"
        ))
        .await;
    assert_eq!(status, 200, "the result downloads");
    citizen.js("document.getElementById('score-5').checked = true; return true;").await;
    citizen.click_and_wait("form[action$='/danh-gia'] button").await;
    assert!(citizen.text().await.contains("Cảm ơn ông/bà đã đánh giá"));
    assert_accessible(&citizen, "rated dossier").await;
    citizen.quit().await;
}

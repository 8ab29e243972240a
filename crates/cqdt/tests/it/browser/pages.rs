//! Every public, error and admin page passes axe-core and works from the keyboard.

use super::*;
use crate::helpers::ADMIN_PASSWORD;

#[tokio::test]
async fn the_home_page_is_accessible_keyboard_usable_and_fits_a_phone() {
    let Some((app, b)) = journey().await else {
        return;
    };
    // The checker itself must be able to fail: a page with an unlabelled field and an image
    // without alternative text has critical violations.
    b.goto("data:text/html;charset=utf-8,<html><body><img src='x.png'><input type='text'></body></html>").await;
    assert!(!b.axe().await.is_empty(), "axe-core found nothing on a broken page");
    b.goto(&app.url("/")).await;
    let title = b.js("return document.title").await;
    assert!(title.as_str().unwrap_or("").contains("Trang chủ"), "{title}");
    assert_eq!(b.js("return document.documentElement.lang").await, "vi");
    assert_accessible(&b, "home page").await;

    // The first Tab lands on the skip link, and following it moves focus to the main content.
    b.key("\u{E004}").await;
    let focused = b.js("return document.activeElement.textContent.trim()").await;
    assert_eq!(focused, "Bỏ qua, đến nội dung chính");
    let outline = b.js("return getComputedStyle(document.activeElement).backgroundColor").await;
    assert_ne!(outline, "rgba(0, 0, 0, 0)", "focused skip link has no visible focus style");
    b.key("\u{E007}").await;
    let now = b.js("return document.activeElement.id").await;
    assert_eq!(now, "main");

    // On a phone-sized window nothing scrolls sideways.
    b.resize(375, 812).await;
    let overflow = b
        .js("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        .await;
    assert!(overflow.as_i64().unwrap_or(1) <= 0, "page scrolls sideways on a phone: {overflow}");
    assert_accessible(&b, "home page on a phone").await;
    b.quit().await;
}

#[tokio::test]
async fn error_and_admin_pages_are_accessible() {
    let Some((app, b)) = journey().await else {
        return;
    };
    b.goto(&app.url("/khong-co-trang-nay")).await;
    assert!(b
        .js("return document.body.innerText")
        .await
        .as_str()
        .unwrap_or("")
        .contains("Không tìm thấy trang"));
    assert_accessible(&b, "404 page").await;
    let authed = app.base.replacen("http://", &format!("http://admin:{ADMIN_PASSWORD}@"), 1);
    for path in [
        "/danh-muc",
        "/danh-muc/admin-units?parent=94",
        "/danh-muc/admin-units/31498",
        "/danh-muc/agencies/000.00.00.H51",
        "/admin/catalogs",
        "/admin/catalogs/admin-units?parent=94",
        "/admin/catalogs/admin-units/entries/31498",
        "/admin/catalogs/agencies/new",
        "/admin/catalogs/agencies/import",
        "/lich-lam-viec",
        "/admin/calendar",
        "/admin/notifications",
        "/admin/workflow",
        "/admin/jobs",
        "/admin/audit",
        "/dich-vu-cong",
        "/thu-tuc?q=giay+phep+xay+dung",
        "/thu-tuc?q=khong+co+thu+tuc+nay",
        "/thu-tuc/1.001193.000.00.00.H51",
        "/admin/procedures",
        "/admin/procedures/import",
        "/admin/procedures/moi",
        "/thong-ke-ho-so",
        "/thong-ke-ho-so?theo=thang&tu=2026-99-01",
        "/admin/procedures/1.001193.000.00.00.H51/sua",
        "/admin/procedures/1.001193.000.00.00.H51/lich-su",
        "/admin/audit?from=32/13/2026",
    ] {
        b.goto(&format!("{authed}{path}")).await;
        let h1 = b
            .js("return document.querySelector('h1') && document.querySelector('h1').textContent")
            .await;
        assert!(h1.is_string(), "{path}: no heading (login failed?)");
        assert_accessible_wide(&b, path).await;
    }
    // An external task whose worker gave up, and an instance nothing can move on: the
    // workflow admin page lists the first with the worker's error (handed back from a
    // button) and flags the second.
    crate::workflow::a_job_incident(&app).await;
    crate::workflow::a_stuck_instance(&app).await;
    b.goto(&format!("{authed}/admin/workflow")).await;
    let text = b.text().await;
    assert!(text.contains("Chứng thư số hết hạn"), "the job incident is listed");
    assert!(text.contains("Lượt chạy bị kẹt"), "the stuck instance is flagged");
    assert_accessible(&b, "workflow admin with a job incident").await;
    b.click_and_wait("form[action^='/admin/workflow/thu-lai'] button").await;
    let after = b.text().await;
    assert!(after.contains("giao lại") && !after.contains("Chứng thư số hết hạn"), "{after}");
    // A bad date shows the error summary at the top, linking to the field.
    b.goto(&format!("{authed}/admin/audit?from=32/13/2026")).await;
    let summary =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(summary, "#from");
    // The procedure editor with errors: the summary first, each error beside its input.
    b.goto(&format!("{authed}/admin/procedures/moi")).await;
    b.fill("name", "Thủ tục thử").await;
    b.click_and_wait("main form .button[name=luu]").await;
    let first =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(first, "#code", "errors listed in the order of the page");
    assert_accessible(&b, "procedure editor with errors").await;
    b.quit().await;
}

#[tokio::test]
async fn an_administrator_moves_a_token_on_the_instance_page_in_words() {
    let Some((app, b)) = journey().await else {
        return;
    };
    let (id, _) = crate::workflow::a_received_dossier(&app).await;
    let authed = app.base.replacen("http://", &format!("http://admin:{ADMIN_PASSWORD}@"), 1);
    b.goto(&format!("{authed}/admin/workflow")).await;
    b.click_and_wait(&format!("a[href='/admin/workflow/luot/{id}']")).await;
    let text = b.text().await;
    assert!(text.contains("Tiếp nhận, kiểm tra hồ sơ") && text.contains("Cán bộ tiếp nhận"));
    assert_accessible(&b, "workflow instance").await;
    // No reason: the page again, the summary linking to the field.
    b.fill("to", "Task_PheDuyet").await;
    b.click_and_wait(SUBMIT).await;
    let summary =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(summary, "#reason");
    assert_eq!(b.js("return document.getElementById('to').value").await, "Task_PheDuyet");
    assert_accessible(&b, "workflow instance with an error").await;
    b.fill("reason", "Giao nhầm bước").await;
    b.click_and_wait(SUBMIT).await;
    let text = b.text().await;
    assert!(
        text.contains("Đã chuyển bước")
            && text.contains("Tới Phê duyệt kết quả. Lý do: Giao nhầm bước"),
        "{text}"
    );
    assert_accessible(&b, "workflow instance after a move").await;
    // A new version of the process: the page offers it, and the instance moves with a reason.
    let v2 = crate::workflow::BPMN.replace("Thẩm định hồ sơ", "Thẩm định hồ sơ (phiên bản 2)");
    assert_eq!(crate::workflow::deploy(&app, &v2).await.status(), 201);
    b.goto(&format!("{authed}/admin/workflow/luot/{id}")).await;
    assert_accessible(&b, "workflow instance with a new version").await;
    b.fill("migrate-reason", "Sửa tên bước thẩm định").await;
    b.click_and_wait("form[action$='/phien-ban'] button").await;
    let text = b.text().await;
    assert!(text.contains("đã chuyển sang phiên bản 2"), "{text}");
    b.quit().await;
}

#[tokio::test]
async fn an_administrator_follows_a_call_activity_from_the_caller_to_the_called_instance() {
    let Some((app, b)) = journey().await else {
        return;
    };
    let process = |id: &str, body: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t"><bpmn:process id="{id}" name="Quy trình {id}" isExecutable="true"><bpmn:startEvent id="s" />{body}<bpmn:endEvent id="e" /></bpmn:process></bpmn:definitions>"#
        )
    };
    let called = process(
        "tham_dinh_chung",
        r#"<bpmn:userTask id="review" name="Thẩm định chung" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" /><bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="e" />"#,
    );
    let caller = process(
        "goi_tham_dinh",
        r#"<bpmn:callActivity id="call" name="Gọi thẩm định chung" calledElement="tham_dinh_chung" /><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call" /><bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="e" />"#,
    );
    for xml in [&called, &caller] {
        assert_eq!(crate::workflow::deploy(&app, xml).await.status(), 201);
    }
    let body =
        serde_json::json!({"key": "goi_tham_dinh", "business_key": "000.01.41.H51-261207-0077"});
    let (s, started) = crate::workflow::call(
        &app,
        reqwest::Method::POST,
        "/api/v1/workflow/instances",
        Some(body),
    )
    .await;
    assert_eq!(s, 201, "{started}");
    let id = started["id"].as_i64().expect("id");
    let authed = app.base.replacen("http://", &format!("http://admin:{ADMIN_PASSWORD}@"), 1);
    b.goto(&format!("{authed}/admin/workflow/luot/{id}")).await;
    let text = b.text().await;
    assert!(text.contains("Gọi thẩm định chung") && text.contains("Đã gọi"), "{text}");
    assert_accessible(&b, "workflow instance waiting for the instance it called").await;
    b.click_and_wait("td a[href^='/admin/workflow/luot/']").await;
    let text = b.text().await;
    assert!(text.contains("Được gọi từ") && text.contains("Thẩm định chung"), "{text}");
    assert_accessible(&b, "workflow instance called by another").await;
    b.click_and_wait(&format!("dd a[href='/admin/workflow/luot/{id}']")).await;
    assert!(b.text().await.contains(&format!("Lượt chạy {id}")));
    b.quit().await;
}

//! The integration platform's pages in the browser (issue 16): the provider's administrator
//! sees the access request by the systems' names and approves it; the registry's service page
//! documents the operations and takes a consumer's request, with its errors beside the fields;
//! the traffic table shows the gateway's calls; the service's page lists the bodies it keeps.

use super::*;
use crate::lgsp::{grant, provider, registry, JUSTICE};

#[tokio::test]
async fn the_provider_s_administrator_approves_access_and_reads_the_traffic() {
    let Some((app, b)) = journey().await else {
        return;
    };
    let (base, _) = provider().await;
    let (service, bearer) =
        registry(&app, &base, serde_json::json!({ "keep_bodies_bytes": 100000 })).await;
    grant(&app, &service, &["traCuuKhaiSinh"]).await;
    for path in ["/khai-sinh/KS-1", "/khai-sinh/KS-2", "/khai-sinh"] {
        let url = app.url(&format!("/lgsp/{JUSTICE}/ho-tich{path}"));
        helpers::client().get(url).bearer_auth(&bearer).send().await.expect("call");
    }
    // A request waiting for Sở Tư pháp's decision.
    let asked = helpers::client()
        .post(app.url("/api/v1/lgsp/grants"))
        .basic_auth("admin", Some(helpers::ADMIN_PASSWORD))
        .json(&serde_json::json!({
            "consumer_member": crate::lgsp::COMMITTEE, "consumer_subsystem": "mot-cua",
            "service_id": service, "operations": ["dangKyKhaiSinh"],
            "purpose": "Liên thông đăng ký khai sinh từ bộ phận một cửa", "valid_until": "30/06/2027",
        }))
        .send()
        .await
        .expect("request");
    assert_eq!(asked.status(), 201);

    let cookie =
        helpers::sign_in(&app, "qt.stp", helpers::DEMO_PASSWORD, Some(helpers::DEMO_TOTP)).await;
    b.goto(&app.url("/")).await;
    b.sign_in_as(&cookie).await;
    b.goto(&app.url("/admin/lgsp")).await;
    let text = b.text_without_codes().await;
    assert!(text.contains("Hệ thống một cửa – Ủy ban nhân dân tỉnh Sóc Trăng"), "{text}");
    assert!(text.contains("30/06/2027"), "dates as people write them");
    assert!(text.contains("Tra cứu hộ tịch"), "the traffic names the service");
    assert_accessible(&b, "lgsp overview with a pending request").await;
    b.click_and_wait("form[action^='/admin/lgsp/quyen/'] button[value=approve]").await;
    let after = b.text().await;
    assert!(after.contains("Đã ghi quyết định"), "{after}");
    assert!(after.contains("Không có yêu cầu nào đang chờ"), "{after}");

    // The traffic drawn: two charts that name themselves, the figures by hour and by
    // consumer system; then only the civil-status service's.
    let titles = b
        .js("return Array.from(document.querySelectorAll('svg.traffic-chart title')).map(t => t.textContent)")
        .await;
    assert_eq!(
        titles,
        serde_json::json!(["Lượt gọi và lỗi theo giờ", "Độ trễ 95% theo giờ (mili giây)"])
    );
    let desc = b.js("return document.querySelector('svg.traffic-chart desc').textContent").await;
    assert!(desc.as_str().unwrap_or("").starts_with("3 lượt gọi trong 24 giờ"), "{desc}");
    assert!(after.contains("Lượt gọi theo hệ thống khai thác"), "{after}");
    b.js(&format!("document.getElementById('dich-vu').value = '{JUSTICE}/ho-tich'; return 1"))
        .await;
    b.click_and_wait("form.inline-filter button").await;
    let chosen = b.js("return document.getElementById('dich-vu').value").await;
    assert_eq!(chosen, format!("{JUSTICE}/ho-tich").as_str());
    assert_accessible(&b, "lgsp traffic of one service with charts").await;

    // A service registered with a bad code and a document that is not JSON: every reason,
    // the summary first, each beside its field in the form that was sent.
    b.fill("svc-code", "X").await;
    b.fill("svc-base_url", "https://hotich.example.vn/api").await;
    b.fill("svc-owner", "Phòng Hành chính tư pháp").await;
    b.fill("svc-openapi", "openapi: 3.1.0").await;
    b.js("document.getElementById('svc-keep_bodies_bytes').value = '1000000'; return 1").await;
    b.click_and_wait("form[action='/admin/lgsp/dich-vu'] button").await;
    let links = b
        .js("return Array.from(document.querySelectorAll('.error-summary a')).map(a => a.getAttribute('href'))")
        .await;
    assert_eq!(links, serde_json::json!(["#svc-code", "#svc-openapi"]));
    assert!(b.text().await.contains("YAML"), "the document's problem is named");
    let kept = b
        .js("return ['svc-code', 'svc-owner', 'svc-openapi', 'svc-keep_bodies_bytes'].map(id => document.getElementById(id).value)")
        .await;
    assert_eq!(
        kept,
        serde_json::json!(["X", "Phòng Hành chính tư pháp", "openapi: 3.1.0", "1000000"])
    );
    assert_accessible(&b, "lgsp service registration with errors").await;

    // Sở Tư pháp's system takes its messages at an address: a wrong one is named beside its
    // field, a right one is kept and shown with the system.
    b.goto(&app.url("/admin/lgsp")).await;
    b.fill("push-url", "ftp://hotich.example.vn/nhan").await;
    b.click_and_wait("form[action='/admin/lgsp/nhan'] button").await;
    let first =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(first, "#push-url");
    assert_accessible(&b, "lgsp push address with errors").await;
    b.fill("push-url", "https://hotich.example.vn/nhan").await;
    b.click_and_wait("form[action='/admin/lgsp/nhan'] button").await;
    let text = b.text().await;
    assert!(text.contains("Đã lưu địa chỉ nhận thông điệp"), "{text}");
    assert!(text.contains("nhận thông điệp tại https://hotich.example.vn/nhan"), "{text}");

    // The platform administrator reads the service's documentation and asks for access
    // without choosing an operation: the errors stand beside their fields.
    let admin =
        helpers::sign_in(&app, "quantri", helpers::DEMO_PASSWORD, Some(helpers::DEMO_TOTP)).await;
    b.sign_in_as(&admin).await;
    b.goto(&app.url(&format!("/admin/lgsp/dich-vu/{service}"))).await;
    let text = b.text().await;
    assert!(text.contains("Tra cứu giấy khai sinh theo số"), "operations documented");
    assert!(text.contains("mỗi nội dung tối đa 100,0 kB, mã hoá khi lưu"), "{text}");
    let links = b
        .js("return Array.from(document.querySelectorAll('a[href^=\"/admin/lgsp/nhat-ky/\"]')).map(a => a.getAttribute('href'))")
        .await;
    assert_eq!(links.as_array().map(Vec::len), Some(2), "the two answers passed are kept: {links}");
    assert_accessible(&b, "lgsp service page").await;
    b.click_and_wait("form[action='/admin/lgsp/quyen'] button").await;
    let first =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(first, "#operations");
    assert_accessible(&b, "lgsp access request with errors").await;
    b.quit().await;
}

#[tokio::test]
async fn the_platform_administrator_connects_a_peer_platform() {
    let Some((app, b)) = journey().await else {
        return;
    };
    let (base, _) = provider().await;
    registry(&app, &base, serde_json::json!({})).await;
    let admin =
        helpers::sign_in(&app, "quantri", helpers::DEMO_PASSWORD, Some(helpers::DEMO_TOTP)).await;
    b.goto(&app.url("/")).await;
    b.sign_in_as(&admin).await;
    b.goto(&app.url("/admin/lgsp")).await;
    assert!(b.text().await.contains("Chưa kết nối nền tảng nào."));

    // An address that is not one and a client without its secret: both named beside their
    // fields, what was typed kept (never the secret).
    b.fill("peer-code", "quoc-gia").await;
    b.fill("peer-name", "Nền tảng NDXP").await;
    b.fill("peer-issuer", "ndxp.gov.vn").await;
    b.fill("peer-client_id", "lgsp-soc-trang").await;
    b.click_and_wait("form[action='/admin/lgsp/nen-tang'] button").await;
    let links = b
        .js("return Array.from(document.querySelectorAll('.error-summary a')).map(a => a.getAttribute('href'))")
        .await;
    assert_eq!(links, serde_json::json!(["#peer-issuer", "#peer-client_secret"]));
    let kept = b.js("return document.getElementById('peer-name').value").await;
    assert_eq!(kept, "Nền tảng NDXP");
    assert_accessible(&b, "lgsp peer with errors").await;

    // Connected: it calls in as the one-stop system; this platform has no client there yet.
    b.fill("peer-issuer", "https://ndxp.gov.vn").await;
    b.fill("peer-client_id", "").await;
    b.js("const s = document.getElementById('peer-calls_as'); s.value = s.options[1].value; return 1")
        .await;
    b.click_and_wait("form[action='/admin/lgsp/nen-tang'] button").await;
    let text = b.text().await;
    assert!(text.contains("Đã kết nối nền tảng."), "{text}");
    assert!(text.contains("nền tảng đó gọi vào với tư cách Hệ thống một cửa"), "{text}");
    assert!(text.contains("Trục này chưa có ứng dụng kết nối tại nền tảng đó"), "{text}");

    // Its services cannot be fetched without a client there: said beside the form.
    b.fill("import-member_code", JUSTICE).await;
    b.fill("import-code", "ho-tich").await;
    b.click_and_wait("form[action='/admin/lgsp/nen-tang/dich-vu'] button").await;
    let first =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(first, "#import-code");
    assert!(b.text().await.contains("chưa cấu hình ứng dụng kết nối"));
    assert_accessible(&b, "lgsp peer service import refused").await;

    // Disconnected only once confirmed.
    b.click_and_wait("form[action='/admin/lgsp/nen-tang/ngat'] button").await;
    let first =
        b.js("return document.querySelector('.error-summary a').getAttribute('href')").await;
    assert_eq!(first, "#nen-tang");
    assert!(b.text().await.contains("Nền tảng NDXP"), "still connected");
    b.js("document.querySelector(\"form[action='/admin/lgsp/nen-tang/ngat'] input[type=checkbox]\").checked = true; return 1").await;
    b.click_and_wait("form[action='/admin/lgsp/nen-tang/ngat'] button").await;
    let text = b.text().await;
    assert!(text.contains("Đã ngắt kết nối nền tảng."), "{text}");
    assert!(text.contains("Chưa kết nối nền tảng nào."), "{text}");
    assert_accessible(&b, "lgsp peer disconnected").await;
    b.quit().await;
}

//! Printing (issue 15, item 9): the slips Mẫu 01–05 print on one A5 sheet each, the ledger
//! Mẫu 06 on A4 landscape with its header row on every sheet, as Chromium prints them (page
//! size from the stylesheet's `@page`), read back with poppler's `pdfinfo`.

use super::*;
use crate::helpers::{file_lltp, post_page, sign_in, DEMO_PASSWORD, DEMO_TOTP};

/// Page count and each page's size in points, as `pdfinfo` reports them.
fn pages(pdf: &[u8]) -> Vec<(f64, f64)> {
    let dir = std::env::temp_dir().join(format!("cqdt-print-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("{}.pdf", pdf.len()));
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdfinfo")
        .args(["-f", "1", "-l", "9999"])
        .arg(&path)
        .output()
        .expect("pdfinfo (poppler-utils) runs");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let _ = std::fs::remove_file(&path);
    // "Page    1 size: 419.528 x 595.276 pts (A5)"
    text.lines()
        .filter(|l| l.starts_with("Page ") && l.contains(" size: "))
        .map(|l| {
            let size = l.split(" size: ").nth(1).unwrap_or("");
            let mut it = size.split_whitespace();
            let w = it.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let h = it.nth(1).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            (w, h)
        })
        .collect()
}

fn near(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < 1.5 && (a.1 - b.1).abs() < 1.5
}

const A5: (f64, f64) = (419.53, 595.28);
const A4_LANDSCAPE: (f64, f64) = (841.89, 595.28);

#[tokio::test]
async fn each_slip_prints_on_one_a5_sheet_and_the_ledger_on_a4_landscape_with_its_header_on_every_sheet(
) {
    let Some((app, b)) = journey().await else {
        return;
    };
    let citizen = sign_in(&app, "094085000123", DEMO_PASSWORD, None).await;
    let counter = sign_in(&app, "tiepnhan.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let department = sign_in(&app, "xuly.stp", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let act = |cookie: &str, path: String, form: Vec<(&'static str, String)>| {
        let cookie = cookie.to_string();
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (status, page) = post_page(app, &cookie, &path, &form).await;
            assert_eq!(status, 303, "{path}: {page}");
        }
    };
    // One dossier received, handed to processing (Mẫu 01, 05) and late (Mẫu 04); another
    // sent back for more papers (Mẫu 02), then refused (Mẫu 03).
    let one = file_lltp(&app, &citizen).await;
    let two = file_lltp(&app, &citizen).await;
    let at = |code: &str, action: &str| format!("/mot-cua/ho-so/{code}/{action}");
    act(&counter, at(&one, "tiep-nhan"), vec![]).await;
    act(&counter, at(&one, "chuyen-xu-ly"), vec![]).await;
    let later = (chrono::Utc::now() + chrono::Duration::days(60)).format("%d/%m/%Y").to_string();
    let reason = "Chờ kết quả xác minh của Công an tỉnh".to_string();
    act(&department, at(&one, "xin-loi"), vec![("reason", reason), ("new_due", later)]).await;
    let items = "Bản sao giấy khai sinh\nẢnh chân dung 4x6".to_string();
    act(&counter, at(&two, "bo-sung"), vec![("items", items), ("note", String::new())]).await;
    let reasons = "Người yêu cầu không cư trú tại tỉnh.".to_string();
    act(&counter, at(&two, "tu-choi"), vec![("reasons", reasons)]).await;
    // Enough dossiers for the ledger to need a second sheet.
    for _ in 0..40 {
        file_lltp(&app, &citizen).await;
    }

    b.goto(&app.url("/")).await;
    b.sign_in_as(&counter).await;
    for (code, form) in [(&one, "01"), (&two, "02"), (&two, "03"), (&one, "04"), (&one, "05")] {
        b.goto(&app.url(&format!("/mot-cua/ho-so/{code}/phieu/{form}"))).await;
        let text = b.text().await;
        assert!(text.contains("Độc lập - Tự do - Hạnh phúc"), "Mẫu {form}: {text}");
        // The province the demo is named for names the place, as the brand does ("Sóc
        // Trăng, ngày 05 tháng 12 năm 2026"), not the one it merged into.
        let dated = text.lines().any(|l| l.contains("Sóc Trăng, ngày ") && l.contains(" tháng "));
        assert!(dated, "Mẫu {form}: no place in the date line: {text}");
        assert!(!text.contains("Cần Thơ, ngày"), "Mẫu {form}: {text}");
        if form == "01" {
            assert!(text.contains("Võ Thị Ngọc Hân"), "the receiving officer's full name");
        }
        let pdf = b.print_pdf().await;
        let sheets = pages(&pdf);
        assert_eq!(sheets.len(), 1, "Mẫu {form} prints on {} sheets", sheets.len());
        assert!(near(sheets[0], A5), "Mẫu {form} prints on {:?}, not A5", sheets[0]);
        if let Some(text) = helpers::pdf_text(&pdf) {
            assert!(!text.contains("Điều hướng chính") && !text.contains("Đăng xuất"));
            assert!(text.contains(code.as_str()), "Mẫu {form}: {text}");
        }
    }
    b.goto(&app.url("/mot-cua/so-theo-doi")).await;
    let pdf = b.print_pdf().await;
    let sheets = pages(&pdf);
    assert!(sheets.len() >= 2, "the ledger of 42 dossiers on {} sheet(s)", sheets.len());
    assert!(sheets.iter().all(|s| near(*s, A4_LANDSCAPE)), "ledger sheets: {sheets:?}");
    if let Some(text) = helpers::pdf_text(&pdf) {
        let sheets: Vec<&str> = text.split('\u{c}').filter(|s| !s.trim().is_empty()).collect();
        assert!(sheets[0].contains("Sổ theo dõi hồ sơ"), "the title on the first sheet");
        for (i, sheet) in sheets.iter().enumerate() {
            assert!(sheet.contains("Mã hồ sơ"), "no header row on sheet {}: {sheet}", i + 1);
        }
    }
    b.quit().await;
}

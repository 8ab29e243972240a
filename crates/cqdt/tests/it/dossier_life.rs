//! A dossier's life after submission through the whole platform: reception by a commune's
//! officials, a supplement round-trip, processing, an online result the citizen downloads, the
//! rating; withdrawal; agency scope and role checks; two officials acting at once; the
//! applicant's notices at each change.

use crate::helpers;
use crate::helpers::{
    client, get_as, location, post_multipart, post_page, rate, sign_in, Instance, SendStatus,
    DEMO_PASSWORD, DEMO_TOTP,
};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

const CITIZEN: &str = "094085000123";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Files a birth registration at Phường 5 through the API; returns its code.
async fn file(app: &Instance, cookie: &str) -> String {
    helpers::file_birth_registration(app, cookie).await
}

async fn act(app: &Instance, cookie: &str, code: &str, action: &str, body: Value) -> (u16, Value) {
    let res = client()
        .post(app.url(&format!("/api/v1/office/dossiers/{code}/{action}")))
        .header("cookie", cookie)
        .json(&body)
        .send()
        .await
        .expect("act");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn get_json(app: &Instance, cookie: &str, path: &str) -> (u16, Value) {
    let res = client().get(app.url(path)).header("cookie", cookie).send().await.expect("get");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn page(app: &Instance, cookie: &str, path: &str) -> String {
    let res = client().get(app.url(path)).header("cookie", cookie).send().await.expect("page");
    assert_eq!(res.status(), 200, "{path}");
    res.text().await.expect("text")
}

/// An action of the one-stop counter's pages on a dossier: the status, and where it
/// redirects to (or the page).
async fn office(
    app: &Instance,
    cookie: &str,
    code: &str,
    action: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    post_page(app, cookie, &format!("/mot-cua/ho-so/{code}/{action}"), form).await
}

fn tomorrow() -> String {
    (chrono::Utc::now() + chrono::Duration::days(10)).format("%Y-%m-%d").to_string()
}

#[tokio::test]
async fn a_dossier_goes_through_reception_a_supplement_and_processing_to_an_online_result_and_a_rating(
) {
    let app = Instance::start().await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let reception = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let processing = sign_in(&app, "tuphap.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let province = sign_in(&app, "tiepnhan", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let code = file(&app, &citizen).await;

    // The commune's reception queue has it; the province's counter does not see it at all.
    let (s, queue) = get_json(&app, &reception, "/api/v1/office/dossiers").await;
    assert_eq!(s, 200);
    assert!(queue["dossiers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|d| d["code"] == code.as_str())));
    let (s, queue) = get_json(&app, &province, "/api/v1/office/dossiers").await;
    assert_eq!(s, 200);
    assert!(!queue["dossiers"]
        .as_array()
        .is_some_and(|a| a.iter().any(|d| d["code"] == code.as_str())));
    let (s, _) = get_json(&app, &province, &format!("/api/v1/office/dossiers/{code}")).await;
    assert_eq!(s, 404, "another agency's dossier does not exist for its officials");
    let (s, _) = act(&app, &province, &code, "receive", json!({"due_date": tomorrow()})).await;
    assert_eq!(s, 404);
    // A processing officer of the commune may not receive; the citizen may not either.
    let (s, p) = act(&app, &processing, &code, "receive", json!({"due_date": tomorrow()})).await;
    assert_eq!(s, 403, "{p}");
    let (s, _) = act(&app, &citizen, &code, "receive", json!({"due_date": tomorrow()})).await;
    assert_eq!(s, 404);

    // A supplement request with nothing listed is refused; a real one lists everything.
    let (s, p) = act(&app, &reception, &code, "supplement-request", json!({"items": []})).await;
    assert_eq!(s, 422, "{p}");
    let (s, p) = act(
        &app,
        &reception,
        &code,
        "supplement-request",
        json!({"items": [
            {"component": 1, "text": "Bản chính giấy chứng sinh"},
            {"component": null, "text": "Giấy tờ chứng minh nơi cư trú của người mẹ"}
        ], "note": "Ông/bà chụp rõ nét cả hai mặt."}),
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["status"], "supplement");
    let mine = page(&app, &citizen, &format!("/ho-so-cua-toi/{code}")).await;
    assert!(mine.contains("Yêu cầu bổ sung hồ sơ") && mine.contains("Bản chính giấy chứng sinh"));
    assert!(mine.contains("name=\"file_1\"") && mine.contains("name=\"file_khac\""));
    let list = page(&app, &citizen, "/ho-so-cua-toi").await;
    assert!(list.contains(&format!("Hồ sơ {code}: Chờ bổ sung")), "the in-app notice is listed");

    // Rating is only for finished dossiers; a disguised file is refused and changes nothing.
    let (s, _) = {
        let res = client()
            .post(app.url(&format!("/api/v1/dossiers/{code}/rating")))
            .header("cookie", &citizen)
            .json(&json!({"score": 5}))
            .send()
            .await
            .expect("rate");
        (res.status().as_u16(), ())
    };
    assert_eq!(s, 409);
    let fake = Form::new()
        .part("file_1", Part::bytes(b"not a pdf at all".to_vec()).file_name("giay-chung-sinh.pdf"));
    let res = post_multipart(&app, &citizen, &format!("/ho-so-cua-toi/{code}/bo-sung"), fake).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.expect("page").contains("Có lỗi cần sửa"));
    let names = |v: &Value| -> Vec<String> {
        let files = v["files"].as_array().cloned().unwrap_or_default();
        files.iter().filter_map(|f| f["file_name"].as_str().map(str::to_string)).collect()
    };
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await;
    assert_eq!(v["status"], "supplement");
    assert_eq!(names(&v), ["thanh-phan-0.pdf", "thanh-phan-1.pdf"], "only the filed documents");

    let good = Form::new()
        .text("note", "Đã bổ sung đủ.")
        .part("file_1", Part::bytes(PDF.to_vec()).file_name("giay-chung-sinh.pdf"))
        .part("file_khac", Part::bytes(PDF.to_vec()).file_name("cu-tru.pdf"));
    let res = post_multipart(&app, &citizen, &format!("/ho-so-cua-toi/{code}/bo-sung"), good).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/ho-so-cua-toi/{code}?da-bo-sung=1"));
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await;
    assert_eq!(v["status"], "submitted", "back in the reception queue");
    assert_eq!(v["supplements"][0]["answer_note"], "Đã bổ sung đủ.");
    let names = names(&v);
    assert!(names.contains(&"giay-chung-sinh.pdf".into()) && names.contains(&"cu-tru.pdf".into()));

    // Reception with an appointment date in the past is refused; then received.
    let (s, _) = act(&app, &reception, &code, "receive", json!({"due_date": "2020-01-01"})).await;
    assert_eq!(s, 422);
    let due = tomorrow();
    let (s, p) = act(&app, &reception, &code, "receive", json!({"due_date": due})).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["due_date"], due.as_str());
    let (s, _) = act(&app, &processing, &code, "processing", json!({})).await;
    assert_eq!(s, 200);

    // The result: only a real PDF/image, by a processing officer, returned online.
    assert_eq!(
        client()
            .post(app.url(&format!("/api/v1/office/dossiers/{code}/result")))
            .header("cookie", &reception)
            .multipart(Form::new().part("file_0", Part::bytes(PDF.to_vec()).file_name("kq.pdf")))
            .send_status()
            .await,
        403,
        "reception does not issue results"
    );
    assert_eq!(
        client()
            .post(app.url(&format!("/api/v1/office/dossiers/{code}/result")))
            .header("cookie", &processing)
            .multipart(
                Form::new()
                    .text("note", "Giấy khai sinh bản điện tử số 123/2026")
                    .text("online", "true")
                    .part("file_0", Part::bytes(PDF.to_vec()).file_name("Giấy khai sinh.pdf")),
            )
            .send_status()
            .await,
        200
    );
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await;
    assert_eq!(v["status"], "returned");
    assert!(v["finished_at"].is_string());

    // The citizen downloads the result, byte for byte, and nobody else can.
    let res = get_as(&app, &citizen, &format!("/ho-so-cua-toi/{code}/ket-qua/1")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"].to_str().expect("type"), "application/pdf");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .expect("disposition")
        .contains("filename*=UTF-8''Gi%E1%BA%A5y%20khai%20sinh.pdf"));
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), PDF);
    assert_eq!(
        get_as(&app, &reception, &format!("/api/v1/dossiers/{code}/results/1")).await.status(),
        404
    );

    // Rating: a score is required; then once only.
    let ratings: [(&[(&str, &str)], u16); 2] = [
        (&[("comment", "Nhanh")], 422),
        (&[("score", "5"), ("comment", "Cán bộ hướng dẫn tận tình")], 303),
    ];
    for (form, expected) in ratings {
        let rating = format!("/ho-so-cua-toi/{code}/danh-gia");
        assert_eq!(post_page(&app, &citizen, &rating, form).await.0, expected, "{form:?}");
    }
    let mine = page(&app, &citizen, &format!("/ho-so-cua-toi/{code}")).await;
    assert!(mine.contains("Rất hài lòng") && !mine.contains("Gửi đánh giá"));
    assert_eq!(rate(&app, &citizen, &code, 1).await, 409);

    // Every change is on the timeline, and the public lookup shows where it stands.
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await;
    let steps: Vec<&str> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(
        steps,
        ["submitted", "supplement", "submitted", "received", "processing", "returned"]
    );
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/lookup/{code}")).await;
    assert_eq!(v["status"], "returned");
    let list = page(&app, &citizen, "/ho-so-cua-toi").await;
    assert!(list.contains(&format!("Hồ sơ {code}: Đã trả kết quả")));
}

#[tokio::test]
async fn a_citizen_withdraws_a_dossier_and_two_officials_cannot_both_act_on_one() {
    let app = Instance::start().await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let reception = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;

    // Two receptions of one dossier at the same moment: exactly one wins.
    let code = file(&app, &citizen).await;
    let due = tomorrow();
    // Two receptions conflict in either order (a refusal after a reception would be
    // legitimate, so it would not show the race).
    let (a, b) = tokio::join!(
        act(&app, &reception, &code, "receive", json!({"due_date": due})),
        act(&app, &reception, &code, "receive", json!({})),
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");

    // Received without a date, the appointment follows the procedure's time (one working
    // day for a birth registration) on the working-day calendar.
    let code_b = file(&app, &citizen).await;
    let (s, p) = act(&app, &reception, &code_b, "receive", json!({})).await;
    assert_eq!(s, 200, "{p}");
    let today = cqdt_platform::clock::to_vn(chrono::Utc::now()).date_naive();
    let (_, cal) =
        get_json(&app, &citizen, &format!("/api/v1/calendar/add-working-days?date={today}&days=1"))
            .await;
    assert_eq!(p["due_date"], cal["result"], "{p} {cal}");
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await;
    assert_eq!(v["events"].as_array().map(Vec::len), Some(2));

    // Withdrawal needs the confirmation; then the dossier is closed to everyone.
    let code = file(&app, &citizen).await;
    assert_eq!(
        client()
            .post(app.url(&format!("/ho-so-cua-toi/{code}/rut")))
            .header("cookie", &citizen)
            .form(&[("reason", "Nộp nhầm")])
            .send_status()
            .await,
        422
    );
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{code}")).await;
    assert_eq!(v["status"], "submitted");
    assert_eq!(
        client()
            .post(app.url(&format!("/ho-so-cua-toi/{code}/rut")))
            .header("cookie", &citizen)
            .form(&[("reason", "Nộp nhầm"), ("confirm", "1")])
            .send_status()
            .await,
        303
    );
    let (s, p) = act(&app, &reception, &code, "receive", json!({"due_date": due})).await;
    assert_eq!(s, 409, "{p}");
    assert_eq!(
        client()
            .post(app.url(&format!("/api/v1/dossiers/{code}/withdraw")))
            .header("cookie", &citizen)
            .json(&json!({}))
            .send_status()
            .await,
        409
    );
    let (_, v) = get_json(&app, &citizen, &format!("/api/v1/dossiers/lookup/{code}")).await;
    assert_eq!(v["status"], "withdrawn");
    let (s, _) = act(&app, &reception, &code, "no-such-action", json!({})).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn the_counter_receives_on_its_pages_and_prints_the_receipt_the_supplement_and_the_refusal() {
    let app = Instance::start().await;
    let citizen = sign_in(&app, CITIZEN, DEMO_PASSWORD, None).await;
    let reception = sign_in(&app, "tiepnhan.p5", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let province = sign_in(&app, "tiepnhan", DEMO_PASSWORD, Some(DEMO_TOTP)).await;
    let code = file(&app, &citizen).await;
    let other = file(&app, &citizen).await;

    // The work list of the commune's counter has both; the province's does not.
    let list = page(&app, &reception, "/mot-cua").await;
    assert!(list.contains(&code) && list.contains(&other));
    assert!(!page(&app, &province, "/mot-cua").await.contains(&code));
    assert_eq!(
        get_as(&app, &province, &format!("/mot-cua/ho-so/{code}")).await.status(),
        404,
        "outside the scope the dossier does not exist"
    );
    assert_eq!(
        client().get(app.url("/mot-cua")).header("cookie", &citizen).send_status().await,
        403,
        "citizens have no work list"
    );

    // The dossier page offers reception with the computed appointment date.
    let html = page(&app, &reception, &format!("/mot-cua/ho-so/{code}")).await;
    assert!(html.contains("Tiếp nhận hồ sơ") && html.contains("Nguyễn Gia Bảo"));
    let (s, html) =
        office(&app, &reception, &code, "tiep-nhan", &[("due_date", "31/02/2026")]).await;
    assert_eq!(s, 422, "an impossible date is refused");
    assert!(html.contains("href=\"#due_date\""));
    let (s, to) = office(&app, &reception, &code, "tiep-nhan", &[("due_date", "")]).await;
    assert_eq!((s, to.as_str()), (303, format!("/mot-cua/ho-so/{code}?done=tiep-nhan").as_str()));
    let (_, v) = get_json(&app, &reception, &format!("/api/v1/office/dossiers/{code}")).await;
    assert_eq!(v["status"], "received");
    let due = v["due_date"].as_str().expect("due date").to_string();
    // Receipt Mẫu 01: the code, its QR, the appointment date, the receiving official.
    let slip = page(&app, &reception, &format!("/mot-cua/ho-so/{code}/phieu/01")).await;
    assert!(slip.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"));
    assert!(slip.contains(&code));
    assert!(slip.contains("<svg role=\"img\" aria-label=\"Mã QR của mã hồ sơ"));
    let due_vn = chrono::NaiveDate::parse_from_str(&due, "%Y-%m-%d")
        .expect("date")
        .format("%d/%m/%Y")
        .to_string();
    assert!(slip.contains(&format!("ngày {due_vn}")), "{slip}");
    assert!(slip.contains("1 ngày làm việc"));
    // Acting twice is refused, with the reason on the page.
    let (s, html) = office(&app, &reception, &code, "tiep-nhan", &[]).await;
    assert_eq!(s, 409);
    assert!(html.contains("không thực hiện được thao tác này"));

    // A supplement request lists everything at once and prints as Mẫu 02.
    let (s, _) = office(&app, &reception, &other, "bo-sung", &[("items", ""), ("note", "")]).await;
    assert_eq!(s, 422, "a supplement request must say what is missing");
    let (s, _) = office(
        &app,
        &reception,
        &other,
        "bo-sung",
        &[
            ("items", "Bản sao giấy chứng nhận kết hôn của cha mẹ\nGiấy chứng sinh bản chính"),
            ("note", "Nộp trực tuyến tại mục Hồ sơ của tôi."),
        ],
    )
    .await;
    assert_eq!(s, 303);
    let slip = page(&app, &reception, &format!("/mot-cua/ho-so/{other}/phieu/02")).await;
    assert!(slip.contains("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"));
    assert!(slip.contains("Giấy chứng sinh bản chính"));
    // Refusal with reasons prints as Mẫu 03; a slip that does not apply is not there.
    let (s, _) = office(
        &app,
        &reception,
        &other,
        "tu-choi",
        &[("reasons", "Trẻ đã được đăng ký khai sinh tại nơi khác.")],
    )
    .await;
    assert_eq!(s, 303);
    let slip = page(&app, &reception, &format!("/mot-cua/ho-so/{other}/phieu/03")).await;
    assert!(slip.contains("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"));
    assert!(slip.contains("Trẻ đã được đăng ký khai sinh tại nơi khác."));
    assert_eq!(
        get_as(&app, &reception, &format!("/mot-cua/ho-so/{code}/phieu/03")).await.status(),
        404
    );
    // The citizen's timeline shows the refusal.
    let (_, mine) = get_json(&app, &citizen, &format!("/api/v1/dossiers/{other}")).await;
    assert_eq!(mine["status"], "refused");
}

//! The notifications API and admin pages, through the router (SQLite, or PostgreSQL with
//! CQDT_TEST_DATABASE_URL).

use std::sync::Arc;

use crate::common;
use crate::common::{count, notifier, quick_policy};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use base64::Engine;
use cqdt_notify::http::{router, ApiDoc, NotifyState};
use cqdt_notify::NotifyConfig;
use cqdt_platform::web::{Metrics, Shell};
use cqdt_platform::{AdminCredentials, FileStore, Platform, Settings};
use cqdt_testing::TestDb;
use serde_json::{json, Value};
use tower::ServiceExt;

const PASSWORD: &str = "mat-khau-thu";

async fn app(t: &TestDb) -> Router {
    let (jobs, notifier) = notifier(t, quick_policy(3), &NotifyConfig::default());
    let clock = common::clock();
    let shell = Arc::new(Shell {
        instance_name: "tỉnh Sóc Trăng".into(),
        demo: false,
        modules: Vec::new(),
        tls: false,
        menu: &[],
        admin_sections: &[],
    });
    let settings = Settings::new(t.db.clone(), clock.clone());
    let admin = AdminCredentials::new(settings.clone());
    admin.set(PASSWORD).await.expect("password");
    let platform = Platform {
        db: t.db.clone(),
        clock: clock.clone(),
        jobs,
        files: FileStore::new(t.dir.join("files"), 1 << 20, t.db.clone(), clock.clone()),
        settings,
        admin,
        shell: shell.clone(),
        metrics: Arc::new(Metrics::default()),
        auth: Default::default(),
    };
    // Errors become pages outside /api/ as in the app (the platform's error_pages layer).
    router(NotifyState { audit: cqdt_audit::Audit::new(t.db.clone(), clock), platform, notifier })
        .layer(axum::middleware::from_fn_with_state(shell, cqdt_platform::web::error_pages))
}

fn auth() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"))
    )
}

/// A header of a response, when it is text.
fn header_text<B>(res: &axum::http::Response<B>, name: header::HeaderName) -> Option<&str> {
    res.headers().get(name).and_then(|v| v.to_str().ok())
}

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, String, String) {
    let res = app.clone().oneshot(req).await.expect("response");
    let status = res.status();
    let content_type = header_text(&res, header::CONTENT_TYPE).unwrap_or("").to_string();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 22).await.expect("body");
    (status, content_type, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).header(header::AUTHORIZATION, auth()).body(Body::empty()).expect("request")
}

fn post_json(body: &str) -> Request<Body> {
    Request::post("/api/v1/notifications")
        .header(header::AUTHORIZATION, auth())
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// Posts a notification the API must accept; its JSON answer.
async fn post_accepted(app: &Router, body: &str) -> Value {
    let (status, _, answer) = call(app, post_json(body)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    json_of(&answer)
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).expect("json")
}

#[tokio::test]
async fn a_notification_posted_to_the_api_is_accepted_and_readable_with_its_log() {
    let t = TestDb::new().await;
    let app = app(&t).await;
    let body = json!({
        "channel": "sms",
        "recipient": "0912 345 678",
        "template": "dossier_late_apology",
        "params": {
            "applicant_name": "Lê Thị Dung",
            "agency_name": "UBND phường 2",
            "dossier_code": "000.18.29.H51-250612-0003",
            "procedure_name": "Chứng thực bản sao",
            "received_date": "2025-06-12",
            "due_date": "2025-06-13",
            "new_due_date": "16/06/2025",
            "reason": "Cần xác minh thêm thông tin."
        }
    });
    let accepted = post_accepted(&app, &body.to_string()).await;
    let id = accepted["id"].as_i64().expect("id");
    assert_eq!(accepted["status"], "queued");

    let (status, _, body) = call(&app, get(&format!("/api/v1/notifications/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v = json_of(&body);
    assert_eq!(v["notification"]["recipient"], "+84912345678");
    assert_eq!(v["notification"]["status"], "queued");
    assert!(v["notification"]["body"]
        .as_str()
        .unwrap_or("")
        .contains("Ngày hẹn trả kết quả mới: 16/06/2025"));
    assert_eq!(v["deliveries"], json!([]));

    let (status, _, body) =
        call(&app, get("/api/v1/notifications?recipient=0912345678&status=queued")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json_of(&body)["notifications"].as_array().map(Vec::len), Some(1));
    let (_, _, body) = call(&app, get("/api/v1/notifications?status=sent")).await;
    assert_eq!(json_of(&body)["notifications"], json!([]));

    let (status, content_type, _) = call(&app, get("/api/v1/notifications/999999")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(content_type, "application/problem+json");
    let (status, _, _) = call(&app, get("/api/v1/notifications?status=lost")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Sends and reads of personal data are audited.
    let audited: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY seq")
        .fetch_all(t.db.pool())
        .await
        .expect("audit");
    assert_eq!(audited[0], "notification.send");
    assert!(audited.contains(&"notification.read".to_string()));
}

#[tokio::test]
async fn in_app_notices_are_listed_for_their_recipient() {
    let t = TestDb::new().await;
    let app = app(&t).await;
    let body =
        r#"{"channel":"in_app","recipient":"can-bo:42","template":"test","link":"/admin/jobs"}"#;
    assert_eq!(post_accepted(&app, body).await["status"], "sent");
    let (status, _, body) = call(&app, get("/api/v1/notices?recipient=can-bo:42")).await;
    assert_eq!(status, StatusCode::OK);
    let notices = json_of(&body)["notices"].clone();
    assert_eq!(notices[0]["title"], "Thư thử nghiệm từ hệ thống");
    assert_eq!(notices[0]["link"], "/admin/jobs");
    let (status, _, body) = call(&app, get("/api/v1/notices")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&body)["errors"][0]["field"], "recipient");
}

#[tokio::test]
async fn bad_requests_get_field_errors_and_write_nothing() {
    let t = TestDb::new().await;
    let app = app(&t).await;
    let cases = [
        (r#"{"channel":"email","recipient":"an@@example","template":"test"}"#, vec!["recipient"]),
        (
            r#"{"channel":"email","recipient":"an@example.vn","template":"khong_co"}"#,
            vec!["template"],
        ),
        (
            r#"{"channel":"email","recipient":"an@example.vn","template":"dossier_result_ready","params":{"applicant_name":"A","dossier_code":"X","procedure_name":"P"}}"#,
            vec!["/params/result_date"],
        ),
        (
            r#"{"channel":"fax","recipient":"x","template":"nope","params":{"a":[1]},"extra":1}"#,
            vec!["channel", "template", "/params/a", "extra"],
        ),
        (r#"[1,2]"#, vec![""]),
    ];
    for (body, fields) in cases {
        let (status, content_type, answer) = call(&app, post_json(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert_eq!(content_type, "application/problem+json");
        let got: Vec<String> = json_of(&answer)["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap_or("").to_string())
            .collect();
        for f in fields {
            assert!(got.iter().any(|g| g == f), "{body}: {f} not in {got:?}");
        }
    }
    let (status, content_type, _) = call(&app, post_json("{not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(content_type, "application/problem+json");
    assert_eq!(count(&t, "notifications").await, 0);
    assert_eq!(count(&t, "jobs").await, 0);
    assert_eq!(count(&t, "audit_log").await, 0);
}

#[tokio::test]
async fn the_api_and_pages_need_the_administrator() {
    let t = TestDb::new().await;
    let app = app(&t).await;
    for uri in ["/api/v1/notifications", "/admin/notifications"] {
        let req = Request::get(uri).body(Body::empty()).expect("request");
        let (status, _, _) = call(&app, req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let req = Request::post("/api/v1/notifications").body(Body::from("{}")).expect("request");
    assert_eq!(call(&app, req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_admin_pages_list_notifications_in_an_accessible_table_with_the_delivery_log() {
    let t = TestDb::new().await;
    let app = app(&t).await;
    let form = Request::post("/admin/notifications/test")
        .header(header::AUTHORIZATION, auth())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("channel=email&recipient=an%40example.vn"))
        .expect("request");
    let res = app.clone().oneshot(form).await.expect("response");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = header_text(&res, header::LOCATION).expect("location").to_string();
    assert!(location.starts_with("/admin/notifications/"));

    let (status, _, html) = call(&app, get("/admin/notifications")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("<caption>Thông báo, mới nhất trước</caption>"));
    assert!(html.contains("<th scope=\"col\">Người nhận</th>"));
    assert!(html.contains("an@example.vn"));
    assert!(html.contains("tag-queued"));
    assert!(html.contains("Chưa cấu hình"));

    // Not delivered yet: the log is empty.
    let (status, _, html) = call(&app, get(&location)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Chưa có lần gửi nào."));
    assert!(html.contains("Thư thử nghiệm từ hệ thống"));

    let (status, _, _) = call(&app, get("/admin/notifications/abc")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let bad = Request::post("/admin/notifications/test")
        .header(header::AUTHORIZATION, auth())
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("channel=sms&recipient=123"))
        .expect("request");
    let (status, _, html) = call(&app, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Có lỗi cần sửa"));
    assert!(html.contains("href=\"#recipient\""));
    assert!(html.contains("value=\"123\""));
    assert_eq!(count(&t, "notifications").await, 1);
}

#[tokio::test]
async fn the_detail_page_shows_every_delivery_attempt() {
    let t = TestDb::new().await;
    let (jobs, notifier) = notifier(&t, quick_policy(3), &NotifyConfig::default());
    let id = notifier
        .send_now(&cqdt_notify::NotificationRequest::email("an@example.vn", "test"))
        .await
        .expect("send");
    jobs.run_once().await.expect("run");
    let app = app(&t).await;
    let (status, _, html) = call(&app, get(&format!("/admin/notifications/{id}"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("<caption>Các lần gửi thông báo số {id}</caption>")));
    assert!(html.contains("<th scope=\"col\">Kết quả</th>"));
    assert!(html.contains("tag-failed"));
    assert!(html.contains("CQDT_SMTP_URL"));
}

#[test]
fn the_openapi_paths_describe_every_endpoint() {
    let doc = cqdt_platform::openapi::json::<ApiDoc>();
    let paths = &doc["paths"];
    for p in ["/api/v1/notifications", "/api/v1/notifications/{id}", "/api/v1/notices"] {
        assert!(paths.get(p).is_some(), "{p}");
    }
    assert!(paths["/api/v1/notifications"]["post"]["responses"].get("422").is_some());
}

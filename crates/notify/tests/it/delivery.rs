//! Delivery end to end on a real database (SQLite, or PostgreSQL with CQDT_TEST_DATABASE_URL),
//! a real SMTP server (in-process, speaking SMTP over loopback TCP) and the SMS gateway sandbox
//! over real HTTP.

use std::time::Duration;

use crate::common;
use crate::common::{
    count, free_port, get_json, header, notifier, quick_policy, serve_sandbox, SmtpServer,
};
use cqdt_notify::{
    DeliveryOutcome, NotificationRequest, NotificationStatus, NotifyConfig, NotifyError, SmsSandbox,
};
use cqdt_platform::JobStatus;
use cqdt_testing::TestDb;

/// The SMS gateway sandbox (token "bi-mat") served on loopback, its base address, and a
/// queue and notifier that send to it with `token`.
async fn sms_via_sandbox(
    t: &TestDb,
    token: &str,
) -> (SmsSandbox, String, cqdt_platform::JobQueue, cqdt_notify::Notifier) {
    let sandbox = SmsSandbox::new(Some("bi-mat".into()));
    let base = serve_sandbox(&sandbox).await;
    let config = NotifyConfig {
        sms_url: Some(format!("{base}/api/sms")),
        sms_token: Some(token.into()),
        ..NotifyConfig::default()
    };
    let (jobs, notifier) = notifier(t, quick_policy(3), &config);
    (sandbox, base, jobs, notifier)
}

/// A notifier that mails through a port nothing listens on, and the test e-mail it accepted
/// all the same.
async fn email_to_nowhere(
    t: &TestDb,
    max_attempts: i64,
) -> (u16, cqdt_platform::JobQueue, cqdt_notify::Notifier, cqdt_notify::NotificationId) {
    let port = free_port();
    let config = email_config(format!("smtp://127.0.0.1:{port}"));
    let (jobs, notifier) = notifier(t, quick_policy(max_attempts), &config);
    let id = notifier
        .send_now(&NotificationRequest::email("an@example.vn", "test"))
        .await
        .expect("accepted although the server is down");
    (port, jobs, notifier, id)
}

/// A notification after its one attempt: in `status`, with one logged attempt that had
/// `outcome` and whose detail mentions `detail`.
fn assert_first_attempt(
    n: &cqdt_notify::Notification,
    log: &[cqdt_notify::Delivery],
    status: NotificationStatus,
    outcome: DeliveryOutcome,
    detail: &str,
) {
    assert_eq!(n.status, status);
    assert_eq!(n.attempts, 1);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].outcome, outcome);
    assert!(log[0].detail.as_deref().unwrap_or("").contains(detail), "{log:?}");
}

fn email_config(url: String) -> NotifyConfig {
    NotifyConfig {
        smtp_url: Some(url),
        smtp_from: "Một cửa Sóc Trăng <no-reply@soctrang.gov.vn>".into(),
        ..NotifyConfig::default()
    }
}

fn receipt(to: &str) -> NotificationRequest {
    NotificationRequest::email(to, "dossier_received")
        .param("applicant_name", "Nguyễn Thị Bích")
        .param("agency_name", "Bộ phận Một cửa tỉnh Sóc Trăng")
        .param("dossier_code", "000.18.29.H51-250612-0001")
        .param("procedure_name", "Cấp giấy phép xây dựng nhà ở riêng lẻ")
        .param("received_date", "2025-06-12")
        .param("due_date", "26/06/2025")
}

#[tokio::test]
async fn an_email_reaches_a_real_smtp_server_with_its_vietnamese_subject_intact() {
    let t = TestDb::new().await;
    let server = SmtpServer::start(free_port()).await;
    let (jobs, notifier) = notifier(&t, quick_policy(3), &email_config(server.url()));
    let id = notifier.send_now(&receipt("bich.nguyen@Example.VN")).await.expect("send");
    assert_eq!(jobs.drain().await.expect("drain"), 1);

    let messages = server.messages(1).await;
    let m = &messages[0];
    assert_eq!(
        header(m, "Subject").as_deref(),
        Some("Đã tiếp nhận hồ sơ 000.18.29.H51-250612-0001"),
        "{m}"
    );
    assert_eq!(header(m, "To").as_deref(), Some("bich.nguyen@example.vn"));
    assert!(header(m, "Message-ID")
        .unwrap_or_default()
        .starts_with(&format!("<cqdt.notification.{id}.")));
    assert!(header(m, "From").unwrap_or_default().contains("<no-reply@soctrang.gov.vn>"));
    let body = common::body(m);
    assert!(body.contains("Kính gửi ông/bà Nguyễn Thị Bích"), "{body}");
    assert!(body.contains("ngày 12/06/2025"), "{body}");
    assert!(body.contains("Ngày hẹn trả kết quả: 26/06/2025"), "{body}");

    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    assert_first_attempt(&n, &log, NotificationStatus::Sent, DeliveryOutcome::Sent, "250");
    assert!(n.sent_at.is_some());
    server.stop().await;
}

#[tokio::test]
async fn when_the_mail_server_is_down_the_notification_waits_and_is_sent_once_it_is_back() {
    let t = TestDb::new().await;
    let (port, jobs, notifier, id) = email_to_nowhere(&t, 5).await;
    assert!(jobs.run_once().await.expect("run"));
    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    let (queued, failed) = (NotificationStatus::Queued, DeliveryOutcome::Failed);
    assert_first_attempt(&n, &log, queued, failed, &port.to_string());
    assert!(n.last_error.is_some());

    let server = SmtpServer::start(port).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(jobs.drain().await.expect("drain"), 1);
    let messages = server.messages(1).await;
    assert_eq!(header(&messages[0], "Subject").as_deref(), Some("Thư thử nghiệm từ hệ thống"));
    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    assert_eq!(n.status, NotificationStatus::Sent);
    assert_eq!(n.last_error, None);
    let outcomes: Vec<(i64, DeliveryOutcome)> =
        log.iter().map(|d| (d.attempt, d.outcome)).collect();
    assert_eq!(outcomes, [(1, DeliveryOutcome::Failed), (2, DeliveryOutcome::Sent)]);
    let job = n.job_id.expect("job");
    let (job, _) = jobs.get(job).await.expect("job").expect("exists");
    assert_eq!(job.status, JobStatus::Done);
    server.stop().await;
}

#[tokio::test]
async fn a_notification_whose_attempts_run_out_is_failed_and_its_job_dead() {
    let t = TestDb::new().await;
    let (_, jobs, notifier, id) = email_to_nowhere(&t, 3).await;
    let job_id = notifier.get(id).await.expect("get").expect("exists").0.job_id.expect("job");
    for _ in 0..50 {
        jobs.run_once().await.expect("run");
        let (job, _) = jobs.get(job_id).await.expect("job").expect("exists");
        if job.status == JobStatus::Dead {
            break;
        }
        let (n, _) = notifier.get(id).await.expect("get").expect("exists");
        assert_eq!(n.status, NotificationStatus::Queued, "queued while attempts remain");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (job, _) = jobs.get(job_id).await.expect("job").expect("exists");
    assert_eq!(job.status, JobStatus::Dead);
    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    assert_eq!(n.status, NotificationStatus::Failed);
    assert_eq!(n.attempts, 3);
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|d| d.outcome == DeliveryOutcome::Failed));
}

#[tokio::test]
async fn an_sms_goes_through_the_gateway_sandbox_over_real_http() {
    let t = TestDb::new().await;
    let (_sandbox, base, jobs, notifier) = sms_via_sandbox(&t, "bi-mat").await;
    let id = notifier
        .send_now(
            &NotificationRequest::sms("091 234 5678", "dossier_result_ready")
                .param("applicant_name", "Trần Văn Cường")
                .param("dossier_code", "000.18.29.H51-250612-0002")
                .param("procedure_name", "Đăng ký hộ kinh doanh")
                .param("result_date", "20/06/2025"),
        )
        .await
        .expect("send");
    assert_eq!(jobs.drain().await.expect("drain"), 1);

    let client = reqwest::Client::new();
    let listed = get_json(&client, format!("{base}/api/sms")).await;
    let messages = listed["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["to"], "+84912345678");
    let text = messages[0]["text"].as_str().expect("text");
    assert!(
        text.contains("Hồ sơ 000.18.29.H51-250612-0002 đã có kết quả ngày 20/06/2025"),
        "{text}"
    );
    let page =
        client.get(format!("{base}/")).send().await.expect("page").text().await.expect("html");
    assert!(page.contains("Cổng SMS thử nghiệm (sandbox)"));
    assert!(page.contains("SANDBOX"));
    assert!(page.contains("+84912345678"));

    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    assert_eq!(n.status, NotificationStatus::Sent);
    assert_eq!(n.recipient, "+84912345678");
    assert_eq!(log[0].outcome, DeliveryOutcome::Sent);
}

#[tokio::test]
async fn an_sms_the_gateway_refuses_is_logged_as_a_failed_attempt() {
    let t = TestDb::new().await;
    let (sandbox, _base, jobs, notifier) = sms_via_sandbox(&t, "sai-ma").await;
    let id =
        notifier.send_now(&NotificationRequest::sms("0912345678", "test")).await.expect("send");
    assert!(jobs.run_once().await.expect("run"));
    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    assert_eq!(n.status, NotificationStatus::Queued);
    assert_eq!(log[0].outcome, DeliveryOutcome::Failed);
    assert!(log[0].detail.as_deref().unwrap_or("").contains("HTTP 401"), "{log:?}");
    assert!(sandbox.messages().is_empty());
}

#[tokio::test]
async fn an_unconfigured_channel_still_accepts_and_says_why_delivery_fails() {
    let t = TestDb::new().await;
    let (jobs, notifier) = notifier(&t, quick_policy(3), &NotifyConfig::default());
    let id = notifier
        .send_now(&NotificationRequest::email("an@example.vn", "test"))
        .await
        .expect("send");
    jobs.run_once().await.expect("run");
    let (n, _) = notifier.get(id).await.expect("get").expect("exists");
    assert_eq!(n.status, NotificationStatus::Queued);
    assert!(n.last_error.unwrap_or_default().contains("CQDT_SMTP_URL"));
}

#[tokio::test]
async fn an_in_app_notice_is_stored_at_once_for_its_recipient() {
    let t = TestDb::new().await;
    let (jobs, notifier) = notifier(&t, quick_policy(3), &NotifyConfig::default());
    let id = notifier
        .send_now(
            &NotificationRequest::in_app("cong-dan:001203004567", "generic")
                .param("subject", "Hồ sơ cần bổ sung")
                .param("body", "Vui lòng bổ sung bản sao giấy tờ tuỳ thân.")
                .link("/ho-so/000.18.29.H51-250612-0001"),
        )
        .await
        .expect("send");
    assert_eq!(jobs.drain().await.expect("drain"), 0, "no job for in-app");
    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    assert_eq!(n.status, NotificationStatus::Sent);
    assert_eq!(n.job_id, None);
    assert_eq!(log.len(), 1);
    let notices = notifier.notices("cong-dan:001203004567", 10).await.expect("notices");
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].title, "Hồ sơ cần bổ sung");
    assert_eq!(notices[0].link.as_deref(), Some("/ho-so/000.18.29.H51-250612-0001"));
    assert!(notifier.notices("nguoi-khac", 10).await.expect("notices").is_empty());
}

#[tokio::test]
async fn a_notification_sent_in_a_rolled_back_transaction_never_goes_out() {
    let t = TestDb::new().await;
    let server = SmtpServer::start(free_port()).await;
    let (jobs, notifier) = notifier(&t, quick_policy(3), &email_config(server.url()));
    let mut tx = t.db.begin().await.expect("begin");
    notifier.send(&mut tx, &receipt("an@example.vn")).await.expect("send");
    drop(tx);
    assert_eq!(jobs.drain().await.expect("drain"), 0);
    assert_eq!(count(&t, "notifications").await, 0);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!server.output().contains("MESSAGE FOLLOWS"));
    server.stop().await;
}

#[tokio::test]
async fn bad_input_writes_nothing() {
    let t = TestDb::new().await;
    let (jobs, notifier) = notifier(&t, quick_policy(3), &NotifyConfig::default());
    let cases = [
        (NotificationRequest::email("an@@example", "test"), "recipient"),
        (NotificationRequest::sms("0212345678", "test"), "recipient"),
        (NotificationRequest::in_app("  ", "test"), "recipient"),
        (NotificationRequest::email("an@example.vn", "khong_co_mau"), "template"),
        (receipt("an@example.vn").param("due_date", "31/02/2025"), "/params/due_date"),
        (
            {
                let mut r = receipt("an@example.vn");
                r.params.remove("dossier_code");
                r
            },
            "/params/dossier_code",
        ),
    ];
    for (request, field) in cases {
        let mut tx = t.db.begin().await.expect("begin");
        match notifier.send(&mut tx, &request).await {
            Err(NotifyError::Invalid(errors)) => {
                assert!(errors.iter().any(|e| e.field == field), "{field}: {errors:?}");
            }
            other => panic!("{field}: expected Invalid, got {other:?}"),
        }
        tx.commit().await.expect("commit");
        assert!(matches!(notifier.send_now(&request).await, Err(NotifyError::Invalid(_))));
    }
    assert_eq!(count(&t, "notifications").await, 0);
    assert_eq!(count(&t, "notification_deliveries").await, 0);
    assert_eq!(count(&t, "in_app_notices").await, 0);
    assert_eq!(count(&t, "jobs").await, 0);
    assert_eq!(jobs.drain().await.expect("drain"), 0);
}

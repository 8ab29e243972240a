//! The real `cqdt` binary: it starts, says where it listens, answers health, readiness and
//! metrics as a fresh process, documents its options, and ships the SMS gateway sandbox.

use serde_json::json;

use crate::helpers::{client, exe, text, Instance, SmsSandbox};
use crate::notifications::{notification_status, send, wait_for};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = Instance::spawn_binary().await;
    let c = client();
    assert_eq!(c.get(app.url("/healthz")).send().await.expect("healthz").status(), 200);
    let ready: serde_json::Value =
        c.get(app.url("/readyz")).send().await.expect("readyz").json().await.expect("json");
    assert_eq!(ready["status"], "ready");
    let metrics =
        c.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(metrics
        .contains("cqdt_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"));
    assert!(metrics.contains("process_resident_memory_bytes"));
    assert!(metrics.contains("cqdt_up 1"));
}

#[tokio::test]
async fn help_documents_every_option() {
    let o = tokio::process::Command::new(exe()).arg("--help").output().await.expect("help");
    let t = text(&o);
    for opt in [
        "--data-dir",
        "--database-url",
        "--config",
        "--smtp-url",
        "--sms-url",
        "CQDT_DATABASE_URL",
        "serve",
        "backup",
        "restore",
        "calendar",
        "catalog",
        "audit",
    ] {
        assert!(t.contains(opt), "--help does not mention {opt}");
    }
}

#[tokio::test]
async fn an_sms_goes_through_the_shipped_gateway_sandbox() {
    let sandbox = SmsSandbox::spawn_binary(Some("bi-mat")).await;
    let base = sandbox.base.clone();
    let sms_url = sandbox.url();
    let app = Instance::spawn_binary_with(
        &[],
        &[("CQDT_SMS_URL", &sms_url), ("CQDT_SMS_TOKEN", "bi-mat")],
    )
    .await;
    let id = send(
        &app,
        json!({"channel": "sms", "recipient": "0912 345 678", "template": "dossier_received", "params": {
            "applicant_name": "Nguyễn Văn A", "agency_name": "UBND phường 5", "dossier_code": "000.01.41.H51-261125-0001",
            "procedure_name": "Chứng thực bản sao", "received_date": "25/11/2026", "due_date": "26/11/2026"}}),
    )
    .await;
    wait_for(&app, id, |v| notification_status(v) == "sent").await;
    let inbox = client()
        .get(format!("{base}/api/sms"))
        .send()
        .await
        .expect("list")
        .text()
        .await
        .expect("text");
    assert!(
        inbox.contains("+84912345678") && inbox.contains("000.01.41.H51-261125-0001"),
        "{inbox}"
    );
    let page =
        client().get(format!("{base}/")).send().await.expect("page").text().await.expect("text");
    assert!(page.to_lowercase().contains("sandbox"), "the sandbox says what it is");
    drop(sandbox);
}

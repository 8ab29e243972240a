//! E-mail and SMS over TLS, against local servers whose certificates a throwaway test CA
//! signed: implicit TLS (`smtps://`), STARTTLS required, a server that does not offer
//! STARTTLS, a CA nobody configured, and an HTTPS SMS gateway.

use crate::common::{self, free_port, quick_policy, SmtpServer};
use cqdt_notify::{
    DeliveryOutcome, NotificationId, NotificationRequest, NotificationStatus, Notifier,
    NotifyConfig, SmsSandbox,
};
use cqdt_platform::{JobQueue, TlsTrust};
use cqdt_testing::tls::{serve_https, TestCa};
use cqdt_testing::TestDb;

fn email(url: String, tls: TlsTrust) -> NotifyConfig {
    NotifyConfig {
        smtp_url: Some(url),
        smtp_from: "no-reply@soctrang.gov.vn".into(),
        tls,
        ..NotifyConfig::default()
    }
}

/// Accepts one test e-mail and runs its delivery once.
async fn send_one(jobs: &JobQueue, notifier: &Notifier) -> NotificationId {
    let id = notifier
        .send_now(&NotificationRequest::email("an@example.vn", "test"))
        .await
        .expect("accepted");
    assert!(jobs.run_once().await.expect("run"));
    id
}

/// The notification's status and the detail of its last attempt.
async fn outcome(notifier: &Notifier, id: NotificationId) -> (NotificationStatus, String) {
    let (n, log) = notifier.get(id).await.expect("get").expect("exists");
    let last = log.last().expect("an attempt");
    let detail = last.detail.clone().unwrap_or_default();
    match last.outcome {
        DeliveryOutcome::Sent => assert_eq!(n.status, NotificationStatus::Sent),
        // One attempt only: a failed one leaves nothing for the next queue on this database.
        _ => assert_eq!(n.status, NotificationStatus::Failed, "{detail}"),
    }
    (n.status, detail)
}

#[tokio::test]
async fn an_smtps_url_delivers_over_implicit_tls() {
    let t = TestDb::new().await;
    let ca = TestCa::new("cqdt test CA");
    let server = SmtpServer::start_implicit_tls(free_port(), ca.server_config()).await;
    assert!(server.url().starts_with("smtps://"));
    let (jobs, notifier) = common::notifier(&t, quick_policy(1), &email(server.url(), ca.trust()));
    let id = send_one(&jobs, &notifier).await;
    let (status, detail) = outcome(&notifier, id).await;
    assert_eq!(status, NotificationStatus::Sent, "{detail}");
    assert!(detail.starts_with("SMTP smtps://127.0.0.1:"), "{detail}");
    assert_eq!(server.messages(1).await.len(), 1);
    assert_eq!(server.received_over_tls(), [true]);
}

#[tokio::test]
async fn starttls_required_delivers_over_tls() {
    let t = TestDb::new().await;
    let ca = TestCa::new("cqdt test CA");
    let server = SmtpServer::start_starttls(free_port(), ca.server_config()).await;
    assert!(server.url().ends_with("?starttls=required"));
    let (jobs, notifier) = common::notifier(&t, quick_policy(1), &email(server.url(), ca.trust()));
    let id = send_one(&jobs, &notifier).await;
    let (status, detail) = outcome(&notifier, id).await;
    assert_eq!(status, NotificationStatus::Sent, "{detail}");
    assert_eq!(server.messages(1).await.len(), 1);
    assert_eq!(server.received_over_tls(), [true]);
}

#[tokio::test]
async fn a_server_without_starttls_is_refused_when_starttls_is_required() {
    let t = TestDb::new().await;
    let ca = TestCa::new("cqdt test CA");
    let server = SmtpServer::start(free_port()).await;
    let url = format!("smtp://127.0.0.1:{}?starttls=required", server.port());
    let (jobs, notifier) = common::notifier(&t, quick_policy(1), &email(url, ca.trust()));
    let id = send_one(&jobs, &notifier).await;
    let (status, detail) = outcome(&notifier, id).await;
    assert_eq!(status, NotificationStatus::Failed);
    assert!(detail.contains("STARTTLS"), "{detail}");
    assert_eq!(server.output(), "", "nothing was sent in clear text");
}

#[tokio::test]
async fn a_certificate_from_an_unknown_ca_is_refused_unless_the_ca_bundle_names_it() {
    let t = TestDb::new().await;
    let ca = TestCa::new("cqdt test CA");
    for server in [
        SmtpServer::start_implicit_tls(free_port(), ca.server_config()).await,
        SmtpServer::start_starttls(free_port(), ca.server_config()).await,
    ] {
        let (jobs, notifier) =
            common::notifier(&t, quick_policy(1), &email(server.url(), TlsTrust::default()));
        let id = send_one(&jobs, &notifier).await;
        let (status, detail) = outcome(&notifier, id).await;
        assert_eq!(status, NotificationStatus::Failed);
        assert!(detail.contains("certificate") || detail.contains("UnknownIssuer"), "{detail}");
        assert_eq!(server.output(), "", "nothing was sent to a server we cannot trust");

        // Another CA's bundle does not help either.
        let other = TestCa::new("another CA");
        let (jobs, notifier) =
            common::notifier(&t, quick_policy(1), &email(server.url(), other.trust()));
        let id = send_one(&jobs, &notifier).await;
        assert_eq!(outcome(&notifier, id).await.0, NotificationStatus::Failed);

        let (jobs, notifier) =
            common::notifier(&t, quick_policy(1), &email(server.url(), ca.trust()));
        let id = send_one(&jobs, &notifier).await;
        let (status, detail) = outcome(&notifier, id).await;
        assert_eq!(status, NotificationStatus::Sent, "{detail}");
        assert_eq!(server.received_over_tls(), [true]);
    }
}

#[tokio::test]
async fn a_certificate_for_another_host_name_is_refused() {
    let t = TestDb::new().await;
    let ca = TestCa::new("cqdt test CA");
    let config = ca.server_config_for(&["mail.example.vn"]);
    let server = SmtpServer::start_implicit_tls(free_port(), config).await;
    let (jobs, notifier) = common::notifier(&t, quick_policy(1), &email(server.url(), ca.trust()));
    let id = send_one(&jobs, &notifier).await;
    let (status, detail) = outcome(&notifier, id).await;
    assert_eq!(status, NotificationStatus::Failed);
    assert!(detail.contains("certificate") || detail.contains("NotValidForName"), "{detail}");
    assert_eq!(server.output(), "");
}

#[tokio::test]
async fn an_sms_goes_through_an_https_gateway_whose_ca_is_in_the_bundle() {
    let t = TestDb::new().await;
    let ca = TestCa::new("cqdt test CA");
    let sandbox = SmsSandbox::new(Some("bi-mat".into()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = serve_https(listener, sandbox.router(), ca.server_config());
    let sms = |tls: TlsTrust| NotifyConfig {
        sms_url: Some(format!("https://localhost:{}/api/sms", addr.port())),
        sms_token: Some("bi-mat".into()),
        tls,
        ..NotifyConfig::default()
    };
    let request = NotificationRequest::sms("0912345678", "test");

    // Without the CA: the gateway's certificate does not verify and nothing is sent.
    let (jobs, notifier) = common::notifier(&t, quick_policy(1), &sms(TlsTrust::default()));
    let id = notifier.send_now(&request).await.expect("accepted");
    assert!(jobs.run_once().await.expect("run"));
    let (status, detail) = outcome(&notifier, id).await;
    assert_eq!(status, NotificationStatus::Failed, "{detail}");
    assert!(sandbox.messages().is_empty());

    let (jobs, notifier) = common::notifier(&t, quick_policy(1), &sms(ca.trust()));
    let id = notifier.send_now(&request).await.expect("accepted");
    assert!(jobs.run_once().await.expect("run"));
    let (status, detail) = outcome(&notifier, id).await;
    assert_eq!(status, NotificationStatus::Sent, "{detail}");
    assert!(detail.starts_with("SMS gateway https://localhost:"), "{detail}");
    let messages = sandbox.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].to, "+84912345678");
}

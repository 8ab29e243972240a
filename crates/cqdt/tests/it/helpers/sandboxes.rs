//! The stand-ins for external systems the platform talks to: the SMS gateway and VNeID
//! sandboxes the project ships (their routers, served in-process on their own runtime, or
//! `cqdt sandbox sms` as a process for the end-to-end test) and an SMTP server.

use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::client;
use super::instance::exe;

/// A real SMTP server in this process that keeps what it receives (no Python needed).
pub type Smtp = cqdt_testing::smtp::SmtpSink;

/// Where a sandbox runs; stopped when dropped.
enum Host {
    Runtime(Option<tokio::runtime::Runtime>),
    /// Killed when dropped.
    Binary {
        _child: Child,
    },
}

impl Drop for Host {
    fn drop(&mut self) {
        if let Host::Runtime(runtime) = self {
            if let Some(r) = runtime.take() {
                r.shutdown_background();
            }
        }
    }
}

/// Serves `router` on `listener` on a runtime of its own, so it answers whatever the test's
/// runtime is doing.
fn host(listener: std::net::TcpListener, router: axum::Router) -> Host {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("sandbox")
        .enable_all()
        .build()
        .expect("sandbox runtime");
    listener.set_nonblocking(true).expect("non-blocking");
    runtime.spawn(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let _ = axum::serve(listener, router).await;
    });
    Host::Runtime(Some(runtime))
}

/// The SMS gateway sandbox; messages are listed at `{base}/api/sms`.
pub struct SmsSandbox {
    /// Base URL.
    pub base: String,
    _host: Host,
}

impl SmsSandbox {
    /// The sandbox's routes in-process.
    pub async fn start(token: Option<&str>) -> SmsSandbox {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let router = cqdt_notify::sandbox::SmsSandbox::new(token.map(str::to_string)).router();
        SmsSandbox { base, _host: host(listener, router) }
    }

    /// `cqdt sandbox sms` as a process; waits until it answers.
    pub async fn spawn_binary(token: Option<&str>) -> SmsSandbox {
        let port = super::free_port();
        let mut cmd = Command::new(exe());
        cmd.args(["sandbox", "sms", "--listen", &format!("127.0.0.1:{port}")]);
        if let Some(t) = token {
            cmd.args(["--token", t]);
        }
        let child = cmd
            .env("CQDT_LOG", "warn")
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("sandbox");
        let base = format!("http://127.0.0.1:{port}");
        wait_until_answering(&format!("{base}/api/sms"), "the SMS sandbox").await;
        SmsSandbox { base, _host: Host::Binary { _child: child } }
    }

    /// The gateway URL to give the platform.
    pub fn url(&self) -> String {
        format!("{}/api/sms", self.base)
    }

    /// Every message received so far, as JSON text.
    pub async fn inbox(&self) -> String {
        client().get(self.url()).send().await.expect("list").text().await.expect("text")
    }

    /// Waits for a message to `phone` (+84…) containing `needle` and returns its text.
    pub async fn wait_for(&self, phone: &str, needle: &str) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let inbox: serde_json::Value =
                serde_json::from_str(&self.inbox().await).unwrap_or_default();
            let found = inbox
                .as_array()
                .into_iter()
                .flatten()
                .chain(inbox["messages"].as_array().into_iter().flatten())
                .filter(|m| m.to_string().contains(phone))
                .filter_map(|m| m["text"].as_str().map(str::to_string))
                .rfind(|t| t.contains(needle));
            if let Some(t) = found {
                return t;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no SMS to {phone} containing {needle:?}: {inbox}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The VNeID sandbox on a chosen loopback port, for one redirect URI; stopped when dropped.
pub struct VneidSandbox {
    _host: Host,
}

impl VneidSandbox {
    /// A port for the sandbox, chosen before the platform starts (the platform needs the URL).
    pub fn port() -> u16 {
        super::free_port()
    }

    /// The platform's settings for a sandbox on `port`.
    pub fn env(port: u16) -> [(&'static str, String); 3] {
        [
            ("CQDT_VNEID_URL", format!("http://127.0.0.1:{port}")),
            ("CQDT_VNEID_CLIENT_ID", "cqdt".into()),
            ("CQDT_VNEID_CLIENT_SECRET", "cqdt-sandbox-secret".into()),
        ]
    }

    /// The sandbox's routes in-process, for the platform at `app_base`.
    pub async fn start(port: u16, app_base: &str) -> VneidSandbox {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port)).expect("bind");
        let router = cqdt_vneid_sandbox::router(cqdt_vneid_sandbox::SandboxConfig {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id: "cqdt".into(),
            client_secret: "cqdt-sandbox-secret".into(),
            redirect_uris: vec![format!("{app_base}/dang-nhap/vneid/callback")],
        })
        .expect("VNeID sandbox");
        VneidSandbox { _host: host(listener, router) }
    }
}

async fn wait_until_answering(url: &str, what: &str) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while client().get(url).send().await.is_err() {
        assert!(std::time::Instant::now() < deadline, "{what} did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

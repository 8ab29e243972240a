//! Helpers for the notification tests: a real SMTP server (in-process), free ports, RFC 2047
//! decoding, and a notifier over a fresh database.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use cqdt_notify::{Notifier, NotifyConfig};
use cqdt_platform::{JobQueue, RetryPolicy, SharedClock, SystemClock};
use cqdt_testing::TestDb;

/// A retry policy with tiny delays, so tests can run the queue again at once.
pub fn quick_policy(max_attempts: i64) -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        max_attempts,
        lease: Duration::from_secs(60),
    }
}

/// The machine clock, shared.
pub fn clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// A queue and a registered notifier over `t`.
pub fn notifier(t: &TestDb, policy: RetryPolicy, config: &NotifyConfig) -> (JobQueue, Notifier) {
    let jobs = JobQueue::new(t.db.clone(), clock(), policy);
    let notifier = Notifier::new(t.db.clone(), clock(), jobs.clone(), config).expect("notifier");
    notifier.register(&jobs);
    (jobs, notifier)
}

/// A loopback port nothing listens on (at the moment of asking).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Serves the SMS gateway sandbox on a loopback port; its base address.
pub async fn serve_sandbox(sandbox: &cqdt_notify::SmsSandbox) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The JSON a GET answers with.
pub async fn get_json(client: &reqwest::Client, url: String) -> serde_json::Value {
    client.get(url).send().await.expect("get").json().await.expect("json")
}

/// Rows in a table, to prove that nothing was written.
pub async fn count(t: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.db.pool())
        .await
        .expect("count")
}

/// A real SMTP server, in-process (see `cqdt_testing::smtp`): what it receives is printed as
/// `python3 -m aiosmtpd -n` printed it, which `header` and `body` read.
pub use cqdt_testing::smtp::SmtpSink as SmtpServer;

/// A header of a printed message, unfolded, with RFC 2047 encoded words decoded.
pub fn header(message: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    for line in message.lines() {
        if line.is_empty() || line.starts_with("X-Peer:") {
            if value.is_some() {
                break;
            }
            continue;
        }
        match &mut value {
            Some(v) if line.starts_with(' ') || line.starts_with('\t') => {
                v.push(' ');
                v.push_str(line.trim());
            }
            Some(_) => break,
            None => {
                if let Some((n, rest)) = line.split_once(':') {
                    if n.eq_ignore_ascii_case(name) {
                        value = Some(rest.trim().to_string());
                    }
                }
            }
        }
    }
    value.map(|v| decode_rfc2047(&v))
}

/// Decodes `=?charset?B|Q?…?=` words (UTF-8); whitespace between adjacent words is dropped.
pub fn decode_rfc2047(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let mut parts = word.splitn(3, '?');
        let (Some(_charset), Some(enc), Some(tail)) = (parts.next(), parts.next(), parts.next())
        else {
            out.push_str(&rest[start..]);
            return out;
        };
        let Some(end) = tail.find("?=") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let text = &tail[..end];
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD.decode(text).expect("base64 encoded word")
        } else {
            let mut b = Vec::new();
            let t = text.as_bytes();
            let mut i = 0;
            while i < t.len() {
                match t[i] {
                    b'_' => b.push(b' '),
                    b'=' if i + 3 <= t.len() => {
                        let hex = std::str::from_utf8(&t[i + 1..i + 3]).expect("hex");
                        b.push(u8::from_str_radix(hex, 16).expect("hex"));
                        i += 2;
                    }
                    c => b.push(c),
                }
                i += 1;
            }
            b
        };
        out.push_str(&String::from_utf8(bytes).expect("utf-8 encoded word"));
        rest = &tail[end + 2..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// The text body of a printed single-part message, decoded from base64 or quoted-printable.
pub fn body(message: &str) -> String {
    let encoding =
        header(message, "Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
    let raw = message
        .split_once("\nX-Peer:")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, body)| body.strip_prefix('\n').unwrap_or(body))
        .unwrap_or("");
    match encoding.as_str() {
        "base64" => {
            let compact: String = raw.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD.decode(compact).expect("base64 body"),
            )
            .expect("utf-8 body")
        }
        "quoted-printable" => {
            let joined = raw.replace("=\r\n", "").replace("=\n", "");
            let t = joined.as_bytes();
            let mut b = Vec::new();
            let mut i = 0;
            while i < t.len() {
                if t[i] == b'=' && i + 2 < t.len() {
                    if let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                        b.push(v);
                        i += 3;
                        continue;
                    }
                }
                b.push(t[i]);
                i += 1;
            }
            String::from_utf8(b).expect("utf-8 body")
        }
        _ => raw.to_string(),
    }
}

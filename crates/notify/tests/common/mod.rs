//! Helpers for the notification tests: a real SMTP server process (aiosmtpd), free ports,
//! RFC 2047 decoding, and a notifier over a fresh database.

#![allow(dead_code)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use cqdt_notify::{Notifier, NotifyConfig};
use cqdt_platform::testing::TestDb;
use cqdt_platform::{JobQueue, RetryPolicy, SharedClock, SystemClock};
use tokio::io::AsyncBufReadExt;

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

/// Rows in a table, to prove that nothing was written.
pub async fn count(t: &TestDb, table: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.db.pool())
        .await
        .expect("count")
}

/// A real SMTP server: `python3 -m aiosmtpd -n -l 127.0.0.1:PORT` with its Debugging
/// handler, which prints every message it receives on stdout.
pub struct SmtpServer {
    /// The port it listens on.
    pub port: u16,
    child: tokio::process::Child,
    output: Arc<Mutex<String>>,
}

impl SmtpServer {
    /// Starts the server and waits until it accepts connections. Panics with a clear message
    /// when aiosmtpd is not installed: the e-mail tests must never pass without a real server.
    pub async fn start(port: u16) -> SmtpServer {
        let probe = std::process::Command::new("python3")
            .args(["-c", "import aiosmtpd"])
            .output();
        match probe {
            Ok(o) if o.status.success() => {}
            Ok(o) => panic!(
                "the e-mail tests need a real SMTP server: aiosmtpd is not installed for python3 \
                 (install it with `pip install aiosmtpd`): {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
            Err(e) => panic!(
                "the e-mail tests need python3 with aiosmtpd (`pip install aiosmtpd`): cannot run python3: {e}"
            ),
        }
        let mut child = tokio::process::Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .env("PYTHONUNBUFFERED", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn python3 -m aiosmtpd");
        let output = Arc::new(Mutex::new(String::new()));
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            tokio::spawn(async move {
                let mut lines = tokio::io::BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut o) = output.lock() {
                        o.push_str(&line);
                        o.push('\n');
                    }
                }
            });
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                tokio::time::sleep(Duration::from_millis(100)).await;
                panic!(
                    "aiosmtpd exited ({status}) before accepting connections:\n{}",
                    output.lock().map(|o| o.clone()).unwrap_or_default()
                );
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not accept connections on 127.0.0.1:{port} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        SmtpServer {
            port,
            child,
            output,
        }
    }

    /// The SMTP URL of this server.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Everything the server printed so far.
    pub fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// Waits until the server has printed `n` complete messages; returns them.
    pub async fn messages(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = self.output();
            let messages: Vec<String> = out
                .split("---------- MESSAGE FOLLOWS ----------")
                .skip(1)
                .filter_map(|m| m.split_once("------------ END MESSAGE ------------"))
                .map(|(m, _)| m.trim_start_matches('\n').to_string())
                .collect();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP server received {} of {n} messages; it printed:\n{out}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

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
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 encoded word")
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
    let encoding = header(message, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let raw = message
        .split_once("\nX-Peer:")
        .and_then(|(_, rest)| rest.split_once('\n'))
        .map(|(_, body)| body.strip_prefix('\n').unwrap_or(body))
        .unwrap_or("");
    match encoding.as_str() {
        "base64" => {
            let compact: String = raw.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .expect("base64 body"),
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

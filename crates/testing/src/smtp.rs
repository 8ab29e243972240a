//! A small SMTP server for tests, in the test process: it speaks the RFC 5321 conversation a
//! mail client has with a real server (greeting, EHLO/HELO, MAIL, RCPT, DATA with dot
//! unstuffing, RSET, NOOP, QUIT), refuses commands out of order and lines not ended by CRLF,
//! and keeps every message it accepts instead of relaying it.
//!
//! What it received reads like the output of `python3 -m aiosmtpd -n` (its `Debugging`
//! handler), which the e-mail tests used before: each message between
//! `---------- MESSAGE FOLLOWS ----------` and `------------ END MESSAGE ------------`, its
//! headers, an `X-Peer:` line, a blank line and the body. It runs on its own threads, so it
//! answers whatever runtime (or none) the code under test uses.
//!
//! It can also speak TLS (rustls), with a certificate of a test CA: from the first byte
//! (implicit TLS, `smtps://`), or after STARTTLS (RFC 3207), which it then offers after EHLO.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

const BEGIN: &str = "---------- MESSAGE FOLLOWS ----------";
const END: &str = "------------ END MESSAGE ------------";

/// How the sink speaks TLS.
#[derive(Clone)]
enum TlsMode {
    /// Never: plain SMTP, no STARTTLS offered.
    Off,
    /// After STARTTLS, which EHLO offers.
    StartTls(Arc<ServerConfig>),
    /// From the first byte.
    Implicit(Arc<ServerConfig>),
}

/// One message as received: printed like aiosmtpd prints it, and whether it came over TLS.
struct Received {
    printed: String,
    tls: bool,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// A running SMTP sink on a loopback port; stops when dropped.
pub struct SmtpSink {
    port: u16,
    tls: TlsMode,
    received: Inbox,
    stopping: Arc<AtomicBool>,
}

impl SmtpSink {
    /// Listens on `127.0.0.1:port` (a port chosen by the test, possibly one a client is
    /// already retrying) and accepts connections at once. Plain SMTP; no STARTTLS offered.
    pub async fn start(port: u16) -> SmtpSink {
        SmtpSink::launch(port, TlsMode::Off)
    }

    /// Like [`SmtpSink::start`], offering STARTTLS with `config` (e.g. a test CA's
    /// [`crate::tls::TestCa::server_config`]).
    pub async fn start_starttls(port: u16, config: Arc<ServerConfig>) -> SmtpSink {
        SmtpSink::launch(port, TlsMode::StartTls(config))
    }

    /// Like [`SmtpSink::start`], speaking TLS with `config` from the first byte (`smtps://`).
    pub async fn start_implicit_tls(port: u16, config: Arc<ServerConfig>) -> SmtpSink {
        SmtpSink::launch(port, TlsMode::Implicit(config))
    }

    fn launch(port: u16, tls: TlsMode) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("the SMTP sink cannot listen on 127.0.0.1:{port}: {e}"));
        let received = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let (sink, stop, mode) = (received.clone(), stopping.clone(), tls.clone());
        std::thread::Builder::new()
            .name(format!("smtp-sink-{port}"))
            .spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let (sink, mode) = (sink.clone(), mode.clone());
                    let _ = std::thread::Builder::new().name("smtp-sink-session".into()).spawn(
                        move || {
                            let _ = Session::new(stream, sink, mode).run();
                        },
                    );
                }
            })
            .expect("spawn the SMTP sink");
        SmtpSink { port, tls, received, stopping }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Its URL for the platform's `smtp_url`: `smtps://` for implicit TLS, STARTTLS required
    /// when it offers STARTTLS.
    pub fn url(&self) -> String {
        match self.tls {
            TlsMode::Off => format!("smtp://127.0.0.1:{}", self.port),
            TlsMode::StartTls(_) => format!("smtp://127.0.0.1:{}?starttls=required", self.port),
            TlsMode::Implicit(_) => format!("smtps://127.0.0.1:{}", self.port),
        }
    }

    /// Every message received so far, printed as aiosmtpd's `Debugging` handler prints them.
    pub fn output(&self) -> String {
        self.received
            .lock()
            .map(|m| m.iter().map(|r| r.printed.as_str()).collect())
            .unwrap_or_default()
    }

    /// For each message received so far, whether it came over TLS.
    pub fn received_over_tls(&self) -> Vec<bool> {
        self.received.lock().map(|m| m.iter().map(|r| r.tls).collect()).unwrap_or_default()
    }

    /// Waits (up to 10 s) until `n` messages have arrived; returns them, each from its first
    /// header line to the end of its body.
    pub async fn messages(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let messages: Vec<String> = self
                .received
                .lock()
                .map(|m| m.iter().map(|r| unwrap_printed(&r.printed)).collect())
                .unwrap_or_default();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "the SMTP sink received {} of {n} messages:\n{}",
                messages.len(),
                self.output()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops listening (connections already open finish their conversation).
    pub async fn stop(self) {
        drop(self);
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and closes the listener.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The message inside its printed frame (each line, the last one too, ends with `\n`).
fn unwrap_printed(printed: &str) -> String {
    let inner = printed.strip_prefix(BEGIN).unwrap_or(printed).trim_start_matches('\n');
    let inner = inner.strip_suffix(&format!("{END}\n")).unwrap_or(inner);
    // Mail options, when there were any, come first and end with a blank line.
    let inner = match inner.strip_prefix("mail options:") {
        Some(rest) => rest.split_once("\n\n").map(|(_, m)| m).unwrap_or(""),
        None => inner,
    };
    inner.to_string()
}

/// The connection to one client: TCP, or TLS over it.
enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    /// Between taking the TCP stream out for STARTTLS and putting the TLS one in.
    Gone,
}

impl Conn {
    fn tls(config: &Arc<ServerConfig>, tcp: TcpStream) -> std::io::Result<Conn> {
        let server = ServerConnection::new(config.clone()).map_err(std::io::Error::other)?;
        Ok(Conn::Tls(Box::new(StreamOwned::new(server, tcp))))
    }

    fn gone() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::NotConnected, "connection closed")
    }

    fn shutdown(&mut self) {
        match self {
            Conn::Plain(tcp) => {
                let _ = tcp.shutdown(Shutdown::Both);
            }
            Conn::Tls(tls) => {
                tls.conn.send_close_notify();
                let _ = tls.flush();
                let _ = tls.sock.shutdown(Shutdown::Both);
            }
            Conn::Gone => {}
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
            Conn::Gone => Err(Conn::gone()),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
            Conn::Gone => Err(Conn::gone()),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
            Conn::Gone => Err(Conn::gone()),
        }
    }
}

/// One client's conversation.
struct Session {
    reader: BufReader<Conn>,
    peer: SocketAddr,
    received: Inbox,
    tls: TlsMode,
    greeted: bool,
    mail_options: Option<Vec<String>>,
    recipients: usize,
}

impl Session {
    fn new(stream: TcpStream, received: Inbox, tls: TlsMode) -> Session {
        let peer = stream.peer_addr().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
        let conn = match &tls {
            TlsMode::Implicit(config) => Conn::tls(config, stream).unwrap_or(Conn::Gone),
            TlsMode::Off | TlsMode::StartTls(_) => Conn::Plain(stream),
        };
        Session {
            reader: BufReader::new(conn),
            peer,
            received,
            tls,
            greeted: false,
            mail_options: None,
            recipients: 0,
        }
    }

    fn encrypted(&self) -> bool {
        matches!(self.reader.get_ref(), Conn::Tls(_))
    }

    fn reply(&mut self, text: &str) -> std::io::Result<()> {
        let conn = self.reader.get_mut();
        conn.write_all(text.as_bytes())?;
        conn.write_all(b"\r\n")?;
        conn.flush()
    }

    /// STARTTLS (RFC 3207): offered only in that mode and before TLS; the client must not
    /// have sent anything after the command; the conversation starts over (EHLO again).
    fn starttls(&mut self) -> std::io::Result<()> {
        let TlsMode::StartTls(config) = self.tls.clone() else {
            return self.reply("502 5.5.1 Error: command \"STARTTLS\" not implemented");
        };
        if self.encrypted() {
            return self.reply("503 5.5.1 Error: TLS already active");
        }
        if !self.reader.buffer().is_empty() {
            return self.reply("501 5.5.4 Error: data after STARTTLS");
        }
        self.reply("220 2.0.0 Ready to start TLS")?;
        let Conn::Plain(tcp) = std::mem::replace(self.reader.get_mut(), Conn::Gone) else {
            return Err(Conn::gone());
        };
        *self.reader.get_mut() = Conn::tls(&config, tcp)?;
        self.greeted = false;
        self.reset();
        Ok(())
    }

    /// A line without its CRLF; `None` at the end of the stream, an error for a bare LF.
    fn line(&mut self) -> std::io::Result<Option<Result<Vec<u8>, ()>>> {
        let mut buf = Vec::new();
        if self.reader.read_until(b'\n', &mut buf)? == 0 {
            return Ok(None);
        }
        Ok(Some(match buf.strip_suffix(b"\r\n") {
            Some(line) => Ok(line.to_vec()),
            None => Err(()),
        }))
    }

    fn run(mut self) -> std::io::Result<()> {
        self.reply("220 cqdt-testing ESMTP sink (messages are kept, never relayed)")?;
        while let Some(line) = self.line()? {
            let Ok(line) = line else {
                self.reply("500 5.5.2 Error: bad syntax (line not ended by CRLF)")?;
                continue;
            };
            let line = String::from_utf8_lossy(&line).to_string();
            let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
            match verb.to_ascii_uppercase().as_str() {
                "EHLO" if !arg.is_empty() => {
                    self.greeted = true;
                    self.reset();
                    self.reply("250-localhost")?;
                    if matches!(self.tls, TlsMode::StartTls(_)) && !self.encrypted() {
                        self.reply("250-STARTTLS")?;
                    }
                    self.reply("250-SIZE 33554432")?;
                    self.reply("250-8BITMIME")?;
                    self.reply("250-SMTPUTF8")?;
                    self.reply("250 HELP")?;
                }
                "HELO" if !arg.is_empty() => {
                    self.greeted = true;
                    self.reset();
                    self.reply("250 localhost")?;
                }
                "EHLO" | "HELO" => self.reply("501 Syntax: EHLO hostname")?,
                "MAIL" => self.mail(arg)?,
                "RCPT" => self.rcpt(arg)?,
                "DATA" => self.data()?,
                "STARTTLS" if arg.is_empty() => self.starttls()?,
                "RSET" => {
                    self.reset();
                    self.reply("250 OK")?;
                }
                "NOOP" => self.reply("250 OK")?,
                "VRFY" => self.reply("252 Cannot VRFY user")?,
                "QUIT" => {
                    self.reply("221 Bye")?;
                    self.reader.get_mut().shutdown();
                    return Ok(());
                }
                _ => self.reply(&format!("500 Error: command \"{verb}\" not recognized"))?,
            }
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.mail_options = None;
        self.recipients = 0;
    }

    fn mail(&mut self, arg: &str) -> std::io::Result<()> {
        if !self.greeted {
            return self.reply("503 Error: send HELO first");
        }
        if self.mail_options.is_some() {
            return self.reply("503 Error: nested MAIL command");
        }
        let Some(path) = address(arg, "FROM:") else {
            return self.reply("501 Syntax: MAIL FROM: <address>");
        };
        let options = path.1.split_whitespace().map(str::to_uppercase).collect();
        self.mail_options = Some(options);
        self.reply("250 OK")
    }

    fn rcpt(&mut self, arg: &str) -> std::io::Result<()> {
        if self.mail_options.is_none() {
            return self.reply("503 Error: need MAIL command");
        }
        match address(arg, "TO:") {
            Some((to, _)) if !to.is_empty() => {
                self.recipients += 1;
                self.reply("250 OK")
            }
            _ => self.reply("501 Syntax: RCPT TO: <address>"),
        }
    }

    fn data(&mut self) -> std::io::Result<()> {
        if self.recipients == 0 {
            return self.reply("503 Error: need RCPT command");
        }
        self.reply("354 End data with <CR><LF>.<CR><LF>")?;
        let mut lines = Vec::new();
        let mut bare_lf = false;
        loop {
            match self.line()? {
                None => return Ok(()),
                Some(Err(())) => bare_lf = true,
                Some(Ok(line)) if line == b"." => break,
                Some(Ok(line)) => {
                    let line = line.strip_prefix(b".").unwrap_or(&line);
                    lines.push(String::from_utf8_lossy(line).to_string());
                }
            }
        }
        let options = self.mail_options.take().unwrap_or_default();
        self.recipients = 0;
        if bare_lf {
            return self.reply("550 5.6.2 Error: bare LF in the message (lines must end in CRLF)");
        }
        let printed = print(&self.peer, &options, &lines);
        let tls = self.encrypted();
        if let Ok(mut r) = self.received.lock() {
            r.push(Received { printed, tls });
        }
        self.reply("250 OK: message accepted for delivery")
    }
}

/// `FROM:<a@b> PARAMS` → (`a@b`, `PARAMS`).
fn address<'a>(arg: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let prefix = arg.get(..keyword.len())?;
    if !prefix.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start().strip_prefix('<')?;
    let (path, params) = rest.split_once('>')?;
    Some((path, params.trim()))
}

/// A message as aiosmtpd's `Debugging` handler prints it.
fn print(peer: &SocketAddr, options: &[String], lines: &[String]) -> String {
    let mut out = format!("{BEGIN}\n");
    if !options.is_empty() {
        let quoted: Vec<String> = options.iter().map(|o| format!("'{o}'")).collect();
        out.push_str(&format!("mail options: [{}]\n\n", quoted.join(", ")));
    }
    let mut in_headers = true;
    for line in lines {
        if in_headers && line.is_empty() {
            out.push_str(&format!("X-Peer: {}\n", peer.ip()));
            in_headers = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn talk(port: u16, script: &[&str]) -> Vec<String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let mut reader = BufReader::new(stream.try_clone().expect("clone"));
        let mut writer = stream;
        let mut replies = Vec::new();
        let mut read_reply = |reader: &mut BufReader<TcpStream>| loop {
            let mut l = String::new();
            reader.read_line(&mut l).expect("reply");
            let last = l.as_bytes().get(3) != Some(&b'-');
            replies.push(l.trim_end().to_string());
            if last {
                break;
            }
        };
        read_reply(&mut reader);
        for s in script {
            writer.write_all(s.as_bytes()).expect("send");
            read_reply(&mut reader);
        }
        replies
    }

    fn port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port")
    }

    #[tokio::test]
    async fn a_message_is_kept_with_dots_unstuffed_and_printed_like_aiosmtpd() {
        let port = port();
        let sink = SmtpSink::start(port).await;
        let replies = talk(
            port,
            &[
                "EHLO client\r\n",
                "MAIL FROM:<a@example.vn> BODY=8BITMIME\r\n",
                "RCPT TO:<b@example.vn>\r\n",
                "DATA\r\n",
                "Subject: Thử\r\n\r\n..dot\r\nbody\r\n.\r\n",
                "QUIT\r\n",
            ],
        );
        assert!(replies[0].starts_with("220 "), "{replies:?}");
        assert!(replies.iter().any(|r| r == "250 8BITMIME" || r == "250-8BITMIME"));
        assert!(replies.iter().any(|r| r.starts_with("354 ")));
        assert!(replies.iter().any(|r| r.starts_with("250 OK: message")));
        let messages = sink.messages(1).await;
        assert_eq!(messages[0], "Subject: Thử\nX-Peer: 127.0.0.1\n\n.dot\nbody\n");
        assert!(sink.output().starts_with(
            "---------- MESSAGE FOLLOWS ----------\nmail options: ['BODY=8BITMIME']\n\n"
        ));
    }

    #[tokio::test]
    async fn starttls_is_offered_only_by_a_sink_that_speaks_it() {
        let plain = port();
        let _sink = SmtpSink::start(plain).await;
        let replies = talk(plain, &["EHLO client\r\n", "STARTTLS\r\n", "QUIT\r\n"]);
        assert!(!replies.iter().any(|r| r.ends_with("STARTTLS")), "{replies:?}");
        assert!(replies.iter().any(|r| r.starts_with("502 ")), "{replies:?}");
        let ca = crate::tls::TestCa::new("cqdt test CA");
        let tls = port();
        let _sink = SmtpSink::start_starttls(tls, ca.server_config()).await;
        let replies = talk(tls, &["EHLO client\r\n", "STARTTLS\r\n"]);
        assert!(replies.iter().any(|r| r == "250-STARTTLS"), "{replies:?}");
        assert!(replies.last().is_some_and(|r| r.starts_with("220 2.0.0")), "{replies:?}");
    }

    #[tokio::test]
    async fn commands_out_of_order_and_bare_line_feeds_are_refused() {
        let port = port();
        let sink = SmtpSink::start(port).await;
        let replies = talk(
            port,
            &[
                "MAIL FROM:<a@example.vn>\r\n",
                "HELO client\r\n",
                "DATA\r\n",
                "RCPT TO:<b@example.vn>\r\n",
                "NOOP\n",
                "QUIT\r\n",
            ],
        );
        let codes: Vec<&str> = replies.iter().map(|r| &r[..3]).collect();
        assert_eq!(codes, ["220", "503", "250", "503", "503", "500", "221"]);
        assert_eq!(sink.output(), "");
    }
}

//! Delivery adapters: e-mail over SMTP and SMS through an HTTP gateway.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use cqdt_platform::TlsTrust;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;

use crate::model::{NotifyError, SmtpSecurity, SmtpUrl};

/// A boxed future, so that adapters can be used as trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How long one SMTP or SMS attempt may take, well inside the job queue's lease.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends e-mail through one SMTP server: over implicit TLS (`smtps://`), STARTTLS required
/// (`?starttls=required`), or plain SMTP to a relay on the same host or a trusted network. The
/// server's certificate is verified against the Mozilla roots and the CA bundle of `trust`.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    url: SmtpUrl,
}

impl SmtpMailer {
    /// A mailer for `url` sending as `from` (`addr@domain` or `Name <addr@domain>`), trusting
    /// `trust`'s roots for TLS.
    pub fn new(url: &SmtpUrl, from: &str, trust: &TlsTrust) -> Result<Self, NotifyError> {
        let from: Mailbox = from.trim().parse().map_err(|e| {
            NotifyError::Config(format!("sender address {from:?} is not usable: {e}"))
        })?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(url.host.as_str())
                .port(url.port)
                .timeout(Some(DELIVERY_TIMEOUT))
                .tls(match url.security {
                    SmtpSecurity::Plain => Tls::None,
                    // lettre refuses a server whose EHLO does not offer STARTTLS.
                    SmtpSecurity::StartTls => Tls::Required(tls_parameters(&url.host, trust)?),
                    SmtpSecurity::ImplicitTls => Tls::Wrapper(tls_parameters(&url.host, trust)?),
                });
        if let Some((user, pass)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(SmtpMailer { transport: builder.build(), from, url: url.clone() })
    }

    /// The server, with the password hidden.
    pub fn describe(&self) -> String {
        format!("{} (from {})", self.url, self.from)
    }

    /// Sends one plain-text UTF-8 message; returns the server's answer. `message_key` makes
    /// the Message-ID, so that a repeated delivery of the same notification can be recognised.
    pub async fn send(
        &self,
        message_key: &str,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<String, NotifyError> {
        let to: Mailbox =
            to.parse().map_err(|e| NotifyError::Delivery(format!("recipient {to:?}: {e}")))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .message_id(Some(format!("<{message_key}@{}>", self.from.email.domain())))
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_string())
            .map_err(|e| NotifyError::Delivery(format!("building the message: {e}")))?;
        let sent = tokio::time::timeout(DELIVERY_TIMEOUT, self.transport.send(message)).await;
        match sent {
            Ok(Ok(response)) => Ok(format!(
                "SMTP {}: {} {}",
                self.url,
                response.code(),
                response.message().collect::<Vec<_>>().join(" ")
            )),
            Ok(Err(e)) => Err(NotifyError::Delivery(format!("SMTP {}: {e}", self.url))),
            Err(_) => Err(NotifyError::Delivery(format!(
                "SMTP {}: no answer within {} s",
                self.url,
                DELIVERY_TIMEOUT.as_secs()
            ))),
        }
    }
}

/// TLS towards `host`: the Mozilla roots plus the CA bundle, verified for the host name.
fn tls_parameters(host: &str, trust: &TlsTrust) -> Result<TlsParameters, NotifyError> {
    let config = |e: lettre::transport::smtp::Error| NotifyError::Config(format!("SMTP TLS: {e}"));
    let mut builder =
        TlsParameters::builder(host.to_string()).certificate_store(CertificateStore::WebpkiRoots);
    for root in trust.extra_roots() {
        builder =
            builder.add_root_certificate(Certificate::from_der(root.to_vec()).map_err(config)?);
    }
    builder.build_rustls().map_err(config)
}

/// An SMS gateway: the adapter every SMS provider (or the sandbox) is reached through.
pub trait SmsGateway: Send + Sync {
    /// Sends `text` to `to` (`+84…`); returns the gateway's answer, or a delivery error.
    fn send_sms<'a>(
        &'a self,
        to: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<String, NotifyError>>;

    /// Where messages go, for pages and logs (no secrets).
    fn describe(&self) -> String;
}

/// The HTTP gateway: `POST {url}` with JSON `{"to": "...", "text": "..."}` and an optional
/// bearer token; any 2xx answer is success.
#[derive(Clone)]
pub struct HttpSmsGateway {
    client: reqwest::Client,
    url: reqwest::Url,
    token: Option<String>,
}

impl HttpSmsGateway {
    /// A gateway at `url` (`https://`, its certificate verified against `trust`'s roots, or
    /// `http://`), with an optional token.
    pub fn new(url: &str, token: Option<String>, trust: &TlsTrust) -> Result<Self, NotifyError> {
        let parsed = reqwest::Url::parse(url.trim())
            .map_err(|e| NotifyError::Config(format!("SMS gateway URL {url:?}: {e}")))?;
        match parsed.scheme() {
            "http" | "https" => {}
            other => {
                return Err(NotifyError::Config(format!(
                    "SMS gateway URL: unsupported scheme {other}://"
                )))
            }
        }
        if parsed.host_str().is_none() {
            return Err(NotifyError::Config("SMS gateway URL has no host".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .use_preconfigured_tls(trust.client_config())
            .build()
            .map_err(|e| NotifyError::Config(format!("HTTP client: {e}")))?;
        Ok(HttpSmsGateway { client, url: parsed, token: token.filter(|t| !t.is_empty()) })
    }
}

impl SmsGateway for HttpSmsGateway {
    fn send_sms<'a>(
        &'a self,
        to: &'a str,
        text: &'a str,
    ) -> BoxFuture<'a, Result<String, NotifyError>> {
        Box::pin(async move {
            let mut request =
                self.client.post(self.url.clone()).json(&json!({ "to": to, "text": text }));
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let response = request
                .send()
                .await
                .map_err(|e| NotifyError::Delivery(format!("SMS gateway {}: {e}", self.url)))?;
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            let body: String = body.chars().take(300).collect();
            if status.is_success() {
                Ok(format!("SMS gateway {}: HTTP {} {}", self.url, status.as_u16(), body.trim()))
            } else {
                Err(NotifyError::Delivery(format!(
                    "SMS gateway {} answered HTTP {}: {}",
                    self.url,
                    status.as_u16(),
                    body.trim()
                )))
            }
        })
    }

    fn describe(&self) -> String {
        format!("{}{}", self.url, if self.token.is_some() { " (bearer token)" } else { "" })
    }
}

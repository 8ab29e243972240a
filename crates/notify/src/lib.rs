//! Notifications (part of M21): e-mail over SMTP, SMS through an HTTP gateway adapter, and
//! in-app notices, from Vietnamese templates, delivered through the platform's transactional
//! outbox with retries and a per-attempt delivery log.
//!
//! # Using it from another module
//!
//! ```text
//! let req = NotificationRequest::email("an@example.vn", "dossier_received")
//!     .param("applicant_name", "Nguyễn Văn An")
//!     .param("agency_name", "Bộ phận Một cửa")
//!     .param("dossier_code", "000.18.29.H51-250612-0001")
//!     .param("procedure_name", "Cấp giấy phép xây dựng")
//!     .param("received_date", "12/06/2025")
//!     .param("due_date", "26/06/2025");
//! let mut tx = db.begin().await?;
//! // … the module's own writes …
//! notifier.send(&mut tx, &req).await?; // validated and rendered first; nothing written on error
//! tx.commit().await?;
//! jobs.wake();
//! ```
//!
//! # Wiring it into the binary
//!
//! ```text
//! let notifier = cqdt_notify::Notifier::new(
//!     db.clone(),
//!     clock.clone(),
//!     platform.jobs.clone(),
//!     &cqdt_notify::NotifyConfig {
//!         smtp_url: config.smtp_url.clone(),   // CQDT_SMTP_URL, smtps://… or smtp://… (SmtpUrl)
//!         smtp_from: config.smtp_from.clone(), // CQDT_SMTP_FROM
//!         sms_url: config.sms_url.clone(),     // CQDT_SMS_URL, https://…/api/sms
//!         sms_token: config.sms_token.clone(), // CQDT_SMS_TOKEN
//!         tls: config.tls.clone(),             // CQDT_TLS_CA_FILE, as a TlsTrust
//!     },
//! )?;
//! notifier.register(&platform.jobs); // before the job worker starts
//! let routes: axum::Router = cqdt_notify::http::router(cqdt_notify::http::NotifyState {
//!     platform: platform.clone(),
//!     notifier: notifier.clone(),
//!     audit: audit.clone(),
//! });
//! // merge `routes` into the app; merge cqdt_notify::http::ApiDoc into the OpenAPI document.
//! // `cqdt sandbox sms --listen ADDR [--token T]` serves cqdt_notify::SmsSandbox::new(token).router()
//! // (or sms_sandbox_router() without a token).
//! ```

#![warn(missing_docs)]

pub mod channels;
pub mod http;
pub mod model;
pub mod sandbox;
pub mod service;
pub mod store;

pub use channels::{BoxFuture, HttpSmsGateway, SmsGateway, SmtpMailer};
pub use model::{
    parse_email, parse_recipient, parse_vn_phone, render, template, Channel, Delivery,
    DeliveryOutcome, MessageTemplate, Notice, Notification, NotificationFilter, NotificationId,
    NotificationRequest, NotificationStatus, NotifyError, PreparedNotification, Rendered,
    SmtpSecurity, SmtpUrl, TEMPLATES,
};
pub use sandbox::{sms_sandbox_router, SandboxSms, SmsSandbox};
pub use service::{ChannelInfo, Notifier, NotifyConfig, DELIVER_JOB};

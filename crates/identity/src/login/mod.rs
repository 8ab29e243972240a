//! People signing in: registration with a verified contact, password login with lockout,
//! the second factor, browser sessions, password reset, and the principal every module's
//! handlers receive.

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use cqdt_audit::AuditEvent;
use cqdt_notify::{Channel, NotificationRequest};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{FieldError, Tx};
use sha2::{Digest, Sha256};

use crate::account::Account;
use crate::error::IdentityError;
use crate::model::B64;
use crate::service::IdentityService;
use crate::store::accounts::SessionRow;

mod password_login;
mod recovery;
mod registration;
mod second_factor;
mod session;

/// How long a node trusts a resolved session.
pub const PRINCIPAL_CACHE: Duration = Duration::from_secs(5);

/// argon2 computations allowed at once on a node.
pub const HASHING_AT_ONCE: usize = 2;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cqdt_session";
/// A session ends after this long without a request.
pub const SESSION_IDLE: Duration = Duration::from_secs(2 * 3600);
/// A session ends this long after sign-in, whatever happens.
pub const SESSION_MAX: Duration = Duration::from_secs(12 * 3600);
/// Failed logins in a row that lock an account for [`LOCKOUT`].
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long an account stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(15 * 60);
/// Life of an e-mailed or texted verification code.
const VERIFY_CODE_LIFE: Duration = Duration::from_secs(10 * 60);
/// Wrong guesses allowed per verification code.
const VERIFY_CODE_ATTEMPTS: i64 = 5;
/// How long a registration that was never verified keeps its personal ID, phone and e-mail
/// from others; after that whoever registers them again takes them over.
pub const UNVERIFIED_LIFE: Duration = Duration::from_secs(24 * 3600);
/// Verification codes sent per account, and per phone number or e-mail address, within
/// [`CODE_SEND_WINDOW`] (the first code and the re-sends together).
pub const MAX_CODE_SENDS: u32 = 4;
/// The window of [`MAX_CODE_SENDS`]; reaching the limit waits this long.
pub const CODE_SEND_WINDOW: Duration = Duration::from_secs(3600);
/// Life of a password reset link.
const RESET_LINK_LIFE: Duration = Duration::from_secs(30 * 60);
/// Life of an official's activation link.
pub(crate) const ACTIVATION_LIFE: Duration = Duration::from_secs(72 * 3600);

/// How far a session has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password accepted; the second factor is due.
    SecondFactor,
    /// An official who has no second factor yet must enrol one before anything else.
    Enrol,
    /// Signed in.
    Full,
}

impl Stage {
    fn as_str(self) -> &'static str {
        match self {
            Stage::SecondFactor => "mfa",
            Stage::Enrol => "enroll",
            Stage::Full => "full",
        }
    }

    fn parse(s: &str) -> Option<Stage> {
        match s {
            "mfa" => Some(Stage::SecondFactor),
            "enroll" => Some(Stage::Enrol),
            "full" => Some(Stage::Full),
            _ => None,
        }
    }
}

/// Where a login left the browser.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie value to set (the session's secret).
    pub cookie: String,
    /// How far the session has got.
    pub stage: Stage,
    /// The account.
    pub account: Account,
}

/// A live session with its account.
#[derive(Debug, Clone)]
pub struct LiveSession {
    /// The session.
    pub session: SessionRow,
    /// Its stage.
    pub stage: Stage,
    /// The account.
    pub account: Account,
}

/// The audit event of something done to account `a`, in its own name, for request `request_id`.
pub(crate) fn account_event(a: &Account, action: &str, request_id: &str) -> AuditEvent {
    AuditEvent::new(&a.actor(), action, "account").object(a.id.clone()).request(request_id)
}

/// Where a request came from, for sessions and the audit log.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Address.
    pub ip: String,
    /// Browser.
    pub user_agent: String,
    /// Request id.
    pub request_id: String,
}

/// The digest a secret (cookie, code, link) is stored under.
pub(crate) fn digest(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn random_token() -> String {
    B64.encode(rand::random::<[u8; 32]>())
}

fn later(now: DateTime<Utc>, d: Duration) -> String {
    format_ts(now + chrono::Duration::from_std(d).unwrap_or_default())
}

fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn field(field: &str, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

impl IdentityService {
    async fn audit_tx(&self, tx: &mut Tx, event: AuditEvent) -> Result<(), IdentityError> {
        self.inner.audit.record(tx, event).await?;
        Ok(())
    }

    async fn audit_now(&self, event: AuditEvent) -> Result<(), IdentityError> {
        self.inner.audit.record_now(event).await?;
        Ok(())
    }

    /// Sends a one-time message in the caller's transaction, if a notifier is attached.
    async fn notify(
        &self,
        tx: &mut Tx,
        channel: Channel,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), IdentityError> {
        let Some(n) = self.inner.notifier.get() else {
            tracing::warn!("no notifier attached; a one-time code was not sent");
            return Ok(());
        };
        let mut req = NotificationRequest::new(channel, to, "generic");
        req.params.insert("subject".into(), subject.into());
        req.params.insert("body".into(), body.into());
        n.send(tx, &req)
            .await
            .map_err(|e| IdentityError::Invalid(format!("Không gửi được thông báo: {e}")))?;
        Ok(())
    }

    fn wake_notifier(&self) {
        if let Some(n) = self.inner.notifier.get() {
            n.wake();
        }
    }
}

//! Secrets at rest: TOTP secrets and signing keys' private parts are sealed (AES-256-GCM,
//! `cqdt_platform::sealing`) under the configured key-encryption key, bound to their row.
//! Values an older release stored in clear are sealed when the service starts; `cqdt kek
//! rewrap` reseals everything under the current key after a rotation.

use cqdt_audit::AuditEvent;
use cqdt_platform::sealing::{SealError, Sealer};
use cqdt_platform::Db;
use serde_json::json;

use crate::account::Account;
use crate::error::IdentityError;
use crate::service::IdentityService;
use crate::store::sealed::{self as st, SealedColumn};

impl From<SealError> for IdentityError {
    fn from(e: SealError) -> Self {
        IdentityError::Key(e.to_string())
    }
}

/// How many values a pass sealed or resealed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Resealed {
    /// TOTP secrets.
    pub totp_secrets: usize,
    /// Signing keys' private parts.
    pub signing_keys: usize,
}

/// Seals under the current key every value not sealed under it yet (only those still in clear
/// when `clear_only`), in one transaction: a value that does not open (a key-encryption key
/// missing from the configuration) stops the pass before anything is written.
pub(crate) async fn reseal(
    db: &Db,
    sealer: &Sealer,
    clear_only: bool,
) -> Result<Resealed, IdentityError> {
    let mut changes = Vec::new();
    for column in [SealedColumn::TotpSecret, SealedColumn::PrivateKey] {
        for (row, stored) in st::values(db, column, clear_only).await? {
            if let Some(new) = sealer.reseal_text(&column.context(&row), &stored)? {
                changes.push((column, row, stored, new));
            }
        }
    }
    let mut done = Resealed::default();
    if changes.is_empty() {
        return Ok(done);
    }
    let mut tx = db.begin().await?;
    for (column, row, old, new) in &changes {
        // Another node may have resealed it meanwhile: then its value stands.
        if st::replace(&mut tx, *column, row, old, new).await? {
            match column {
                SealedColumn::TotpSecret => done.totp_secrets += 1,
                SealedColumn::PrivateKey => done.signing_keys += 1,
            }
        }
    }
    tx.commit().await?;
    Ok(done)
}

impl IdentityService {
    /// Reseals every TOTP secret and signing key under the current key-encryption key (after a
    /// rotation: once done, the previous keys are no longer needed). Audited.
    #[tracing::instrument(skip_all, fields(actor = %actor))]
    pub async fn rewrap_secrets(&self, actor: &str) -> Result<Resealed, IdentityError> {
        let sealer = &self.inner.config.sealer;
        let done = reseal(&self.inner.db, sealer, false).await?;
        let event = AuditEvent::new(actor, "identity.kek.rewrap", "kek").details(json!({
            "kek": sealer.current_id(),
            "totp_secrets": done.totp_secrets,
            "signing_keys": done.signing_keys,
        }));
        self.inner.audit.record_now(event).await?;
        self.inner.keys.reload().await?;
        Ok(done)
    }

    /// The clear TOTP secret of an account, if it has one.
    pub(crate) fn totp_secret(&self, a: &Account) -> Result<Option<String>, IdentityError> {
        let context = SealedColumn::TotpSecret.context(&a.id);
        Ok(a.totp_secret
            .as_deref()
            .map(|s| self.inner.config.sealer.open_text(&context, s))
            .transpose()?)
    }

    /// A TOTP secret sealed for storage in an account's row.
    pub(crate) fn seal_totp_secret(&self, account_id: &str, secret: &str) -> String {
        let context = SealedColumn::TotpSecret.context(account_id);
        self.inner.config.sealer.seal(&context, secret.as_bytes())
    }

    /// The secret of a TOTP enrolment begun but not confirmed (shown again on the enrolment
    /// page after a wrong code).
    pub fn pending_totp_secret(&self, a: &Account) -> Option<String> {
        if a.totp_enabled_at.is_some() {
            return None;
        }
        self.totp_secret(a).ok().flatten()
    }
}

//! The procedures' legal bases checked against the national legal documents database
//! (`cqdt procedures check-legal-bases`, and once a day in `cqdt serve` when
//! `CQDT_NATIONAL_LEGAL_URL` is set).

use std::sync::Arc;
use std::time::Duration;

use cqdt_national::LegalDocuments;
use cqdt_procedures::legal::LegalCheck;

use crate::app::{App, AppError};

/// The first check after start, then one a day.
const FIRST: Duration = Duration::from_secs(60);
const DAILY: Duration = Duration::from_secs(24 * 3600);

impl App {
    /// Checks every legal basis now (the command): against the configured database, reached at
    /// the configured address (a path is on this platform's own listen address).
    pub async fn check_legal_bases(&self, actor: &str) -> Result<LegalCheck, AppError> {
        let addr =
            self.config.listen.parse().map_err(|e| {
                AppError::Failed(format!("listen address {}: {e}", self.config.listen))
            })?;
        let national = crate::wiring::national(&self.config, addr).map_err(AppError::Failed)?;
        let Some(legal) = national.legal else {
            return Err(AppError::Failed(
                "the national legal documents database is not configured (CQDT_NATIONAL_LEGAL_URL)"
                    .into(),
            ));
        };
        self.procedures
            .check_legal_bases(legal.as_ref(), actor)
            .await
            .map_err(|e| AppError::Failed(format!("legal bases: {e}")))
    }

    /// Checks the legal bases a minute after start and then daily, until `shutdown`.
    pub fn spawn_legal_checks(
        &self,
        legal: Arc<dyn LegalDocuments>,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let procedures = self.procedures.clone();
        tokio::spawn(async move {
            let mut wait = FIRST;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => break,
                }
                wait = DAILY;
                match procedures.check_legal_bases(legal.as_ref(), "system").await {
                    Ok(r) => tracing::info!(
                        checked = r.checked,
                        not_in_force = r.not_in_force.len(),
                        not_found = r.not_found.len(),
                        failed = r.failed.len(),
                        "legal bases checked"
                    ),
                    Err(e) => tracing::warn!(error = %e, "legal bases not checked"),
                }
            }
        })
    }
}

//! The procedure catalog checked against the national databases: the legal bases against the
//! national legal documents database (`cqdt procedures check-legal-bases`,
//! `CQDT_NATIONAL_LEGAL_URL`) and the national codes against the national procedure database
//! (`cqdt procedures check-national-codes`, `CQDT_NATIONAL_PROCEDURES_URL`); in `cqdt serve`
//! each a minute after start and then once a day, when configured.

use std::time::Duration;

use cqdt_national::National;
use cqdt_procedures::legal::LegalCheck;
use cqdt_procedures::national_codes::NationalCodeCheck;

use crate::app::{App, AppError};

/// The first check after start, then one a day.
const FIRST: Duration = Duration::from_secs(60);
const DAILY: Duration = Duration::from_secs(24 * 3600);

impl App {
    /// The national systems as configured, reached at the configured addresses (a path is on
    /// this platform's own listen address).
    fn configured_national(&self) -> Result<National, AppError> {
        let addr =
            self.config.listen.parse().map_err(|e| {
                AppError::Failed(format!("listen address {}: {e}", self.config.listen))
            })?;
        crate::wiring::national(&self.config, addr).map_err(AppError::Failed)
    }

    /// Checks every legal basis now (the command).
    pub async fn check_legal_bases(&self, actor: &str) -> Result<LegalCheck, AppError> {
        let Some(legal) = self.configured_national()?.legal else {
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

    /// Checks every national code now (the command).
    pub async fn check_national_codes(&self, actor: &str) -> Result<NationalCodeCheck, AppError> {
        let Some(db) = self.configured_national()?.procedures else {
            return Err(AppError::Failed(
                "the national procedure database is not configured (CQDT_NATIONAL_PROCEDURES_URL)"
                    .into(),
            ));
        };
        self.procedures
            .check_national_codes(db.as_ref(), actor)
            .await
            .map_err(|e| AppError::Failed(format!("national codes: {e}")))
    }

    /// Runs the configured checks a minute after start and then daily, until `shutdown`;
    /// `None` when neither database is configured.
    pub fn spawn_catalog_checks(
        &self,
        national: &National,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        let (legal, codes) = (national.legal.clone(), national.procedures.clone());
        if legal.is_none() && codes.is_none() {
            return None;
        }
        let procedures = self.procedures.clone();
        Some(tokio::spawn(async move {
            let mut wait = FIRST;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => break,
                }
                wait = DAILY;
                if let Some(legal) = &legal {
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
                if let Some(codes) = &codes {
                    match procedures.check_national_codes(codes.as_ref(), "system").await {
                        Ok(r) => tracing::info!(
                            checked = r.checked,
                            confirmed = r.confirmed,
                            not_found = r.not_found.len(),
                            failed = r.failed.len(),
                            "national codes checked"
                        ),
                        Err(e) => tracing::warn!(error = %e, "national codes not checked"),
                    }
                }
            }
        }))
    }
}

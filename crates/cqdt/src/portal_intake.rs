//! The national public service portal as the one-stop system's channel: dossiers filed there
//! are taken every minute (and by `cqdt national take-portal-dossiers`), the changes of their
//! status go back through the outbox, and `cqdt national reconcile-portal` lists where the
//! portal and the province differ. Active when `CQDT_NATIONAL_PORTAL_URL` is set.

use std::sync::Arc;
use std::time::Duration;

use cqdt_dossiers::service::portal::{Intake, Reconciliation, REPORT_JOB};

use crate::app::{App, AppError};

/// How often the portal's feed is read.
const EVERY: Duration = Duration::from_secs(60);

impl App {
    /// Reports to the portal through the outbox: the dossier service writes them, this job
    /// sends them.
    pub fn connect_portal(&mut self) {
        let jobs = self.platform.jobs.clone();
        self.dossiers = self.dossiers.clone().with_portal_jobs(jobs.clone());
        let dossiers = self.dossiers.clone();
        jobs.register(
            REPORT_JOB,
            Arc::new(move |payload: String| {
                let dossiers = dossiers.clone();
                Box::pin(async move {
                    let v: serde_json::Value =
                        serde_json::from_str(&payload).map_err(|e| e.to_string())?;
                    let code = v["portal_code"].as_str().ok_or("no portal_code")?;
                    dossiers.send_portal_reports(code).await.map(|_| ())
                })
            }),
        );
    }

    /// This instance with the portal configured: the adapters, the outbox job.
    async fn with_portal(mut self) -> Result<App, AppError> {
        let addr =
            self.config.listen.parse().map_err(|e| {
                AppError::Failed(format!("listen address {}: {e}", self.config.listen))
            })?;
        let national = crate::wiring::national(&self.config, addr).map_err(AppError::Failed)?;
        if national.portal.is_none() {
            return Err(AppError::Failed(
                "the national public service portal is not configured (CQDT_NATIONAL_PORTAL_URL)"
                    .into(),
            ));
        }
        self.dossiers = self.dossiers.clone().with_national(national);
        self.connect_portal();
        // The receiving agencies are read from the catalog (serve does this at start).
        self.refresh_agencies().await;
        Ok(self)
    }

    /// One round now (the command), with the reports it owes sent before it ends (a report
    /// not sent stays in the outbox for `cqdt serve`).
    pub async fn take_portal_dossiers(self) -> Result<Intake, AppError> {
        let app = self.with_portal().await?;
        let mut intake = app.dossiers.take_from_portal().await.map_err(failed)?;
        // Sent here rather than by draining the outbox, which would also run the other
        // modules' deliveries from a command; the jobs then find nothing left to send.
        let (_, not_sent) = app.dossiers.send_pending_portal_reports().await.map_err(failed)?;
        if let Some((code, e)) = not_sent.first() {
            intake.stopped.get_or_insert(format!("reports on {code} not sent: {e}"));
        }
        Ok(intake)
    }

    /// The portal compared with what was reported, for the newest `limit` dossiers.
    pub async fn reconcile_portal(self, limit: i64) -> Result<Reconciliation, AppError> {
        let app = self.with_portal().await?;
        app.dossiers.reconcile_portal(limit).await.map_err(failed)
    }

    /// Takes the portal's dossiers every minute, until `shutdown`.
    pub fn spawn_portal_intake(
        &self,
        mut shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        let dossiers = self.dossiers.clone();
        tokio::spawn(async move {
            loop {
                match dossiers.take_from_portal().await {
                    Ok(i) if i.stopped.is_some() => tracing::warn!(
                        taken = i.taken.len(),
                        refused = i.refused.len(),
                        stopped = i.stopped.as_deref().unwrap_or_default(),
                        "portal dossiers taken in part"
                    ),
                    Ok(i)
                        if !(i.taken.is_empty()
                            && i.refused.is_empty()
                            && i.requests_applied.is_empty()
                            && i.requests_refused.is_empty()) =>
                    {
                        tracing::info!(
                            taken = i.taken.len(),
                            refused = i.refused.len(),
                            requests_applied = i.requests_applied.len(),
                            requests_refused = i.requests_refused.len(),
                            "portal dossiers taken"
                        );
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "portal dossiers not taken"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(EVERY) => {}
                    _ = shutdown.changed() => break,
                }
            }
        })
    }
}

fn failed(e: cqdt_dossiers::DossierError) -> AppError {
    AppError::Failed(format!("national portal: {e}"))
}

//! Direct submissions (the API for kiosks and mobile apps) through a batch writer: one
//! transaction, and a handful of statements, for all the submissions waiting at that moment
//! (group commit); a batch that fails is retried one by one, so that one bad submission
//! fails only itself.

use std::collections::BTreeMap;

use cqdt_audit::AuditEvent;
use cqdt_notify::NotificationRequest;
use cqdt_platform::clock::format_ts;
use tokio::sync::{mpsc, oneshot};

use super::filing::{mark_submitted, submission_audit, submission_notices, submission_step};
use super::{Applicant, DossierService};
use crate::error::DossierError;
use crate::model::{dossier_code, Dossier, DossierEvent, DossierFile};
use crate::store;

/// Most submissions one batch transaction takes.
const MAX_BATCH: usize = 64;

/// A submission waiting for the batch writer.
pub(super) struct Queued {
    who: Applicant,
    dossier: Dossier,
    /// Its attachments, already in the file store.
    files: Vec<DossierFile>,
    reply: oneshot::Sender<Result<Dossier, DossierError>>,
}

impl DossierService {
    /// Submits new dossiers through the batch writer: one transaction, and a handful of
    /// statements, for all the submissions waiting at that moment (group commit), each with
    /// its attachments.
    pub(super) async fn submit_batched(
        &self,
        who: &Applicant,
        d: Dossier,
        files: Vec<DossierFile>,
    ) -> Result<Dossier, DossierError> {
        let writer = self
            .batch
            .get_or_init(|| {
                let (tx, rx) = mpsc::channel(4 * MAX_BATCH);
                tokio::spawn(self.clone().write_batches(rx));
                tx
            })
            .clone();
        let (reply, answer) = oneshot::channel();
        writer
            .send(Queued { who: who.clone(), dossier: d, files, reply })
            .await
            .map_err(|_| DossierError::Internal("bộ ghi hồ sơ đã dừng".into()))?;
        answer.await.map_err(|_| DossierError::Internal("bộ ghi hồ sơ đã dừng".into()))?
    }

    async fn write_batches(self, mut rx: mpsc::Receiver<Queued>) {
        let mut buf = Vec::with_capacity(MAX_BATCH);
        while rx.recv_many(&mut buf, MAX_BATCH).await > 0 {
            let mut batch = std::mem::take(&mut buf);
            match self.commit_batch(&mut batch).await {
                Ok(()) => {
                    self.notifier.wake();
                    for q in batch {
                        let _ = q.reply.send(Ok(q.dossier));
                    }
                }
                Err(e) => {
                    if batch.len() > 1 {
                        tracing::warn!(error = %e, size = batch.len(), "batch of submissions failed; retrying one by one");
                    }
                    // Each alone, so that one bad submission fails only itself.
                    for mut q in batch {
                        let result = self.submit_alone(&q.who, &mut q.dossier, &q.files).await;
                        let _ = q.reply.send(result.map(|()| q.dossier));
                    }
                }
            }
        }
    }

    async fn submit_alone(
        &self,
        who: &Applicant,
        d: &mut Dossier,
        files: &[DossierFile],
    ) -> Result<(), DossierError> {
        let seq = self.early_seq(&d.agency_code).await?;
        let mut tx = self.db.begin().await?;
        self.finish_submission(&mut tx, who, d, files.len(), true, seq).await?;
        let attached: Vec<(&str, &DossierFile)> =
            files.iter().map(|f| (d.id.as_str(), f)).collect();
        store::insert_new_files(&mut tx, &attached, &d.updated_at).await?;
        tx.commit().await?;
        self.notifier.wake();
        Ok(())
    }

    async fn commit_batch(&self, batch: &mut [Queued]) -> Result<(), DossierError> {
        let now = self.clock.now();
        let today = self.today();
        let day = today.format("%Y-%m-%d").to_string();
        let mut tx = self.db.begin().await?;
        let mut by_agency: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, q) in batch.iter().enumerate() {
            by_agency.entry(q.dossier.agency_code.clone()).or_default().push(i);
        }
        for (agency, members) in by_agency {
            let n = members.len() as i64;
            let last = store::next_seqs(&mut tx, &agency, &day, n).await?;
            for (k, i) in members.into_iter().enumerate() {
                let code = dossier_code(&agency, today, last - n + 1 + k as i64);
                mark_submitted(&mut batch[i].dossier, code, &now);
            }
        }
        let dossiers: Vec<Dossier> = batch.iter().map(|q| q.dossier.clone()).collect();
        store::insert_many(&mut tx, &dossiers).await?;
        let attached: Vec<(&str, &DossierFile)> =
            batch.iter().flat_map(|q| q.files.iter().map(|f| (q.dossier.id.as_str(), f))).collect();
        store::insert_new_files(&mut tx, &attached, &format_ts(now)).await?;
        let steps: Vec<DossierEvent> =
            batch.iter().map(|q| submission_step(&q.who, &q.dossier, q.files.len())).collect();
        let firsts: Vec<(&str, &DossierEvent)> =
            batch.iter().zip(&steps).map(|(q, e)| (q.dossier.id.as_str(), e)).collect();
        store::insert_first_events(&mut tx, &firsts).await?;
        let notices: Vec<NotificationRequest> =
            batch.iter().flat_map(|q| submission_notices(&q.dossier, now)).collect();
        self.notifier
            .send_many(&mut tx, &notices)
            .await
            .map_err(|e| DossierError::Internal(format!("thông báo: {e}")))?;
        let audits: Vec<AuditEvent> =
            batch.iter().map(|q| submission_audit(&q.who, &q.dossier, q.files.len())).collect();
        self.audit.record_many(&mut tx, &audits).await?;
        tx.commit().await?;
        Ok(())
    }
}

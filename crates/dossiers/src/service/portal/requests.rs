//! Applicants' requests made on the national portal about dossiers taken from it: a
//! supplement answers the open supplement request with its files and note, a withdrawal
//! withdraws the dossier — as if the applicant had done it here (`supply`, `withdraw`, so the
//! same checks, timeline, notices and audit). What cannot be applied (no open request, a
//! dossier already decided, a file that is not a PDF or image…) is refused, and the portal is
//! told why with the dossier's status as it stands.

use cqdt_national::portal::{ApplicantRequest, PublicServicePortal, RequestKind};
use cqdt_platform::clock::format_ts;
use cqdt_platform::DbResultExt;
use sha2::{Digest, Sha256};

use super::{portal_status, Owed, PORTAL_ACCOUNT};
use crate::error::DossierError;
use crate::service::{DossierService, Upload};
use crate::store;

/// Requests asked for per page of the portal's feed.
const PAGE: u32 = 50;

/// Why a request was not applied: said to the applicant, or a failure here (asked again).
enum Refusal {
    Said(String),
    Undecided(String),
}

impl From<DossierError> for Refusal {
    fn from(e: DossierError) -> Self {
        match e {
            DossierError::Invalid(problems) => {
                let why: Vec<String> = problems.into_iter().map(|p| p.message).collect();
                Refusal::Said(why.join(" "))
            }
            e @ (DossierError::Db(_) | DossierError::Internal(_) | DossierError::Upstream(_)) => {
                Refusal::Undecided(e.to_string())
            }
            other => Refusal::Said(other.to_string()),
        }
    }
}

impl DossierService {
    /// Applies the requests made since the last round: (applied, refused with why), or why the
    /// round stopped (asked again next round).
    pub(super) async fn take_requests(
        &self,
        portal: &dyn PublicServicePortal,
        applied: &mut Vec<String>,
        refused: &mut Vec<(String, String)>,
    ) -> Result<(), String> {
        loop {
            let after: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM portal_requests")
                    .fetch_one(self.db.pool())
                    .await
                    .map_err(|e| e.to_string())?;
            let page = portal
                .requests_after(u64::try_from(after).unwrap_or(0), PAGE)
                .await
                .map_err(|e| e.to_string())?;
            if page.is_empty() {
                return Ok(());
            }
            for r in page {
                let what = format!("{} ({})", r.code, r.kind.label());
                match self.apply_request(portal, &r).await? {
                    None => applied.push(what),
                    Some(why) => refused.push((what, why)),
                }
            }
        }
    }

    /// Applies one request: `None` when done, the reason when refused; `Err` when undecided.
    async fn apply_request(
        &self,
        portal: &dyn PublicServicePortal,
        r: &ApplicantRequest,
    ) -> Result<Option<String>, String> {
        let account = format!("{PORTAL_ACCOUNT}{}", r.code);
        let actor = format!("account:{account}");
        let dossier = store::of_applicant(self.db.pool(), &account)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .next();
        let outcome = match &dossier {
            None => Err(Refusal::Said(
                "Tỉnh không có hồ sơ này (chưa tiếp nhận từ Cổng hoặc đã từ chối).".into(),
            )),
            Some(d) => {
                let code = d.code.clone().unwrap_or_default();
                match r.kind {
                    RequestKind::Withdrawal => {
                        self.withdraw(&account, &actor, &code, &r.note).await.map(|_| ())
                    }
                    RequestKind::Supplement => {
                        let mut uploads = Vec::with_capacity(r.files.len());
                        for f in &r.files {
                            let bytes = portal
                                .request_file(r.seq, f.index)
                                .await
                                .map_err(|e| e.to_string())?;
                            if hex::encode(Sha256::digest(&bytes)) != f.sha256 {
                                return self
                                    .refuse(
                                        r,
                                        dossier.as_ref(),
                                        format!(
                                            "Tệp “{}” nhận được không đúng với mã băm Cổng đã ghi.",
                                            f.name
                                        ),
                                    )
                                    .await
                                    .map(Some);
                            }
                            uploads.push(Upload {
                                component: f.component,
                                file_name: f.name.clone(),
                                declared_type: Some(f.media_type.clone()),
                                bytes,
                            });
                        }
                        self.supply(&account, &actor, &code, &uploads, &r.note).await.map(|_| ())
                    }
                }
                .map_err(Refusal::from)
            }
        };
        match outcome {
            Ok(()) => {
                self.record_request(r, None).await?;
                Ok(None)
            }
            Err(Refusal::Said(why)) => self.refuse(r, dossier.as_ref(), why).await.map(Some),
            Err(Refusal::Undecided(e)) => Err(e),
        }
    }

    /// Records a refused request and tells the portal, with the dossier's status unchanged.
    async fn refuse(
        &self,
        r: &ApplicantRequest,
        dossier: Option<&crate::model::Dossier>,
        why: String,
    ) -> Result<String, String> {
        let note = format!("Không thực hiện được yêu cầu {}: {why}", r.kind.label());
        self.record_request(r, Some((&note, dossier))).await?;
        Ok(why)
    }

    /// Writes the request's outcome (and, refused, the report owed to the portal) at once.
    async fn record_request(
        &self,
        r: &ApplicantRequest,
        refused: Option<(&str, Option<&crate::model::Dossier>)>,
    ) -> Result<(), String> {
        let now = format_ts(self.clock.now());
        let mut tx = self.db.begin().await.map_err(|e| e.to_string())?;
        sqlx::query(
            "INSERT INTO portal_requests (seq, portal_code, kind, refused, taken_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(i64::try_from(r.seq).unwrap_or(i64::MAX))
        .bind(&r.code)
        .bind(match r.kind {
            RequestKind::Supplement => "bo-sung",
            RequestKind::Withdrawal => "rut",
        })
        .bind(refused.map(|(n, _)| n))
        .bind(&now)
        .execute(&mut *tx)
        .await
        .ctx("recording a portal request")
        .map_err(|e| e.to_string())?;
        if let Some((note, Some(d))) = refused {
            if let Some(status) = portal_status(d.status, false) {
                let owed = Owed {
                    portal_code: &r.code,
                    status,
                    at: &now,
                    local_code: d.code.as_deref(),
                    due_date: d.due_date.as_deref(),
                    note: Some(note),
                };
                self.owe_report(&mut tx, owed).await.map_err(|e| e.to_string())?;
            }
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        self.portal_wake();
        Ok(())
    }
}

//! The national public service portal (Cổng DVC quốc gia) as the one-stop system's main
//! channel (issue 16). Each round takes the dossiers filed there for the province's agencies,
//! in the portal's order: a dossier whose procedure and agency are the province's and whose
//! files and e-form pass the portal's own review here ([`DossierService::file_directly`]) is
//! filed in the back office, waiting for reception like one filed on our portal; any other is
//! refused with its reason, which goes back to the portal. Every change of status of a dossier
//! taken from the portal is written, in the change's transaction, as a report owed to the
//! portal (`portal_reports`) with an outbox job that sends the dossier's reports in order;
//! a failed send is retried with back-off, and the reports behind it wait. A reconciliation
//! compares what the portal shows with what was reported.
//!
//! A dossier taken from the portal has the applicant account `dvcqg:{portal code}`: the person
//! has no account here and follows the dossier on the portal; a crash between filing it and
//! recording the take is mended on the next round by finding that account's dossier. One node
//! takes at a time (a lease in `portal_intake_lease`, renewed with each page, taken over when
//! it expires), so two nodes never file the same dossier.

use chrono::{DateTime, NaiveDate, Utc};
use cqdt_audit::AuditEvent;
use cqdt_national::portal::{FiledDossier, PortalStatus, PublicServicePortal, StatusReport};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{DbResultExt, JobQueue, Tx};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Applicant, DossierService, Upload};
use crate::error::DossierError;
use crate::model::{Dossier, DossierStatus};
use crate::store;

mod requests;

/// The applicant account of a dossier taken from the portal, before the portal's code.
pub const PORTAL_ACCOUNT: &str = "dvcqg:";
/// The job that sends a dossier's pending reports to the portal.
pub const REPORT_JOB: &str = "dossier.portal_report";
/// Dossiers asked for per page of the portal's feed.
const PAGE: u32 = 50;
/// How long a round holds the intake (renewed with each page); a node that dies holding it
/// blocks the others this long at most.
const LEASE_SECONDS: i64 = 300;

/// What a round of taking dossiers from the portal did.
#[derive(Debug, Default, Serialize)]
pub struct Intake {
    /// Taken: the portal's code and the dossier's code here.
    pub taken: Vec<(String, String)>,
    /// Refused: the portal's code and why.
    pub refused: Vec<(String, String)>,
    /// Why the round stopped before the end of the feed (the portal or a file could not be
    /// read); the rest is taken next round.
    pub stopped: Option<String>,
    /// Another node was taking from the portal: this round did nothing.
    pub elsewhere: bool,
    /// Applicants' requests applied: the portal's code and what was asked.
    pub requests_applied: Vec<String>,
    /// Applicants' requests refused: the portal's code and what was asked, and why.
    pub requests_refused: Vec<(String, String)>,
}

/// A dossier whose status on the portal is not what was reported.
#[derive(Debug, Serialize)]
pub struct Difference {
    /// The portal's code.
    pub portal_code: String,
    /// The dossier's code here, if it was taken.
    pub local_code: Option<String>,
    /// What was reported last (or is waiting to be sent), in words.
    pub ours: String,
    /// What the portal shows, in words.
    pub theirs: String,
}

/// The portal compared with what was reported.
#[derive(Debug, Default, Serialize)]
pub struct Reconciliation {
    /// Dossiers compared.
    pub compared: usize,
    /// Those that differ.
    pub differences: Vec<Difference>,
    /// Reports not yet acknowledged by the portal.
    pub pending: i64,
}

/// The status the portal shows for a dossier in `status` (`None`: not shown, a draft);
/// `apologised`: the change is an apology for lateness with a new date.
pub fn portal_status(status: DossierStatus, apologised: bool) -> Option<PortalStatus> {
    Some(match status {
        DossierStatus::Draft => return None,
        _ if apologised => PortalStatus::LateApology,
        DossierStatus::Submitted => PortalStatus::Waiting,
        DossierStatus::Received => PortalStatus::Received,
        DossierStatus::Supplement => PortalStatus::Supplement,
        DossierStatus::Processing => PortalStatus::Processing,
        DossierStatus::ResultReady => PortalStatus::ResultReady,
        DossierStatus::Returned => PortalStatus::Returned,
        DossierStatus::Refused => PortalStatus::Refused,
        DossierStatus::Withdrawn => PortalStatus::Withdrawn,
    })
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    portal_code: String,
    n: i64,
    status: String,
    at: String,
    local_code: Option<String>,
    due_date: Option<String>,
    note: Option<String>,
    reported_at: Option<String>,
}

impl ReportRow {
    fn report(&self) -> Result<StatusReport, String> {
        let status = PortalStatus::parse(&self.status)
            .ok_or_else(|| format!("trạng thái “{}” không rõ", self.status))?;
        let at = DateTime::parse_from_rfc3339(&self.at)
            .map_err(|e| format!("thời điểm {}: {e}", self.at))?
            .with_timezone(&Utc);
        let due_date =
            self.due_date.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        Ok(StatusReport {
            code: self.portal_code.clone(),
            local_code: self.local_code.clone(),
            status,
            at,
            due_date,
            note: self.note.clone(),
        })
    }
}

/// A change owed to the portal, before it is written.
pub(crate) struct Owed<'a> {
    pub portal_code: &'a str,
    pub status: PortalStatus,
    pub at: &'a str,
    pub local_code: Option<&'a str>,
    pub due_date: Option<&'a str>,
    pub note: Option<&'a str>,
}

impl DossierService {
    /// This service taking dossiers from the portal in `national` and reporting to it
    /// through `jobs` (where [`REPORT_JOB`] must be registered to
    /// [`DossierService::send_portal_reports`]).
    pub fn with_portal_jobs(mut self, jobs: JobQueue) -> Self {
        self.portal_jobs = Some(jobs);
        self
    }

    fn portal(&self) -> Result<&dyn PublicServicePortal, DossierError> {
        self.national.portal.as_deref().ok_or_else(|| {
            DossierError::Upstream("Chưa kết nối Cổng Dịch vụ công quốc gia.".into())
        })
    }

    /// Writes, in the caller's transaction, a change owed to the portal and the job that
    /// sends it.
    pub(crate) async fn owe_report(&self, tx: &mut Tx, o: Owed<'_>) -> Result<(), DossierError> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM portal_reports WHERE portal_code = $1",
        )
        .bind(o.portal_code)
        .fetch_one(&mut **tx)
        .await
        .ctx("numbering a report to the portal")?;
        sqlx::query(
            "INSERT INTO portal_reports (portal_code, n, status, at, local_code, due_date, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(o.portal_code)
        .bind(n)
        .bind(o.status.as_str())
        .bind(o.at)
        .bind(o.local_code)
        .bind(o.due_date)
        .bind(o.note)
        .execute(&mut **tx)
        .await
        .ctx("writing a report to the portal")?;
        if let Some(jobs) = &self.portal_jobs {
            jobs.enqueue(tx, REPORT_JOB, &json!({ "portal_code": o.portal_code })).await?;
        }
        Ok(())
    }

    /// Wakes the job worker after a commit that owed the portal a report.
    pub(crate) fn portal_wake(&self) {
        if let Some(jobs) = &self.portal_jobs {
            jobs.wake();
        }
    }

    /// Sends a dossier's reports not yet acknowledged, in order (the job); stops at the first
    /// the portal does not take, so that none overtakes another. How many were sent.
    pub async fn send_portal_reports(&self, portal_code: &str) -> Result<usize, String> {
        let portal = self.portal().map_err(|e| e.to_string())?;
        let rows: Vec<ReportRow> = sqlx::query_as(
            "SELECT portal_code, n, status, at, local_code, due_date, note, reported_at \
             FROM portal_reports WHERE portal_code = $1 AND reported_at IS NULL ORDER BY n",
        )
        .bind(portal_code)
        .fetch_all(self.db.pool())
        .await
        .map_err(|e| e.to_string())?;
        for row in &rows {
            portal.report(&row.report()?).await.map_err(|e| e.to_string())?;
            sqlx::query(
                "UPDATE portal_reports SET reported_at = $3 WHERE portal_code = $1 AND n = $2",
            )
            .bind(&row.portal_code)
            .bind(row.n)
            .bind(format_ts(self.clock.now()))
            .execute(self.db.pool())
            .await
            .map_err(|e| e.to_string())?;
        }
        Ok(rows.len())
    }

    /// Sends every report still owed, dossier by dossier (the command, after a round): how
    /// many were sent, and the dossiers whose reports could not be sent with why.
    pub async fn send_pending_portal_reports(
        &self,
    ) -> Result<(usize, Vec<(String, String)>), DossierError> {
        let codes: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT portal_code FROM portal_reports WHERE reported_at IS NULL ORDER BY portal_code",
        )
        .fetch_all(self.db.pool())
        .await
        .ctx("reading the reports owed to the portal")?;
        let (mut sent, mut failed) = (0, Vec::new());
        for code in codes {
            match self.send_portal_reports(&code).await {
                Ok(n) => sent += n,
                Err(e) => failed.push((code, e)),
            }
        }
        Ok((sent, failed))
    }

    /// Takes what was filed on the portal since the last round (the command and the periodic
    /// task of `cqdt serve`).
    #[tracing::instrument(skip(self))]
    pub async fn take_from_portal(&self) -> Result<Intake, DossierError> {
        let portal = self.portal()?;
        let holder = format!("{:032x}", rand::random::<u128>());
        if !self.intake_lease(&holder).await? {
            return Ok(Intake { elsewhere: true, ..Intake::default() });
        }
        let round = self.take_round(portal, &holder).await;
        sqlx::query("DELETE FROM portal_intake_lease WHERE name = 'intake' AND holder = $1")
            .bind(&holder)
            .execute(self.db.pool())
            .await
            .ctx("releasing the portal intake")?;
        round
    }

    /// Takes (or renews) the intake for `holder`: false when another node holds it.
    async fn intake_lease(&self, holder: &str) -> Result<bool, DossierError> {
        let now = self.clock.now();
        let until = now + chrono::Duration::seconds(LEASE_SECONDS);
        let done = sqlx::query(
            "INSERT INTO portal_intake_lease (name, holder, until_at) VALUES ('intake', $1, $2) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_at = excluded.until_at \
             WHERE portal_intake_lease.holder = $1 OR portal_intake_lease.until_at < $3",
        )
        .bind(holder)
        .bind(format_ts(until))
        .bind(format_ts(now))
        .execute(self.db.pool())
        .await
        .ctx("taking the portal intake")?;
        Ok(done.rows_affected() == 1)
    }

    async fn take_round(
        &self,
        portal: &dyn PublicServicePortal,
        holder: &str,
    ) -> Result<Intake, DossierError> {
        let mut intake = Intake::default();
        loop {
            if !self.intake_lease(holder).await? {
                intake.stopped = Some("another node took over the intake".into());
                return Ok(intake);
            }
            let after: i64 =
                sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM portal_dossiers")
                    .fetch_one(self.db.pool())
                    .await
                    .ctx("reading the portal's feed position")?;
            let page = match portal.filed_after(u64::try_from(after).unwrap_or(0), PAGE).await {
                Ok(p) => p,
                Err(e) => {
                    intake.stopped = Some(e.to_string());
                    return Ok(intake);
                }
            };
            if page.is_empty() {
                // The applicants' requests once every dossier they may be about is taken.
                let (applied, refused) =
                    (&mut intake.requests_applied, &mut intake.requests_refused);
                if let Err(stop) = self.take_requests(portal, applied, refused).await {
                    intake.stopped = Some(format!("yêu cầu của người nộp: {stop}"));
                }
                return Ok(intake);
            }
            for f in page {
                let seen: Option<String> = sqlx::query_scalar(
                    "SELECT portal_code FROM portal_dossiers WHERE portal_code = $1",
                )
                .bind(&f.code)
                .fetch_optional(self.db.pool())
                .await
                .ctx("looking for a portal dossier")?;
                if seen.is_some() {
                    continue;
                }
                match self.take_one(portal, &f).await {
                    Ok(Ok(d)) => intake.taken.push((f.code.clone(), d.code.unwrap_or_default())),
                    Ok(Err(why)) => intake.refused.push((f.code.clone(), why)),
                    Err(stop) => {
                        intake.stopped = Some(format!("hồ sơ {}: {stop}", f.code));
                        return Ok(intake);
                    }
                }
            }
        }
    }

    /// Takes one filed dossier: `Ok(Ok)` filed here, `Ok(Err)` refused for the reason given,
    /// `Err` not decided (the portal or the database failed; asked again next round).
    async fn take_one(
        &self,
        portal: &dyn PublicServicePortal,
        f: &FiledDossier,
    ) -> Result<Result<Dossier, String>, String> {
        let account = format!("{PORTAL_ACCOUNT}{}", f.code);
        let made_before =
            store::of_applicant(self.db.pool(), &account).await.map_err(|e| e.to_string())?;
        let outcome = match made_before.into_iter().next() {
            Some(d) => Ok(d),
            None => self.file_from_portal(portal, f, &account).await?,
        };
        let now = format_ts(self.clock.now());
        let mut tx = self.db.begin().await.map_err(|e| e.to_string())?;
        let (dossier_id, refused) = match &outcome {
            Ok(d) => (Some(d.id.as_str()), None),
            Err(why) => (None, Some(why.as_str())),
        };
        sqlx::query(
            "INSERT INTO portal_dossiers (portal_code, seq, dossier_id, refused, taken_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&f.code)
        .bind(i64::try_from(f.seq).unwrap_or(i64::MAX))
        .bind(dossier_id)
        .bind(refused)
        .bind(&now)
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        let owed = match &outcome {
            Ok(d) => Owed {
                portal_code: &f.code,
                status: PortalStatus::Waiting,
                at: &now,
                local_code: d.code.as_deref(),
                due_date: None,
                note: None,
            },
            Err(why) => Owed {
                portal_code: &f.code,
                status: PortalStatus::Refused,
                at: &now,
                local_code: None,
                due_date: None,
                note: Some(why),
            },
        };
        self.owe_report(&mut tx, owed).await.map_err(|e| e.to_string())?;
        let event = AuditEvent::new("system", "dossier.portal_take", "dossier")
            .agency(f.agency.clone())
            .details(json!({
                "portal_code": f.code,
                "procedure": f.procedure,
                "dossier": outcome.as_ref().ok().and_then(|d| d.code.clone()),
                "refused": outcome.as_ref().err(),
            }));
        let event = match &outcome {
            Ok(d) => event.object(d.code.clone().unwrap_or_default()),
            Err(_) => event.object(f.code.clone()),
        };
        self.audit.record(&mut tx, event).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        self.portal_wake();
        Ok(outcome)
    }

    /// Files a dossier from the portal here, or says why it cannot be.
    async fn file_from_portal(
        &self,
        portal: &dyn PublicServicePortal,
        f: &FiledDossier,
        account: &str,
    ) -> Result<Result<Dossier, String>, String> {
        let published = self
            .procedures
            .list(Some(cqdt_procedures::Status::Published))
            .await
            .map_err(|e| e.to_string())?;
        let same_code: Vec<_> =
            published.iter().filter(|e| e.procedure.national_code == f.procedure).collect();
        if same_code.is_empty() {
            return Ok(Err(format!(
                "Thủ tục {} không có trong danh mục thủ tục tỉnh đang áp dụng.",
                f.procedure
            )));
        }
        let Some(p) = same_code.iter().find(|e| self.agency(&e.procedure, &f.agency).is_ok())
        else {
            return Ok(Err(format!(
                "Cơ quan {} không tiếp nhận thủ tục {} ({}).",
                f.agency, f.procedure, same_code[0].procedure.name
            )));
        };
        let mut uploads = Vec::with_capacity(f.files.len());
        for file in &f.files {
            let bytes = portal.file(&f.code, file.index).await.map_err(|e| e.to_string())?;
            if hex::encode(Sha256::digest(&bytes)) != file.sha256 {
                return Ok(Err(format!(
                    "Tệp “{}” nhận được không đúng với mã băm Cổng đã ghi.",
                    file.name
                )));
            }
            uploads.push(Upload {
                component: file.component,
                file_name: file.name.clone(),
                declared_type: Some(file.media_type.clone()),
                bytes,
            });
        }
        let a = &f.applicant;
        let applicant = Applicant {
            account_id: account.to_string(),
            // As applicants act: the dossier's timeline names them.
            actor: format!("account:{account}"),
            name: a.name.clone(),
            personal_id: a.personal_id.as_ref().map(|p| p.as_str().to_string()),
            // Contacts the notices cannot use are left out, not refused: the person follows
            // the dossier on the portal.
            phone: a.phone.as_deref().and_then(|p| cqdt_notify::parse_vn_phone(p).ok()),
            email: a.email.as_deref().and_then(|e| cqdt_notify::parse_email(e).ok()),
            birth_date: None,
            address: a.address.clone(),
        };
        match self.file_directly(&applicant, &p.procedure.code, &f.agency, &f.form, &uploads).await
        {
            Ok(d) => Ok(Ok(d)),
            Err(DossierError::Invalid(problems)) => {
                let why: Vec<String> = problems.into_iter().map(|e| e.message).collect();
                Ok(Err(format!("Hồ sơ chưa hợp lệ: {}", why.join(" "))))
            }
            Err(e) => Err(e.to_string()),
        }
    }

    /// Compares what the portal shows for the dossiers taken from it (the newest `limit`)
    /// with what was reported last.
    #[tracing::instrument(skip(self))]
    pub async fn reconcile_portal(&self, limit: i64) -> Result<Reconciliation, DossierError> {
        let portal = self.portal()?;
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM portal_reports WHERE reported_at IS NULL")
                .fetch_one(self.db.pool())
                .await
                .ctx("counting reports to the portal")?;
        let last: Vec<ReportRow> = sqlx::query_as(
            "SELECT r.portal_code, r.n, r.status, r.at, r.local_code, r.due_date, r.note, r.reported_at \
             FROM portal_reports r JOIN portal_dossiers d ON d.portal_code = r.portal_code \
             WHERE r.n = (SELECT MAX(n) FROM portal_reports x WHERE x.portal_code = r.portal_code) \
             ORDER BY d.seq DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.db.pool())
        .await
        .ctx("reading the last reports to the portal")?;
        let mut out = Reconciliation { pending, ..Reconciliation::default() };
        for row in last {
            let status = PortalStatus::parse(&row.status);
            let record = portal
                .record(&row.portal_code)
                .await
                .map_err(|e| DossierError::Upstream(e.to_string()))?;
            out.compared += 1;
            let theirs = record.as_ref().and_then(|r| r.status);
            if theirs == status && record.is_some() {
                continue;
            }
            let ours = status.map(PortalStatus::label).unwrap_or("?").to_string()
                + if row.reported_at.is_none() { " (chưa gửi được)" } else { "" };
            let theirs = match (&record, theirs) {
                (None, _) => "Cổng không có hồ sơ này".to_string(),
                (Some(_), None) => "Chưa có trạng thái".to_string(),
                (Some(_), Some(s)) => s.label().to_string(),
            };
            let local_code = row.local_code.clone();
            out.differences.push(Difference {
                portal_code: row.portal_code,
                local_code,
                ours,
                theirs,
            });
        }
        Ok(out)
    }
}

//! The procedures' national codes checked against the national procedure database: each
//! national code of a procedure on the portal is looked up, and what the database publishes
//! (name, decision, in force or repealed) is kept, so that the portal says whether the code
//! was confirmed and the catalog's administrators see the procedures to correct — codes the
//! database does not know, names that differ, procedures it lists as repealed.

use std::collections::BTreeMap;

use cqdt_audit::AuditEvent;
use cqdt_national::procedures::same_name;
use cqdt_national::{NationalCode, NationalError, NationalProcedure, ProcedureDatabase};
use cqdt_platform::clock::format_ts;
use cqdt_platform::DbResultExt;
use serde::Serialize;

use crate::error::ProcedureError;
use crate::model::Status;
use crate::service::ProcedureService;

/// A national code as last read from the national database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownCode {
    /// The code.
    pub national_code: String,
    /// 1 when the database has it.
    pub found: i64,
    /// Its name there.
    pub name: Option<String>,
    /// 1 in force, 0 repealed.
    pub in_force: Option<i64>,
    /// 1 when the answer came from the sandbox.
    pub sandbox: i64,
    /// When (RFC 3339).
    pub checked_at: String,
}

/// What a check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NationalCodeCheck {
    /// Codes looked up.
    pub checked: usize,
    /// Found, in force, under the same name.
    pub confirmed: usize,
    /// Found under another name: (code, our name, theirs).
    pub renamed: Vec<(String, String, String)>,
    /// Found, repealed: (code, name).
    pub repealed: Vec<(String, String)>,
    /// Not in the database: (code, our name).
    pub not_found: Vec<(String, String)>,
    /// Not a national code: (code, our name).
    pub malformed: Vec<(String, String)>,
    /// Not answered: (code, reason); what was known of them is kept.
    pub failed: Vec<(String, String)>,
}

impl ProcedureService {
    /// Looks up the national code of every procedure on the portal and keeps what the
    /// database publishes; audited (`procedure.national_check`).
    pub async fn check_national_codes(
        &self,
        db: &dyn ProcedureDatabase,
        actor: &str,
    ) -> Result<NationalCodeCheck, ProcedureError> {
        let mut ours: BTreeMap<String, String> = BTreeMap::new();
        for e in self.list(None).await?.into_iter().filter(|e| e.status != Status::Draft) {
            ours.entry(e.procedure.national_code.clone()).or_insert(e.procedure.name);
        }
        let mut report = NationalCodeCheck { checked: ours.len(), ..Default::default() };
        // A "not found" carries no answer to say whether a sandbox gave it: it is the sandbox's
        // when the other answers were.
        let (mut missing, mut sandbox) = (Vec::new(), false);
        for (code, name) in ours {
            let Ok(n) = NationalCode::parse(&code) else {
                report.malformed.push((code, name));
                continue;
            };
            match db.procedure(&n).await {
                Ok(Some(p)) => {
                    if !p.in_force {
                        report.repealed.push((code.clone(), p.name.clone()));
                    } else if !same_name(&p.name, &name) {
                        report.renamed.push((code.clone(), name, p.name.clone()));
                    } else {
                        report.confirmed += 1;
                    }
                    sandbox |= p.source.sandbox;
                    self.keep_code(&n, Some(&p), p.source.sandbox).await?;
                }
                Ok(None) => {
                    report.not_found.push((code, name));
                    missing.push(n);
                }
                Err(e @ NationalError::NotConfigured(_)) => {
                    return Err(ProcedureError::Conflict(e.to_string()))
                }
                Err(e) => report.failed.push((code, e.to_string())),
            }
        }
        for n in &missing {
            self.keep_code(n, None, sandbox).await?;
        }
        let mut tx = self.db().begin().await?;
        let details = serde_json::json!({
            "checked": report.checked, "confirmed": report.confirmed,
            "renamed": report.renamed.len(), "repealed": report.repealed.len(),
            "not_found": report.not_found.len(), "malformed": report.malformed.len(),
            "failed": report.failed.len(),
        });
        let event =
            AuditEvent::new(actor, "procedure.national_check", "procedure").details(details);
        self.audit().record(&mut tx, event).await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn keep_code(
        &self,
        code: &NationalCode,
        p: Option<&NationalProcedure>,
        sandbox: bool,
    ) -> Result<(), ProcedureError> {
        sqlx::query(
            "INSERT INTO procedure_national_codes (national_code, found, name, decision, in_force, \
             url, sandbox, checked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (national_code) DO UPDATE SET found = excluded.found, name = excluded.name, \
             decision = excluded.decision, in_force = excluded.in_force, url = excluded.url, \
             sandbox = excluded.sandbox, checked_at = excluded.checked_at",
        )
        .bind(code.as_str())
        .bind(i64::from(p.is_some()))
        .bind(p.map(|p| p.name.as_str()))
        .bind(p.and_then(|p| p.decision.as_deref()))
        .bind(p.map(|p| i64::from(p.in_force)))
        .bind(p.and_then(|p| p.url.as_deref()))
        .bind(i64::from(sandbox))
        .bind(format_ts(self.clock().now()))
        .execute(self.db().pool())
        .await
        .ctx("keeping a national procedure code")?;
        Ok(())
    }

    /// What the national database said of a code when last asked, if it was.
    pub async fn known_code(&self, code: &str) -> Result<Option<KnownCode>, ProcedureError> {
        Ok(sqlx::query_as(
            "SELECT national_code, found, name, in_force, sandbox, checked_at \
             FROM procedure_national_codes WHERE national_code = $1",
        )
        .bind(code)
        .fetch_optional(self.db().pool())
        .await
        .ctx("reading a national procedure code")?)
    }
}

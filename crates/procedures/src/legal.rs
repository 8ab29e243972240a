//! The procedures' legal bases checked against the national legal documents database: every
//! document number written in a legal basis of a procedure on the portal is looked up, and
//! what the database says (title, dates, validity, the document that replaced it, where to
//! read it) is kept, so that the portal links each legal basis to its document and says when
//! it is no longer in force — without asking the national database on each page view.

use std::collections::{BTreeSet, HashMap};

use cqdt_audit::AuditEvent;
use cqdt_national::{DocumentNumber, LegalDocument, LegalDocuments, NationalError, Validity};
use cqdt_platform::clock::format_ts;
use cqdt_platform::DbResultExt;
use serde::Serialize;

use crate::error::ProcedureError;
use crate::model::Status;
use crate::service::ProcedureService;

/// A document as last read from the national database.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KnownDocument {
    /// Number and symbol.
    pub number: String,
    /// 1 when the database has it.
    pub found: i64,
    /// Kind (Luật, Nghị định…).
    pub kind: Option<String>,
    /// Title.
    pub title: Option<String>,
    /// Validity as stored (`con-hieu-luc`…).
    pub validity: Option<String>,
    /// The document that replaced it.
    pub replaced_by: Option<String>,
    /// Where people read it.
    pub url: Option<String>,
    /// 1 when the answer came from the sandbox.
    pub sandbox: i64,
}

impl KnownDocument {
    /// Its validity, when known.
    pub fn validity(&self) -> Option<Validity> {
        self.validity.as_deref().and_then(Validity::parse)
    }
}

/// What a check found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LegalCheck {
    /// Numbers looked up.
    pub checked: usize,
    /// Found in force (wholly or in part).
    pub in_force: usize,
    /// Found, and no longer (or not yet) in force: (number, validity, replaced by).
    pub not_in_force: Vec<(String, String, Option<String>)>,
    /// Not in the database.
    pub not_found: Vec<String>,
    /// Not answered: (number, reason); what was known of them is kept.
    pub failed: Vec<(String, String)>,
}

impl ProcedureService {
    /// Looks up every document the procedures on the portal cite and keeps what the database
    /// says; audited (`procedure.legal_check`).
    pub async fn check_legal_bases(
        &self,
        docs: &dyn LegalDocuments,
        actor: &str,
    ) -> Result<LegalCheck, ProcedureError> {
        let mut numbers = BTreeSet::new();
        for e in self.list(None).await?.into_iter().filter(|e| e.status != Status::Draft) {
            for line in &e.procedure.legal_basis {
                numbers.extend(DocumentNumber::find_all(line));
            }
        }
        let mut report = LegalCheck { checked: numbers.len(), ..Default::default() };
        for n in &numbers {
            match docs.document(n).await {
                Ok(Some(d)) => {
                    match d.validity {
                        Validity::InForce | Validity::PartlyInForce => report.in_force += 1,
                        v => report.not_in_force.push((
                            n.as_str().into(),
                            v.label().into(),
                            d.replaced_by.as_ref().map(|r| r.as_str().to_string()),
                        )),
                    }
                    self.keep_document(n, Some(&d)).await?;
                }
                Ok(None) => {
                    report.not_found.push(n.as_str().into());
                    self.keep_document(n, None).await?;
                }
                Err(e @ NationalError::NotConfigured(_)) => {
                    return Err(ProcedureError::Conflict(e.to_string()))
                }
                Err(e) => report.failed.push((n.as_str().into(), e.to_string())),
            }
        }
        let mut tx = self.db().begin().await?;
        self.audit()
            .record(
                &mut tx,
                AuditEvent::new(actor, "procedure.legal_check", "procedure").details(
                    serde_json::json!({
                        "checked": report.checked, "in_force": report.in_force,
                        "not_in_force": report.not_in_force.len(),
                        "not_found": report.not_found.len(), "failed": report.failed.len(),
                    }),
                ),
            )
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    async fn keep_document(
        &self,
        n: &DocumentNumber,
        d: Option<&LegalDocument>,
    ) -> Result<(), ProcedureError> {
        let now = format_ts(self.clock().now());
        let date = |x: Option<chrono::NaiveDate>| x.map(|d| d.to_string());
        sqlx::query(
            "INSERT INTO procedure_legal_documents (number, found, kind, title, issuer, issued_on, \
             effective_from, validity, replaced_by, url, sandbox, checked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (number) DO UPDATE SET found = excluded.found, kind = excluded.kind, \
             title = excluded.title, issuer = excluded.issuer, issued_on = excluded.issued_on, \
             effective_from = excluded.effective_from, validity = excluded.validity, \
             replaced_by = excluded.replaced_by, url = excluded.url, sandbox = excluded.sandbox, \
             checked_at = excluded.checked_at",
        )
        .bind(n.as_str())
        .bind(i64::from(d.is_some()))
        .bind(d.map(|d| d.kind.as_str()))
        .bind(d.map(|d| d.title.as_str()))
        .bind(d.map(|d| d.issuer.as_str()))
        .bind(date(d.map(|d| d.issued_on)))
        .bind(date(d.and_then(|d| d.effective_from)))
        .bind(d.map(|d| d.validity.as_str()))
        .bind(d.and_then(|d| d.replaced_by.as_ref()).map(|r| r.as_str()))
        .bind(d.and_then(|d| d.url.as_deref()))
        .bind(i64::from(d.is_some_and(|d| d.source.sandbox)))
        .bind(&now)
        .execute(self.db().pool())
        .await
        .ctx("keeping a legal document")?;
        Ok(())
    }

    /// What is known of the documents written in these lines, by number.
    pub async fn known_documents(
        &self,
        lines: &[String],
    ) -> Result<HashMap<String, KnownDocument>, ProcedureError> {
        let numbers: BTreeSet<DocumentNumber> =
            lines.iter().flat_map(|l| DocumentNumber::find_all(l)).collect();
        if numbers.is_empty() {
            return Ok(HashMap::new());
        }
        let mut q = cqdt_platform::Sql::new(
            self.db().backend(),
            "SELECT number, found, kind, title, validity, replaced_by, url, sandbox \
             FROM procedure_legal_documents WHERE number IN (",
        );
        let mut list = q.separated(", ");
        for n in &numbers {
            list.push_bind(n.as_str());
        }
        q.push(")");
        let rows: Vec<KnownDocument> =
            q.build_query_as().fetch_all(self.db().pool()).await.ctx("reading legal documents")?;
        Ok(rows.into_iter().map(|d| (d.number.clone(), d)).collect())
    }
}

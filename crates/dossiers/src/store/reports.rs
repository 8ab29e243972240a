//! What the one-stop statistics count and what the ledger (TT 01/2018 Mẫu 06) lists.

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::{Any, Executor};

use super::status_of;
use crate::model::{CountRow, DossierStatus};

/// The one-stop statistics of dossiers submitted or received between two days (inclusive,
/// yyyy-mm-dd), by agency, procedure and month; `today` decides what is overdue.
pub async fn counts<'e, E: Executor<'e, Database = Any>>(
    conn: E,
    from: &str,
    to: &str,
    today: &str,
) -> Result<Vec<CountRow>, DbError> {
    // A dossier belongs to the month it was received, or submitted if it never was.
    let day = "COALESCE(d.received_on, SUBSTR(d.submitted_at, 1, 10))";
    let resolved = "d.resolved_on IS NOT NULL";
    let running = "d.resolved_on IS NULL AND d.status IN ('received', 'processing')";
    let sql = format!(
        "SELECT d.agency_code, d.agency_name, d.procedure_code, d.procedure_name, \
         SUBSTR({day}, 1, 7) AS month, \
         SUM(CASE WHEN d.received_on IS NOT NULL THEN 1 ELSE 0 END) AS received, \
         SUM(CASE WHEN {resolved} AND d.resolved_on < d.statutory_due THEN 1 ELSE 0 END) AS early, \
         SUM(CASE WHEN {resolved} AND d.resolved_on = d.statutory_due THEN 1 ELSE 0 END) AS on_time, \
         SUM(CASE WHEN {resolved} AND d.resolved_on > d.statutory_due THEN 1 ELSE 0 END) AS late, \
         SUM(CASE WHEN {running} THEN 1 ELSE 0 END) AS in_progress, \
         SUM(CASE WHEN {running} AND d.statutory_due < $3 THEN 1 ELSE 0 END) AS overdue, \
         SUM(CASE WHEN d.status = 'supplement' THEN 1 ELSE 0 END) AS supplement, \
         SUM(CASE WHEN d.status = 'refused' THEN 1 ELSE 0 END) AS refused, \
         SUM(CASE WHEN d.status = 'withdrawn' THEN 1 ELSE 0 END) AS withdrawn, \
         SUM(CASE WHEN EXISTS (SELECT 1 FROM dossier_apologies a WHERE a.dossier_id = d.id) \
         THEN 1 ELSE 0 END) AS apologies \
         FROM dossiers d WHERE d.status <> 'draft' AND {day} >= $1 AND {day} <= $2 \
         GROUP BY d.agency_code, d.agency_name, d.procedure_code, d.procedure_name, \
         SUBSTR({day}, 1, 7) ORDER BY month, d.agency_code, d.procedure_code"
    );
    sqlx::query_as(&sql)
        .bind(from)
        .bind(to)
        .bind(today)
        .fetch_all(conn)
        .await
        .ctx("counting dossiers")
}

/// One line of the ledger (TT 01/2018 Mẫu 06).
#[derive(Debug, Clone)]
pub struct LedgerRow {
    /// Dossier code.
    pub code: String,
    /// Procedure name.
    pub procedure_name: String,
    /// Applicant.
    pub applicant_name: String,
    /// Applicant's phone.
    pub applicant_phone: Option<String>,
    /// Receiving agency.
    pub agency_name: String,
    /// Status.
    pub status: DossierStatus,
    /// Submitted (timestamp).
    pub submitted_at: Option<String>,
    /// Received (Vietnam date).
    pub received_on: Option<String>,
    /// Statutory due date.
    pub statutory_due: Option<String>,
    /// Current appointment (after an apology).
    pub due_date: Option<String>,
    /// Result ready (Vietnam date).
    pub resolved_on: Option<String>,
    /// Finished (returned, refused, withdrawn; timestamp).
    pub finished_at: Option<String>,
}

/// A ledger line as the query returns it.
#[derive(sqlx::FromRow)]
struct LedgerRecord {
    code: Option<String>,
    procedure_name: String,
    applicant_name: String,
    applicant_phone: Option<String>,
    agency_name: String,
    status: String,
    submitted_at: Option<String>,
    received_on: Option<String>,
    statutory_due: Option<String>,
    due_date: Option<String>,
    resolved_on: Option<String>,
    finished_at: Option<String>,
}

impl From<LedgerRecord> for LedgerRow {
    fn from(r: LedgerRecord) -> Self {
        LedgerRow {
            code: r.code.unwrap_or_default(),
            status: status_of(&r.status),
            procedure_name: r.procedure_name,
            applicant_name: r.applicant_name,
            applicant_phone: r.applicant_phone,
            agency_name: r.agency_name,
            submitted_at: r.submitted_at,
            received_on: r.received_on,
            statutory_due: r.statutory_due,
            due_date: r.due_date,
            resolved_on: r.resolved_on,
            finished_at: r.finished_at,
        }
    }
}

/// The ledger of dossiers submitted or received between two days (inclusive), of the given
/// agencies (and procedure, if any), in the order they came in; at most `limit` lines.
pub async fn ledger(
    db: &cqdt_platform::Db,
    from: &str,
    to: &str,
    agencies: &[String],
    procedure: Option<&str>,
    limit: i64,
) -> Result<Vec<LedgerRow>, DbError> {
    if agencies.is_empty() {
        return Ok(Vec::new());
    }
    let day = "COALESCE(received_on, SUBSTR(submitted_at, 1, 10))";
    let mut q = Sql::new(
        db.backend(),
        format!(
            "SELECT code, procedure_name, applicant_name, applicant_phone, agency_name, status, \
             submitted_at, received_on, statutory_due, due_date, resolved_on, finished_at \
             FROM dossiers WHERE status <> 'draft' AND {day} >= "
        ),
    );
    q.push_bind(from).push(format!(" AND {day} <= ")).push_bind(to);
    if let Some(p) = procedure.filter(|p| !p.is_empty()) {
        q.push(" AND procedure_code = ").push_bind(p);
    }
    q.push(" AND agency_code IN (");
    let mut list = q.separated(", ");
    for a in agencies {
        list.push_bind(a.as_str());
    }
    q.push(format!(") ORDER BY {day}, submitted_at, code LIMIT "))
        .push_bind(limit.clamp(1, 100_000));
    let rows =
        q.build_query_as::<LedgerRecord>().fetch_all(db.pool()).await.ctx("reading the ledger")?;
    Ok(rows.into_iter().map(LedgerRow::from).collect())
}

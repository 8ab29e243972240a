//! SQL for the dossiers module's own tables: `dossiers` and `dossier_counters` here; what a
//! dossier gathers in its life (`dossier_files`, `dossier_events`, `dossier_supplements`,
//! `dossier_results`, `dossier_ratings`, `dossier_apologies`) in [`life`]; the statistics
//! and the ledger in [`reports`].

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::{Any, AnyConnection, Executor};

use crate::model::{Dossier, DossierEvent, DossierStatus};

mod life;
mod reports;

pub use life::{
    answer_supplement, apologies, events, files, insert_apology, insert_event, insert_file,
    insert_new_files, insert_rating, insert_result, insert_supplement, rating, results,
    supplements,
};
pub use reports::{counts, ledger, LedgerRow};

const COLUMNS: &str = "id, code, procedure_code, procedure_name, agency_code, agency_name, \
     applicant_account, applicant_name, applicant_phone, applicant_email, form, status, \
     created_at, submitted_at, updated_at, due_date, finished_at";

/// A `dossiers` row as stored.
#[derive(sqlx::FromRow)]
struct DossierRow {
    id: String,
    code: Option<String>,
    procedure_code: String,
    procedure_name: String,
    agency_code: String,
    agency_name: String,
    applicant_account: String,
    applicant_name: String,
    applicant_phone: Option<String>,
    applicant_email: Option<String>,
    form: String,
    status: String,
    created_at: String,
    submitted_at: Option<String>,
    updated_at: String,
    due_date: Option<String>,
    finished_at: Option<String>,
}

/// A stored status; an unknown one reads as refused: nothing more can be done with it.
pub(crate) fn status_of(stored: &str) -> DossierStatus {
    DossierStatus::parse(stored).unwrap_or(DossierStatus::Refused)
}

impl From<DossierRow> for Dossier {
    fn from(r: DossierRow) -> Self {
        Dossier {
            form: serde_json::from_str(&r.form).unwrap_or(serde_json::Value::Null),
            status: status_of(&r.status),
            id: r.id,
            code: r.code,
            procedure_code: r.procedure_code,
            procedure_name: r.procedure_name,
            agency_code: r.agency_code,
            agency_name: r.agency_name,
            applicant_account: r.applicant_account,
            applicant_name: r.applicant_name,
            applicant_phone: r.applicant_phone,
            applicant_email: r.applicant_email,
            created_at: r.created_at,
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
            due_date: r.due_date,
            finished_at: r.finished_at,
        }
    }
}

/// Adds a dossier.
pub async fn insert(conn: &mut AnyConnection, d: &Dossier) -> Result<(), DbError> {
    insert_many(conn, std::slice::from_ref(d)).await
}

/// Stores several dossiers in one statement.
pub async fn insert_many(conn: &mut AnyConnection, ds: &[Dossier]) -> Result<(), DbError> {
    if ds.is_empty() {
        return Ok(());
    }
    let mut q = Sql::on(conn, format!("INSERT INTO dossiers ({COLUMNS}) "));
    q.push_values(ds, |mut row, d| {
        row.push_bind(&d.id)
            .push_bind(&d.code)
            .push_bind(&d.procedure_code)
            .push_bind(&d.procedure_name)
            .push_bind(&d.agency_code)
            .push_bind(&d.agency_name)
            .push_bind(&d.applicant_account)
            .push_bind(&d.applicant_name)
            .push_bind(&d.applicant_phone)
            .push_bind(&d.applicant_email)
            .push_bind(d.form.to_string())
            .push_bind(d.status.as_str())
            .push_bind(&d.created_at)
            .push_bind(&d.submitted_at)
            .push_bind(&d.updated_at)
            .push_bind(&d.due_date)
            .push_bind(&d.finished_at);
    });
    q.build().execute(conn).await.ctx("storing dossiers")?;
    Ok(())
}

/// Records the first timeline step of several new dossiers in one statement.
pub async fn insert_first_events(
    conn: &mut AnyConnection,
    events: &[(&str, &DossierEvent)],
) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q =
        Sql::on(conn, "INSERT INTO dossier_events (dossier_id, seq, at, status, actor, note) ");
    q.push_values(events, |mut row, (id, e)| {
        row.push_bind(*id)
            .push_bind(1_i64)
            .push_bind(&e.at)
            .push_bind(e.status.as_str())
            .push_bind(&e.actor)
            .push_bind(&e.note);
    });
    q.build().execute(conn).await.ctx("recording dossier steps")?;
    Ok(())
}

/// Takes `n` consecutive numbers of an agency's day; returns the last.
pub async fn next_seqs(
    conn: &mut AnyConnection,
    agency: &str,
    day: &str,
    n: i64,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO dossier_counters (agency_code, day, last) VALUES ($1, $2, $3) \
         ON CONFLICT (agency_code, day) DO UPDATE SET last = dossier_counters.last + $3 \
         RETURNING last",
    )
    .bind(agency)
    .bind(day)
    .bind(n)
    .fetch_one(conn)
    .await
    .ctx("numbering dossiers")
}

/// The next sequence number of the day at an agency.
pub async fn next_seq(conn: &mut AnyConnection, agency: &str, day: &str) -> Result<i64, DbError> {
    next_seqs(conn, agency, day, 1).await
}

/// Rewrites a draft's form and agency, or a dossier's status, code and times.
pub async fn update(conn: &mut AnyConnection, d: &Dossier) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE dossiers SET code = $2, agency_code = $3, agency_name = $4, form = $5, \
         status = $6, submitted_at = $7, updated_at = $8, due_date = $9, finished_at = $10 \
         WHERE id = $1",
    )
    .bind(&d.id)
    .bind(&d.code)
    .bind(&d.agency_code)
    .bind(&d.agency_name)
    .bind(d.form.to_string())
    .bind(d.status.as_str())
    .bind(&d.submitted_at)
    .bind(&d.updated_at)
    .bind(&d.due_date)
    .bind(&d.finished_at)
    .execute(conn)
    .await
    .ctx("updating a dossier")?;
    Ok(())
}

/// A dossier by id or code.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id_or_code: &str,
) -> Result<Option<Dossier>, DbError> {
    let row = sqlx::query_as::<_, DossierRow>(&format!(
        "SELECT {COLUMNS} FROM dossiers WHERE id = $1 OR code = $1"
    ))
    .bind(id_or_code)
    .fetch_optional(exec)
    .await
    .ctx("reading a dossier")?;
    Ok(row.map(Dossier::from))
}

/// An applicant's dossiers, newest first.
pub async fn of_applicant<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account: &str,
) -> Result<Vec<Dossier>, DbError> {
    let rows = sqlx::query_as::<_, DossierRow>(&format!(
        "SELECT {COLUMNS} FROM dossiers WHERE applicant_account = $1 \
         ORDER BY created_at DESC, id LIMIT 500"
    ))
    .bind(account)
    .fetch_all(exec)
    .await
    .ctx("listing dossiers")?;
    Ok(rows.into_iter().map(Dossier::from).collect())
}

/// Dossiers in a status, oldest first: the officials' queue (the caller keeps those of
/// agencies in scope).
pub async fn by_status<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    status: DossierStatus,
    limit: i64,
) -> Result<Vec<Dossier>, DbError> {
    let rows = sqlx::query_as::<_, DossierRow>(&format!(
        "SELECT {COLUMNS} FROM dossiers WHERE status = $1 ORDER BY submitted_at, id LIMIT $2"
    ))
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(exec)
    .await
    .ctx("listing dossiers by status")?;
    Ok(rows.into_iter().map(Dossier::from).collect())
}

/// Moves a dossier on from the status it was read in; false if someone else moved it first.
pub async fn advance(
    conn: &mut AnyConnection,
    d: &Dossier,
    from: DossierStatus,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE dossiers SET status = $2, updated_at = $3, due_date = $4, finished_at = $5 \
         WHERE id = $1 AND status = $6",
    )
    .bind(&d.id)
    .bind(d.status.as_str())
    .bind(&d.updated_at)
    .bind(&d.due_date)
    .bind(&d.finished_at)
    .bind(from.as_str())
    .execute(conn)
    .await
    .ctx("changing a dossier's status")?;
    Ok(done.rows_affected() == 1)
}

/// Records the day a dossier was received and its first statutory due date.
pub async fn set_received(
    conn: &mut AnyConnection,
    id: &str,
    on: &str,
    due: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE dossiers SET received_on = $2, statutory_due = $3 WHERE id = $1")
        .bind(id)
        .bind(on)
        .bind(due)
        .execute(conn)
        .await
        .ctx("recording the reception day")?;
    Ok(())
}

/// Records the day a dossier's result was ready (once: a later change keeps the first).
pub async fn set_resolved(conn: &mut AnyConnection, id: &str, on: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE dossiers SET resolved_on = COALESCE(resolved_on, $2) WHERE id = $1")
        .bind(id)
        .bind(on)
        .execute(conn)
        .await
        .ctx("recording the resolution day")?;
    Ok(())
}

/// The statutory due date of a dossier, if it was received.
pub async fn statutory_due<'e, E: Executor<'e, Database = Any>>(
    conn: E,
    id: &str,
) -> Result<Option<String>, DbError> {
    let due: Option<Option<String>> =
        sqlx::query_scalar("SELECT statutory_due FROM dossiers WHERE id = $1")
            .bind(id)
            .fetch_optional(conn)
            .await
            .ctx("reading the statutory due date")?;
    Ok(due.flatten())
}

/// Moves the statutory due date (by the days a supplement stopped the clock).
pub async fn set_statutory_due(
    conn: &mut AnyConnection,
    id: &str,
    due: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE dossiers SET statutory_due = $2 WHERE id = $1")
        .bind(id)
        .bind(due)
        .execute(conn)
        .await
        .ctx("moving the statutory due date")?;
    Ok(())
}

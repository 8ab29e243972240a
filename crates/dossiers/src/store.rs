//! SQL for the dossiers module's own tables: `dossiers`, `dossier_files`, `dossier_events`,
//! `dossier_counters`,
//! `dossier_supplements`, `dossier_results`, `dossier_ratings`.

use cqdt_platform::{DbError, DbResultExt};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::model::{
    Apology, CountRow, Counts, Dossier, DossierEvent, DossierFile, DossierStatus, Rating,
    ResultDoc, SupplementRequest,
};

const COLUMNS: &str = "id, code, procedure_code, procedure_name, agency_code, agency_name, \
     applicant_account, applicant_name, applicant_phone, applicant_email, form, status, \
     created_at, submitted_at, updated_at, due_date, finished_at";

fn from_row(r: &AnyRow) -> Result<Dossier, sqlx::Error> {
    let form: String = r.try_get("form")?;
    let status: String = r.try_get("status")?;
    Ok(Dossier {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        procedure_code: r.try_get("procedure_code")?,
        procedure_name: r.try_get("procedure_name")?,
        agency_code: r.try_get("agency_code")?,
        agency_name: r.try_get("agency_name")?,
        applicant_account: r.try_get("applicant_account")?,
        applicant_name: r.try_get("applicant_name")?,
        applicant_phone: r.try_get("applicant_phone")?,
        applicant_email: r.try_get("applicant_email")?,
        form: serde_json::from_str(&form).unwrap_or(serde_json::Value::Null),
        // An unknown status reads as refused: nothing more can be done with it.
        status: DossierStatus::parse(&status).unwrap_or(DossierStatus::Refused),
        created_at: r.try_get("created_at")?,
        submitted_at: r.try_get("submitted_at")?,
        updated_at: r.try_get("updated_at")?,
        due_date: r.try_get("due_date")?,
        finished_at: r.try_get("finished_at")?,
    })
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
    let sql = format!(
        "INSERT INTO dossiers ({COLUMNS}) VALUES {}",
        cqdt_platform::db::values_list(ds.len(), 17, 0)
    );
    let mut q = sqlx::query(&sql);
    for d in ds {
        q = q
            .bind(&d.id)
            .bind(&d.code)
            .bind(&d.procedure_code)
            .bind(&d.procedure_name)
            .bind(&d.agency_code)
            .bind(&d.agency_name)
            .bind(&d.applicant_account)
            .bind(&d.applicant_name)
            .bind(&d.applicant_phone)
            .bind(&d.applicant_email)
            .bind(d.form.to_string())
            .bind(d.status.as_str())
            .bind(&d.created_at)
            .bind(&d.submitted_at)
            .bind(&d.updated_at)
            .bind(&d.due_date)
            .bind(&d.finished_at);
    }
    q.execute(conn).await.ctx("storing dossiers")?;
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
    let sql = format!(
        "INSERT INTO dossier_events (dossier_id, seq, at, status, actor, note) VALUES {}",
        cqdt_platform::db::values_list(events.len(), 6, 0)
    );
    let mut q = sqlx::query(&sql);
    for (id, e) in events {
        q = q
            .bind(*id)
            .bind(1_i64)
            .bind(&e.at)
            .bind(e.status.as_str())
            .bind(&e.actor)
            .bind(&e.note);
    }
    q.execute(conn).await.ctx("recording dossier steps")?;
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
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM dossiers WHERE id = $1 OR code = $1"
    ))
    .bind(id_or_code)
    .fetch_optional(exec)
    .await
    .ctx("reading a dossier")?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .ctx("reading a dossier")
}

/// An applicant's dossiers, newest first.
pub async fn of_applicant<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    account: &str,
) -> Result<Vec<Dossier>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM dossiers WHERE applicant_account = $1 \
         ORDER BY created_at DESC, id LIMIT 500"
    ))
    .bind(account)
    .fetch_all(exec)
    .await
    .ctx("listing dossiers")?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .ctx("listing dossiers")
}

/// The next sequence number of the day at an agency.
pub async fn next_seq(conn: &mut AnyConnection, agency: &str, day: &str) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO dossier_counters (agency_code, day, last) VALUES ($1, $2, 1) \
         ON CONFLICT (agency_code, day) DO UPDATE SET last = dossier_counters.last + 1 \
         RETURNING last",
    )
    .bind(agency)
    .bind(day)
    .fetch_one(conn)
    .await
    .ctx("numbering a dossier")
}

/// Attaches a file.
pub async fn insert_file(
    conn: &mut AnyConnection,
    dossier_id: &str,
    f: &DossierFile,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM dossier_files WHERE dossier_id = $1 AND component = $2 AND sha256 = $3",
    )
    .bind(dossier_id)
    .bind(f.component)
    .bind(&f.sha256)
    .execute(&mut *conn)
    .await
    .ctx("attaching a file")?;
    sqlx::query(
        "INSERT INTO dossier_files (dossier_id, component, sha256, file_name, media_type, size, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(dossier_id)
    .bind(f.component)
    .bind(&f.sha256)
    .bind(&f.file_name)
    .bind(&f.media_type)
    .bind(f.size)
    .bind(now)
    .execute(conn)
    .await
    .ctx("attaching a file")?;
    Ok(())
}

/// The files of a dossier, by component.
pub async fn files<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    dossier_id: &str,
) -> Result<Vec<DossierFile>, DbError> {
    let rows = sqlx::query(
        "SELECT component, sha256, file_name, media_type, size FROM dossier_files \
         WHERE dossier_id = $1 ORDER BY component, added_at",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
    .ctx("reading dossier files")?;
    rows.iter()
        .map(|r| {
            Ok(DossierFile {
                component: r.try_get("component")?,
                sha256: r.try_get("sha256")?,
                file_name: r.try_get("file_name")?,
                media_type: r.try_get("media_type")?,
                size: r.try_get("size")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("reading dossier files")
}

/// Adds a step to a dossier's timeline.
pub async fn insert_event(
    conn: &mut AnyConnection,
    dossier_id: &str,
    e: &DossierEvent,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO dossier_events (dossier_id, seq, at, status, actor, note) \
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM dossier_events WHERE dossier_id = $1",
    )
    .bind(dossier_id)
    .bind(&e.at)
    .bind(e.status.as_str())
    .bind(&e.actor)
    .bind(&e.note)
    .execute(conn)
    .await
    .ctx("recording a dossier step")?;
    Ok(())
}

/// A dossier's timeline, oldest first.
pub async fn events<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    dossier_id: &str,
) -> Result<Vec<DossierEvent>, DbError> {
    let rows = sqlx::query(
        "SELECT at, status, actor, note FROM dossier_events WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
    .ctx("reading a dossier's timeline")?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(DossierEvent {
                at: r.try_get("at")?,
                status: DossierStatus::parse(&status).unwrap_or(DossierStatus::Refused),
                actor: r.try_get("actor")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("reading a dossier's timeline")
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
    let row = sqlx::query("SELECT statutory_due FROM dossiers WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await
        .ctx("reading the statutory due date")?;
    Ok(row.and_then(|r| {
        r.try_get::<Option<String>, _>("statutory_due")
            .ok()
            .flatten()
    }))
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

/// Records an apology (its seq is the next of the dossier).
pub async fn insert_apology(
    conn: &mut AnyConnection,
    dossier_id: &str,
    a: &Apology,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO dossier_apologies (dossier_id, seq, issued_at, issued_by, agency_name, \
         reason, old_due, new_due) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7 \
         FROM dossier_apologies WHERE dossier_id = $1",
    )
    .bind(dossier_id)
    .bind(&a.issued_at)
    .bind(&a.issued_by)
    .bind(&a.agency_name)
    .bind(&a.reason)
    .bind(&a.old_due)
    .bind(&a.new_due)
    .execute(conn)
    .await
    .ctx("recording an apology")?;
    Ok(())
}

/// A dossier's apologies, oldest first.
pub async fn apologies<'e, E: Executor<'e, Database = Any>>(
    conn: E,
    dossier_id: &str,
) -> Result<Vec<Apology>, DbError> {
    let rows = sqlx::query(
        "SELECT seq, issued_at, issued_by, agency_name, reason, old_due, new_due \
         FROM dossier_apologies WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(conn)
    .await
    .ctx("reading apologies")?;
    rows.iter()
        .map(|r| {
            Ok(Apology {
                seq: r.try_get("seq")?,
                issued_at: r.try_get("issued_at")?,
                issued_by: r.try_get("issued_by")?,
                agency_name: r.try_get("agency_name")?,
                reason: r.try_get("reason")?,
                old_due: r.try_get("old_due")?,
                new_due: r.try_get("new_due")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding apologies")
}

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
    let rows = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .bind(today)
        .fetch_all(conn)
        .await
        .ctx("counting dossiers")?;
    rows.iter()
        .map(|r| {
            Ok(CountRow {
                agency_code: r.try_get("agency_code")?,
                agency_name: r.try_get("agency_name")?,
                procedure_code: r.try_get("procedure_code")?,
                procedure_name: r.try_get("procedure_name")?,
                month: r.try_get("month")?,
                counts: Counts {
                    received: r.try_get("received")?,
                    early: r.try_get("early")?,
                    on_time: r.try_get("on_time")?,
                    late: r.try_get("late")?,
                    in_progress: r.try_get("in_progress")?,
                    overdue: r.try_get("overdue")?,
                    supplement: r.try_get("supplement")?,
                    refused: r.try_get("refused")?,
                    withdrawn: r.try_get("withdrawn")?,
                    apologies: r.try_get("apologies")?,
                },
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding dossier counts")
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

/// The ledger of dossiers submitted or received between two days (inclusive), of the given
/// agencies (and procedure, if any), in the order they came in; at most `limit` lines.
pub async fn ledger<'e, E: Executor<'e, Database = Any>>(
    conn: E,
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
    let marks = (0..agencies.len())
        .map(|n| format!("${}", n + 4))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT code, procedure_name, applicant_name, applicant_phone, agency_name, status, \
         submitted_at, received_on, statutory_due, due_date, resolved_on, finished_at \
         FROM dossiers WHERE status <> 'draft' AND {day} >= $1 AND {day} <= $2 \
         AND ($3 = '' OR procedure_code = $3) AND agency_code IN ({marks}) \
         ORDER BY {day}, submitted_at, code LIMIT {}",
        limit.clamp(1, 100_000)
    );
    let mut q = sqlx::query(&sql)
        .bind(from)
        .bind(to)
        .bind(procedure.unwrap_or(""));
    for a in agencies {
        q = q.bind(a);
    }
    let rows = q.fetch_all(conn).await.ctx("reading the ledger")?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            Ok(LedgerRow {
                code: r.try_get::<Option<String>, _>("code")?.unwrap_or_default(),
                procedure_name: r.try_get("procedure_name")?,
                applicant_name: r.try_get("applicant_name")?,
                applicant_phone: r.try_get("applicant_phone")?,
                agency_name: r.try_get("agency_name")?,
                status: DossierStatus::parse(&status).unwrap_or(DossierStatus::Refused),
                submitted_at: r.try_get("submitted_at")?,
                received_on: r.try_get("received_on")?,
                statutory_due: r.try_get("statutory_due")?,
                due_date: r.try_get("due_date")?,
                resolved_on: r.try_get("resolved_on")?,
                finished_at: r.try_get("finished_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("decoding the ledger")
}

/// Records a supplement request (its seq is the next of the dossier).
pub async fn insert_supplement(
    conn: &mut AnyConnection,
    dossier_id: &str,
    r: &SupplementRequest,
) -> Result<(), DbError> {
    let items = serde_json::to_string(&r.items).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO dossier_supplements (dossier_id, seq, requested_at, requested_by, items, \
         note, resume_status) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6 \
         FROM dossier_supplements WHERE dossier_id = $1",
    )
    .bind(dossier_id)
    .bind(&r.requested_at)
    .bind(&r.requested_by)
    .bind(items)
    .bind(&r.note)
    .bind(r.resume_status.as_str())
    .execute(conn)
    .await
    .ctx("recording a supplement request")?;
    Ok(())
}

/// Marks the open supplement request answered.
pub async fn answer_supplement(
    conn: &mut AnyConnection,
    dossier_id: &str,
    seq: i64,
    at: &str,
    note: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE dossier_supplements SET answered_at = $3, answer_note = $4 \
         WHERE dossier_id = $1 AND seq = $2",
    )
    .bind(dossier_id)
    .bind(seq)
    .bind(at)
    .bind(note)
    .execute(conn)
    .await
    .ctx("recording a supplement answer")?;
    Ok(())
}

/// A dossier's supplement requests, oldest first.
pub async fn supplements<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    dossier_id: &str,
) -> Result<Vec<SupplementRequest>, DbError> {
    let rows = sqlx::query(
        "SELECT seq, requested_at, requested_by, items, note, resume_status, answered_at, \
         answer_note FROM dossier_supplements WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
    .ctx("reading supplement requests")?;
    rows.iter()
        .map(|r| {
            let items: String = r.try_get("items")?;
            let resume: String = r.try_get("resume_status")?;
            Ok(SupplementRequest {
                seq: r.try_get("seq")?,
                requested_at: r.try_get("requested_at")?,
                requested_by: r.try_get("requested_by")?,
                items: serde_json::from_str(&items).unwrap_or_default(),
                note: r.try_get("note")?,
                resume_status: DossierStatus::parse(&resume).unwrap_or(DossierStatus::Received),
                answered_at: r.try_get("answered_at")?,
                answer_note: r.try_get("answer_note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("reading supplement requests")
}

/// Adds a result document (its seq is the next of the dossier).
pub async fn insert_result(
    conn: &mut AnyConnection,
    dossier_id: &str,
    r: &ResultDoc,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO dossier_results (dossier_id, seq, sha256, file_name, media_type, size, \
         added_at, added_by, note) SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, \
         $7, $8 FROM dossier_results WHERE dossier_id = $1",
    )
    .bind(dossier_id)
    .bind(&r.sha256)
    .bind(&r.file_name)
    .bind(&r.media_type)
    .bind(r.size)
    .bind(&r.added_at)
    .bind(&r.added_by)
    .bind(&r.note)
    .execute(conn)
    .await
    .ctx("storing a result document")?;
    Ok(())
}

/// A dossier's result documents.
pub async fn results<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    dossier_id: &str,
) -> Result<Vec<ResultDoc>, DbError> {
    let rows = sqlx::query(
        "SELECT seq, sha256, file_name, media_type, size, added_at, added_by, note \
         FROM dossier_results WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
    .ctx("reading result documents")?;
    rows.iter()
        .map(|r| {
            Ok(ResultDoc {
                seq: r.try_get("seq")?,
                sha256: r.try_get("sha256")?,
                file_name: r.try_get("file_name")?,
                media_type: r.try_get("media_type")?,
                size: r.try_get("size")?,
                added_at: r.try_get("added_at")?,
                added_by: r.try_get("added_by")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("reading result documents")
}

/// Stores the applicant's rating; false if the dossier was already rated.
pub async fn insert_rating(
    conn: &mut AnyConnection,
    dossier_id: &str,
    r: &Rating,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO dossier_ratings (dossier_id, rated_at, score, comment) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (dossier_id) DO NOTHING",
    )
    .bind(dossier_id)
    .bind(&r.rated_at)
    .bind(r.score)
    .bind(&r.comment)
    .execute(conn)
    .await
    .ctx("storing a rating")?;
    Ok(done.rows_affected() == 1)
}

/// The applicant's rating, if given.
pub async fn rating<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    dossier_id: &str,
) -> Result<Option<Rating>, DbError> {
    let row =
        sqlx::query("SELECT rated_at, score, comment FROM dossier_ratings WHERE dossier_id = $1")
            .bind(dossier_id)
            .fetch_optional(exec)
            .await
            .ctx("reading a rating")?;
    row.map(|r| {
        Ok(Rating {
            rated_at: r.try_get("rated_at")?,
            score: r.try_get("score")?,
            comment: r.try_get("comment")?,
        })
    })
    .transpose()
    .ctx("reading a rating")
}

/// Dossiers of agencies within the given roots (code prefixes checked by the caller),
/// in a status, oldest first: the officials' queue.
pub async fn by_status<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    status: DossierStatus,
    limit: i64,
) -> Result<Vec<Dossier>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM dossiers WHERE status = $1 ORDER BY submitted_at, id LIMIT $2"
    ))
    .bind(status.as_str())
    .bind(limit)
    .fetch_all(exec)
    .await
    .ctx("listing dossiers by status")?;
    rows.iter()
        .map(from_row)
        .collect::<Result<_, _>>()
        .ctx("listing dossiers by status")
}

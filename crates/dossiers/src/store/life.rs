//! What a dossier gathers in its life: files, timeline, supplement requests and answers,
//! result documents, the applicant's rating, apologies for lateness.

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::{Any, AnyConnection, Executor};

use super::status_of;
use crate::model::{
    Apology, DossierEvent, DossierFile, DossierStatus, Rating, ResultDoc, SupplementRequest,
};

/// A `dossier_events` row as stored.
#[derive(sqlx::FromRow)]
struct EventRow {
    at: String,
    status: String,
    actor: String,
    note: String,
}

impl From<EventRow> for DossierEvent {
    fn from(r: EventRow) -> Self {
        DossierEvent { status: status_of(&r.status), at: r.at, actor: r.actor, note: r.note }
    }
}

/// A `dossier_supplements` row as stored.
#[derive(sqlx::FromRow)]
struct SupplementRow {
    seq: i64,
    requested_at: String,
    requested_by: String,
    /// JSON array of items.
    items: String,
    note: String,
    resume_status: String,
    answered_at: Option<String>,
    answer_note: Option<String>,
}

impl From<SupplementRow> for SupplementRequest {
    fn from(r: SupplementRow) -> Self {
        SupplementRequest {
            seq: r.seq,
            requested_at: r.requested_at,
            requested_by: r.requested_by,
            items: serde_json::from_str(&r.items).unwrap_or_default(),
            note: r.note,
            resume_status: DossierStatus::parse(&r.resume_status)
                .unwrap_or(DossierStatus::Received),
            answered_at: r.answered_at,
            answer_note: r.answer_note,
        }
    }
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

/// Attaches the files of new dossiers (dossier id, file) in one statement; each (dossier,
/// component, content) once.
pub async fn insert_new_files(
    conn: &mut AnyConnection,
    files: &[(&str, &DossierFile)],
    now: &str,
) -> Result<(), DbError> {
    if files.is_empty() {
        return Ok(());
    }
    let mut q = Sql::on(
        conn,
        "INSERT INTO dossier_files (dossier_id, component, sha256, file_name, media_type, size, added_at) ",
    );
    q.push_values(files, |mut row, (id, f)| {
        row.push_bind(*id)
            .push_bind(f.component)
            .push_bind(&f.sha256)
            .push_bind(&f.file_name)
            .push_bind(&f.media_type)
            .push_bind(f.size)
            .push_bind(now);
    });
    q.build().execute(conn).await.ctx("attaching files")?;
    Ok(())
}

/// The files of a dossier, by component.
pub async fn files<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    dossier_id: &str,
) -> Result<Vec<DossierFile>, DbError> {
    sqlx::query_as(
        "SELECT component, sha256, file_name, media_type, size FROM dossier_files \
         WHERE dossier_id = $1 ORDER BY component, added_at",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
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
    let rows = sqlx::query_as::<_, EventRow>(
        "SELECT at, status, actor, note FROM dossier_events WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
    .ctx("reading a dossier's timeline")?;
    Ok(rows.into_iter().map(DossierEvent::from).collect())
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
    sqlx::query_as(
        "SELECT seq, issued_at, issued_by, agency_name, reason, old_due, new_due \
         FROM dossier_apologies WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(conn)
    .await
    .ctx("reading apologies")
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
    let rows = sqlx::query_as::<_, SupplementRow>(
        "SELECT seq, requested_at, requested_by, items, note, resume_status, answered_at, \
         answer_note FROM dossier_supplements WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
    .ctx("reading supplement requests")?;
    Ok(rows.into_iter().map(SupplementRequest::from).collect())
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
    sqlx::query_as(
        "SELECT seq, sha256, file_name, media_type, size, added_at, added_by, note \
         FROM dossier_results WHERE dossier_id = $1 ORDER BY seq",
    )
    .bind(dossier_id)
    .fetch_all(exec)
    .await
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
    sqlx::query_as("SELECT rated_at, score, comment FROM dossier_ratings WHERE dossier_id = $1")
        .bind(dossier_id)
        .fetch_optional(exec)
        .await
        .ctx("reading a rating")
}

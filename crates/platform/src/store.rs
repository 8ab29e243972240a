//! SQL for the platform core's own tables: settings, jobs, job attempts, stored files.

use sqlx::{AnyConnection, Row};

use crate::db::{Backend, Db};
use crate::error::{DbError, DbResultExt};
use crate::model::{Job, JobAttempt, JobStatus, MediaType, StoredFile};
use crate::sql::Sql;

const JOB_COLUMNS: &str =
    "id, kind, payload, status, attempts, max_attempts, run_at, last_error, created_at, finished_at";

/// A row of `jobs` as stored.
#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    status: String,
    attempts: i64,
    max_attempts: i64,
    run_at: String,
    last_error: Option<String>,
    created_at: String,
    finished_at: Option<String>,
}

impl TryFrom<JobRow> for Job {
    type Error = sqlx::Error;

    fn try_from(r: JobRow) -> Result<Self, Self::Error> {
        Ok(Job {
            id: r.id,
            kind: r.kind,
            payload: r.payload,
            status: JobStatus::parse(&r.status).ok_or_else(|| bad_value("status", &r.status))?,
            attempts: r.attempts,
            max_attempts: r.max_attempts,
            run_at: r.run_at,
            last_error: r.last_error,
            created_at: r.created_at,
            finished_at: r.finished_at,
        })
    }
}

/// A row of `stored_files` as stored.
#[derive(sqlx::FromRow)]
struct FileRow {
    sha256: String,
    size: i64,
    media_type: String,
}

impl TryFrom<FileRow> for StoredFile {
    type Error = sqlx::Error;

    fn try_from(r: FileRow) -> Result<Self, Self::Error> {
        Ok(StoredFile {
            media_type: MediaType::from_mime(&r.media_type)
                .ok_or_else(|| bad_value("media_type", &r.media_type))?,
            sha256: r.sha256,
            size: r.size,
        })
    }
}

/// A stored value this version does not know: a decoding error, not a guess.
fn bad_value(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: format!("unknown value {value:?}").into(),
    }
}

/// Inserts a pending job inside the caller's transaction.
pub async fn insert_job(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &str,
    max_attempts: i64,
    now: &str,
) -> Result<i64, DbError> {
    sqlx::query_scalar(
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
         VALUES ($1, $2, 'pending', 0, $3, $4, $4, $4) RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(max_attempts)
    .bind(now)
    .fetch_one(conn)
    .await
    .ctx("enqueueing job")
}

/// Inserts one job of `kind` per payload in one statement; ids in the payloads' order.
pub async fn insert_jobs(
    conn: &mut AnyConnection,
    kind: &str,
    payloads: &[String],
    max_attempts: i64,
    now: &str,
) -> Result<Vec<i64>, DbError> {
    if payloads.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::on(
        conn,
        "INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) ",
    );
    q.push_values(payloads, |mut row, p| {
        row.push_bind(kind)
            .push_bind(p.as_str())
            .push_bind("pending")
            .push_bind(0_i64)
            .push_bind(max_attempts)
            .push_bind(now)
            .push_bind(now)
            .push_bind(now);
    });
    q.push(" RETURNING id");
    let mut ids: Vec<i64> = q.build_query_scalar().fetch_all(conn).await.ctx("enqueueing jobs")?;
    // One statement takes its ids in row order; RETURNING need not list them so.
    ids.sort_unstable();
    Ok(ids)
}

/// Claims up to `limit` due jobs for `lease_until`, oldest first, counting their attempts.
/// Nodes never claim the same job: one statement, `SKIP LOCKED` on PostgreSQL, the one writer
/// on SQLite.
pub async fn claim_jobs(
    db: &Db,
    kinds: &[String],
    now: &str,
    lease_until: &str,
    limit: i64,
) -> Result<Vec<Job>, DbError> {
    if kinds.is_empty() || limit < 1 {
        return Ok(Vec::new());
    }
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let mut q = Sql::new(db.backend(), "UPDATE jobs SET attempts = attempts + 1, locked_until = ");
    q.push_bind(lease_until).push(", updated_at = ").push_bind(now);
    q.push(" WHERE id IN (SELECT id FROM jobs WHERE status = 'pending' AND run_at <= ")
        .push_bind(now)
        .push(" AND (locked_until IS NULL OR locked_until < ")
        .push_bind(now)
        .push(") AND kind IN (");
    let mut list = q.separated(", ");
    for k in kinds {
        list.push_bind(k.as_str());
    }
    q.push(") ORDER BY run_at, id LIMIT ").push_bind(limit);
    q.push(format_args!("{lock}) RETURNING {JOB_COLUMNS}"));
    let mut tx = db.begin().await?;
    let rows: Vec<JobRow> = q.build_query_as().fetch_all(&mut *tx).await.ctx("claiming jobs")?;
    tx.commit().await?;
    let mut jobs = rows
        .into_iter()
        .map(Job::try_from)
        .collect::<Result<Vec<_>, _>>()
        .ctx("reading claimed jobs")?;
    // RETURNING promises no order: the oldest first, as they were chosen.
    jobs.sort_by(|a, b| a.run_at.cmp(&b.run_at).then(a.id.cmp(&b.id)));
    Ok(jobs)
}

/// Records an attempt's outcome and the job's next state.
#[allow(clippy::too_many_arguments)]
pub async fn finish_attempt(
    db: &Db,
    job: &Job,
    started_at: &str,
    now: &str,
    error: Option<&str>,
    status: JobStatus,
    next_run_at: &str,
) -> Result<(), DbError> {
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, error) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(job.id)
    .bind(job.attempts)
    .bind(started_at)
    .bind(now)
    .bind(if error.is_some() { "error" } else { "ok" })
    .bind(error)
    .execute(&mut *tx)
    .await
    .ctx("recording job attempt")?;
    let finished = if status == JobStatus::Pending { None } else { Some(now) };
    sqlx::query(
        "UPDATE jobs SET status = $1, run_at = $2, locked_until = NULL, last_error = $3, \
         updated_at = $4, finished_at = $5 WHERE id = $6",
    )
    .bind(status.as_str())
    .bind(next_run_at)
    .bind(error)
    .bind(now)
    .bind(finished)
    .bind(job.id)
    .execute(&mut *tx)
    .await
    .ctx("updating job")?;
    tx.commit().await
}

/// Lists jobs, newest first, optionally by status.
pub async fn list_jobs(
    db: &Db,
    status: Option<JobStatus>,
    limit: i64,
) -> Result<Vec<Job>, DbError> {
    let mut q = Sql::new(db.backend(), format!("SELECT {JOB_COLUMNS} FROM jobs"));
    if let Some(s) = status {
        q.push(" WHERE status = ").push_bind(s.as_str());
    }
    q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
    let rows: Vec<JobRow> = q.build_query_as().fetch_all(db.pool()).await.ctx("listing jobs")?;
    rows.into_iter().map(Job::try_from).collect::<Result<_, _>>().ctx("reading jobs")
}

/// One job by id.
pub async fn get_job(db: &Db, id: i64) -> Result<Option<Job>, DbError> {
    let row = sqlx::query_as::<_, JobRow>(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
        .ctx("reading job")?;
    row.map(Job::try_from).transpose().ctx("reading job")
}

/// The attempts of a job, oldest first.
pub async fn job_attempts(db: &Db, job_id: i64) -> Result<Vec<JobAttempt>, DbError> {
    sqlx::query_as::<_, JobAttempt>(
        "SELECT attempt, started_at, finished_at, outcome, error FROM job_attempts \
         WHERE job_id = $1 ORDER BY id",
    )
    .bind(job_id)
    .fetch_all(db.pool())
    .await
    .ctx("reading job attempts")
}

/// Counts jobs by status.
pub async fn count_jobs(db: &Db) -> Result<Vec<(String, i64)>, DbError> {
    sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status")
        .fetch_all(db.pool())
        .await
        .ctx("counting jobs")
}

/// Puts a dead job back in the queue with fresh attempts.
pub async fn requeue_job(db: &Db, id: i64, now: &str) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'pending', attempts = 0, run_at = $1, locked_until = NULL, \
         updated_at = $1, finished_at = NULL WHERE id = $2 AND status = 'dead'",
    )
    .bind(now)
    .bind(id)
    .execute(db.pool())
    .await
    .ctx("requeueing job")?;
    Ok(done.rows_affected() == 1)
}

/// The earliest time a pending job becomes due, if any.
pub async fn next_due(db: &Db) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE status = 'pending'")
        .fetch_one(db.pool())
        .await
        .ctx("finding next due job")
}

/// Records a stored file's metadata (idempotent).
pub async fn insert_file(db: &Db, file: &StoredFile, now: &str) -> Result<(), DbError> {
    let sql = "INSERT INTO stored_files (sha256, size, media_type, created_at) \
               VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING";
    sqlx::query(sql)
        .bind(&file.sha256)
        .bind(file.size)
        .bind(file.media_type.mime())
        .bind(now)
        .execute(db.pool())
        .await
        .ctx("recording stored file")?;
    Ok(())
}

/// Metadata of a stored file.
pub async fn get_file(db: &Db, sha256: &str) -> Result<Option<StoredFile>, DbError> {
    let row = sqlx::query_as::<_, FileRow>(
        "SELECT sha256, size, media_type FROM stored_files WHERE sha256 = $1",
    )
    .bind(sha256)
    .fetch_optional(db.pool())
    .await
    .ctx("reading stored file")?;
    row.map(StoredFile::try_from).transpose().ctx("decoding stored file")
}

/// Reads a setting.
pub async fn get_setting(db: &Db, key: &str) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT value FROM platform_settings WHERE key = $1")
        .bind(key)
        .fetch_optional(db.pool())
        .await
        .ctx("reading setting")
}

/// Writes a setting.
pub async fn put_setting(db: &Db, key: &str, value: &str, now: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO platform_settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(db.pool())
    .await
    .ctx("writing setting")?;
    Ok(())
}

/// How a column's values are carried in a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    /// 64-bit integer.
    Int,
    /// Floating point.
    Float,
    /// Text.
    Text,
    /// Bytes (base64 in the archive).
    Bytes,
}

impl ColumnKind {
    fn from_sql_type(t: &str) -> Self {
        let t = t.to_ascii_lowercase();
        if t.contains("int") {
            ColumnKind::Int
        } else if t.contains("double")
            || t.contains("real")
            || t.contains("float")
            || t.contains("numeric")
        {
            ColumnKind::Float
        } else if t.contains("blob") || t.contains("bytea") {
            ColumnKind::Bytes
        } else {
            ColumnKind::Text
        }
    }
}

/// The application's tables in creation order (which respects foreign keys); the migrations'
/// bookkeeping (sqlx's table, and the table of releases before it) is not application data.
pub async fn list_tables(db: &Db) -> Result<Vec<String>, DbError> {
    let sql = match db.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT IN ('cqdt_migrations', '_sqlx_migrations') ORDER BY rowid"
        }
        Backend::Postgres => {
            "SELECT CAST(c.relname AS TEXT) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r' \
             AND c.relname NOT IN ('cqdt_migrations', '_sqlx_migrations') ORDER BY c.oid"
        }
    };
    sqlx::query_scalar(sql).fetch_all(db.pool()).await.ctx("listing tables")
}

/// A table's columns and how each is carried.
pub async fn table_columns(db: &Db, table: &str) -> Result<Vec<(String, ColumnKind)>, DbError> {
    let sql = match db.backend() {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows: Vec<(String, String)> =
        sqlx::query_as(sql).bind(table).fetch_all(db.pool()).await.ctx("reading table columns")?;
    Ok(rows.into_iter().map(|(name, t)| (name, ColumnKind::from_sql_type(&t))).collect())
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Every row of a table as JSON values in column order.
pub async fn dump_table(
    db: &Db,
    table: &str,
    columns: &[(String, ColumnKind)],
) -> Result<Vec<Vec<serde_json::Value>>, DbError> {
    use base64::Engine;
    use serde_json::Value;
    let cols: Vec<String> = columns.iter().map(|(c, _)| quote_ident(c)).collect();
    let sql = format!("SELECT {} FROM {} ORDER BY 1", cols.join(", "), quote_ident(table));
    let rows = sqlx::query(&sql).fetch_all(db.pool()).await.ctx("dumping table")?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let mut values = Vec::with_capacity(columns.len());
        for (i, (_, kind)) in columns.iter().enumerate() {
            let v = match kind {
                ColumnKind::Int => {
                    row.try_get::<Option<i64>, _>(i).ctx("reading integer column")?.map(Value::from)
                }
                ColumnKind::Float => {
                    row.try_get::<Option<f64>, _>(i).ctx("reading float column")?.map(Value::from)
                }
                ColumnKind::Text => {
                    row.try_get::<Option<String>, _>(i).ctx("reading text column")?.map(Value::from)
                }
                ColumnKind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(i)
                    .ctx("reading bytes column")?
                    .map(|b| Value::from(base64::engine::general_purpose::STANDARD.encode(b))),
            };
            values.push(v.unwrap_or(Value::Null));
        }
        out.push(values);
    }
    Ok(out)
}

/// Counts a table's rows.
pub async fn count_rows(db: &Db, table: &str) -> Result<i64, DbError> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", quote_ident(table)))
        .fetch_one(db.pool())
        .await
        .ctx("counting rows")
}

/// Deletes every row of the given tables, last first.
pub async fn clear_tables(conn: &mut AnyConnection, tables: &[String]) -> Result<(), DbError> {
    for t in tables.iter().rev() {
        sqlx::query(&format!("DELETE FROM {}", quote_ident(t)))
            .execute(&mut *conn)
            .await
            .ctx("clearing table")?;
    }
    Ok(())
}

/// Inserts one row given as JSON values in column order.
pub async fn insert_row(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[(String, ColumnKind)],
    values: &[serde_json::Value],
) -> Result<(), DbError> {
    use base64::Engine;
    use serde_json::Value;
    let names: Vec<String> = columns.iter().map(|(c, _)| quote_ident(c)).collect();
    let mut q =
        Sql::on(conn, format!("INSERT INTO {} ({}) ", quote_ident(table), names.join(", ")));
    q.push_values([()], |mut row, ()| {
        for ((_, kind), v) in columns.iter().zip(values) {
            match (kind, v) {
                (ColumnKind::Int, Value::Null) => row.push_bind(None::<i64>),
                (ColumnKind::Int, v) => row.push_bind(v.as_i64()),
                (ColumnKind::Float, Value::Null) => row.push_bind(None::<f64>),
                (ColumnKind::Float, v) => row.push_bind(v.as_f64()),
                (ColumnKind::Text, Value::Null) => row.push_bind(None::<String>),
                (ColumnKind::Text, v) => row.push_bind(v.as_str().map(str::to_string)),
                (ColumnKind::Bytes, Value::Null) => row.push_bind(None::<Vec<u8>>),
                (ColumnKind::Bytes, v) => row.push_bind(
                    v.as_str()
                        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok()),
                ),
            };
        }
    });
    q.build().execute(conn).await.ctx("restoring row")?;
    Ok(())
}

/// Moves PostgreSQL identity sequences past the restored ids.
pub async fn reset_sequences(
    conn: &mut AnyConnection,
    backend: Backend,
    tables: &[String],
) -> Result<(), DbError> {
    if backend != Backend::Postgres {
        return Ok(());
    }
    for t in tables {
        let sql = format!(
            "SELECT CAST(setval(pg_get_serial_sequence($1, 'id'), COALESCE(MAX(id), 0) + 1, false) AS BIGINT) FROM {}",
            quote_ident(t)
        );
        let has_id: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = 'id' \
             AND is_identity = 'YES'",
        )
        .bind(t)
        .fetch_optional(&mut *conn)
        .await
        .ctx("looking for identity columns")?;
        if has_id.unwrap_or(0) > 0 {
            sqlx::query(&sql).bind(t).execute(&mut *conn).await.ctx("resetting sequence")?;
        }
    }
    Ok(())
}

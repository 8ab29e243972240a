//! SQL for the audit log table.

use cqdt_platform::{Backend, Db, DbError, DbResultExt, Sql};
use sqlx::AnyConnection;

use crate::model::{AuditEvent, AuditRecord, Outcome};

const COLUMNS: &str = "seq, at, actor, actor_agency, action, object_type, object_id, purpose, \
                       outcome, request_id, details, prev_hash, hash";

const PENDING_COLUMNS: &str =
    "at, actor, actor_agency, action, object_type, object_id, purpose, outcome, request_id, details";

/// The event's columns, as both tables store them.
#[derive(sqlx::FromRow)]
struct EventColumns {
    actor: String,
    actor_agency: Option<String>,
    action: String,
    object_type: String,
    object_id: Option<String>,
    purpose: Option<String>,
    outcome: String,
    request_id: Option<String>,
    details: Option<String>,
}

impl From<EventColumns> for AuditEvent {
    fn from(c: EventColumns) -> Self {
        AuditEvent {
            actor: c.actor,
            actor_agency: c.actor_agency,
            action: c.action,
            object_type: c.object_type,
            object_id: c.object_id,
            purpose: c.purpose,
            // An unknown outcome can only come from tampering: the row must still be read,
            // so that the hash check names it rather than the read failing.
            outcome: Outcome::parse(&c.outcome).unwrap_or(Outcome::Failure),
            request_id: c.request_id,
            details: c.details,
        }
    }
}

/// A row of `audit_log`.
#[derive(sqlx::FromRow)]
struct LogRow {
    seq: i64,
    at: String,
    #[sqlx(flatten)]
    event: EventColumns,
    prev_hash: String,
    hash: String,
}

impl From<LogRow> for AuditRecord {
    fn from(r: LogRow) -> Self {
        AuditRecord {
            seq: r.seq,
            at: r.at,
            event: r.event.into(),
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

/// A row of `audit_pending`.
#[derive(sqlx::FromRow)]
struct PendingRow {
    id: i64,
    at: String,
    #[sqlx(flatten)]
    event: EventColumns,
}

/// Serialises appenders on PostgreSQL until the caller's transaction ends.
pub async fn lock_chain(conn: &mut AnyConnection, backend: Backend) -> Result<(), DbError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(73530002)")
            .execute(conn)
            .await
            .ctx("locking the audit chain")?;
    }
    Ok(())
}

/// The last row's position and hash.
pub async fn head(conn: &mut AnyConnection) -> Result<Option<(i64, String)>, DbError> {
    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(conn)
        .await
        .ctx("reading the audit chain head")
}

/// Binds an event's nine columns, in the order the tables list them after `at`.
fn push_event<'q>(row: &mut cqdt_platform::sql::Separated<'_, 'q>, e: &'q AuditEvent) {
    row.push_bind(&e.actor)
        .push_bind(&e.actor_agency)
        .push_bind(&e.action)
        .push_bind(&e.object_type)
        .push_bind(&e.object_id)
        .push_bind(&e.purpose)
        .push_bind(e.outcome.as_str())
        .push_bind(&e.request_id)
        .push_bind(&e.details);
}

/// Appends records in one statement (the chainer writes up to this many at a time).
pub async fn insert_many(conn: &mut AnyConnection, records: &[AuditRecord]) -> Result<(), DbError> {
    if records.is_empty() {
        return Ok(());
    }
    let mut q = Sql::on(conn, format!("INSERT INTO audit_log ({COLUMNS}) "));
    q.push_values(records, |mut row, r| {
        row.push_bind(r.seq).push_bind(&r.at);
        push_event(&mut row, &r.event);
        row.push_bind(&r.prev_hash).push_bind(&r.hash);
    });
    q.build().execute(conn).await.ctx("appending to the audit log")?;
    Ok(())
}

/// Rows after `after_seq` in storage order, for verification.
pub async fn batch(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, DbError> {
    let rows = sqlx::query_as::<_, LogRow>(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await
    .ctx("reading the audit log")?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

/// Search criteria; every given field must match.
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct Filter {
    /// Actor, exact.
    pub actor: Option<String>,
    /// Action, prefix (e.g. `catalog.`).
    pub action: Option<String>,
    /// Object type, exact.
    pub object_type: Option<String>,
    /// Object id, exact.
    pub object_id: Option<String>,
    /// Agency code, exact.
    pub agency: Option<String>,
    /// Outcome, exact.
    pub outcome: Option<String>,
    /// From this stored timestamp (inclusive).
    pub from: Option<String>,
    /// Before this stored timestamp.
    pub to: Option<String>,
}

/// Searches the log, newest first; returns one page.
pub async fn search(
    db: &Db,
    f: &Filter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, DbError> {
    let given = |v: &Option<String>| {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
    };
    let mut q = Sql::new(db.backend(), format!("SELECT {COLUMNS} FROM audit_log WHERE 1 = 1"));
    for (clause, value) in [
        (" AND actor = ", &f.actor),
        (" AND object_type = ", &f.object_type),
        (" AND object_id = ", &f.object_id),
        (" AND actor_agency = ", &f.agency),
        (" AND outcome = ", &f.outcome),
        (" AND at >= ", &f.from),
        (" AND at < ", &f.to),
    ] {
        if let Some(v) = given(value) {
            q.push(clause).push_bind(v);
        }
    }
    if let Some(prefix) = given(&f.action) {
        // Prefix match by range keeps the index usable on both backends.
        let end = format!("{prefix}\u{10FFFF}");
        q.push(" AND action >= ").push_bind(prefix);
        q.push(" AND action < ").push_bind(end);
    }
    if let Some(b) = before_seq {
        q.push(" AND seq < ").push_bind(b);
    }
    q.push(" ORDER BY seq DESC LIMIT ").push_bind(limit.clamp(1, 1000));
    let rows =
        q.build_query_as::<LogRow>().fetch_all(db.pool()).await.ctx("searching the audit log")?;
    Ok(rows.into_iter().map(AuditRecord::from).collect())
}

/// The hash of one row, if it exists.
pub async fn hash_of(db: &Db, seq: i64) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(db.pool())
        .await
        .ctx("reading an audit row")
}

/// Records an event to be chained later, in the caller's transaction.
pub async fn insert_pending(
    conn: &mut AnyConnection,
    at: &str,
    e: &AuditEvent,
) -> Result<(), DbError> {
    insert_pending_many(conn, at, std::slice::from_ref(e)).await
}

/// Queues several events to be chained, in one statement, in their order.
pub async fn insert_pending_many(
    conn: &mut AnyConnection,
    at: &str,
    events: &[AuditEvent],
) -> Result<(), DbError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = Sql::on(conn, format!("INSERT INTO audit_pending ({PENDING_COLUMNS}) "));
    q.push_values(events, |mut row, e| {
        row.push_bind(at);
        push_event(&mut row, e);
    });
    q.build().execute(conn).await.ctx("recording audit events")?;
    Ok(())
}

/// The oldest committed events waiting to be chained, with their ids.
pub async fn pending(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(i64, String, AuditEvent)>, DbError> {
    let rows = sqlx::query_as::<_, PendingRow>(&format!(
        "SELECT id, {PENDING_COLUMNS} FROM audit_pending ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await
    .ctx("reading pending audit events")?;
    Ok(rows.into_iter().map(|r| (r.id, r.at, r.event.into())).collect())
}

/// Removes chained events by id (exact ids: rows committed meanwhile stay for the next round).
pub async fn delete_pending(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(500) {
        let mut q = Sql::on(conn, "DELETE FROM audit_pending WHERE id IN (");
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(*id);
        }
        q.push(")");
        q.build().execute(&mut *conn).await.ctx("clearing chained audit events")?;
    }
    Ok(())
}

//! SQL for the audit log table.

use cqdt_platform::{Backend, Db, DbError, DbResultExt};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::model::{AuditEvent, AuditRecord, Outcome};

const COLUMNS: &str = "seq, at, actor, actor_agency, action, object_type, object_id, purpose, \
                       outcome, request_id, details, prev_hash, hash";

fn record_from_row(r: &AnyRow) -> Result<AuditRecord, sqlx::Error> {
    let outcome: String = r.try_get("outcome")?;
    Ok(AuditRecord {
        seq: r.try_get("seq")?,
        at: r.try_get("at")?,
        event: AuditEvent {
            actor: r.try_get("actor")?,
            actor_agency: r.try_get("actor_agency")?,
            action: r.try_get("action")?,
            object_type: r.try_get("object_type")?,
            object_id: r.try_get("object_id")?,
            purpose: r.try_get("purpose")?,
            // An unknown outcome can only come from tampering; the hash check will catch it.
            outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failure),
            request_id: r.try_get("request_id")?,
            details: r.try_get("details")?,
        },
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
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

type Query<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds an event's nine columns, in the order the tables list them after `at`.
fn bind_event<'q>(q: Query<'q>, e: &'q AuditEvent) -> Query<'q> {
    q.bind(&e.actor)
        .bind(&e.actor_agency)
        .bind(&e.action)
        .bind(&e.object_type)
        .bind(&e.object_id)
        .bind(&e.purpose)
        .bind(e.outcome.as_str())
        .bind(&e.request_id)
        .bind(&e.details)
}

/// Appends records in one statement (the chainer writes up to this many at a time).
pub async fn insert_many(conn: &mut AnyConnection, records: &[AuditRecord]) -> Result<(), DbError> {
    if records.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO audit_log ({COLUMNS}) VALUES {}",
        cqdt_platform::db::values_list(records.len(), 13, 0)
    );
    let mut q = sqlx::query(&sql);
    for r in records {
        q = bind_event(q.bind(r.seq).bind(&r.at), &r.event)
            .bind(&r.prev_hash)
            .bind(&r.hash);
    }
    q.execute(conn).await.ctx("appending to the audit log")?;
    Ok(())
}

/// Rows after `after_seq` in storage order, for verification.
pub async fn batch(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(db.pool())
    .await
    .ctx("reading the audit log")?;
    rows.iter()
        .map(record_from_row)
        .collect::<Result<_, _>>()
        .ctx("decoding audit rows")
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

/// Searches the log, newest first; returns one page and whether more exist.
pub async fn search(
    db: &Db,
    f: &Filter,
    before_seq: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditRecord>, DbError> {
    let mut clauses: Vec<String> = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut add = |clause: &str, value: &Option<String>| {
        if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            args.push(v.to_string());
            clauses.push(clause.replace('?', &format!("${}", args.len())));
        }
    };
    add("actor = ?", &f.actor);
    add("object_type = ?", &f.object_type);
    add("object_id = ?", &f.object_id);
    add("actor_agency = ?", &f.agency);
    add("outcome = ?", &f.outcome);
    add("at >= ?", &f.from);
    add("at < ?", &f.to);
    if let Some(prefix) = f.action.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        // Prefix match by range keeps the index usable on both backends.
        args.push(prefix.to_string());
        let a = args.len();
        args.push(format!("{prefix}\u{10FFFF}"));
        clauses.push(format!("action >= ${a} AND action < ${}", a + 1));
    }
    let mut sql = format!("SELECT {COLUMNS} FROM audit_log");
    let mut where_parts = clauses;
    if let Some(b) = before_seq {
        where_parts.push(format!("seq < {b}"));
    }
    if !where_parts.is_empty() {
        sql.push_str(" WHERE ");
        sql.push_str(&where_parts.join(" AND "));
    }
    sql.push_str(&format!(
        " ORDER BY seq DESC LIMIT {}",
        limit.clamp(1, 1000)
    ));
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q
        .fetch_all(db.pool())
        .await
        .ctx("searching the audit log")?;
    rows.iter()
        .map(record_from_row)
        .collect::<Result<_, _>>()
        .ctx("decoding audit rows")
}

/// The hash of one row, if it exists.
pub async fn hash_of(db: &Db, seq: i64) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_optional(db.pool())
        .await
        .ctx("reading an audit row")
}

const PENDING_COLUMNS: &str =
    "at, actor, actor_agency, action, object_type, object_id, purpose, outcome, request_id, details";

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
    let sq = cqdt_platform::db::is_sqlite(conn);
    let values = (0..events.len())
        .map(|r| format!("({})", cqdt_platform::db::marks(sq, 1 + r * 10, 10)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!("INSERT INTO audit_pending ({PENDING_COLUMNS}) VALUES {values}");
    let mut q = sqlx::query(&sql);
    for e in events {
        q = bind_event(q.bind(at), e);
    }
    q.execute(conn).await.ctx("recording audit events")?;
    Ok(())
}

/// The oldest committed events waiting to be chained, with their ids.
pub async fn pending(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<(i64, String, AuditEvent)>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT id, {PENDING_COLUMNS} FROM audit_pending ORDER BY id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(conn)
    .await
    .ctx("reading pending audit events")?;
    rows.iter()
        .map(|r| {
            let outcome: String = r.try_get("outcome")?;
            Ok((
                r.try_get("id")?,
                r.try_get("at")?,
                AuditEvent {
                    actor: r.try_get("actor")?,
                    actor_agency: r.try_get("actor_agency")?,
                    action: r.try_get("action")?,
                    object_type: r.try_get("object_type")?,
                    object_id: r.try_get("object_id")?,
                    purpose: r.try_get("purpose")?,
                    outcome: Outcome::parse(&outcome).unwrap_or(Outcome::Failure),
                    request_id: r.try_get("request_id")?,
                    details: r.try_get("details")?,
                },
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .ctx("reading pending audit events")
}

/// Removes chained events by id (exact ids: rows committed meanwhile stay for the next round).
pub async fn delete_pending(conn: &mut AnyConnection, ids: &[i64]) -> Result<(), DbError> {
    for chunk in ids.chunks(500) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        sqlx::query(&format!("DELETE FROM audit_pending WHERE id IN ({list})"))
            .execute(&mut *conn)
            .await
            .ctx("clearing chained audit events")?;
    }
    Ok(())
}

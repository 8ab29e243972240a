//! SQL for the integration platform's own tables (`lgsp_*`). One SQL string for both backends.

use cqdt_platform::{DbError, DbResultExt, Sql};
use sqlx::{Any, AnyConnection, Executor};

use crate::model::{Call, Grant, GrantRow, Member, Operation, Service, ServiceRow, Subsystem};

const SERVICE_COLS: &str = "id, member_code, subsystem_code, code, name, description, version, \
     status, base_url, owner, sla_response_ms, sla_availability, timeout_ms, max_body_bytes, \
     calls_per_minute, keep_bodies_bytes, peer_code, updated_at";

const SUBSYSTEM_SELECT: &str =
    "SELECT member_code, code, name, client_id, push_url FROM lgsp_subsystems";

const GRANT_COLS: &str = "id, consumer_member, consumer_subsystem, service_id, operation_id, \
     status, purpose, valid_until, requested_by, requested_at, decided_by, decided_at, decision_note";

/// Adds a member.
pub async fn insert_member(conn: &mut AnyConnection, m: &Member, by: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO lgsp_members (code, name, created_at, created_by) VALUES ($1, $2, $3, $4)",
    )
    .bind(&m.code)
    .bind(&m.name)
    .bind(&m.created_at)
    .bind(by)
    .execute(conn)
    .await
    .ctx("adding a member")?;
    Ok(())
}

/// Every member, by code.
pub async fn members<'e, E: Executor<'e, Database = Any>>(exec: E) -> Result<Vec<Member>, DbError> {
    sqlx::query_as("SELECT code, name, created_at FROM lgsp_members ORDER BY code")
        .fetch_all(exec)
        .await
        .ctx("listing members")
}

/// A member by code.
pub async fn member<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    code: &str,
) -> Result<Option<Member>, DbError> {
    sqlx::query_as("SELECT code, name, created_at FROM lgsp_members WHERE code = $1")
        .bind(code)
        .fetch_optional(exec)
        .await
        .ctx("reading a member")
}

/// Adds a system to a member.
pub async fn insert_subsystem(
    conn: &mut AnyConnection,
    s: &Subsystem,
    now: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO lgsp_subsystems (member_code, code, name, client_id, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&s.member_code)
    .bind(&s.code)
    .bind(&s.name)
    .bind(&s.client_id)
    .bind(now)
    .execute(conn)
    .await
    .ctx("adding a system")?;
    Ok(())
}

/// Sets or clears where a system's messages are pushed.
pub async fn set_push_url(
    conn: &mut AnyConnection,
    member: &str,
    code: &str,
    url: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE lgsp_subsystems SET push_url = $3 WHERE member_code = $1 AND code = $2")
        .bind(member)
        .bind(code)
        .bind(url)
        .execute(conn)
        .await
        .ctx("setting a system's push address")?;
    Ok(())
}

/// Every system, by member and code.
pub async fn subsystems<'e, E: Executor<'e, Database = Any>>(
    exec: E,
) -> Result<Vec<Subsystem>, DbError> {
    sqlx::query_as(&format!("{SUBSYSTEM_SELECT} ORDER BY member_code, code"))
        .fetch_all(exec)
        .await
        .ctx("listing systems")
}

/// A system by member and code.
pub async fn subsystem<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    member: &str,
    code: &str,
) -> Result<Option<Subsystem>, DbError> {
    sqlx::query_as(&format!("{SUBSYSTEM_SELECT} WHERE member_code = $1 AND code = $2"))
        .bind(member)
        .bind(code)
        .fetch_optional(exec)
        .await
        .ctx("reading a system")
}

/// The system an OAuth client calls as.
pub async fn subsystem_of_client<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    client_id: &str,
) -> Result<Option<Subsystem>, DbError> {
    sqlx::query_as(&format!("{SUBSYSTEM_SELECT} WHERE client_id = $1"))
        .bind(client_id)
        .fetch_optional(exec)
        .await
        .ctx("reading a client's system")
}

/// Writes a service (new or changed) with its document and operations, replacing the old.
pub async fn put_service(
    conn: &mut AnyConnection,
    s: &Service,
    openapi: &str,
    operations: &[Operation],
    by: &str,
    exists: bool,
) -> Result<(), DbError> {
    let sql = if exists {
        "UPDATE lgsp_services SET member_code = $2, subsystem_code = $3, code = $4, name = $5, \
         description = $6, version = $7, status = $8, base_url = $9, owner = $10, \
         sla_response_ms = $11, sla_availability = $12, timeout_ms = $13, max_body_bytes = $14, \
         calls_per_minute = $15, updated_at = $16, openapi = $17, updated_by = $18, \
         keep_bodies_bytes = $19, peer_code = $20 WHERE id = $1"
    } else {
        "INSERT INTO lgsp_services (id, member_code, subsystem_code, code, name, description, \
         version, status, base_url, owner, sla_response_ms, sla_availability, timeout_ms, \
         max_body_bytes, calls_per_minute, updated_at, openapi, updated_by, keep_bodies_bytes, \
         peer_code, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
         $19, $20, $16)"
    };
    sqlx::query(sql)
        .bind(&s.id)
        .bind(&s.member_code)
        .bind(&s.subsystem_code)
        .bind(&s.code)
        .bind(&s.name)
        .bind(&s.description)
        .bind(&s.version)
        .bind(s.status.as_str())
        .bind(&s.base_url)
        .bind(&s.owner)
        .bind(s.sla_response_ms)
        .bind(s.sla_availability)
        .bind(s.timeout_ms)
        .bind(s.max_body_bytes)
        .bind(s.calls_per_minute)
        .bind(&s.updated_at)
        .bind(openapi)
        .bind(by)
        .bind(s.keep_bodies_bytes)
        .bind(s.peer_code.as_deref())
        .execute(&mut *conn)
        .await
        .ctx("writing a service")?;
    sqlx::query("DELETE FROM lgsp_operations WHERE service_id = $1")
        .bind(&s.id)
        .execute(&mut *conn)
        .await
        .ctx("replacing a service's operations")?;
    for chunk in operations.chunks(100) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO lgsp_operations (service_id, operation_id, method, path, summary) ",
        );
        q.push_values(chunk, |mut row, o| {
            row.push_bind(s.id.as_str())
                .push_bind(o.operation_id.as_str())
                .push_bind(o.method.as_str())
                .push_bind(o.path.as_str())
                .push_bind(o.summary.as_str());
        });
        q.build().execute(&mut *conn).await.ctx("writing a service's operations")?;
    }
    Ok(())
}

/// Services, by member and code; only those in `statuses` when given.
pub async fn services<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    member: Option<&str>,
) -> Result<Vec<Service>, DbError> {
    let rows: Vec<ServiceRow> = sqlx::query_as(&format!(
        "SELECT {SERVICE_COLS} FROM lgsp_services WHERE ($1 = '' OR member_code = $1) \
         ORDER BY member_code, code"
    ))
    .bind(member.unwrap_or(""))
    .fetch_all(exec)
    .await
    .ctx("listing services")?;
    rows.into_iter().map(Service::try_from).collect()
}

/// A service by id.
pub async fn service<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id: &str,
) -> Result<Option<Service>, DbError> {
    let row: Option<ServiceRow> =
        sqlx::query_as(&format!("SELECT {SERVICE_COLS} FROM lgsp_services WHERE id = $1"))
            .bind(id)
            .fetch_optional(exec)
            .await
            .ctx("reading a service")?;
    row.map(Service::try_from).transpose()
}

/// A service by its member and code (the gateway's address).
pub async fn service_at<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    member: &str,
    code: &str,
) -> Result<Option<Service>, DbError> {
    let row: Option<ServiceRow> = sqlx::query_as(&format!(
        "SELECT {SERVICE_COLS} FROM lgsp_services WHERE member_code = $1 AND code = $2"
    ))
    .bind(member)
    .bind(code)
    .fetch_optional(exec)
    .await
    .ctx("reading a service")?;
    row.map(Service::try_from).transpose()
}

/// A service's operations, by path and method.
pub async fn operations<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    service_id: &str,
) -> Result<Vec<Operation>, DbError> {
    sqlx::query_as(
        "SELECT operation_id, method, path, summary FROM lgsp_operations WHERE service_id = $1 \
         ORDER BY path, method",
    )
    .bind(service_id)
    .fetch_all(exec)
    .await
    .ctx("listing a service's operations")
}

/// A service's OpenAPI document as stored.
pub async fn openapi<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    service_id: &str,
) -> Result<Option<String>, DbError> {
    sqlx::query_scalar("SELECT openapi FROM lgsp_services WHERE id = $1")
        .bind(service_id)
        .fetch_optional(exec)
        .await
        .ctx("reading a service's document")
}

/// Adds grants (a request covers one or more operations).
pub async fn insert_grants(conn: &mut AnyConnection, grants: &[Grant]) -> Result<(), DbError> {
    for chunk in grants.chunks(50) {
        let mut q = Sql::on(conn, format!("INSERT INTO lgsp_grants ({GRANT_COLS}) "));
        q.push_values(chunk, |mut row, g| {
            row.push_bind(g.id.as_str())
                .push_bind(g.consumer_member.as_str())
                .push_bind(g.consumer_subsystem.as_str())
                .push_bind(g.service_id.as_str())
                .push_bind(g.operation_id.as_str())
                .push_bind(g.status.as_str())
                .push_bind(g.purpose.as_str())
                .push_bind(g.valid_until.as_str())
                .push_bind(g.requested_by.as_str())
                .push_bind(g.requested_at.as_str())
                .push_bind(g.decided_by.as_deref())
                .push_bind(g.decided_at.as_deref())
                .push_bind(g.decision_note.as_deref());
        });
        q.build().execute(&mut *conn).await.ctx("adding grants")?;
    }
    Ok(())
}

/// What a list of grants is filtered by (empty: any).
#[derive(Debug, Default, Clone)]
pub struct GrantFilter {
    /// Grant status.
    pub status: String,
    /// Service id.
    pub service_id: String,
    /// The consumer member.
    pub consumer_member: String,
    /// The consumer system (with its member).
    pub consumer_subsystem: String,
}

/// Grants, newest request first.
pub async fn grants<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    f: &GrantFilter,
    limit: i64,
) -> Result<Vec<Grant>, DbError> {
    let rows: Vec<GrantRow> = sqlx::query_as(&format!(
        "SELECT {GRANT_COLS} FROM lgsp_grants WHERE ($1 = '' OR status = $1) \
         AND ($2 = '' OR service_id = $2) AND ($3 = '' OR consumer_member = $3) \
         AND ($4 = '' OR consumer_subsystem = $4) ORDER BY requested_at DESC, id LIMIT $5"
    ))
    .bind(&f.status)
    .bind(&f.service_id)
    .bind(&f.consumer_member)
    .bind(&f.consumer_subsystem)
    .bind(limit)
    .fetch_all(exec)
    .await
    .ctx("listing grants")?;
    rows.into_iter().map(Grant::try_from).collect()
}

/// A grant by id.
pub async fn grant<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    id: &str,
) -> Result<Option<Grant>, DbError> {
    let row: Option<GrantRow> =
        sqlx::query_as(&format!("SELECT {GRANT_COLS} FROM lgsp_grants WHERE id = $1"))
            .bind(id)
            .fetch_optional(exec)
            .await
            .ctx("reading a grant")?;
    row.map(Grant::try_from).transpose()
}

/// Moves a grant from `from` to its new status; false when it was no longer in `from`.
pub async fn decide_grant(
    conn: &mut AnyConnection,
    g: &Grant,
    from: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE lgsp_grants SET status = $2, decided_by = $3, decided_at = $4, \
         decision_note = $5, valid_until = $6 WHERE id = $1 AND status = $7",
    )
    .bind(&g.id)
    .bind(g.status.as_str())
    .bind(&g.decided_by)
    .bind(&g.decided_at)
    .bind(&g.decision_note)
    .bind(&g.valid_until)
    .bind(from)
    .execute(conn)
    .await
    .ctx("deciding a grant")?;
    Ok(done.rows_affected() == 1)
}

/// The operations of a service a consumer system holds an approved, unexpired grant for.
pub async fn granted_operations<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    member: &str,
    subsystem: &str,
    service_id: &str,
    today: &str,
) -> Result<Vec<String>, DbError> {
    sqlx::query_scalar(
        "SELECT DISTINCT operation_id FROM lgsp_grants WHERE consumer_member = $1 \
         AND consumer_subsystem = $2 AND service_id = $3 AND status = 'approved' \
         AND valid_until >= $4 ORDER BY operation_id",
    )
    .bind(member)
    .bind(subsystem)
    .bind(service_id)
    .bind(today)
    .fetch_all(exec)
    .await
    .ctx("reading a consumer's grants")
}

/// Records gateway calls (a batch).
pub async fn insert_calls(
    conn: &mut AnyConnection,
    calls: &[(Call, Option<String>)],
) -> Result<(), DbError> {
    for chunk in calls.chunks(200) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO lgsp_calls (request_id, at, consumer, service_id, service, operation_id, \
             method, status, failed_side, request_bytes, response_bytes, duration_us, provider_us) ",
        );
        q.push_values(chunk, |mut row, (c, service_id)| {
            row.push_bind(c.request_id.as_str())
                .push_bind(c.at.as_str())
                .push_bind(c.consumer.as_str())
                .push_bind(service_id.as_deref())
                .push_bind(c.service.as_str())
                .push_bind(c.operation_id.as_deref())
                .push_bind(c.method.as_str())
                .push_bind(c.status)
                .push_bind(c.failed_side.as_deref())
                .push_bind(c.request_bytes)
                .push_bind(c.response_bytes)
                .push_bind(c.duration_us)
                .push_bind(c.provider_us);
        });
        q.build().execute(&mut *conn).await.ctx("recording gateway calls")?;
    }
    Ok(())
}

/// Calls since an instant, newest first, for one service (`member/code`) or all.
pub async fn calls<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    since: &str,
    service: &str,
    limit: i64,
) -> Result<Vec<Call>, DbError> {
    sqlx::query_as(
        "SELECT request_id, at, consumer, service, operation_id, method, status, failed_side, \
         request_bytes, response_bytes, duration_us, provider_us FROM lgsp_calls \
         WHERE at >= $1 AND ($2 = '' OR service = $2) ORDER BY at DESC LIMIT $3",
    )
    .bind(since)
    .bind(service)
    .bind(limit)
    .fetch_all(exec)
    .await
    .ctx("listing gateway calls")
}

/// Every service's operations, for the gateway's snapshot: (service id, operation).
pub async fn all_operations<'e, E: Executor<'e, Database = Any>>(
    exec: E,
) -> Result<Vec<(String, Operation)>, DbError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        service_id: String,
        #[sqlx(flatten)]
        op: Operation,
    }
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT service_id, operation_id, method, path, summary FROM lgsp_operations \
         ORDER BY service_id, path, method",
    )
    .fetch_all(exec)
    .await
    .ctx("listing operations")?;
    Ok(rows.into_iter().map(|r| (r.service_id, r.op)).collect())
}

/// An approved grant as the gateway checks it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Allowance {
    /// The consuming member.
    pub consumer_member: String,
    /// The consuming system.
    pub consumer_subsystem: String,
    /// The service.
    pub service_id: String,
    /// The operation.
    pub operation_id: String,
    /// Last day (yyyy-mm-dd).
    pub valid_until: String,
}

/// Every approved grant not ended before `today`, for the gateway's snapshot.
pub async fn allowances<'e, E: Executor<'e, Database = Any>>(
    exec: E,
    today: &str,
) -> Result<Vec<Allowance>, DbError> {
    sqlx::query_as(
        "SELECT consumer_member, consumer_subsystem, service_id, operation_id, valid_until \
         FROM lgsp_grants WHERE status = 'approved' AND valid_until >= $1",
    )
    .bind(today)
    .fetch_all(exec)
    .await
    .ctx("listing approved grants")
}

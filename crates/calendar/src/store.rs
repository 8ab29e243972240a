//! SQL for the calendar's own table: announced adjustments.

use cqdt_platform::{Db, DbError, DbResultExt};
use sqlx::AnyConnection;

use crate::model::{Adjustment, AdjustmentKind};

fn kind_str(k: AdjustmentKind) -> &'static str {
    match k {
        AdjustmentKind::DayOff => "day_off",
        AdjustmentKind::WorkingDay => "working_day",
    }
}

fn parse_kind(s: &str) -> Option<AdjustmentKind> {
    match s {
        "day_off" => Some(AdjustmentKind::DayOff),
        "working_day" => Some(AdjustmentKind::WorkingDay),
        _ => None,
    }
}

/// Every adjustment, by date.
pub async fn all(db: &Db) -> Result<Vec<Adjustment>, DbError> {
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT date, kind, name FROM calendar_adjustments ORDER BY date")
            .fetch_all(db.pool())
            .await
            .ctx("reading calendar adjustments")?;
    Ok(rows
        .into_iter()
        .filter_map(|(date, kind, name)| {
            Some(Adjustment {
                date: chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d").ok()?,
                kind: parse_kind(&kind)?,
                name,
            })
        })
        .collect())
}

/// Adds or replaces the adjustment of a date; returns the one it replaced.
pub async fn upsert(
    conn: &mut AnyConnection,
    a: &Adjustment,
    actor: &str,
    now: &str,
) -> Result<Option<(String, String)>, DbError> {
    let date = a.date.format("%Y-%m-%d").to_string();
    let old: Option<(String, String)> =
        sqlx::query_as("SELECT kind, name FROM calendar_adjustments WHERE date = $1")
            .bind(&date)
            .fetch_optional(&mut *conn)
            .await
            .ctx("reading calendar adjustment")?;
    sqlx::query(
        "INSERT INTO calendar_adjustments (date, kind, name, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (date) DO UPDATE SET kind = excluded.kind, \
         name = excluded.name, created_by = excluded.created_by, created_at = excluded.created_at",
    )
    .bind(&date)
    .bind(kind_str(a.kind))
    .bind(&a.name)
    .bind(actor)
    .bind(now)
    .execute(&mut *conn)
    .await
    .ctx("writing calendar adjustment")?;
    Ok(old)
}

/// Removes the adjustment of a date; answers whether there was one.
pub async fn delete(conn: &mut AnyConnection, date: chrono::NaiveDate) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM calendar_adjustments WHERE date = $1")
        .bind(date.format("%Y-%m-%d").to_string())
        .execute(conn)
        .await
        .ctx("deleting calendar adjustment")?;
    Ok(done.rows_affected() > 0)
}

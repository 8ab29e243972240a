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

/// A row of `calendar_adjustments`, as stored.
#[derive(sqlx::FromRow)]
struct AdjustmentRow {
    date: String,
    kind: String,
    name: String,
}

impl TryFrom<AdjustmentRow> for Adjustment {
    type Error = sqlx::Error;

    fn try_from(r: AdjustmentRow) -> Result<Self, Self::Error> {
        let bad = |what: String| sqlx::Error::Decode(what.into());
        Ok(Adjustment {
            date: chrono::NaiveDate::parse_from_str(&r.date, "%Y-%m-%d")
                .map_err(|_| bad(format!("calendar adjustment date “{}”", r.date)))?,
            kind: match r.kind.as_str() {
                "day_off" => AdjustmentKind::DayOff,
                "working_day" => AdjustmentKind::WorkingDay,
                other => return Err(bad(format!("calendar adjustment kind “{other}”"))),
            },
            name: r.name,
        })
    }
}

/// Every adjustment, by date; a stored value that cannot be read is an error.
pub async fn all(db: &Db) -> Result<Vec<Adjustment>, DbError> {
    sqlx::query_as::<_, AdjustmentRow>(
        "SELECT date, kind, name FROM calendar_adjustments ORDER BY date",
    )
    .fetch_all(db.pool())
    .await
    .ctx("reading calendar adjustments")?
    .into_iter()
    .map(Adjustment::try_from)
    .collect::<Result<_, _>>()
    .ctx("decoding calendar adjustments")
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

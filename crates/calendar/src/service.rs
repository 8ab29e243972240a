//! Use cases of the working-day calendar: the live calendar and admins' announced changes.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use cqdt_audit::{Audit, AuditEvent};
use cqdt_platform::clock::format_ts;
use cqdt_platform::{Db, DbError, FieldError, SharedClock};
use serde_json::json;

use crate::model::{Adjustment, OfficeHours, WorkingCalendar};
use crate::store;

/// Errors of the calendar: of its use cases and of the requests its routes read. Each
/// renders itself (see `http`): problem+json on `/api/…`, the error page elsewhere.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Bad input; the message is for the user, in Vietnamese (422).
    #[error("{0}")]
    Invalid(String),
    /// A value in the request that cannot be read (400): what is wrong, and by field.
    #[error("{detail}")]
    BadRequest {
        /// What is wrong, in Vietnamese.
        detail: String,
        /// Which fields, and why.
        errors: Vec<FieldError>,
    },
    /// A form or body with field errors (422).
    #[error("dữ liệu không hợp lệ")]
    InvalidFields(Vec<FieldError>),
    /// Nothing to act on (404); the message is for the user.
    #[error("{0}")]
    NotFound(String),
}

impl ServiceError {
    /// A request value that cannot be read, without field details.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        ServiceError::BadRequest { detail: detail.into(), errors: Vec::new() }
    }
}

/// The working-day calendar of the instance, kept in memory and reloaded on change.
#[derive(Clone)]
pub struct CalendarService {
    db: Db,
    clock: SharedClock,
    audit: Audit,
    office_hours: OfficeHours,
    current: Arc<RwLock<Arc<WorkingCalendar>>>,
}

impl CalendarService {
    /// Loads the adjustments and builds the calendar.
    pub async fn load(
        db: Db,
        clock: SharedClock,
        audit: Audit,
        office_hours: OfficeHours,
    ) -> Result<Self, DbError> {
        let adjustments = store::all(&db).await?;
        let cal = WorkingCalendar::new(adjustments, office_hours.clone());
        Ok(CalendarService {
            db,
            clock,
            audit,
            office_hours,
            current: Arc::new(RwLock::new(Arc::new(cal))),
        })
    }

    /// The calendar as it stands.
    pub fn calendar(&self) -> Arc<WorkingCalendar> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Today in Vietnam.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Rebuilds the calendar from the database (after a change, or another node's change).
    #[tracing::instrument(skip_all)]
    pub async fn reload(&self) -> Result<(), DbError> {
        let adjustments = store::all(&self.db).await?;
        let cal = Arc::new(WorkingCalendar::new(adjustments, self.office_hours.clone()));
        if let Ok(mut c) = self.current.write() {
            *c = cal;
        }
        Ok(())
    }

    /// Announced adjustments, optionally of one year.
    #[tracing::instrument(skip(self))]
    pub async fn adjustments(&self, year: Option<i32>) -> Result<Vec<Adjustment>, DbError> {
        use chrono::Datelike;
        Ok(store::all(&self.db)
            .await?
            .into_iter()
            .filter(|a| year.is_none_or(|y| a.date.year() == y))
            .collect())
    }

    /// Records an announced change (audited) and applies it at once.
    #[tracing::instrument(skip_all, fields(date = %adjustment.date, kind = ?adjustment.kind))]
    pub async fn set_adjustment(
        &self,
        actor: &str,
        request_id: &str,
        adjustment: Adjustment,
    ) -> Result<(), ServiceError> {
        use chrono::Datelike;
        let name = adjustment.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ServiceError::Invalid(
                "Cần nhập lý do hoặc tên ngày (tối đa 200 ký tự).".into(),
            ));
        }
        if !(1990..=2100).contains(&adjustment.date.year()) {
            return Err(ServiceError::Invalid("Ngày phải trong khoảng 1990–2100.".into()));
        }
        let adjustment = Adjustment { name, ..adjustment };
        let mut tx = self.db.begin().await?;
        let old = store::upsert(&mut tx, &adjustment, actor, &format_ts(self.clock.now())).await?;
        self.audit
            .record(
                &mut tx,
                AuditEvent::new(actor, "calendar.adjustment.set", "calendar_adjustment")
                    .object(adjustment.date.format("%Y-%m-%d").to_string())
                    .request(request_id)
                    .details(json!({"new": adjustment, "old": old})),
            )
            .await?;
        tx.commit().await?;
        self.reload().await?;
        Ok(())
    }

    /// Removes an announced change (audited); answers whether there was one.
    #[tracing::instrument(skip(self, actor, request_id))]
    pub async fn remove_adjustment(
        &self,
        actor: &str,
        request_id: &str,
        date: NaiveDate,
    ) -> Result<bool, ServiceError> {
        let mut tx = self.db.begin().await?;
        let removed = store::delete(&mut tx, date).await?;
        if removed {
            self.audit
                .record(
                    &mut tx,
                    AuditEvent::new(actor, "calendar.adjustment.remove", "calendar_adjustment")
                        .object(date.format("%Y-%m-%d").to_string())
                        .request(request_id),
                )
                .await?;
        }
        tx.commit().await?;
        self.reload().await?;
        Ok(removed)
    }
}

//! Deadlines: the appointment date a procedure's processing time gives, counted on the
//! working-day calendar, and how a dossier stands against it as work lists flag it.

use chrono::NaiveDate;
use cqdt_calendar::WorkingCalendar;
use cqdt_procedures::model::{ProcessingTime, TimeUnit};

use super::DossierService;
use crate::error::DossierError;
use crate::model::{Dossier, DossierStatus};

/// How a dossier stands against its appointment date, as work lists flag it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// No running deadline (not yet received, clock stopped for a supplement, or finished).
    None,
    /// More than one working day left.
    OnTime,
    /// Due today or on the next working day.
    DueSoon,
    /// The appointment date has passed.
    Overdue,
}

impl Deadline {
    /// Vietnamese name.
    pub fn label(self) -> &'static str {
        match self {
            Deadline::None => "",
            Deadline::OnTime => "Trong hạn",
            Deadline::DueSoon => "Sắp đến hạn",
            Deadline::Overdue => "Quá hạn",
        }
    }

    /// CSS class of its tag.
    pub fn css(self) -> &'static str {
        match self {
            Deadline::None | Deadline::OnTime => "tag",
            Deadline::DueSoon => "tag tag-sample",
            Deadline::Overdue => "tag tag-failed",
        }
    }
}

/// Where a dossier in `status` due on `due` stands on `today`, counting working days.
pub fn deadline(
    cal: &WorkingCalendar,
    today: NaiveDate,
    status: DossierStatus,
    due: Option<NaiveDate>,
) -> Deadline {
    let running = matches!(status, DossierStatus::Received | DossierStatus::Processing);
    match due {
        Some(due) if running => {
            if today > due {
                Deadline::Overdue
            } else if due <= cal.add_working_days(today, 1) {
                Deadline::DueSoon
            } else {
                Deadline::OnTime
            }
        }
        _ => Deadline::None,
    }
}

/// The appointment date for a dossier received at `received` (Vietnam time) under a
/// processing time: working days count from the day after reception and skip weekends,
/// holidays and swapped days; calendar days that end on a day off end on the next working
/// day (Civil Code art. 148); hours count office hours only.
pub fn appointment(
    cal: &WorkingCalendar,
    time: &ProcessingTime,
    received: chrono::NaiveDateTime,
) -> NaiveDate {
    let day = received.date();
    let n = i64::from(time.amount);
    match time.unit {
        TimeUnit::WorkingDays => cal.add_working_days(day, n),
        TimeUnit::CalendarDays => {
            let end =
                day.checked_add_days(chrono::Days::new(n.unsigned_abs())).unwrap_or(NaiveDate::MAX);
            if cal.is_working_day(end) {
                end
            } else {
                cal.add_working_days(end, 1)
            }
        }
        TimeUnit::Hours => cal.add_working_hours(received, n * 60).date(),
    }
}

impl DossierService {
    /// The appointment date of a dossier of a procedure received at `received`.
    #[tracing::instrument(skip(self, received))]
    pub async fn appointment_for(
        &self,
        procedure_code: &str,
        received: chrono::DateTime<chrono::Utc>,
    ) -> Result<NaiveDate, DossierError> {
        let p = self
            .procedures
            .get(procedure_code)
            .await
            .map_err(|e| DossierError::Internal(e.to_string()))?
            .ok_or_else(|| DossierError::NotFound(procedure_code.into()))?;
        Ok(appointment(
            &self.calendar.calendar(),
            &p.procedure.processing_time,
            cqdt_platform::clock::to_vn(received).naive_local(),
        ))
    }

    /// The appointment date a dossier of a procedure would get if received now.
    #[tracing::instrument(skip(self))]
    pub async fn appointment_if_received_now(
        &self,
        procedure_code: &str,
    ) -> Result<NaiveDate, DossierError> {
        self.appointment_for(procedure_code, self.clock.now()).await
    }

    /// Where a dossier stands against its appointment date today.
    pub fn deadline_of(&self, d: &Dossier) -> Deadline {
        let due = d.due_date.as_deref().and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok());
        deadline(&self.calendar.calendar(), self.clock.today(), d.status, due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cqdt_calendar::OfficeHours;

    fn cal() -> WorkingCalendar {
        WorkingCalendar::new(Vec::new(), OfficeHours::default())
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|d| d.and_hms_opt(h, 0, 0)).expect("a real time")
    }

    fn time(amount: u32, unit: TimeUnit) -> ProcessingTime {
        ProcessingTime { amount, unit, note: None }
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a real date")
    }

    /// The appointment for a processing time of `amount` `unit`s from `from`.
    fn due(amount: u32, unit: TimeUnit, from: chrono::NaiveDateTime) -> NaiveDate {
        appointment(&cal(), &time(amount, unit), from)
    }

    #[test]
    fn due_soon_and_overdue_count_working_days_across_holidays() {
        let s = DossierStatus::Processing;
        // Wednesday 29/4/2026: 30/4 and 1/5 are holidays, 2–3/5 a weekend, so Monday 4/5
        // is the next working day: due soon, though five calendar days away.
        let wed = day(2026, 4, 29);
        assert_eq!(deadline(&cal(), wed, s, Some(day(2026, 5, 4))), Deadline::DueSoon);
        assert_eq!(deadline(&cal(), wed, s, Some(day(2026, 5, 5))), Deadline::OnTime);
        assert_eq!(deadline(&cal(), wed, s, Some(wed)), Deadline::DueSoon);
        assert_eq!(deadline(&cal(), day(2026, 5, 5), s, Some(day(2026, 5, 4))), Deadline::Overdue);
        // The clock stops while the applicant supplements, and after the result.
        let late = Some(day(2026, 4, 1));
        for st in [DossierStatus::Supplement, DossierStatus::Returned, DossierStatus::Submitted] {
            assert_eq!(deadline(&cal(), wed, st, late), Deadline::None);
        }
    }

    #[test]
    fn working_days_skip_the_weekend_and_the_april_and_may_holidays() {
        // Wednesday 29/4/2026: 30/4 and 1/5 are holidays, 2–3/5 a weekend.
        assert_eq!(due(3, TimeUnit::WorkingDays, at(2026, 4, 29, 9)), day(2026, 5, 6));
        // Friday afternoon, one working day: Monday.
        assert_eq!(due(1, TimeUnit::WorkingDays, at(2026, 11, 27, 15)), day(2026, 11, 30));
    }

    #[test]
    fn calendar_days_ending_on_a_day_off_end_on_the_next_working_day() {
        // 10 days after Wednesday 18/11/2026 is Saturday 28/11: due Monday 30/11.
        assert_eq!(due(10, TimeUnit::CalendarDays, at(2026, 11, 18, 9)), day(2026, 11, 30));
    }

    #[test]
    fn hours_count_office_hours_only() {
        // Four office hours from Friday 16:00 end on Monday.
        assert_eq!(due(4, TimeUnit::Hours, at(2026, 11, 27, 16)), day(2026, 11, 30));
        // Two hours from 8:00 end the same day.
        assert_eq!(due(2, TimeUnit::Hours, at(2026, 11, 25, 8)), day(2026, 11, 25));
    }
}

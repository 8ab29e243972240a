//! Working-day calendar (part of M1): Vietnamese public holidays computed from the lunar
//! calendar, compensatory days, each year's announced changes, and deadline arithmetic in
//! working days and office hours.

pub mod http;
pub mod lunar;
pub mod model;
pub mod service;
pub mod store;

pub use lunar::{
    lunar_new_year, lunar_to_solar, solar_to_lunar, LunarDate, LUNAR_FIRST_YEAR, LUNAR_LAST_YEAR,
};
pub use model::{
    statutory_holidays, weekday_vi, Adjustment, AdjustmentKind, CalendarError, Holiday,
    HolidayKind, OfficeHours, OfficePeriod, WorkingCalendar, FIRST_YEAR, LAST_YEAR,
};
pub use service::{CalendarService, ServiceError};

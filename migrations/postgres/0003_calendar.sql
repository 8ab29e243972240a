-- Working-day calendar: each year's announced changes to the statutory holidays.
CREATE TABLE calendar_adjustments (
    date TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);

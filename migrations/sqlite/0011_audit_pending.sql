-- Audit events recorded inside business transactions wait here, committed with the change
-- they describe, until the chainer appends them to audit_log in order with their hashes.
-- This keeps the chain's single-appender lock out of every business transaction.
CREATE TABLE audit_pending (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_agency TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    purpose TEXT,
    outcome TEXT NOT NULL,
    request_id TEXT,
    details TEXT
);

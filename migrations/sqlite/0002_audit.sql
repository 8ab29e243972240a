-- Audit log: append-only, each row chained to the previous by hash.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_agency TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    purpose TEXT,
    outcome TEXT NOT NULL,
    request_id TEXT,
    details TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

-- Administrative procedures (M4). doc is the whole procedure as JSON (the format of the API
-- and of imports); code, name, field and status are copied out for lists and filters. Every
-- change adds a row to procedure_versions: nothing is overwritten without a trace.
CREATE TABLE procedures (
    code TEXT PRIMARY KEY,
    national_code TEXT NOT NULL,
    name TEXT NOT NULL,
    field_code TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    doc TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE INDEX procedures_status ON procedures (status, field_code);

CREATE TABLE procedure_versions (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    doc TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

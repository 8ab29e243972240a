-- The legal documents the procedures cite, as the national legal documents database last
-- described them (issue 16): found or not, kind, title, issuer, dates, validity, the document
-- that replaced it and where people read it. Written by `cqdt procedures check-legal-bases`
-- (and daily by `cqdt serve` when the database is connected); the portal links each legal
-- basis to its document and says whether it is in force.
CREATE TABLE procedure_legal_documents (
    number TEXT PRIMARY KEY,
    found BIGINT NOT NULL,
    kind TEXT,
    title TEXT,
    issuer TEXT,
    issued_on TEXT,
    effective_from TEXT,
    validity TEXT,
    replaced_by TEXT,
    url TEXT,
    sandbox BIGINT NOT NULL,
    checked_at TEXT NOT NULL
);

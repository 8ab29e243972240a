-- The procedures' national codes as the national procedure database last described them
-- (issue 16): found or not, the name and decision it publishes, whether in force. Written by
-- `cqdt procedures check-national-codes` (and daily by `cqdt serve` when the database is
-- connected); the portal's procedure page says whether the code was confirmed.
CREATE TABLE procedure_national_codes (
    national_code TEXT PRIMARY KEY,
    found BIGINT NOT NULL,
    name TEXT,
    decision TEXT,
    in_force BIGINT,
    url TEXT,
    sandbox BIGINT NOT NULL,
    checked_at TEXT NOT NULL
);

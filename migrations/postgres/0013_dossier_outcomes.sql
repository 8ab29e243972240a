-- What the one-stop statistics count (M6): the day a dossier was received and the day its
-- result was ready (Vietnam dates, yyyy-mm-dd), and the statutory due date — the
-- appointment date moved only by the days the clock stood still for a supplement, never by
-- an apology, so that a dossier rescheduled with Mẫu 04 still counts as late.
ALTER TABLE dossiers ADD COLUMN received_on TEXT;
ALTER TABLE dossiers ADD COLUMN resolved_on TEXT;
ALTER TABLE dossiers ADD COLUMN statutory_due TEXT;
CREATE INDEX dossiers_received_on ON dossiers (received_on);

-- Apologies for a late result with a new return date (TT 01/2018 Mẫu 04).
CREATE TABLE dossier_apologies (
    dossier_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    old_due TEXT NOT NULL,
    new_due TEXT NOT NULL,
    PRIMARY KEY (dossier_id, seq)
);

-- The life of a dossier after submission (M5, M6): the appointment date set at reception,
-- supplement requests (TT 01/2018 Mẫu 02) with the applicant's answers, result documents,
-- and the applicant's rating of the service.
ALTER TABLE dossiers ADD COLUMN due_date TEXT;
ALTER TABLE dossiers ADD COLUMN finished_at TEXT;

-- One row per request; items is a JSON array of {"component": n|null, "text": "..."}.
-- resume_status is where the dossier goes back to once the applicant answers.
CREATE TABLE dossier_supplements (
    dossier_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    requested_at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    items TEXT NOT NULL,
    note TEXT NOT NULL,
    resume_status TEXT NOT NULL,
    answered_at TEXT,
    answer_note TEXT,
    PRIMARY KEY (dossier_id, seq)
);

-- Result documents (content in the file store, by hash).
CREATE TABLE dossier_results (
    dossier_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    added_at TEXT NOT NULL,
    added_by TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (dossier_id, seq)
);

-- The applicant's rating once the dossier is finished; one per dossier.
CREATE TABLE dossier_ratings (
    dossier_id TEXT PRIMARY KEY,
    rated_at TEXT NOT NULL,
    score BIGINT NOT NULL,
    comment TEXT NOT NULL
);

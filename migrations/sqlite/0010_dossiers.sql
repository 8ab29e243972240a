-- Dossiers (M5, M6). id is internal; code (TT 01/2018: <agency>-YYMMDD-XXXX) is given at
-- submission and is unique. form is the checked e-form as a JSON object.
CREATE TABLE dossiers (
    id TEXT PRIMARY KEY,
    code TEXT UNIQUE,
    procedure_code TEXT NOT NULL,
    procedure_name TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    agency_name TEXT NOT NULL,
    applicant_account TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    applicant_phone TEXT,
    applicant_email TEXT,
    form TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    submitted_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX dossiers_applicant ON dossiers (applicant_account, created_at);
CREATE INDEX dossiers_agency_status ON dossiers (agency_code, status);

-- Files per dossier component (content in the file store, by hash).
CREATE TABLE dossier_files (
    dossier_id TEXT NOT NULL,
    component BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    added_at TEXT NOT NULL,
    PRIMARY KEY (dossier_id, component, sha256)
);

-- The timeline the applicant sees.
CREATE TABLE dossier_events (
    dossier_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    actor TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (dossier_id, seq)
);

-- The day's last sequence number per receiving agency, for dossier codes.
CREATE TABLE dossier_counters (
    agency_code TEXT NOT NULL,
    day TEXT NOT NULL,
    last BIGINT NOT NULL,
    PRIMARY KEY (agency_code, day)
);

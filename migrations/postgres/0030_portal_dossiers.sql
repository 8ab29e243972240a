-- Dossiers filed on the national public service portal (Cổng DVC quốc gia) for this province
-- (issue 16): each as the one-stop system took it (the dossier made of it) or refused it (why),
-- by the portal's code and its place in the portal's feed; and, per dossier, the changes of
-- status owed to the portal, in order, until the portal has acknowledged each.
CREATE TABLE portal_dossiers (
    portal_code TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    dossier_id TEXT,
    refused TEXT,
    taken_at TEXT NOT NULL
);
CREATE INDEX portal_dossiers_dossier ON portal_dossiers (dossier_id);

CREATE TABLE portal_reports (
    portal_code TEXT NOT NULL,
    n BIGINT NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    local_code TEXT,
    due_date TEXT,
    note TEXT,
    reported_at TEXT,
    PRIMARY KEY (portal_code, n)
);
CREATE INDEX portal_reports_pending ON portal_reports (reported_at, portal_code);

-- One node takes from the portal at a time: the holder of this lease, until it expires.
CREATE TABLE portal_intake_lease (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at TEXT NOT NULL
);

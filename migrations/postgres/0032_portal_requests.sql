-- Applicants' requests made on the national public service portal about dossiers taken from it
-- (issue 16): supplements and withdrawals, by their place in the portal's feed of requests, as
-- the one-stop system applied them or refused them (why).
CREATE TABLE portal_requests (
    seq BIGINT PRIMARY KEY,
    portal_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    refused TEXT,
    taken_at TEXT NOT NULL
);

-- Seals over the integration platform's message log (issue 16): each covers the records
-- first_seq..last_seq, states the chain's hash at last_seq (root), is signed by the platform
-- (signature: a JWT, typ lgsp-seal+jwt) and, once the time-stamping authority answered,
-- carries its RFC 3161 token over SHA-256 of the signature. Ranges follow each other without
-- gaps; a seal is written once and only its stamp and archive columns change after. Once
-- its records are archived (and deleted from lgsp_log), archive names the file and
-- archive_sha256 its digest.
CREATE TABLE lgsp_log_seals (
    last_seq BIGINT PRIMARY KEY,
    first_seq BIGINT NOT NULL UNIQUE,
    root TEXT NOT NULL,
    sealed_at TEXT NOT NULL,
    signature TEXT NOT NULL,
    stamp BYTEA,
    stamped_at TEXT,
    authority TEXT,
    stamp_error TEXT,
    archive TEXT,
    archive_sha256 TEXT
);

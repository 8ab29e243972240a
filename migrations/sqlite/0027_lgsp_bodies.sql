-- Bodies kept in the message log (issue 16): a service may keep the bodies of its exchanges
-- up to keep_bodies_bytes each (0: digests only, as before). A kept body is sealed with
-- AES-256-GCM under the platform's key-encryption key (CQDT_KEK), bound to its record and
-- side; a body larger than the service keeps is recorded as not kept (sealed NULL). Bodies
-- leave the database with their records when these are archived.
ALTER TABLE lgsp_services ADD COLUMN keep_bodies_bytes BIGINT NOT NULL DEFAULT 0;
CREATE TABLE lgsp_bodies (
    seq BIGINT NOT NULL,
    side TEXT NOT NULL,
    service TEXT NOT NULL,
    content_type TEXT,
    bytes BIGINT NOT NULL,
    sealed TEXT,
    PRIMARY KEY (seq, side)
);
CREATE INDEX lgsp_bodies_service ON lgsp_bodies (service, seq);

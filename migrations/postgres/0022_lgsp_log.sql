-- The integration platform's message log (issue 16): every exchange through the gateway, with
-- the SHA-256 digests of both bodies, in a hash chain (each row's hash covers the previous
-- row's hash), so that `cqdt lgsp verify-log` proves no record was altered, removed or
-- reordered. Written by the gateway's recorder in batches, under the chain's lock.
CREATE TABLE lgsp_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    request_id TEXT NOT NULL,
    consumer TEXT NOT NULL,
    service TEXT NOT NULL,
    operation_id TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status BIGINT NOT NULL,
    failed_side TEXT,
    request_bytes BIGINT NOT NULL,
    response_bytes BIGINT NOT NULL,
    -- Hex SHA-256 of the bodies as they passed; NULL when the gateway refused the call itself.
    request_digest TEXT,
    response_digest TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX lgsp_log_request ON lgsp_log (request_id);

-- Push delivery of the asynchronous exchange (issue 16): a system that gives a push_url has its
-- messages POSTed there in order by the job worker instead of waiting to be pulled; attempts
-- counts failed deliveries of a message (after too many it goes to the dead letter, status
-- 'dead') and next_attempt_at says when the next may be (growing delays); a lease keeps one
-- delivery run per recipient at a time across nodes.
ALTER TABLE lgsp_subsystems ADD COLUMN push_url TEXT;
ALTER TABLE lgsp_messages ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE lgsp_messages ADD COLUMN next_attempt_at TEXT;
CREATE INDEX lgsp_messages_retry ON lgsp_messages (next_attempt_at);
CREATE INDEX lgsp_messages_status ON lgsp_messages (status, updated_at);
CREATE TABLE lgsp_push_leases (
    recipient TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_at TEXT NOT NULL
);

-- Asynchronous exchange through the integration platform (issue 16): store-and-forward
-- messages between member systems. A sender's message id is unique per sender (a message sent
-- again has no second effect); the body is kept in the row, committed before the sender is
-- told it was accepted; the recipient pulls its queue in order and reports what it did.
CREATE TABLE lgsp_messages (
    id TEXT PRIMARY KEY,
    sender TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    body_sha256 TEXT NOT NULL,
    body BLOB NOT NULL,
    -- queued, received, processed, failed
    status TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (sender, message_id)
);
CREATE INDEX lgsp_messages_inbox ON lgsp_messages (recipient, status, created_at, id);

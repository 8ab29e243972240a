-- Message waits and correlation (issue 14 item 3): a receive task or message catch event
-- waits at a task row, as a user task does; this row says which message ends the wait, by
-- name and, when the diagram names one (zeebe:subscription), the correlation key's value.
-- Deleted when the wait ends.
CREATE TABLE wf_subscriptions (
    task_id BIGINT PRIMARY KEY REFERENCES wf_tasks (id),
    instance_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    correlation_key TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX wf_subscriptions_key ON wf_subscriptions (name, correlation_key);
CREATE INDEX wf_subscriptions_instance ON wf_subscriptions (instance_id);

-- Every message correlated, by the id its sender gave: the same message delivered again
-- (a retry after a lost answer) finds its row and has no second effect.
CREATE TABLE wf_messages (
    message_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    task_id BIGINT NOT NULL,
    instance_id BIGINT NOT NULL,
    received_at TEXT NOT NULL
);

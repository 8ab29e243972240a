-- The engine's write path (DESIGN.md §5, `cqdt bench workflow`).
--
-- History lines no longer reference their instance by a foreign key: history is an append-only
-- record that the engine writes in the same transaction as the instance it describes, and it
-- must be able to outlive, be archived or be partitioned apart from the runtime rows (Camunda's
-- and Flowable's ACT_HI_* tables carry no foreign keys for the same reason). SQLite drops a
-- constraint by rebuilding the table; nothing references wf_history.
CREATE TABLE wf_history_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT
);
INSERT INTO wf_history_new (id, instance_id, node_id, event, actor, at, detail)
    SELECT id, instance_id, node_id, event, actor, at, detail FROM wf_history;
DROP TABLE wf_history;
ALTER TABLE wf_history_new RENAME TO wf_history;
CREATE INDEX wf_history_instance ON wf_history (instance_id);

-- Completing a task cancels its pending timers; without an index on the task that was a scan
-- of every pending timer in the province for every completion.
CREATE INDEX wf_timers_task ON wf_timers (task_id);

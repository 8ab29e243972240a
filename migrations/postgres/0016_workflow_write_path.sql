-- The engine's write path (DESIGN.md §5, `cqdt bench workflow`).
--
-- History lines no longer reference their instance by a foreign key: history is an append-only
-- record that the engine writes in the same transaction as the instance it describes, and it
-- must be able to outlive, be archived or be partitioned apart from the runtime rows (Camunda's
-- and Flowable's ACT_HI_* tables carry no foreign keys for the same reason). The check cost a
-- lookup and a row lock on the instance for every line, about 60% of the cost of writing one.
ALTER TABLE wf_history DROP CONSTRAINT wf_history_instance_id_fkey;

-- An instance row is rewritten at every step. Room left on each page lets PostgreSQL keep the
-- new version on the same page without touching the indexes (a HOT update) whenever no
-- indexed column changed, which is every step but the last.
ALTER TABLE wf_instances SET (fillfactor = 70);

-- Completing a task cancels its pending timers; without an index on the task that was a scan
-- of every pending timer in the province for every completion.
CREATE INDEX wf_timers_task ON wf_timers (task_id);

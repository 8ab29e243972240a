-- The engine's write path (DESIGN.md §5, `cqdt bench workflow`).
--
-- PostgreSQL's 0016 drops the history lines' foreign key to their instance (a lookup and a
-- row lock per line there). SQLite keeps it: its check is an in-process index lookup that
-- costs little, and dropping a constraint in SQLite means rebuilding wf_history, a copy of
-- every history line at upgrade that would also move the table to the end of the schema.

-- Completing a task cancels its pending timers; without an index on the task that was a scan
-- of every pending timer in the province for every completion.
CREATE INDEX wf_timers_task ON wf_timers (task_id);

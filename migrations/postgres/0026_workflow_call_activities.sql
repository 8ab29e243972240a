-- Call activities (issue 14 item 3): an instance started by another process's call activity
-- keeps the caller's task (the call activity's row) it reports back to when it ends, and
-- that the caller's cancellation reaches it through.
ALTER TABLE wf_instances ADD COLUMN parent_task_id BIGINT;
CREATE INDEX wf_instances_parent ON wf_instances (parent_task_id) WHERE parent_task_id IS NOT NULL;

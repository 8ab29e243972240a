-- Multi-instance user tasks (issue 14 item 3): each task of the activity keeps the variables
-- only it sees (its item of the list and loopCounter), as JSON; NULL for every other task.
ALTER TABLE wf_tasks ADD COLUMN local_vars TEXT;

-- The progress of a multi-instance activity while it runs, one row per instance and task
-- element: the list it was started with, how many tasks are done and still open, and the
-- outputs collected so far (JSON). Deleted when the activity ends.
CREATE TABLE wf_loops (
    instance_id BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (instance_id, node_id)
);

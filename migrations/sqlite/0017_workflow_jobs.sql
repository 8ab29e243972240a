-- External jobs (issue 14 item 6): a service task that a worker outside the engine does
-- (camunda:type="external" with its topic, zeebe:taskDefinition with its type). The instance
-- waits at the task row as at a user task; this row holds the job's lock and retries. It is
-- deleted when the job completes, so that fetching scans only the jobs still to do.
CREATE TABLE wf_jobs (
    task_id BIGINT PRIMARY KEY REFERENCES wf_tasks (id),
    instance_id BIGINT NOT NULL,
    topic TEXT NOT NULL,
    -- Retries left: NULL until a worker first reports a failure (Camunda 7), or the number
    -- the diagram gives (zeebe:taskDefinition retries); 0 is an incident.
    retries BIGINT,
    -- Not handed out again before this instant (back-off after a failure).
    retry_at TEXT,
    -- The worker holding the lock, until when.
    worker TEXT,
    lock_until TEXT,
    -- The last failure a worker reported.
    error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX wf_jobs_topic ON wf_jobs (topic, task_id);

-- Workflow engine (M7): versioned process definitions, durable instances, tasks, timers, history.
CREATE TABLE wf_definitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    xml TEXT NOT NULL,
    model TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (key, version)
);

CREATE TABLE wf_instances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    definition_id BIGINT NOT NULL REFERENCES wf_definitions (id),
    business_key TEXT,
    agency TEXT,
    status TEXT NOT NULL,
    tokens BIGINT NOT NULL,
    variables TEXT NOT NULL,
    incident TEXT,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX wf_instances_status ON wf_instances (status);
CREATE INDEX wf_instances_business_key ON wf_instances (business_key);

CREATE TABLE wf_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id BIGINT NOT NULL REFERENCES wf_instances (id),
    node_id TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT,
    agency TEXT,
    status TEXT NOT NULL,
    assignee TEXT,
    created_at TEXT NOT NULL,
    due_date TEXT,
    completed_at TEXT,
    completed_by TEXT
);
CREATE INDEX wf_tasks_pool ON wf_tasks (status, role, agency);
CREATE INDEX wf_tasks_instance ON wf_tasks (instance_id);

CREATE TABLE wf_timers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id BIGINT NOT NULL REFERENCES wf_instances (id),
    task_id BIGINT NOT NULL REFERENCES wf_tasks (id),
    node_id TEXT NOT NULL,
    fire_on TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX wf_timers_due ON wf_timers (status, fire_on);

CREATE TABLE wf_joins (
    instance_id BIGINT NOT NULL REFERENCES wf_instances (id),
    node_id TEXT NOT NULL,
    arrived BIGINT NOT NULL,
    PRIMARY KEY (instance_id, node_id)
);

CREATE TABLE wf_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id BIGINT NOT NULL REFERENCES wf_instances (id),
    node_id TEXT NOT NULL,
    event TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX wf_history_instance ON wf_history (instance_id);

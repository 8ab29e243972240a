-- Where an instance's tokens stood when an incident stopped it (issue 14 item 7): the arrival
-- that failed and the others of its step still to move, as JSON, so that an administrator
-- who fixed the cause (a variable, a handler) runs them on from there. Written only with an
-- incident, deleted when the instance runs on or ends.
CREATE TABLE wf_stopped (
    instance_id BIGINT PRIMARY KEY,
    arrivals TEXT NOT NULL,
    stopped_at TEXT NOT NULL
);

-- The integration platform (LGSP, issue 16): who is a member, which systems they run, which
-- services providers publish with which operations, who may call which operation, and a
-- record of every call through the gateway.

-- A member is an agency, by its QĐ 20/2020 code (the catalog's agencies).
CREATE TABLE lgsp_members (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);

-- A member's information system (X-Road's subsystem). A consumer system calls the gateway
-- with the client-credentials tokens of its OAuth client.
CREATE TABLE lgsp_subsystems (
    member_code TEXT NOT NULL REFERENCES lgsp_members (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    client_id TEXT UNIQUE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (member_code, code)
);

-- A provider's service: its address, its OpenAPI document and how the gateway treats it.
CREATE TABLE lgsp_services (
    id TEXT PRIMARY KEY,
    member_code TEXT NOT NULL,
    subsystem_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    version TEXT NOT NULL,
    status TEXT NOT NULL,
    base_url TEXT NOT NULL,
    openapi TEXT NOT NULL,
    owner TEXT NOT NULL,
    -- Service level: the answer time the provider promises (ms) and its availability (‰).
    sla_response_ms BIGINT NOT NULL,
    sla_availability BIGINT NOT NULL,
    -- How the gateway treats it: how long it waits for an answer, the largest body it lets
    -- through, the calls a minute one consumer may make.
    timeout_ms BIGINT NOT NULL,
    max_body_bytes BIGINT NOT NULL,
    calls_per_minute BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    UNIQUE (member_code, code),
    FOREIGN KEY (member_code, subsystem_code) REFERENCES lgsp_subsystems (member_code, code)
);

-- The operations of a service's OpenAPI document (what access is granted for).
CREATE TABLE lgsp_operations (
    service_id TEXT NOT NULL REFERENCES lgsp_services (id),
    operation_id TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (service_id, operation_id)
);

-- Access of a consumer system to one operation of a service: requested, then approved or
-- rejected by the provider's administrator; an approved grant ends on its date or when
-- revoked.
CREATE TABLE lgsp_grants (
    id TEXT PRIMARY KEY,
    consumer_member TEXT NOT NULL,
    consumer_subsystem TEXT NOT NULL,
    service_id TEXT NOT NULL REFERENCES lgsp_services (id),
    operation_id TEXT NOT NULL,
    status TEXT NOT NULL,
    purpose TEXT NOT NULL,
    valid_until TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT
);
CREATE INDEX lgsp_grants_consumer ON lgsp_grants (consumer_member, consumer_subsystem, service_id);
CREATE INDEX lgsp_grants_status ON lgsp_grants (status, requested_at);

-- Operational monitoring: one row a call through the gateway (who, what, how it went).
CREATE TABLE lgsp_calls (
    request_id TEXT NOT NULL,
    at TEXT NOT NULL,
    consumer TEXT NOT NULL,
    service_id TEXT,
    service TEXT NOT NULL,
    operation_id TEXT,
    method TEXT NOT NULL,
    status BIGINT NOT NULL,
    -- Which side failed, if any: consumer, gateway or provider.
    failed_side TEXT,
    request_bytes BIGINT NOT NULL,
    response_bytes BIGINT NOT NULL,
    duration_us BIGINT NOT NULL,
    provider_us BIGINT
);
CREATE INDEX lgsp_calls_at ON lgsp_calls (at);
CREATE INDEX lgsp_calls_service ON lgsp_calls (service, at);

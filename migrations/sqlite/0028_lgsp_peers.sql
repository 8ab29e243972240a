-- Federation (issue 16): another platform's gateway (the national NDXP, another province) as a
-- peer. Outgoing, a service with a peer_code is the peer's service, reached at its gateway
-- address with a token this platform gets from the peer (client_id, client_secret sealed
-- under the KEK). Incoming, the peer calls as one of this registry's systems
-- (consumer_member/consumer_subsystem), and each call must carry the peer platform's signed
-- assertion, checked with the keys its issuer publishes.
CREATE TABLE lgsp_peers (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    issuer TEXT NOT NULL,
    gateway_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    client_id TEXT,
    client_secret TEXT,
    consumer_member TEXT,
    consumer_subsystem TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
ALTER TABLE lgsp_services ADD COLUMN peer_code TEXT;

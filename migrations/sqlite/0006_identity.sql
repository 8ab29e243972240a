-- Identity (M2), first slice: OAuth clients (systems), token signing keys, revoked tokens.

-- Registered OAuth clients. secret_hash is "sha256:<hex>" of a 256-bit random secret that
-- the platform generated and showed once; NULL for public clients. Lists are space-separated
-- (grants, scopes) or a JSON array (redirect_uris, compared by exact match). Flags are 0/1.
CREATE TABLE oauth_clients (
    client_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret_hash TEXT,
    public_client BIGINT NOT NULL,
    grants TEXT NOT NULL,
    redirect_uris TEXT NOT NULL,
    scopes TEXT NOT NULL,
    first_party BIGINT NOT NULL,
    enabled BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    secret_rotated_at TEXT
);

-- ES256 signing keys. The private key is PKCS#8 DER in base64, not encrypted at rest yet.
-- status: active (signs; exactly one), retiring (still published in the JWKS until
-- retire_after, when every token it signed has expired), retired (kept for the record).
CREATE TABLE oidc_signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_key_pkcs8 TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retiring_at TEXT,
    retire_after TEXT,
    retired_at TEXT
);
CREATE UNIQUE INDEX oidc_signing_keys_one_active ON oidc_signing_keys (status) WHERE status = 'active';

-- Revoked access tokens (RFC 7009), kept until the token would have expired anyway.
CREATE TABLE oauth_revoked_tokens (
    jti TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NOT NULL,
    revoked_by TEXT NOT NULL
);
CREATE INDEX oauth_revoked_tokens_expires ON oauth_revoked_tokens (expires_at);

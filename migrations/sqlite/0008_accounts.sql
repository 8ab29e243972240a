-- Identity (M2), accounts: citizens, businesses and officials; roles scoped to agencies;
-- one-time codes; browser sessions; the authorization code flow's codes, refresh tokens and
-- consents. Secrets (passwords, codes, tokens, session ids) are stored only as digests.

-- kind: citizen | business | official. status: pending (not yet verified) | active | disabled.
-- Login identifiers are unique where present: personal_id (12 digits), phone (0xxxxxxxxx),
-- email (lower case), tax_code (businesses, 10 or 13 digits), username (officials).
-- password_hash is an argon2id PHC string. totp_secret is base32; totp_last_step stops the
-- replay of a code within its 30-second window. recovery_codes is a JSON array of digests.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    personal_id TEXT,
    tax_code TEXT,
    username TEXT,
    full_name TEXT NOT NULL,
    birth_date TEXT,
    gender TEXT,
    phone TEXT,
    email TEXT,
    address TEXT,
    agency_code TEXT,
    legal_representative TEXT,
    password_hash TEXT,
    totp_secret TEXT,
    totp_enabled_at TEXT,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    recovery_codes TEXT NOT NULL DEFAULT '[]',
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    vneid_subject TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX accounts_personal_id ON accounts (personal_id);
CREATE UNIQUE INDEX accounts_tax_code ON accounts (tax_code);
CREATE UNIQUE INDEX accounts_username ON accounts (username);
CREATE UNIQUE INDEX accounts_phone ON accounts (phone);
CREATE UNIQUE INDEX accounts_email ON accounts (email);
CREATE INDEX accounts_agency ON accounts (agency_code);

-- Roles of officials, each within an agency (and, when subtree = 1, the units below it).
CREATE TABLE account_roles (
    account_id TEXT NOT NULL,
    role TEXT NOT NULL,
    agency_code TEXT NOT NULL,
    subtree BIGINT NOT NULL,
    granted_at TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    PRIMARY KEY (account_id, role, agency_code)
);

-- People who act for a business, through their own citizen accounts.
CREATE TABLE business_members (
    business_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    relation TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (business_id, member_id)
);

-- One-time codes and links: purpose verify (6 digits by e-mail/SMS) or reset (a link).
CREATE TABLE account_codes (
    code_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX account_codes_account ON account_codes (account_id, purpose);

-- Browser sessions. id_hash is the SHA-256 of the cookie value. stage: mfa (password done,
-- second factor due), enroll (an official who must enrol a second factor first), full.
CREATE TABLE account_sessions (
    id_hash TEXT PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    amr TEXT NOT NULL,
    created_at TEXT NOT NULL,
    auth_time TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX account_sessions_account ON account_sessions (account_id);

-- Authorization codes (single use, minutes long). family ties the tokens issued from a code,
-- so that reusing the code revokes them all.
CREATE TABLE oauth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    scope TEXT NOT NULL,
    nonce TEXT,
    code_challenge TEXT NOT NULL,
    auth_time TEXT NOT NULL,
    amr TEXT NOT NULL,
    family TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);

-- Refresh tokens, rotated at each use; a used one presented again revokes its family.
-- access_jti / access_exp: the access token issued with it, revoked with the family.
CREATE TABLE oauth_refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family TEXT NOT NULL,
    client_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    auth_time TEXT NOT NULL,
    amr TEXT NOT NULL,
    access_jti TEXT NOT NULL,
    access_exp TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX oauth_refresh_tokens_family ON oauth_refresh_tokens (family);
CREATE INDEX oauth_refresh_tokens_account ON oauth_refresh_tokens (account_id);

-- Scopes a person allowed a client that is not first-party.
CREATE TABLE oauth_consents (
    account_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (account_id, client_id)
);

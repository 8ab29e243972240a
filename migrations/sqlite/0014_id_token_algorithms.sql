-- RS256 ID tokens (OpenID Connect Discovery §3 requires RS256 to be supported) beside ES256:
-- one active signing key per algorithm instead of one in all.
DROP INDEX oidc_signing_keys_one_active;
CREATE UNIQUE INDEX oidc_signing_keys_one_active_per_alg ON oidc_signing_keys (alg) WHERE status = 'active';

-- The algorithm of a client's ID tokens (its id_token_signed_response_alg, OpenID Connect
-- Dynamic Client Registration §2): ES256 unless the client asked for RS256. Access tokens
-- stay ES256 for every client.
ALTER TABLE oauth_clients ADD COLUMN id_token_alg TEXT NOT NULL DEFAULT 'ES256';

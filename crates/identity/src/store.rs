//! SQL for the identity module's own tables: `oauth_clients`, `oidc_signing_keys`,
//! `oauth_revoked_tokens`.

pub mod accounts;

use std::collections::BTreeSet;

use cqdt_platform::{Db, DbError, DbResultExt};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::model::{
    Grant, KeyStatus, OAuthClient, RedirectUri, Scopes, SecretHash, SigningKeyInfo,
};

const CLIENT_COLUMNS: &str = "client_id, name, secret_hash, public_client, grants, redirect_uris, \
     scopes, first_party, enabled, created_at, created_by, updated_at, secret_rotated_at";

fn client_from_row(r: &AnyRow) -> Result<OAuthClient, sqlx::Error> {
    let secret: Option<String> = r.try_get("secret_hash")?;
    let grants: String = r.try_get("grants")?;
    let uris: String = r.try_get("redirect_uris")?;
    let scopes: String = r.try_get("scopes")?;
    let public: i64 = r.try_get("public_client")?;
    let first_party: i64 = r.try_get("first_party")?;
    let enabled: i64 = r.try_get("enabled")?;
    Ok(OAuthClient {
        client_id: r.try_get("client_id")?,
        name: r.try_get("name")?,
        // A row that does not parse authenticates nobody rather than failing the request.
        secret_hash: secret.as_deref().and_then(SecretHash::from_stored),
        public: public != 0,
        grants: grants
            .split(' ')
            .filter_map(Grant::parse)
            .collect::<BTreeSet<_>>(),
        redirect_uris: serde_json::from_str::<Vec<String>>(&uris)
            .unwrap_or_default()
            .iter()
            .filter_map(|u| RedirectUri::parse(u).ok())
            .collect(),
        scopes: Scopes::parse(&scopes).unwrap_or_default(),
        first_party: first_party != 0,
        enabled: enabled != 0,
        created_at: r.try_get("created_at")?,
        created_by: r.try_get("created_by")?,
        updated_at: r.try_get("updated_at")?,
        secret_rotated_at: r.try_get("secret_rotated_at")?,
    })
}

fn grants_text(c: &OAuthClient) -> String {
    c.grants
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Adds a client.
pub async fn insert_client(conn: &mut AnyConnection, c: &OAuthClient) -> Result<(), DbError> {
    let uris: Vec<&str> = c.redirect_uris.iter().map(RedirectUri::as_str).collect();
    sqlx::query(&format!(
        "INSERT INTO oauth_clients ({CLIENT_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
    ))
    .bind(&c.client_id)
    .bind(&c.name)
    .bind(c.secret_hash.as_ref().map(SecretHash::to_stored))
    .bind(i64::from(c.public))
    .bind(grants_text(c))
    .bind(serde_json::Value::from(uris).to_string())
    .bind(c.scopes.to_string())
    .bind(i64::from(c.first_party))
    .bind(i64::from(c.enabled))
    .bind(&c.created_at)
    .bind(&c.created_by)
    .bind(&c.updated_at)
    .bind(&c.secret_rotated_at)
    .execute(conn)
    .await
    .ctx("registering an OAuth client")?;
    Ok(())
}

/// One client.
pub async fn get_client(db: &Db, client_id: &str) -> Result<Option<OAuthClient>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(db.pool())
    .await
    .ctx("reading an OAuth client")?;
    row.as_ref()
        .map(client_from_row)
        .transpose()
        .ctx("reading an OAuth client")
}

/// One client, inside a transaction.
pub async fn get_client_tx(
    conn: &mut AnyConnection,
    client_id: &str,
) -> Result<Option<OAuthClient>, DbError> {
    let row = sqlx::query(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(conn)
    .await
    .ctx("reading an OAuth client")?;
    row.as_ref()
        .map(client_from_row)
        .transpose()
        .ctx("reading an OAuth client")
}

/// Every client, by name.
pub async fn list_clients(db: &Db) -> Result<Vec<OAuthClient>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oauth_clients ORDER BY name, client_id"
    ))
    .fetch_all(db.pool())
    .await
    .ctx("listing OAuth clients")?;
    rows.iter()
        .map(client_from_row)
        .collect::<Result<_, _>>()
        .ctx("listing OAuth clients")
}

/// Turns a client on or off; answers whether it exists.
pub async fn set_enabled(
    conn: &mut AnyConnection,
    client_id: &str,
    enabled: bool,
    now: &str,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE oauth_clients SET enabled = $1, updated_at = $2 WHERE client_id = $3")
            .bind(i64::from(enabled))
            .bind(now)
            .bind(client_id)
            .execute(conn)
            .await
            .ctx("enabling or disabling an OAuth client")?;
    Ok(done.rows_affected() > 0)
}

/// Replaces a client's secret digest.
pub async fn set_secret(
    conn: &mut AnyConnection,
    client_id: &str,
    hash: &SecretHash,
    now: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE oauth_clients SET secret_hash = $1, secret_rotated_at = $2, updated_at = $2 \
         WHERE client_id = $3",
    )
    .bind(hash.to_stored())
    .bind(now)
    .bind(client_id)
    .execute(conn)
    .await
    .ctx("replacing an OAuth client secret")?;
    Ok(done.rows_affected() > 0)
}

/// A signing key row, private part included (only the key ring reads it).
#[derive(Debug, Clone)]
pub struct KeyRow {
    /// Public facts.
    pub info: SigningKeyInfo,
    /// PKCS#8 DER, base64.
    pub private_key_pkcs8: String,
    /// The public JWK, JSON text.
    pub public_jwk: String,
}

fn key_from_row(r: &AnyRow) -> Result<KeyRow, sqlx::Error> {
    let status: String = r.try_get("status")?;
    Ok(KeyRow {
        info: SigningKeyInfo {
            kid: r.try_get("kid")?,
            alg: r.try_get("alg")?,
            // Unknown states only come from hand edits; such a key is not trusted.
            status: KeyStatus::parse(&status).unwrap_or(KeyStatus::Retired),
            created_at: r.try_get("created_at")?,
            retiring_at: r.try_get("retiring_at")?,
            retire_after: r.try_get("retire_after")?,
            retired_at: r.try_get("retired_at")?,
        },
        private_key_pkcs8: r.try_get("private_key_pkcs8")?,
        public_jwk: r.try_get("public_jwk")?,
    })
}

const KEY_COLUMNS: &str = "kid, alg, private_key_pkcs8, public_jwk, status, created_at, \
                           retiring_at, retire_after, retired_at";

/// Keys in the given states, newest first.
pub async fn keys(db: &Db, statuses: &[KeyStatus]) -> Result<Vec<KeyRow>, DbError> {
    let rows = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM oidc_signing_keys ORDER BY created_at DESC, kid"
    ))
    .fetch_all(db.pool())
    .await
    .ctx("reading signing keys")?;
    let keys = rows
        .iter()
        .map(key_from_row)
        .collect::<Result<Vec<_>, _>>()
        .ctx("reading signing keys")?;
    Ok(keys
        .into_iter()
        .filter(|k| statuses.contains(&k.info.status))
        .collect())
}

/// Adds a key.
pub async fn insert_key(conn: &mut AnyConnection, k: &KeyRow) -> Result<(), DbError> {
    sqlx::query(&format!(
        "INSERT INTO oidc_signing_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
    ))
    .bind(&k.info.kid)
    .bind(&k.info.alg)
    .bind(&k.private_key_pkcs8)
    .bind(&k.public_jwk)
    .bind(k.info.status.as_str())
    .bind(&k.info.created_at)
    .bind(&k.info.retiring_at)
    .bind(&k.info.retire_after)
    .bind(&k.info.retired_at)
    .execute(conn)
    .await
    .ctx("storing a signing key")?;
    Ok(())
}

/// Moves the active key to retiring; returns its kid, if there was one.
pub async fn retire_active(
    conn: &mut AnyConnection,
    now: &str,
    retire_after: &str,
) -> Result<Option<String>, DbError> {
    let kid: Option<String> =
        sqlx::query_scalar("SELECT kid FROM oidc_signing_keys WHERE status = 'active'")
            .fetch_optional(&mut *conn)
            .await
            .ctx("reading the active signing key")?;
    if let Some(kid) = &kid {
        sqlx::query(
            "UPDATE oidc_signing_keys SET status = 'retiring', retiring_at = $1, retire_after = $2 \
             WHERE kid = $3",
        )
        .bind(now)
        .bind(retire_after)
        .bind(kid)
        .execute(&mut *conn)
        .await
        .ctx("retiring the active signing key")?;
    }
    Ok(kid)
}

/// Moves retiring keys whose tokens have all expired to retired; returns their kids.
pub async fn retire_expired(conn: &mut AnyConnection, now: &str) -> Result<Vec<String>, DbError> {
    let kids: Vec<String> = sqlx::query_scalar(
        "SELECT kid FROM oidc_signing_keys WHERE status = 'retiring' AND retire_after <= $1",
    )
    .bind(now)
    .fetch_all(&mut *conn)
    .await
    .ctx("finding expired signing keys")?;
    for kid in &kids {
        sqlx::query(
            "UPDATE oidc_signing_keys SET status = 'retired', retired_at = $1 WHERE kid = $2",
        )
        .bind(now)
        .bind(kid)
        .execute(&mut *conn)
        .await
        .ctx("retiring a signing key")?;
    }
    Ok(kids)
}

/// Records a revoked token; answers false if it was already revoked.
pub async fn insert_revoked(
    conn: &mut AnyConnection,
    jti: &str,
    client_id: &str,
    expires_at: &str,
    now: &str,
    by: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO oauth_revoked_tokens (jti, client_id, expires_at, revoked_at, revoked_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) DO NOTHING",
    )
    .bind(jti)
    .bind(client_id)
    .bind(expires_at)
    .bind(now)
    .bind(by)
    .execute(conn)
    .await
    .ctx("recording a revoked token")?;
    Ok(done.rows_affected() > 0)
}

/// Forgets revocations of tokens that have expired anyway.
pub async fn purge_revoked(conn: &mut AnyConnection, now: &str) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM oauth_revoked_tokens WHERE expires_at < $1")
        .bind(now)
        .execute(conn)
        .await
        .ctx("purging expired revocations")?;
    Ok(done.rows_affected())
}

/// Whether a token id is revoked.
pub async fn is_revoked(db: &Db, jti: &str) -> Result<bool, DbError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oauth_revoked_tokens WHERE jti = $1")
        .bind(jti)
        .fetch_one(db.pool())
        .await
        .ctx("checking token revocation")?;
    Ok(n > 0)
}

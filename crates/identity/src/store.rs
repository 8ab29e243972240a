//! SQL for the identity module's own tables: `oauth_clients`, `oidc_signing_keys`,
//! `oauth_revoked_tokens`.

pub mod accounts;
pub mod sealed;
#[cfg(test)]
mod tests;

use std::collections::BTreeSet;

use cqdt_platform::{Db, DbError, DbResultExt, Sql};
use sqlx::AnyConnection;

use crate::jwt::Alg;
use crate::model::{
    Grant, KeyStatus, OAuthClient, RedirectUri, Scopes, SecretHash, SigningKeyInfo,
};

const CLIENT_COLUMNS: &str = "client_id, name, secret_hash, public_client, grants, redirect_uris, \
     scopes, first_party, enabled, created_at, created_by, updated_at, secret_rotated_at, \
     id_token_alg";

/// An `oauth_clients` row as stored: lists as text, flags as 0/1.
#[derive(Debug, sqlx::FromRow)]
struct ClientRow {
    client_id: String,
    name: String,
    secret_hash: Option<String>,
    public_client: i64,
    grants: String,
    redirect_uris: String,
    scopes: String,
    first_party: i64,
    enabled: i64,
    created_at: String,
    created_by: String,
    updated_at: String,
    secret_rotated_at: Option<String>,
    id_token_alg: String,
}

impl From<ClientRow> for OAuthClient {
    fn from(r: ClientRow) -> Self {
        OAuthClient {
            client_id: r.client_id,
            name: r.name,
            // A row that does not parse authenticates nobody rather than failing the request.
            secret_hash: r.secret_hash.as_deref().and_then(SecretHash::from_stored),
            public: r.public_client != 0,
            grants: r.grants.split(' ').filter_map(Grant::parse).collect::<BTreeSet<_>>(),
            redirect_uris: serde_json::from_str::<Vec<String>>(&r.redirect_uris)
                .unwrap_or_default()
                .iter()
                .filter_map(|u| RedirectUri::parse(u).ok())
                .collect(),
            scopes: Scopes::parse(&r.scopes).unwrap_or_default(),
            first_party: r.first_party != 0,
            enabled: r.enabled != 0,
            created_at: r.created_at,
            created_by: r.created_by,
            updated_at: r.updated_at,
            secret_rotated_at: r.secret_rotated_at,
            // Only ES256 and RS256 are ever written; anything else (a hand edit) gets the
            // default rather than failing every request of the client.
            id_token_alg: Alg::parse(&r.id_token_alg).unwrap_or(Alg::Es256),
        }
    }
}

fn grants_text(c: &OAuthClient) -> String {
    c.grants.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(" ")
}

/// Adds a client.
pub async fn insert_client(conn: &mut AnyConnection, c: &OAuthClient) -> Result<(), DbError> {
    let uris: Vec<&str> = c.redirect_uris.iter().map(RedirectUri::as_str).collect();
    let uris = serde_json::Value::from(uris).to_string();
    let mut q = Sql::on(conn, format!("INSERT INTO oauth_clients ({CLIENT_COLUMNS}) "));
    q.push_values([c], |mut row, c| {
        row.push_bind(&c.client_id)
            .push_bind(&c.name)
            .push_bind(c.secret_hash.as_ref().map(SecretHash::to_stored))
            .push_bind(i64::from(c.public))
            .push_bind(grants_text(c))
            .push_bind(&uris)
            .push_bind(c.scopes.to_string())
            .push_bind(i64::from(c.first_party))
            .push_bind(i64::from(c.enabled))
            .push_bind(&c.created_at)
            .push_bind(&c.created_by)
            .push_bind(&c.updated_at)
            .push_bind(&c.secret_rotated_at)
            .push_bind(c.id_token_alg.as_str());
    });
    q.build().execute(conn).await.ctx("registering an OAuth client")?;
    Ok(())
}

/// The row that `sql` selects by its one parameter `$1 = key`, if there is one.
pub(crate) async fn row_by_key<'e, E, R>(
    exec: E,
    sql: &str,
    key: &str,
    what: &'static str,
) -> Result<Option<R>, DbError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
    R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
{
    sqlx::query_as::<_, R>(sql).bind(key).fetch_optional(exec).await.ctx(what)
}

/// Runs a statement whose parameters are all text, bound in order.
pub(crate) async fn execute_texts(
    conn: &mut AnyConnection,
    sql: &str,
    params: &[&str],
    what: &'static str,
) -> Result<sqlx::any::AnyQueryResult, DbError> {
    let mut q = sqlx::query(sql);
    for p in params {
        q = q.bind(*p);
    }
    q.execute(conn).await.ctx(what)
}

/// Marks the code with digest `code_hash` in `table` used at `now`; false if it already was,
/// so that of two racing redemptions only one wins.
pub(crate) async fn use_once(
    conn: &mut AnyConnection,
    table: &'static str,
    code_hash: &str,
    now: &str,
    what: &'static str,
) -> Result<bool, DbError> {
    let sql = format!("UPDATE {table} SET used_at = $2 WHERE code_hash = $1 AND used_at IS NULL");
    let done = execute_texts(conn, &sql, &[code_hash, now], what).await?;
    Ok(done.rows_affected() == 1)
}

/// One client.
pub async fn get_client(db: &Db, client_id: &str) -> Result<Option<OAuthClient>, DbError> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1");
    let row: Option<ClientRow> =
        row_by_key(db.pool(), &sql, client_id, "reading an OAuth client").await?;
    Ok(row.map(OAuthClient::from))
}

/// One client, inside a transaction.
pub async fn get_client_tx(
    conn: &mut AnyConnection,
    client_id: &str,
) -> Result<Option<OAuthClient>, DbError> {
    let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE client_id = $1");
    let row: Option<ClientRow> =
        row_by_key(conn, &sql, client_id, "reading an OAuth client").await?;
    Ok(row.map(OAuthClient::from))
}

/// Every client, by name.
pub async fn list_clients(db: &Db) -> Result<Vec<OAuthClient>, DbError> {
    let rows = sqlx::query_as::<_, ClientRow>(&format!(
        "SELECT {CLIENT_COLUMNS} FROM oauth_clients ORDER BY name, client_id"
    ))
    .fetch_all(db.pool())
    .await
    .ctx("listing OAuth clients")?;
    Ok(rows.into_iter().map(OAuthClient::from).collect())
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
    let done = execute_texts(
        conn,
        "UPDATE oauth_clients SET secret_hash = $1, secret_rotated_at = $2, updated_at = $2 \
         WHERE client_id = $3",
        &[&hash.to_stored(), now, client_id],
        "replacing an OAuth client secret",
    )
    .await?;
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

/// An `oidc_signing_keys` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct StoredKey {
    kid: String,
    alg: String,
    private_key_pkcs8: String,
    public_jwk: String,
    status: String,
    created_at: String,
    retiring_at: Option<String>,
    retire_after: Option<String>,
    retired_at: Option<String>,
}

impl From<StoredKey> for KeyRow {
    fn from(r: StoredKey) -> Self {
        KeyRow {
            info: SigningKeyInfo {
                kid: r.kid,
                alg: r.alg,
                // Unknown states only come from hand edits; such a key is not trusted.
                status: KeyStatus::parse(&r.status).unwrap_or(KeyStatus::Retired),
                created_at: r.created_at,
                retiring_at: r.retiring_at,
                retire_after: r.retire_after,
                retired_at: r.retired_at,
            },
            private_key_pkcs8: r.private_key_pkcs8,
            public_jwk: r.public_jwk,
        }
    }
}

const KEY_COLUMNS: &str = "kid, alg, private_key_pkcs8, public_jwk, status, created_at, \
                           retiring_at, retire_after, retired_at";

/// Keys in the given states, newest first.
pub async fn keys(db: &Db, statuses: &[KeyStatus]) -> Result<Vec<KeyRow>, DbError> {
    let rows = sqlx::query_as::<_, StoredKey>(&format!(
        "SELECT {KEY_COLUMNS} FROM oidc_signing_keys ORDER BY created_at DESC, kid"
    ))
    .fetch_all(db.pool())
    .await
    .ctx("reading signing keys")?;
    Ok(rows.into_iter().map(KeyRow::from).filter(|k| statuses.contains(&k.info.status)).collect())
}

/// Adds a key.
pub async fn insert_key(conn: &mut AnyConnection, k: &KeyRow) -> Result<(), DbError> {
    let mut q = Sql::on(conn, format!("INSERT INTO oidc_signing_keys ({KEY_COLUMNS}) "));
    q.push_values([k], |mut row, k| {
        row.push_bind(&k.info.kid)
            .push_bind(&k.info.alg)
            .push_bind(&k.private_key_pkcs8)
            .push_bind(&k.public_jwk)
            .push_bind(k.info.status.as_str())
            .push_bind(&k.info.created_at)
            .push_bind(&k.info.retiring_at)
            .push_bind(&k.info.retire_after)
            .push_bind(&k.info.retired_at);
    });
    q.build().execute(conn).await.ctx("storing a signing key")?;
    Ok(())
}

/// Moves the active key of algorithm `alg` to retiring; returns its kid, if there was one.
pub async fn retire_active(
    conn: &mut AnyConnection,
    alg: &str,
    now: &str,
    retire_after: &str,
) -> Result<Option<String>, DbError> {
    let kid: Option<String> = sqlx::query_scalar(
        "SELECT kid FROM oidc_signing_keys WHERE status = 'active' AND alg = $1",
    )
    .bind(alg)
    .fetch_optional(&mut *conn)
    .await
    .ctx("reading the active signing key")?;
    if let Some(kid) = &kid {
        execute_texts(&mut *conn, "UPDATE oidc_signing_keys SET status = 'retiring', retiring_at = $1, retire_after = $2 \
             WHERE kid = $3", &[now, retire_after, kid], "retiring the active signing key").await?;
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
    if kids.is_empty() {
        return Ok(kids);
    }
    let mut q = Sql::on(conn, "UPDATE oidc_signing_keys SET status = 'retired', retired_at = ");
    q.push_bind(now).push(" WHERE kid IN (");
    let mut list = q.separated(", ");
    for kid in &kids {
        list.push_bind(kid);
    }
    q.push(")");
    q.build().execute(&mut *conn).await.ctx("retiring signing keys")?;
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
    let done = execute_texts(
        conn,
        "INSERT INTO oauth_revoked_tokens (jti, client_id, expires_at, revoked_at, revoked_by) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (jti) DO NOTHING",
        &[jti, client_id, expires_at, now, by],
        "recording a revoked token",
    )
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Rows per statement when many revocations are written at once (5 parameters each).
const REVOKED_PER_STATEMENT: usize = 500;

/// Records many revoked tokens (jti, expiry) of one client at once; those already revoked
/// stay as they are.
pub async fn insert_revoked_many(
    conn: &mut AnyConnection,
    tokens: &[(String, String)],
    client_id: &str,
    now: &str,
    by: &str,
) -> Result<(), DbError> {
    for chunk in tokens.chunks(REVOKED_PER_STATEMENT) {
        let mut q = Sql::on(
            conn,
            "INSERT INTO oauth_revoked_tokens (jti, client_id, expires_at, revoked_at, revoked_by) ",
        );
        q.push_values(chunk, |mut row, (jti, exp)| {
            row.push_bind(jti).push_bind(client_id).push_bind(exp).push_bind(now).push_bind(by);
        });
        q.push(" ON CONFLICT (jti) DO NOTHING");
        q.build().execute(&mut *conn).await.ctx("recording revoked tokens")?;
    }
    Ok(())
}

/// Forgets revocations of tokens that have expired anyway.
pub async fn purge_revoked(conn: &mut AnyConnection, now: &str) -> Result<u64, DbError> {
    let done = execute_texts(
        conn,
        "DELETE FROM oauth_revoked_tokens WHERE expires_at < $1",
        &[now],
        "purging expired revocations",
    )
    .await?;
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

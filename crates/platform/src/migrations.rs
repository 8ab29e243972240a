//! The schema: one migration per module step, per backend, embedded at build time with
//! `sqlx::migrate!` from `migrations/sqlite` and `migrations/postgres` (`0001_platform.sql` is
//! version 1, "platform"). Never edit one that has landed: sqlx records its checksum where it
//! ran and refuses a changed file.
//!
//! Releases before sqlx kept their own table, `cqdt_migrations` (version, name, SHA-256 of the
//! SQL, time applied). A database written by one is adopted on its first start: the versions it
//! applied are recorded in sqlx's `_sqlx_migrations` with sqlx's checksums and the original
//! times, after checking that each was applied from the very file embedded here; then the old
//! table is dropped, in the same transaction. Only then does the migrator run, so it applies
//! just the migrations that are newer.

use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::{AnyConnection, Connection};

use crate::db::Backend;
use crate::error::{DbError, DbResultExt};

/// Every migration for SQLite, in order.
pub static SQLITE: Migrator = sqlx::migrate!("../../migrations/sqlite");

/// Every migration for PostgreSQL, in order (the same versions as [`SQLITE`]).
pub static POSTGRES: Migrator = sqlx::migrate!("../../migrations/postgres");

/// The migrations of a backend.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// The newest migration this build knows for a backend, 0 when none.
pub fn newest_version(backend: Backend) -> i64 {
    migrator(backend).iter().map(|m| m.version).max().unwrap_or(0)
}

/// The table of the releases before sqlx.
const LEGACY_TABLE: &str = "cqdt_migrations";

/// Adopts a database of an earlier release, then applies what is pending; returns how many
/// migrations were applied. The caller holds the migration lock (see `Db::migrate`).
pub(crate) async fn run(
    conn: &mut AnyConnection,
    backend: Backend,
    migrator: &Migrator,
) -> Result<usize, DbError> {
    conn.ensure_migrations_table().await.map_err(|e| migrate_error(e, migrator))?;
    let adopted = adopt_legacy(conn, backend, migrator).await?;
    if adopted > 0 {
        tracing::info!(adopted, "migrations of the earlier release recorded for sqlx");
    }
    let before = applied_count(conn, migrator).await?;
    // `run_direct` is `run` on a connection we hold; sqlx offers it because `run(&mut conn)`
    // makes the future not `Send` for every lifetime ("Acquire is not general enough"), which
    // tasks spawned around `Db::migrate` need.
    migrator.run_direct(conn).await.map_err(|e| migrate_error(e, migrator))?;
    Ok(applied_count(conn, migrator).await? - before)
}

async fn applied_count(conn: &mut AnyConnection, migrator: &Migrator) -> Result<usize, DbError> {
    let applied = conn.list_applied_migrations().await.map_err(|e| migrate_error(e, migrator))?;
    Ok(applied.len())
}

async fn legacy_table_exists(conn: &mut AnyConnection, backend: Backend) -> Result<bool, DbError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname = $1"
        }
    };
    let n: i64 = sqlx::query_scalar(sql)
        .bind(LEGACY_TABLE)
        .fetch_one(&mut *conn)
        .await
        .ctx("looking for the migrations table of earlier releases")?;
    Ok(n > 0)
}

/// One row of the earlier releases' table.
#[derive(sqlx::FromRow)]
struct LegacyRow {
    version: i64,
    name: String,
    checksum: String,
    applied_at: String,
}

/// Moves the record of an earlier release's migrations into `_sqlx_migrations`; returns how
/// many were moved (0 when there is nothing to adopt).
async fn adopt_legacy(
    conn: &mut AnyConnection,
    backend: Backend,
    migrator: &Migrator,
) -> Result<usize, DbError> {
    if !legacy_table_exists(conn, backend).await? {
        return Ok(0);
    }
    let recorded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(&mut *conn)
        .await
        .ctx("reading applied migrations")?;
    if recorded > 0 {
        return Err(DbError::Config(format!(
            "both {LEGACY_TABLE} (releases before sqlx) and _sqlx_migrations record migrations; \
             the adoption of this database did not finish as one transaction, or a table was \
             restored by hand — check which is right and drop the other"
        )));
    }
    let mut tx = conn.begin().await.ctx("starting the adoption")?;
    let legacy: Vec<LegacyRow> = sqlx::query_as(
        "SELECT version, name, checksum, applied_at FROM cqdt_migrations ORDER BY version",
    )
    .fetch_all(&mut *tx)
    .await
    .ctx("reading the migrations of the earlier release")?;
    let installed_on = match backend {
        Backend::Sqlite => "COALESCE(datetime($3), CURRENT_TIMESTAMP)",
        Backend::Postgres => "CAST($3 AS TIMESTAMPTZ)",
    };
    let insert = format!(
        "INSERT INTO _sqlx_migrations \
         (version, description, installed_on, success, checksum, execution_time) \
         VALUES ($1, $2, {installed_on}, TRUE, $4, -1)"
    );
    for row in &legacy {
        let Some(m) = migrator.iter().find(|m| m.version == row.version) else {
            return Err(DbError::Config(format!(
                "the database has migration {} ({}) which this cqdt does not know; \
                 it was written by a newer version",
                row.version, row.name
            )));
        };
        let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(m.sql.as_bytes()));
        if sha256 != row.checksum {
            return Err(DbError::Config(format!(
                "migration {} ({}) was changed after it was applied",
                row.version, row.name
            )));
        }
        sqlx::query(&insert)
            .bind(m.version)
            .bind(m.description.as_ref())
            .bind(row.applied_at.as_str())
            .bind(m.checksum.as_ref())
            .execute(&mut *tx)
            .await
            .ctx("recording an applied migration for sqlx")?;
    }
    sqlx::query("DROP TABLE cqdt_migrations")
        .execute(&mut *tx)
        .await
        .ctx("dropping the migrations table of the earlier release")?;
    tx.commit().await.ctx("committing the adoption")?;
    Ok(legacy.len())
}

/// The platform's error for a failure of sqlx's migrator, with the messages of the runner
/// before it.
fn migrate_error(e: MigrateError, migrator: &Migrator) -> DbError {
    let name = |version: i64| {
        migrator
            .iter()
            .find(|m| m.version == version)
            .map(|m| m.description.to_string())
            .unwrap_or_default()
    };
    match e {
        MigrateError::ExecuteMigration(source, version) => {
            DbError::Migration { version, name: name(version), source }
        }
        MigrateError::Execute(source) => DbError::Sqlx { context: "migrating", source },
        MigrateError::VersionMismatch(v) => {
            DbError::Config(format!("migration {v} ({}) was changed after it was applied", name(v)))
        }
        MigrateError::VersionMissing(v) => DbError::Config(format!(
            "the database has migration {v} which this cqdt does not know; \
             it was written by a newer version"
        )),
        other => DbError::Config(format!("migrating: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_give_versions_and_descriptions() {
        let first = SQLITE.iter().next().expect("a migration");
        assert_eq!((first.version, first.description.as_ref()), (1, "platform"));
        let eleventh = SQLITE.iter().find(|m| m.version == 11).expect("11");
        assert_eq!(eleventh.description, "audit pending");
    }

    #[test]
    fn both_backends_have_the_same_migrations_numbered_without_gaps() {
        let list = |m: &Migrator| -> Vec<(i64, String)> {
            m.iter().map(|m| (m.version, m.description.to_string())).collect()
        };
        assert_eq!(list(&SQLITE), list(&POSTGRES));
        let versions: Vec<i64> = SQLITE.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
        assert!(newest_version(Backend::Sqlite) >= 13);
        assert_eq!(newest_version(Backend::Sqlite), newest_version(Backend::Postgres));
    }
}

//! The schema, one migration per module step, per backend. Never edit one that has landed.

use crate::db::Backend;

/// One schema change, written for each backend.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// Order of application.
    pub version: i64,
    /// Short name.
    pub name: &'static str,
    /// SQL for SQLite.
    pub sqlite: &'static str,
    /// SQL for PostgreSQL.
    pub postgres: &'static str,
}

impl Migration {
    /// The SQL for a backend.
    pub fn sql(&self, backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => self.sqlite,
            Backend::Postgres => self.postgres,
        }
    }
}

macro_rules! migration {
    ($version:expr, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../../../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../../../migrations/postgres/", $name, ".sql")),
        }
    };
}

/// Every migration of every module, in order.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_platform"),
    migration!(2, "0002_audit"),
    migration!(3, "0003_calendar"),
    migration!(4, "0004_catalog"),
    migration!(5, "0005_notify"),
    migration!(6, "0006_identity"),
    migration!(7, "0007_workflow"),
    migration!(8, "0008_accounts"),
    migration!(9, "0009_procedures"),
    migration!(10, "0010_dossiers"),
    migration!(11, "0011_audit_pending"),
    migration!(12, "0012_dossier_life"),
    migration!(13, "0013_dossier_outcomes"),
];

//! Errors of the platform core, and how they answer over HTTP: a refused upload is a 422, a
//! file that is not there a 404, anything else a 500 whose cause goes to the log only.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::web::{HttpError, Problem};

/// A database failure, with what the platform was doing when it happened.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A query or connection failed.
    #[error("{context}: {source}")]
    Sqlx {
        /// What was being done.
        context: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed to apply.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Migration number.
        version: i64,
        /// Migration name (its description: `0001_platform.sql` is "platform").
        name: String,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// The configuration or schema state is unusable.
    #[error("{0}")]
    Config(String),
}

/// Adds context to sqlx results.
pub trait DbResultExt<T> {
    /// Wraps the error with what was being done.
    fn ctx(self, context: &'static str) -> Result<T, DbError>;
}

impl<T> DbResultExt<T> for Result<T, sqlx::Error> {
    fn ctx(self, context: &'static str) -> Result<T, DbError> {
        self.map_err(|source| DbError::Sqlx { context, source })
    }
}

/// Errors of the platform services (jobs, files, settings).
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// File system failure.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An upload was refused; the message is for the user, in Vietnamese.
    #[error("{0}")]
    Rejected(String),
    /// Something asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
}

impl PlatformError {
    /// Wraps an I/O error with context.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        PlatformError::Io { context: context.into(), source }
    }
}

impl From<PlatformError> for HttpError {
    fn from(e: PlatformError) -> Self {
        match e {
            PlatformError::Rejected(m) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Tệp không được chấp nhận")
                    .with_detail(m)
                    .into()
            }
            // Only the file store says "not found".
            PlatformError::NotFound(_) => Problem::not_found("Không có tệp này.").into(),
            other => HttpError::internal(other),
        }
    }
}

impl IntoResponse for PlatformError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

impl From<DbError> for HttpError {
    fn from(e: DbError) -> Self {
        HttpError::internal(e)
    }
}

impl IntoResponse for DbError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

//! The one error type of the dossiers module.

use cqdt_platform::{DbError, FieldError};

/// Everything that can go wrong with dossiers.
#[derive(Debug, thiserror::Error)]
pub enum DossierError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The e-form or attachments do not pass their checks; every error, in Vietnamese.
    #[error("hồ sơ chưa hợp lệ")]
    Invalid(Vec<FieldError>),
    /// No such dossier (or not the caller's).
    #[error("không có hồ sơ {0}")]
    NotFound(String),
    /// The procedure does not take dossiers (unknown, draft or retired).
    #[error("{0}")]
    Closed(String),
    /// The person may not do this to this dossier.
    #[error("{0}")]
    Forbidden(String),
    /// The dossier is not in a state that allows this.
    #[error("{0}")]
    Conflict(String),
    /// Storing a file or sending a notice failed.
    #[error("{0}")]
    Internal(String),
}

//! The one error type of the procedures module.

use cqdt_platform::{DbError, FieldError};

/// Everything that can go wrong with procedures.
#[derive(Debug, thiserror::Error)]
pub enum ProcedureError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A procedure document (or an import row) does not pass its checks.
    #[error("thủ tục không hợp lệ")]
    Invalid(Vec<FieldError>),
    /// No such procedure.
    #[error("không có thủ tục {0}")]
    NotFound(String),
    /// The change conflicts with the procedure's state (e.g. it exists already).
    #[error("{0}")]
    Conflict(String),
    /// A stored document could not be read back.
    #[error("stored procedure {0}: {1}")]
    Corrupt(String, String),
}

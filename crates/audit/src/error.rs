//! The audit module's error, rendering itself as problem+json on `/api/…` and as the
//! Vietnamese error page elsewhere.

use axum::response::{IntoResponse, Response};
use cqdt_platform::{DbError, FieldError, HttpError, Problem};

/// Errors of the audit routes. (Recording stays `Result<_, DbError>`: every module calls it
/// inside its own transaction and converts the database error into its own.)
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The search criteria could not be read; one message per field, in Vietnamese.
    #[error("điều kiện tìm kiếm không hợp lệ")]
    InvalidSearch(Vec<FieldError>),
}

impl From<AuditError> for HttpError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::InvalidSearch(errors) => {
                Problem::bad_request("Điều kiện tìm kiếm không hợp lệ.").with_errors(errors).into()
            }
            AuditError::Db(e) => HttpError::internal(e),
        }
    }
}

impl IntoResponse for AuditError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

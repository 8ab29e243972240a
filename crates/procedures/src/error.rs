//! The one error type of the procedures module, and how it answers over HTTP.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cqdt_platform::{DbError, FieldError, HttpError, Problem};

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

/// Problem+json on the API, the Vietnamese error page on pages: 422 with the field errors,
/// 404, 409 (a bad-request page with its message), anything else a 500.
impl From<ProcedureError> for HttpError {
    fn from(e: ProcedureError) -> Self {
        match e {
            ProcedureError::Invalid(errors) => {
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Thủ tục không hợp lệ")
                    .with_detail("Xem danh sách lỗi theo từng trường.")
                    .with_errors(errors)
                    .into()
            }
            ProcedureError::NotFound(c) => {
                Problem::not_found(format!("Không có thủ tục {c}.")).into()
            }
            ProcedureError::Conflict(m) => {
                Problem::new(StatusCode::CONFLICT, "Xung đột").with_detail(m).into()
            }
            other => HttpError::internal(other),
        }
    }
}

impl IntoResponse for ProcedureError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

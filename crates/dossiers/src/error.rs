//! The one error type of the dossiers module, and how it answers over HTTP: problem+json on
//! `/api/…`, the Vietnamese error page everywhere else (the platform's `error_pages`
//! middleware picks one).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cqdt_platform::web::clip;
use cqdt_platform::{DbError, FieldError, HttpError, PageError, Problem};

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
    /// The request itself cannot be read (a form that is not multipart, a bad query); the
    /// message is for the user.
    #[error("{0}")]
    BadRequest(String),
    /// The request is larger than the route takes; the message is for the user.
    #[error("{0}")]
    TooLarge(String),
    /// A national system (through the LGSP) refused or did not answer; the message says which
    /// and why.
    #[error("{0}")]
    Upstream(String),
    /// Storing a file or sending a notice failed.
    #[error("{0}")]
    Internal(String),
}

/// 422 with the field errors (a page shows their messages), 404, 403, 409 for a closed
/// procedure or a dossier in the wrong state (a bad-request page with its message), 400,
/// 413, anything else a 500. A dossier code in a message is what the request named: clipped.
impl From<DossierError> for HttpError {
    fn from(e: DossierError) -> Self {
        match e {
            DossierError::Invalid(errors) => {
                let page = PageError::BadRequest(
                    errors.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "),
                );
                HttpError::new(
                    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, "Hồ sơ chưa hợp lệ")
                        .with_detail("Xem danh sách lỗi theo từng trường.")
                        .with_errors(errors),
                )
                .with_page(page)
            }
            DossierError::NotFound(c) => {
                Problem::not_found(format!("Không có hồ sơ {}.", clip(&c, 100))).into()
            }
            DossierError::Closed(m) | DossierError::Conflict(m) => Problem::conflict(m).into(),
            DossierError::Forbidden(m) => Problem::forbidden(m).into(),
            DossierError::BadRequest(m) => Problem::bad_request(m).into(),
            DossierError::TooLarge(m) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "Nội dung quá lớn")
                    .with_detail(m)
                    .into()
            }
            DossierError::Upstream(m) => {
                Problem::new(StatusCode::BAD_GATEWAY, "Hệ thống quốc gia không đáp ứng")
                    .with_detail(m)
                    .into()
            }
            other => HttpError::internal(other),
        }
    }
}

impl IntoResponse for DossierError {
    fn into_response(self) -> Response {
        HttpError::from(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(message: &str) -> FieldError {
        FieldError::new("x", message)
    }

    #[test]
    fn problems_keep_their_statuses_titles_and_details() {
        let p = HttpError::from(DossierError::NotFound("A-1".into())).problem;
        assert_eq!((p.status, p.detail.as_deref()), (404, Some("Không có hồ sơ A-1.")));
        let p = HttpError::from(DossierError::Closed("Đã bãi bỏ.".into())).problem;
        assert_eq!((p.status, p.title.as_str()), (409, "Không thực hiện được"));
        let p = HttpError::from(DossierError::Forbidden("Không được.".into())).problem;
        assert_eq!((p.status, p.title.as_str()), (403, "Không có quyền"));
        let p = HttpError::from(DossierError::Invalid(vec![field("Thiếu.")])).problem;
        assert_eq!((p.status, p.title.as_str(), p.errors.len()), (422, "Hồ sơ chưa hợp lệ", 1));
        let p = HttpError::from(DossierError::TooLarge("Quá lớn.".into())).problem;
        assert_eq!((p.status, p.detail.as_deref()), (413, Some("Quá lớn.")));
        let p = HttpError::from(DossierError::NotFound("9".repeat(6_000_000))).problem;
        assert!(p.detail.is_some_and(|d| d.chars().count() < 120), "the code is clipped");
        let p = HttpError::from(DossierError::Internal("đĩa đầy".into())).problem;
        assert_eq!(p.status, 500);
        assert!(!p.detail.unwrap_or_default().contains("đĩa"));
    }

    #[test]
    fn pages_show_what_they_showed() {
        let page = |e| HttpError::from(e).page;
        assert!(matches!(
            page(DossierError::Invalid(vec![field("Thiếu tên."), field("Sai ngày.")])),
            PageError::BadRequest(m) if m == "Thiếu tên. Sai ngày."
        ));
        assert!(matches!(
            page(DossierError::Invalid(Vec::new())),
            PageError::BadRequest(m) if m.is_empty()
        ));
        assert!(matches!(
            page(DossierError::Conflict("Đã xử lý.".into())),
            PageError::BadRequest(m) if m == "Đã xử lý."
        ));
        assert!(matches!(page(DossierError::NotFound("x".into())), PageError::NotFound));
        assert!(matches!(page(DossierError::Forbidden("x".into())), PageError::Forbidden));
        assert!(matches!(page(DossierError::Db(DbError::Config("x".into()))), PageError::Internal));
    }
}

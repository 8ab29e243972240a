//! The one error type of the identity module.

use cqdt_platform::DbError;

/// The error codes of OAuth 2.0 (RFC 6749 §5.2, RFC 7009 §2.2.1) that this provider answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorCode {
    /// The request is missing a parameter, repeats one, or is otherwise malformed.
    InvalidRequest,
    /// Client authentication failed.
    InvalidClient,
    /// The grant is invalid, expired or revoked.
    InvalidGrant,
    /// The client may not use this grant type (or act on this token).
    UnauthorizedClient,
    /// The grant type is not supported by this server.
    UnsupportedGrantType,
    /// The requested scope is invalid, unknown or not allowed for the client.
    InvalidScope,
    /// The server cannot revoke this kind of token.
    UnsupportedTokenType,
}

impl OAuthErrorCode {
    /// The code as the RFCs spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            OAuthErrorCode::InvalidRequest => "invalid_request",
            OAuthErrorCode::InvalidClient => "invalid_client",
            OAuthErrorCode::InvalidGrant => "invalid_grant",
            OAuthErrorCode::UnauthorizedClient => "unauthorized_client",
            OAuthErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorCode::InvalidScope => "invalid_scope",
            OAuthErrorCode::UnsupportedTokenType => "unsupported_token_type",
        }
    }

    /// The HTTP status the RFCs give the code: 401 for client authentication, else 400.
    pub fn status(self) -> u16 {
        match self {
            OAuthErrorCode::InvalidClient => 401,
            _ => 400,
        }
    }
}

/// Everything that can go wrong in the identity module.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// Database failure.
    #[error(transparent)]
    Db(#[from] DbError),
    /// Bad input to an administrative use case; the message is for the user, in Vietnamese.
    #[error("{0}")]
    Invalid(String),
    /// Something asked for does not exist.
    #[error("không tìm thấy: {0}")]
    NotFound(String),
    /// A protocol error to answer in the OAuth format; the description is ASCII (RFC 6749
    /// restricts `error_description` to printable ASCII) and never contains a secret.
    #[error("{}: {description}", code.as_str())]
    OAuth {
        /// The RFC error code.
        code: OAuthErrorCode,
        /// Human-readable explanation for the client developer.
        description: String,
        /// Seconds to wait before trying again (temporary lockout).
        retry_after: Option<u64>,
    },
    /// A signing key could not be made, stored or loaded.
    #[error("signing key: {0}")]
    Key(String),
    /// Field errors of a form, in Vietnamese, all at once.
    #[error("dữ liệu không hợp lệ")]
    Fields(Vec<cqdt_platform::FieldError>),
    /// Too many failed attempts: try again after this many minutes.
    #[error("tạm khoá đăng nhập {0} phút")]
    Locked(u64),
    /// The account (this id) has not verified its contact yet.
    #[error("tài khoản chưa xác thực")]
    Unverified(String),
    /// Not allowed for this person, in Vietnamese.
    #[error("{0}")]
    Forbidden(String),
    /// Calling another identity provider (VNeID) failed.
    #[error("nhà cung cấp định danh bên ngoài: {0}")]
    Upstream(String),
    /// The audit log could not record an event, so the action was not done.
    #[error("audit log: {0}")]
    Audit(String),
}

impl IdentityError {
    /// An OAuth protocol error.
    pub fn oauth(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        IdentityError::OAuth { code, description: description.into(), retry_after: None }
    }

    /// The OAuth code of a protocol error, if it is one.
    pub fn oauth_code(&self) -> Option<OAuthErrorCode> {
        match self {
            IdentityError::OAuth { code, .. } => Some(*code),
            _ => None,
        }
    }
}

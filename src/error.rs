//! One error type for every failure; it knows its S3 code and HTTP status.

use std::fmt;

/// A failure while serving a request. `detail` is for logs only: the client
/// sees the code and a fixed message, never backend or configuration details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyError {
    NoSuchBucket,
    NoSuchKey,
    /// A `versionId` other than the one version served.
    NoSuchVersion,
    AccessDenied,
    InvalidArgument(&'static str),
    /// 400 InvalidRequest: a request S3 refuses as such (e.g. anonymous overrides).
    InvalidRequest(&'static str),
    InvalidUri,
    KeyTooLong,
    InvalidRange {
        size: u64,
    },
    /// A `partNumber` past the object's one part.
    InvalidPartNumber,
    PreconditionFailed,
    MethodNotAllowed,
    /// A CORS preflight from an origin or for a method that is not allowed.
    CorsForbidden,
    /// A request S3 answers `400 BadRequest` (an OPTIONS that is no preflight).
    BadRequest(&'static str),
    /// A signed request that failed authentication: status, code, message.
    Auth {
        status: u16,
        code: &'static str,
        message: &'static str,
    },
    NotImplemented(&'static str),
    /// Configuration that a feature needs is missing or invalid (logged once).
    Misconfigured(String),
    /// The backend answered something we cannot serve (auth failure, 5xx, garbage).
    Backend(String),
    /// The backend rejected the credentials themselves (expired or unknown
    /// token or key), as opposed to a policy denying the read. Answers like
    /// `Backend`; temporary credentials are dropped so the next request renews them.
    BackendAuth(String),
    /// The backend could not be reached or timed out.
    Unavailable(String),
    Internal(String),
}

impl ProxyError {
    pub fn status(&self) -> u16 {
        match self {
            Self::NoSuchBucket | Self::NoSuchKey | Self::NoSuchVersion => 404,
            Self::AccessDenied | Self::CorsForbidden => 403,
            Self::InvalidArgument(_)
            | Self::InvalidRequest(_)
            | Self::InvalidUri
            | Self::KeyTooLong
            | Self::BadRequest(_) => 400,
            Self::InvalidRange { .. } | Self::InvalidPartNumber => 416,
            Self::PreconditionFailed => 412,
            Self::MethodNotAllowed => 405,
            Self::NotImplemented(_) => 501,
            Self::Misconfigured(_) | Self::Unavailable(_) => 503,
            Self::Backend(_) | Self::BackendAuth(_) => 502,
            Self::Auth { status, .. } => *status,
            Self::Internal(_) => 500,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::NoSuchBucket => "NoSuchBucket",
            Self::NoSuchKey => "NoSuchKey",
            Self::NoSuchVersion => "NoSuchVersion",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidArgument(_) => "InvalidArgument",
            Self::InvalidRequest(_) => "InvalidRequest",
            Self::InvalidUri => "InvalidURI",
            Self::KeyTooLong => "KeyTooLongError",
            Self::InvalidRange { .. } => "InvalidRange",
            Self::InvalidPartNumber => "InvalidPartNumber",
            Self::PreconditionFailed => "PreconditionFailed",
            Self::MethodNotAllowed => "MethodNotAllowed",
            Self::CorsForbidden => "AccessForbidden",
            Self::BadRequest(_) => "BadRequest",
            Self::NotImplemented(_) => "NotImplemented",
            Self::Misconfigured(_) | Self::Unavailable(_) => "ServiceUnavailable",
            Self::Backend(_) | Self::BackendAuth(_) | Self::Internal(_) => "InternalError",
            Self::Auth { code, .. } => code,
        }
    }

    /// The message shown to the client: fixed text, no internal detail.
    pub fn message(&self) -> &'static str {
        match self {
            Self::NoSuchBucket => "The specified bucket does not exist.",
            Self::NoSuchKey => "The specified key does not exist.",
            Self::NoSuchVersion => "The specified version does not exist.",
            Self::AccessDenied => "Access Denied",
            Self::InvalidArgument(m) | Self::InvalidRequest(m) | Self::NotImplemented(m) | Self::BadRequest(m) => m,
            Self::InvalidUri => "Couldn't parse the specified URI.",
            Self::KeyTooLong => "Your key is too long.",
            Self::InvalidRange { .. } => "The requested range is not satisfiable.",
            Self::InvalidPartNumber => "The requested partnumber is not satisfiable",
            Self::PreconditionFailed => "At least one of the preconditions you specified did not hold.",
            Self::MethodNotAllowed => "The specified method is not allowed against this resource.",
            Self::CorsForbidden => "CORSResponse: This CORS request is not allowed.",
            Self::Auth { message, .. } => message,
            Self::Misconfigured(_) | Self::Unavailable(_) => "Please reduce your request rate or try again later.",
            Self::Backend(_) | Self::BackendAuth(_) | Self::Internal(_) => {
                "We encountered an internal error. Please try again."
            }
        }
    }

    /// Detail for the log line (never sent to the client).
    pub fn detail(&self) -> Option<&str> {
        match self {
            Self::Misconfigured(d)
            | Self::Backend(d)
            | Self::BackendAuth(d)
            | Self::Unavailable(d)
            | Self::Internal(d) => Some(d),
            _ => None,
        }
    }
}

impl ProxyError {
    pub fn invalid_token() -> Self {
        Self::Auth {
            status: 400,
            code: "InvalidToken",
            message: "The provided token is malformed or otherwise invalid.",
        }
    }

    pub fn expired_token() -> Self {
        Self::Auth {
            status: 400,
            code: "ExpiredToken",
            message: "The provided token has expired.",
        }
    }

    pub fn invalid_access_key_id() -> Self {
        Self::Auth {
            status: 403,
            code: "InvalidAccessKeyId",
            message: "The AWS Access Key Id you provided does not exist in our records.",
        }
    }
}

impl From<crate::sigv4::verify::AuthError> for ProxyError {
    fn from(e: crate::sigv4::verify::AuthError) -> Self {
        Self::Auth {
            status: e.status(),
            code: e.code(),
            message: e.message(),
        }
    }
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(d) => write!(f, "{}: {}", self.code(), d),
            None => write!(f, "{}", self.code()),
        }
    }
}

impl std::error::Error for ProxyError {}

pub type Result<T> = std::result::Result<T, ProxyError>;

#[cfg(test)]
mod tests;

//! The error model. [`Code`] is the one table of client-visible codes
//! (status, code, default message). Each module has its own error enum that
//! keeps its cause (`source()`) and reaches a client as one of the two
//! [`ApiError`]s: [`ProxyError`] (S3 routes) or the STS's `StsError`, whose
//! `code()` picks the table's row. Both renderers (S3 `<Error>`, STS
//! `<ErrorResponse>`) take an `ApiError`, so the client sees only a code's
//! fixed text and the log the cause chain. This module imports nothing else
//! from the crate.

mod code;

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

pub use code::Code;

/// An error a client can be answered with.
pub trait ApiError: StdError {
    fn code(&self) -> Code;

    fn status(&self) -> u16 {
        self.code().status()
    }

    /// The client's text: fixed, never request, backend or configuration data.
    fn message(&self) -> Cow<'static, str> {
        Cow::Borrowed(self.code().default_message())
    }

    /// The log's text, with the causes (`None` when the code says it all).
    fn detail(&self) -> Option<String> {
        None
    }
}

/// An error and its causes, outermost first: `a: b: c`.
pub fn chain(e: &dyn StdError) -> String {
    let mut s = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        s.push_str(": ");
        s.push_str(&cause.to_string());
        next = cause.source();
    }
    s
}

/// `Debug` that writes the `Display` text with its causes. For error enums:
/// every error kept as a `source()` is reachable as `dyn Error`, which pulls
/// its `Debug` into the wasm even though nothing formats it there; a derived
/// `Debug` per enum costs several KB, this one a call to [`chain`].
macro_rules! debug_as_display {
    ($t:ty) => {
        impl ::std::fmt::Debug for $t {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&$crate::error::chain(self))
            }
        }
    };
}
pub(crate) use debug_as_display;

/// What went wrong inside (for the log), and the error that caused it, if
/// any. Cheap to clone; equal when the texts are equal.
#[derive(Clone)]
pub struct Detail {
    text: Cow<'static, str>,
    cause: Option<Arc<dyn StdError + Send + Sync>>,
}

impl Detail {
    pub fn new(text: impl Into<Cow<'static, str>>) -> Self {
        Detail {
            text: text.into(),
            cause: None,
        }
    }

    /// `text` caused by `cause` (which the log shows after it).
    pub fn caused(text: impl Into<Cow<'static, str>>, cause: impl StdError + Send + Sync + 'static) -> Self {
        Detail {
            text: text.into(),
            cause: Some(Arc::new(cause)),
        }
    }

    /// The same cause under other text (e.g. with the backend's name in front).
    pub fn retext(self, f: impl FnOnce(&str) -> String) -> Self {
        Detail {
            text: f(&self.text).into(),
            cause: self.cause,
        }
    }
}

impl From<String> for Detail {
    fn from(s: String) -> Self {
        Detail::new(s)
    }
}

impl From<&'static str> for Detail {
    fn from(s: &'static str) -> Self {
        Detail::new(s)
    }
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&chain(self))
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Detail {}

impl StdError for Detail {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause.as_deref().map(|c| c as &(dyn StdError + 'static))
    }
}

/// A failure while serving an S3 request. The detail variants are for logs
/// only: the client sees the code and a fixed message, never backend or
/// configuration details.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    #[error("NoSuchBucket")]
    NoSuchBucket,
    #[error("NoSuchKey")]
    NoSuchKey,
    /// A `versionId` other than the one version served.
    #[error("NoSuchVersion")]
    NoSuchVersion,
    #[error("AccessDenied")]
    AccessDenied,
    #[error("InvalidArgument")]
    InvalidArgument(&'static str),
    /// 400 InvalidRequest: a request S3 refuses as such (e.g. anonymous overrides).
    #[error("InvalidRequest")]
    InvalidRequest(&'static str),
    #[error("InvalidURI")]
    InvalidUri,
    #[error("KeyTooLongError")]
    KeyTooLong,
    #[error("InvalidRange")]
    InvalidRange { size: u64 },
    /// A `partNumber` past the object's one part.
    #[error("InvalidPartNumber")]
    InvalidPartNumber,
    #[error("PreconditionFailed")]
    PreconditionFailed,
    #[error("MethodNotAllowed")]
    MethodNotAllowed,
    /// A CORS preflight from an origin or for a method that is not allowed.
    #[error("AccessForbidden")]
    CorsForbidden,
    /// A request S3 answers `400 BadRequest` (an OPTIONS that is no preflight).
    #[error("BadRequest")]
    BadRequest(&'static str),
    /// A signed request that failed authentication: one of the table's
    /// authentication codes and its fixed message.
    #[error("{}", code.as_str())]
    Auth { code: Code, message: &'static str },
    #[error("NotImplemented")]
    NotImplemented(&'static str),
    /// Configuration that a feature needs is missing or invalid (logged once).
    #[error(transparent)]
    Misconfigured(Detail),
    /// The backend answered something we cannot serve (auth failure, 5xx, garbage).
    #[error(transparent)]
    Backend(Detail),
    /// The backend rejected the credentials themselves (expired or unknown
    /// token or key), as opposed to a policy denying the read. Answers like
    /// `Backend`; temporary credentials are dropped so the next request renews them.
    #[error(transparent)]
    BackendAuth(Detail),
    /// The backend could not be reached or timed out.
    #[error(transparent)]
    Unavailable(Detail),
    #[error(transparent)]
    Internal(Detail),
}

debug_as_display!(ProxyError);

impl ApiError for ProxyError {
    fn code(&self) -> Code {
        match self {
            Self::NoSuchBucket => Code::NoSuchBucket,
            Self::NoSuchKey => Code::NoSuchKey,
            Self::NoSuchVersion => Code::NoSuchVersion,
            Self::AccessDenied => Code::AccessDenied,
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::InvalidRequest(_) => Code::InvalidRequest,
            Self::InvalidUri => Code::InvalidUri,
            Self::KeyTooLong => Code::KeyTooLong,
            Self::InvalidRange { .. } => Code::InvalidRange,
            Self::InvalidPartNumber => Code::InvalidPartNumber,
            Self::PreconditionFailed => Code::PreconditionFailed,
            Self::MethodNotAllowed => Code::MethodNotAllowed,
            Self::CorsForbidden => Code::AccessForbidden,
            Self::BadRequest(_) => Code::BadRequest,
            Self::Auth { code, .. } => *code,
            Self::NotImplemented(_) => Code::NotImplemented,
            Self::Misconfigured(_) | Self::Unavailable(_) => Code::ServiceUnavailable,
            Self::Backend(_) | Self::BackendAuth(_) => Code::BadGateway,
            Self::Internal(_) => Code::InternalError,
        }
    }

    fn message(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidArgument(m)
            | Self::InvalidRequest(m)
            | Self::NotImplemented(m)
            | Self::BadRequest(m)
            | Self::Auth { message: m, .. } => Cow::Borrowed(m),
            _ => Cow::Borrowed(self.code().default_message()),
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            Self::Misconfigured(_)
            | Self::Backend(_)
            | Self::BackendAuth(_)
            | Self::Unavailable(_)
            | Self::Internal(_) => Some(chain(self)),
            _ => None,
        }
    }
}

impl ProxyError {
    /// An authentication failure answered with `code`'s default message.
    pub fn auth(code: Code) -> Self {
        Self::Auth {
            code,
            message: code.default_message(),
        }
    }

    pub fn invalid_token() -> Self {
        Self::auth(Code::InvalidToken)
    }

    pub fn expired_token() -> Self {
        Self::auth(Code::ExpiredToken)
    }

    pub fn invalid_access_key_id() -> Self {
        Self::auth(Code::InvalidAccessKeyId)
    }
}

pub type Result<T> = std::result::Result<T, ProxyError>;

#[cfg(test)]
mod tests;

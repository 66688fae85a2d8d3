//! STS errors: AWS-shaped, fixed messages that never echo expected values.
//! Every failure on a request routed to the STS endpoint becomes one of
//! these (the route's own failures included, see [`StsError::from_proxy`]),
//! so the client always gets an STS `<ErrorResponse>`.

use std::borrow::Cow;

use crate::error::{chain, ApiError, Code, Detail, ProxyError};
use crate::session::SessionError;

#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum StsError {
    #[error("InvalidIdentityToken: {0}")]
    InvalidIdentityToken(&'static str),
    #[error("ExpiredTokenException")]
    ExpiredToken,
    #[error("IDPRejectedClaim")]
    IdpRejectedClaim,
    #[error("identity provider")]
    IdpCommunication(#[source] Detail),
    #[error("ValidationError: {0}")]
    Validation(&'static str),
    #[error("MissingParameter: {0}")]
    MissingParameter(&'static str),
    #[error("InvalidParameterValue: {0}")]
    InvalidParameterValue(&'static str),
    /// STS is not configured (no audience or no session key): fail closed.
    #[error("NotImplemented: {0}")]
    NotImplemented(&'static str),
    /// Not GET or POST (AWS STS takes only those); answered with `Allow`.
    #[error("MethodNotAllowed")]
    MethodNotAllowed,
    /// A path below `/.sts/`: nothing is served there.
    #[error("NotFound")]
    NotFound,
    /// A CORS preflight from an origin or for a method that is not allowed.
    #[error("AccessDenied")]
    CorsForbidden,
    /// A form body over `params::MAX_BODY`, declared or read.
    #[error("RequestEntityTooLarge")]
    RequestTooLarge,
    /// A route failure with no STS counterpart.
    #[error("route")]
    Route(#[source] ProxyError),
    /// Minting or sealing the session failed.
    #[error("session")]
    Session(#[from] SessionError),
    /// A session policy this proxy does not understand exactly.
    #[error("MalformedPolicyDocument: {0}")]
    MalformedPolicy(&'static str),
    /// A session policy over its packed size, or the room the session token
    /// leaves it: the percentage of that space it takes.
    #[error("PackedPolicyTooLarge: {0}%")]
    PackedPolicyTooLarge(u32),
}

crate::error::debug_as_display!(StsError);

impl StsError {
    pub fn invalid(msg: &'static str) -> Self {
        StsError::InvalidParameterValue(msg)
    }

    /// The STS answer for a failure the route itself raised.
    pub fn from_proxy(e: &ProxyError) -> Self {
        match e {
            ProxyError::MethodNotAllowed => StsError::MethodNotAllowed,
            ProxyError::CorsForbidden => StsError::CorsForbidden,
            ProxyError::NoSuchBucket | ProxyError::NoSuchKey => StsError::NotFound,
            ProxyError::InvalidUri | ProxyError::InvalidArgument(_) | ProxyError::KeyTooLong => {
                StsError::invalid("The request could not be parsed.")
            }
            // An OPTIONS that is no preflight (no Origin or no requested method).
            ProxyError::BadRequest(m) => StsError::invalid(m),
            other => StsError::Route(other.clone()),
        }
    }
}

impl ApiError for StsError {
    fn code(&self) -> Code {
        match self {
            StsError::InvalidIdentityToken(_) => Code::InvalidIdentityToken,
            StsError::ExpiredToken => Code::StsExpiredToken,
            StsError::IdpRejectedClaim => Code::IdpRejectedClaim,
            StsError::IdpCommunication(_) => Code::IdpCommunicationError,
            StsError::Validation(_) => Code::ValidationError,
            StsError::MissingParameter(_) => Code::MissingParameter,
            StsError::InvalidParameterValue(_) => Code::InvalidParameterValue,
            StsError::NotImplemented(_) => Code::StsNotImplemented,
            StsError::MethodNotAllowed => Code::StsMethodNotAllowed,
            StsError::NotFound => Code::StsNotFound,
            StsError::CorsForbidden => Code::StsAccessDenied,
            StsError::RequestTooLarge => Code::RequestEntityTooLarge,
            StsError::Route(_) | StsError::Session(_) => Code::InternalFailure,
            StsError::MalformedPolicy(_) => Code::MalformedPolicyDocument,
            StsError::PackedPolicyTooLarge(_) => Code::PackedPolicyTooLarge,
        }
    }

    fn message(&self) -> Cow<'static, str> {
        match self {
            StsError::InvalidIdentityToken(m)
            | StsError::Validation(m)
            | StsError::InvalidParameterValue(m)
            | StsError::NotImplemented(m)
            | StsError::MalformedPolicy(m) => Cow::Borrowed(m),
            StsError::MissingParameter(p) => Cow::Owned(format!("The request must contain the parameter {p}.")),
            // AWS's wording, so that tools matching on it keep working.
            StsError::PackedPolicyTooLarge(pct) => Cow::Owned(format!(
                "Packed policy consumes {pct}% of allotted space, please use smaller policy."
            )),
            _ => Cow::Borrowed(self.code().default_message()),
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            StsError::IdpCommunication(_) | StsError::Route(_) | StsError::Session(_) => Some(chain(self)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;

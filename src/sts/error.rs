//! STS errors: AWS-shaped, fixed messages that never echo expected values.
//! Every failure on a request routed to the STS endpoint becomes one of
//! these (the route's own failures included, see [`StsError::from_proxy`]),
//! so the client always gets an STS `<ErrorResponse>`.

use crate::error::ProxyError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsError {
    InvalidIdentityToken(&'static str),
    ExpiredToken,
    IdpRejectedClaim,
    IdpCommunication(String),
    Validation(&'static str),
    MissingParameter(&'static str),
    InvalidParameterValue(&'static str),
    /// STS is not configured (no audience or no session key): fail closed.
    NotImplemented(&'static str),
    /// Not GET or POST (AWS STS takes only those); answered with `Allow`.
    MethodNotAllowed,
    /// A path below `/.sts/`: nothing is served there.
    NotFound,
    /// A CORS preflight from an origin or for a method that is not allowed.
    CorsForbidden,
    /// A form body over `params::MAX_BODY`, declared or read.
    RequestTooLarge,
    /// A session policy this proxy does not understand exactly.
    MalformedPolicy(&'static str),
    /// A session policy over its packed size, or the room the session token
    /// leaves it: the percentage of that space it takes.
    PackedPolicyTooLarge(u32),
    Internal(String),
}

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
            other => StsError::Internal(format!("{other:?}")),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            StsError::IdpRejectedClaim | StsError::CorsForbidden => 403,
            StsError::NotFound => 404,
            StsError::MethodNotAllowed => 405,
            StsError::RequestTooLarge => 413,
            StsError::NotImplemented(_) => 501,
            StsError::Internal(_) => 500,
            _ => 400,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            StsError::InvalidIdentityToken(_) => "InvalidIdentityToken",
            StsError::ExpiredToken => "ExpiredTokenException",
            StsError::IdpRejectedClaim => "IDPRejectedClaim",
            StsError::IdpCommunication(_) => "IDPCommunicationError",
            StsError::Validation(_) => "ValidationError",
            StsError::MissingParameter(_) => "MissingParameter",
            StsError::InvalidParameterValue(_) => "InvalidParameterValue",
            StsError::NotImplemented(_) => "NotImplemented",
            StsError::MethodNotAllowed => "MethodNotAllowed",
            StsError::NotFound => "NotFound",
            StsError::CorsForbidden => "AccessDenied",
            StsError::RequestTooLarge => "RequestEntityTooLarge",
            StsError::MalformedPolicy(_) => "MalformedPolicyDocument",
            StsError::PackedPolicyTooLarge(_) => "PackedPolicyTooLarge",
            StsError::Internal(_) => "InternalFailure",
        }
    }

    pub fn message(&self) -> String {
        match self {
            StsError::InvalidIdentityToken(m)
            | StsError::Validation(m)
            | StsError::InvalidParameterValue(m)
            | StsError::NotImplemented(m)
            | StsError::MalformedPolicy(m) => m.to_string(),
            // AWS's wording, so that tools matching on it keep working.
            StsError::PackedPolicyTooLarge(pct) => {
                format!("Packed policy consumes {pct}% of allotted space, please use smaller policy.")
            }
            StsError::ExpiredToken => "Token expired.".into(),
            StsError::IdpRejectedClaim => "The token's claims are not accepted by this role.".into(),
            StsError::IdpCommunication(_) => "The identity provider could not be reached or answered badly.".into(),
            StsError::MissingParameter(p) => format!("The request must contain the parameter {p}."),
            StsError::MethodNotAllowed => "The security token service accepts GET and POST only.".into(),
            StsError::NotFound => "Nothing is served here; the security token service is at /.sts.".into(),
            StsError::CorsForbidden => "This CORS request is not allowed.".into(),
            StsError::RequestTooLarge => "The request body is larger than 65536 bytes.".into(),
            StsError::Internal(_) => "An internal error occurred.".into(),
        }
    }

    /// Detail for the log only.
    pub fn detail(&self) -> Option<&str> {
        match self {
            StsError::IdpCommunication(d) | StsError::Internal(d) => Some(d),
            _ => None,
        }
    }

    /// The `Type` element: the caller's fault or ours.
    pub fn fault(&self) -> &'static str {
        if self.status() >= 500 {
            "Receiver"
        } else {
            "Sender"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_failures_map_to_sts_errors() {
        let cases = [
            (ProxyError::MethodNotAllowed, 405, "MethodNotAllowed"),
            (ProxyError::CorsForbidden, 403, "AccessDenied"),
            (ProxyError::NoSuchBucket, 404, "NotFound"),
            (ProxyError::InvalidUri, 400, "InvalidParameterValue"),
            (ProxyError::Internal("x".into()), 500, "InternalFailure"),
        ];
        for (e, status, code) in cases {
            let s = StsError::from_proxy(&e);
            assert_eq!((s.status(), s.code()), (status, code), "{e:?}");
        }
        assert_eq!(StsError::RequestTooLarge.status(), 413);
        assert_eq!(StsError::MethodNotAllowed.fault(), "Sender");
    }
}

//! STS errors (S7): AWS-shaped, fixed messages that never echo expected values.

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
    Internal(String),
}

impl StsError {
    pub fn invalid(msg: &'static str) -> Self {
        StsError::InvalidParameterValue(msg)
    }

    pub fn status(&self) -> u16 {
        match self {
            StsError::IdpRejectedClaim => 403,
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
            StsError::Internal(_) => "InternalFailure",
        }
    }

    pub fn message(&self) -> String {
        match self {
            StsError::InvalidIdentityToken(m)
            | StsError::Validation(m)
            | StsError::InvalidParameterValue(m)
            | StsError::NotImplemented(m) => m.to_string(),
            StsError::ExpiredToken => "Token expired.".into(),
            StsError::IdpRejectedClaim => "The token's claims are not accepted by this role.".into(),
            StsError::IdpCommunication(_) => "The identity provider could not be reached or answered badly.".into(),
            StsError::MissingParameter(p) => format!("The request must contain the parameter {p}."),
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

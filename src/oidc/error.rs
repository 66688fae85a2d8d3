//! Why an ID token was refused, and how STS reports it.

use std::fmt;

use crate::error::Code;

/// A rejected ID token. Every variant maps to an STS error code and a fixed
/// client message: messages never echo the token's values nor the expected
/// ones (issuers, audiences), so a probe learns nothing about configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url parts of JSON, too long, bad claim types...
    Malformed,
    /// `alg` is not RS256 or ES256 (`none`, HS*, PS*, ...).
    UnsupportedAlg,
    /// The header has no (or an empty) `kid`.
    MissingKid,
    /// No key of the JWKS has this `kid`: the caller may refetch the JWKS once.
    UnknownKid,
    /// A key has this `kid`, but its type or `alg` does not fit the token's `alg`.
    KeyAlgMismatch,
    BadSignature,
    Expired,
    /// `nbf` or `iat` lies in the future beyond the leeway.
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    MissingSubject,
    MissingExp,
    /// The header asks for what we do not support: `crit`, `cty`, or a `typ`
    /// naming another kind of JWT (an access token, `at+jwt`).
    UnsupportedHeader,
    /// A member name appears twice in one object of the header or the claims.
    DuplicateMember,
    /// `exp`, `nbf` or `iat` is present but not a number.
    BadNumericDate,
}

impl TokenError {
    /// The STS error code (both are HTTP 400).
    pub fn code(&self) -> Code {
        match self {
            Self::Expired => Code::StsExpiredToken,
            _ => Code::InvalidIdentityToken,
        }
    }

    /// The message shown to the client: fixed text, no token or config values.
    pub fn message(&self) -> &'static str {
        match self {
            Self::Malformed => "The ID token provided is not a valid JWT.",
            Self::UnsupportedAlg => "The ID token is signed with an unsupported algorithm.",
            Self::MissingKid => "The ID token has no key ID (kid).",
            Self::UnknownKid => "No key of the identity provider matches the ID token's key ID.",
            Self::KeyAlgMismatch => "The identity provider's key does not fit the ID token's algorithm.",
            Self::BadSignature => "The ID token's signature is invalid.",
            Self::Expired => "Token expired.",
            Self::NotYetValid => "The ID token is not valid yet.",
            Self::WrongIssuer => "The ID token's issuer is not trusted by this role.",
            Self::WrongAudience => "Incorrect token audience.",
            Self::MissingSubject => "The ID token has no subject.",
            Self::MissingExp => "The ID token has no expiration time.",
            Self::UnsupportedHeader => {
                "The ID token's header asks for something this service does not support \
                 (crit, cty, or a typ other than JWT)."
            }
            Self::DuplicateMember => "The ID token repeats a member name in its header or claims.",
            Self::BadNumericDate => "The ID token's exp, nbf or iat is not a number.",
        }
    }

    /// A short stable identifier for the log line's reason code.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::UnsupportedAlg => "unsupported_alg",
            Self::MissingKid => "missing_kid",
            Self::UnknownKid => "unknown_kid",
            Self::KeyAlgMismatch => "key_alg_mismatch",
            Self::BadSignature => "bad_signature",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::WrongIssuer => "wrong_issuer",
            Self::WrongAudience => "wrong_audience",
            Self::MissingSubject => "missing_subject",
            Self::MissingExp => "missing_exp",
            Self::UnsupportedHeader => "unsupported_header",
            Self::DuplicateMember => "duplicate_member",
            Self::BadNumericDate => "bad_numeric_date",
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code().as_str(), self.reason())
    }
}

impl std::error::Error for TokenError {}

#[cfg(test)]
mod tests;

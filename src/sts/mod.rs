//! The security token service: AssumeRoleWithWebIdentity.

pub mod audit;
pub mod ceiling;
pub mod endpoint;
mod error;
pub mod exchange;
pub mod limits;
pub mod params;
pub mod policy;
pub mod response;
pub mod roles;

pub use error::StsError;

use crate::cors::Origins;
use crate::oidc::JwksCache;
use crate::session::SessionKeys;
use roles::Roles;

/// What the token service reads for one request: its part of the
/// configuration and the isolate's JWKS cache, nothing else.
pub struct Context<'a> {
    pub roles: &'a Roles,
    /// `None`: no STS on this deployment (every exchange is `NotImplemented`).
    pub session_keys: Option<&'a SessionKeys>,
    /// http issuers on 127.0.0.1/localhost (dev, tests).
    pub allow_loopback_issuers: bool,
    pub cors: &'a Origins,
    pub jwks: &'a JwksCache,
}

#[cfg(test)]
mod tests;

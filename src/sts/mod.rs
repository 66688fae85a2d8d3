//! The security token service (S7): AssumeRoleWithWebIdentity.

pub mod ceiling;
mod error;
pub mod params;
pub mod response;

pub use error::StsError;

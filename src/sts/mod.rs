//! The security token service: AssumeRoleWithWebIdentity.

pub mod ceiling;
pub mod endpoint;
mod error;
pub mod exchange;
pub mod limits;
pub mod params;
pub mod response;
pub mod roles;

pub use error::StsError;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_endpoint;
#[cfg(test)]
mod tests_idp;
#[cfg(test)]
mod tests_limits;

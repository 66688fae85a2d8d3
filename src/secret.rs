//! A string that must never end up in logs, plus a constant-time compare.

use std::fmt;

use subtle::ConstantTimeEq;

/// A secret value (secret access key, session token, client secret...).
///
/// `Debug` and `Display` both print `Secret(***)` so that a stray `{:?}` on a
/// struct holding credentials cannot leak them. The only way to read the
/// value is the explicit [`Secret::expose`]. There is deliberately no
/// `PartialEq`: compare secrets with [`constant_time_eq`].
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value. Named loudly so that every use is easy to audit.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Compares two byte strings without short-circuiting on the first
/// difference, so the time taken does not reveal how long a matching prefix
/// an attacker has guessed (e.g. of a signature). Only the length may leak,
/// which is public anyway for fixed-size MACs.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests;

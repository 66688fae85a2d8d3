//! Session policies: the inline IAM policy an `AssumeRoleWithWebIdentity`
//! caller may pass (`Policy`) to narrow its session below the role's ceiling.
//!
//! Only what means something on a read-only proxy is understood: `Allow`
//! statements of `s3:GetObject` (objects, `arn:aws:s3:::account/product/prefix*`)
//! and `s3:ListBucket` (an account, `arn:aws:s3:::account`, optionally with a
//! `StringLike`/`StringEquals` condition on `s3:prefix`). Anything else is
//! refused rather than half understood ([`parse`]). The result is a few
//! ceiling-style patterns ([`SealedPolicy`]) sealed into the session and
//! intersected with the role's ceiling on every signed request
//! ([`Effective`]), so a policy can only narrow.

mod parse;

pub(crate) use parse::percent;
pub use parse::{parse, MAX_PACKED_CHARS, MAX_POLICY_CHARS};

use super::ceiling::Ceiling;
pub use crate::session::SealedPolicy;

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyError {
    /// Not a policy this proxy understands exactly (AWS: `MalformedPolicyDocument`).
    Malformed(&'static str),
    /// Over the packed size; the percentage of the allotted space it takes.
    TooLarge(u32),
}

/// A parsed policy and what the checks need to know of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPolicy {
    pub sealed: SealedPolicy,
    /// Characters of the packed form (see [`parse`]).
    pub packed_chars: usize,
}

/// The exact-key marker in [`SealedPolicy::read`]: never the start of an
/// account name, nor of a pattern.
pub(crate) const EXACT: char = '=';

/// A session policy ready for authorization: reads need `read` (or one of
/// the exact keys), listings show only what `list` (already intersected with
/// the role's ceiling) shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    pub digest: String,
    read: Ceiling,
    exact: Vec<(String, String, String)>,
    /// Role ceiling ∩ the policy's listing scopes.
    pub list: Ceiling,
}

impl Effective {
    /// Builds it from what the session sealed; `None` when that does not
    /// parse (only a bug or a format change can cause it: the caller refuses
    /// the token).
    pub fn new(sealed: &SealedPolicy, role_ceiling: &Ceiling) -> Option<Self> {
        let mut patterns = Vec::new();
        let mut exact = Vec::new();
        for r in &sealed.read {
            match r.strip_prefix(EXACT) {
                Some(path) => {
                    let mut parts = path.splitn(3, '/');
                    let (a, p, k) = (parts.next()?, parts.next()?, parts.next()?);
                    exact.push((a.to_string(), p.to_string(), k.to_string()));
                }
                None => patterns.push(r.clone()),
            }
        }
        let read = Ceiling::parse(&patterns).ok()?;
        let list = role_ceiling.intersect(&Ceiling::parse(&sealed.list).ok()?);
        Some(Effective {
            digest: sealed.digest.clone(),
            read,
            exact,
            list,
        })
    }

    /// May `s3:GetObject` read this key (relative to the product)?
    pub fn allows_read(&self, account: &str, product: &str, key: &str) -> bool {
        self.read.allows_key(account, product, key)
            || self
                .exact
                .iter()
                .any(|(a, p, k)| a == account && p == product && k == key)
    }

    /// Does the policy allow anything in this account (ListAllMyBuckets)?
    pub fn reaches_account(&self, account: &str) -> bool {
        self.read.reaches_account(account)
            || self.list.reaches_account(account)
            || self.exact.iter().any(|(a, _, _)| a == account)
    }
}

#[cfg(test)]
mod tests;

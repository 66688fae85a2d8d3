//! Authorization: anonymous callers read public and unlisted products;
//! a session reads what its role ceiling allows AND the catalog grants it.

use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::catalog::{Product, Visibility};
use crate::sts::ceiling::Ceiling;
use crate::sts::policy::Effective;

/// A caller proven by a SigV4 signature over a sealed session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionPrincipal {
    pub issuer: String,
    pub subject: String,
    pub role: String,
    pub session_name: String,
    pub access_key_id: String,
    pub ceiling: Ceiling,
    /// Claims the role passed through, for grants.
    pub claims: Vec<(String, String)>,
    /// Minted with the session; every audit line of it repeats this.
    pub session_id: String,
    /// The caller's session policy: reads need it, listings show only what
    /// it lists (within the ceiling).
    pub policy: Option<Box<Effective>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    /// Shared with the isolate's session cache: a request holds it without copying it.
    Session(Rc<SessionPrincipal>),
}

impl Principal {
    /// For logs: a hash of issuer and subject, never the raw subject.
    pub fn log_name(&self) -> String {
        match self {
            Principal::Anonymous => "anonymous".into(),
            Principal::Session(s) => principal_hash(&s.issuer, &s.subject),
        }
    }
}

/// Injective (length-prefixed) hash of issuer and subject, for logs.
pub fn principal_hash(issuer: &str, subject: &str) -> String {
    let mut h = Sha256::new();
    h.update((issuer.len() as u64).to_be_bytes());
    h.update(issuer.as_bytes());
    h.update(subject.as_bytes());
    hex::encode(&h.finalize()[..12])
}

/// May the caller read the product's objects (and list inside it)?
pub fn can_read(principal: &Principal, account: &str, product: &Product) -> bool {
    match principal {
        Principal::Anonymous => matches!(product.visibility, Visibility::Public | Visibility::Unlisted),
        Principal::Session(s) => {
            s.ceiling.allows_product(account, &product.name)
                && match product.visibility {
                    Visibility::Public | Visibility::Unlisted => true,
                    Visibility::Restricted => product
                        .grants
                        .iter()
                        .any(|g| g.matches(&s.issuer, &s.subject, &s.claims)),
                }
        }
    }
}

/// Does the caller's role ceiling reach the product at all? Checked before
/// asking the catalog anything, so a denial costs no catalog call.
pub fn ceiling_allows(principal: &Principal, account: &str, product: &str) -> bool {
    match principal {
        Principal::Anonymous => true,
        Principal::Session(s) => s.ceiling.allows_product(account, product),
    }
}

/// Does the product appear in account-level listings for this caller? A
/// session policy must list something in it too.
pub fn is_listed(principal: &Principal, account: &str, product: &Product) -> bool {
    product.visibility != Visibility::Unlisted
        && can_read(principal, account, product)
        && list_ceiling(principal).is_none_or(|c| c.allows_product(account, &product.name))
}

/// What bounds a session's listings: its policy's listing scopes (already
/// within the role's ceiling) when it has one, else the ceiling.
fn list_ceiling(principal: &Principal) -> Option<&Ceiling> {
    match principal {
        Principal::Anonymous => None,
        Principal::Session(s) => Some(s.policy.as_ref().map_or(&s.ceiling, |p| &p.list)),
    }
}

/// Does the caller's session policy (if any) let it read this key? Asked
/// after the ceiling and the catalog: a denial here is `AccessDenied`.
pub fn policy_allows_read(principal: &Principal, account: &str, product: &str, key: &str) -> bool {
    match principal {
        Principal::Session(s) => s.policy.as_ref().is_none_or(|p| p.allows_read(account, product, key)),
        Principal::Anonymous => true,
    }
}

/// Does the caller's session policy (if any) reach anything in the account?
pub fn policy_reaches_account(principal: &Principal, account: &str) -> bool {
    match principal {
        Principal::Session(s) => s.policy.as_ref().is_none_or(|p| p.reaches_account(account)),
        Principal::Anonymous => true,
    }
}

/// May the caller read this key (relative to the product)? Prefix ceilings narrow it.
pub fn key_allowed(principal: &Principal, account: &str, product: &str, key: &str) -> bool {
    match principal {
        Principal::Anonymous => true,
        Principal::Session(s) => s.ceiling.allows_key(account, product, key),
    }
}

/// The key prefixes (relative to the product) the caller may read and so
/// list, `None` for all of it; the keys `key_allowed` lets through exactly.
pub fn key_prefixes<'a>(principal: &'a Principal, account: &str, product: &str) -> Option<Vec<&'a str>> {
    list_ceiling(principal).and_then(|c| c.key_prefixes(account, product))
}

/// May a listed key or common prefix (relative to the product) be shown?
pub fn listed_allowed(principal: &Principal, account: &str, product: &str, name: &str, is_prefix: bool) -> bool {
    list_ceiling(principal).is_none_or(|c| c.allows_listed(account, product, name, is_prefix))
}

#[cfg(test)]
mod tests;

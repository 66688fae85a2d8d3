//! The catalog (control plane): which accounts and products exist, how
//! visible they are, and where their bytes live.

pub mod config;
pub mod http;
mod static_catalog;

pub use static_catalog::{BackendProblem, StaticCatalog, StaticCatalogError};

/// The embedded default catalog (the sample data in local R2).
pub fn static_catalog_default() -> &'static str {
    static_catalog::DEFAULT_JSON
}

use serde_json::Value;

use crate::backend::Backend;
use crate::json::{self, FieldError, Obj};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Listed and readable by anyone.
    Public,
    /// Readable by anyone who knows the name, never listed.
    Unlisted,
    /// Only for principals granted access; invisible (404) to everyone else.
    Restricted,
}

impl Visibility {
    pub fn from_value(v: Value) -> json::Result<Self> {
        match v.as_str() {
            Some("public") => Ok(Visibility::Public),
            Some("unlisted") => Ok(Visibility::Unlisted),
            Some("restricted") => Ok(Visibility::Restricted),
            _ => Err(FieldError::new("expected \"public\", \"unlisted\" or \"restricted\"")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub visibility: Visibility,
    /// Name of the backend holding the bytes.
    pub backend: String,
    /// Prefix of the product's keys inside that backend.
    pub prefix: String,
    /// Principals who may read it when restricted.
    pub grants: Vec<Grant>,
    /// Its answers in the edge cache (public and unlisted products only).
    pub cache: crate::objcache::ProductCache,
}

/// A principal a restricted product is granted to: an issuer's subject, or
/// anyone from that issuer whose role passed through `claim` = `equals`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub issuer: String,
    pub subject: Option<String>,
    pub claim: Option<String>,
    pub equals: Option<String>,
}

/// A grant that names no principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a grant needs an issuer and either a subject or a claim with equals")]
pub struct GrantError;

impl Grant {
    /// `{"issuer", "subject"?, "claim"?, "equals"?}`, nothing else.
    pub fn from_value(v: Value) -> json::Result<Self> {
        let mut o = Obj::new(v)?;
        let g = Grant {
            issuer: o.req_str("issuer")?,
            subject: o.opt_str("subject")?,
            claim: o.opt_str("claim")?,
            equals: o.opt_str("equals")?,
        };
        o.end()?;
        Ok(g)
    }

    pub fn validate(&self) -> Result<(), GrantError> {
        let by_subject = self.subject.as_deref().is_some_and(|s| !s.is_empty());
        let by_claim = self.claim.as_deref().is_some_and(|c| !c.is_empty())
            && self.equals.as_deref().is_some_and(|e| !e.is_empty());
        let ok = !self.issuer.is_empty() && (by_subject != by_claim) && (by_subject || self.subject.is_none());
        ok.then_some(()).ok_or(GrantError)
    }

    pub fn matches(&self, issuer: &str, subject: &str, claims: &[(String, String)]) -> bool {
        if self.issuer != issuer {
            return false;
        }
        match (&self.subject, &self.claim, &self.equals) {
            (Some(s), _, _) => s == subject,
            (None, Some(c), Some(v)) => claims.iter().any(|(k, x)| k == c && x == v),
            _ => false,
        }
    }
}

/// A product together with the backend it reads from. Owned: HTTP catalog
/// answers live for one request.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub product: Product,
    pub backend: Backend,
}

/// The active catalog: `CATALOG_URL` selects the HTTP one.
#[derive(Debug)]
pub enum Catalog {
    Static(StaticCatalog),
    Http(Box<http::HttpCatalog>),
}

impl Catalog {
    pub fn kind(&self) -> &'static str {
        match self {
            Catalog::Static(_) => "static",
            Catalog::Http(_) => "http",
        }
    }
}

/// The key prefix of a product inside its account bucket.
pub fn key_root(product: &str) -> String {
    format!("{product}/")
}

/// How two products' [`key_root`]s compare (the order of an account's
/// listing), without building them.
pub fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    fn root(p: &str) -> impl Iterator<Item = u8> + '_ {
        p.bytes().chain(std::iter::once(b'/'))
    }
    root(a).cmp(root(b))
}

#[cfg(test)]
mod tests;

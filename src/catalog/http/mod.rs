//! The HTTP catalog: a Source-Cooperative-compatible API asked about
//! products, data connections and permissions as the calling principal, with
//! answers cached per identity.
//!
//! - [`model`]: the API's JSON and its mapping to [`Product`] / [`Backend`];
//! - [`client`]: URLs, calls, status mapping ([`HttpCatalog`]);
//! - [`cache_key`]: identity-scoped cache keys, TTLs, the per-isolate cache
//!   and the [`SharedCache`] trait the edge's Cache API plugs into.

pub mod cache_key;
pub mod client;
pub mod model;

#[cfg(test)]
mod tests;

pub use cache_key::{AnswerKind, Identity, MemoryCache, PlatformCache, SharedCache};
pub use client::{BearerSource, CallContext, HttpCatalog};
pub use model::{ApiDataConnection, ApiProduct, Permissions, ProductSummary};

use crate::error::{Detail, ProxyError};

/// Why a catalog call gave no answer. Converts into the S3 error:
/// `NotFound` → 404 NoSuchBucket, `Denied` → 403 AccessDenied,
/// `Unavailable` → 503 ServiceUnavailable (detail logged, never shown),
/// `Token` → whatever minting the bearer token failed with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// Upstream 404, a disabled product, or a name that cannot exist.
    #[error("catalog: not found")]
    NotFound,
    /// Upstream 401/403; the detail is for logs.
    #[error("catalog: denied: {0}")]
    Denied(String),
    /// 5xx, other statuses, timeout, network failure, oversized or
    /// unparseable answer; the detail is for logs.
    #[error("catalog: unavailable")]
    Unavailable(#[source] Detail),
    /// The bearer token could not be had.
    #[error("catalog: no bearer token")]
    Token(#[source] ProxyError),
}

impl CatalogError {
    fn with_context(self, ctx: &str) -> Self {
        match self {
            CatalogError::Unavailable(d) => CatalogError::Unavailable(d.retext(|d| format!("{ctx}: {d}"))),
            CatalogError::Denied(d) => CatalogError::Denied(format!("{ctx}: {d}")),
            other => other,
        }
    }
}

impl From<CatalogError> for ProxyError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::NotFound => ProxyError::NoSuchBucket,
            CatalogError::Denied(_) => ProxyError::AccessDenied,
            CatalogError::Unavailable(d) => ProxyError::Unavailable(d),
            CatalogError::Token(e) => e,
        }
    }
}

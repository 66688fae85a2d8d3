//! Backends (data plane): where a product's bytes live (S5). R2 bindings and
//! S3-compatible HTTP endpoints behind one interface.

pub mod federation;
mod list_xml;
mod r2;
mod s3;

pub use federation::WebIdentity;
pub use s3::S3Backend;

use crate::error::{ProxyError, Result};
use crate::platform::{ListPage, ListRequest, ObjectMeta, Platform};
use crate::s3::conditional::Conditions;
use crate::s3::range::{ByteRange, RangeSpec};

#[derive(Debug, Clone)]
pub enum Backend {
    R2 {
        binding: String,
    },
    S3(S3Backend),
    /// Configured but unusable (e.g. its secrets are missing): answers 503.
    Unavailable(String),
}

/// What the client asked for, beyond the key.
#[derive(Debug, Clone, Default)]
pub struct ReadOpts {
    pub range: Option<RangeSpec>,
    pub conditions: Conditions,
    /// HEAD: metadata only.
    pub head: bool,
}

pub enum ObjectOutcome<B> {
    Found {
        meta: ObjectMeta,
        range: Option<ByteRange>,
        body: Option<B>,
    },
    NotModified(ObjectMeta),
}

impl Backend {
    pub async fn read<P: Platform>(&self, p: &P, key: &str, opts: &ReadOpts) -> Result<ObjectOutcome<P::Body>> {
        match self {
            Backend::R2 { binding } => r2::read(p, binding, key, opts).await,
            Backend::S3(s3) => s3.read(p, key, opts).await,
            Backend::Unavailable(why) => Err(ProxyError::Misconfigured(why.clone())),
        }
    }

    /// One page of a listing; keys are backend-absolute.
    pub async fn list<P: Platform>(&self, p: &P, req: &ListRequest) -> Result<ListPage> {
        match self {
            Backend::R2 { binding } => p.r2_list(binding, req).await,
            Backend::S3(s3) => s3.list(p, req).await,
            Backend::Unavailable(why) => Err(ProxyError::Misconfigured(why.clone())),
        }
    }
}

//! Backends (data plane): where a product's bytes live. R2 bindings and
//! S3-compatible HTTP endpoints behind one interface.

pub mod federation;
pub mod list_xml;
mod r2;
mod s3;

pub use federation::WebIdentity;
pub use s3::S3Backend;

use crate::apart::apart;
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
        // The product prefix can make a key the client may send longer than a
        // backend stores: no such object can exist.
        if key.len() > MAX_BACKEND_KEY_BYTES {
            return Err(ProxyError::NoSuchKey);
        }
        match self {
            // Each backend's read compiled apart: a request compiles only its own.
            Backend::R2 { binding } => apart(r2::read(p, binding, key, opts)).await,
            Backend::S3(s3) => apart(s3.read(p, key, opts)).await,
            Backend::Unavailable(why) => Err(ProxyError::Misconfigured(why.clone().into())),
        }
    }

    /// One page of a listing; keys are backend-absolute.
    pub async fn list<P: Platform>(&self, p: &P, req: &ListRequest) -> Result<ListPage> {
        // No stored key starts with a prefix longer than any key.
        if req.prefix.len() > MAX_BACKEND_KEY_BYTES {
            return Ok(ListPage::default());
        }
        let bounded;
        let req = match &req.start_after {
            Some(after) if after.len() > MAX_BACKEND_KEY_BYTES => {
                bounded = ListRequest {
                    start_after: Some(backend_bound(after)),
                    ..req.clone()
                };
                &bounded
            }
            _ => req,
        };
        match self {
            Backend::R2 { binding } => apart(p.r2_list(binding, req)).await,
            Backend::S3(s3) => apart(s3.list(p, req)).await,
            Backend::Unavailable(why) => Err(ProxyError::Misconfigured(why.clone().into())),
        }
    }
}

/// The longest key S3 and R2 store, in bytes.
pub const MAX_BACKEND_KEY_BYTES: usize = 1024;

/// An exclusive lower bound of at most [`MAX_BACKEND_KEY_BYTES`] that admits
/// exactly the keys (of at most that length) sorting after `after`: its head
/// up to the last char boundary within the limit, followed by the largest
/// character that fits in the bytes left. No key can sit between that bound
/// and `after`, since the character `after` continues with is wider.
fn backend_bound(after: &str) -> String {
    if after.len() <= MAX_BACKEND_KEY_BYTES {
        return after.to_string();
    }
    let head = (0..=MAX_BACKEND_KEY_BYTES)
        .rev()
        .find(|&i| after.is_char_boundary(i))
        .unwrap_or(0);
    let mut bound = after[..head].to_string();
    match MAX_BACKEND_KEY_BYTES - head {
        1 => bound.push('\u{7f}'),
        2 => bound.push('\u{7ff}'),
        3 => bound.push('\u{ffff}'),
        _ => {}
    }
    bound
}

#[cfg(test)]
mod tests;

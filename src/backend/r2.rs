//! Reads from an R2 binding. R2 does not speak HTTP conditionals or clamp
//! ranges the way S3 does, so the core evaluates them on the metadata first.

use super::{ObjectOutcome, ReadOpts};
use crate::error::{ProxyError, Result};
use crate::platform::Platform;
use crate::s3::conditional::Verdict;

pub async fn read<P: Platform>(p: &P, binding: &str, key: &str, opts: &ReadOpts) -> Result<ObjectOutcome<P::Body>> {
    if !opts.head && opts.range.is_none() && opts.conditions.is_empty() {
        // The common case: one call, body streamed.
        let got = p.r2_get(binding, key, None, None).await?.ok_or(ProxyError::NoSuchKey)?;
        return Ok(ObjectOutcome::Found {
            meta: got.meta,
            range: None,
            body: got.body,
        });
    }
    let meta = p.r2_head(binding, key).await?.ok_or(ProxyError::NoSuchKey)?;
    if opts.conditions.evaluate(&meta.etag, meta.last_modified_ms)? == Verdict::NotModified {
        return Ok(ObjectOutcome::NotModified(meta));
    }
    let range = opts.range.map(|r| r.resolve(meta.size)).transpose()?;
    if opts.head {
        return Ok(ObjectOutcome::Found {
            meta,
            range,
            body: None,
        });
    }
    // Pin the ETag seen above so a concurrent overwrite cannot mix versions.
    let got = p
        .r2_get(binding, key, range, Some(&meta.etag))
        .await?
        .ok_or(ProxyError::NoSuchKey)?;
    match got.body {
        Some(body) => Ok(ObjectOutcome::Found {
            meta: got.meta,
            range,
            body: Some(body),
        }),
        None => Err(ProxyError::Unavailable(
            format!("r2 object {key} changed during read").into(),
        )),
    }
}

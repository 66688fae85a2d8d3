//! Reads from an R2 binding. R2 does not speak HTTP conditionals or clamp
//! ranges the way S3 does, so the core evaluates them on the metadata first.

use super::{ObjectOutcome, ReadOpts};
use crate::error::{ProxyError, Result};
use crate::platform::{ByteRange, Platform};
use crate::s3::conditional::Verdict;
use crate::s3::range::RangeSpec;

/// The largest offset passed to R2 unresolved: the binding takes JavaScript
/// numbers (and the `worker` crate panics above 2^53).
const MAX_UNRESOLVED_OFFSET: u64 = (1 << 53) - 1;

pub async fn read<P: Platform>(p: &P, binding: &str, key: &str, opts: &ReadOpts) -> Result<ObjectOutcome<P::Body>> {
    if !opts.head && opts.conditions.is_empty() {
        match opts.range {
            // The common case: one call, body streamed.
            None => {
                let got = p.r2_get(binding, key, None, None).await?.ok_or(ProxyError::NoSuchKey)?;
                return Ok(ObjectOutcome::Found {
                    meta: got.meta,
                    range: None,
                    body: got.body,
                });
            }
            // What range readers (Parquet, COG, zarr) send: a range inside the
            // object, which they learnt from a footer or an index. One call
            // too; any other outcome (past the end, an error) is decided
            // below from the metadata, as R2 does not clamp ranges as S3 does.
            Some(RangeSpec::From { start, end: Some(end) }) if end <= MAX_UNRESOLVED_OFFSET => {
                let asked = ByteRange { start, end };
                if let Ok(Some(got)) = p.r2_get(binding, key, Some(asked), None).await {
                    if end < got.meta.size {
                        if let Some(body) = got.body {
                            return Ok(ObjectOutcome::Found {
                                meta: got.meta,
                                range: Some(asked),
                                body: Some(body),
                            });
                        }
                    }
                }
            }
            Some(_) => {}
        }
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

//! GetObject / HeadObject (S3).

use super::Ctx;
use crate::authz::{self, Principal};
use crate::backend::{ObjectOutcome, ReadOpts};
use crate::error::{ProxyError, Result};
use crate::http::{Body, Headers, Response};
use crate::platform::Platform;
use crate::s3::conditional::Conditions;
use crate::s3::headers::{apply_overrides, forbid_transforms, object_headers, validator_headers};
use crate::s3::range::RangeSpec;
use crate::s3::selectors::{check_version, Part};

pub async fn read<P: Platform>(ctx: &Ctx<'_, P>, account: &str, product: &str, key: &str) -> Result<Response<P::Body>> {
    // A product the caller may not read answers exactly like a missing one,
    // and the backend is never asked.
    let resolved = ctx.readable(account, product).await?.ok_or(ProxyError::NoSuchBucket)?;
    // Outside a prefix ceiling the key does not exist for this caller.
    if !authz::key_allowed(&ctx.principal, account, product, key) {
        return Err(ProxyError::NoSuchKey);
    }
    // A key the caller could read but its own session policy leaves out:
    // as AWS answers a request its session policy does not allow.
    if !authz::policy_allows_read(&ctx.principal, account, product, key) {
        return Err(ProxyError::AccessDenied);
    }
    // Validate overrides before touching the backend: bad input costs nothing.
    let mut overrides = Headers::new();
    let signed = !matches!(ctx.principal, Principal::Anonymous);
    apply_overrides(&mut overrides, &ctx.query, signed)?;
    check_version(&ctx.query)?;
    let range_header = ctx.req.headers.get("range");
    let part = Part::parse(&ctx.query, range_header.is_some())?;
    let full_key = format!("{}{}", resolved.product.prefix, key);
    let opts = ReadOpts {
        range: part.range(range_header.and_then(RangeSpec::parse)),
        conditions: Conditions::from_headers(&ctx.req.headers),
        // A part the object lacks is refused once the object is known to exist.
        head: ctx.req.method == "HEAD" || part == Part::Missing,
    };
    let backend = ctx.ready_backend(&resolved.backend).await?;
    let outcome = backend.read(ctx.p, &full_key, &opts).await;
    if let Err(e) = &outcome {
        ctx.backend_failed(&backend, e);
    }
    match outcome? {
        _ if part == Part::Missing => Err(ProxyError::InvalidPartNumber),
        ObjectOutcome::Found { meta, range, body } => {
            let mut r = Response::new(if range.is_some() { 206 } else { 200 });
            object_headers(&mut r.headers, &meta, range);
            for (n, v) in overrides.iter() {
                r.headers.set(n, v);
            }
            forbid_transforms(&mut r.headers);
            // The stored bytes (both backends hand them over undecoded): they
            // go out as they are, whatever the Content-Encoding says.
            r.body = body.map_or(Body::Empty, Body::Stream);
            Ok(r)
        }
        ObjectOutcome::NotModified(meta) => {
            let mut r = Response::new(304);
            validator_headers(&mut r.headers, &meta);
            forbid_transforms(&mut r.headers);
            Ok(r)
        }
    }
}

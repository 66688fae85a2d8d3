//! GetObject / HeadObject (S3).

use super::cached::{self, Outcome, Report, Served};
use super::Ctx;
use crate::apart::apart;
use crate::authz::{self, Principal};
use crate::backend::{ObjectOutcome, ReadOpts};
use crate::error::{ProxyError, Result};
use crate::http::{Body, Headers, Response};
use crate::objcache;
use crate::objcache::policy::ObjectKey;
use crate::platform::{ObjectMeta, Platform};
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
    // Authorization ran above: only now may a cached answer be used.
    let ttl = cached::product_ttl(&ctx.cfg.object_cache, &resolved.product);
    let cached = match ttl.filter(|_| !ctx.query.has("partNumber")) {
        Some(ttl_secs) => {
            let q = cached::Read {
                key: ObjectKey::new(resolved.product.cache.generation, account, product, &full_key),
                backend_key: &full_key,
                opts: &opts,
                ttl_secs,
            };
            let mut report = Report::default();
            // Compiled apart: products without an edge cache never run it.
            let served = apart(cached::read(
                ctx.p,
                &ctx.cfg.object_cache,
                &backend,
                &q,
                &ctx.state.inflight,
                &mut report,
            ))
            .await;
            ctx.cache_report.set(Some(report));
            match served {
                Ok(Served::Answered(o)) => Some(Ok(o)),
                Ok(Served::Bypass) => None,
                Err(e) => Some(Err(e)),
            }
        }
        None => None,
    };
    let around_cache = cached.is_none();
    let outcome = match cached {
        Some(o) => o,
        None => backend.read(ctx.p, &full_key, &opts).await,
    };
    if let Err(e) = &outcome {
        ctx.backend_failed(&backend, e);
    }
    if let (Some(mut rep), Ok(ObjectOutcome::Found { meta, range, .. })) = (ctx.cache_report.get(), &outcome) {
        // Read without the cache (sent around it): the log still says what it cost.
        if around_cache && rep.outcome == Outcome::Bypass {
            rep.backend_requests += 1;
            rep.backend_bytes += if opts.head {
                0
            } else {
                range.map_or(meta.size, |r| r.len())
            };
            ctx.cache_report.set(Some(rep));
        }
    }
    let downstream = |h: &mut Headers, meta: &ObjectMeta| {
        if let Some(cc) = ttl.and_then(|t| objcache::policy::downstream_cache_control(meta, t)) {
            h.set("cache-control", cc);
        }
    };
    match outcome? {
        _ if part == Part::Missing => Err(ProxyError::InvalidPartNumber),
        ObjectOutcome::Found { meta, range, body } => {
            let mut r = Response::new(if range.is_some() { 206 } else { 200 });
            object_headers(&mut r.headers, &meta, range);
            downstream(&mut r.headers, &meta);
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
            downstream(&mut r.headers, &meta);
            forbid_transforms(&mut r.headers);
            Ok(r)
        }
    }
}

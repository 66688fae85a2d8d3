//! Account-level (bucket-level) operations other than listing.

use super::{xml_response, Ctx};
use crate::authz;
use crate::error::{ProxyError, Result};
use crate::http::Response;
use crate::platform::Platform;
use crate::s3::xml;

/// An account exists for a caller when it holds a product they may read, so
/// an account of restricted products only does not leak its existence.
pub fn visible<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<bool> {
    let catalog = ctx.catalog()?;
    Ok(catalog
        .products(account)
        .is_some_and(|ps| ps.iter().any(|p| authz::can_read(&ctx.principal, account, p))))
}

pub fn head<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<Response<P::Body>> {
    if !visible(ctx, account)? {
        return Err(ProxyError::NoSuchBucket);
    }
    let mut r = Response::new(200);
    r.headers.set("x-amz-bucket-region", ctx.cfg.region.as_str());
    Ok(r)
}

pub fn location<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<Response<P::Body>> {
    if !visible(ctx, account)? {
        return Err(ProxyError::NoSuchBucket);
    }
    Ok(xml_response(xml::location(&ctx.cfg.region)))
}

/// `GET /` signed: the accounts this caller can see, as S3 buckets.
pub fn list_buckets<P: Platform>(ctx: &Ctx<'_, P>) -> Result<Response<P::Body>> {
    let catalog = ctx.catalog()?;
    let mut names = Vec::new();
    for account in catalog.accounts() {
        if visible(ctx, account)? {
            names.push(account);
        }
    }
    Ok(xml_response(xml::list_buckets(&names, &ctx.principal.log_name())))
}

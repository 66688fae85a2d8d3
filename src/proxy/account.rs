//! Account-level (bucket-level) operations other than listing.

use super::{xml_response, Ctx};
use crate::error::{ProxyError, Result};
use crate::http::Response;
use crate::platform::Platform;
use crate::s3::xml;

pub async fn head<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<Response<P::Body>> {
    if !ctx.account_visible(account).await? {
        return Err(ProxyError::NoSuchBucket);
    }
    let mut r = Response::new(200);
    r.headers.set("x-amz-bucket-region", ctx.cfg.region.as_str());
    Ok(r)
}

pub async fn location<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<Response<P::Body>> {
    if !ctx.account_visible(account).await? {
        return Err(ProxyError::NoSuchBucket);
    }
    Ok(xml_response(xml::location(&ctx.cfg.region)))
}

/// `GET /` signed: the accounts this caller can see, as S3 buckets.
pub async fn list_buckets<P: Platform>(ctx: &Ctx<'_, P>) -> Result<Response<P::Body>> {
    let names = ctx.visible_accounts().await?;
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Ok(xml_response(xml::list_buckets(&names, &ctx.principal.log_name())))
}

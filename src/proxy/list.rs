//! Listing: products as common prefixes at the account level, a
//! product's objects below it, with keys relative to the listed bucket. What
//! a page holds is decided by `s3::walk`; this finds the products and the
//! parts of them the caller may see.

use super::{xml_response, Ctx};
use crate::authz;
use crate::backend::Backend;
use crate::catalog::{key_root, Resolved};

use crate::error::{ProxyError, Result};
use crate::http::Response;
use crate::log::Level;
use crate::platform::Platform;
use crate::route::MAX_KEY_BYTES;
use crate::s3::keyspace::scans;
use crate::s3::list::{render, ListParams, TokenScope};
use crate::s3::token::{TokenKeys, KEY_LABEL};
use crate::s3::walk::{Range, Walk};
use crate::session::SessionKeys;

/// The deployment's token keys: derived from the session keys (active first,
/// so tokens survive a rotation), or the fixed public key without any.
pub(crate) fn token_keys(session_keys: Option<&SessionKeys>) -> TokenKeys {
    let derived = session_keys.into_iter().flat_map(|k| {
        std::iter::once(&k.active)
            .chain(k.previous.as_ref())
            .map(|key| key.derive(KEY_LABEL))
    });
    TokenKeys::new(derived.collect())
}

fn walk(params: &ListParams) -> Walk<'_> {
    Walk::new(
        &params.prefix,
        params.delimiter.as_deref(),
        params.after.clone(),
        params.max_keys,
    )
}

/// `GET /{account}`: the account is the S3 bucket.
pub async fn account<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<Response<P::Body>> {
    let keys = token_keys(ctx.cfg.session_keys.as_ref());
    let scope = TokenScope {
        keys: &keys,
        bucket: account,
    };
    let params = ListParams::parse(&ctx.query, &scope)?;
    if !ctx.account_visible(account).await? {
        return Err(ProxyError::NoSuchBucket);
    }
    let mut w = walk(&params);
    match params.prefix.find('/') {
        // The prefix names one product: list inside it. A product the caller
        // may not read lists as empty, exactly like one that does not exist.
        Some(i) => {
            if let Some(r) = ctx.readable(account, &params.prefix[..i]).await? {
                let root = key_root(&r.product.name);
                let inner = &params.prefix[root.len()..];
                within(ctx, account, &r, &root, inner, &mut w).await?;
            }
        }
        None => across_products(ctx, account, &params.prefix, &mut w).await?,
    }
    Ok(xml_response(render(account, &params, &w.finish(), account, &scope)))
}

/// `GET /{account}/{product}`: keys and prefix relative to the product.
pub async fn product<P: Platform>(ctx: &Ctx<'_, P>, account: &str, product: &str) -> Result<Response<P::Body>> {
    let keys = token_keys(ctx.cfg.session_keys.as_ref());
    let bucket = format!("{account}/{product}");
    let scope = TokenScope {
        keys: &keys,
        bucket: &bucket,
    };
    let params = ListParams::parse(&ctx.query, &scope)?;
    let r = ctx.readable(account, product).await?.ok_or(ProxyError::NoSuchBucket)?;
    let mut w = walk(&params);
    within(ctx, account, &r, "", &params.prefix, &mut w).await?;
    Ok(xml_response(render(product, &params, &w.finish(), account, &scope)))
}

/// Listing with no `/` in the prefix: the caller's listed products in the
/// order of their key roots (`a-b/` before `a/`), each a folder where the
/// delimiter rolls it up, otherwise walked into.
async fn across_products<P: Platform>(ctx: &Ctx<'_, P>, account: &str, prefix: &str, w: &mut Walk<'_>) -> Result<()> {
    if w.done() {
        return Ok(());
    }
    let listed = ctx.listed_products(account).await?.unwrap_or_default();
    // Catalogs list products in key-root order.
    let roots = listed.iter().map(|n| key_root(n)).filter(|r| r.starts_with(prefix));
    for root in roots {
        w.folder(&root);
        if w.done() {
            break;
        }
        if w.covers(&root) {
            continue;
        }
        let Some(r) = ctx.readable(account, &root[..root.len() - 1]).await? else {
            continue;
        };
        // A product whose backend can never be read (unsupported provider,
        // missing secrets) drops out rather than failing the whole account.
        // Transient failures still fail: a silently short listing could make
        // a sync tool delete files.
        if let Backend::Unavailable(why) = &r.backend {
            let f = serde_json::json!({"request_id": ctx.request_id, "product": r.product.name, "reason": why});
            ctx.log(Level::Warn, "listing skips a product without a usable backend", f);
            continue;
        }
        within(ctx, account, &r, &root, "", w).await?;
    }
    Ok(())
}

/// A product's part of the listing: only the key prefixes the caller may
/// read (the role ceiling's, within `inner`), so hidden names are never
/// fetched. `root` is prepended to names (`product/` at the account level,
/// empty at the product level).
async fn within<P: Platform>(
    ctx: &Ctx<'_, P>,
    account: &str,
    r: &Resolved,
    root: &str,
    inner: &str,
    w: &mut Walk<'_>,
) -> Result<()> {
    let product = r.product.name.as_str();
    let allowed = authz::key_prefixes(&ctx.principal, account, product);
    let scans = scans(inner, allowed.as_deref());
    if w.done() || scans.iter().all(|s| w.covers(&format!("{root}{s}"))) {
        return Ok(());
    }
    let backend = ctx.ready_backend(&r.backend).await?;
    // Names are built from the allowed parts only; this re-checks each one.
    let shown = |name: &str, is_prefix: bool| match name.strip_prefix(root) {
        Some(rel) => authz::listed_allowed(&ctx.principal, account, product, rel, is_prefix),
        // A common prefix above the product (`a-` of `a-b/`): the product is listed.
        None => is_prefix,
    };
    for scan in &scans {
        let range = Range {
            base: &r.product.prefix,
            root,
            scan,
            // The key a client sees is `{product}/{key}`, 1024 bytes at most.
            max_name: (MAX_KEY_BYTES + root.len()).saturating_sub(product.len() + 1),
        };
        let done = w
            .range(&range, async |req| backend.list(ctx.p, req).await, &shown)
            .await;
        if let Err(e) = &done {
            ctx.backend_failed(&backend, e);
        }
        done?;
    }
    Ok(())
}

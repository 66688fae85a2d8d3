//! Listing (S4): products as common prefixes at the account level, a
//! product's objects below it, with keys relative to the listed bucket.

use super::{xml_response, Ctx};
use crate::authz;
use crate::backend::Backend;
use crate::catalog::{key_root, Resolved};
use crate::error::{ProxyError, Result};
use crate::http::Response;
use crate::platform::{Level, ListRequest, Platform};
use crate::s3::list::{backend_start_after, merge, render, Entry, ListOutput, ListParams, Position};

/// `GET /{account}`: the account is the S3 bucket.
pub async fn account<P: Platform>(ctx: &Ctx<'_, P>, account: &str) -> Result<Response<P::Body>> {
    let params = ListParams::parse(&ctx.query)?;
    if !ctx.account_visible(account).await? {
        return Err(ProxyError::NoSuchBucket);
    }
    let out = match params.prefix.find('/') {
        // The prefix names one product: list inside it. A product the caller
        // may not read lists as empty, exactly like one that does not exist.
        Some(i) => match ctx.readable(account, &params.prefix[..i]).await? {
            Some(r) => {
                let root = key_root(&r.product.name);
                let inner = &params.prefix[root.len()..];
                within(ctx, account, &r, &root, inner, &params, params.max_keys).await?
            }
            None => ListOutput {
                entries: Vec::new(),
                next: None,
            },
        },
        None => across_products(ctx, account, &params).await?,
    };
    Ok(xml_response(render(account, &params, &out, account)))
}

/// `GET /{account}/{product}`: keys and prefix relative to the product.
pub async fn product<P: Platform>(ctx: &Ctx<'_, P>, account: &str, product: &str) -> Result<Response<P::Body>> {
    let params = ListParams::parse(&ctx.query)?;
    let r = ctx.readable(account, product).await?.ok_or(ProxyError::NoSuchBucket)?;
    let out = within(ctx, account, &r, "", &params.prefix, &params, params.max_keys).await?;
    Ok(xml_response(render(product, &params, &out, account)))
}

/// Listing with no `/` in the prefix: walks the caller's listed products in
/// key order, rolling each up into a common prefix when the delimiter
/// allows, otherwise descending into it.
async fn across_products<P: Platform>(ctx: &Ctx<'_, P>, account: &str, params: &ListParams) -> Result<ListOutput> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut next = None;
    if params.max_keys == 0 {
        return Ok(ListOutput { entries, next });
    }
    let listed = ctx.listed_products(account).await?.unwrap_or_default();
    for name in listed {
        let root = key_root(&name);
        let Some(rest) = root.strip_prefix(params.prefix.as_str()) else {
            continue;
        };
        if entries.len() as u32 >= params.max_keys {
            next = entries.last().map(Entry::position);
            break;
        }
        if let Some(d) = &params.delimiter {
            if let Some(i) = rest.find(d.as_str()) {
                let cp = format!("{}{}", params.prefix, &rest[..i + d.len()]);
                let after_ok = params.after.as_ref().is_none_or(|a| a.precedes(&cp));
                if after_ok && entries.last().map(Entry::name) != Some(cp.as_str()) {
                    entries.push(Entry::Prefix(cp));
                }
                continue;
            }
        }
        let Some(r) = ctx.readable(account, &name).await? else {
            continue;
        };
        // A product whose backend can never be read (unsupported provider,
        // missing secrets) drops out rather than failing the whole account.
        // Transient failures still fail: a silently short listing could make
        // a sync tool delete files.
        if let Backend::Unavailable(why) = &r.backend {
            let f = serde_json::json!({"request_id": ctx.request_id, "product": name, "reason": why});
            ctx.log(Level::Warn, "listing skips a product without a usable backend", f);
            continue;
        }
        let left = params.max_keys - entries.len() as u32;
        let out = within(ctx, account, &r, &root, "", params, left).await?;
        entries.extend(out.entries);
        if out.next.is_some() {
            next = out.next;
            break;
        }
    }
    Ok(ListOutput { entries, next })
}

/// One backend page of a product. `root` is prepended to returned names
/// (`product/` at the account level, empty at the product level); the
/// resume position is in those names too.
async fn within<P: Platform>(
    ctx: &Ctx<'_, P>,
    account: &str,
    r: &Resolved,
    root: &str,
    inner_prefix: &str,
    params: &ListParams,
    limit: u32,
) -> Result<ListOutput> {
    let empty = ListOutput {
        entries: Vec::new(),
        next: None,
    };
    if limit == 0 {
        return Ok(empty);
    }
    let after = match &params.after {
        None => None,
        Some(pos) => match pos.value.strip_prefix(root) {
            Some(rel) => Some(Position {
                value: rel.to_string(),
                is_prefix: pos.is_prefix,
            }),
            None if pos.value.as_str() < root => None,
            // The position is past everything in this product.
            None => return Ok(empty),
        },
    };
    let base = &r.product.prefix;
    let req = ListRequest {
        prefix: format!("{base}{inner_prefix}"),
        delimiter: params.delimiter.clone(),
        start_after: after
            .as_ref()
            .map(|a| backend_start_after(&format!("{base}{}", a.value), a.is_prefix)),
        limit,
    };
    let backend = ctx.ready_backend(&r.backend).await?;
    let page = backend.list(ctx.p, &req).await;
    if let Err(e) = &page {
        ctx.backend_failed(&backend, e);
    }
    let page = page?;
    // Names come back relative to the listed bucket; anything outside the
    // product's prefix (a misbehaving backend) is dropped, never shown.
    let strip = |k: &str| k.strip_prefix(base.as_str()).map(|rel| format!("{root}{rel}"));
    let objects = page
        .objects
        .into_iter()
        .filter_map(|mut o| {
            o.key = strip(&o.key)?;
            Some(o)
        })
        .collect();
    let prefixes = page.common_prefixes.iter().filter_map(|p| strip(p)).collect();
    let mut entries = merge(objects, prefixes);
    if let Some(pos) = &params.after {
        entries.retain(|e| pos.precedes(e.name()));
    }
    if entries.is_empty() && page.truncated {
        // Guard against a backend ignoring start-after: never loop a client forever.
        return Err(ProxyError::Backend("backend list made no progress".into()));
    }
    // Resume after the last name the backend gave, even if the ceiling hides it.
    let next = entries.last().filter(|_| page.truncated).map(Entry::position);
    let product = &r.product.name;
    entries.retain(|e| {
        let rel = e.name().strip_prefix(root).unwrap_or(e.name());
        authz::listed_allowed(&ctx.principal, account, product, rel, matches!(e, Entry::Prefix(_)))
    });
    Ok(ListOutput { entries, next })
}

//! Turns a request line into a route. Pure: no catalog, no I/O.

use crate::error::{ProxyError, Result};
use crate::http::{percent_decode, Query, Request};

/// S3's limit on key length, in bytes. It applies to the key the client sees:
/// with the account as the bucket, an object's key is `{product}/{key}`.
pub const MAX_KEY_BYTES: usize = 1024;

/// Sub-resources S3 knows but a read-only proxy does not serve.
const UNSUPPORTED_SUBRESOURCES: &[&str] = &[
    "acl",
    "analytics",
    "accelerate",
    "attributes",
    "cors",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versioning",
    "versions",
    "website",
];

/// Parameters that make `GET /{account}/{product}` a listing.
const LIST_PARAMS: &[&str] = &[
    "list-type",
    "prefix",
    "delimiter",
    "marker",
    "max-keys",
    "continuation-token",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Preflight,
    /// `GET /`: the service document, or ListBuckets when signed.
    Root,
    Sts,
    WellKnown,
    HeadAccount {
        account: String,
    },
    Location {
        account: String,
    },
    ListAccount {
        account: String,
    },
    /// `GET /{account}/{product}[/]?list-type=2…`: listing inside one product (seed-proxy URLs).
    ListProduct {
        account: String,
        product: String,
    },
    /// `/{account}/{product}[/]` without listing parameters: to an S3 client
    /// that is the object `{product}` (or `{product}/`), which never exists.
    ProductPath {
        account: String,
    },
    Object {
        account: String,
        product: String,
        key: String,
    },
}

impl Route {
    /// A short name for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Preflight => "preflight",
            Route::Root => "root",
            Route::Sts => "sts",
            Route::WellKnown => "well-known",
            Route::HeadAccount { .. } => "head-account",
            Route::Location { .. } => "location",
            Route::ListAccount { .. } => "list-account",
            Route::ListProduct { .. } => "list-product",
            Route::ProductPath { .. } => "product-path",
            Route::Object { .. } => "object",
        }
    }
}

/// `[a-z0-9][a-z0-9._-]{0,62}`: what an account or product may be called.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c))
}

/// What S3 routes serve: their `Allow` on a 405 and their CORS preflights.
pub const S3_METHODS: &[&str] = &["GET", "HEAD", "OPTIONS"];

/// Whether a request is for the STS: any method on `/.sts` or below it, or
/// `POST /` with an `Action` parameter or a form body (rclone and some SDKs
/// POST STS requests to the endpoint root). Decided on the raw request, before
/// the query is decoded, so that every failure on an STS request, decoding
/// included, is answered by the STS, in its shape.
pub fn is_sts(req: &Request) -> bool {
    let raw = req.path.strip_prefix('/').unwrap_or(&req.path);
    let first = raw.split('/').next().unwrap_or("");
    if percent_decode(first).is_ok_and(|f| f == ".sts") {
        return true;
    }
    raw.is_empty() && req.method == "POST" && (names_action(&req.query) || is_form(req))
}

/// An STS request at the endpoint itself (`/.sts`, `/.sts/`, `/`) rather than
/// below it.
pub fn is_sts_endpoint(req: &Request) -> bool {
    let raw = req.path.strip_prefix('/').unwrap_or(&req.path);
    raw.split_once('/').is_none_or(|(_, rest)| rest.is_empty())
}

/// A raw query with a parameter named `Action`, whatever its value.
fn names_action(raw_query: &str) -> bool {
    raw_query.split('&').any(|part| {
        let name = part.split_once('=').map_or(part, |(k, _)| k);
        percent_decode(name).is_ok_and(|n| n == "Action")
    })
}

pub fn route(req: &Request, query: &Query) -> Result<Route> {
    if is_sts(req) {
        return Ok(Route::Sts);
    }
    let method = req.method.as_str();
    if method == "OPTIONS" {
        return Ok(Route::Preflight);
    }
    let raw = req.path.strip_prefix('/').unwrap_or(&req.path);
    // S3 path style: the bucket (the account) is the first segment as
    // received; the key is the rest, decoded once as a whole, so an encoded
    // `/` in it is a `/` (S3 decodes keys). The product is the key's part
    // before its first `/`, however that `/` was sent.
    let (first_raw, rest_raw) = match raw.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (raw, None),
    };
    let first = percent_decode(first_raw)?;

    if first.starts_with('.') {
        // Reserved namespace: never an account, never a write.
        return match (first.as_str(), method) {
            (".well-known", "GET" | "HEAD") => Ok(Route::WellKnown),
            (".well-known", _) => Err(ProxyError::MethodNotAllowed),
            _ => Err(ProxyError::NoSuchBucket),
        };
    }
    if first.is_empty() && raw.is_empty() {
        return match method {
            "GET" | "HEAD" => Ok(Route::Root),
            _ => Err(ProxyError::MethodNotAllowed),
        };
    }
    if !matches!(method, "GET" | "HEAD") {
        return Err(ProxyError::MethodNotAllowed);
    }
    if UNSUPPORTED_SUBRESOURCES.iter().any(|s| query.has(s)) {
        return Err(ProxyError::NotImplemented(
            "This sub-resource is not supported by a read-only proxy.",
        ));
    }
    let account = first;
    // Also catches `//…` and an encoded `/`: no valid name holds one.
    if !valid_name(&account) {
        return Err(ProxyError::NoSuchBucket);
    }
    let s3_key = rest_raw.map(percent_decode).transpose()?;
    let Some(s3_key) = s3_key.filter(|k| !k.is_empty()) else {
        return Ok(if method == "HEAD" {
            Route::HeadAccount { account }
        } else if query.has("location") {
            Route::Location { account }
        } else {
            Route::ListAccount { account }
        });
    };
    let (product, key) = match s3_key.split_once('/') {
        Some((product, key)) => (product, Some(key)),
        None => (s3_key.as_str(), None),
    };
    if !valid_name(product) {
        return Err(ProxyError::NoSuchBucket);
    }
    let product = product.to_string();
    match key {
        None | Some("") if method == "GET" && LIST_PARAMS.iter().any(|p| query.has(p)) => {
            Ok(Route::ListProduct { account, product })
        }
        None | Some("") => Ok(Route::ProductPath { account }),
        Some(key) => {
            if s3_key.len() > MAX_KEY_BYTES {
                return Err(ProxyError::KeyTooLong);
            }
            Ok(Route::Object {
                account,
                product,
                key: key.to_string(),
            })
        }
    }
}

fn is_form(req: &Request) -> bool {
    req.headers
        .get("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"))
}

#[cfg(test)]
mod tests;

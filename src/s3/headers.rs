//! Object response headers: rendered from metadata (so only the S3 pass-through
//! list ever reaches the client) plus `response-*` overrides.

use crate::error::{ProxyError, Result};
use crate::http::{Headers, Query};
use crate::platform::ObjectMeta;
use crate::s3::conditional::format_http_date;
use crate::s3::range::ByteRange;

const OVERRIDES: &[(&str, &str)] = &[
    ("response-content-type", "content-type"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-language", "content-language"),
    ("response-content-encoding", "content-encoding"),
    ("response-cache-control", "cache-control"),
    ("response-expires", "expires"),
];

fn optional(h: &mut Headers, name: &str, v: &Option<String>) {
    if let Some(v) = v {
        h.set(name, v.as_str());
    }
}

pub fn object_headers(h: &mut Headers, meta: &ObjectMeta, range: Option<ByteRange>) {
    h.set(
        "content-type",
        meta.content_type.as_deref().unwrap_or("binary/octet-stream"),
    );
    match range {
        Some(r) => {
            h.set("content-length", r.len().to_string());
            h.set("content-range", r.content_range(meta.size));
        }
        None => h.set("content-length", meta.size.to_string()),
    }
    h.set("accept-ranges", "bytes");
    validator_headers(h, meta);
    optional(h, "content-encoding", &meta.content_encoding);
    optional(h, "content-disposition", &meta.content_disposition);
    optional(h, "content-language", &meta.content_language);
    let mut missing = 0;
    for (k, v) in &meta.user_metadata {
        match k.bytes().all(is_token_byte) && !v.contains(['\r', '\n', '\0']) {
            true => h.append(&format!("x-amz-meta-{k}"), v.as_str()),
            // A name or value the runtime refuses in a header (R2's custom
            // metadata may hold any text; measured in workerd: a CR or LF
            // makes `Headers.append` throw, and with it the whole answer):
            // left out and counted, as S3 does with metadata it cannot return.
            // Other text goes out as the runtime sends it (UTF-8).
            false => missing += 1,
        }
    }
    if missing > 0 {
        h.set("x-amz-missing-meta", missing.to_string());
    }
}

/// A byte of an HTTP token (a header name): RFC 9110's `tchar`.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// What a 304 carries: the validators and caching headers only.
pub fn validator_headers(h: &mut Headers, meta: &ObjectMeta) {
    if !meta.etag.is_empty() {
        h.set("etag", meta.etag.as_str());
    }
    if meta.last_modified_ms > 0 {
        h.set("last-modified", format_http_date(meta.last_modified_ms));
    }
    optional(h, "cache-control", &meta.cache_control);
    optional(h, "expires", &meta.expires);
}

/// Adds `no-transform` to Cache-Control: S3 never changes a stored object, and
/// the edge in front of a Worker would otherwise compress text types (dropping
/// Content-Length) or decode stored encodings for clients that do not accept them.
pub fn forbid_transforms(h: &mut Headers) {
    let value = match h.get("cache-control") {
        Some(v) if v.split(',').any(|d| d.trim().eq_ignore_ascii_case("no-transform")) => return,
        Some(v) if !v.trim().is_empty() => format!("{v}, no-transform"),
        _ => "no-transform".to_string(),
    };
    h.set("cache-control", value);
}

/// Applies `response-content-type` & co. A value that could split headers is
/// refused. Like S3, only signed requests may override: an anonymous one could
/// make a public object render as HTML from this origin.
pub fn apply_overrides(h: &mut Headers, q: &Query, signed: bool) -> Result<()> {
    if !signed && OVERRIDES.iter().any(|(param, _)| q.has(param)) {
        return Err(ProxyError::InvalidRequest(
            "Request specific response headers cannot be used for anonymous GET requests.",
        ));
    }
    for (param, header) in OVERRIDES {
        if let Some(v) = q.get(param) {
            if v.chars().any(char::is_control) {
                return Err(ProxyError::InvalidArgument("Header value contains invalid characters."));
            }
            h.set(header, v);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

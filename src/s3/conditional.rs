//! Conditional requests (`If-Match` & co.), evaluated as RFC 7232 and S3 do.

use crate::error::{ProxyError, Result};
use crate::http::Headers;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub if_unmodified_since: Option<String>,
}

/// What a conditional request resolves to when it does not simply proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Proceed,
    NotModified,
}

impl Conditions {
    pub fn from_headers(h: &Headers) -> Self {
        let g = |n: &str| h.get(n).map(str::to_string);
        // A date that does not parse is ignored (RFC 9110, and S3 does so);
        // dropped here, it is not forwarded to a backend that may choke on it.
        let date = |n: &str| g(n).filter(|v| http_date_secs(v).is_some());
        Self {
            if_match: g("if-match"),
            if_none_match: g("if-none-match"),
            if_modified_since: date("if-modified-since"),
            if_unmodified_since: date("if-unmodified-since"),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The headers to forward to an S3-compatible backend, which evaluates them itself.
    pub fn header_pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("if-match", &self.if_match),
            ("if-none-match", &self.if_none_match),
            ("if-modified-since", &self.if_modified_since),
            ("if-unmodified-since", &self.if_unmodified_since),
        ]
        .into_iter()
        .filter_map(|(n, v)| v.as_deref().map(|v| (n, v)))
        .collect()
    }

    /// Evaluates against an object's ETag and Last-Modified (ms since epoch).
    /// A failed `If-Match`/`If-Unmodified-Since` is 412; unparseable dates are ignored.
    pub fn evaluate(&self, etag: &str, last_modified_ms: i64) -> Result<Verdict> {
        let modified = last_modified_ms.div_euclid(1000);
        if let Some(m) = &self.if_match {
            if !etag_list_matches(m, etag) {
                return Err(ProxyError::PreconditionFailed);
            }
        } else if let Some(t) = self.if_unmodified_since.as_deref().and_then(http_date_secs) {
            if modified > t {
                return Err(ProxyError::PreconditionFailed);
            }
        }
        if let Some(m) = &self.if_none_match {
            if etag_list_matches(m, etag) {
                return Ok(Verdict::NotModified);
            }
        } else if let Some(t) = self.if_modified_since.as_deref().and_then(http_date_secs) {
            if modified <= t {
                return Ok(Verdict::NotModified);
            }
        }
        Ok(Verdict::Proceed)
    }
}

fn normalize_etag(t: &str) -> &str {
    let t = t.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"')
}

fn etag_list_matches(list: &str, etag: &str) -> bool {
    let want = normalize_etag(etag);
    list.split(',').any(|t| t.trim() == "*" || normalize_etag(t) == want)
}

pub fn http_date_secs(v: &str) -> Option<i64> {
    crate::time::parse_http_date(v)
}

pub fn format_http_date(ms: i64) -> String {
    crate::time::format_http_date(ms.div_euclid(1000))
}

#[cfg(test)]
mod tests;

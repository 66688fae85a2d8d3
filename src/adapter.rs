//! The edge adapter's decisions that need no Workers runtime, so that native
//! tests cover them: how a raw URL splits into path and query, which inbound
//! body is read and how far, which outbound answer keeps its encoding, and
//! how a header list crosses the JS boundary as one string.
//! `edge` (wasm32 only) is left with the calls into the runtime.

use crate::http::{Headers, Request};

/// Splits the URL as received into raw path and query (no decoding here).
pub fn split_url(url: &str) -> (String, String) {
    // A byte search, not `split_once("://")`: a substring pattern brings in
    // core's two-way searcher, which the first request would compile.
    let after_scheme = url.find(':').and_then(|i| url[i..].strip_prefix("://")).unwrap_or(url);
    let path_and_query = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    let path_and_query = path_and_query.split('#').next().unwrap_or("/");
    match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (path_and_query.to_string(), String::new()),
    }
}

/// What the edge does with an inbound body.
#[derive(Debug, PartialEq, Eq)]
pub enum BodyPlan {
    /// Left to the runtime, which discards it: every route but an STS POST.
    Leave,
    /// Declared longer than the cap: not read at all (see `edge::read_capped`).
    TooLarge,
    /// Read, to at most `cap` bytes and one more to tell it is over.
    Read { cap: usize },
    /// Declared (Content-Length, no Transfer-Encoding) within `cap`: read
    /// whole in one call, since the framing ends it there (a clone and a
    /// chunk loop cost more). Still checked against `cap` once read.
    Whole { cap: usize },
}

/// Only the STS reads a body (its form), capped at `sts::params::MAX_BODY`.
pub fn body_plan(req: &Request) -> BodyPlan {
    if req.method != "POST" || !crate::route::is_sts(req) {
        return BodyPlan::Leave;
    }
    let cap = crate::sts::params::MAX_BODY;
    let declared = req
        .headers
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    match declared {
        Some(n) if n > cap as u64 => BodyPlan::TooLarge,
        Some(_) if req.headers.get("transfer-encoding").is_none() => BodyPlan::Whole { cap },
        _ => BodyPlan::Read { cap },
    }
}

/// An outbound request asking for the identity encoding wants the answer's
/// bytes as sent: whatever encoding they still have is the stored object's
/// own (S3 reads). Other answers (JSON, XML) are decoded, as fetch() does by default.
pub fn keeps_encoding(headers: &[(String, String)]) -> bool {
    headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("accept-encoding") && v == "identity")
}

/// A header list as one string, `name\nvalue\n` per header, so that it
/// crosses into JS once rather than two strings per header (`edge::headers`).
/// `None` when a name or value holds a line feed, which would shift the pairs:
/// the caller then appends header by header, and the runtime refuses such a
/// value as it always did.
pub fn header_text<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let mut s = String::with_capacity(256);
    for (n, v) in headers {
        if n.contains('\n') || v.contains('\n') {
            return None;
        }
        for part in [n, "\n", v, "\n"] {
            s.push_str(part);
        }
    }
    Some(s)
}

/// The header list of a string made on the JS side as [`header_text`] makes
/// it. The runtime's names and values never hold a line feed; a last piece
/// without its value (never sent) is dropped.
pub fn parse_header_text(text: &str) -> Headers {
    let mut parts = text.split('\n');
    let mut h = Headers::new();
    while let (Some(n), Some(v)) = (parts.next(), parts.next()) {
        h.append(n, v);
    }
    h
}

#[cfg(test)]
mod tests;

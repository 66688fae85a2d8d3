//! Runtime-agnostic HTTP request/response types and query parsing.

use crate::error::{ProxyError, Result};

/// Header list with lowercase names, in arrival order (duplicates kept).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Appends a value, keeping any existing one.
    pub fn append(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((name.to_ascii_lowercase(), value.into()));
    }

    /// Replaces every value of `name`.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.remove(name);
        self.append(name, value);
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + Clone {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The pairs as stored, for code that takes a slice (SigV4's canonical headers).
    pub fn as_slice(&self) -> &[(String, String)] {
        &self.0
    }
}

impl FromIterator<(String, String)> for Headers {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut h = Headers::new();
        for (n, v) in iter {
            h.append(&n, v);
        }
        h
    }
}

/// An incoming request as the core sees it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path exactly as received (still percent-encoded).
    pub path: String,
    /// The raw query string, without the leading `?`.
    pub query: String,
    pub headers: Headers,
    /// Read only for STS POSTs (form bodies), never past a cap.
    pub body: RequestBody,
}

/// A request body as the runtime hands it to the core. Only the STS reads
/// one, and never more than its cap: every other route leaves the body
/// unread (the runtime discards it), so no upload is ever buffered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum RequestBody {
    /// Not read (no body, or a route that needs none).
    #[default]
    Unread,
    Bytes(Vec<u8>),
    /// Longer than the cap, as declared or as it arrived; not kept.
    TooLarge,
    /// The body failed while being read (a cut connection, broken chunking).
    Broken,
}

impl Request {
    pub fn new(method: &str, path: &str, query: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            query: query.to_string(),
            headers: Headers::new(),
            body: RequestBody::Unread,
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(name, value);
        self
    }
}

/// A response body: nothing, bytes built by the proxy, or a backend stream
/// handed through untouched (never buffered).
pub enum Body<S> {
    Empty,
    Bytes(Vec<u8>),
    Stream(S),
}

pub struct Response<S> {
    pub status: u16,
    pub headers: Headers,
    /// Final bytes: the runtime sends them as they are, never encoding them
    /// per the Content-Encoding header.
    pub body: Body<S>,
}

impl<S> Response<S> {
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Headers::new(),
            body: Body::Empty,
        }
    }

    pub fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        let mut r = Self::new(status);
        r.headers.set("content-type", content_type);
        r.headers.set("content-length", body.len().to_string());
        r.body = Body::Bytes(body);
        r
    }
}

/// Decodes `%XX` escapes; `+` stays a plus (RFC 3986, as S3 and SigV4 treat paths).
/// The decoding is `percent-encoding`'s, but that crate passes a `%` without two hex
/// digits through as it is, where S3 refuses the request: so those are checked first.
pub fn percent_decode(s: &str) -> Result<String> {
    if !s.contains('%') {
        return Ok(s.to_string());
    }
    // Each piece after a `%` must start with two hex digits (never a `%`).
    let escapes_ok = s.split('%').skip(1).all(|rest| {
        rest.as_bytes()
            .get(..2)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    });
    if !escapes_ok {
        return Err(ProxyError::InvalidUri);
    }
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| ProxyError::InvalidUri)
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, then as
/// [`percent_decode`]. Not `form_urlencoded`: it too passes bad escapes through,
/// and it replaces bytes that are not UTF-8 where these callers must refuse them.
pub fn form_decode(s: &str) -> Result<String> {
    percent_decode(&s.replace('+', " "))
}

/// Parsed query parameters, decoded, in order. Names are case-sensitive as in S3.
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Result<Self> {
        let mut pairs = Vec::new();
        for part in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((percent_decode(k)?, percent_decode(v)?));
        }
        Ok(Self(pairs))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(k, _)| k == name)
    }

    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.0
    }
}

#[cfg(test)]
mod tests;

//! CORS: origins from `CORS_ALLOWED_ORIGINS`, preflight per path kind.

use crate::error::{ProxyError, Result};
use crate::http::Headers;

const EXPOSED: &str = "ETag, Content-Length, Content-Range, Content-Type, Content-Encoding, Content-Disposition, \
Content-Language, Last-Modified, Expires, Cache-Control, Accept-Ranges, x-amz-request-id";
const MAX_AGE: &str = "7200";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origins {
    Any,
    List(Vec<String>),
}

impl Origins {
    /// `*` (default) or a comma list of exact origins.
    pub fn parse(v: Option<&str>) -> Self {
        let v = v.map_or("*", str::trim);
        if v.is_empty() || v == "*" {
            return Origins::Any;
        }
        Origins::List(
            v.split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
        )
    }

    /// The `Access-Control-Allow-Origin` value for a request's `Origin`.
    fn allow(&self, origin: Option<&str>) -> Option<String> {
        match (self, origin) {
            (Origins::Any, _) => Some("*".into()),
            (Origins::List(l), Some(o)) if l.iter().any(|a| a == o) => Some(o.to_string()),
            _ => None,
        }
    }
}

/// Adds CORS headers to any response.
pub fn decorate(origins: &Origins, origin: Option<&str>, h: &mut Headers) {
    if let Origins::List(_) = origins {
        h.append("vary", "Origin");
    }
    let Some(allow) = origins.allow(origin) else { return };
    h.set("access-control-allow-origin", allow);
    let mut exposed = EXPOSED.to_string();
    let meta: Vec<String> = h
        .iter()
        .filter(|(n, _)| n.starts_with("x-amz-meta-") || *n == "x-amz-missing-meta")
        .map(|(n, _)| n.to_string())
        .collect();
    for m in meta {
        exposed.push_str(", ");
        exposed.push_str(&m);
    }
    h.set("access-control-expose-headers", exposed);
}

/// Answers a preflight for a resource that serves `methods` (what its
/// `Allow` header says on a 405).
pub fn preflight(origins: &Origins, req: &Headers, methods: &[&str]) -> Result<Headers> {
    // Without both, an OPTIONS is no preflight (browsers always send them); S3 answers 400.
    let origin = req.get("origin").ok_or(ProxyError::BadRequest(
        "Insufficient information. Origin request header needed.",
    ))?;
    let method = req
        .get("access-control-request-method")
        .map(str::trim)
        .ok_or(ProxyError::BadRequest("Invalid Access-Control-Request-Method: null"))?;
    let method_ok = methods.contains(&method);
    let allow = origins.allow(Some(origin));
    if allow.is_none() || !method_ok {
        return Err(ProxyError::CorsForbidden);
    }
    let mut h = Headers::new();
    h.set("access-control-allow-methods", methods.join(", "));
    if let Some(rh) = req.get("access-control-request-headers") {
        // Echo, not `*`: a wildcard does not cover Authorization in browsers.
        if rh.chars().any(char::is_control) {
            return Err(ProxyError::CorsForbidden);
        }
        h.set("access-control-allow-headers", rh);
    }
    h.set("access-control-max-age", MAX_AGE);
    Ok(h)
}

#[cfg(test)]
mod tests;

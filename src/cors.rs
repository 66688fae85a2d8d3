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
        .filter(|(n, _)| n.starts_with("x-amz-meta-"))
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
mod tests {
    use super::*;
    use crate::error::ApiError;

    fn req(origin: &str, method: &str, hdrs: &str) -> Headers {
        let mut h = Headers::new();
        h.append("origin", origin);
        h.append("access-control-request-method", method);
        if !hdrs.is_empty() {
            h.append("access-control-request-headers", hdrs);
        }
        h
    }

    #[test]
    fn preflight_any_origin() {
        let s3 = ["GET", "HEAD", "OPTIONS"];
        let h = preflight(&Origins::Any, &req("http://a", "GET", "authorization,x-amz-date"), &s3).unwrap();
        assert_eq!(h.get("access-control-allow-methods"), Some("GET, HEAD, OPTIONS"));
        assert_eq!(h.get("access-control-allow-headers"), Some("authorization,x-amz-date"));
        assert!(preflight(&Origins::Any, &req("http://a", "POST", ""), &s3).is_err());
        let sts = preflight(&Origins::Any, &req("http://a", "POST", ""), &["GET", "POST"]).unwrap();
        assert_eq!(sts.get("access-control-allow-methods"), Some("GET, POST"));
    }

    #[test]
    fn options_without_origin_or_method_is_not_a_preflight() {
        // S3: 400 BadRequest; browsers always send both in a preflight.
        let mut no_origin = Headers::new();
        no_origin.append("access-control-request-method", "GET");
        let e = preflight(&Origins::Any, &no_origin, &["GET"]).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (400, "BadRequest"));
        let mut no_method = Headers::new();
        no_method.append("origin", "http://a");
        let e = preflight(&Origins::Any, &no_method, &["GET"]).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (400, "BadRequest"));
        let e = preflight(&Origins::Any, &Headers::new(), &["GET", "POST"]).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (400, "BadRequest"));
    }

    #[test]
    fn origin_list() {
        let o = Origins::parse(Some("https://a.example, https://b.example/"));
        assert!(preflight(&o, &req("https://evil.example", "GET", ""), &["GET"]).is_err());
        let mut h = Headers::new();
        h.append("x-amz-meta-color", "blue");
        decorate(&o, Some("https://b.example"), &mut h);
        assert_eq!(h.get("access-control-allow-origin"), Some("https://b.example"));
        assert_eq!(h.get("vary"), Some("Origin"));
        assert!(h
            .get("access-control-expose-headers")
            .unwrap()
            .contains("x-amz-meta-color"));
        let mut h = Headers::new();
        decorate(&o, Some("https://evil.example"), &mut h);
        assert_eq!(h.get("access-control-allow-origin"), None);
    }
}

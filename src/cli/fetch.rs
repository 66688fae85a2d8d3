//! GETs of an issuer's discovery document and JWKS: bounded in time and size,
//! never redirected (a redirect would let the issuer's host send us anywhere),
//! and never through a proxy for loopback addresses.

use std::io::Read as _;
use std::time::Duration;

use ureq::Agent;

/// A fetch: whole-request timeout and the connect part of it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub timeout: Duration,
    pub max_bytes: usize,
}

/// Why a GET gave no usable body.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("GET {url}")]
    Call {
        url: String,
        #[source]
        source: Box<ureq::Error>,
    },
    #[error("GET {url}: HTTP {status}{}", if (300..400).contains(status) { " (redirects are not followed)" } else { "" })]
    Status { url: String, status: u16 },
    #[error("GET {url}: reading the body")]
    Read {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("GET {url}: body larger than {max} bytes")]
    TooLarge { url: String, max: usize },
    #[error("GET {url}: body is not UTF-8")]
    NotUtf8 { url: String },
}

/// The body of a `200` answer of at most `limits.max_bytes`, as UTF-8.
pub fn get(url: &str, limits: Limits) -> Result<String, FetchError> {
    let url_ = || url.to_string();
    let loopback = is_loopback(url);
    let mut config = Agent::config_builder()
        .timeout_global(Some(limits.timeout))
        .timeout_connect(Some(limits.timeout.min(Duration::from_secs(5))))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("oidc-data-proxy/", env!("CARGO_PKG_VERSION")));
    if loopback {
        config = config.proxy(None);
    }
    let agent: Agent = config.build().into();
    let mut resp = agent
        .get(url)
        .header("accept", "application/json")
        .call()
        .map_err(|e| FetchError::Call {
            url: url_(),
            source: Box::new(e),
        })?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(FetchError::Status { url: url_(), status });
    }
    // Read one byte past the cap to tell "exactly the cap" from "more".
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .take(limits.max_bytes as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|source| FetchError::Read { url: url_(), source })?;
    if body.len() > limits.max_bytes {
        return Err(FetchError::TooLarge {
            url: url_(),
            max: limits.max_bytes,
        });
    }
    String::from_utf8(body).map_err(|_| FetchError::NotUtf8 { url: url_() })
}

/// `scheme://authority` of an http(s) URL.
pub fn origin(url: &str) -> Option<&str> {
    let rest_at = url.find("://")? + 3;
    let end = url[rest_at..].find(['/', '?', '#']).map_or(url.len(), |i| rest_at + i);
    Some(&url[..end])
}

fn is_loopback(url: &str) -> bool {
    let Some(o) = origin(url) else { return false };
    let authority = o.split_once("://").map_or("", |(_, a)| a);
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    host == "127.0.0.1" || host == "[::1]" || host.eq_ignore_ascii_case("localhost")
}

#[cfg(test)]
mod tests;

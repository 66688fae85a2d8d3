//! OIDC discovery: where an issuer's keys are, and which URLs may be fetched.
//!
//! Errors are strings for the log line: the client sees
//! `IDPCommunicationError` either way.

use std::sync::Arc;

use serde_json::Value;

use super::MAX_JWKS_BYTES;

/// The trusted parts of a discovery document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    pub issuer: String,
    pub jwks_uri: String,
}

/// `{issuer}/.well-known/openid-configuration` (OIDC Discovery 4: a
/// trailing `/` of the issuer is removed first, so there is no `//`).
pub fn discovery_url(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

/// Whether an issuer may be contacted at all: an https URL without query or
/// fragment (OIDC Core 2), or an http loopback one when `allow_loopback`
/// (local development only).
pub fn issuer_allowed(iss: &str, allow_loopback: bool) -> bool {
    url_allowed(iss, allow_loopback) && !iss.contains(['?', '#'])
}

/// Why a discovery document is refused (log text: remote values clipped).
#[derive(Clone, thiserror::Error)]
pub enum DiscoveryError {
    #[error("discovery document larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("discovery document is not JSON")]
    Json(#[source] Arc<serde_json::Error>),
    #[error("discovery issuer {found:?} does not equal the expected issuer {expected:?}")]
    OtherIssuer { found: Option<String>, expected: String },
    #[error("discovery document has no jwks_uri")]
    NoJwksUri,
    #[error("jwks_uri {0:?} is not an allowed URL")]
    JwksUri(String),
}

crate::error::debug_as_display!(DiscoveryError);

/// Parses a discovery document. Its `issuer` must equal the expected one
/// exactly (OIDC Discovery 4.3: this is what stops one issuer's document
/// from vouching for another), and `jwks_uri` must be fetchable under the
/// same rules as issuers.
pub fn parse_discovery(json: &str, expected_issuer: &str, allow_loopback: bool) -> Result<Discovery, DiscoveryError> {
    if json.len() > MAX_JWKS_BYTES {
        return Err(DiscoveryError::TooLarge);
    }
    // Lax: a repeated key keeps its last value, as other clients read issuer documents;
    // the visitor every JSON document here goes through (src/json.rs).
    let doc: Value = crate::json::parse_lax(json.as_bytes()).map_err(|e| DiscoveryError::Json(Arc::new(e)))?;
    let issuer = doc.get("issuer").and_then(Value::as_str);
    if issuer != Some(expected_issuer) || expected_issuer.is_empty() {
        // Log-only text: the expected issuer is configuration, fine in logs.
        return Err(DiscoveryError::OtherIssuer {
            found: issuer.map(clip),
            expected: expected_issuer.to_owned(),
        });
    }
    let Some(jwks_uri) = doc.get("jwks_uri").and_then(Value::as_str) else {
        return Err(DiscoveryError::NoJwksUri);
    };
    if !url_allowed(jwks_uri, allow_loopback) || jwks_uri.contains('#') {
        return Err(DiscoveryError::JwksUri(clip(jwks_uri)));
    }
    Ok(Discovery {
        issuer: expected_issuer.to_owned(),
        jwks_uri: jwks_uri.to_owned(),
    })
}

/// Remote text bound for a log line, cut to a sane length.
fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

/// An `https://host[:port][/...]` URL, or `http://` to a loopback host when
/// `allow_loopback`. Deliberately narrower than the WHATWG URL parser that
/// `fetch` uses, so that both agree on the host: printable ASCII only, no
/// backslash (WHATWG reads it as `/`), no userinfo (`http://localhost@evil/`),
/// lowercase scheme, and loopback hosts spelled exactly.
fn url_allowed(url: &str, allow_loopback: bool) -> bool {
    if !url.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
        return false;
    }
    let (rest, https) = if let Some(r) = url.strip_prefix("https://") {
        (r, true)
    } else if let Some(r) = url.strip_prefix("http://") {
        (r, false)
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let Some(host) = host_of(authority) else {
        return false;
    };
    if https {
        return !host.is_empty();
    }
    allow_loopback && (host == "127.0.0.1" || host == "[::1]" || host.eq_ignore_ascii_case("localhost"))
}

/// The host of `host[:port]` / `[v6][:port]`; `None` for a bad port.
fn host_of(authority: &str) -> Option<&str> {
    let (host, port) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        (&authority[..end], &authority[end..])
    } else {
        match authority.rfind(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        }
    };
    let port_ok = match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(p) => !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()),
    };
    // A `:` left in a non-bracketed host would be an unbracketed IPv6 literal.
    (port_ok && (host.starts_with('[') || !host.contains(':'))).then_some(host)
}

#[cfg(test)]
mod tests;

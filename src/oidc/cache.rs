//! JWKS per issuer, cached per isolate (S7): fresh for an hour; an unknown
//! `kid` (the IdP rotated) refetches at once, but such refetches happen at
//! most once a minute; if the issuer is unreachable a copy up to a day old
//! is still used for the kids it holds.

use std::cell::RefCell;
use std::rc::Rc;

use super::{discovery_url, parse_discovery, parse_jwks, Jwk, MAX_JWKS_BYTES};
use crate::bounded::{BoundedMap, Cost, Stats};
use crate::platform::{remaining_ms, Level, OutboundRequest, Platform};

const FRESH_SECS: i64 = 3600;
const STALE_SECS: i64 = 86_400;
const REFETCH_SECS: i64 = 60;
/// Time allowed for each document, headers and body.
const TIMEOUT_MS: u32 = 3000;
/// Issuers cached per isolate: only issuers some role trusts are ever fetched,
/// so this is far above any configuration; the least recently used goes first.
pub const MAX_ISSUERS: usize = 64;
/// Bytes of parsed keys per isolate (3% of its 128 MB): the largest JWKS
/// accepted (256 KiB) parses to under an eighth of it, so it is still cached.
pub const MAX_BYTES: usize = 4 << 20;

#[derive(Clone)]
struct Entry {
    keys: Rc<Vec<Jwk>>,
    fetched_at: i64,
    /// When an unknown kid last caused a refetch.
    kid_refetch_at: Option<i64>,
}

impl Cost for Entry {
    fn cost(&self) -> usize {
        std::mem::size_of::<Self>() + self.keys.iter().map(Jwk::heap_bytes).sum::<usize>()
    }
}

pub struct JwksCache(RefCell<BoundedMap<String, Entry>>);

impl Default for JwksCache {
    fn default() -> Self {
        Self(RefCell::new(BoundedMap::new(MAX_ISSUERS, MAX_BYTES)))
    }
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwksCache({} issuers)", self.0.borrow().len())
    }
}

impl JwksCache {
    pub fn stats(&self) -> Stats {
        self.0.borrow().stats()
    }

    /// Keys of `issuer`, good for `kid` when possible. Errors are for logs
    /// (the caller answers IDPCommunicationError).
    pub async fn keys<P: Platform>(
        &self,
        p: &P,
        issuer: &str,
        kid: &str,
        allow_loopback: bool,
        now: i64,
    ) -> Result<Rc<Vec<Jwk>>, String> {
        // Never hold the borrow across an await: clone the entry out.
        let cached = self.0.borrow_mut().get(issuer).cloned();
        let mut kid_refetch_at = cached.as_ref().and_then(|e| e.kid_refetch_at);
        if let Some(e) = &cached {
            if now - e.fetched_at < FRESH_SECS {
                if e.keys.iter().any(|k| k.kid() == kid) {
                    return Ok(e.keys.clone());
                }
                if kid_refetch_at.is_some_and(|t| now - t < REFETCH_SECS) {
                    return Ok(e.keys.clone());
                }
                kid_refetch_at = Some(now);
            }
        }
        match fetch(p, issuer, allow_loopback).await {
            Ok(keys) => {
                let keys = Rc::new(keys);
                let entry = Entry {
                    keys: keys.clone(),
                    fetched_at: now,
                    kid_refetch_at,
                };
                self.0.borrow_mut().insert(issuer.to_string(), entry);
                Ok(keys)
            }
            // A stale copy only helps a kid it holds: any other kid cannot be checked
            // while the issuer fails, which is the issuer's failure (retryable), not a bad token.
            Err(e) => match cached {
                Some(c) if now - c.fetched_at < STALE_SECS && c.keys.iter().any(|k| k.kid() == kid) => {
                    let f = serde_json::json!({"issuer": issuer, "reason": e});
                    p.log(
                        Level::Warn,
                        &crate::log::line(Level::Warn, "jwks refresh failed, using cached keys", f),
                    );
                    Ok(c.keys)
                }
                _ => Err(e),
            },
        }
    }
}

async fn get_text<P: Platform>(p: &P, url: &str) -> Result<String, String> {
    let req = OutboundRequest {
        method: "GET",
        url: url.to_string(),
        headers: vec![("accept".into(), "application/json".into())],
        timeout_ms: TIMEOUT_MS,
        body: None,
    };
    let started = p.now_ms();
    let resp = p.fetch(req).await.map_err(|e| format!("{url}: {e}"))?;
    if resp.status != 200 {
        return Err(format!("{url}: status {}", resp.status));
    }
    let body = match resp.body {
        Some(b) => p
            .read_body(b, MAX_JWKS_BYTES, remaining_ms(TIMEOUT_MS, started, p.now_ms()))
            .await
            .map_err(|e| format!("{url}: {e}"))?,
        None => Vec::new(),
    };
    String::from_utf8(body).map_err(|_| format!("{url}: not UTF-8"))
}

async fn fetch<P: Platform>(p: &P, issuer: &str, allow_loopback: bool) -> Result<Vec<Jwk>, String> {
    let discovery = parse_discovery(&get_text(p, &discovery_url(issuer)).await?, issuer, allow_loopback)?;
    parse_jwks(&get_text(p, &discovery.jwks_uri).await?)
}

#[cfg(test)]
#[path = "cache_bounds_tests.rs"]
mod bounds_tests;

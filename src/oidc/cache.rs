//! JWKS per issuer, cached per isolate: fresh for an hour; an unknown
//! `kid` (the IdP rotated) refetches at once, but such refetches happen at
//! most once a minute, whether they succeed or fail; if the issuer is
//! unreachable a copy up to a day old is still used for the kids it holds.
//!
//! A failed fetch is remembered for [`RETRY_AFTER_FAILURE_SECS`]: meanwhile
//! nothing asks that issuer again (the copy serves its kids, any other token
//! gets the failure at once), so an outage costs one fetch, up to its
//! timeout, per interval and issuer, not one per request. A fetch in flight
//! is marked too: requests that arrive during it use the copy when it holds
//! their kid, and fail at once when the issuer's last fetch failed.

use std::cell::RefCell;
use std::rc::Rc;

use super::{discovery_url, parse_discovery, parse_jwks, DiscoveryError, Jwk, JwksError, MAX_JWKS_BYTES};
use crate::apart::apart;
use crate::bounded::{BoundedMap, Cost, Stats};
use crate::error::{chain, ProxyError};
use crate::log::Level;
use crate::platform::{remaining_ms, OutboundRequest, Platform};

const FRESH_SECS: i64 = 3600;
const STALE_SECS: i64 = 86_400;
const REFETCH_SECS: i64 = 60;
/// How long a failed fetch answers for its issuer. Short: recovery waits for it.
pub const RETRY_AFTER_FAILURE_SECS: i64 = 10;
/// Time allowed for each document, headers and body.
const TIMEOUT_MS: u32 = 3000;
/// How long a started fetch counts as in flight: its two documents' timeouts.
const IN_FLIGHT_SECS: i64 = 2 * (TIMEOUT_MS as i64) / 1000 + 1;
/// Issuers cached per isolate: only issuers some role trusts are ever fetched,
/// so this is far above any configuration; the least recently used goes first.
pub const MAX_ISSUERS: usize = 64;
/// Bytes of parsed keys per isolate (3% of its 128 MB): the largest JWKS
/// accepted (256 KiB) parses to under an eighth of it, so it is still cached.
pub const MAX_BYTES: usize = 4 << 20;

#[derive(Clone)]
struct Entry {
    /// The last keys fetched (none yet: empty, `fetched_at` is `None`).
    keys: Rc<Vec<Jwk>>,
    fetched_at: Option<i64>,
    /// When an unknown kid last caused a refetch (whatever its outcome).
    kid_refetch_at: Option<i64>,
    /// When the last fetch failed and why; cleared by a good one.
    failed: Option<(i64, IdpError)>,
    /// When the fetch now in flight started.
    started_at: Option<i64>,
}

impl Cost for Entry {
    fn cost(&self) -> usize {
        size_of::<Self>()
            + self.keys.iter().map(Jwk::heap_bytes).sum::<usize>()
            + self.failed.as_ref().map_or(0, |(_, why)| chain(why).len())
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

/// Whether `at` lies less than `secs` before `now`.
fn within(at: Option<i64>, now: i64, secs: i64) -> bool {
    at.is_some_and(|t| now.saturating_sub(t) < secs)
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
    ) -> Result<Rc<Vec<Jwk>>, IdpError> {
        match self.fresh(issuer, kid, now) {
            Some(keys) => Ok(keys),
            // Compiled apart (`crate::apart`): most exchanges never run it.
            None => apart(self.refresh(p, issuer, kid, allow_loopback, now)).await,
        }
    }

    /// The common case, without a network call: fresh keys holding `kid`.
    #[inline(never)]
    fn fresh(&self, issuer: &str, kid: &str, now: i64) -> Option<Rc<Vec<Jwk>>> {
        let mut map = self.0.borrow_mut();
        let e = map.get(issuer)?;
        let hit = within(e.fetched_at, now, FRESH_SECS) && e.keys.iter().any(|k| k.kid() == kid);
        hit.then(|| e.keys.clone())
    }

    /// Everything but [`Self::fresh`]'s case: stale or missing keys, an
    /// unknown kid, an issuer that failed lately.
    async fn refresh<P: Platform>(
        &self,
        p: &P,
        issuer: &str,
        kid: &str,
        allow_loopback: bool,
        now: i64,
    ) -> Result<Rc<Vec<Jwk>>, IdpError> {
        // Never hold the borrow across an await: clone the entry out.
        let cached = self.0.borrow_mut().get(issuer).cloned();
        let mut e = cached.unwrap_or(Entry {
            keys: Rc::new(Vec::new()),
            fetched_at: None,
            kid_refetch_at: None,
            failed: None,
            started_at: None,
        });
        let has_kid = e.keys.iter().any(|k| k.kid() == kid);
        // The copy for this kid while no fetch can be made, else why not.
        let usable = has_kid && within(e.fetched_at, now, STALE_SECS);
        let last_failure = e.failed.as_ref().map(|(_, why)| why.clone());
        let no_fetch = |e: &Entry| match (usable, &last_failure) {
            (true, _) => Ok(e.keys.clone()),
            (false, Some(why)) => Err(why.clone()),
            // Fresh keys without the kid, whose last refetch succeeded: the
            // token names a key the issuer does not have.
            (false, None) => Ok(e.keys.clone()),
        };
        if within(e.fetched_at, now, FRESH_SECS) {
            if has_kid {
                return Ok(e.keys.clone());
            }
            if within(e.kid_refetch_at, now, REFETCH_SECS) {
                return no_fetch(&e);
            }
        }
        if within(e.failed.as_ref().map(|f| f.0), now, RETRY_AFTER_FAILURE_SECS) {
            return no_fetch(&e);
        }
        // A fetch in flight: use the copy, or fail at once while the issuer
        // is failing; only a first contact waits for its own fetch.
        let in_flight = within(e.started_at, now, IN_FLIGHT_SECS);
        if in_flight && (usable || last_failure.is_some()) {
            return no_fetch(&e);
        }
        if within(e.fetched_at, now, FRESH_SECS) {
            e.kid_refetch_at = Some(now);
        }
        e.started_at = Some(now);
        self.store(issuer, &e);
        let result = fetch(p, issuer, allow_loopback).await;
        // Others may have written meanwhile: keep their outcome unless this is newer.
        let mut e = self.0.borrow().peek(issuer).cloned().unwrap_or(e);
        e.started_at = None;
        match result {
            Ok(keys) => {
                e.keys = Rc::new(keys);
                e.fetched_at = Some(now);
                e.failed = None;
                self.store(issuer, &e);
                Ok(e.keys)
            }
            Err(why) => {
                // Remembered from when it failed: a timeout ends seconds after `now`.
                let failed_at = p.now_ms().div_euclid(1000).max(now);
                e.failed = Some((failed_at, why.clone()));
                self.store(issuer, &e);
                // A stale copy only helps a kid it holds: any other kid cannot be checked
                // while the issuer fails, which is the issuer's failure (retryable), not a bad token.
                if usable {
                    let f = serde_json::json!({"issuer": issuer, "reason": chain(&why)});
                    p.log(
                        Level::Warn,
                        &crate::log::line(Level::Warn, "jwks refresh failed, using cached keys", f),
                    );
                    return Ok(e.keys);
                }
                Err(why)
            }
        }
    }

    fn store(&self, issuer: &str, e: &Entry) {
        self.0.borrow_mut().insert(issuer.to_string(), e.clone());
    }
}

/// Why an issuer's keys could not be had (log text; the client sees
/// IDPCommunicationError). Remembered for a while, so cheap to clone.
#[derive(Clone, thiserror::Error)]
pub enum IdpError {
    #[error("{url}")]
    Unreachable {
        url: String,
        #[source]
        source: ProxyError,
    },
    #[error("{url}: status {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: not UTF-8")]
    NotUtf8 { url: String },
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Jwks(#[from] JwksError),
}

crate::error::debug_as_display!(IdpError);

async fn get_text<P: Platform>(p: &P, url: &str) -> Result<String, IdpError> {
    let req = OutboundRequest {
        method: "GET",
        url: url.to_string(),
        headers: vec![("accept".into(), "application/json".into())],
        timeout_ms: TIMEOUT_MS,
        body: None,
    };
    let started = p.now_ms();
    let unreachable = |source| IdpError::Unreachable {
        url: url.to_string(),
        source,
    };
    let resp = p.fetch(req).await.map_err(unreachable)?;
    if resp.status != 200 {
        return Err(IdpError::Status {
            url: url.to_string(),
            status: resp.status,
        });
    }
    let body = match resp.body {
        Some(b) => p
            .read_body(b, MAX_JWKS_BYTES, remaining_ms(TIMEOUT_MS, started, p.now_ms()))
            .await
            .map_err(unreachable)?,
        None => Vec::new(),
    };
    String::from_utf8(body).map_err(|_| IdpError::NotUtf8 { url: url.to_string() })
}

async fn fetch<P: Platform>(p: &P, issuer: &str, allow_loopback: bool) -> Result<Vec<Jwk>, IdpError> {
    let discovery = parse_discovery(&get_text(p, &discovery_url(issuer)).await?, issuer, allow_loopback)?;
    Ok(parse_jwks(&get_text(p, &discovery.jwks_uri).await?)?)
}

#[cfg(test)]
mod tests;

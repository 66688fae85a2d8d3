//! Federated backend credentials (issue 5 item 4): an S3 backend
//! configured with a web-identity role reads with temporary credentials that
//! the proxy obtains itself. It mints an RS256 assertion with its own OIDC
//! provider key (`iss` = its issuer, `sub` = the configured subject, `aud` =
//! the STS audience), exchanges it at an AWS-compatible STS endpoint
//! (`AssumeRoleWithWebIdentity`, see [`sts`]), keeps the answer per isolate
//! and renews it ahead of expiry.
//!
//! Renewal never makes a request wait for another one: while a credential is
//! valid, one request renews it and every other request keeps using the
//! current one; a failed renewal keeps the current one too (and is retried
//! [`RETRY_AFTER_FAILURE_MS`] later). Only a request that finds nothing valid
//! fetches, and it fetches for itself.

mod config;
mod sts;

#[cfg(test)]
mod tests;

use std::cell::{Cell, RefCell};

use serde_json::json;

pub use config::{WebIdentity, WebIdentityDoc, WebIdentityError, DEFAULT_AUDIENCE, DEFAULT_DURATION_SECS};
pub use sts::{parse_answer, StsAnswer, STS_TIMEOUT_MS};

use crate::bounded::{BoundedMap, Cost, Stats};
use crate::error::{ApiError, Detail, ProxyError, Result};
use crate::log::Level;
use crate::platform::Platform;
use crate::secret::Secret;
use crate::sigv4::Credentials;

/// A credential is renewed once it has less than this left (AWS SDKs use 5 min too).
pub const REFRESH_AHEAD_MS: i64 = 5 * 60 * 1000;
/// A credential with less than this left is not used at all: the request
/// signed with it must still reach the backend before it expires.
pub const MIN_REMAINING_MS: i64 = 60 * 1000;
/// After a failed renewal (with a still-valid credential) the next attempt waits this long.
pub const RETRY_AFTER_FAILURE_MS: i64 = 30 * 1000;
/// Web identities with credentials held per isolate: they come from the
/// static catalog only, so this is far above any configuration; the least
/// recently used goes first (it exchanges again when next used).
pub const FEDERATION_MAX_SLOTS: usize = 256;
/// Bytes of credentials per isolate (under 1% of its 128 MB): 256 slots of
/// AWS-sized session tokens (~1-2 KB) fit with room to spare.
pub const FEDERATION_MAX_BYTES: usize = 1 << 20;

/// Where the assertion comes from: the proxy's own OIDC provider (the
/// request pipeline implements it with the isolate's signer and token cache).
#[allow(async_fn_in_trait)] // single-threaded runtime: futures need not be Send
pub trait AssertionSource {
    /// A signed JWT with `sub` = `subject` and `aud` = `audience`.
    async fn assertion(&self, subject: &str, audience: &str) -> Result<Secret>;
}

/// Temporary credentials and when they expire.
#[derive(Debug, Clone)]
pub struct Temporary {
    pub credentials: Credentials,
    /// Unix milliseconds.
    pub expires_ms: i64,
}

#[derive(Default)]
struct Slot {
    current: Option<Temporary>,
    /// A renewal is under way (by some request); others do not start one.
    refreshing: bool,
    /// No renewal before this time (after a failed one).
    retry_at_ms: i64,
}

impl Cost for Slot {
    fn cost(&self) -> usize {
        let creds = self.current.as_ref().map_or(0, |t| {
            let c = &t.credentials;
            c.access_key_id.len()
                + c.secret_access_key.expose().len()
                + c.session_token.as_ref().map_or(0, |s| s.expose().len())
        });
        size_of::<Self>() + creds
    }
}

/// The isolate's temporary credentials, one slot per web identity (role,
/// subject, and everything else that shapes the exchange).
pub struct FederationCache {
    slots: RefCell<BoundedMap<Vec<u8>, Slot>>,
    exchanges: Cell<u64>,
}

impl Default for FederationCache {
    fn default() -> Self {
        FederationCache {
            slots: RefCell::new(BoundedMap::new(FEDERATION_MAX_SLOTS, FEDERATION_MAX_BYTES)),
            exchanges: Cell::new(0),
        }
    }
}

impl std::fmt::Debug for FederationCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Credentials are secrets: only counts here.
        f.debug_struct("FederationCache")
            .field("slots", &self.slots.borrow().len())
            .field("exchanges", &self.exchanges.get())
            .finish()
    }
}

/// Clears the `refreshing` mark however the renewal ends, even when the
/// request doing it is dropped mid-way (client gone): the next request may
/// then renew.
struct RefreshMark<'a> {
    cache: &'a FederationCache,
    key: &'a [u8],
}

impl Drop for RefreshMark<'_> {
    fn drop(&mut self) {
        // Evicted meanwhile: nothing to clear.
        let _ = self
            .cache
            .slots
            .borrow_mut()
            .update(self.key, |slot| slot.refreshing = false);
    }
}

enum Plan {
    Use(Credentials),
    /// Renew; on failure fall back to this still-valid credential.
    Refresh(Temporary),
    /// Nothing valid: this request fetches for itself.
    Fetch,
}

impl FederationCache {
    /// Credentials for `wi`: the current ones, renewed ahead of expiry.
    pub async fn credentials<P: Platform, A: AssertionSource>(
        &self,
        p: &P,
        source: &A,
        wi: &WebIdentity,
    ) -> Result<Credentials> {
        let key = wi.cache_key();
        let now = p.now_ms();
        let plan = self.with_slot(key, |slot| match &slot.current {
            Some(t) if t.expires_ms - now > REFRESH_AHEAD_MS => Plan::Use(t.credentials.clone()),
            Some(t) if t.expires_ms - now > MIN_REMAINING_MS => {
                if slot.refreshing || now < slot.retry_at_ms {
                    Plan::Use(t.credentials.clone())
                } else {
                    slot.refreshing = true;
                    Plan::Refresh(t.clone())
                }
            }
            _ => Plan::Fetch,
        });
        let fallback = match plan {
            Plan::Use(c) => return Ok(c),
            Plan::Refresh(t) => Some(t),
            Plan::Fetch => None,
        };
        let _mark = fallback.is_some().then_some(RefreshMark { cache: self, key });
        self.exchanges.set(self.exchanges.get().saturating_add(1));
        let result = sts::assume_role(p, source, wi).await;
        self.with_slot(key, |slot| match (result, fallback) {
            (Ok(t), _) => {
                log_obtained(p, wi, &t);
                let newer = slot.current.as_ref().is_none_or(|c| t.expires_ms >= c.expires_ms);
                if newer {
                    slot.current = Some(t.clone());
                }
                slot.retry_at_ms = 0;
                Ok(t.credentials)
            }
            (Err(e), Some(current)) => {
                let now = p.now_ms();
                slot.retry_at_ms = now.saturating_add(RETRY_AFTER_FAILURE_MS);
                let f = json!({
                    "backend": wi.backend,
                    "role_arn": wi.role_arn,
                    "subject": wi.subject,
                    "reason": e.detail().unwrap_or_else(|| e.code().as_str().into()),
                    "current_expires_in_secs": (current.expires_ms - now).div_euclid(1000),
                    "retry_in_secs": RETRY_AFTER_FAILURE_MS / 1000,
                });
                p.log(
                    Level::Warn,
                    &crate::log::line(
                        Level::Warn,
                        "federated credentials renewal failed; using the current ones",
                        f,
                    ),
                );
                Ok(current.credentials)
            }
            (Err(e), None) => Err(e),
        })
    }

    /// Runs `f` on the slot of `key` (created if needed) and accounts for its
    /// new size. A slot that cannot be kept (a key over the cache's bound)
    /// is a fresh one each time: nothing is reused, nothing breaks.
    fn with_slot<R>(&self, key: &[u8], f: impl FnOnce(&mut Slot) -> R) -> R {
        let mut slots = self.slots.borrow_mut();
        if !slots.contains_key(key) {
            slots.insert(key.to_vec(), Slot::default());
        }
        slots.update(key, f).unwrap_or_else(|f| f(&mut Slot::default()))
    }

    /// Forgets the credentials of `wi` whose access key id is
    /// `access_key_id` (the backend rejected them), so that the next request
    /// fetches new ones. Newer credentials stored meanwhile stay.
    pub fn forget(&self, wi: &WebIdentity, access_key_id: &str) {
        let _ = self.slots.borrow_mut().update(wi.cache_key(), |slot| {
            if slot
                .current
                .as_ref()
                .is_some_and(|t| t.credentials.access_key_id == access_key_id)
            {
                slot.current = None;
            }
        });
    }

    pub fn stats(&self) -> Stats {
        self.slots.borrow().stats()
    }

    /// Exchanges attempted so far (successful or not), for tests and benchmarks.
    pub fn exchanges(&self) -> u64 {
        self.exchanges.get()
    }
}

fn log_obtained<P: Platform>(p: &P, wi: &WebIdentity, t: &Temporary) {
    // The access key id is an identifier (it names the session in the
    // provider's audit trail), not a secret; the secret and token never appear.
    let f = json!({
        "backend": wi.backend,
        "role_arn": wi.role_arn,
        "subject": wi.subject,
        "session_name": wi.session_name,
        "access_key_id": t.credentials.access_key_id,
        "expires_in_secs": (t.expires_ms - p.now_ms()).div_euclid(1000),
    });
    p.log(
        Level::Info,
        &crate::log::line(Level::Info, "federated credentials obtained", f),
    );
}

/// The error for a federated backend whose credentials cannot be had.
pub(crate) fn failure(wi: &WebIdentity, kind: FailureKind, why: &str) -> ProxyError {
    failure_of(kind, Detail::new(failure_text(wi, why)))
}

/// [`failure`] with the error that caused it, which the log shows after `why`.
pub(crate) fn failure_caused(
    wi: &WebIdentity,
    kind: FailureKind,
    why: &str,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> ProxyError {
    failure_of(kind, Detail::caused(failure_text(wi, why), cause))
}

fn failure_text(wi: &WebIdentity, why: &str) -> String {
    format!(
        "federated credentials for backend {} (role {}, subject {}) from {}: {why}",
        wi.backend, wi.role_arn, wi.subject, wi.sts_endpoint
    )
}

fn failure_of(kind: FailureKind, detail: Detail) -> ProxyError {
    match kind {
        FailureKind::Unavailable => ProxyError::Unavailable(detail),
        FailureKind::Refused => ProxyError::Misconfigured(detail),
        FailureKind::Garbage => ProxyError::Backend(detail),
    }
}

/// How an exchange failed, which decides the client's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// Timeout, network, 5xx, throttling: 503, retryable.
    Unavailable,
    /// The STS refused (trust policy, audience, role): 503 too, since the
    /// backend is unusable until an operator fixes it.
    Refused,
    /// A 200 that is not usable credentials, or an unexpected status: 502.
    Garbage,
}

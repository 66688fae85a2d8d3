//! Opened session tokens, per isolate. A client signs many requests with one
//! session; opening its token (base64, AES-256-GCM, JSON, ceiling and policy
//! parsing) and deriving the SigV4 signing key are the same work each time.
//!
//! The key is the exact access key id and token bytes, so only the very
//! token that was opened (under this isolate's keys, which never change)
//! finds its entry: a different token with the same access key id misses
//! and is opened on its own. What is skipped is only the opening: expiry is
//! checked on every use and every request's signature is still recomputed.
//! Entries are inserted only after a request signed with them verified.

use std::cell::RefCell;
use std::rc::Rc;

use crate::bounded::{BoundedMap, Cost, Stats};
use crate::secret::Secret;
use crate::sigv4::signing_key;

/// Sessions kept per isolate. A token is at most 4 KiB (`MAX_TOKEN_LEN`), so
/// a full cache holds at most ~4 MiB by the byte bound whatever the mix.
pub const MAX_SESSIONS: usize = 512;
pub const MAX_BYTES: usize = 4 << 20;

/// A token once opened: the caller it proves (`P`: what the layers above
/// make of the session, `authz::SessionPrincipal`), its secret and expiry,
/// and the signing key last derived from the secret.
pub struct Opened<P> {
    /// Shared with the requests signed by this session: none copies it.
    pub principal: Rc<P>,
    secret: Secret,
    expires_at: i64,
    /// Length of the token, which bounds the sealed JSON (for the cost).
    token_len: usize,
    /// `(date8/region/service, kSigning)`: clients sign a day's requests in
    /// one scope, so one key per session is enough.
    signing: RefCell<Option<(String, [u8; 32])>>,
}

impl<P> Opened<P> {
    pub fn new(principal: P, secret: Secret, expires_at: i64, token_len: usize) -> Self {
        Opened {
            principal: Rc::new(principal),
            secret,
            expires_at,
            token_len,
            signing: RefCell::new(None),
        }
    }

    /// Whether the session is still valid at `now` (Unix seconds), as `unseal` decides.
    pub fn valid_at(&self, now: i64) -> bool {
        now < self.expires_at
    }

    /// The SigV4 signing key of this session's secret for a scope.
    pub fn signing_key(&self, date8: &str, region: &str, service: &str) -> [u8; 32] {
        let scope = crate::sigv4::scope(date8, region, service);
        if let Some((cached, key)) = self.signing.borrow().as_ref() {
            if *cached == scope {
                return *key;
            }
        }
        let key = signing_key(self.secret.expose(), date8, region, service);
        *self.signing.borrow_mut() = Some((scope, key));
        key
    }
}

impl<P> Cost for Rc<Opened<P>> {
    /// Generously: the principal's strings, claims and policy come from the
    /// sealed JSON, itself shorter than the token; their parsed form is
    /// counted at three times that, plus the principal's own fields (behind
    /// its `Rc`), the signing key and its scope.
    fn cost(&self) -> usize {
        size_of::<Opened<P>>() + size_of::<P>() + 3 * self.token_len + 128
    }
}

/// The cache key of a token presented with an access key id: both whole,
/// the id's length first so that no two pairs give the same key.
pub fn cache_key(access_key_id: &str, token: &str) -> String {
    format!("{}:{access_key_id}{token}", access_key_id.len())
}

/// The per-isolate cache (interior mutability: no borrow lives across an await).
pub struct SessionCache<P>(RefCell<BoundedMap<String, Rc<Opened<P>>>>);

impl<P> Default for SessionCache<P> {
    fn default() -> Self {
        SessionCache(RefCell::new(BoundedMap::new(MAX_SESSIONS, MAX_BYTES)))
    }
}

impl<P> std::fmt::Debug for SessionCache<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Entries hold secrets: counts only.
        write!(f, "SessionCache({} sessions)", self.0.borrow().len())
    }
}

impl<P> SessionCache<P> {
    pub fn get(&self, key: &str) -> Option<Rc<Opened<P>>> {
        self.0.borrow_mut().get(key).cloned()
    }

    pub fn insert(&self, key: String, opened: Rc<Opened<P>>) {
        self.0.borrow_mut().insert(key, opened);
    }

    pub fn remove(&self, key: &str) {
        self.0.borrow_mut().remove(key);
    }

    pub fn stats(&self) -> Stats {
        self.0.borrow().stats()
    }
}

#[cfg(test)]
mod tests;

//! Identity-scoped caching of catalog answers.
//!
//! A cache key is the catalog URL plus an INJECTIVE encoding of the identity
//! the answer was given to, so one identity's answer can never be served to
//! another:
//!
//! ```text
//! https://catalog-cache.invalid/v1/anon/<hex(url)>
//! https://catalog-cache.invalid/v1/p-<hex(issuer)>-<hex(subject)>-<hex(role)>/<hex(url)>
//! ```
//!
//! Hex digits are `[0-9a-f]` only, so `-` and `/` separate the fields
//! unambiguously and `anon` (no `-`) can never equal a principal's segment:
//! the key can be decoded back into (identity, url), which is what makes the
//! encoding injective (the tests decode every key they build). Nothing a
//! subject contains (`&`, `#`, `?`, `/`, `%`, spaces, unicode) can become URL
//! syntax, and the Cache API has nothing in the path to normalise.
//!
//! Two layers: a bounded per-isolate [`MemoryCache`], then a [`SharedCache`]
//! (the Workers Cache API at the edge). Entries are stored in an envelope
//! carrying their absolute expiry, so a copy coming back from the shared layer
//! is never kept past the TTL it was first stored with.

use std::cell::RefCell;

use crate::bounded::{BoundedMap, Cost, Stats};

const KEY_BASE: &str = "https://catalog-cache.invalid/v1/";
/// Keys longer than this are not cached at all (absurdly long subjects).
pub const MAX_KEY_LEN: usize = 4096;
const ENVELOPE_MAGIC: &[u8; 6] = b"ODPC1\n";
const ENVELOPE_LEN: usize = ENVELOPE_MAGIC.len() + 8;

/// Whom an answer was given to: the principal the catalog call was made for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity<'a> {
    /// A caller without credentials (the minted token's `sub` is `anonymous`).
    Anonymous,
    /// A session principal: its original issuer, subject and STS role (the
    /// minted token carries the role too, so answers are kept per role).
    Principal {
        issuer: &'a str,
        subject: &'a str,
        role: &'a str,
    },
}

/// The kinds of catalog answers, each with its TTL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    ProductList,
    Product,
    DataConnection,
    Permissions,
}

impl AnswerKind {
    pub fn ttl_secs(self) -> u32 {
        match self {
            AnswerKind::Product | AnswerKind::DataConnection => 300,
            AnswerKind::ProductList | AnswerKind::Permissions => 60,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnswerKind::ProductList => "product list",
            AnswerKind::Product => "product",
            AnswerKind::DataConnection => "data connection",
            AnswerKind::Permissions => "permissions",
        }
    }
}

/// The cache key of the answer to `url` for `identity`, or `None` when it
/// would be longer than [`MAX_KEY_LEN`] (such answers are simply not cached).
pub fn cache_key(identity: Identity<'_>, url: &str) -> Option<String> {
    let principal_len = match identity {
        Identity::Anonymous => 4,
        Identity::Principal { issuer, subject, role } => 4 + 2 * (issuer.len() + subject.len() + role.len()),
    };
    if KEY_BASE.len() + principal_len + 1 + 2 * url.len() > MAX_KEY_LEN {
        return None;
    }
    let mut key = String::with_capacity(MAX_KEY_LEN);
    key.push_str(KEY_BASE);
    match identity {
        Identity::Anonymous => key.push_str("anon"),
        Identity::Principal { issuer, subject, role } => {
            key.push_str("p-");
            key.push_str(&hex::encode(issuer));
            key.push('-');
            key.push_str(&hex::encode(subject));
            key.push('-');
            key.push_str(&hex::encode(role));
        }
    }
    key.push('/');
    key.push_str(&hex::encode(url));
    Some(key)
}

/// Wraps an answer with its absolute expiry (seconds since the epoch).
pub fn seal_entry(expires_at: i64, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(ENVELOPE_LEN + body.len());
    v.extend_from_slice(ENVELOPE_MAGIC);
    v.extend_from_slice(&expires_at.to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// The answer inside an envelope, if it is one and has not expired at `now`.
pub fn open_entry(entry: &[u8], now: i64) -> Option<(i64, &[u8])> {
    let rest = entry.strip_prefix(ENVELOPE_MAGIC.as_slice())?;
    let (exp, body) = rest.split_first_chunk::<8>()?;
    let expires_at = i64::from_be_bytes(*exp);
    (now < expires_at).then_some((expires_at, body))
}

/// A cache shared between isolates (the Workers Cache API at the edge).
/// Best effort: a failure is a miss, never an error.
#[allow(async_fn_in_trait)] // single-threaded runtime: futures need not be Send
pub trait SharedCache {
    async fn cache_get(&self, key: &str) -> Option<Vec<u8>>;
    async fn cache_put(&self, key: &str, body: &[u8], ttl_secs: u32);
}

/// The runtime's shared cache (`Platform::cache_get`/`cache_put`).
pub struct PlatformCache<'a, P>(pub &'a P);

impl<P: crate::platform::Platform> SharedCache for PlatformCache<'_, P> {
    async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.0.cache_get(key).await
    }

    async fn cache_put(&self, key: &str, body: &[u8], ttl_secs: u32) {
        self.0.cache_put(key, body, ttl_secs).await;
    }
}

/// Per-isolate cache of answers, bounded in entries and bytes; when full the
/// least recently used answer goes, so a flood of principals cannot push out
/// the answers in use. An expired answer is dropped when it is next read.
#[derive(Debug)]
pub struct MemoryCache {
    inner: RefCell<BoundedMap<String, Answer>>,
}

/// Answers per isolate: one per (principal, catalog URL).
pub const MEMORY_MAX_ENTRIES: usize = 1024;
/// Bytes of answers per isolate (6% of its 128 MB); an answer over an eighth
/// of it (1 MiB, e.g. a huge product list) is not kept in memory.
pub const MEMORY_MAX_BYTES: usize = 8 << 20;

#[derive(Debug)]
struct Answer {
    expires_at: i64,
    body: Vec<u8>,
}

impl Cost for Answer {
    fn cost(&self) -> usize {
        size_of::<Self>() + self.body.len()
    }
}

impl Default for MemoryCache {
    fn default() -> Self {
        Self::new(MEMORY_MAX_ENTRIES, MEMORY_MAX_BYTES)
    }
}

impl MemoryCache {
    pub fn new(max_entries: usize, max_bytes: usize) -> Self {
        Self {
            inner: RefCell::new(BoundedMap::new(max_entries, max_bytes)),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn stats(&self) -> Stats {
        self.inner.borrow().stats()
    }

    /// The fresh answer under `key` (an expired one is dropped).
    pub fn get(&self, key: &str, now: i64) -> Option<Vec<u8>> {
        let mut e = self.inner.borrow_mut();
        let fresh = match e.peek(key) {
            None => return None,
            Some(a) => now < a.expires_at,
        };
        if !fresh {
            e.remove(key);
            return None;
        }
        e.get(key).map(|a| a.body.clone())
    }

    /// Stores an answer until `expires_at`. An entry bigger than an eighth
    /// of the byte bound is not stored.
    pub fn put(&self, key: &str, body: &[u8], expires_at: i64, now: i64) {
        if expires_at <= now {
            return;
        }
        let answer = Answer {
            expires_at,
            body: body.to_vec(),
        };
        self.inner.borrow_mut().insert(key.to_string(), answer);
    }
}

#[cfg(test)]
mod tests;

//! Minting with reuse: a token for (sub, aud, role, idp) is served
//! again while it has [`REUSE_MIN_REMAINING_SECS`] of validity left, so most
//! requests sign nothing. The cache lives per isolate (single-threaded), so a
//! `RefCell` suffices; no borrow is held across the signer's await, so a mint
//! in flight never blocks another request (two may mint the same token at
//! once: harmless, the later one is kept).

use std::cell::{Cell, RefCell};

use super::claims::{claims_json, compact, header_json, new_jti, signing_input, MintRequest, TOKEN_TTL_SECS};
use super::{ProviderKeys, Rs256Signer, SignError};
use crate::bounded::{BoundedMap, Cost, Stats};

/// A token with less validity left than this is renewed: enough for the
/// catalog call it is used for plus clock skew between us and the catalog.
pub const REUSE_MIN_REMAINING_SECS: i64 = 30;
/// Principals with a token cached per isolate; past it the least recently used
/// goes (it signs again when it comes back), so a flood of subjects cannot
/// evict the principals in use.
pub const TOKEN_CACHE_MAX_ENTRIES: usize = 4096;
/// Bytes of cached tokens per isolate (3% of its 128 MB): about 1,000 tokens of
/// subjects at the STS's 1024-byte limit, about 3,900 of ordinary ones (the soak
/// measured 1,065 bytes each).
pub const TOKEN_CACHE_MAX_BYTES: usize = 4 << 20;

/// Why no token could be minted.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("no randomness for jti: {0}")]
    Random(getrandom::Error),
    #[error(transparent)]
    Sign(#[from] SignError),
}

crate::error::debug_as_display!(MintError);

/// Signs one fresh token for `req`, issued at `now_secs` (Unix seconds).
pub async fn mint<S: Rs256Signer>(
    signer: &S,
    keys: &ProviderKeys,
    req: &MintRequest,
    now_secs: i64,
    ttl_secs: i64,
) -> Result<String, MintError> {
    let header = header_json(&keys.active().kid);
    let claims = claims_json(
        keys.issuer(),
        req,
        now_secs,
        ttl_secs,
        &new_jti().map_err(MintError::Random)?,
    );
    let input = signing_input(&header, &claims);
    let sig = signer.sign(input.as_bytes()).await?;
    Ok(compact(&input, &sig))
}

struct Cached {
    token: String,
    exp: i64,
    /// The key that signed it: never serve a token under a kid no longer active.
    kid: String,
}

impl Cost for Cached {
    fn cost(&self) -> usize {
        size_of::<Self>() + self.token.len() + self.kid.len()
    }
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens are bearer credentials: never in Debug output.
        f.debug_struct("TokenCache")
            .field("ttl_secs", &self.ttl_secs)
            .field("entries", &self.len())
            .field("signatures", &self.signatures())
            .finish()
    }
}

/// Per-isolate token cache plus a count of signatures (for the benchmark:
/// signatures per 1000 requests).
pub struct TokenCache {
    ttl_secs: i64,
    entries: RefCell<BoundedMap<Vec<u8>, Cached>>,
    signatures: Cell<u64>,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenCache {
    /// Tokens of [`TOKEN_TTL_SECS`].
    pub fn new() -> Self {
        Self::with_ttl(TOKEN_TTL_SECS)
    }

    /// Tokens valid `ttl_secs`; below [`REUSE_MIN_REMAINING_SECS`] none is reused.
    pub fn with_ttl(ttl_secs: i64) -> Self {
        TokenCache {
            ttl_secs,
            entries: RefCell::new(BoundedMap::new(TOKEN_CACHE_MAX_ENTRIES, TOKEN_CACHE_MAX_BYTES)),
            signatures: Cell::new(0),
        }
    }

    /// A token for `req`: the cached one while `exp - now >= 30 s`, else a new one.
    pub async fn token<S: Rs256Signer>(
        &self,
        signer: &S,
        keys: &ProviderKeys,
        req: &MintRequest,
        now_secs: i64,
    ) -> Result<String, MintError> {
        let slot = cache_key(req);
        let kid = &keys.active().kid;
        if let Some(c) = self.entries.borrow_mut().get(&slot) {
            if c.exp.saturating_sub(now_secs) >= REUSE_MIN_REMAINING_SECS && c.kid == *kid {
                return Ok(c.token.clone());
            }
        }
        let token = mint(signer, keys, req, now_secs, self.ttl_secs).await?;
        self.signatures.set(self.signatures.get().saturating_add(1));
        let exp = now_secs.saturating_add(self.ttl_secs);
        // A token too large to cache (a huge subject) is still returned, just not kept.
        self.entries.borrow_mut().insert(
            slot,
            Cached {
                token: token.clone(),
                exp,
                kid: kid.clone(),
            },
        );
        Ok(token)
    }

    /// Signatures made so far by this cache.
    pub fn signatures(&self) -> u64 {
        self.signatures.get()
    }

    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    pub fn stats(&self) -> Stats {
        self.entries.borrow().stats()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An injective encoding of (sub, aud, role, idp): each field is a presence
/// byte then, if present, its length (8 bytes) and bytes. No separator is
/// involved, so no subject (`"a|b"`, `"a\0b"`, …) can alias another tuple,
/// and `None` differs from `Some("")`.
fn cache_key(req: &MintRequest) -> Vec<u8> {
    let fields = [Some(&req.sub), Some(&req.aud), req.role.as_ref(), req.idp.as_ref()];
    let mut out = Vec::with_capacity(fields.iter().flatten().map(|f| f.len() + 9).sum::<usize>() + 4);
    for field in fields {
        match field {
            None => out.push(0),
            Some(s) => {
                out.push(1);
                out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                out.extend_from_slice(s.as_bytes());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;

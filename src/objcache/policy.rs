//! What may be cached and for how long, the cache keys, the stored form of an
//! object's metadata and the `Cache-Control` an answer carries.

use serde_json::Value;

use crate::json::{self, Obj, ObjWriter};
use crate::platform::ObjectMeta;

pub const MIB: u64 = 1 << 20;
/// Bounds of the block size: an entry is held in memory while it is filled.
pub const MIN_BLOCK: u64 = MIB;
pub const MAX_BLOCK: u64 = 8 * MIB;
pub const DEFAULT_BLOCK: u64 = 2 * MIB;
/// Objects up to this size are kept whole (at most [`MAX_BLOCK`]).
pub const DEFAULT_WHOLE_MAX: u64 = 4 * MIB;
/// How long an object's metadata (and so its version) is trusted.
pub const DEFAULT_TTL_SECS: u32 = 300;
pub const MAX_TTL_SECS: u32 = 7 * 86_400;
/// Blocks are tied to one ETag, so they never go stale; this only bounds
/// how long unused ones occupy the cache.
pub const BLOCK_TTL_SECS: u32 = 86_400;
/// What a downstream cache (a browser, a CDN in front of a client) is told
/// at most: a product that turns restricted is refused here at once, but
/// copies outside the proxy live until their max-age.
pub const DOWNSTREAM_MAX_AGE: u32 = 60;
/// How long the Cache API keeps an object's metadata past its TTL: expired,
/// it still names the version whose blocks may be cached, so the next read
/// revalidates it with a `HEAD` instead of fetching those blocks again.
pub const META_KEEP_SECS: u32 = BLOCK_TTL_SECS;
/// An answer needing more blocks than this skips the cache (a whole large
/// object: streamed from the backend as without the cache).
pub const MAX_BLOCKS_PER_ANSWER: u64 = 16;

/// The cache's configuration (`OBJECT_CACHE*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub enabled: bool,
    pub block: u64,
    pub whole_max: u64,
    pub ttl_secs: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            // Opt-in (`OBJECT_CACHE=on`, as wrangler.toml sets it): cached
            // objects are served up to their TTL after a change.
            enabled: false,
            block: DEFAULT_BLOCK,
            whole_max: DEFAULT_WHOLE_MAX,
            ttl_secs: DEFAULT_TTL_SECS,
        }
    }
}

impl Settings {
    /// From the environment; a bad value keeps its default and says why.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>, warnings: &mut Vec<String>) -> Self {
        let mut s = Self::default();
        if let Some(v) = env("OBJECT_CACHE") {
            match v.trim() {
                "on" => s.enabled = true,
                "off" | "" => {}
                other => warnings.push(format!("OBJECT_CACHE {other:?} is not on|off; the cache stays off")),
            }
        }
        let mut number = |name: &str, lo: u64, hi: u64, into: &mut u64| {
            if let Some(v) = env(name) {
                match v.trim().parse::<u64>() {
                    Ok(n) if (lo..=hi).contains(&n) => *into = n,
                    _ => warnings.push(format!("{name} {v:?} is not a number in {lo}..={hi}; using {into}")),
                }
            }
        };
        number("OBJECT_CACHE_BLOCK_BYTES", MIN_BLOCK, MAX_BLOCK, &mut s.block);
        number("OBJECT_CACHE_WHOLE_MAX_BYTES", 0, MAX_BLOCK, &mut s.whole_max);
        let mut ttl = u64::from(s.ttl_secs);
        number("OBJECT_CACHE_TTL_SECS", 0, u64::from(MAX_TTL_SECS), &mut ttl);
        s.ttl_secs = u32::try_from(ttl).unwrap_or(DEFAULT_TTL_SECS);
        s
    }
}

/// A product's cache settings in the catalog.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductCache {
    /// Seconds an object's version is trusted; `0` disables caching the
    /// product; absent: `OBJECT_CACHE_TTL_SECS`.
    pub ttl_secs: Option<u32>,
    /// Part of every key: raising it purges the product's cached objects.
    pub generation: u32,
}

impl ProductCache {
    /// `{"ttl_secs"?, "generation"?}`, nothing else.
    pub fn from_value(v: Value) -> json::Result<Self> {
        let mut o = Obj::new(v)?;
        let c = ProductCache {
            ttl_secs: o.opt("ttl_secs", json::u32)?,
            generation: o.or_default("generation", json::u32)?,
        };
        o.end()?;
        Ok(c)
    }
}

/// Whether the backend lets an answer be kept: not when its `Cache-Control`
/// says `private`, `no-store` or `no-cache` (the last would need a
/// revalidation per read, which a cache keyed by ETag does not do).
pub fn storable(meta: &ObjectMeta) -> bool {
    !meta.cache_control.as_deref().is_some_and(|cc| {
        cc.split(',').any(|d| {
            let d = d.trim().split('=').next().unwrap_or("").trim();
            ["private", "no-store", "no-cache"]
                .iter()
                .any(|x| d.eq_ignore_ascii_case(x))
        })
    })
}

/// The `Cache-Control` of an answer from a cacheable product: the object's
/// own when it has one (as S3 sends it), otherwise how long a downstream
/// cache may keep it.
pub fn downstream_cache_control(meta: &ObjectMeta, ttl: u32) -> Option<String> {
    match &meta.cache_control {
        Some(_) => None,
        None => Some(format!("public, max-age={}", ttl.min(DOWNSTREAM_MAX_AGE))),
    }
}

const KEY_BASE: &str = "https://object-cache.invalid/v1/";

/// The key of an object in the cache: generation, account, product and
/// backend key, each hex-encoded so that the fields cannot run into each
/// other (the key decodes back into them) and nothing in a name becomes URL
/// syntax for the Cache API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectKey(String);

impl ObjectKey {
    pub fn new(generation: u32, account: &str, product: &str, backend_key: &str) -> Self {
        Self(format!(
            "{KEY_BASE}g{generation}/{}/{}/{}",
            hex::encode(account),
            hex::encode(product),
            hex::encode(backend_key)
        ))
    }

    pub fn meta(&self) -> String {
        format!("{}/meta", self.0)
    }

    /// Entry `index` of the version `etag` cut by `layout` (block size in the
    /// key: a changed setting never reads entries of another cut).
    pub fn entry(&self, etag: &str, whole: bool, block: u64, index: u64) -> String {
        match whole {
            true => format!("{}/w/{}", self.0, hex::encode(etag)),
            false => format!("{}/b/{}/{block}/{index}", self.0, hex::encode(etag)),
        }
    }
}

/// An object's metadata as the cache keeps it, with its absolute expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMeta {
    pub expires_at_ms: i64,
    /// `false`: the backend forbids caching this object; reads go straight
    /// to the backend without asking for its metadata first.
    pub storable: bool,
    pub object: ObjectMeta,
}

impl StoredMeta {
    pub fn new(meta: &ObjectMeta, expires_at_ms: i64) -> Self {
        Self {
            expires_at_ms,
            storable: storable(meta),
            object: meta.clone(),
        }
    }

    pub fn meta(&self) -> ObjectMeta {
        self.object.clone()
    }

    /// Written by hand (src/json.rs) with the bytes serde's derive wrote before, so that
    /// entries stored by either build read in the other: `{"expires_at_ms", "storable",
    /// "object": {"size", "etag", "last_modified_ms", "content_type", ..., "user_metadata":
    /// [[name, value], ...]}}`, absent headers as `null`.
    pub fn encode(&self) -> Vec<u8> {
        let m = &self.object;
        let mut out = Vec::with_capacity(256);
        let mut w = ObjWriter::new(&mut out);
        w.i64("expires_at_ms", self.expires_at_ms)
            .bool("storable", self.storable)
            .obj("object", |w| {
                w.u64("size", m.size)
                    .str("etag", &m.etag)
                    .i64("last_modified_ms", m.last_modified_ms)
                    .opt_str("content_type", m.content_type.as_deref())
                    .opt_str("cache_control", m.cache_control.as_deref())
                    .opt_str("content_encoding", m.content_encoding.as_deref())
                    .opt_str("content_disposition", m.content_disposition.as_deref())
                    .opt_str("content_language", m.content_language.as_deref())
                    .opt_str("expires", m.expires.as_deref())
                    .pairs("user_metadata", &m.user_metadata);
            });
        w.end();
        out
    }

    /// The stored metadata, expired or not. Anything else (another shape, a repeated key)
    /// is `None`: a cache miss.
    pub fn decode_any(bytes: &[u8]) -> Option<Self> {
        json::read(bytes, stored_meta).ok()
    }

    /// Whether it is still within its TTL at `now_ms` (trusted without asking the backend).
    pub fn fresh(&self, now_ms: i64) -> bool {
        now_ms < self.expires_at_ms
    }
}

/// Unknown fields are ignored, as serde's derive did; a header may be absent or `null`.
fn stored_meta(v: Value) -> json::Result<StoredMeta> {
    let mut o = Obj::new(v)?;
    Ok(StoredMeta {
        expires_at_ms: o.req("expires_at_ms", json::i64)?,
        storable: o.req("storable", json::boolean)?,
        object: o.req("object", |v| {
            let mut m = Obj::new(v)?;
            Ok(ObjectMeta {
                size: m.req("size", json::u64)?,
                etag: m.req_str("etag")?,
                last_modified_ms: m.req("last_modified_ms", json::i64)?,
                content_type: m.opt_str("content_type")?,
                cache_control: m.opt_str("cache_control")?,
                content_encoding: m.opt_str("content_encoding")?,
                content_disposition: m.opt_str("content_disposition")?,
                content_language: m.opt_str("content_language")?,
                expires: m.opt_str("expires")?,
                user_metadata: m.req("user_metadata", json::pairs)?,
            })
        })?,
    })
}

#[cfg(test)]
mod tests;

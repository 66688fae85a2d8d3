//! The small interface between the core and a runtime (Workers at the edge,
//! in-memory fakes in tests). Everything here is I/O; everything else is pure.

use crate::error::Result;
use crate::http::Headers;
use crate::log::Level;

/// An object's metadata, whatever backend it came from (the edge cache keeps
/// it as JSON: `objcache::StoredMeta`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    /// Quoted, as in HTTP (`"abc"`).
    pub etag: String,
    pub last_modified_ms: i64,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_encoding: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    pub expires: Option<String>,
    /// `x-amz-meta-*` user metadata, names without the prefix.
    pub user_metadata: Vec<(String, String)>,
}

/// A range resolved against the object: inclusive byte offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{}", self.start, self.end, size)
    }
}

/// One page request to a backend, with backend-absolute keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Exclusive lower bound.
    pub start_after: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub size: u64,
    pub etag: String,
    pub last_modified_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    pub objects: Vec<ListedObject>,
    pub common_prefixes: Vec<String>,
    pub truncated: bool,
}

/// An R2 read: metadata, and the body unless a precondition failed.
pub struct BlobGet<B> {
    pub meta: ObjectMeta,
    pub body: Option<B>,
}

/// An outbound HTTP request (to a backend, a catalog, an issuer or an STS).
#[derive(Clone)]
pub struct OutboundRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// Time allowed for the answer's headers. A small answer read whole with
    /// `read_body` gets what is left of it for the body (see [`remaining_ms`]).
    pub timeout_ms: u32,
    /// A small request body (an STS form), sent as is; `None` sends none.
    pub body: Option<Vec<u8>>,
}

/// Headers whose values are credentials: `Debug` shows only their names.
const REDACTED_HEADERS: [&str; 3] = ["authorization", "x-amz-security-token", "cookie"];

impl std::fmt::Debug for OutboundRequest {
    /// Never prints a body (an STS form holds an assertion) nor a credential
    /// header's value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(n, v)| {
                let hidden = REDACTED_HEADERS.iter().any(|r| n.eq_ignore_ascii_case(r));
                (n.as_str(), if hidden { "***" } else { v.as_str() })
            })
            .collect();
        f.debug_struct("OutboundRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("timeout_ms", &self.timeout_ms)
            .field("body_bytes", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

pub struct InboundResponse<B> {
    pub status: u16,
    pub headers: Headers,
    pub body: Option<B>,
}

/// What is left at `now_ms` of a `budget_ms` that began at `started_ms`: the
/// time a small answer's body gets after its headers, so that headers and
/// body together stay within one timeout. At least 1 ms, so a read still
/// happens and fails cleanly.
pub fn remaining_ms(budget_ms: u32, started_ms: i64, now_ms: i64) -> u32 {
    let spent = now_ms.saturating_sub(started_ms).max(0);
    let left = i64::from(budget_ms).saturating_sub(spent).max(1);
    u32::try_from(left).unwrap_or(budget_ms)
}

// What a runtime splices an edge-cache answer from (`Platform::splice`):
// cached slices, and backend bodies it stores entry by entry as they stream
// by. The arithmetic is `objcache::blocks`; only lengths cross this seam.

/// One part of an answer, in order.
pub enum Piece<B> {
    /// Bytes already cut to what the answer takes (`Platform::blob_get`).
    Stored(B),
    /// A backend body covering whole entries: each complete entry is stored
    /// under its key, and the answer takes what the cutter says.
    Fetched(Fill<B>),
}

pub struct Fill<B> {
    pub body: B,
    pub cutter: Box<dyn ChunkCutter>,
    /// Index of the run's first entry.
    pub first: u64,
    /// The run's entries, first to last.
    pub entries: Vec<Entry>,
}

/// Where one entry goes once complete.
pub struct Entry {
    pub key: String,
    pub ttl_secs: u32,
    /// Dropped once the entry is stored (or abandoned): releases the
    /// requests waiting for it (`inflight::Guard`).
    pub release: Option<Box<dyn std::any::Any>>,
}

/// Where the bytes of one chunk of a backend body go.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cut {
    /// (entry index, part of the chunk, whether this part completes the entry).
    pub to_entries: Vec<(u64, std::ops::Range<usize>, bool)>,
    /// The part of the chunk the answer takes.
    pub to_answer: Option<std::ops::Range<usize>>,
}

/// Follows a backend body chunk by chunk (`objcache::blocks::Cutter`).
pub trait ChunkCutter {
    /// Cuts the next `n` bytes.
    fn feed(&mut self, n: usize) -> Cut;
    /// True once every byte expected has been fed.
    fn done(&self) -> bool;
    /// Before any feed: whether the body is exactly one entry and the answer
    /// takes all of it (a runtime may then hand the body to both without
    /// cutting it).
    fn exact(&self) -> bool {
        false
    }
}

/// The runtime. `Body` is an opaque byte stream the core hands through.
#[allow(async_fn_in_trait)] // single-threaded runtime: futures need not be Send
pub trait Platform {
    type Body;

    fn now_ms(&self) -> i64;
    /// Writes one already-formatted JSON log line.
    fn log(&self, level: Level, line: &str);

    async fn fetch(&self, req: OutboundRequest) -> Result<InboundResponse<Self::Body>>;
    /// Reads a (small) body whole: `Backend` past `limit` bytes, `Unavailable`
    /// when the stream fails or has not ended within `timeout_ms` (a server
    /// that sends headers on time and then trickles must not hold a request).
    async fn read_body(&self, body: Self::Body, limit: usize, timeout_ms: u32) -> Result<Vec<u8>>;

    async fn r2_head(&self, binding: &str, key: &str) -> Result<Option<ObjectMeta>>;
    /// Reads `range` (whole object if `None`); with `if_etag`, the body is
    /// omitted when the object's ETag no longer matches.
    async fn r2_get(
        &self,
        binding: &str,
        key: &str,
        range: Option<ByteRange>,
        if_etag: Option<&str>,
    ) -> Result<Option<BlobGet<Self::Body>>>;
    async fn r2_list(&self, binding: &str, req: &ListRequest) -> Result<ListPage>;

    /// The body stored under `key` (an https URL) in the shared cache (the
    /// Workers Cache API), if any. Best effort: a failure is a miss.
    async fn cache_get(&self, key: &str) -> Option<Vec<u8>>;
    /// Stores `body` under `key` for `ttl_secs`. Best effort: failures are ignored.
    async fn cache_put(&self, key: &str, body: &[u8], ttl_secs: u32);

    /// The edge cache (`objcache`): bytes `within` (relative) of the entry
    /// stored under `key`, as a body, if it is stored. Best effort.
    async fn blob_get(&self, key: &str, within: ByteRange) -> Option<Self::Body>;
    /// An answer's body of `len` bytes from its pieces, in order. A fetched
    /// piece's entries are stored as they complete, while the body streams;
    /// at most one entry is held at a time.
    fn splice(&self, pieces: Vec<Piece<Self::Body>>, len: u64) -> Self::Body;
    /// Resolves after `ms` (bounds a wait for another request's fetch).
    async fn sleep(&self, ms: u32);
}

#[cfg(test)]
mod tests;

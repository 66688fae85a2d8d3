//! The edge cache for public reads: successful reads of `public` and
//! `unlisted` products kept in the runtime's shared cache (the Workers Cache
//! API), after the catalog has authorized the caller, never for a
//! `restricted` product.
//!
//! - [`policy`]: settings, what may be cached, TTLs, keys (with the product's
//!   purge generation), the stored metadata, the answer's `Cache-Control`;
//! - [`blocks`]: objects cut into whole entries or aligned blocks, the plan
//!   of an answer, the cutting of a backend body as it streams;
//! - [`inflight`]: concurrent misses of one entry coalesced per isolate;
//!
//! One read through the cache is `proxy::cached`; the pieces a runtime
//! splices an answer from are `platform::Piece`.
//!
//! docs/ARCHITECTURE.md ("The edge cache") describes the whole.

pub mod blocks;
pub mod inflight;
pub mod policy;

pub use policy::{ProductCache, Settings};

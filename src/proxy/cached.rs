//! A read through the edge cache (`objcache`): the object's metadata (cached, or one backend
//! HEAD), the client's `If-*` and `Range` evaluated on it as S3 would, then
//! the entries the range overlaps: cached ones as they are, missing ones in
//! at most [`MAX_RUNS`](crate::objcache::blocks::MAX_RUNS) backend requests pinned to
//! the metadata's ETag. A backend answering 412 (the object changed) makes
//! the read start over once, before any byte went out, with fresh metadata:
//! an answer is never stitched from two versions.

use std::collections::HashMap;
use std::rc::Rc;

use crate::backend::{Backend, ObjectOutcome, ReadOpts};
use crate::catalog::{Product, Visibility};
use crate::error::{ProxyError, Result};
use crate::objcache::blocks::{plan, Cutter, Layout, Step};
use crate::objcache::inflight::{self, Claim, Guard, InFlight};
use crate::objcache::policy::{ObjectKey, Settings, StoredMeta, BLOCK_TTL_SECS, MAX_BLOCKS_PER_ANSWER, MAX_TTL_SECS};
use crate::platform::{ByteRange, Entry, Fill, ObjectMeta, Piece, Platform};
use crate::s3::conditional::{Conditions, Verdict};
use crate::s3::range::RangeSpec;

/// How long a request waits for another one filling the same entry before
/// fetching it itself.
pub const WAIT_MS: u32 = 10_000;
/// How often a waiting request looks whether the entry has been stored.
pub const WAIT_STEP_MS: u32 = 20;

/// The TTL of `product`'s cached objects, or `None` when its answers may not
/// be cached. Only public and unlisted products are: a restricted one's
/// bytes never enter a cache shared by every caller.
pub fn product_ttl(settings: &Settings, product: &Product) -> Option<u32> {
    if !settings.enabled || product.visibility == Visibility::Restricted {
        return None;
    }
    let ttl = product.cache.ttl_secs.unwrap_or(settings.ttl_secs).min(MAX_TTL_SECS);
    (ttl > 0).then_some(ttl)
}

/// What the cache did for one answer (the request log's `cache`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Outcome {
    /// No backend request.
    Hit,
    /// Cached and fetched parts.
    Partial,
    /// All of the answer's bytes from the backend.
    Miss,
    /// Not through the cache (too large, or the backend forbids caching).
    #[default]
    Bypass,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Hit => "hit",
            Outcome::Partial => "partial",
            Outcome::Miss => "miss",
            Outcome::Bypass => "bypass",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    pub backend_requests: u32,
    /// Object bytes asked of the backend (a HEAD costs none).
    pub backend_bytes: u64,
}

/// One object read, as the cache needs it.
pub struct Read<'a> {
    pub key: ObjectKey,
    /// The backend key (product prefix + key).
    pub backend_key: &'a str,
    pub opts: &'a ReadOpts,
    /// The product's TTL (`policy::product_ttl`).
    pub ttl_secs: u32,
}

#[allow(clippy::large_enum_variant)] // one per request, moved once
pub enum Served<B> {
    Answered(ObjectOutcome<B>),
    /// Read it without the cache.
    Bypass,
}

/// Why an attempt stopped: the object changed under it.
enum Stop {
    Changed,
    Failed(ProxyError),
}

impl From<ProxyError> for Stop {
    fn from(e: ProxyError) -> Self {
        Stop::Failed(e)
    }
}

pub async fn read<P: Platform>(
    p: &P,
    settings: &Settings,
    backend: &Backend,
    q: &Read<'_>,
    reg: &Rc<InFlight>,
    report: &mut Report,
) -> Result<Served<P::Body>> {
    for fresh in [false, true] {
        let (meta, cached) = metadata(p, backend, q, reg, fresh, report).await?;
        if !meta.storable {
            return Ok(Served::Bypass);
        }
        match answer(p, settings, backend, q, &meta, reg, report).await {
            Ok(served) => {
                // Bytes from the cache after asking the backend for the metadata.
                if report.outcome == Outcome::Hit && !cached {
                    let bodiless = q.opts.head || matches!(served, Served::Answered(ObjectOutcome::NotModified(_)));
                    report.outcome = if bodiless { Outcome::Miss } else { Outcome::Partial };
                }
                return Ok(served);
            }
            Err(Stop::Failed(e)) => return Err(e),
            Err(Stop::Changed) => continue,
        }
    }
    Err(ProxyError::Unavailable(
        format!("object {} changed during every read", q.backend_key).into(),
    ))
}

/// The object's metadata: cached, or asked of the backend (one request per
/// isolate at a time) and cached. `fresh` skips the cached copy (its ETag
/// was just found stale). Also says whether it came from the cache.
async fn metadata<P: Platform>(
    p: &P,
    backend: &Backend,
    q: &Read<'_>,
    reg: &Rc<InFlight>,
    fresh: bool,
    report: &mut Report,
) -> Result<(StoredMeta, bool)> {
    let key = q.key.meta();
    let lookup = async || {
        let bytes = p.cache_get(&key).await?;
        StoredMeta::decode(&bytes, p.now_ms())
    };
    let mut guard = None;
    if !fresh {
        if let Some(m) = lookup().await {
            return Ok((m, true));
        }
        match reg.claim(&key) {
            Claim::Leader(g) => guard = Some(g),
            Claim::Follower(w) => {
                inflight::wait(&w, WAIT_STEP_MS, WAIT_MS, |ms| p.sleep(ms)).await;
                if let Some(m) = lookup().await {
                    return Ok((m, true));
                }
            }
        }
    }
    let head = ReadOpts {
        head: true,
        ..Default::default()
    };
    report.backend_requests += 1;
    let meta = match backend.read(p, q.backend_key, &head).await? {
        ObjectOutcome::Found { meta, .. } => meta,
        ObjectOutcome::NotModified(_) => return Err(ProxyError::Backend("HEAD answered 304".into())),
    };
    let stored = StoredMeta::new(&meta, p.now_ms() + i64::from(q.ttl_secs) * 1000);
    p.cache_put(&key, &stored.encode(), q.ttl_secs).await;
    drop(guard);
    Ok((stored, false))
}

/// Answers from `stored`: its conditions and range, then the entries.
async fn answer<P: Platform>(
    p: &P,
    settings: &Settings,
    backend: &Backend,
    q: &Read<'_>,
    stored: &StoredMeta,
    reg: &Rc<InFlight>,
    report: &mut Report,
) -> std::result::Result<Served<P::Body>, Stop> {
    let meta = stored.meta();
    if q.opts.conditions.evaluate(&meta.etag, meta.last_modified_ms)? == Verdict::NotModified {
        report.outcome = Outcome::Hit;
        return Ok(Served::Answered(ObjectOutcome::NotModified(meta)));
    }
    let range = q.opts.range.map(|r| r.resolve(meta.size)).transpose()?;
    if q.opts.head || meta.size == 0 {
        report.outcome = Outcome::Hit;
        return Ok(Served::Answered(ObjectOutcome::Found {
            meta,
            range,
            body: None,
        }));
    }
    let layout = Layout::new(meta.size, settings.whole_max, settings.block);
    let r = range.unwrap_or(ByteRange {
        start: 0,
        end: meta.size - 1,
    });
    let (first, last) = layout.span(r);
    if last - first + 1 > MAX_BLOCKS_PER_ANSWER {
        return Ok(Served::Bypass);
    }
    let entry_key = |i: u64| q.key.entry(&meta.etag, layout.whole, layout.block, i);

    // What is cached; a missing entry another request is filling is waited for.
    let mut stored_parts: HashMap<u64, P::Body> = HashMap::new();
    let mut guards: HashMap<u64, Guard> = HashMap::new();
    for i in first..=last {
        let Some(within) = layout.within(i, r) else { continue };
        let key = entry_key(i);
        let mut got = p.blob_get(&key, within).await;
        if got.is_none() {
            match reg.claim(&key) {
                Claim::Leader(g) => {
                    guards.insert(i, g);
                }
                Claim::Follower(w) => {
                    inflight::wait(&w, WAIT_STEP_MS, WAIT_MS, |ms| p.sleep(ms)).await;
                    got = p.blob_get(&key, within).await;
                }
            }
        }
        if let Some(b) = got {
            stored_parts.insert(i, b);
        }
    }
    let present: Vec<bool> = (first..=last).map(|i| stored_parts.contains_key(&i)).collect();
    let steps = plan(&layout, r, &present);

    let mut pieces = Vec::with_capacity(steps.len());
    let (mut from_cache, mut fetched) = (false, false);
    for step in steps {
        match step {
            Step::Stored { index, .. } => match stored_parts.remove(&index) {
                Some(b) => {
                    from_cache = true;
                    pieces.push(Piece::Stored(b));
                }
                None => return Err(Stop::Failed(ProxyError::Internal("cache plan lost a part".into()))),
            },
            Step::Fetch { first, last, emit } => {
                fetched = true;
                let cutter = Cutter::new(layout, first, last, emit);
                let body = fetch_run(p, backend, q, &meta, cutter.run(), report).await?;
                let entries = (first..=last)
                    .map(|i| Entry {
                        key: entry_key(i),
                        ttl_secs: BLOCK_TTL_SECS,
                        release: guards.remove(&i).map(|g| Box::new(g) as Box<dyn std::any::Any>),
                    })
                    .collect();
                pieces.push(Piece::Fetched(Fill {
                    body,
                    cutter: Box::new(cutter),
                    first,
                    entries,
                }));
            }
        }
    }
    report.outcome = match (from_cache, fetched) {
        (_, false) => Outcome::Hit,
        (true, true) => Outcome::Partial,
        (false, true) => Outcome::Miss,
    };
    Ok(Served::Answered(ObjectOutcome::Found {
        meta,
        range,
        body: Some(p.splice(pieces, r.len())),
    }))
}

/// One backend request for the bytes of `run`, pinned to the ETag the
/// metadata names: any other version is a 412, and the read starts over.
async fn fetch_run<P: Platform>(
    p: &P,
    backend: &Backend,
    q: &Read<'_>,
    meta: &ObjectMeta,
    run: ByteRange,
    report: &mut Report,
) -> std::result::Result<P::Body, Stop> {
    let opts = ReadOpts {
        range: Some(RangeSpec::From {
            start: run.start,
            end: Some(run.end),
        }),
        conditions: Conditions {
            if_match: Some(meta.etag.clone()),
            ..Default::default()
        },
        head: false,
    };
    report.backend_requests += 1;
    report.backend_bytes += run.len();
    match backend.read(p, q.backend_key, &opts).await {
        Err(ProxyError::PreconditionFailed | ProxyError::NoSuchKey | ProxyError::InvalidRange { .. }) => {
            Err(Stop::Changed)
        }
        Err(e) => Err(Stop::Failed(e)),
        Ok(ObjectOutcome::Found {
            meta: got,
            range,
            body: Some(body),
        }) => {
            let whole = ByteRange {
                start: 0,
                end: meta.size - 1,
            };
            let same = got.etag == meta.etag && got.size == meta.size;
            match (same, range) {
                (false, _) => Err(Stop::Changed),
                (true, Some(r)) if r == run => Ok(body),
                (true, None) if run == whole => Ok(body),
                _ => Err(Stop::Failed(ProxyError::Backend(
                    format!(
                        "{}: backend answered another range than {}-{}",
                        q.backend_key, run.start, run.end
                    )
                    .into(),
                ))),
            }
        }
        Ok(_) => Err(Stop::Failed(ProxyError::Backend(
            format!("{}: ranged read without a body", q.backend_key).into(),
        ))),
    }
}

#[cfg(test)]
mod tests;

//! A read through the edge cache (`objcache`). With the object's metadata
//! cached: the client's `If-*` and `Range` evaluated on it as S3 would, then
//! the entries the range overlaps: cached ones as they are, missing ones in
//! at most [`MAX_RUNS`](crate::objcache::blocks::MAX_RUNS) backend requests pinned to
//! the metadata's ETag. A backend answering 412 (the object changed) makes
//! the read start over once, before any byte went out, with fresh metadata:
//! an answer is never stitched from two versions. Without it: one backend
//! request for the blocks the range overlaps, whose answer gives the
//! metadata (`first_fetch`); a HEAD for a HEAD, or when expired metadata
//! names a version whose blocks may still be cached (revalidated, no bytes).

use std::rc::Rc;

use crate::backend::{Backend, ObjectOutcome, ReadOpts};
use crate::catalog::{Product, Visibility};
use crate::error::{ProxyError, Result};
use crate::objcache::blocks::{plan, Cutter, Layout, Step};
use crate::objcache::inflight::{self, Claim, Guard, InFlight};
use crate::objcache::policy::{
    ObjectKey, Settings, StoredMeta, BLOCK_TTL_SECS, MAX_BLOCKS_PER_ANSWER, MAX_TTL_SECS, META_KEEP_SECS,
};
use crate::platform::{ByteRange, Entry, Fill, ObjectMeta, Piece, Platform};
use crate::s3::conditional::{Conditions, Verdict};
use crate::s3::range::RangeSpec;

/// How long a request waits for another one filling the same entry before
/// fetching it itself (and how long a claim holds, `inflight::STALE_MS`).
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
        let (meta, cached) = match lookup(p, q, reg, fresh).await {
            Lookup::Cached(m) => (m, true),
            // A HEAD, or a version known from expired metadata whose blocks
            // may still be cached: a HEAD says whether it is still current.
            Lookup::Missing { guard, stale } if q.opts.head || stale => {
                let m = head(p, backend, q, report).await?;
                drop(guard);
                (m, false)
            }
            Lookup::Missing { guard, .. } => {
                return first_fetch(p, settings, backend, q, reg, guard, report).await;
            }
        };
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

enum Lookup {
    Cached(StoredMeta),
    /// To be asked of the backend; the guard (when this request leads)
    /// makes other requests for the same object wait until it is cached.
    /// `stale`: expired metadata is still stored.
    Missing {
        guard: Option<Guard>,
        stale: bool,
    },
}

/// The object's cached metadata, unless `fresh` (its ETag was just found
/// stale). A request missing it while another one is fetching it waits for
/// that one, then looks again.
async fn lookup<P: Platform>(p: &P, q: &Read<'_>, reg: &Rc<InFlight>, fresh: bool) -> Lookup {
    if fresh {
        return Lookup::Missing {
            guard: None,
            stale: false,
        };
    }
    let key = q.key.meta();
    let get = async || {
        let bytes = p.cache_get(&key).await?;
        StoredMeta::decode_any(&bytes)
    };
    let stale = match get().await {
        Some(m) if m.fresh(p.now_ms()) => return Lookup::Cached(m),
        found => found.is_some(),
    };
    match reg.claim(&key, p.now_ms()) {
        Claim::Leader(g) => Lookup::Missing { guard: Some(g), stale },
        Claim::Follower(w) => {
            inflight::wait(&w, WAIT_STEP_MS, WAIT_MS, |ms| p.sleep(ms)).await;
            match get().await {
                Some(m) if m.fresh(p.now_ms()) => Lookup::Cached(m),
                found => Lookup::Missing {
                    guard: None,
                    stale: found.is_some(),
                },
            }
        }
    }
}

/// Caches what a backend answer said about the object: trusted for the
/// product's TTL, kept longer (`META_KEEP_SECS`) to be revalidated.
async fn remember<P: Platform>(p: &P, q: &Read<'_>, meta: &ObjectMeta) -> StoredMeta {
    let stored = StoredMeta::new(meta, p.now_ms() + i64::from(q.ttl_secs) * 1000);
    let keep = q.ttl_secs.max(META_KEEP_SECS);
    p.cache_put(&q.key.meta(), &stored.encode(), keep).await;
    stored
}

/// A HEAD whose metadata is not cached: one backend HEAD (no bytes).
async fn head<P: Platform>(p: &P, backend: &Backend, q: &Read<'_>, report: &mut Report) -> Result<StoredMeta> {
    let head = ReadOpts {
        head: true,
        ..Default::default()
    };
    report.backend_requests += 1;
    match backend.read(p, q.backend_key, &head).await? {
        ObjectOutcome::Found { meta, .. } => Ok(remember(p, q, &meta).await),
        ObjectOutcome::NotModified(_) => Err(ProxyError::Backend("HEAD answered 304".into())),
    }
}

/// The range to ask the backend for when the object's size is not known
/// yet: the client's, widened to whole blocks where it can be (a start or an
/// end given), so that the blocks it overlaps can be stored. A suffix is
/// sent as it is (its blocks depend on the size); no range, no range.
fn first_range(r: Option<RangeSpec>, block: u64) -> Option<RangeSpec> {
    let block = block.max(1);
    r.map(|r| match r {
        // Too many blocks to be cached: as asked, so the body goes to the client as it is.
        RangeSpec::From { start, end: Some(e) } if e / block - start / block >= MAX_BLOCKS_PER_ANSWER => r,
        RangeSpec::From { start, end } => RangeSpec::From {
            start: start - start % block,
            end: end.map(|e| e.saturating_add(block - 1 - e % block)),
        },
        suffix @ RangeSpec::Suffix(_) => suffix,
    })
}

/// A GET whose metadata is not cached: one backend request, with the
/// client's conditions (the backend evaluates them, so a 304 or 412 is S3's
/// own and costs no body), for the blocks the range overlaps. Its answer
/// gives the metadata (the size from `Content-Range`), which is cached; the
/// entries the body holds whole are stored as it streams by, and the answer
/// is cut from it. No HEAD first: one round trip instead of two.
async fn first_fetch<P: Platform>(
    p: &P,
    settings: &Settings,
    backend: &Backend,
    q: &Read<'_>,
    reg: &Rc<InFlight>,
    guard: Option<Guard>,
    report: &mut Report,
) -> Result<Served<P::Body>> {
    let opts = ReadOpts {
        range: first_range(q.opts.range, settings.block),
        conditions: q.opts.conditions.clone(),
        head: false,
    };
    report.backend_requests += 1;
    report.outcome = Outcome::Miss;
    let (meta, got, body) = match backend.read(p, q.backend_key, &opts).await? {
        ObjectOutcome::Found { meta, range, body } => (meta, range, body),
        not_modified @ ObjectOutcome::NotModified(_) => return Ok(Served::Answered(not_modified)),
    };
    let fetched = got.or((meta.size > 0).then(|| ByteRange {
        start: 0,
        end: meta.size - 1,
    }));
    report.backend_bytes += fetched.map_or(0, |f| f.len());
    let stored = remember(p, q, &meta).await;
    // The client's range may lie past the end although the widened one did not.
    let range = q.opts.range.map(|r| r.resolve(meta.size)).transpose()?;
    let (fetched, body) = match (fetched, body) {
        (Some(f), Some(b)) => (f, b),
        // An empty object: nothing to store.
        (_, body) => return Ok(Served::Answered(ObjectOutcome::Found { meta, range, body })),
    };
    let r = range.unwrap_or(ByteRange {
        start: 0,
        end: meta.size - 1,
    });
    if r.start < fetched.start || r.end > fetched.end {
        return Err(ProxyError::Backend(
            format!(
                "{}: backend answered {}-{} for {}-{}",
                q.backend_key, fetched.start, fetched.end, r.start, r.end
            )
            .into(),
        ));
    }
    let layout = Layout::new(meta.size, settings.whole_max, settings.block);
    let (first, last) = layout.span(r);
    let cacheable = stored.storable && last - first < MAX_BLOCKS_PER_ANSWER;
    if !cacheable {
        report.outcome = Outcome::Bypass;
    }
    let mut cutter = Cutter::over(layout, fetched, r);
    let fill = cutter
        .entries()
        .filter(|&(a, b)| cacheable && b - a < MAX_BLOCKS_PER_ANSWER);
    if fill.is_none() {
        cutter = cutter.storing_nothing();
    }
    let body = match fill {
        // Nothing to store and nothing to cut: the backend's body as it is.
        None if fetched == r => body,
        _ => {
            let (a, b) = fill.unwrap_or((1, 0));
            let entries = (a..=b)
                .map(|i| {
                    let key = q.key.entry(&meta.etag, layout.whole, layout.block, i);
                    // Requests that find the metadata now wait for these entries.
                    let release = match reg.claim(&key, p.now_ms()) {
                        Claim::Leader(g) => Some(Box::new(g) as Box<dyn std::any::Any>),
                        Claim::Follower(_) => None,
                    };
                    Entry {
                        key,
                        ttl_secs: BLOCK_TTL_SECS,
                        release,
                    }
                })
                .collect();
            let fill = Fill {
                body,
                cutter: Box::new(cutter),
                first: a,
                entries,
            };
            p.splice(vec![Piece::Fetched(fill)], r.len())
        }
    };
    drop(guard);
    Ok(Served::Answered(ObjectOutcome::Found {
        meta,
        range,
        body: Some(body),
    }))
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
    // By block index - `first` (at most MAX_BLOCKS_PER_ANSWER), in vectors
    // rather than maps: no hash table instantiations (wasm size).
    let slot = |i: u64| {
        i.checked_sub(first)
            .and_then(|d| usize::try_from(d).ok())
            .unwrap_or(usize::MAX)
    };
    let mut stored_parts: Vec<Option<P::Body>> = (first..=last).map(|_| None).collect();
    let mut guards: Vec<Option<Guard>> = (first..=last).map(|_| None).collect();
    for i in first..=last {
        let Some(within) = layout.within(i, r) else { continue };
        let key = entry_key(i);
        let mut got = p.blob_get(&key, within).await;
        if got.is_none() {
            match reg.claim(&key, p.now_ms()) {
                Claim::Leader(g) => guards[slot(i)] = Some(g),
                Claim::Follower(w) => {
                    inflight::wait(&w, WAIT_STEP_MS, WAIT_MS, |ms| p.sleep(ms)).await;
                    got = p.blob_get(&key, within).await;
                }
            }
        }
        stored_parts[slot(i)] = got;
    }
    let present: Vec<bool> = stored_parts.iter().map(Option::is_some).collect();
    let steps = plan(&layout, r, &present);

    let mut pieces = Vec::with_capacity(steps.len());
    let (mut from_cache, mut fetched) = (false, false);
    for step in steps {
        match step {
            Step::Stored { index, .. } => match stored_parts.get_mut(slot(index)).and_then(Option::take) {
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
                        release: guards
                            .get_mut(slot(i))
                            .and_then(Option::take)
                            .map(|g| Box::new(g) as Box<dyn std::any::Any>),
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

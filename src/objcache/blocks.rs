//! Block arithmetic: how an object is cut into cache entries, which entries a
//! range needs, which backend requests fill the missing ones, and how a
//! backend body is cut into entries and the answer as it streams by.
//!
//! Offsets are absolute byte offsets in the object; ranges are inclusive, as
//! in `Range` headers ([`ByteRange`]).

use std::ops::Range;

use crate::platform::{ByteRange, ChunkCutter, Cut};

/// At most this many backend requests (runs of missing blocks) per answer;
/// past it, one request covers everything from the first missing block to
/// the last (cached blocks in between are fetched again, rather than open
/// many connections for one answer).
pub const MAX_RUNS: usize = 2;

/// How an object is cut: aligned blocks of `block` bytes (the last one
/// shorter), or one entry when the object is small enough to be kept whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub size: u64,
    /// Bytes per entry; at least 1. Equal to `size` for a whole object.
    pub block: u64,
    pub whole: bool,
}

impl Layout {
    /// `size` ≤ `whole_max` is one entry; otherwise `block`-sized ones.
    pub fn new(size: u64, whole_max: u64, block: u64) -> Self {
        match size <= whole_max {
            true => Self {
                size,
                block: size.max(1),
                whole: true,
            },
            false => Self {
                size,
                block: block.max(1),
                whole: false,
            },
        }
    }

    /// Number of entries (none for an empty object).
    pub fn count(&self) -> u64 {
        self.size.div_ceil(self.block)
    }

    /// The bytes of entry `i` (which must be < `count()`).
    pub fn block(&self, i: u64) -> ByteRange {
        let start = i.saturating_mul(self.block);
        let end = start.saturating_add(self.block).min(self.size).saturating_sub(1);
        ByteRange { start, end }
    }

    /// The first and last entry `r` overlaps (`r` within the object).
    pub fn span(&self, r: ByteRange) -> (u64, u64) {
        (r.start / self.block, r.end / self.block)
    }

    /// The first and last entry lying wholly inside `run` (bytes of the object
    /// a backend sent, aligned or not), if any.
    pub fn inside(&self, run: ByteRange) -> Option<(u64, u64)> {
        if run.start >= self.size || run.start > run.end {
            return None;
        }
        let first = run.start.div_ceil(self.block);
        let end = run.end.saturating_add(1).min(self.size); // exclusive
        let last = match end == self.size {
            true => self.count() - 1,
            false => (end / self.block).checked_sub(1)?,
        };
        (first <= last).then_some((first, last))
    }

    /// The part of entry `i` that `r` takes, relative to the entry's start.
    pub fn within(&self, i: u64, r: ByteRange) -> Option<ByteRange> {
        let b = self.block(i);
        let (start, end) = (r.start.max(b.start), r.end.min(b.end));
        (start <= end).then(|| ByteRange {
            start: start - b.start,
            end: end - b.start,
        })
    }
}

/// One step of an answer, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Entry `index` is cached: the answer takes `within` of it.
    Stored { index: u64, within: ByteRange },
    /// Entries `first..=last` come from one backend request for their bytes;
    /// the answer takes `emit` (absolute) of them.
    Fetch { first: u64, last: u64, emit: ByteRange },
}

/// The steps answering `r` given which entries of its span are cached
/// (`present[k]` for entry `span.0 + k`). The steps' bytes, in order, are
/// exactly `r`; at most [`MAX_RUNS`] fetches.
pub fn plan(layout: &Layout, r: ByteRange, present: &[bool]) -> Vec<Step> {
    let (first, last) = layout.span(r);
    let is_present = |i: u64| present.get(offset(i - first)).copied().unwrap_or(false);
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for i in first..=last {
        if is_present(i) {
            continue;
        }
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == i => *end = i,
            _ => runs.push((i, i)),
        }
    }
    if runs.len() > MAX_RUNS {
        let (a, b) = (runs[0].0, runs[runs.len() - 1].1);
        runs = vec![(a, b)];
    }
    let clip = |a: u64, b: u64| ByteRange {
        start: r.start.max(layout.block(a).start),
        end: r.end.min(layout.block(b).end),
    };
    let mut steps = Vec::new();
    let mut i = first;
    let mut runs = runs.into_iter().peekable();
    while i <= last {
        match runs.peek() {
            Some(&(a, b)) if a == i => {
                steps.push(Step::Fetch {
                    first: a,
                    last: b,
                    emit: clip(a, b),
                });
                runs.next();
                i = b + 1;
            }
            _ => {
                if let Some(within) = layout.within(i, r) {
                    steps.push(Step::Stored { index: i, within });
                }
                i += 1;
            }
        }
    }
    steps
}

/// Follows a backend body covering entries `first..=last` chunk by chunk:
/// each chunk's bytes go to the entries they belong to and, when inside
/// `emit`, to the answer. Only lengths pass through it, never bytes, so a
/// runtime can cut its own buffers (JS `subarray`) without copying.
#[derive(Debug, Clone)]
pub struct Cutter {
    layout: Layout,
    emit: ByteRange,
    /// Absolute offset of the next byte.
    pos: u64,
    end: u64,
    /// The entries the body fills (wholly inside the run), if any.
    entries: Option<(u64, u64)>,
}

impl Cutter {
    /// A body of exactly entries `first..=last`.
    pub fn new(layout: Layout, first: u64, last: u64, emit: ByteRange) -> Self {
        Self {
            layout,
            emit,
            pos: layout.block(first).start,
            end: layout.block(last).end,
            entries: Some((first, last)),
        }
    }

    /// A body of the bytes `run`, aligned to entries or not (the first
    /// fetch of an object whose size was unknown): only the entries wholly
    /// inside it are filled ([`Layout::inside`]); the rest only reaches the
    /// answer, if `emit` takes it.
    pub fn over(layout: Layout, run: ByteRange, emit: ByteRange) -> Self {
        Self {
            layout,
            emit,
            pos: run.start,
            end: run.end,
            entries: layout.inside(run),
        }
    }

    /// The same cut, filling no entry (an answer that bypasses the cache).
    pub fn storing_nothing(mut self) -> Self {
        self.entries = None;
        self
    }

    /// The entries this body fills, first and last.
    pub fn entries(&self) -> Option<(u64, u64)> {
        self.entries
    }

    /// The run's bytes, as requested from the backend.
    pub fn run(&self) -> ByteRange {
        ByteRange {
            start: self.pos,
            end: self.end,
        }
    }
}

impl ChunkCutter for Cutter {
    /// True once every byte of the run has been fed.
    fn done(&self) -> bool {
        self.pos > self.end
    }

    fn exact(&self) -> bool {
        let run = self.run();
        self.emit == run && self.entries.is_some_and(|(f, l)| f == l && self.layout.block(f) == run)
    }

    /// Cuts the next `n` bytes of the body. Bytes past the run (a backend
    /// sending more than asked) go nowhere.
    fn feed(&mut self, n: usize) -> Cut {
        let mut cut = Cut::default();
        let start = self.pos;
        let take = (n as u64).min(self.end.saturating_add(1).saturating_sub(start));
        if take == 0 {
            return cut;
        }
        let stop = start + take; // exclusive
        let mut at = start;
        while at < stop {
            let i = at / self.layout.block;
            let b = self.layout.block(i);
            let part_end = stop.min(b.end + 1);
            if self.entries.is_some_and(|(f, l)| (f..=l).contains(&i)) {
                cut.to_entries
                    .push((i, offset(at - start)..offset(part_end - start), part_end == b.end + 1));
            }
            at = part_end;
        }
        let (lo, hi) = (self.emit.start.max(start), (self.emit.end + 1).min(stop));
        if lo < hi {
            cut.to_answer = Some(offset(lo - start)..offset(hi - start));
        }
        self.pos = stop;
        cut
    }
}

/// `within` of a body read chunk by chunk (an entry the cache answered
/// whole): which part of each chunk is kept.
#[derive(Debug, Clone)]
pub struct ByteSlice {
    want: ByteRange,
    pos: u64,
}

impl ByteSlice {
    pub fn new(want: ByteRange) -> Self {
        Self { want, pos: 0 }
    }

    /// The part of the next `n` bytes that is kept.
    pub fn feed(&mut self, n: usize) -> Option<Range<usize>> {
        let start = self.pos;
        let stop = start.saturating_add(n as u64);
        self.pos = stop;
        let (lo, hi) = (self.want.start.max(start), self.want.end.saturating_add(1).min(stop));
        (lo < hi).then(|| offset(lo - start)..offset(hi - start))
    }

    /// True once past the wanted bytes.
    pub fn done(&self) -> bool {
        self.pos > self.want.end
    }
}

/// An offset within one run or an index among its entries: a run is at most
/// `MAX_BLOCKS_PER_ANSWER` entries of at most 8 MiB, far below `u32::MAX` (wasm32's `usize`).
#[allow(clippy::cast_possible_truncation)]
const fn offset(n: u64) -> usize {
    n as usize
}

#[cfg(test)]
mod tests;

//! The edge cache's block arithmetic (`objcache::blocks`): `plan`, the `Cutter`
//! and `ByteSlice` against a model, at any object size up to u64 extremes.
//! Input: five little-endian u64 (size, whole_max, block, range start, range
//! length), then a byte of flags (bit 0: take the numbers raw, else scale them
//! down to small objects), then present bits (one byte per entry of the span),
//! then u64 chunk sizes for the cutters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::objcache::blocks::{plan, ByteSlice, Cutter, Layout, Step, MAX_RUNS};
use oidc_data_proxy::platform::{ByteRange, ChunkCutter};

/// At most this many entries in a range's span (the proxy allows 16 per answer).
const MAX_SPAN: u64 = 64;
/// Runs this short are cut for real (bytes) and compared with the object.
const BYTES_MAX: u64 = 1 << 16;

struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input<'_> {
    fn u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        for v in &mut b {
            *v = self.data.get(self.pos).copied().unwrap_or(0);
            self.pos += 1;
        }
        u64::from_le_bytes(b)
    }
    fn byte(&mut self) -> u8 {
        let v = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        v
    }
}

/// Byte `i` of the object (any deterministic pattern with no short period).
fn obj(i: u64) -> u8 {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8
}

/// Feeds a cutter over `run` with chunk sizes from `inp`, checking every cut
/// against positions: the entries' parts tile each chunk in order, each entry
/// gets exactly its bytes and is marked complete at its last byte, and the
/// answer's parts are exactly `emit`, in order. With `bytes`, the same with
/// real bytes reassembled.
fn cut(layout: &Layout, first: u64, last: u64, emit: ByteRange, inp: &mut Input, bytes: bool) {
    let mut c = Cutter::new(*layout, first, last, emit);
    let run = c.run();
    assert_eq!(run.start, layout.block(first).start);
    assert_eq!(run.end, layout.block(last).end);
    let (mut pos, mut answer_next) = (run.start, emit.start);
    let mut filled: Vec<u64> = vec![0; usize::try_from(last - first + 1).unwrap()];
    let mut answer = Vec::new();
    let mut rounds = 0;
    while !c.done() {
        rounds += 1;
        let left = run.end - pos + 1;
        // Chunks from the input; after 64 (or for a 0) the rest in one, sometimes past the run.
        let raw = inp.u64();
        let n = if rounds > 64 || raw == 0 {
            left.saturating_add(raw % 3)
        } else {
            1 + raw % left.min(1 << 20)
        };
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        let got = c.feed(n);
        let take = (n as u64).min(left);
        let mut at = 0usize;
        for (i, part, complete) in &got.to_entries {
            assert_eq!(part.start, at, "entry parts tile the chunk in order");
            assert!(part.start < part.end);
            let b = layout.block(*i);
            let abs = pos + part.start as u64;
            assert!(*i >= first && *i <= last && abs >= b.start && abs + (part.len() as u64) <= b.end + 1);
            let k = usize::try_from(i - first).unwrap();
            assert_eq!(b.start + filled[k], abs, "entry {i} gets its bytes in order");
            filled[k] += part.len() as u64;
            assert_eq!(*complete, filled[k] == b.len(), "entry {i} complete exactly at its end");
            at = part.end;
        }
        assert_eq!(at as u64, take, "the chunk's bytes within the run all go to entries");
        if let Some(a) = &got.to_answer {
            let abs = pos + a.start as u64;
            assert!(a.start < a.end && (a.end as u64) <= take);
            assert_eq!(abs, answer_next, "the answer's parts are contiguous");
            answer_next = abs + a.len() as u64;
            if bytes {
                answer.extend((abs..answer_next).map(obj));
            }
        }
        pos += take;
    }
    assert_eq!(pos, run.end + 1);
    assert!(rounds <= 66);
    for (k, f) in filled.iter().enumerate() {
        assert_eq!(
            *f,
            layout.block(first + k as u64).len(),
            "entry {} whole",
            first + k as u64
        );
    }
    assert_eq!(answer_next, emit.end + 1, "the answer is exactly emit");
    if bytes {
        assert!(answer.iter().copied().eq((emit.start..=emit.end).map(obj)));
    }
    // Once done, more bytes (a backend sending too much) go nowhere.
    assert_eq!(c.feed(7), Default::default());
}

/// A cutter over bytes `run` of the object, aligned or not (a first fetch):
/// only the entries wholly inside it are filled, each whole and in order,
/// and the answer is exactly `emit`.
fn cut_over(layout: &Layout, run: ByteRange, emit: ByteRange, inp: &mut Input) {
    let mut c = Cutter::over(*layout, run, emit);
    let inside = layout.inside(run);
    assert_eq!(c.entries(), inside);
    if let Some((f, l)) = inside {
        assert!(layout.block(f).start >= run.start && layout.block(l).end <= run.end);
        assert!(
            f == 0 || layout.block(f - 1).start < run.start,
            "entry before {f} is cut off"
        );
        assert!(
            l + 1 == layout.count() || layout.block(l + 1).end > run.end,
            "entry after {l} is cut off"
        );
    }
    let (mut pos, mut answer_next, mut rounds) = (run.start, emit.start, 0);
    let mut filled: Option<(u64, u64)> = None; // (entry, bytes so far)
    let mut completed = Vec::new();
    while !c.done() {
        rounds += 1;
        let left = run.end - pos + 1;
        let raw = inp.u64();
        let n = if rounds > 64 || raw == 0 {
            left
        } else {
            1 + raw % left.min(1 << 20)
        };
        let got = c.feed(usize::try_from(n).unwrap_or(usize::MAX));
        for (i, part, complete) in &got.to_entries {
            let (f, l) = inside.expect("no entry is filled when none is inside");
            assert!((f..=l).contains(i));
            let so_far = match filled {
                Some((j, b)) if j == *i => b,
                _ => 0,
            };
            assert_eq!(
                layout.block(*i).start + so_far,
                pos + part.start as u64,
                "entry {i} in order"
            );
            let now = so_far + part.len() as u64;
            assert_eq!(*complete, now == layout.block(*i).len());
            filled = Some((*i, now));
            if *complete {
                completed.push(*i);
            }
        }
        if let Some(a) = &got.to_answer {
            assert_eq!(pos + a.start as u64, answer_next);
            answer_next += a.len() as u64;
        }
        pos += n.min(left);
    }
    assert_eq!(answer_next, emit.end + 1, "the answer is exactly emit");
    let want: Vec<u64> = inside.map_or(vec![], |(f, l)| (f..=l).collect());
    assert_eq!(completed, want, "every entry inside is filled whole");
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input { data, pos: 0 };
    let (mut size, mut whole_max, mut block, a, len) = (inp.u64(), inp.u64(), inp.u64(), inp.u64(), inp.u64());
    if inp.byte() & 1 == 0 {
        size %= 1 << 22;
        whole_max %= 1 << 20;
        block = 1 + block % (1 << 18);
    }
    let layout = Layout::new(size, whole_max, block);
    assert!(layout.block >= 1);
    assert_eq!(layout.whole, size <= whole_max);
    if size == 0 {
        assert_eq!(layout.count(), 0);
        return;
    }
    // A range inside the object spanning at most MAX_SPAN entries.
    let start = a % size;
    let span_bytes = u128::from(MAX_SPAN) * u128::from(layout.block) - u128::from(start % layout.block);
    let max_len = u128::from(size - start).min(span_bytes);
    let r = ByteRange {
        start,
        end: start + (u128::from(len) % max_len) as u64,
    };
    let (first, last) = layout.span(r);
    assert!(first <= last && last - first < MAX_SPAN && last < layout.count());
    let present: Vec<bool> = (first..=last).map(|_| inp.byte() & 1 == 1).collect();

    let steps = plan(&layout, r, &present);
    let is_present = |i: u64| present[usize::try_from(i - first).unwrap()];
    // The missing runs, as the model sees them.
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for i in (first..=last).filter(|&i| !is_present(i)) {
        match runs.last_mut() {
            Some((_, e)) if *e + 1 == i => *e = i,
            _ => runs.push((i, i)),
        }
    }
    let merged = runs.len() > MAX_RUNS;
    let fetches: Vec<(u64, u64, ByteRange)> = steps
        .iter()
        .filter_map(|s| match *s {
            Step::Fetch { first, last, emit } => Some((first, last, emit)),
            Step::Stored { .. } => None,
        })
        .collect();
    assert!(fetches.len() <= MAX_RUNS, "at most MAX_RUNS backend requests");
    if merged {
        assert_eq!(fetches.len(), 1);
        assert_eq!((fetches[0].0, fetches[0].1), (runs[0].0, runs[runs.len() - 1].1));
    } else {
        let got: Vec<(u64, u64)> = fetches.iter().map(|f| (f.0, f.1)).collect();
        assert_eq!(got, runs, "one fetch per contiguous run of missing entries");
    }

    // The steps' bytes are exactly r, in order; stored steps only of present entries.
    let mut next = r.start;
    let mut seen_entry = first;
    for s in &steps {
        let (lo, hi, from, to) = match *s {
            Step::Stored { index, within } => {
                assert!(is_present(index), "a stored step of a missing entry");
                assert!(within.end < layout.block(index).len());
                let b = layout.block(index).start;
                (b + within.start, b + within.end, index, index)
            }
            Step::Fetch {
                first: f,
                last: l,
                emit,
            } => {
                assert!(f <= l && emit.start >= layout.block(f).start && emit.end <= layout.block(l).end);
                (emit.start, emit.end, f, l)
            }
        };
        assert_eq!(from, seen_entry, "entries in order, none skipped");
        seen_entry = to + 1;
        assert!(lo <= hi);
        assert_eq!(lo, next, "steps are contiguous");
        next = hi + 1;
    }
    assert_eq!(seen_entry, last + 1);
    assert_eq!(next, r.end + 1, "steps end at the range's end");

    for (f, l, emit) in fetches {
        let run_len = layout.block(l).end - layout.block(f).start + 1;
        cut(&layout, f, l, emit, &mut inp, run_len <= BYTES_MAX);
    }

    // A first fetch: any run of bytes around r (widened by up to a block each
    // side, as the first fetch widens a range), cut for the entries inside it.
    let lo = r.start.saturating_sub(inp.u64() % layout.block.saturating_add(1));
    let hi = r
        .end
        .saturating_add(inp.u64() % layout.block.saturating_add(1))
        .min(size - 1);
    if u128::from(hi - lo) < u128::from(MAX_SPAN + 2) * u128::from(layout.block) {
        cut_over(&layout, ByteRange { start: lo, end: hi }, r, &mut inp);
    }

    // ByteSlice: `within` of one entry read chunk by chunk.
    let entry = layout.span(r).0;
    if let Some(w) = layout.within(entry, r) {
        let blen = layout.block(entry).len();
        let mut bs = ByteSlice::new(w);
        let (mut pos, mut kept_next) = (0u64, w.start);
        for _ in 0..64 {
            if bs.done() || pos >= blen {
                break;
            }
            let n = 1 + inp.u64() % (blen - pos).min(1 << 20);
            if let Some(k) = bs.feed(usize::try_from(n).unwrap()) {
                assert_eq!(pos + k.start as u64, kept_next);
                kept_next += k.len() as u64;
            }
            pos += n;
        }
        if !bs.done() && pos < blen {
            let rest = blen - pos;
            if let Some(k) = bs.feed(usize::try_from(rest).unwrap()) {
                assert_eq!(pos + k.start as u64, kept_next);
                kept_next += k.len() as u64;
            }
        }
        assert!(bs.done());
        assert_eq!(kept_next, w.end + 1, "ByteSlice keeps exactly `within`");
    }
});

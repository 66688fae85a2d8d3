//! `Range` parsing and resolution against a brute-force model.
//! Input: three little-endian u64 (a, b, size), then a header value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::error::ProxyError;
use oidc_data_proxy::s3::range::{parse_content_range, ByteRange, RangeSpec};

fn u64_at(data: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    for (j, v) in b.iter_mut().enumerate() {
        *v = data.get(i * 8 + j).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}

/// The bytes a range selects out of `size`, by enumeration (small sizes).
fn brute(spec: RangeSpec, size: u64) -> Option<ByteRange> {
    let chosen: Vec<u64> = (0..size)
        .filter(|&i| match spec {
            RangeSpec::From { start, end } => i >= start && end.is_none_or(|e| i <= e),
            RangeSpec::Suffix(n) => u128::from(i) + u128::from(n) >= u128::from(size),
        })
        .collect();
    Some(ByteRange {
        start: *chosen.first()?,
        end: *chosen.last()?,
    })
}

/// The same by arithmetic, for any size.
fn model(spec: RangeSpec, size: u64) -> Option<ByteRange> {
    let (lo, hi) = match spec {
        RangeSpec::From { start, end } => (u128::from(start), end.map_or(u128::MAX, u128::from)),
        RangeSpec::Suffix(n) => (u128::from(size).saturating_sub(u128::from(n)), u128::MAX),
    };
    let hi = hi.min(u128::from(size).checked_sub(1)?);
    (lo <= hi).then_some(ByteRange {
        start: lo as u64,
        end: hi as u64,
    })
}

fn check(spec: RangeSpec, size: u64) {
    let got = spec.resolve(size);
    let want = model(spec, size);
    match (&got, want) {
        (Ok(r), Some(w)) => {
            assert_eq!(*r, w, "{spec:?} of {size}");
            assert!(r.start <= r.end && r.end < size && r.len() == r.end - r.start + 1);
            assert_eq!(parse_content_range(&r.content_range(size)), Some((Some(*r), size)));
        }
        (Err(ProxyError::InvalidRange { size: s }), None) => assert_eq!(*s, size),
        _ => panic!("{spec:?} of {size}: got {got:?}, model {want:?}"),
    }
    if size <= 64 {
        assert_eq!(got.ok(), brute(spec, size), "{spec:?} of {size} (brute force)");
    }
}

fuzz_target!(|data: &[u8]| {
    let (a, b, size) = (u64_at(data, 0), u64_at(data, 1), u64_at(data, 2));
    let header = String::from_utf8_lossy(data.get(24..).unwrap_or_default());

    if let Some(spec) = RangeSpec::parse(&header) {
        assert_eq!(RangeSpec::parse(&spec.header_value()), Some(spec), "{header:?}");
        check(spec, size);
        check(spec, size % 65);
    }
    let _ = parse_content_range(&header);

    // The canonical forms parse to exactly their numbers.
    let from = RangeSpec::parse(&format!("bytes={a}-{b}"));
    assert_eq!(from, (a <= b).then_some(RangeSpec::From { start: a, end: Some(b) }));
    assert_eq!(
        RangeSpec::parse(&format!("bytes={a}-")),
        Some(RangeSpec::From { start: a, end: None })
    );
    assert_eq!(RangeSpec::parse(&format!("bytes=-{b}")), Some(RangeSpec::Suffix(b)));
    let mut specs = vec![RangeSpec::From { start: a, end: None }, RangeSpec::Suffix(b)];
    specs.extend(from);
    for spec in specs {
        check(spec, size);
        check(spec, size % 65);
    }
});

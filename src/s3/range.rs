//! `Range` header parsing and resolution against an object size (S3 rules).

use crate::error::{ProxyError, Result};
// Defined with the other types the platform reads objects with.
pub use crate::platform::ByteRange;

/// A syntactically valid single byte range, not yet checked against a size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeSpec {
    /// `bytes=a-b` or `bytes=a-`.
    From { start: u64, end: Option<u64> },
    /// `bytes=-n`: the last n bytes.
    Suffix(u64),
}

impl RangeSpec {
    /// Parses a `Range` header. Anything S3 would ignore (bad syntax, other
    /// units, several ranges) gives `None`, and the whole object is served.
    pub fn parse(header: &str) -> Option<Self> {
        let spec = header.trim().strip_prefix("bytes=")?.trim();
        if spec.contains(',') {
            return None;
        }
        let (a, b) = spec.split_once('-')?;
        let (a, b) = (a.trim(), b.trim());
        let num = |s: &str| -> Option<u64> {
            if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                s.parse().ok()
            }
        };
        if a.is_empty() {
            return num(b).map(RangeSpec::Suffix);
        }
        let start = num(a)?;
        if b.is_empty() {
            return Some(RangeSpec::From { start, end: None });
        }
        let end = num(b)?;
        (end >= start).then_some(RangeSpec::From { start, end: Some(end) })
    }

    /// The header value to forward to an S3-compatible backend.
    pub fn header_value(&self) -> String {
        match self {
            RangeSpec::From { start, end: Some(e) } => format!("bytes={start}-{e}"),
            RangeSpec::From { start, end: None } => format!("bytes={start}-"),
            RangeSpec::Suffix(n) => format!("bytes=-{n}"),
        }
    }

    /// Clamps to the object; unsatisfiable ranges are 416 with the size.
    pub fn resolve(&self, size: u64) -> Result<ByteRange> {
        let unsatisfiable = Err(ProxyError::InvalidRange { size });
        if size == 0 {
            return unsatisfiable;
        }
        match *self {
            RangeSpec::From { start, end } => {
                if start >= size {
                    return unsatisfiable;
                }
                let end = end.map_or(size - 1, |e| e.min(size - 1));
                Ok(ByteRange { start, end })
            }
            RangeSpec::Suffix(0) => unsatisfiable,
            RangeSpec::Suffix(n) => Ok(ByteRange {
                start: size.saturating_sub(n),
                end: size - 1,
            }),
        }
    }
}

/// Parses `bytes a-b/size` (a backend's Content-Range) into range and size.
pub fn parse_content_range(v: &str) -> Option<(Option<ByteRange>, u64)> {
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, size) = rest.split_once('/')?;
    let size: u64 = size.trim().parse().ok()?;
    if range.trim() == "*" {
        return Some((None, size));
    }
    let (a, b) = range.split_once('-')?;
    let (start, end) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (start <= end).then_some((Some(ByteRange { start, end }), size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            RangeSpec::parse("bytes=0-9"),
            Some(RangeSpec::From { start: 0, end: Some(9) })
        );
        assert_eq!(
            RangeSpec::parse("bytes=10-"),
            Some(RangeSpec::From { start: 10, end: None })
        );
        assert_eq!(RangeSpec::parse("bytes=-5"), Some(RangeSpec::Suffix(5)));
        assert_eq!(
            RangeSpec::parse(" bytes= 1 - 2 "),
            Some(RangeSpec::From { start: 1, end: Some(2) })
        );
    }

    #[test]
    fn ignores_what_s3_ignores() {
        for h in [
            "bytes=5-1",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes=-",
            "bytes=+1-2",
            "",
            "bytes=99999999999999999999-",
        ] {
            assert_eq!(RangeSpec::parse(h), None, "{h}");
        }
    }

    #[test]
    fn clamps_and_rejects() {
        let r = RangeSpec::From {
            start: 0,
            end: Some(262_143),
        }
        .resolve(33)
        .unwrap();
        assert_eq!((r.start, r.end, r.len()), (0, 32, 33));
        assert_eq!(r.content_range(33), "bytes 0-32/33");
        assert_eq!(
            RangeSpec::Suffix(100).resolve(10).unwrap(),
            ByteRange { start: 0, end: 9 }
        );
        assert_eq!(
            RangeSpec::Suffix(3).resolve(10).unwrap(),
            ByteRange { start: 7, end: 9 }
        );
        assert_eq!(
            RangeSpec::From { start: 10, end: None }.resolve(10),
            Err(ProxyError::InvalidRange { size: 10 })
        );
        assert_eq!(
            RangeSpec::Suffix(0).resolve(10),
            Err(ProxyError::InvalidRange { size: 10 })
        );
        assert_eq!(
            RangeSpec::From { start: 0, end: None }.resolve(0),
            Err(ProxyError::InvalidRange { size: 0 })
        );
    }

    #[test]
    fn content_range_round_trip() {
        assert_eq!(
            parse_content_range("bytes 2-5/10"),
            Some((Some(ByteRange { start: 2, end: 5 }), 10))
        );
        assert_eq!(parse_content_range("bytes */7"), Some((None, 7)));
        assert_eq!(parse_content_range("bytes 5-2/7"), None);
        assert_eq!(parse_content_range("garbage"), None);
    }
}

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
mod tests;

//! `versionId` and `partNumber` on object reads. The proxy serves one version
//! of an object (S3's `null` version) and treats it as one part, so that a
//! client asking for another gets S3's answer instead of different bytes.

use super::range::RangeSpec;
use crate::error::{ProxyError, Result};
use crate::http::Query;

/// S3 numbers parts 1 to 10000.
const MAX_PART: u32 = 10_000;

/// Refuses every version but the one served.
pub fn check_version(q: &Query) -> Result<()> {
    match q.get("versionId") {
        None | Some("null") => Ok(()),
        Some("") => Err(ProxyError::InvalidArgument("Version id cannot be the empty string")),
        Some(_) => Err(ProxyError::NoSuchVersion),
    }
}

/// What a read asks for once `partNumber` is taken into account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// No `partNumber`: the `Range` header decides.
    Unasked,
    /// Part 1 of a one-part object: all of it, answered as a range.
    First,
    /// A part the object does not have, once it is known to exist.
    Missing,
}

impl Part {
    /// Judged before the backend is asked: a bad number, or one next to a
    /// `Range` header, costs nothing.
    pub fn parse(q: &Query, has_range: bool) -> Result<Part> {
        let Some(raw) = q.get("partNumber") else {
            return Ok(Part::Unasked);
        };
        let n = match raw.parse::<u32>() {
            Ok(n) if (1..=MAX_PART).contains(&n) && raw.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => {
                return Err(ProxyError::InvalidArgument(
                    "Part number must be an integer between 1 and 10000, inclusive",
                ))
            }
        };
        if has_range {
            return Err(ProxyError::InvalidRequest(
                "Cannot specify both Range header and partNumber query parameter",
            ));
        }
        Ok(if n == 1 { Part::First } else { Part::Missing })
    }

    /// The range to read: part 1 is every byte.
    pub fn range(self, header: Option<RangeSpec>) -> Option<RangeSpec> {
        match self {
            Part::Unasked => header,
            Part::First => Some(RangeSpec::From { start: 0, end: None }),
            Part::Missing => None,
        }
    }
}

#[cfg(test)]
mod tests;

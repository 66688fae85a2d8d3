//! The UTC timestamp formats of S3, SigV4 and STS, to and from Unix time.
//!
//! The Worker has no reliable `SystemTime::now()` on wasm32, so every function
//! here takes the time as an argument (Unix seconds or milliseconds). The
//! calendar (leap years, month lengths, epoch arithmetic) is chrono's; this
//! module only fixes the layouts. It does not use chrono's parsers: they take
//! leading spaces, one-digit fields, signed years and leap second 60, where a
//! signature date must be refused unless it is exactly in its layout.
//!
//! Formatting is meant for years 0..=9999; parsing only accepts that range,
//! since all formats here are fixed-width four-digit years.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// The UTC date and time of Unix seconds, clamped to chrono's range
/// (±262,000 years) so that no `i64` can fail.
fn civil(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(if secs < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

/// `20261122T032200Z`: the SigV4 `x-amz-date` format.
pub fn format_amz(secs: i64) -> String {
    let t = civil(secs);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `2026-11-22T03:22:00Z`: STS `Expiration` style (no fraction).
pub fn format_iso8601(secs: i64) -> String {
    let t = civil(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `2026-11-22T03:22:00.000Z`: S3 `LastModified` style (milliseconds).
pub fn format_iso8601_millis(ms: i64) -> String {
    let s = format_iso8601(ms.div_euclid(1000));
    format!("{}.{:03}Z", &s[..s.len() - 1], ms.rem_euclid(1000))
}

/// Parses a run of ASCII digits (no sign, no spaces). Callers pass short,
/// fixed-width slices, so the value cannot overflow.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Unix seconds of the fields' digit slices, if they name a real date and a
/// time of day (no Feb 30, hour 24 or second 60).
fn from_fields(y: &[u8], mo: &[u8], d: &[u8], h: &[u8], mi: &[u8], s: &[u8]) -> Option<i64> {
    let year = i32::try_from(digits(y)?).ok()?;
    let t = NaiveDate::from_ymd_opt(year, digits(mo)?, digits(d)?)?.and_hms_opt(digits(h)?, digits(mi)?, digits(s)?)?;
    Some(t.and_utc().timestamp())
}

/// Strict parser for `YYYYMMDDTHHMMSSZ` (exactly 16 ASCII bytes).
/// Returns Unix seconds, or `None` for anything malformed or out of range.
pub fn parse_amz(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    // Working on bytes: a multi-byte UTF-8 char can never equal b'T'/b'Z' or
    // a digit, so non-ASCII input is rejected without slicing mid-char.
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    from_fields(&b[0..4], &b[4..6], &b[6..8], &b[9..11], &b[11..13], &b[13..15])
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff...]Z` and returns Unix milliseconds.
/// Fractional digits beyond milliseconds are truncated; at least one digit
/// must follow a `.`. Only the `Z` (UTC) designator is accepted.
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[b.len() - 1] != b'Z' {
        return None;
    }
    let sep_ok = b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':' && b[16] == b':';
    if !sep_ok {
        return None;
    }
    let secs = from_fields(&b[0..4], &b[5..7], &b[8..10], &b[11..13], &b[14..16], &b[17..19])?;
    let frac = &b[19..b.len() - 1];
    let millis = match frac.split_first() {
        None => 0,
        Some((b'.', f)) if !f.is_empty() && f.iter().all(u8::is_ascii_digit) => {
            // Take (up to) the first three digits, scaled to milliseconds.
            f.iter()
                .chain(std::iter::repeat(&b'0'))
                .take(3)
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
        }
        _ => return None,
    };
    secs.checked_mul(1000)?.checked_add(millis)
}

#[cfg(test)]
mod tests;

//! UTC civil-time helpers without a date crate.
//!
//! The Worker has no reliable `SystemTime::now()` on wasm32, so every function
//! here takes the time as an argument (Unix seconds or milliseconds) and only
//! converts between representations. Conversion uses Howard Hinnant's
//! `days_from_civil` / `civil_from_days` algorithms (proleptic Gregorian).
//!
//! Formatting is meant for years 0..=9999; parsing only accepts that range,
//! since all formats here are fixed-width four-digit years.

/// A broken-down UTC timestamp (second precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcDateTime {
    pub year: i64,
    /// 1..=12
    pub month: u32,
    /// 1..=31
    pub day: u32,
    /// 0..=23
    pub hour: u32,
    /// 0..=59
    pub minute: u32,
    /// 0..=59 (leap seconds are not represented)
    pub second: u32,
}

const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 for a proleptic Gregorian date.
/// Computed in i128 so that no (year, month, day) input can overflow.
fn days_from_civil(year: i64, month: u32, day: u32) -> i128 {
    let m = i128::from(month);
    let y = i128::from(year) - i128::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let mp = if m > 2 { m - 3 } else { m + 9 }; // March-based month [0, 11]
    let doy = (153 * mp + 2) / 5 + i128::from(day) - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]. Safe for every `i64` day count reachable
/// from `i64` seconds (|days| < 1.1e14, far from overflow).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let month = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    let year = yoe + era * 400 + i64::from(month <= 2);
    // month and day are small positive numbers by construction.
    (year, month as u32, day as u32)
}

fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl UtcDateTime {
    /// Breaks Unix seconds down into UTC fields. Total for every `i64`.
    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(SECS_PER_DAY);
        let rem = secs.rem_euclid(SECS_PER_DAY); // [0, 86399]
        let (year, month, day) = civil_from_days(days);
        UtcDateTime {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// Unix seconds for these fields. Exact for values from
    /// [`UtcDateTime::from_unix`]; saturates at the `i64` bounds instead of
    /// overflowing for absurd hand-built values.
    pub fn to_unix(&self) -> i64 {
        let secs = days_from_civil(self.year, self.month, self.day) * i128::from(SECS_PER_DAY)
            + i128::from(self.hour) * 3600
            + i128::from(self.minute) * 60
            + i128::from(self.second);
        i64::try_from(secs).unwrap_or(if secs < 0 { i64::MIN } else { i64::MAX })
    }

    /// True when every field is in range (rejects Feb 30, hour 24, ...).
    fn is_valid(&self) -> bool {
        (0..=9999).contains(&self.year)
            && (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }
}

/// `20261122T032200Z`: the SigV4 `x-amz-date` format.
pub fn format_amz(secs: i64) -> String {
    let t = UtcDateTime::from_unix(secs);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// `2026-11-22T03:22:00Z`: STS `Expiration` style (no fraction).
pub fn format_iso8601(secs: i64) -> String {
    let t = UtcDateTime::from_unix(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

/// `2026-11-22T03:22:00.000Z`: S3 `LastModified` style (milliseconds).
pub fn format_iso8601_millis(ms: i64) -> String {
    let t = UtcDateTime::from_unix(ms.div_euclid(1000));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        ms.rem_euclid(1000)
    )
}

/// Parses a run of ASCII digits (no sign, no spaces). Callers pass short,
/// fixed-width slices, so the value cannot overflow.
fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Builds a validated timestamp from the digit slices of a parsed string.
fn from_fields(y: &[u8], mo: &[u8], d: &[u8], h: &[u8], mi: &[u8], s: &[u8]) -> Option<i64> {
    let t = UtcDateTime {
        year: i64::from(digits(y)?),
        month: digits(mo)?,
        day: digits(d)?,
        hour: digits(h)?,
        minute: digits(mi)?,
        second: digits(s)?,
    };
    t.is_valid().then(|| t.to_unix())
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

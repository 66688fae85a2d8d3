//! The UTC timestamp formats of S3, SigV4, STS and HTTP, to and from Unix time.
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

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const WEEKDAYS_LONG: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The last second an HTTP date's four-digit year can show (9999-12-31T23:59:59Z).
const HTTP_DATE_MAX: i64 = 253_402_300_799;

/// `Sun, 06 Nov 1994 08:49:37 GMT`: the HTTP date (IMF-fixdate) of Unix
/// seconds, clamped to 1970..=9999 (the range [`parse_http_date`] accepts).
pub fn format_http_date(secs: i64) -> String {
    let t = civil(secs.clamp(0, HTTP_DATE_MAX));
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        WEEKDAYS[t.weekday().num_days_from_monday() as usize],
        t.day(),
        MONTHS[t.month0() as usize],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Unix seconds of an HTTP date in any of the three forms recipients must
/// accept (RFC 9110): IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, obsolete
/// RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT` (a year under 70 is 20xx) and
/// asctime `Sun Nov  6 08:49:37 1994`. The weekday must be the date's, the
/// year in 1970..=9999 (as the `httpdate` crate this replaces, for wasm size).
pub fn parse_http_date(s: &str) -> Option<i64> {
    if !s.is_ascii() {
        return None;
    }
    let b = s.trim().as_bytes();
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    let wday = |names: &[&str], name: &[u8]| names.iter().position(|n| n.as_bytes() == name);
    if b.len() == 29 && at(3, b',') && at(4, b' ') && at(7, b' ') && at(11, b' ') && b.ends_with(b" GMT") {
        let year = digits(&b[12..16])?;
        return http_date_fields(wday(&WEEKDAYS, &b[..3])?, &b[5..7], &b[8..11], year, &b[16..25]);
    }
    if b.len() == 24 && at(3, b' ') && at(7, b' ') && at(19, b' ') {
        // asctime pads a one-digit day with a space.
        let day = if b[8] == b' ' { &b[9..10] } else { &b[8..10] };
        let year = digits(&b[20..24])?;
        return http_date_fields(wday(&WEEKDAYS, &b[..3])?, day, &b[4..7], year, &b[10..19]);
    }
    let (name, rest) = b.split_at(b.iter().position(|&c| c == b',')?);
    if rest.len() != 24 || !rest.starts_with(b", ") || rest[4] != b'-' || rest[8] != b'-' || !rest.ends_with(b" GMT") {
        return None;
    }
    let yy = digits(&rest[9..11])?;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    http_date_fields(
        wday(&WEEKDAYS_LONG, name)?,
        &rest[2..4],
        &rest[5..8],
        year,
        &rest[11..20],
    )
}

/// The seconds of an HTTP date's fields (`hms` is ` HH:MM:SS`), if they name a
/// real time in 1970..=9999 on the weekday `wday` (0 = Monday).
fn http_date_fields(wday: usize, day: &[u8], mon: &[u8], year: u32, hms: &[u8]) -> Option<i64> {
    let mon = u32::try_from(MONTHS.iter().position(|m| m.as_bytes() == mon)? + 1).ok()?;
    if !(1970..=9999).contains(&year) || hms[0] != b' ' || hms[3] != b':' || hms[6] != b':' {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, mon, digits(day)?)?;
    if date.weekday().num_days_from_monday() as usize != wday {
        return None;
    }
    let t = date.and_hms_opt(digits(&hms[1..3])?, digits(&hms[4..6])?, digits(&hms[7..9])?)?;
    Some(t.and_utc().timestamp())
}

#[cfg(test)]
mod tests;

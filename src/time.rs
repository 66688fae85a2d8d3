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
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn epoch_and_known_values() {
        assert_eq!(format_amz(0), "19700101T000000Z");
        assert_eq!(format_iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_iso8601_millis(0), "1970-01-01T00:00:00.000Z");
        // 2026-11-22T03:22:00Z (cross-checked with `date -u -d @1795317720`).
        assert_eq!(format_amz(1_795_317_720), "20261122T032200Z");
        assert_eq!(format_iso8601(1_795_317_720), "2026-11-22T03:22:00Z");
        assert_eq!(format_iso8601_millis(1_795_317_720_123), "2026-11-22T03:22:00.123Z");
        assert_eq!(parse_amz("20261122T032200Z"), Some(1_795_317_720));
        assert_eq!(parse_amz("20130524T000000Z"), Some(1_369_353_600));
        assert_eq!(format_amz(951_782_400), "20000229T000000Z");
        assert_eq!(format_amz(951_868_799), "20000229T235959Z");
        assert_eq!(format_amz(4_107_542_400), "21000301T000000Z"); // 2100: no Feb 29
        assert_eq!(format_amz(253_402_300_799), "99991231T235959Z");
        assert_eq!(format_amz(-1), "19691231T235959Z");
        assert_eq!(format_iso8601_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn round_trip_every_day_across_range() {
        // Every day from 1600-01-01 to 2500-12-31 (1600/2000 leap centuries,
        // 1700/1800/1900/2100 non-leap ones, the epoch), at a varying time of day.
        let start = parse_amz("16000101T000000Z").unwrap();
        let end = parse_amz("25001231T000000Z").unwrap();
        let mut n = 0i64;
        for day in (start..=end).step_by(usize::try_from(DAY).unwrap()) {
            let secs = day + (n * 7919) % DAY;
            let amz = format_amz(secs);
            assert_eq!(parse_amz(&amz), Some(secs), "{amz}");
            let iso = format_iso8601(secs);
            assert_eq!(parse_iso8601(&iso), Some(secs * 1000), "{iso}");
            let ms = secs * 1000 + n % 1000;
            assert_eq!(parse_iso8601(&format_iso8601_millis(ms)), Some(ms));
            n += 1;
        }
        assert_eq!(n, 329_084); // days in 1600..=2500 (checked with Python)
    }

    #[test]
    fn leap_years() {
        assert!(parse_amz("20000229T000000Z").is_some());
        assert!(parse_amz("20240229T000000Z").is_some());
        assert!(parse_amz("16000229T000000Z").is_some());
        assert_eq!(parse_amz("21000229T000000Z"), None);
        assert_eq!(parse_amz("19000229T000000Z"), None);
        assert_eq!(parse_amz("20230229T000000Z"), None);
    }

    #[test]
    fn extremes_do_not_panic() {
        for secs in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
            let _ = (format_amz(secs), format_iso8601(secs), format_iso8601_millis(secs));
        }
        assert_eq!(parse_amz("00000101T000000Z"), Some(-62_167_219_200));
        assert_eq!(parse_amz("99991231T235959Z"), Some(253_402_300_799));
    }

    #[test]
    fn parse_amz_rejects_invalid() {
        for s in [
            "",
            "garbage",
            "20261322T032200Z", // month 13
            "20260022T032200Z", // month 0
            "20260230T000000Z", // Feb 30
            "20260431T000000Z", // Apr 31
            "20260100T000000Z", // day 0
            "20261122T242200Z", // hour 24
            "20261122T036000Z", // minute 60
            "20261122T032260Z", // second 60
            "20261231T235960Z", // leap second
            "20261122T032200",  // missing Z
            "20261122T032200z", // lowercase z
            "20261122t032200Z",
            "20261122T032200Z ",
            " 20261122T032200Z",
            "2026-11-22T03:22:00Z",
            "+0261122T032200Z",
            "2026112 T032200Z",
            " 2026112T032200Z",
            "20261122T 32200Z",
            "20261122T03220éZ", // non-ASCII, 16 bytes
            "2026112éT032200Z",
            "２０２６1122T0322Z",
            "\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}T\u{0}\u{0}\u{0}\u{0}\u{0}\u{0}Z",
        ] {
            assert_eq!(parse_amz(s), None, "{s:?}");
        }
    }

    #[test]
    fn parse_iso8601_variants() {
        let base = 1_795_317_720_000;
        assert_eq!(parse_iso8601("2026-11-22T03:22:00Z"), Some(base));
        assert_eq!(parse_iso8601("2026-11-22T03:22:00.000Z"), Some(base));
        assert_eq!(parse_iso8601("2026-11-22T03:22:00.5Z"), Some(base + 500));
        assert_eq!(parse_iso8601("2026-11-22T03:22:00.12Z"), Some(base + 120));
        assert_eq!(parse_iso8601("2026-11-22T03:22:00.123Z"), Some(base + 123));
        assert_eq!(parse_iso8601("2026-11-22T03:22:00.123999999Z"), Some(base + 123));
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso8601("1969-12-31T23:59:59.999Z"), Some(-1));
    }

    #[test]
    fn parse_iso8601_rejects_invalid() {
        for s in [
            "",
            "Z",
            "garbage garbage garbage",
            "2026-13-22T03:22:00Z",
            "2026-02-30T03:22:00Z",
            "2100-02-29T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T03:60:00Z",
            "2026-11-22T03:22:60Z",
            "2026-11-22T03:22:00",
            "2026-11-22T03:22:00.Z",
            "2026-11-22T03:22:00.12aZ",
            "2026-11-22T03:22:00,123Z",
            "2026-11-22T03:22:00+00:00",
            "2026-11-22 03:22:00Z",
            "2026-11-22t03:22:00Z",
            "2026/11/22T03:22:00Z",
            "20261122T032200Z",
            "2026-11-22T03:22:0éZ",
            "2026-11-22T03:22:00.1éZ",
            "éééééééééééééééééééééZ",
            "-026-11-22T03:22:00Z",
            "2026-1-22T03:22:00ZZ",
            "2026- 1-22T03:22:00Z",
        ] {
            assert_eq!(parse_iso8601(s), None, "{s:?}");
        }
    }
}

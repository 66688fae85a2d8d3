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
mod tests {
    use super::*;

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
        assert_eq!(format_amz(4_107_542_400), "21000301T000000Z"); // 2100: no Feb 29
        assert_eq!(format_amz(253_402_300_799), "99991231T235959Z");
        assert_eq!(format_amz(-1), "19691231T235959Z");
        assert_eq!(format_iso8601_millis(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn from_unix_fields() {
        let t = UtcDateTime::from_unix(951_868_799); // 2000-02-29T23:59:59Z
        assert_eq!(
            t,
            UtcDateTime {
                year: 2000,
                month: 2,
                day: 29,
                hour: 23,
                minute: 59,
                second: 59
            }
        );
        assert_eq!(t.to_unix(), 951_868_799);
    }

    #[test]
    fn round_trip_every_day_across_range() {
        // Every day from 1600-01-01 to 2500-12-31 (covers 1600/2000 leap
        // centuries, 1700/1800/1900/2100 non-leap ones, and the epoch), at a
        // varying time of day.
        let start = UtcDateTime {
            year: 1600,
            month: 1,
            day: 1,
            hour: 0,
            minute: 0,
            second: 0,
        };
        let end = UtcDateTime {
            year: 2500,
            month: 12,
            day: 31,
            hour: 0,
            minute: 0,
            second: 0,
        };
        let (mut secs, end) = (start.to_unix(), end.to_unix());
        let mut prev: Option<UtcDateTime> = None;
        let mut n = 0i64;
        while secs <= end {
            let t_secs = secs + (n * 7919) % SECS_PER_DAY;
            let t = UtcDateTime::from_unix(t_secs);
            assert!(t.is_valid(), "{t:?}");
            assert_eq!(t.to_unix(), t_secs);
            let amz = format_amz(t_secs);
            assert_eq!(parse_amz(&amz), Some(t_secs), "{amz}");
            let iso = format_iso8601(t_secs);
            assert_eq!(parse_iso8601(&iso), Some(t_secs * 1000), "{iso}");
            let ms = t_secs * 1000 + n % 1000;
            assert_eq!(parse_iso8601(&format_iso8601_millis(ms)), Some(ms));
            // Consecutive days must be consecutive calendar dates.
            if let Some(p) = prev {
                let next_expected = if p.day < days_in_month(p.year, p.month) {
                    (p.year, p.month, p.day + 1)
                } else if p.month < 12 {
                    (p.year, p.month + 1, 1)
                } else {
                    (p.year + 1, 1, 1)
                };
                assert_eq!((t.year, t.month, t.day), next_expected);
            }
            prev = Some(t);
            secs += SECS_PER_DAY;
            n += 1;
        }
        assert_eq!(n, 329_084); // days in 1600..=2500 (checked with Python)
    }

    #[test]
    fn leap_years() {
        assert!(is_leap(2000) && is_leap(2024) && is_leap(1600));
        assert!(!is_leap(1900) && !is_leap(2100) && !is_leap(2023));
        assert!(parse_amz("20000229T000000Z").is_some());
        assert!(parse_amz("20240229T000000Z").is_some());
        assert_eq!(parse_amz("21000229T000000Z"), None);
        assert_eq!(parse_amz("19000229T000000Z"), None);
        assert_eq!(parse_amz("20230229T000000Z"), None);
    }

    #[test]
    fn extremes_do_not_panic() {
        for secs in [i64::MIN, i64::MIN + 1, -1, 0, i64::MAX - 1, i64::MAX] {
            let t = UtcDateTime::from_unix(secs);
            assert_eq!(t.to_unix(), secs);
            let _ = (format_amz(secs), format_iso8601(secs), format_iso8601_millis(secs));
        }
        let absurd = UtcDateTime {
            year: i64::MAX,
            month: 99,
            day: u32::MAX,
            hour: u32::MAX,
            minute: 0,
            second: 0,
        };
        assert_eq!(absurd.to_unix(), i64::MAX);
        let absurd_neg = UtcDateTime {
            year: i64::MIN,
            ..absurd
        };
        assert_eq!(absurd_neg.to_unix(), i64::MIN);
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
            "20261122T032200",  // missing Z
            "20261122T032200z", // lowercase z
            "20261122t032200Z",
            "20261122T032200Z ",
            " 20261122T032200Z",
            "2026-11-22T03:22:00Z",
            "+0261122T032200Z",
            "2026112 T032200Z",
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
            "2026/11/22T03:22:00Z",
            "20261122T032200Z",
            "2026-11-22T03:22:0éZ",
            "2026-11-22T03:22:00.1éZ",
            "éééééééééééééééééééééZ",
            "-026-11-22T03:22:00Z",
            "2026-1-22T03:22:00ZZ",
        ] {
            assert_eq!(parse_iso8601(s), None, "{s:?}");
        }
    }
}

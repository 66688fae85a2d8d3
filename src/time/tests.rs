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

#[test]
fn http_dates_in_their_three_forms() {
    let t = 784_111_777; // 1994-11-06T08:49:37Z, a Sunday
    assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    for s in [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "  Sun, 06 Nov 1994 08:49:37 GMT ",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994",
    ] {
        assert_eq!(parse_http_date(s), Some(t), "{s:?}");
    }
    assert_eq!(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"), Some(0));
    // Two-digit years under 70 are 20xx.
    assert_eq!(
        parse_http_date("Sunday, 06-Nov-44 08:49:37 GMT"),
        parse_http_date("Sun, 06 Nov 2044 08:49:37 GMT")
    );
    for bad in [
        "Mon, 06 Nov 1994 08:49:37 GMT", // not a Monday
        "Sun, 06 Nov 1994 08:49:60 GMT", // leap second
        "Sun, 06 Nov 1994 24:00:00 GMT",
        "Fri, 29 Feb 2019 00:00:00 GMT", // no such day
        "Wed, 31 Dec 1969 23:59:59 GMT", // before 1970
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 06 Nov 1994 08:49:37 GMT+1",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 nov 1994 08:49:37 GMT",
        "Sun, 06 Nov +994 08:49:37 GMT",
        "Sun,06 Nov 1994 08:49:37 GMT ",
        "Sun Nov  6 08.49:37 1994",
        "Sunday, 06-Nov-94 08:49:37 UTC",
        "Sun, 06-Nov-94 08:49:37 GMT",
        "Sunday 06-Nov-94 08:49:37 GMT",
        "Sunday, 06 Nov 94 08:49:37 GMT",
        "Sün, 06 Nov 1994 08:49:37 GMT",
        ",",
        "",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad:?}");
    }
    // Formatting stays within what parses: clamped to 1970..=9999.
    assert_eq!(format_http_date(-1), "Thu, 01 Jan 1970 00:00:00 GMT");
    assert_eq!(format_http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
}

#[test]
fn http_dates_as_the_httpdate_crate() {
    use std::time::{Duration, UNIX_EPOCH};
    let mut t: u64 = 1;
    for _ in 0..20_000 {
        t = t
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let secs = (t >> 20) % 253_402_300_800;
        let theirs = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(secs));
        let secs = i64::try_from(secs).unwrap();
        assert_eq!(format_http_date(secs), theirs);
        assert_eq!(parse_http_date(&theirs), Some(secs), "{theirs}");
        // Any one byte changed: both accept or both refuse, with the same time.
        let mut b = theirs.clone().into_bytes();
        let i = usize::try_from(t % 29).unwrap();
        b[i] = b" ,:-0123456789JFMASONDGTadehinorstuy"[usize::try_from(t >> 40).unwrap() % 36];
        let changed = String::from_utf8(b).unwrap();
        let want = httpdate::parse_http_date(&changed)
            .ok()
            .map(|d| i64::try_from(d.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap());
        assert_eq!(parse_http_date(&changed), want, "{changed}");
    }
    for s in [
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Thu Jan  1 00:00:00 1970",
    ] {
        let want = httpdate::parse_http_date(s)
            .ok()
            .map(|d| d.duration_since(UNIX_EPOCH).unwrap().as_secs());
        assert_eq!(parse_http_date(s).map(|v| u64::try_from(v).unwrap()), want, "{s}");
    }
}

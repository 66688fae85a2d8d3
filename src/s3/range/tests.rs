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

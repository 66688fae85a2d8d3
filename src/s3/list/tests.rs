use super::*;

fn q(s: &str) -> Query {
    Query::parse(s).unwrap()
}

fn obj(key: &str) -> ListedObject {
    ListedObject {
        key: key.into(),
        size: 1,
        etag: "\"e\"".into(),
        last_modified_ms: 0,
    }
}

/// Parameters of a listing of bucket `demo`, unkeyed tokens.
fn parse(s: &str) -> Result<ListParams> {
    let keys = TokenKeys::unkeyed();
    ListParams::parse(
        &q(s),
        &TokenScope {
            keys: &keys,
            bucket: "demo",
        },
    )
}

#[test]
fn a_token_is_parsed_back_by_its_listing_only() {
    let keys = TokenKeys::unkeyed();
    let scope = TokenScope {
        keys: &keys,
        bucket: "demo",
    };
    let p = parse("list-type=2&prefix=a%2F&delimiter=%2F").unwrap();
    let pos = Position {
        value: "a/b/".into(),
        is_prefix: true,
    };
    let t = p.binding(&scope).seal(&pos);
    let with = |extra: &str| ListParams::parse(&q(&format!("{extra}&continuation-token={t}")), &scope);
    assert_eq!(with("list-type=2&prefix=a%2F&delimiter=%2F").unwrap().after, Some(pos));
    for other in ["list-type=2&prefix=a&delimiter=%2F", "list-type=2&prefix=a%2F"] {
        assert!(matches!(with(other), Err(ProxyError::InvalidArgument(_))), "{other}");
    }
}
#[test]
fn params() {
    let p = parse("list-type=2&prefix=a%2F&delimiter=%2F&max-keys=5000&encoding-type=url").unwrap();
    assert_eq!(
        (
            p.version,
            p.prefix.as_str(),
            p.delimiter.as_deref(),
            p.max_keys,
            p.encoding_url
        ),
        (Version::V2, "a/", Some("/"), 1000, true)
    );
    let p = parse("").unwrap();
    assert_eq!((p.version, p.max_keys, p.after), (Version::V1, 1000, None));
    let p = parse("list-type=2&start-after=k").unwrap();
    assert_eq!(p.after, Some(Position::key("k")));
    assert_eq!(parse("max-keys=2147483647").unwrap().max_keys, 1000);
    let p = parse("max-keys=0").unwrap();
    assert_eq!(p.max_keys, 0);
}

#[test]
fn bad_params() {
    for s in [
        "max-keys=-1",
        "max-keys=abc",
        "max-keys=",
        "list-type=3",
        "encoding-type=base64",
        "list-type=2&continuation-token=%21",
    ] {
        assert!(matches!(parse(s), Err(ProxyError::InvalidArgument(_))), "{s}");
    }
    let long = format!("prefix={}", "a".repeat(1025));
    assert_eq!(parse(&long), Err(ProxyError::KeyTooLong));
}

#[test]
fn positions() {
    let cp = Position {
        value: "a/".into(),
        is_prefix: true,
    };
    assert!(!cp.admits("a/") && !cp.admits("a/x") && cp.admits("a0"));
    assert!(Position::key("a/").admits("a/x"));
    assert!(cp.covers("a/") && cp.covers("a/b") && !cp.covers("a"));
    assert!(Position::key("b").covers("a/") && !Position::key("a/").covers("a/"));
    assert!(!Position::key("a/x").covers("a/") && !Position::key("a").covers("a/"));
}

#[test]
fn renders_v2_with_url_encoding() {
    let p = parse("list-type=2&encoding-type=url&delimiter=/&max-keys=2").unwrap();
    let out = ListOutput {
        entries: vec![Entry::Object(obj("p/a b+c")), Entry::Prefix("p/d/".into())],
        next: Some(Position {
            value: "p/d/".into(),
            is_prefix: true,
        }),
    };
    let keys = TokenKeys::unkeyed();
    let scope = TokenScope {
        keys: &keys,
        bucket: "demo",
    };
    let x = String::from_utf8(render("demo", &p, &out, "demo", &scope)).unwrap();
    assert!(x.contains("<Key>p/a%20b%2Bc</Key>"), "{x}");
    assert!(x.contains("<KeyCount>2</KeyCount>"));
    assert!(x.contains("<CommonPrefixes><Prefix>p/d/</Prefix></CommonPrefixes>"));
    let token = p.binding(&scope).seal(&Position {
        value: "p/d/".into(),
        is_prefix: true,
    });
    assert!(
        x.contains(&format!("<NextContinuationToken>{token}</NextContinuationToken>")),
        "{x}"
    );
    assert!(x.contains("<IsTruncated>true</IsTruncated>"));
}

#[test]
fn renders_v1_marker() {
    let p = parse("marker=a").unwrap();
    let out = ListOutput {
        entries: vec![Entry::Object(obj("b"))],
        next: Some(Position::key("b")),
    };
    let keys = TokenKeys::unkeyed();
    let scope = TokenScope {
        keys: &keys,
        bucket: "demo",
    };
    let x = String::from_utf8(render("demo", &p, &out, "demo", &scope)).unwrap();
    assert!(
        x.contains("<Marker>a</Marker><MaxKeys>"),
        "without a delimiter: no NextMarker {x}"
    );
    assert!(!x.contains("KeyCount"));
    let p = parse("marker=a&delimiter=/").unwrap();
    let x = String::from_utf8(render("demo", &p, &out, "demo", &scope)).unwrap();
    assert!(x.contains("<Marker>a</Marker><NextMarker>b</NextMarker>"), "{x}");
}

/// The fast `LastModified` writer says exactly what the general formatter
/// says: at the edges of its fast path, across day changes (the date part is
/// reused while the day holds) and for a spread of instants.
#[test]
fn date_writer_matches_the_formatter() {
    let mut w = DateWriter::default();
    let mut edges = vec![
        i64::MIN,
        -86_400_001,
        -1,
        0,
        1,
        999,
        1000,
        86_399_999,
        86_400_000,
        951_782_400_000, // 2000-02-29
        1_798_675_200_000,
        DateWriter::END_MS - 1,
        DateWriter::END_MS,
        i64::MAX,
    ];
    // A pseudo-random walk through 1970..10000, with repeats of the same day.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for _ in 0..20_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ms = i64::try_from(x % 253_402_300_800_000).unwrap();
        edges.push(ms);
        edges.push(ms + 1);
        edges.push(ms - ms % 86_400_000);
    }
    for ms in edges {
        let mut out = String::from("<");
        w.write(&mut out, ms);
        assert_eq!(out, format!("<{}", format_iso8601_millis(ms)), "{ms}");
    }
}

#[test]
fn decimal_writer() {
    for n in [0, 1, 9, 10, 22, 1_000_000, u64::MAX] {
        let mut out = String::new();
        push_decimal(&mut out, n);
        assert_eq!(out, n.to_string());
    }
}

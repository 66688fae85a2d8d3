use super::*;

fn binding<'a>(keys: &'a TokenKeys, prefix: &'a str) -> Binding<'a> {
    Binding {
        keys,
        bucket: "acct/p",
        prefix,
        delimiter: Some("/"),
    }
}

fn positions() -> Vec<Position> {
    vec![
        Position::key(""),
        Position::key("a/b c+d&é"),
        Position {
            value: "x/日/".into(),
            is_prefix: true,
        },
        // The longest: a part's end past a 1024-byte name (multi-byte).
        Position::key(&"\u{10FFFF}".repeat(MAX_POSITION_BYTES / 4)),
    ]
}

#[test]
fn tokens_round_trip_opaque_ascii_and_short() {
    let keys = TokenKeys::new(vec![[7; 32]]);
    let b = binding(&keys, "a");
    for pos in positions() {
        let t = b.seal(&pos);
        assert!(
            t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'),
            "{t}"
        );
        assert!(t.len() <= MAX_TOKEN_CHARS, "{}", t.len());
        assert_eq!(b.open(&t), Ok(pos.clone()));
        assert_eq!(peek(&t), Some(pos));
    }
}

#[test]
fn a_token_opens_only_for_its_listing_and_keys() {
    let keys = TokenKeys::new(vec![[7; 32]]);
    let pos = Position::key("a/b");
    let t = binding(&keys, "a").seal(&pos);
    let refused = Err(ProxyError::InvalidArgument(
        "The continuation token provided is incorrect",
    ));
    let other_keys = TokenKeys::new(vec![[8; 32]]);
    let unkeyed = TokenKeys::unkeyed();
    let mut others = vec![
        binding(&keys, "a/"),
        binding(&keys, ""),
        binding(&other_keys, "a"),
        binding(&unkeyed, "a"),
    ];
    for (bucket, delimiter) in [
        ("acct", Some("/")),
        ("acct/q", Some("/")),
        ("acct/p", None),
        ("acct/p", Some("-")),
    ] {
        others.push(Binding {
            bucket,
            delimiter,
            ..binding(&keys, "a")
        });
    }
    for b in &others {
        assert_eq!(b.open(&t), refused, "{b:?}");
    }
    // Fields do not run into each other: bucket `ab` + prefix `` is not `a` + `b`.
    let ab = Binding {
        bucket: "ab",
        ..binding(&keys, "")
    };
    let a_b = Binding {
        bucket: "a",
        ..binding(&keys, "b")
    };
    assert_eq!(a_b.open(&ab.seal(&pos)), refused);
    // After a rotation the previous key still opens what it sealed.
    let rotated = TokenKeys::new(vec![[9; 32], [7; 32]]);
    assert_eq!(binding(&rotated, "a").open(&t), Ok(pos.clone()));
    assert_ne!(binding(&rotated, "a").seal(&pos), t, "the active key seals");
    // An empty key list is the unkeyed deployment, not a keyless MAC.
    assert_eq!(
        binding(&TokenKeys::new(vec![]), "a").seal(&pos),
        binding(&unkeyed, "a").seal(&pos)
    );
}

#[test]
fn anything_else_is_refused() {
    let keys = TokenKeys::unkeyed();
    let b = binding(&keys, "");
    let real = b.seal(&Position::key("k"));
    let raw = URL_SAFE_NO_PAD.decode(&real).unwrap();
    let mut kind_flipped = raw.clone();
    kind_flipped[1] = b'p';
    let mut old_version = raw.clone();
    old_version[0] = b'1';
    let cut = &raw[..raw.len() - 1];
    for t in [
        String::new(),
        "!!!".into(),
        "AAAA".into(),
        "A".repeat(MAX_TOKEN_CHARS + 1),
        URL_SAFE_NO_PAD.encode("1kmany/01000.txt"),
        URL_SAFE_NO_PAD.encode(kind_flipped),
        URL_SAFE_NO_PAD.encode(old_version),
        URL_SAFE_NO_PAD.encode(cut),
        format!("{real}="),
        format!("{real}A"),
    ] {
        assert!(b.open(&t).is_err(), "{t:.40}");
    }
}

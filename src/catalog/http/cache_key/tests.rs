use super::*;

/// (issuer, subject, role) of a principal; `None` for anonymous.
type Decoded = (Option<(String, String, String)>, String);

/// The left inverse of `cache_key`: its existence proves injectivity.
fn decode(key: &str) -> Option<Decoded> {
    let rest = key.strip_prefix(KEY_BASE)?;
    let (who, url) = rest.split_once('/')?;
    let url = String::from_utf8(hex::decode(url).ok()?).ok()?;
    if who == "anon" {
        return Some((None, url));
    }
    let mut f = who.strip_prefix("p-")?.split('-');
    let mut field = || String::from_utf8(hex::decode(f.next()?).ok()?).ok();
    let (iss, sub, role) = (field()?, field()?, field()?);
    if f.next().is_some() {
        return None;
    }
    Some((Some((iss, sub, role)), url))
}

fn p<'a>(issuer: &'a str, subject: &'a str) -> Identity<'a> {
    Identity::Principal {
        issuer,
        subject,
        role: "_default",
    }
}

const URL: &str = "https://catalog.example/api/v1/products/acme/data";

#[test]
fn keys_decode_back_to_identity_and_url() {
    let subjects = [
        "",
        "alice",
        "a&b=c",
        "a#frag",
        "a?x=y",
        "a/b/../c",
        "a b",
        "%2F%00",
        "ünï©ødé 🦀",
        "anon",
        "-",
        "p-",
        "61",
        "\u{0}",
    ];
    for sub in subjects {
        for url in [URL, "", "https://x/?a=b#c", "ü/ /?#&"] {
            let key = cache_key(p("https://idp.example", sub), url).unwrap();
            let want = Some((
                Some((
                    "https://idp.example".to_string(),
                    sub.to_string(),
                    "_default".to_string(),
                )),
                url.to_string(),
            ));
            assert_eq!(decode(&key), want, "{sub:?} {url:?}");
            assert!(
                key[KEY_BASE.len()..]
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase() || b == b'-' || b == b'/' || b == b'p'),
                "{key}"
            );
            let anon = cache_key(Identity::Anonymous, url).unwrap();
            assert_eq!(decode(&anon), Some((None, url.to_string())));
        }
    }
}

#[test]
fn distinct_identities_never_share_a_key() {
    let idents = [
        p("ab", ""),
        p("a", "b"),
        p("", "ab"),
        p("https://idp", "ab"),
        p("https://idp", "a"),
        p("https://idp", "b"),
        p("https://idp", "a b"),
        p("https://idp", "a+b"),
        p("https://idp", "a%20b"),
        p("https://idp", "anonymous"),
        p("https://idp2", "ab"),
        p("https://id", "pab"),
        Identity::Principal {
            issuer: "https://idp",
            subject: "ab",
            role: "other",
        },
        Identity::Principal {
            issuer: "https://idp",
            subject: "ab-",
            role: "",
        },
        Identity::Anonymous,
    ];
    let mut seen = std::collections::HashMap::new();
    for (i, id) in idents.iter().enumerate() {
        for url in [URL, "https://catalog.example/api/v1/products/acme"] {
            let key = cache_key(*id, url).unwrap();
            assert!(seen.insert(key.clone(), (i, url)).is_none(), "collision {key}");
        }
    }
}

#[test]
fn a_subject_equal_to_another_keys_fragment_does_not_collide() {
    // Take the fragment of one principal's key and use it (and the raw
    // hex pieces) as someone else's subject: still a different key.
    let victim = cache_key(p("https://idp", "alice"), URL).unwrap();
    let fragment = victim[KEY_BASE.len()..].to_string();
    let who = fragment.split('/').next().unwrap().to_string();
    let hex_alice = hex::encode("alice");
    let tricks = [
        fragment.clone(),
        who.clone(),
        format!("{hex_alice}-{}", hex::encode("_default")),
        format!("alice/{}", hex::encode(URL)),
        format!("alice-{}", hex::encode("_default")),
        victim.clone(),
    ];
    for t in &tricks {
        for iss in ["https://idp", "", "p"] {
            let k = cache_key(p(iss, t), URL).unwrap();
            assert_ne!(k, victim, "{iss:?} {t:?}");
            assert!(!victim.starts_with(&k) && !k.starts_with(&victim));
        }
    }
    // Moving bytes between issuer and subject or subject and role changes the key.
    let split = |i: &'static str, s: &'static str, r: &'static str| {
        cache_key(
            Identity::Principal {
                issuer: i,
                subject: s,
                role: r,
            },
            URL,
        )
        .unwrap()
    };
    assert_ne!(split("a", "bc", "d"), split("ab", "c", "d"));
    assert_ne!(split("a", "bc", "d"), split("a", "b", "cd"));
    assert_ne!(split("a", "", "b"), split("a", "b", ""));
}

#[test]
fn urls_are_part_of_the_key() {
    let a = cache_key(p("i", "s"), "https://c/api/v1/products/acme/x").unwrap();
    let b = cache_key(p("i", "s"), "https://c/api/v1/products/acme/x/permissions").unwrap();
    let c = cache_key(p("i", "s"), "https://d/api/v1/products/acme/x").unwrap();
    assert!(a != b && a != c && b != c);
    assert!(a.starts_with("https://catalog-cache.invalid/v1/p-"));
}

#[test]
fn oversized_keys_are_not_cached() {
    let long = "x".repeat(MAX_KEY_LEN);
    assert!(cache_key(p("i", &long), URL).is_none());
    assert!(cache_key(Identity::Anonymous, &long).is_none());
    let ok = "x".repeat(1000);
    assert!(cache_key(p("i", &ok), URL).is_some_and(|k| k.len() <= MAX_KEY_LEN));
}

#[test]
fn ttls_per_kind() {
    assert_eq!(AnswerKind::Product.ttl_secs(), 300);
    assert_eq!(AnswerKind::DataConnection.ttl_secs(), 300);
    assert_eq!(AnswerKind::ProductList.ttl_secs(), 60);
    assert_eq!(AnswerKind::Permissions.ttl_secs(), 60);
}

#[test]
fn envelope_round_trip_and_expiry() {
    let e = seal_entry(1000, b"{\"a\":1}");
    assert_eq!(open_entry(&e, 999), Some((1000, b"{\"a\":1}".as_slice())));
    assert_eq!(open_entry(&e, 1000), None);
    assert_eq!(open_entry(b"{\"a\":1}", 0), None, "not an envelope");
    assert_eq!(open_entry(&e[..ENVELOPE_LEN - 1], 0), None);
    assert_eq!(open_entry(&seal_entry(5, b""), 4), Some((5, b"".as_slice())));
}

#[test]
fn memory_cache_expires_and_stays_bounded() {
    let c = MemoryCache::new(3, 1 << 20);
    c.put("a", b"1", 110, 100);
    assert_eq!(c.get("a", 109).as_deref(), Some(b"1".as_slice()));
    assert_eq!(c.get("a", 110), None);
    assert!(c.is_empty(), "expired entries are dropped on read");
    c.put("a", b"1", 200, 100);
    c.put("b", b"2", 150, 100);
    c.put("c", b"3", 300, 100);
    assert!(c.get("a", 100).is_some(), "a is now the most recently used");
    c.put("d", b"4", 250, 100);
    assert_eq!(c.len(), 3);
    assert_eq!(c.get("b", 100), None, "the least recently used is evicted first");
    assert!(c.get("a", 100).is_some() && c.get("c", 100).is_some() && c.get("d", 100).is_some());
    // An expired answer is never served, and reading it frees its room.
    assert_eq!(c.get("a", 240), None);
    assert_eq!(c.len(), 2);
    c.put("e", b"5", 400, 240);
    assert!(c.get("c", 240).is_some() && c.get("d", 240).is_some() && c.get("e", 240).is_some());
    // Replacing a key keeps one entry.
    c.put("e", b"55", 400, 240);
    assert_eq!(c.len(), 3);
    assert_eq!(c.get("e", 240).as_deref(), Some(b"55".as_slice()));
    // Already expired answers are not stored.
    c.put("f", b"6", 240, 240);
    assert_eq!(c.get("f", 0), None);
}

#[test]
fn memory_cache_keeps_a_hot_answer_through_a_flood() {
    let c = MemoryCache::new(64, 1 << 20);
    c.put("hot", b"answer", 1_000, 0);
    for i in 0..10_000 {
        c.put(&format!("principal-{i}"), &[0u8; 100], 2_000 + i, 0);
        if i % 8 == 0 {
            assert_eq!(c.get("hot", 0).as_deref(), Some(b"answer".as_slice()), "after {i}");
        }
        let s = c.stats();
        assert!(s.entries <= 64 && s.bytes <= 1 << 20, "{s:?}");
    }
    assert_eq!(c.stats().entries, 64);
}

#[test]
fn memory_cache_byte_bound() {
    use crate::bounded::ENTRY_OVERHEAD;
    let entry = 2 * "k00".len() + 90 + size_of::<Answer>() + ENTRY_OVERHEAD;
    let c = MemoryCache::new(100, 8 * entry);
    c.put("big", &[0u8; 91], 1000, 0);
    assert!(c.is_empty(), "an entry above an eighth of the bound is refused");
    for i in 0..20 {
        c.put(&format!("k{i:02}"), &[0u8; 90], 1000 + i, 0);
        assert!(c.stats().bytes <= 8 * entry);
    }
    assert_eq!((c.len(), c.stats().bytes), (8, 8 * entry));
    assert!(c.get("k19", 0).is_some() && c.get("k12", 0).is_some() && c.get("k11", 0).is_none());
}

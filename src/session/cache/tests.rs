use super::*;

type Cache = SessionCache<String>;

fn opened(secret: &str, expires_at: i64, token_len: usize) -> Rc<Opened<String>> {
    Rc::new(Opened::new(
        "alice".to_string(),
        Secret::from(secret.to_string()),
        expires_at,
        token_len,
    ))
}

#[test]
fn keys_tell_every_pair_apart() {
    // Without the length prefix these two pairs would give the same key.
    assert_ne!(cache_key("AB", "Ctoken"), cache_key("ABC", "token"));
    assert_ne!(cache_key("ASIA1", "t1"), cache_key("ASIA1", "t2"));
    let cache = Cache::default();
    cache.insert(cache_key("ASIA1", "t1"), opened("s", 100, 2));
    assert!(cache.get(&cache_key("ASIA1", "t1")).is_some());
    assert!(
        cache.get(&cache_key("ASIA1", "t2")).is_none(),
        "same key id, other token"
    );
    assert!(
        cache.get(&cache_key("ASIA2", "t1")).is_none(),
        "same token, other key id"
    );
}

#[test]
fn validity_ends_at_expiry() {
    let o = opened("s", 100, 10);
    assert!(o.valid_at(99));
    assert!(!o.valid_at(100), "as unseal: valid only while now < expires_at");
}

#[test]
fn signing_key_follows_the_scope() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let o = opened(secret, 100, 10);
    let derive = |d: &str, r: &str, s: &str| signing_key(secret, d, r, s);
    assert_eq!(
        o.signing_key("20260101", "us-east-1", "s3"),
        derive("20260101", "us-east-1", "s3")
    );
    // Cached, then replaced when the day, region or service changes.
    assert_eq!(
        o.signing_key("20260101", "us-east-1", "s3"),
        derive("20260101", "us-east-1", "s3")
    );
    assert_eq!(
        o.signing_key("20260102", "us-east-1", "s3"),
        derive("20260102", "us-east-1", "s3")
    );
    assert_eq!(
        o.signing_key("20260102", "eu-west-1", "s3"),
        derive("20260102", "eu-west-1", "s3")
    );
    assert_eq!(
        o.signing_key("20260102", "eu-west-1", "sts"),
        derive("20260102", "eu-west-1", "sts")
    );
    // Another secret in the same scope: another key.
    let other = opened("another-secret", 100, 10);
    assert_ne!(
        other.signing_key("20260102", "eu-west-1", "sts"),
        o.signing_key("20260102", "eu-west-1", "sts")
    );
}

#[test]
fn bounded_in_entries_and_bytes() {
    let cache = Cache::default();
    for i in 0..3 * MAX_SESSIONS {
        cache.insert(cache_key("ASIA", &format!("token-{i}")), opened("s", 100, 1000));
        let s = cache.stats();
        assert!(s.entries <= MAX_SESSIONS && s.bytes <= MAX_BYTES, "{s:?}");
    }
    // The most recent stays; the first went.
    assert!(cache
        .get(&cache_key("ASIA", &format!("token-{}", 3 * MAX_SESSIONS - 1)))
        .is_some());
    assert!(cache.get(&cache_key("ASIA", "token-0")).is_none());
    // Tokens of the longest kind: the byte bound holds them too.
    let cache = Cache::default();
    for i in 0..MAX_SESSIONS {
        let token = format!("{i:0>4096}");
        cache.insert(cache_key("ASIA", &token), opened("s", 100, token.len()));
    }
    let s = cache.stats();
    assert!(s.entries < MAX_SESSIONS && s.bytes <= MAX_BYTES, "{s:?}");
}

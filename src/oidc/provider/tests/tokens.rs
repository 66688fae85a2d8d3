//! Minted tokens: signature and claims, jti, reuse and cache slots.

use super::*;

#[test]
fn minted_token_verifies_with_jwt_compact_and_own_verifier() {
    let k = keys_rotated();
    let signer = NativeSigner::new(&k);
    let cache = TokenCache::new();
    let session = MintRequest::session("user-1", AUD, "reader", "https://idp.example.com");
    let token = block_on(cache.token(&signer, &k, &session, NOW)).expect("minted");

    // jwt-compact, with the key rebuilt from the published JWKS n/e.
    let jwks: Value = serde_json::from_str(&jwks_json(&k)).expect("JSON");
    let big = |v: &Value| BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(v.as_str().unwrap_or("")).unwrap_or_default());
    let public = RsaPublicKey::new(big(&jwks["keys"][0]["n"]), big(&jwks["keys"][0]["e"])).expect("JWKS key");
    let untrusted = UntrustedToken::new(&token).expect("parses");
    assert_eq!(untrusted.header().key_id.as_deref(), Some("kid-b"));
    assert_eq!(untrusted.header().token_type.as_deref(), Some("JWT"));
    let checked = Rsa::rs256()
        .validator::<Map<String, Value>>(&public)
        .validate(&untrusted);
    assert!(checked.is_ok(), "{checked:?}");
    // The previous key must not verify it: only the active key signs.
    let old = RsaPublicKey::new(big(&jwks["keys"][1]["n"]), big(&jwks["keys"][1]["e"])).expect("JWKS key");
    assert!(Rsa::rs256()
        .validator::<Map<String, Value>>(&old)
        .validate(&untrusted)
        .is_err());

    // The proxy's own STS verifier, fed the published JWKS.
    let auds = vec![AUD.to_owned()];
    let expect = Expectations {
        issuer: ISS,
        audiences: &auds,
        now: NOW,
        leeway: 0,
    };
    let claims = verify(&token, &parse_jwks(&jwks_json(&k)).expect("JWKS"), &expect).expect("own verifier");
    assert_eq!((claims.sub.as_str(), claims.exp), ("user-1", NOW + 60));

    let (h, c) = parts(&token);
    assert_eq!(h, json!({"alg": "RS256", "typ": "JWT", "kid": "kid-b"}));
    let jti = c["jti"].as_str().unwrap_or_default().to_owned();
    assert_eq!(jti.len(), 22);
    assert_eq!(URL_SAFE_NO_PAD.decode(&jti).map(|b| b.len()), Ok(16));
    assert_eq!(
        c,
        json!({"iss": ISS, "sub": "user-1", "aud": AUD, "iat": NOW, "nbf": NOW, "exp": NOW + 60,
               "jti": jti, "role": "reader", "idp": "https://idp.example.com"})
    );

    // Anonymous: no role, no idp.
    let anon = block_on(cache.token(&signer, &k, &MintRequest::anonymous(AUD), NOW)).expect("minted");
    let (_, c) = parts(&anon);
    assert_eq!(c["sub"], "anonymous");
    assert!(c.get("role").is_none() && c.get("idp").is_none(), "{c}");
    assert_eq!(cache.signatures(), 2);
}

#[test]
fn jti_unique_across_1000_mints() {
    let k = keys_a();
    let signer = FakeSigner::new();
    let req = MintRequest::anonymous(AUD);
    let mut seen = HashSet::new();
    for i in 0..1000 {
        let t = block_on(mint(&signer, &k, &req, NOW, TOKEN_TTL_SECS)).expect("minted");
        let jti = parts(&t).1["jti"].as_str().unwrap_or_default().to_owned();
        assert_eq!(jti.len(), 22);
        assert!(seen.insert(jti), "duplicate jti at {i}");
    }
}

#[test]
fn reuse_until_30_seconds_before_expiry() {
    let k = keys_a();
    let signer = FakeSigner::new();
    let cache = TokenCache::new();
    let req = MintRequest::session("u", AUD, "r", "https://idp");
    let first = block_on(cache.token(&signer, &k, &req, NOW)).expect("t1");
    for dt in [0, 1, 15, 29, 30] {
        assert_eq!(
            block_on(cache.token(&signer, &k, &req, NOW + dt)).ok(),
            Some(first.clone()),
            "+{dt}"
        );
    }
    assert_eq!(cache.signatures(), 1);
    let second = block_on(cache.token(&signer, &k, &req, NOW + 31)).expect("t2");
    assert_ne!(second, first);
    assert_eq!(parts(&second).1["iat"], json!(NOW + 31));
    assert_eq!(block_on(cache.token(&signer, &k, &req, NOW + 61)).ok(), Some(second));
    assert_eq!((cache.signatures(), signer.calls.get()), (2, 2));
    // A clock going backwards keeps the token (it has even more validity left).
    assert!(block_on(cache.token(&signer, &k, &req, NOW)).is_ok());
    assert_eq!(cache.signatures(), 2);
}

#[test]
fn distinct_principals_never_share_a_slot() {
    let k = keys_a();
    let signer = FakeSigner::new();
    let cache = TokenCache::new();
    let reqs = [
        MintRequest::anonymous(AUD),
        MintRequest::session("anonymous", AUD, "r", "https://idp"),
        MintRequest::session("a\u{0}b", AUD, "r", "https://idp"),
        MintRequest::session("a|b", AUD, "r", "https://idp"),
        MintRequest::session("a", "|b", "r", "https://idp"),
        MintRequest {
            sub: "a".into(),
            aud: "|b".into(),
            role: None,
            idp: None,
        },
        MintRequest {
            sub: "a|".into(),
            aud: "b".into(),
            role: None,
            idp: None,
        },
        MintRequest::session("a", AUD, "r2", "https://idp"),
        MintRequest::session("a", AUD, "r", "https://idp2"),
        MintRequest::session("a", "https://other", "r", "https://idp"),
    ];
    let tokens: Vec<String> = reqs
        .iter()
        .map(|r| block_on(cache.token(&signer, &k, r, NOW)).expect("minted"))
        .collect();
    assert_eq!(cache.signatures(), reqs.len() as u64);
    assert_eq!(cache.len(), reqs.len());
    for (r, t) in reqs.iter().zip(&tokens) {
        let c = parts(t).1;
        assert_eq!(
            (c["sub"].as_str(), c["aud"].as_str()),
            (Some(r.sub.as_str()), Some(r.aud.as_str()))
        );
        assert_eq!(c["role"].as_str(), r.role.as_deref());
        assert_eq!(c["idp"].as_str(), r.idp.as_deref());
        // And the second call hits its own slot.
        assert_eq!(block_on(cache.token(&signer, &k, r, NOW + 1)).as_ref(), Ok(t));
    }
    assert_eq!(cache.signatures(), reqs.len() as u64);
}

#[test]
fn new_active_kid_is_never_served_an_old_token() {
    let signer = FakeSigner::new();
    let cache = TokenCache::new();
    let req = MintRequest::anonymous(AUD);
    let a = block_on(cache.token(&signer, &keys_a(), &req, NOW)).expect("a");
    let b = block_on(cache.token(&signer, &keys_rotated(), &req, NOW + 1)).expect("b");
    assert_ne!(a, b);
    assert_eq!(parts(&b).0["kid"], "kid-b");
}

#[test]
fn signer_failure_is_an_error_and_caches_nothing() {
    let k = keys_a();
    let failing = FakeSigner {
        calls: Cell::new(0),
        fail: true,
    };
    let cache = TokenCache::new();
    let req = MintRequest::anonymous(AUD);
    assert_eq!(
        block_on(cache.token(&failing, &k, &req, NOW)),
        Err(MintError::Sign(SignError::NoWebCrypto("the test signer")))
    );
    assert!(cache.is_empty());
    assert_eq!(cache.signatures(), 0);
    // The next request tries again.
    assert!(block_on(cache.token(&FakeSigner::new(), &k, &req, NOW)).is_ok());
}

#[test]
fn a_flood_of_principals_stays_bounded_and_keeps_the_hot_token() {
    let k = keys_a();
    let signer = FakeSigner::new();
    let cache = TokenCache::new();
    let hot = MintRequest::session("hot", AUD, "r", "https://idp");
    let token = block_on(cache.token(&signer, &k, &hot, NOW)).expect("hot");
    let flood = 3 * TOKEN_CACHE_MAX_ENTRIES;
    for i in 0..flood {
        let cold = MintRequest::session(&format!("user-{i}"), AUD, "r", "https://idp");
        assert!(block_on(cache.token(&signer, &k, &cold, NOW)).is_ok());
        if i % 8 == 0 {
            let again = block_on(cache.token(&signer, &k, &hot, NOW + 1));
            assert_eq!(again.as_ref(), Ok(&token), "hot token re-minted after {i} others");
        }
        let s = cache.stats();
        assert!(
            s.entries <= TOKEN_CACHE_MAX_ENTRIES && s.bytes <= TOKEN_CACHE_MAX_BYTES,
            "{s:?}"
        );
    }
    assert_eq!(cache.signatures(), 1 + flood as u64, "one signature per principal");
    assert_eq!(cache.stats().entries, TOKEN_CACHE_MAX_ENTRIES);
}

#[test]
fn long_subjects_meet_the_byte_bound_first() {
    // Subjects at the STS's 1024-byte limit: the byte bound binds before the entry bound.
    let k = keys_a();
    let signer = FakeSigner::new();
    let cache = TokenCache::new();
    for i in 0..TOKEN_CACHE_MAX_ENTRIES {
        let sub = format!("{i:06}{}", "s".repeat(1018));
        let req = MintRequest::session(&sub, AUD, "r", "https://idp");
        assert!(block_on(cache.token(&signer, &k, &req, NOW)).is_ok());
        assert!(cache.stats().bytes <= TOKEN_CACHE_MAX_BYTES, "{:?}", cache.stats());
    }
    let s = cache.stats();
    assert!(s.entries < TOKEN_CACHE_MAX_ENTRIES && s.evictions > 0, "{s:?}");
    assert!(s.bytes > TOKEN_CACHE_MAX_BYTES - 8 * 1024, "{s:?}");
}

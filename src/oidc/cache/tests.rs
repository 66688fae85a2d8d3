//! The JWKS cache under a flood of issuers: it never grows past its bounds,
//! the issuer in use keeps its cached keys, and the largest JWKS the fetch
//! accepts still fits.

use serde_json::{json, Value};

use super::*;
use crate::testing::keys::{JWKS, RSA_KID};
use crate::testing::{block_on, FakePlatform};

const NOW: i64 = 1_800_000_000;

/// Every `https://X/.well-known/openid-configuration` names `https://X/jwks`, which serves `jwks`.
fn idps(jwks: String) -> FakePlatform {
    let p = FakePlatform::default();
    *p.responder.borrow_mut() = Some(Box::new(move |req| {
        if let Some(iss) = req.url.strip_suffix("/.well-known/openid-configuration") {
            let d = json!({"issuer": iss, "jwks_uri": format!("{iss}/jwks")});
            return Some((200, d.to_string().into_bytes()));
        }
        req.url.ends_with("/jwks").then(|| (200, jwks.clone().into_bytes()))
    }));
    p
}

fn fetches_of(p: &FakePlatform, iss: &str) -> usize {
    let prefix = format!("{iss}/");
    p.fetched.borrow().iter().filter(|r| r.url.starts_with(&prefix)).count()
}

#[test]
fn a_flood_of_issuers_stays_bounded_and_keeps_the_hot_one() {
    let p = idps(JWKS.to_string());
    let cache = JwksCache::default();
    let hot = "https://hot.idp.test";
    for i in 0..3 * MAX_ISSUERS {
        let iss = format!("https://idp-{i}.test");
        assert!(block_on(cache.keys(&p, &iss, RSA_KID, false, NOW)).is_ok(), "{iss}");
        assert!(block_on(cache.keys(&p, hot, RSA_KID, false, NOW)).is_ok());
        let s = cache.stats();
        assert!(s.entries <= MAX_ISSUERS && s.bytes <= MAX_BYTES, "{s:?}");
    }
    assert_eq!(fetches_of(&p, hot), 2, "the hot issuer's discovery + JWKS, once");
    assert_eq!(cache.stats().entries, MAX_ISSUERS);
    // An evicted issuer is simply fetched again.
    let first = "https://idp-0.test";
    assert!(block_on(cache.keys(&p, first, RSA_KID, false, NOW)).is_ok());
    assert_eq!(fetches_of(&p, first), 4);
}

#[test]
fn the_largest_jwks_accepted_is_cached() {
    let fixture: Value = serde_json::from_str(JWKS).expect("fixture JWKS");
    let rsa = fixture["keys"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kty"] == "RSA"))
        .cloned()
        .expect("an RSA key");
    let mut keys = Vec::new();
    loop {
        let mut k = rsa.clone();
        k["kid"] = json!(format!("k-{}", keys.len()));
        keys.push(k);
        if json!({ "keys": keys }).to_string().len() > MAX_JWKS_BYTES {
            keys.pop();
            break;
        }
    }
    let doc = json!({ "keys": keys }).to_string();
    assert!(doc.len() > MAX_JWKS_BYTES - 1024, "{}", doc.len());
    let p = idps(doc);
    let cache = JwksCache::default();
    let iss = "https://big.idp.test";
    for kid in ["k-0", "k-1", "k-0"] {
        assert!(block_on(cache.keys(&p, iss, kid, false, NOW)).is_ok(), "{kid}");
    }
    assert_eq!(fetches_of(&p, iss), 2, "fetched once, then cached");
    let s = cache.stats();
    assert_eq!(s.entries, 1);
    assert!(s.bytes > MAX_JWKS_BYTES / 2 && s.bytes <= MAX_BYTES / 8, "{s:?}");
}

use super::*;
use crate::objcache::policy::DEFAULT_TTL_SECS;
use crate::objcache::ProductCache;

fn product(v: Visibility, ttl: Option<u32>) -> Product {
    Product {
        name: "p".into(),
        visibility: v,
        backend: "b".into(),
        prefix: String::new(),
        grants: vec![],
        cache: ProductCache {
            ttl_secs: ttl,
            generation: 0,
        },
    }
}

#[test]
fn only_public_and_unlisted_products() {
    let s = Settings {
        enabled: true,
        ..Settings::default()
    };
    assert_eq!(
        product_ttl(&s, &product(Visibility::Public, None)),
        Some(DEFAULT_TTL_SECS)
    );
    assert_eq!(product_ttl(&s, &product(Visibility::Unlisted, Some(7))), Some(7));
    assert_eq!(product_ttl(&s, &product(Visibility::Restricted, Some(7))), None);
    assert_eq!(product_ttl(&s, &product(Visibility::Public, Some(0))), None);
    let off = Settings { enabled: false, ..s };
    assert_eq!(product_ttl(&off, &product(Visibility::Public, None)), None);
}

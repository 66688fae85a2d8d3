//! The static catalog document (STATIC_CATALOG). Whatever parses holds
//! only valid names, and every product resolves to its backend.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::backend::Backend;
use oidc_data_proxy::catalog::{key_root, StaticCatalog};
use oidc_data_proxy::route::valid_name;

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else { return };
    // Secrets exist for variables whose name mentions KEY.
    let env = |n: &str| n.contains("KEY").then(|| format!("value-of-{n}"));
    let Ok(cat) = StaticCatalog::parse(json, &env) else {
        return;
    };
    for account in cat.account_names() {
        assert!(valid_name(account), "{account:?}");
        let products = cat.products(account).expect("listed account");
        let roots: Vec<String> = products.iter().map(|p| key_root(&p.name)).collect();
        assert!(roots.windows(2).all(|w| w[0] < w[1]), "products in key order");
        for p in products {
            assert!(valid_name(&p.name));
            let r = cat.resolve(account, &p.name).expect("a listed product resolves");
            assert_eq!(r.product, *p);
            if let Backend::S3(b) = &r.backend {
                assert!(b.endpoint.starts_with("https://") || b.endpoint.starts_with("http://"));
                assert!(!b.bucket.is_empty() && !b.bucket.contains('/'));
            }
        }
    }
    let _ = cat.unavailable_backends();
});

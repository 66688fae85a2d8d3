//! The HTTP catalog's answers: product, data connection, permissions and
//! product list, and how they combine into a product and a backend.
//! Input lines: product JSON, connection JSON, permissions JSON, list JSON,
//! then issuer, subject, role and URL for the cache key.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::backend::Backend;
use oidc_data_proxy::catalog::http::cache_key::{cache_key, open_entry, seal_entry, MAX_KEY_LEN};
use oidc_data_proxy::catalog::http::model::{
    join_prefix, parse_data_connection, parse_permissions, parse_product, parse_product_list,
};
use oidc_data_proxy::catalog::http::Identity;
use oidc_data_proxy::catalog::{key_root, Visibility};
use oidc_data_proxy::route::valid_name;
use oidc_data_proxy::secret::Secret;
use oidc_data_proxy::sigv4::Credentials;
use oidc_data_proxy_fuzz::{fields, text};

fn prefix_ok(p: &str) -> bool {
    p.is_empty()
        || (p.ends_with('/') && !p.starts_with('/') && !p.contains("//") && p.split('/').all(|s| s != "." && s != ".."))
}

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 8);
    let product = parse_product(f[0]);
    let conn = parse_data_connection(f[1]);
    let perms = parse_permissions(f[2]);
    if let Ok(p) = &product {
        if !p.disabled {
            assert!(p.primary_mirror().is_ok());
        }
        assert!(p.check_identity("acme", &p.product_id).is_ok() || p.account_id.as_deref() != Some("acme"));
    }
    let keys = Credentials {
        access_key_id: "AKID".into(),
        secret_access_key: Secret::from("s".to_string()),
        session_token: None,
    };
    if let Ok(c) = &conn {
        for vis in [Visibility::Public, Visibility::Unlisted, Visibility::Restricted] {
            for k in [None, Some(&keys)] {
                match c.to_backend(vis, k) {
                    Backend::S3(b) => {
                        assert!(
                            b.endpoint.starts_with("https://") || b.endpoint.starts_with("http://"),
                            "{}",
                            b.endpoint
                        );
                        let host = b.endpoint.split_once("://").map_or("", |(_, h)| h);
                        assert!(
                            !host.is_empty() && !host.contains(['/', '?', '#', '@']),
                            "{}",
                            b.endpoint
                        );
                        assert!(!b.bucket.is_empty() && !b.bucket.contains('/'));
                        // A restricted product is never read unsigned.
                        assert!(vis != Visibility::Restricted || b.credentials.is_some());
                    }
                    Backend::Unavailable(_) => {}
                    other => panic!("a catalog connection became {other:?}"),
                }
            }
        }
    }
    if let (Ok(p), Ok(c)) = (&product, &conn) {
        let grants = perms
            .as_ref()
            .map(|g| g.grants_for("https://idp.example", "user-a"))
            .unwrap_or_default();
        if let Ok(prod) = p.to_product(c, grants) {
            assert!(prefix_ok(&prod.prefix), "{:?}", prod.prefix);
            assert_eq!(prod.backend, c.data_connection_id);
        }
    }
    if let Ok(perm) = &perms {
        assert_eq!(perm.grants_for("i", "s").is_empty(), !perm.can_read());
    }
    if let Ok(list) = parse_product_list(f[3]) {
        let s = list.summaries();
        assert!(s.iter().all(|p| valid_name(&p.name)));
        assert!(
            s.windows(2).all(|w| key_root(&w[0].name) < key_root(&w[1].name)),
            "sorted, no duplicates"
        );
    }

    let (iss, sub, role, url) = (text(f[4]), text(f[5]), text(f[6]), text(f[7]));
    if let Ok(j) = join_prefix(&iss, &sub) {
        assert!(prefix_ok(&j), "{j:?}");
    }
    let who = Identity::Principal {
        issuer: &iss,
        subject: &sub,
        role: &role,
    };
    if let Some(k) = cache_key(who, &url) {
        assert!(k.len() <= MAX_KEY_LEN);
        // Injective: the subject and issuer cannot trade places unnoticed.
        let swapped = Identity::Principal {
            issuer: &sub,
            subject: &iss,
            role: &role,
        };
        assert_eq!(cache_key(swapped, &url) == Some(k.clone()), iss == sub);
        assert_ne!(cache_key(Identity::Anonymous, &url), Some(k));
    }
    let exp = i64::from_le_bytes(
        f[4].iter()
            .copied()
            .chain([0; 8])
            .take(8)
            .collect::<Vec<u8>>()
            .try_into()
            .unwrap(),
    );
    let sealed = seal_entry(exp, f[5]);
    assert_eq!(
        open_entry(&sealed, exp.saturating_sub(1)),
        (exp != i64::MIN).then_some((exp, f[5]))
    );
    assert_eq!(open_entry(&sealed, exp), None);
    let _ = open_entry(f[6], 0);
});

//! Catalog URLs: segments percent-encoded, the base URL validated.

use super::*;

#[test]
fn path_segments_are_percent_encoded() {
    let c = catalog();
    assert_eq!(
        c.product_url("acme", "public-data").unwrap(),
        "https://catalog.example/api/v1/products/acme/public-data"
    );
    assert_eq!(
        c.products_url("a?b=c&d#e").unwrap(),
        "https://catalog.example/api/v1/products/a%3Fb%3Dc%26d%23e"
    );
    assert_eq!(
        c.product_url("a/../b", "x y%2F").unwrap(),
        "https://catalog.example/api/v1/products/a%2F..%2Fb/x%20y%252F"
    );
    assert_eq!(
        c.permissions_url("acme", "p?x").unwrap(),
        "https://catalog.example/api/v1/products/acme/p%3Fx/permissions"
    );
    assert_eq!(
        c.connection_url("ü+;").unwrap(),
        "https://catalog.example/api/v1/data-connections/%C3%BC%2B%3B"
    );
    for bad in ["", ".", ".."] {
        assert!(encode_segment(bad).is_none());
        assert!(c.product_url("acme", bad).is_none() && c.products_url(bad).is_none());
    }
    assert_eq!(encode_segment("...").as_deref(), Some("..."));
    // Whatever a segment holds, the URL keeps its shape: no query, no
    // fragment, exactly the expected number of path segments.
    for s in [
        "?", "#", "&", "/", "%", " ", "\\", "a/b?c#d", "\u{0}", "%2e%2e", "..%2F",
    ] {
        let u = c.permissions_url(s, s).unwrap();
        let path = u.strip_prefix(BASE).unwrap();
        assert!(!path.contains(['?', '#', ' ', '\\']), "{u}");
        assert_eq!(path.split('/').count(), 7, "{u}");
    }
}

#[test]
fn catalog_url_validation() {
    assert_eq!(
        HttpCatalog::new("https://c.example/", false).unwrap().base_url(),
        "https://c.example"
    );
    assert_eq!(
        HttpCatalog::new("https://c.example/source/", false).unwrap().base_url(),
        "https://c.example/source"
    );
    assert!(HttpCatalog::new("http://127.0.0.1:8787", true).is_ok());
    assert!(HttpCatalog::new("http://localhost:8787", true).is_ok());
    assert!(HttpCatalog::new("http://[::1]:8787", true).is_ok());
    for bad in [
        "",
        "c.example",
        "ftp://c.example",
        "http://127.0.0.1:8787",
        "https://",
        "https://u:p@c.example",
        "https://c.example/?x=1",
        "https://c.example/#f",
        "https://c.example/a b",
    ] {
        assert!(HttpCatalog::new(bad, false).is_err(), "{bad}");
    }
    assert!(
        HttpCatalog::new("http://c.example", true).is_err(),
        "http only for loopback"
    );
    assert!(HttpCatalog::new("http://127.0.0.1.evil.example", true).is_err());
}

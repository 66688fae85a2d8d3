use super::*;

#[test]
fn origins() {
    assert_eq!(origin("http://127.0.0.1:9/a/b?c"), Some("http://127.0.0.1:9"));
    assert_eq!(origin("https://idp.example.com"), Some("https://idp.example.com"));
    assert_eq!(origin("https://idp.example.com?x#y"), Some("https://idp.example.com"));
    assert_eq!(origin("idp.example.com"), None);
}

#[test]
fn loopback_hosts() {
    for u in ["http://127.0.0.1:1/x", "http://localhost/x", "http://[::1]:8/x"] {
        assert!(is_loopback(u), "{u}");
    }
    for u in ["http://127.0.0.2/x", "http://localhost.evil/x", "https://example.com/x"] {
        assert!(!is_loopback(u), "{u}");
    }
}

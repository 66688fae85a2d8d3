use super::*;

#[test]
fn server_errors_hide_detail() {
    let e = ProxyError::Backend("secret backend name".into());
    assert_eq!(e.status(), 502);
    assert!(!e.message().contains("secret"));
    assert_eq!(e.detail(), Some("secret backend name"));
}

#[test]
fn statuses_match_s3() {
    assert_eq!(ProxyError::NoSuchBucket.status(), 404);
    assert_eq!(ProxyError::InvalidRange { size: 3 }.status(), 416);
    assert_eq!(ProxyError::MethodNotAllowed.code(), "MethodNotAllowed");
    assert_eq!(ProxyError::Misconfigured(String::new()).status(), 503);
}

use super::*;

#[derive(Debug, thiserror::Error)]
#[error("outer")]
struct Outer(#[source] fmt::Error);

#[test]
fn server_errors_hide_detail() {
    let e = ProxyError::Backend("secret backend name".into());
    assert_eq!(e.status(), 502);
    assert!(!e.message().contains("secret"));
    assert_eq!(e.detail().as_deref(), Some("secret backend name"));
}

#[test]
fn the_detail_walks_the_causes() {
    let e = ProxyError::Unavailable(Detail::caused("catalog", Outer(fmt::Error)));
    assert_eq!(
        e.detail().as_deref(),
        Some("catalog: outer: an error occurred when formatting an argument")
    );
    assert_eq!(e.message(), Code::ServiceUnavailable.default_message());
}

#[test]
fn statuses_match_s3() {
    assert_eq!(ProxyError::NoSuchBucket.status(), 404);
    assert_eq!(ProxyError::InvalidRange { size: 3 }.status(), 416);
    assert_eq!(ProxyError::MethodNotAllowed.code().as_str(), "MethodNotAllowed");
    assert_eq!(ProxyError::Misconfigured("".into()).status(), 503);
    assert_eq!(ProxyError::Internal("".into()).status(), 500);
    assert_eq!(ProxyError::invalid_access_key_id().status(), 403);
}

#[test]
fn debug_of_the_request_errors_is_their_text_with_causes() {
    // Not derived (wasm size): what a panic or `{:?}` shows is the log's text.
    let e = ProxyError::Unavailable(Detail::caused("catalog", Outer(fmt::Error)));
    assert_eq!(format!("{e:?}"), chain(&e));
    assert_eq!(format!("{:?}", ProxyError::NoSuchKey), "NoSuchKey");
    let sts = crate::sts::StsError::invalid("bad");
    assert_eq!(format!("{sts:?}"), sts.to_string());
    let s = crate::session::SessionError::Malformed;
    assert_eq!(format!("{s:?}"), "malformed session token");
}

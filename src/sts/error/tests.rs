use super::*;

#[test]
fn route_failures_map_to_sts_errors() {
    let cases = [
        (ProxyError::MethodNotAllowed, 405, "MethodNotAllowed"),
        (ProxyError::CorsForbidden, 403, "AccessDenied"),
        (ProxyError::NoSuchBucket, 404, "NotFound"),
        (ProxyError::InvalidUri, 400, "InvalidParameterValue"),
        (ProxyError::Internal("x".into()), 500, "InternalFailure"),
    ];
    for (e, status, code) in cases {
        let s = StsError::from_proxy(&e);
        assert_eq!((s.status(), s.code()), (status, code), "{e:?}");
    }
    assert_eq!(StsError::RequestTooLarge.status(), 413);
    assert_eq!(StsError::MethodNotAllowed.fault(), "Sender");
}

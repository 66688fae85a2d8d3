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
        assert_eq!((s.status(), s.code().as_str()), (status, code), "{e:?}");
    }
    assert_eq!(StsError::RequestTooLarge.status(), 413);
}

#[test]
fn internal_failures_log_their_cause() {
    let e = StsError::from_proxy(&ProxyError::Internal("the cause".into()));
    assert_eq!(e.detail().as_deref(), Some("route: the cause"));
    assert_eq!(e.message(), "An internal error occurred.");
    let e = StsError::from(SessionError::Seal("no randomness available"));
    assert!(e.detail().is_some_and(|d| d.contains("no randomness")), "{e:?}");
}

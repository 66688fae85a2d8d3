use super::Code;

#[test]
fn rows() {
    assert_eq!(Code::NoSuchBucket.status(), 404);
    assert_eq!(Code::InvalidUri.as_str(), "InvalidURI");
    assert_eq!(
        (Code::BadGateway.status(), Code::BadGateway.as_str()),
        (502, "InternalError")
    );
    assert_eq!(Code::StsExpiredToken.as_str(), "ExpiredTokenException");
    assert_eq!(Code::StsAccessDenied.as_str(), Code::AccessDenied.as_str());
    assert_eq!(Code::RequestEntityTooLarge.status(), 413);
}

use super::*;
use crate::error::ApiError;

fn req(origin: &str, method: &str, hdrs: &str) -> Headers {
    let mut h = Headers::new();
    h.append("origin", origin);
    h.append("access-control-request-method", method);
    if !hdrs.is_empty() {
        h.append("access-control-request-headers", hdrs);
    }
    h
}

#[test]
fn preflight_any_origin() {
    let s3 = ["GET", "HEAD", "OPTIONS"];
    let h = preflight(&Origins::Any, &req("http://a", "GET", "authorization,x-amz-date"), &s3).unwrap();
    assert_eq!(h.get("access-control-allow-methods"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(h.get("access-control-allow-headers"), Some("authorization,x-amz-date"));
    assert!(preflight(&Origins::Any, &req("http://a", "POST", ""), &s3).is_err());
    let sts = preflight(&Origins::Any, &req("http://a", "POST", ""), &["GET", "POST"]).unwrap();
    assert_eq!(sts.get("access-control-allow-methods"), Some("GET, POST"));
}

#[test]
fn options_without_origin_or_method_is_not_a_preflight() {
    // S3: 400 BadRequest; browsers always send both in a preflight.
    let mut no_origin = Headers::new();
    no_origin.append("access-control-request-method", "GET");
    let e = preflight(&Origins::Any, &no_origin, &["GET"]).unwrap_err();
    assert_eq!((e.status(), e.code().as_str()), (400, "BadRequest"));
    let mut no_method = Headers::new();
    no_method.append("origin", "http://a");
    let e = preflight(&Origins::Any, &no_method, &["GET"]).unwrap_err();
    assert_eq!((e.status(), e.code().as_str()), (400, "BadRequest"));
    let e = preflight(&Origins::Any, &Headers::new(), &["GET", "POST"]).unwrap_err();
    assert_eq!((e.status(), e.code().as_str()), (400, "BadRequest"));
}

#[test]
fn origin_list() {
    let o = Origins::parse(Some("https://a.example, https://b.example/"));
    assert!(preflight(&o, &req("https://evil.example", "GET", ""), &["GET"]).is_err());
    let mut h = Headers::new();
    h.append("x-amz-meta-color", "blue");
    decorate(&o, Some("https://b.example"), &mut h);
    assert_eq!(h.get("access-control-allow-origin"), Some("https://b.example"));
    assert_eq!(h.get("vary"), Some("Origin"));
    assert!(h
        .get("access-control-expose-headers")
        .unwrap()
        .contains("x-amz-meta-color"));
    // The count of metadata left out is for browsers to read too, when there is one.
    assert!(!h
        .get("access-control-expose-headers")
        .unwrap()
        .contains("x-amz-missing-meta"));
    let mut h = Headers::new();
    h.append("x-amz-missing-meta", "2");
    decorate(&o, Some("https://b.example"), &mut h);
    assert!(h
        .get("access-control-expose-headers")
        .unwrap()
        .ends_with(", x-amz-missing-meta"));
    let mut h = Headers::new();
    decorate(&o, Some("https://evil.example"), &mut h);
    assert_eq!(h.get("access-control-allow-origin"), None);
}

//! The STS endpoint as a whole: whatever fails on a request routed to it
//! (query, path, method, body) answers an STS `<ErrorResponse>` (or its JSON
//! form) with the request id; only GET and POST exchange.

use super::{cfg_with, claims, code_of, elem, form, idp};
use crate::http::{Request, RequestBody, Response};
use crate::proxy::handle;
use crate::sts::response::STS_NS;
use crate::testing::keys::{mint_rs256, RSA_KID};
use crate::testing::{block_on, run_text, FakePlatform};

const FORM: &str = "application/x-www-form-urlencoded";

fn send(p: &FakePlatform, req: Request) -> (Response<Vec<u8>>, String) {
    run_text(p, &cfg_with(true), req)
}

/// Asserts an STS-shaped error (XML, or JSON when asked) carrying the
/// request id of the response header; returns the code.
fn sts_error(r: &Response<Vec<u8>>, body: &str, json: bool) -> String {
    let rid = r.headers.get("x-amz-request-id").unwrap_or_default();
    assert!(!rid.is_empty(), "{body}");
    assert!((400..500).contains(&r.status), "{} {body}", r.status);
    if json {
        assert_eq!(r.headers.get("content-type"), Some("application/json"), "{body}");
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["RequestId"].as_str(), Some(rid), "{body}");
        assert_eq!(v["Error"]["Type"].as_str(), Some("Sender"), "{body}");
        v["Error"]["Code"].as_str().unwrap_or_default().to_string()
    } else {
        assert_eq!(r.headers.get("content-type"), Some("text/xml"), "{body}");
        assert!(body.contains(&format!("<ErrorResponse xmlns=\"{STS_NS}\">")), "{body}");
        assert_eq!(elem(body, "RequestId"), rid, "{body}");
        code_of(body)
    }
}

#[test]
fn every_failure_on_the_sts_route_is_sts_shaped() {
    let p = idp();
    let cases: &[(&str, &str, &str, Option<&str>, &str)] = &[
        ("GET", "/.sts", "Action=%zz", None, "InvalidParameterValue"),
        (
            "GET",
            "/.sts/",
            "Action=AssumeRoleWithWebIdentity&RoleArn=%",
            None,
            "InvalidParameterValue",
        ),
        ("GET", "/%2Ests", "Action=%zz", None, "InvalidParameterValue"),
        ("POST", "/.sts", "Action=%zz", None, "InvalidParameterValue"),
        ("POST", "/", "Action=%zz", None, "InvalidParameterValue"),
        (
            "POST",
            "/",
            "Action=AssumeRoleWithWebIdentity&x=%G0",
            None,
            "InvalidParameterValue",
        ),
        ("POST", "/", "%zz", Some("Action=%zz"), "InvalidParameterValue"),
        ("POST", "/.sts/", "", Some("Action=%zz"), "InvalidParameterValue"),
        ("GET", "/.sts/x", "", None, "NotFound"),
        ("GET", "/.sts/%zz", "Action=%zz", None, "NotFound"),
    ];
    for (method, path, query, body, code) in cases {
        for json in [false, true] {
            let mut req = Request::new(method, path, query);
            if let Some(b) = body {
                req = req.with_header("content-type", FORM);
                req.body = RequestBody::Bytes(b.as_bytes().to_vec());
            }
            if json {
                req = req.with_header("accept", "application/json");
            }
            let (r, text) = send(&p, req);
            assert_eq!(&sts_error(&r, &text, json), code, "{method} {path}?{query}");
        }
    }
}

#[test]
fn only_get_and_post_exchange() {
    let p = idp();
    let token = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    let query = form("_default", &token);
    for path in ["/.sts", "/.sts/"] {
        for method in ["GET", "POST"] {
            let (r, body) = send(&p, Request::new(method, path, &query));
            assert_eq!(r.status, 200, "{method} {path}: {body}");
        }
        for method in ["PUT", "DELETE", "PATCH", "HEAD"] {
            let (r, body) = send(&p, Request::new(method, path, &query));
            assert_eq!(r.status, 405, "{method} {path}: {body}");
            assert_eq!(r.headers.get("allow"), Some("GET, POST, OPTIONS"), "{method}");
            if method != "HEAD" {
                assert_eq!(sts_error(&r, &body, false), "MethodNotAllowed", "{method}");
                assert!(!body.contains("SessionToken"));
            }
        }
    }
    let issued = p.logs.borrow().iter().filter(|l| l.contains("\"issued\"")).count();
    assert_eq!(issued, 4, "only GET and POST issued credentials");
    // Unconfigured or not, a wrong method is a wrong method.
    let r = block_on(handle(&p, &cfg_with(false), Request::new("PUT", "/.sts", &query)));
    assert_eq!(r.status, 405);
}

#[test]
fn preflight_allows_what_the_endpoint_serves() {
    let p = idp();
    let preflight = |path: &str, method: &str| {
        let req = Request::new("OPTIONS", path, "")
            .with_header("origin", "https://app.example")
            .with_header("access-control-request-method", method)
            .with_header("access-control-request-headers", "content-type");
        send(&p, req)
    };
    for path in ["/.sts", "/.sts/"] {
        for method in ["GET", "POST"] {
            let (r, body) = preflight(path, method);
            assert_eq!(r.status, 204, "{path} {method}: {body}");
            assert_eq!(
                r.headers.get("access-control-allow-methods"),
                Some("GET, POST, OPTIONS")
            );
        }
        for method in ["PUT", "DELETE", "PATCH", "HEAD"] {
            let (r, body) = preflight(path, method);
            assert_eq!(r.status, 403, "{path} {method}: {body}");
            assert_eq!(r.headers.get("access-control-allow-methods"), None);
            assert_eq!(sts_error(&r, &body, false), "AccessDenied");
        }
    }
}

#[test]
fn an_options_that_is_no_preflight_is_400_sts_shaped() {
    let p = idp();
    let no_method = Request::new("OPTIONS", "/.sts", "").with_header("origin", "https://app.example");
    let no_origin = Request::new("OPTIONS", "/.sts/", "").with_header("access-control-request-method", "POST");
    for req in [no_method, no_origin, Request::new("OPTIONS", "/.sts", "")] {
        let (r, body) = send(&p, req);
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(sts_error(&r, &body, false), "InvalidParameterValue");
    }
}

#[test]
fn an_oversized_body_is_413_at_any_size() {
    let p = idp();
    let token = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    let valid = form("_default", &token);
    let max = crate::sts::params::MAX_BODY;
    let padded = |len: usize| {
        let mut b = format!("{valid}&Padding=");
        b.push_str(&"x".repeat(len - b.len()));
        b.into_bytes()
    };
    // Just under and at the cap: an exchange.
    for len in [max - 1, max] {
        let mut req = Request::new("POST", "/.sts", "").with_header("content-type", FORM);
        req.body = RequestBody::Bytes(padded(len));
        let (r, body) = send(&p, req);
        assert_eq!(r.status, 200, "{len}: {body}");
    }
    // Over it, as read (chunked: no length declared)...
    let mut req = Request::new("POST", "/.sts", "").with_header("content-type", FORM);
    req.body = RequestBody::Bytes(padded(max + 1));
    let (r, body) = send(&p, req);
    assert_eq!(
        (r.status, sts_error(&r, &body, false)),
        (413, "RequestEntityTooLarge".into())
    );
    // ...or declared: the runtime does not read a body announced too large.
    for json in [false, true] {
        let mut req = Request::new("POST", "/", &valid)
            .with_header("content-type", FORM)
            .with_header("content-length", &(4 << 20).to_string());
        if json {
            req = req.with_header("accept", "application/json");
        }
        let (r, body) = send(&p, req);
        assert_eq!(r.status, 413, "{body}");
        assert_eq!(sts_error(&r, &body, json), "RequestEntityTooLarge");
    }
    // What the runtime reports without handing bytes over.
    for (state, status, code) in [
        (RequestBody::TooLarge, 413, "RequestEntityTooLarge"),
        (RequestBody::Broken, 400, "InvalidParameterValue"),
    ] {
        let mut req = Request::new("POST", "/.sts", &valid).with_header("content-type", FORM);
        req.body = state;
        let (r, body) = send(&p, req);
        assert_eq!((r.status, sts_error(&r, &body, false)), (status, code.to_string()));
        if status == 413 {
            assert!(elem(&body, "Message").contains(&max.to_string()), "{body}");
        }
    }
}

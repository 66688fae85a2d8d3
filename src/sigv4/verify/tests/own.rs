//! Cases botocore does not produce: requests signed by our own signer (itself
//! checked against botocore), malformed `Authorization` headers, and the
//! mapping of each failure to its S3 error.

use super::vectors::{check, request, set_header, vectors};
use crate::sigv4::verify::*;
use crate::sigv4::{sign, Credentials, SignableRequest};

/// Requests signed by our own signer (itself checked against botocore) for
/// the cases botocore does not produce.
fn self_signed(query: &[(String, String)], raw_query: &str, extra: &[(String, String)]) -> Request {
    let creds = Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: "secret".into(),
        session_token: Some("tok".into()),
    };
    let sr = SignableRequest {
        method: "GET",
        host: "127.0.0.1:8787",
        path: "/acct/prod/a+b.txt",
        query,
        headers: extra,
    };
    let mut req = Request::new("GET", "/acct/prod/a+b.txt", raw_query).with_header("host", "127.0.0.1:8787");
    for (n, v) in extra.iter().chain(&sign(&sr, &creds, "auto", "s3", NOW)) {
        req.headers.set(n, v.as_str());
    }
    req
}

const NOW: i64 = 1_795_317_720;

#[test]
fn raw_plus_is_a_literal_plus() {
    let q = vec![("prefix".to_string(), "a+b c".to_string())];
    let req = self_signed(&q, "prefix=a+b%20c", &[]);
    let auth = check(&req, "secret", NOW).unwrap();
    assert_eq!((auth.region.as_str(), auth.session_token()), ("auto", Ok("tok")));
    // The form-encoding reading ('+' = space) would be another value.
    let spaced = self_signed(&[("prefix".into(), "a b c".into())], "prefix=a+b%20c", &[]);
    assert_eq!(
        check(&spaced, "secret", NOW).unwrap_err(),
        AuthError::SignatureDoesNotMatch
    );
}

#[test]
fn payload_hash_rules() {
    let hdr = |v: &str| vec![("x-amz-content-sha256".to_string(), v.to_string())];
    for ok in [EMPTY_SHA256, UNSIGNED_PAYLOAD] {
        assert!(check(&self_signed(&[], "", &hdr(ok)), "secret", NOW).is_ok(), "{ok}");
    }
    let body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    let r = check(&self_signed(&[], "", &hdr(body_hash)), "secret", NOW);
    assert_eq!(r.map(|_| ()), Err(AuthError::ContentSha256Mismatch));
    for bad in ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "xyz"] {
        let r = check(&self_signed(&[], "", &hdr(bad)), "secret", NOW);
        assert_eq!(r.map(|_| ()), Err(AuthError::InvalidContentSha256), "{bad}");
    }
    // No hash header at all: refused before any signature work, as on AWS.
    let mut req = self_signed(&[], "", &hdr(EMPTY_SHA256));
    req.headers.remove("x-amz-content-sha256");
    let a = req
        .headers
        .get("authorization")
        .unwrap()
        .replace("x-amz-content-sha256;", "");
    assert_eq!(
        parse(&set_header(&req, "authorization", &a)),
        Err(AuthError::MissingContentSha256)
    );
}

#[test]
fn date_header_fallback() {
    // Sign by hand with only a Date header, as SigV4 allows.
    let date = "Sun, 22 Nov 2026 03:22:00 GMT";
    let headers = vec![
        ("host".to_string(), "h".to_string()),
        ("date".to_string(), date.to_string()),
        ("x-amz-content-sha256".to_string(), EMPTY_SHA256.to_string()),
    ];
    let (ch, sh) = canonical_headers(&headers, &["host", "date", "x-amz-content-sha256"]);
    let creq = canonical_request("GET", "/k", "", &ch, &sh, EMPTY_SHA256);
    let sts = string_to_sign(&format_amz(NOW), &scope("20261122", "r", "s3"), &creq);
    let sig = signature(&signing_key("secret", "20261122", "r", "s3"), &sts);
    let auth =
        format!("AWS4-HMAC-SHA256 Credential=ASIAX/20261122/r/s3/aws4_request,SignedHeaders={sh},Signature={sig}");
    let req = Request::new("GET", "/k", "")
        .with_header("host", "h")
        .with_header("date", date)
        .with_header("x-amz-content-sha256", EMPTY_SHA256)
        .with_header("authorization", &auth);
    assert_eq!(check(&req, "secret", NOW).unwrap().amz_date, NOW);
    let bad_date = set_header(&req, "date", "yesterday");
    assert_eq!(parse(&bad_date), Err(AuthError::NoRequestTime));
}

const CRED: &str = "A/20261122/r/s3/aws4_request";

fn hdr(credential: &str, signed_headers: &str, signature: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={signature}")
}

#[test]
fn garbage_authorization_headers() {
    let v = vectors().into_iter().find(|v| v["name"] == "session-token").unwrap();
    let good = request(&v);
    let valid = good.headers.get("authorization").unwrap().to_string();
    let with = |a: &str| parse(&set_header(&good, "authorization", a));
    let sig = "0".repeat(64);
    let long = format!("{valid}{}", " ".repeat(10 * 1024));
    let cases = [
        "",
        "   ",
        "é",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential",
        "AWS4-HMAC-SHA256 Credential=",
        "AWS4-HMAC-SHA256 ,,,",
        "AWS4-HMAC-SHA256 =",
        "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
        &format!("AWS4-HMAC-SHA256 SignedHeaders=host, Signature={sig}"),
        &format!("AWS4-HMAC-SHA256 Credential={CRED}, Signature={sig}"),
        &format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host"),
        &hdr(CRED, "host", &format!("{sig}z")),
        &hdr(CRED, "", &sig),
        &hdr(CRED, "x;;host", &sig),
        &hdr(CRED, "range", &sig),
        &hdr(CRED, "hôst", &sig),
        &hdr(CRED, &("h;".repeat(70) + "host"), &sig),
        &hdr("A/20261122/r/sts/aws4_request", "host", &sig),
        &hdr("A/20261122/r/s3/aws5_request", "host", &sig),
        &hdr("A/20261122//s3/aws4_request", "host", &sig),
        &hdr("/20261122/r/s3/aws4_request", "host", &sig),
        &hdr("Ä/20261122/r/s3/aws4_request", "host", &sig),
        &hdr("A/2026112/r/s3/aws4_request", "host", &sig),
        &hdr("A/20261123/r/s3/aws4_request", "host", &sig),
        &hdr("A/20261122/r/s3/aws4_request/x", "host", &sig),
        &hdr(&format!("{CRED}, Credential={CRED}"), "host", &sig),
        &hdr(CRED, "host", &format!("{sig}, Extra=1")),
        &long,
    ];
    // Control: the same shape with valid parts parses.
    let all = "host;x-amz-content-sha256;x-amz-date;x-amz-security-token";
    assert!(with(&hdr(CRED, all, &sig)).is_ok());
    for c in cases {
        assert!(
            matches!(with(c), Err(AuthError::MalformedHeader(_))),
            "{c:.120}: {:?}",
            with(c)
        );
    }
    for c in [
        "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        "AWS4-ECDSA-P256-SHA256 Credential=x",
    ] {
        assert_eq!(with(c), Err(AuthError::UnsupportedAlgorithm), "{c}");
    }
    assert_eq!(with("Bearer abc"), Err(AuthError::UnsupportedAuthorizationType));
    // Every prefix is refused, and no mutation panics.
    for cut in 0..valid.len() {
        assert!(with(&valid[..cut]).is_err(), "prefix {cut}");
    }
    for i in 0..valid.len() {
        for c in [",", "=", "/", " ", ";", "\0", "é", "\u{10FFFF}"] {
            let mut m = valid.clone();
            m.replace_range(i..=i, c);
            let _ = with(&m);
        }
    }
    // Two Authorization headers.
    let twice = good.clone().with_header("Authorization", &valid);
    assert!(matches!(parse(&twice), Err(AuthError::MalformedHeader(_))));
    // No credentials anywhere: anonymous.
    assert_eq!(
        parse(&Request::new("GET", "/a/b", "list-type=2&X-Amz-Date=1")),
        Ok(None)
    );
    assert_eq!(parse(&Request::new("GET", "/a/b", "bad=%zz")), Ok(None));
}

#[test]
fn error_mapping() {
    let all = [
        AuthError::MalformedHeader("x"),
        AuthError::MalformedQuery("y"),
        AuthError::UnsupportedAlgorithm,
        AuthError::MissingSecurityToken,
        AuthError::RequestTimeTooSkewed,
        AuthError::PresignedExpired,
        AuthError::SignatureDoesNotMatch,
        AuthError::UnsupportedAuthorizationType,
        AuthError::BothMechanisms,
        AuthError::NoRequestTime,
    ];
    let got: Vec<(u16, &str)> = all.iter().map(|e| (e.status(), e.code().as_str())).collect();
    assert_eq!(
        got,
        [
            (400, "AuthorizationHeaderMalformed"),
            (400, "AuthorizationQueryParametersError"),
            (400, "InvalidRequest"),
            (403, "InvalidAccessKeyId"),
            (403, "RequestTimeTooSkewed"),
            (403, "AccessDenied"),
            (403, "SignatureDoesNotMatch"),
            (400, "InvalidArgument"),
            (400, "InvalidArgument"),
            (403, "AccessDenied"),
        ]
    );
    assert_eq!(AuthError::MalformedQuery("why").message(), "why");
}

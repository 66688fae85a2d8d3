//! AWS S3's rules for signed requests that a correct signature does not
//! replace: each request here is validly signed, and still refused as AWS
//! refuses it (code and status).

use crate::sigv4::verify::*;
use crate::sigv4::{canonical_headers, canonical_query, canonical_request, scope, signature, signing_key};

const NOW: i64 = 1_795_317_720; // 2026-11-22T03:22:00Z
const AMZ_DATE: &str = "20261122T032200Z";
const SECRET: &str = "secret";
const TOKEN: &str = "sealed-session-token";

/// A GET of `/acct/prod/k` carrying `headers` (plus `host`), signed by hand
/// over exactly the `signed` names with `payload` as the payload hash.
fn hand_signed(headers: &[(&str, &str)], signed: &[&str], payload: &str) -> Request {
    let mut all: Vec<(String, String)> = vec![("host".into(), "h".into())];
    all.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    let mut names: Vec<&str> = signed.to_vec();
    names.push("host");
    let (ch, sh) = canonical_headers(&all, &names);
    let creq = canonical_request("GET", "/acct/prod/k", &canonical_query(&[]), &ch, &sh, payload);
    let sts = string_to_sign(AMZ_DATE, &scope("20261122", "us-east-1", "s3"), &creq);
    let sig = signature(&signing_key(SECRET, "20261122", "us-east-1", "s3"), &sts);
    let mut req = Request::new("GET", "/acct/prod/k", "");
    for (n, v) in &all {
        req = req.with_header(n, v);
    }
    req.with_header(
        "authorization",
        &format!(
            "AWS4-HMAC-SHA256 Credential=ASIAX/20261122/us-east-1/s3/aws4_request, SignedHeaders={sh}, Signature={sig}"
        ),
    )
}

/// What botocore sends: every x-amz-* header signed.
fn usual() -> Request {
    hand_signed(
        &[
            ("x-amz-date", AMZ_DATE),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-security-token", TOKEN),
        ],
        &["x-amz-date", "x-amz-content-sha256", "x-amz-security-token"],
        EMPTY_SHA256,
    )
}

fn check(req: &Request) -> Result<ParsedAuth, AuthError> {
    let auth = parse(req)?.ok_or(AuthError::MalformedHeader("anonymous"))?;
    verify(req, &auth, SECRET, NOW).map(|()| auth)
}

fn shown(e: AuthError) -> (u16, &'static str, &'static str) {
    (e.status(), e.code().as_str(), e.message())
}

#[test]
fn the_usual_request_is_accepted() {
    let auth = check(&usual()).unwrap();
    assert_eq!(auth.session_token(), Ok(TOKEN));
}

#[test]
fn header_auth_requires_x_amz_content_sha256() {
    let req = hand_signed(
        &[("x-amz-date", AMZ_DATE), ("x-amz-security-token", TOKEN)],
        &["x-amz-date", "x-amz-security-token"],
        EMPTY_SHA256,
    );
    assert_eq!(
        check(&req).map_err(shown).unwrap_err(),
        (
            400,
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256"
        )
    );
}

#[test]
fn x_amz_content_sha256_values() {
    for ok in [EMPTY_SHA256, UNSIGNED_PAYLOAD] {
        let req = hand_signed(
            &[("x-amz-date", AMZ_DATE), ("x-amz-content-sha256", ok)],
            &["x-amz-date", "x-amz-content-sha256"],
            ok,
        );
        assert!(check(&req).is_ok(), "{ok}");
    }
    let body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    let req = hand_signed(
        &[("x-amz-date", AMZ_DATE), ("x-amz-content-sha256", body_hash)],
        &["x-amz-date", "x-amz-content-sha256"],
        body_hash,
    );
    // A GET has no body: the claimed hash is not the empty body's.
    assert_eq!(
        check(&req).map_err(shown).unwrap_err(),
        (
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    );
    for bad in [
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "xyz",
        "",
        &body_hash.to_uppercase(),
    ] {
        let req = hand_signed(
            &[("x-amz-date", AMZ_DATE), ("x-amz-content-sha256", bad)],
            &["x-amz-date", "x-amz-content-sha256"],
            bad,
        );
        let (status, code, _) = check(&req).map_err(shown).unwrap_err();
        assert_eq!((status, code), (400, "InvalidArgument"), "{bad:?}");
    }
}

#[test]
fn every_x_amz_header_must_be_signed() {
    let not_signed = (
        403,
        "AccessDenied",
        "There were headers present in the request which were not signed",
    );
    // The session token, present but outside SignedHeaders.
    let req = hand_signed(
        &[
            ("x-amz-date", AMZ_DATE),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-security-token", TOKEN),
        ],
        &["x-amz-date", "x-amz-content-sha256"],
        EMPTY_SHA256,
    );
    assert_eq!(check(&req).map_err(shown).unwrap_err(), not_signed);
    // Any other x-amz-* header, whatever its case, added to a signed request.
    for name in ["x-amz-meta-added", "X-Amz-Checksum-Mode", "x-amz-date"] {
        let mut req = if name == "x-amz-date" {
            hand_signed(
                &[("x-amz-date", AMZ_DATE), ("x-amz-content-sha256", EMPTY_SHA256)],
                &["x-amz-content-sha256"],
                EMPTY_SHA256,
            )
        } else {
            usual()
        };
        if name != "x-amz-date" {
            req = req.with_header(name, "ENABLED");
        }
        assert_eq!(parse(&req).map_err(shown).unwrap_err(), not_signed, "{name}");
    }
    // Other unsigned headers do not matter.
    assert!(check(
        &usual()
            .with_header("user-agent", "x")
            .with_header("amz-sdk-request", "attempt=1")
    )
    .is_ok());
}

#[test]
fn presigned_requests_must_not_carry_unsigned_x_amz_headers() {
    let q = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAX%2F20261122%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20261122T032200Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature="
        .to_string()
        + &"0".repeat(64);
    let req = Request::new("GET", "/acct/prod/k", &q).with_header("host", "h");
    assert!(parse(&req).is_ok());
    for name in ["x-amz-security-token", "x-amz-meta-x"] {
        let e = parse(&req.clone().with_header(name, TOKEN)).unwrap_err();
        assert_eq!((e.status(), e.code().as_str()), (403, "AccessDenied"), "{name}");
    }
}

#[test]
fn x_amz_expires_is_one_second_to_seven_days() {
    let q = |expires: &str| {
        format!(
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAX%2F20261122%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20261122T032200Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
            "0".repeat(64)
        )
    };
    let parsed = |e: &str| parse(&Request::new("GET", "/acct/prod/k", &q(e)).with_header("host", "h"));
    for ok in ["1", "604800"] {
        assert!(parsed(ok).is_ok(), "{ok}");
    }
    // Valid for no time at all: expired the moment it is made, as on AWS.
    let e = parsed("0").unwrap_err();
    assert_eq!(
        (e.status(), e.code().as_str(), e.message()),
        (403, "AccessDenied", "Request has expired")
    );
    let msg = |e: &str| parsed(e).map_err(shown).unwrap_err();
    assert_eq!(
        msg("-1"),
        (
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be non-negative"
        )
    );
    assert_eq!(
        msg("604801"),
        (
            400,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        )
    );
    for bad in ["", "1e3", "+5", "0x10", "ten"] {
        assert_eq!(
            msg(bad),
            (
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires should be a number"
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn the_signature_is_lowercase_hex() {
    let req = usual();
    let a = req.headers.get("authorization").unwrap().to_string();
    let sig = a.rsplit("Signature=").next().unwrap().to_string();
    let upper = Request {
        headers: {
            let mut h = req.headers.clone();
            h.set("authorization", a.replace(&sig, &sig.to_ascii_uppercase()));
            h
        },
        ..req
    };
    assert_eq!(check(&upper), Err(AuthError::SignatureDoesNotMatch));
}

#[test]
fn the_date_header_fallback_takes_the_http_date_format_only() {
    let signed_with = |date: &str| {
        hand_signed(
            &[("date", date), ("x-amz-content-sha256", EMPTY_SHA256)],
            &["date", "x-amz-content-sha256"],
            EMPTY_SHA256,
        )
    };
    assert_eq!(
        check(&signed_with("Sun, 22 Nov 2026 03:22:00 GMT")).unwrap().amz_date,
        NOW
    );
    // RFC 850 and asctime forms of the same instant: obsolete, refused.
    for old in ["Sunday, 22-Nov-26 03:22:00 GMT", "Sun Nov 22 03:22:00 2026"] {
        assert_eq!(parse(&signed_with(old)), Err(AuthError::NoRequestTime), "{old}");
    }
}

#[test]
fn the_credential_region_is_a_region_name() {
    let req = usual();
    let a = req.headers.get("authorization").unwrap().to_string();
    for region in ["us%east", "r\"x", "a.b", "é"] {
        let mut r = req.clone();
        r.headers
            .set("authorization", a.replace("/us-east-1/", &format!("/{region}/")));
        assert!(matches!(parse(&r), Err(AuthError::MalformedHeader(_))), "{region}");
    }
    for region in ["auto", "eu-central-1", "us_gov"] {
        let mut r = req.clone();
        r.headers
            .set("authorization", a.replace("/us-east-1/", &format!("/{region}/")));
        assert!(parse(&r).is_ok(), "{region}");
    }
}

/// A presigned GET of `/acct/prod/k` (the signature is not checked by `parse`).
fn presigned(algorithm: &str) -> Request {
    let q = format!(
        "X-Amz-Algorithm={algorithm}&X-Amz-Credential=ASIAX%2F20261122%2Fus-east-1%2Fs3%2Faws4_request\
         &X-Amz-Date=20261122T032200Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature={}",
        "0".repeat(64)
    );
    Request::new("GET", "/acct/prod/k", &q).with_header("host", "h")
}

const MECHANISM: &str = "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.";

#[test]
fn an_authorization_type_aws_does_not_know_is_invalid_argument() {
    let req = usual();
    let valid = req.headers.get("authorization").unwrap().to_string();
    let with = |value: &str| {
        let mut r = req.clone();
        r.headers.set("authorization", value);
        parse(&r).map_err(shown).unwrap_err()
    };
    let unsupported = (400, "InvalidArgument", "Unsupported Authorization Type");
    for value in [
        "Bearer eyJhbGciOiJSUzI1NiJ9.e30.x",
        "Bearer x",
        "Basic dXNlcjpwYXNz",
        "Digest username=\"a\"",
        "AWS4-HMAC-SHA512 Credential=x",
        &valid.replace("AWS4-HMAC-SHA256", "aws4-hmac-sha256"),
    ] {
        assert_eq!(with(value), unsupported, "{value}");
    }
    // AWS's own older mechanisms: known, not supported here (nor in newer regions).
    for value in [
        "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        &valid.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"),
    ] {
        assert_eq!(with(value), (400, "InvalidRequest", MECHANISM), "{value}");
    }
}

#[test]
fn a_missing_or_unreadable_request_time_is_access_denied() {
    let no_time = (
        403,
        "AccessDenied",
        "AWS authentication requires a valid Date or x-amz-date header",
    );
    let with_date = |headers: &[(&str, &str)]| {
        let mut all = headers.to_vec();
        all.extend([("x-amz-content-sha256", EMPTY_SHA256), ("x-amz-security-token", TOKEN)]);
        let names: Vec<&str> = all.iter().map(|(n, _)| *n).collect();
        parse(&hand_signed(&all, &names, EMPTY_SHA256)).map_err(shown)
    };
    for headers in [
        vec![],
        vec![("x-amz-date", "garbage")],
        vec![("x-amz-date", "2026-11-22T03:22:00Z")],
        vec![("x-amz-date", "20261122T032200+01")],
        vec![("x-amz-date", "")],
        vec![("date", "Sunday, 22-Nov-26 03:22:00 GMT")],
        vec![("date", "yesterday")],
        // X-Amz-Date wins over Date, so a bad one is not rescued by a good Date.
        vec![("x-amz-date", "garbage"), ("date", "Sun, 22 Nov 2026 03:22:00 GMT")],
    ] {
        assert_eq!(with_date(&headers).unwrap_err(), no_time, "{headers:?}");
    }
    assert!(with_date(&[("x-amz-date", AMZ_DATE)]).is_ok());
}

#[test]
fn a_presigned_algorithm_other_than_aws4_hmac_sha256_is_a_query_parameters_error() {
    assert!(parse(&presigned("AWS4-HMAC-SHA256")).is_ok());
    for algorithm in ["AWS4-HMAC-SHA1", "AWS4-ECDSA-P256-SHA256", "aws4-hmac-sha256", ""] {
        assert_eq!(
            parse(&presigned(algorithm)).map_err(shown).unwrap_err(),
            (
                400,
                "AuthorizationQueryParametersError",
                "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""
            ),
            "{algorithm:?}"
        );
    }
}

#[test]
fn presigned_parameters_with_an_authorization_header_are_invalid_argument() {
    let valid = usual().headers.get("authorization").unwrap().to_string();
    for auth in [valid.as_str(), "AWS4-HMAC-SHA256 x", "Bearer x"] {
        let req = presigned("AWS4-HMAC-SHA256").with_header("authorization", auth);
        let (status, code, message) = parse(&req).map_err(shown).unwrap_err();
        assert_eq!((status, code), (400, "InvalidArgument"), "{auth}");
        assert!(message.starts_with("Only one auth mechanism allowed"), "{message}");
    }
}

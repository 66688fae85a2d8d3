//! Whole requests to a web-identity backend on the in-memory runtime: the
//! fake STS verifies each assertion with the JWKS the proxy serves (as AWS
//! would with the proxy's issuer), and the fake S3 endpoint records how it
//! was signed.

use std::cell::RefCell;
use std::rc::Rc;

use crate::http::percent_decode;
use crate::oidc::provider::jwks_json;
use crate::oidc::{parse_jwks, verify_now as verify, Expectations};
use crate::platform::{OutboundRequest, Platform};
use crate::state::Isolate;
use crate::testing::keys::RSA_PEM;
use crate::testing::{get, FakePlatform};
use crate::time::format_iso8601;

const PROVIDER_ISS: &str = "https://proxy.test";
const STS: &str = "https://sts.test/";
const S3: &str = "https://s3.test/";
const ROLE: &str = "arn:aws:iam::123456789012:role/reader";
const SECRET: &str = "TEMP/secret+key";
const TOKEN: &str = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN";

fn catalog() -> String {
    serde_json::json!({
        "backends": {
            "fed": {"type": "s3", "endpoint": "https://s3.test", "bucket": "data", "region": "eu-west-1",
                    "web_identity": {"role_arn": ROLE, "sts_endpoint": "https://sts.test"}},
            "wrongaud": {"type": "s3", "endpoint": "https://s3.test", "bucket": "data", "region": "eu-west-1",
                         "web_identity": {"role_arn": ROLE, "sts_endpoint": "https://sts.test", "audience": "not-sts"}}
        },
        "accounts": {"acme": {"products": {
            "fed": {"visibility": "public", "backend": "fed", "prefix": "base/"},
            "wrongaud": {"visibility": "public", "backend": "wrongaud", "prefix": "base/"}
        }}}
    })
    .to_string()
}

fn config(provider: bool) -> Isolate {
    let cat = catalog();
    Isolate::from_env(&move |n| match n {
        "STATIC_CATALOG" => Some(cat.clone()),
        "OIDC_PROVIDER_ISSUER" if provider => Some(PROVIDER_ISS.into()),
        "OIDC_PROVIDER_KID" if provider => Some("k1".into()),
        "OIDC_PROVIDER_KEY" if provider => Some(RSA_PEM.into()),
        _ => None,
    })
}

/// What the fake STS saw: the verified claims of each assertion, or why it failed.
type Seen = Rc<RefCell<Vec<Result<serde_json::Map<String, serde_json::Value>, String>>>>;

/// An STS that checks the assertion like AWS (issuer, `sts.amazonaws.com`,
/// signature by a key of the proxy's JWKS) and an S3 answering any GET.
fn platform(cfg: &Isolate) -> (FakePlatform, Seen) {
    let p = FakePlatform::default();
    let jwks = parse_jwks(&jwks_json(cfg.config.provider.as_ref().unwrap())).unwrap();
    let seen: Seen = Rc::default();
    let log = seen.clone();
    let now = p.now_ms() / 1000;
    *p.responder.borrow_mut() = Some(Box::new(move |req: &OutboundRequest| {
        if !req.url.starts_with(STS) {
            return None;
        }
        let body = String::from_utf8(req.body.clone().unwrap_or_default()).unwrap();
        let token = body
            .split('&')
            .find_map(|kv| kv.strip_prefix("WebIdentityToken="))
            .map(|v| percent_decode(v).unwrap())
            .unwrap_or_default();
        let audiences = ["sts.amazonaws.com".to_string()];
        let expect = Expectations {
            issuer: PROVIDER_ISS,
            audiences: &audiences,
            now,
            leeway: 0,
        };
        let verified = verify(&token, &jwks, &expect).map(|c| c.all).map_err(|e| e.to_string());
        let ok = verified.is_ok();
        log.borrow_mut().push(verified);
        Some(if ok {
            let exp = format_iso8601(now + 3600);
            (
                200,
                format!(
                    "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>\
                 <AccessKeyId>ASIATEMP</AccessKeyId><SecretAccessKey>{SECRET}</SecretAccessKey>\
                 <SessionToken>{TOKEN}</SessionToken><Expiration>{exp}</Expiration>\
                 </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>"
                )
                .into_bytes(),
            )
        } else {
            (
                400,
                b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>\
                    <Message>Incorrect token audience</Message></Error></ErrorResponse>"
                    .to_vec(),
            )
        })
    }));
    p.script(
        "https://s3.test/data?",
        200,
        &[("content-type", "application/xml")],
        b"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>base/a.txt</Key><Size>5</Size></Contents></ListBucketResult>",
    );
    p.script(
        S3,
        200,
        &[("content-type", "text/plain"), ("content-length", "5")],
        b"bytes",
    );
    (p, seen)
}

fn calls(p: &FakePlatform, prefix: &str) -> Vec<OutboundRequest> {
    p.fetched
        .borrow()
        .iter()
        .filter(|r| r.url.starts_with(prefix))
        .cloned()
        .collect()
}

fn header<'a>(r: &'a OutboundRequest, name: &str) -> Option<&'a str> {
    r.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn reads_with_temporary_credentials_from_one_exchange() {
    let c = config(true);
    let (p, seen) = platform(&c);
    for _ in 0..3 {
        let (r, body) = get(&p, &c, "/acme/fed/a.txt", "");
        assert_eq!((r.status, body.as_str()), (200, "bytes"));
    }
    assert_eq!(seen.borrow().len(), 1, "one STS exchange for three reads");
    let claims = seen.borrow()[0]
        .clone()
        .expect("the assertion verifies with the proxy's JWKS");
    assert_eq!(claims["iss"], PROVIDER_ISS);
    assert_eq!(claims["sub"], "backend:fed");
    assert_eq!(claims["aud"], "sts.amazonaws.com");
    assert!(claims.get("role").is_none() && claims.get("idp").is_none());
    let s3 = calls(&p, S3);
    assert_eq!(s3.len(), 3);
    for r in &s3 {
        assert_eq!(r.url, "https://s3.test/data/base/a.txt");
        let auth = header(r, "authorization").unwrap();
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=ASIATEMP/"), "{auth}");
        assert!(auth.contains("/eu-west-1/s3/aws4_request"), "{auth}");
        assert!(auth.contains("x-amz-security-token"), "the token is signed: {auth}");
        assert_eq!(header(r, "x-amz-security-token"), Some(TOKEN));
    }
    // A listing shares the same credentials.
    let (r, body) = get(&p, &c, "/acme/fed", "list-type=2");
    assert_eq!(r.status, 200, "{body}");
    assert!(body.contains("<Key>a.txt</Key>"), "{body}");
    assert_eq!(seen.borrow().len(), 1);
    assert_eq!(c.state.federation.exchanges(), 1);
    let logs = p.logs.borrow().join("\n");
    assert!(logs.contains("federated credentials obtained"), "{logs}");
    for secret in [SECRET, TOKEN] {
        assert!(!logs.contains(secret), "{secret} in logs");
    }
}

#[test]
fn a_refused_assertion_is_503_with_the_cause_logged_not_the_token() {
    let c = config(true);
    let (p, seen) = platform(&c);
    let (r, body) = get(&p, &c, "/acme/wrongaud/a.txt", "");
    assert_eq!(r.status, 503, "{body}");
    assert!(body.contains("<Code>ServiceUnavailable</Code>"), "{body}");
    assert_eq!(r.headers.get("retry-after"), Some("5"));
    assert!(
        !body.contains("InvalidIdentityToken") && !body.contains("sts.test") && !body.contains(ROLE),
        "no detail to clients: {body}"
    );
    assert!(
        seen.borrow()[0].as_ref().unwrap_err().contains("audience"),
        "{:?}",
        seen.borrow()
    );
    assert!(calls(&p, S3).is_empty(), "never read unsigned");
    let assertion = String::from_utf8(calls(&p, STS)[0].body.clone().unwrap()).unwrap();
    let assertion = assertion
        .split('&')
        .find_map(|kv| kv.strip_prefix("WebIdentityToken="))
        .unwrap()
        .to_string();
    let logs = p.logs.borrow().join("\n");
    assert!(
        logs.contains("InvalidIdentityToken") && logs.contains("backend wrongaud"),
        "{logs}"
    );
    assert!(!logs.contains(&assertion) && !logs.contains("eyJ"), "{logs}");
    // The good backend is unaffected.
    assert_eq!(get(&p, &c, "/acme/fed/a.txt", "").0.status, 200);
}

#[test]
fn credentials_the_backend_rejects_are_renewed_by_the_next_request() {
    let c = config(true);
    let (p, seen) = platform(&c);
    assert_eq!(get(&p, &c, "/acme/fed/a.txt", "").0.status, 200);
    p.http.borrow_mut().clear();
    p.script(
        S3,
        400,
        &[("content-type", "application/xml")],
        b"<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>",
    );
    let (r, _) = get(&p, &c, "/acme/fed/a.txt", "");
    assert_eq!(r.status, 502);
    assert_eq!(seen.borrow().len(), 1);
    p.http.borrow_mut().clear();
    p.script(
        S3,
        200,
        &[("content-type", "text/plain"), ("content-length", "5")],
        b"bytes",
    );
    assert_eq!(get(&p, &c, "/acme/fed/a.txt", "").0.status, 200);
    assert_eq!(seen.borrow().len(), 2, "a new exchange after the rejection");
    // A policy denial is not a credential problem: no renewal.
    p.http.borrow_mut().clear();
    p.script(S3, 403, &[], b"<Error><Code>AccessDenied</Code></Error>");
    assert_eq!(get(&p, &c, "/acme/fed/a.txt", "").0.status, 502);
    p.http.borrow_mut().clear();
    p.script(
        S3,
        200,
        &[("content-type", "text/plain"), ("content-length", "5")],
        b"bytes",
    );
    assert_eq!(get(&p, &c, "/acme/fed/a.txt", "").0.status, 200);
    assert_eq!(seen.borrow().len(), 2);
}

#[test]
fn without_the_provider_the_backend_is_unavailable() {
    let c = config(false);
    assert!(
        c.config
            .warnings
            .iter()
            .any(|w| w.contains("backend fed disabled") && w.contains("OIDC provider")),
        "{:?}",
        c.config.warnings
    );
    let p = FakePlatform::default();
    let (r, _) = get(&p, &c, "/acme/fed/a.txt", "");
    assert_eq!(r.status, 503);
    assert!(p.fetched.borrow().is_empty());
}

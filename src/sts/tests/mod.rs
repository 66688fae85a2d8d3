//! The exchange end to end on the in-memory runtime: scripted discovery and
//! JWKS, real RS256/ES256 tokens from the test keys, then a signed request
//! with the credentials it returned.

use serde_json::json;

use crate::http::{Request, RequestBody, Response};
use crate::platform::Platform;
use crate::secret::Secret;
use crate::sigv4::{Credentials, SignableRequest};
use crate::state::Isolate;
use crate::testing::keys::{mint_es256, mint_rs256, EC_KID, JWKS, RSA_KID};
use crate::testing::{run_text, signed_request, FakePlatform};

const ISS: &str = "https://idp.test";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ROLES: &str = r#"[{"name": "gha", "issuers": ["https://idp.test"], "audiences": ["sts.amazonaws.com"],
  "bindings": [[{"claim": "repository", "equals": "octo/repo"}, {"claim": "ref", "glob": "refs/heads/*"}]],
  "ceiling": ["demo/*"], "max_duration": 3600, "pass_claims": ["repository"]}]"#;

pub(super) fn cfg_with(session_key: bool) -> Isolate {
    Isolate::from_env(&move |n| match n {
        "SESSION_TOKEN_KEY" if session_key => Some(KEY.into()),
        "AUTH_ISSUER" => Some(ISS.into()),
        "AUTH_AUDIENCE" => Some("proxy".into()),
        "ROLES" => Some(ROLES.into()),
        _ => None,
    })
}

pub(super) fn idp() -> FakePlatform {
    let p = FakePlatform::default();
    let discovery = json!({"issuer": ISS, "jwks_uri": "https://idp.test/jwks"}).to_string();
    p.script(
        "https://idp.test/.well-known/openid-configuration",
        200,
        &[],
        discovery.as_bytes(),
    );
    p.script("https://idp.test/jwks", 200, &[], JWKS.as_bytes());
    p.put("DATA", "demo/public-data/cities.csv", b"cities");
    p
}

pub(super) fn claims(p: &FakePlatform, sub: &str, aud: &str) -> serde_json::Value {
    let now = p.now_ms() / 1000;
    json!({"iss": ISS, "sub": sub, "aud": aud, "iat": now, "exp": now + 600})
}

pub(super) fn exchange(p: &FakePlatform, c: &Isolate, query: &str, accept_json: bool) -> (Response<Vec<u8>>, String) {
    let mut req = Request::new("POST", "/.sts", "").with_header("content-type", "application/x-www-form-urlencoded");
    if accept_json {
        req = req.with_header("accept", "application/json");
    }
    req.body = RequestBody::Bytes(query.as_bytes().to_vec());
    run_text(p, c, req)
}

pub(super) fn form(role: &str, token: &str) -> String {
    format!("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F{role}&WebIdentityToken={token}")
}

pub(super) fn elem<'a>(xml: &'a str, name: &str) -> &'a str {
    xml.split(&format!("<{name}>"))
        .nth(1)
        .and_then(|s| s.split(&format!("</{name}>")).next())
        .unwrap_or("")
}

#[test]
fn exchange_then_signed_request() {
    let p = idp();
    let c = cfg_with(true);
    let token = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    let (r, body) = exchange(&p, &c, &form("_default", &token), false);
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(r.headers.get("cache-control"), Some("no-store"));
    assert!(body.contains("https://sts.amazonaws.com/doc/2011-06-15/"));
    assert_eq!(elem(&body, "SubjectFromWebIdentityToken"), "alice");
    assert_eq!(elem(&body, "Audience"), "proxy");
    let creds = Credentials {
        access_key_id: elem(&body, "AccessKeyId").to_string(),
        secret_access_key: Secret::from(elem(&body, "SecretAccessKey").to_string()),
        session_token: Some(Secret::from(elem(&body, "SessionToken").to_string())),
    };
    assert!(creds.access_key_id.starts_with("ASIA"));
    let _signable = SignableRequest {
        method: "GET",
        host: "h",
        path: "/",
        query: &[],
        headers: &[],
    };
    let (r, body) = run_text(&p, &c, signed_request("GET", "h", "/", "", &creds, p.now_ms()));
    assert_eq!(r.status, 200);
    assert!(body.contains("<Name>demo</Name>"), "{body}");
    let logs = p.logs.borrow().join("\n");
    assert!(logs.contains("\"msg\":\"sts exchange\"") && logs.contains("\"result\":\"issued\""));
    assert!(logs.contains("\"msg\":\"audit\""), "the signed request is audited too");
    assert!(!logs.contains(&token) && !logs.contains(creds.secret_access_key.expose()));
    // One line per request: the exchange's and the audit line carry the request's fields.
    let lines: Vec<serde_json::Value> = p
        .logs
        .borrow()
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let msgs: Vec<_> = lines
        .iter()
        .map(|l| (l["msg"].as_str(), l["route"].as_str(), l["status"].as_u64()))
        .collect();
    assert_eq!(
        msgs,
        [
            (Some("sts exchange"), Some("sts"), Some(200)),
            (Some("audit"), Some("root"), Some(200))
        ]
    );
}

#[test]
fn json_variant_and_es256() {
    let p = idp();
    let token = mint_es256(EC_KID, &claims(&p, "alice", "proxy"));
    let (r, body) = exchange(&p, &cfg_with(true), &form("_default", &token), true);
    assert_eq!(r.status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let creds = &v["AssumeRoleWithWebIdentityResponse"]["AssumeRoleWithWebIdentityResult"]["Credentials"];
    assert!(creds["SessionToken"].as_str().is_some_and(|t| t.len() > 20));
}

pub(super) fn code_of(body: &str) -> String {
    elem(body, "Code").to_string()
}

#[test]
fn every_rejection_has_its_code() {
    let p = idp();
    let c = cfg_with(true);
    let now = p.now_ms() / 1000;
    let cases: Vec<(String, &str, u16, &str)> = vec![
        (
            mint_rs256(RSA_KID, &claims(&p, "alice", "other-app")),
            "_default",
            400,
            "InvalidIdentityToken",
        ),
        (
            mint_rs256(
                RSA_KID,
                &json!({"iss": ISS, "sub": "a", "aud": "proxy", "exp": now - 120}),
            ),
            "_default",
            400,
            "ExpiredTokenException",
        ),
        (
            mint_rs256(RSA_KID, &json!({"iss": ISS, "sub": "a", "aud": "proxy"})),
            "_default",
            400,
            "InvalidIdentityToken",
        ),
        (
            mint_rs256(RSA_KID, &claims(&p, "", "proxy")),
            "_default",
            400,
            "InvalidIdentityToken",
        ),
        (
            mint_rs256("nope", &claims(&p, "alice", "proxy")),
            "_default",
            400,
            "InvalidIdentityToken",
        ),
        (
            mint_rs256(RSA_KID, &claims(&p, "alice", "proxy")),
            "nobody",
            400,
            "InvalidParameterValue",
        ),
        (
            mint_rs256(RSA_KID, &claims(&p, "x", "sts.amazonaws.com")),
            "gha",
            403,
            "IDPRejectedClaim",
        ),
    ];
    for (token, role, status, code) in cases {
        let (r, body) = exchange(&p, &c, &form(role, &token), false);
        assert_eq!((r.status, code_of(&body).as_str()), (status, code), "{role}: {body}");
        assert_eq!(r.headers.get("cache-control"), Some("no-store"));
    }
    // A tampered payload fails the signature.
    let good = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    let parts: Vec<&str> = good.split('.').collect();
    let forged =
        crate::testing::keys::b64(&json!({"iss": ISS, "sub": "admin", "aud": "proxy", "exp": now + 600}).to_string());
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(
        code_of(&exchange(&p, &c, &form("_default", &tampered), false).1),
        "InvalidIdentityToken"
    );
}

#[test]
fn foreign_issuer_is_refused_before_any_network_call() {
    let p = idp();
    let token = mint_rs256(
        RSA_KID,
        &json!({"iss": "https://evil.test", "sub": "a", "aud": "proxy", "exp": 4_000_000_000u64}),
    );
    let (r, body) = exchange(&p, &cfg_with(true), &form("_default", &token), false);
    assert_eq!((r.status, code_of(&body).as_str()), (400, "InvalidIdentityToken"));
    assert!(p.fetched.borrow().is_empty(), "no discovery for an untrusted issuer");
}

#[test]
fn github_actions_role_with_conditions_and_ceiling() {
    let p = idp();
    let c = cfg_with(true);
    let now = p.now_ms() / 1000;
    let ok = json!({"iss": ISS, "sub": "repo:octo/repo:ref:refs/heads/main", "aud": "sts.amazonaws.com", "exp": now + 600,
                    "repository": "octo/repo", "ref": "refs/heads/main"});
    let (r, body) = exchange(&p, &c, &form("gha", &mint_rs256(RSA_KID, &ok)), false);
    assert_eq!(r.status, 200, "{body}");
    let tag = json!({"iss": ISS, "sub": "s", "aud": "sts.amazonaws.com", "exp": now + 600, "repository": "octo/repo", "ref": "refs/tags/v1"});
    assert_eq!(
        code_of(&exchange(&p, &c, &form("gha", &mint_rs256(RSA_KID, &tag)), false).1),
        "IDPRejectedClaim"
    );
    // A denial after verification names who was denied (every exchange is logged).
    let last = p
        .logs
        .borrow()
        .iter()
        .rev()
        .find(|l| l.contains("sts exchange"))
        .cloned()
        .unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(
        (v["result"].as_str(), v["reason"].as_str()),
        (Some("denied"), Some("IDPRejectedClaim"))
    );
    assert_eq!(
        (v["role"].as_str(), v["subject"].as_str(), v["issuer"].as_str()),
        (Some("gha"), Some("s"), Some(ISS))
    );
    let long = format!("{}&DurationSeconds=7200", form("gha", &mint_rs256(RSA_KID, &ok)));
    assert_eq!(code_of(&exchange(&p, &c, &long, false).1), "ValidationError");
}

#[test]
fn jwks_is_cached_and_refetched_once_for_an_unknown_kid() {
    let p = idp();
    let c = cfg_with(true);
    for _ in 0..3 {
        let t = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
        assert_eq!(exchange(&p, &c, &form("_default", &t), false).0.status, 200);
    }
    assert_eq!(p.fetched.borrow().len(), 2, "discovery + JWKS once");
    // An unknown kid (the IdP rotated) refetches at once, even right after a fetch...
    let t = mint_rs256("rotated-kid", &claims(&p, "alice", "proxy"));
    assert_eq!(exchange(&p, &c, &form("_default", &t), false).0.status, 400);
    assert_eq!(p.fetched.borrow().len(), 4);
    // ...but at most once a minute, so unknown kids cannot hammer the IdP.
    let t = mint_rs256("another-kid", &claims(&p, "alice", "proxy"));
    assert_eq!(exchange(&p, &c, &form("_default", &t), false).0.status, 400);
    assert_eq!(p.fetched.borrow().len(), 4);
}

#[test]
fn unreachable_idp_and_unconfigured_sts() {
    let p = FakePlatform::default();
    let c = cfg_with(true);
    let t = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    let (r, body) = exchange(&p, &c, &form("_default", &t), false);
    assert_eq!((r.status, code_of(&body).as_str()), (400, "IDPCommunicationError"));
    let (r, body) = exchange(&idp(), &cfg_with(false), &form("_default", &t), false);
    assert_eq!((r.status, code_of(&body).as_str()), (501, "NotImplemented"));
}

#[test]
fn stale_keys_serve_known_kids_but_an_unknown_kid_is_idp_communication_error() {
    let p = idp();
    let c = cfg_with(true);
    let t = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    assert_eq!(exchange(&p, &c, &form("_default", &t), false).0.status, 200);
    *p.fetch_error.borrow_mut() = Some(crate::error::ProxyError::Unavailable("connection refused".into()));
    // A kid of the cached copy is still verified while the IdP is down...
    let t = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    assert_eq!(exchange(&p, &c, &form("_default", &t), false).0.status, 200);
    // ...but a kid the copy lacks cannot be checked: that is the IdP's failure (retryable),
    // not a bad token.
    let t = mint_rs256("rotated-kid", &claims(&p, "alice", "proxy"));
    let (r, body) = exchange(&p, &c, &form("_default", &t), false);
    assert_eq!((r.status, code_of(&body).as_str()), (400, "IDPCommunicationError"));
    // Once the IdP answers again, the kid is looked up when the minute since
    // the failed refetch has passed (tests_idp.rs has the rest of that rule).
    *p.fetch_error.borrow_mut() = None;
    p.clock_ms.set(p.now_ms() + 61_000);
    let (r, body) = exchange(&p, &c, &form("_default", &t), false);
    assert_eq!((r.status, code_of(&body).as_str()), (400, "InvalidIdentityToken"));
    assert_eq!(
        p.fetched.borrow().len(),
        5,
        "discovery+JWKS, the failed refetch, discovery+JWKS again"
    );
}

#[test]
fn idp_documents_that_never_end_are_idp_communication_error() {
    let p = idp();
    let c = cfg_with(true);
    p.bodies_stall.set(true);
    let t = mint_rs256(RSA_KID, &claims(&p, "alice", "proxy"));
    let (r, body) = exchange(&p, &c, &form("_default", &t), false);
    assert_eq!((r.status, code_of(&body).as_str()), (400, "IDPCommunicationError"));
    let reads = p.body_reads.borrow();
    assert!(
        !reads.is_empty() && reads.iter().all(|&(_, t)| (1..=3000).contains(&t)),
        "{reads:?}"
    );
}

mod endpoint;
mod idp;
mod limits;
mod policy;

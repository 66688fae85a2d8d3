//! Signed requests end to end on the in-memory runtime: a sealed session,
//! a request signed with our SigV4 signer, authorization against grants.

use crate::http::Request;
use crate::platform::Platform;
use crate::secret::Secret;
use crate::sigv4::{sign, Credentials, SignableRequest};
use crate::state::Isolate;
use crate::testing::{run_text as run, session_credentials, signed_request, FakePlatform};

const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="; // bytes 0..32
const ISSUER: &str = "http://127.0.0.1:8788";

fn cfg(key: &str) -> Isolate {
    let key = key.to_string();
    Isolate::from_env(&move |n| (n == "SESSION_TOKEN_KEY").then(|| key.clone()))
}

fn platform() -> FakePlatform {
    let p = FakePlatform::default();
    p.put("DATA", "demo/restricted-data/secret.csv", b"secret");
    p.put("DATA", "demo/restricted-data/sub/x.csv", b"x");
    p.put("DATA", "demo/public-data/cities.csv", b"cities");
    p
}

/// Mints credentials the way STS will, for `subject` with `ceiling`.
fn credentials(c: &Isolate, subject: &str, ceiling: &[&str], expires_at: i64) -> Credentials {
    session_credentials(&c.config, ISSUER, subject, ceiling, expires_at)
}

fn signed(method: &str, path: &str, creds: &Credentials, now_ms: i64) -> Request {
    signed_request(method, "127.0.0.1:8787", path, "", creds, now_ms)
}

#[test]
fn granted_session_reads_restricted_others_do_not() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let (r, body) = run(&p, &c, signed("GET", "/demo/restricted-data/secret.csv", &alice, now));
    assert_eq!((r.status, body.as_str()), (200, "secret"));
    let bob = credentials(&c, "bob", &["*"], now / 1000 + 3600);
    let (r, body) = run(&p, &c, signed("GET", "/demo/restricted-data/secret.csv", &bob, now));
    assert_eq!(r.status, 404);
    assert!(body.contains("NoSuchBucket"));
    // The audit line names the session, never its secret or token.
    let logs = p.logs.borrow().join("\n");
    assert!(logs.contains("\"msg\":\"audit\"") && logs.contains(&alice.access_key_id));
    assert!(!logs.contains(alice.secret_access_key.expose()));
    assert!(!logs.contains(alice.session_token.as_ref().unwrap().expose()));
}

#[test]
fn ceilings_bound_sessions() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let narrow = credentials(&c, "alice", &["demo/restricted-data/sub/*"], now / 1000 + 3600);
    assert_eq!(
        run(&p, &c, signed("GET", "/demo/restricted-data/sub/x.csv", &narrow, now))
            .0
            .status,
        200
    );
    assert_eq!(
        run(&p, &c, signed("GET", "/demo/restricted-data/secret.csv", &narrow, now))
            .0
            .status,
        404
    );
    assert_eq!(
        run(&p, &c, signed("GET", "/demo/public-data/cities.csv", &narrow, now))
            .0
            .status,
        404
    );
}

#[test]
fn signed_root_lists_visible_accounts() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let (r, body) = run(&p, &c, signed("GET", "/", &alice, now));
    assert_eq!(r.status, 200);
    assert!(
        body.contains("<ListAllMyBucketsResult") && body.contains("<Name>demo</Name>"),
        "{body}"
    );
    let nothing = credentials(&c, "alice", &["other/*"], now / 1000 + 3600);
    let (_, body) = run(&p, &c, signed("GET", "/", &nothing, now));
    assert!(!body.contains("<Name>demo</Name>"), "{body}");
}

#[test]
fn authentication_failures_have_their_codes_and_never_reach_the_backend() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let path = "/demo/restricted-data/secret.csv";
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let code = |req: Request| {
        let (r, body) = run(&p, &c, req);
        let code = body
            .split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .unwrap_or("")
            .to_string();
        (r.status, code)
    };
    let mut tampered = signed("GET", path, &alice, now);
    tampered.path = "/demo/restricted-data/other.csv".into();
    assert_eq!(code(tampered), (403, "SignatureDoesNotMatch".into()));
    let mut wrong_secret = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    wrong_secret.secret_access_key = Secret::from("not-the-secret".to_string());
    assert_eq!(
        code(signed("GET", path, &wrong_secret, now)),
        (403, "SignatureDoesNotMatch".into())
    );
    let skewed = signed("GET", path, &alice, now - 16 * 60 * 1000);
    assert_eq!(code(skewed), (403, "RequestTimeTooSkewed".into()));
    let expired = credentials(&c, "alice", &["*"], now / 1000 - 1);
    assert_eq!(code(signed("GET", path, &expired, now)), (400, "ExpiredToken".into()));
    let mut flipped = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let t = flipped.session_token.as_ref().unwrap().expose().to_string();
    // A middle character: the last one may only carry padding bits.
    let mid = t.len() / 2;
    let flip = if &t[mid..mid + 1] == "A" { "B" } else { "A" };
    flipped.session_token = Some(Secret::from(format!("{}{flip}{}", &t[..mid], &t[mid + 1..])));
    assert_eq!(code(signed("GET", path, &flipped, now)), (400, "InvalidToken".into()));
    let mut no_token = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    no_token.session_token = None;
    assert_eq!(code(signed("GET", path, &no_token, now)).0, 403);
    // Another deployment's key: the token does not open.
    let other = cfg("HyAdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=");
    let foreign = credentials(&other, "alice", &["*"], now / 1000 + 3600);
    assert_eq!(code(signed("GET", path, &foreign, now)), (400, "InvalidToken".into()));
    assert_eq!(p.backend_calls.get(), 0, "no failed authentication reaches the backend");
    // Failed authentications are audited too, with their reason.
    let logs = p.logs.borrow().join("\n");
    assert!(logs.contains("\"msg\":\"audit\"") && logs.contains("\"reason\":\"SignatureDoesNotMatch\""));
    assert!(logs.contains("\"reason\":\"InvalidToken\"") && logs.contains("\"reason\":\"ExpiredToken\""));
}

#[test]
fn a_cached_session_still_expires_and_checks_every_signature() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let path = "/demo/restricted-data/secret.csv";
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 60);
    let (r, _) = run(&p, &c, signed("GET", path, &alice, now));
    assert_eq!(r.status, 200);
    assert_eq!(c.state.sessions.stats().entries, 1, "opened once, kept");
    // The same session signs again: served from the cache, same answer.
    let (r, body) = run(&p, &c, signed("GET", path, &alice, now + 1000));
    assert_eq!((r.status, body.as_str()), (200, "secret"));
    assert_eq!(c.state.sessions.stats().entries, 1);
    // A wrong secret with the cached token still fails.
    let mut wrong = alice.clone();
    wrong.secret_access_key = Secret::from("not-the-secret".to_string());
    let (r, body) = run(&p, &c, signed("GET", path, &wrong, now + 2000));
    assert_eq!(r.status, 403);
    assert!(body.contains("SignatureDoesNotMatch"), "{body}");
    // Past its expiry the cached session is refused, and dropped.
    p.clock_ms.set(now + 60_000);
    let (r, body) = run(&p, &c, signed("GET", path, &alice, now + 60_000));
    assert_eq!(r.status, 400);
    assert!(body.contains("ExpiredToken"), "{body}");
    assert_eq!(c.state.sessions.stats().entries, 0);
}

#[test]
fn another_token_with_the_same_access_key_id_is_opened_on_its_own() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let path = "/demo/restricted-data/secret.csv";
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let (r, _) = run(&p, &c, signed("GET", path, &alice, now));
    assert_eq!(r.status, 200);
    // Bob's sealed session, presented under alice's access key id and secret:
    // the AAD binds it to bob's id, so it must not open, cached alice or not.
    let bob = credentials(&c, "bob", &["*"], now / 1000 + 3600);
    let mut mixed = alice.clone();
    mixed.session_token = bob.session_token.clone();
    let (r, body) = run(&p, &c, signed("GET", path, &mixed, now));
    assert_eq!(r.status, 400);
    assert!(body.contains("InvalidToken"), "{body}");
    // A flipped character in alice's cached token: opened, and refused.
    let t = alice
        .session_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .unwrap_or_default();
    let mid = t.len() / 2;
    let flip = if &t[mid..mid + 1] == "A" { "B" } else { "A" };
    let mut flipped = alice.clone();
    flipped.session_token = Some(Secret::from(format!("{}{flip}{}", &t[..mid], &t[mid + 1..])));
    let (r, body) = run(&p, &c, signed("GET", path, &flipped, now));
    assert_eq!(r.status, 400);
    assert!(body.contains("InvalidToken"), "{body}");
    assert_eq!(c.state.sessions.stats().entries, 1, "only alice's good token");
}

#[test]
fn previous_key_keeps_sessions_open_through_rotation() {
    let p = platform();
    let old = cfg(KEY);
    let now = p.now_ms();
    let alice = credentials(&old, "alice", &["*"], now / 1000 + 3600);
    let new_key = "HyAdHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";
    let rotated = Isolate::from_env(&move |n| match n {
        "SESSION_TOKEN_KEY" => Some(new_key.to_string()),
        "SESSION_TOKEN_KEY_PREVIOUS" => Some(KEY.to_string()),
        _ => None,
    });
    assert_eq!(
        run(
            &p,
            &rotated,
            signed("GET", "/demo/restricted-data/secret.csv", &alice, now)
        )
        .0
        .status,
        200
    );
    assert_eq!(
        run(
            &p,
            &cfg(new_key),
            signed("GET", "/demo/restricted-data/secret.csv", &alice, now)
        )
        .0
        .status,
        400
    );
}

#[test]
fn signed_accept_encoding_survives_the_runtime_rewriting_it() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let path = "/demo/restricted-data/secret.csv";
    let extra = vec![("accept-encoding".to_string(), "gzip".to_string())];
    let req = SignableRequest {
        method: "GET",
        host: "127.0.0.1:8787",
        path,
        query: &[],
        headers: &extra,
    };
    // What the Worker sees: the runtime's value, not the signed one.
    let mut r = Request::new("GET", path, "")
        .with_header("host", "127.0.0.1:8787")
        .with_header("accept-encoding", "br, gzip");
    for (n, v) in sign(&req, &alice, "us-east-1", "s3", now / 1000) {
        r = r.with_header(&n, &v);
    }
    let (resp, body) = run(&p, &c, r.clone());
    assert_eq!((resp.status, body.as_str()), (200, "secret"));
    assert_eq!(
        resp.headers.get("cache-control"),
        Some("private, no-store, no-transform"),
        "a session's answer is never shared, and an object is never transformed"
    );
    let (resp, _) = run(&p, &c, signed("GET", "/demo/restricted-data/missing.csv", &alice, now));
    assert_eq!(
        (resp.status, resp.headers.get("cache-control")),
        (404, Some("private, no-store"))
    );
    // Other signed headers are not guessed at.
    r.headers.set("host", "evil.example");
    assert_eq!(run(&p, &c, r).0.status, 403);
}

#[test]
fn signed_requests_keep_response_overrides() {
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let q = "response-content-type=text%2Fx-over&response-content-disposition=attachment";
    let req = signed_request("GET", "127.0.0.1:8787", "/demo/public-data/cities.csv", q, &alice, now);
    let (r, body) = run(&p, &c, req);
    assert_eq!((r.status, body.as_str()), (200, "cities"));
    assert_eq!(r.headers.get("content-type"), Some("text/x-over"));
    assert_eq!(r.headers.get("content-disposition"), Some("attachment"));
}

#[test]
fn an_encoded_slash_between_product_and_key_is_signed_and_authorized_as_sent() {
    // The canonical URI is the path as received (`%2F` kept); the product is
    // still `restricted-data`, so its grant decides, not the spelling.
    let p = platform();
    let c = cfg(KEY);
    let now = p.now_ms();
    let path = "/demo/restricted-data%2Fsecret.csv";
    let alice = credentials(&c, "alice", &["*"], now / 1000 + 3600);
    let (r, body) = run(&p, &c, signed("GET", path, &alice, now));
    assert_eq!((r.status, body.as_str()), (200, "secret"));
    let bob = credentials(&c, "bob", &["*"], now / 1000 + 3600);
    assert_eq!(run(&p, &c, signed("GET", path, &bob, now)).0.status, 404);
    assert_eq!(run(&p, &c, Request::new("GET", path, "")).0.status, 404);
    let narrow = credentials(&c, "alice", &["demo/restricted-data/sub/*"], now / 1000 + 3600);
    assert_eq!(run(&p, &c, signed("GET", path, &narrow, now)).0.status, 404);
    let (r, body) = run(
        &p,
        &c,
        signed("GET", "/demo/restricted-data%2Fsub%2Fx.csv", &narrow, now),
    );
    assert_eq!((r.status, body.as_str()), (200, "x"));
}

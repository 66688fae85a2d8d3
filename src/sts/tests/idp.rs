//! The issuer's keys while its IdP fails: failed fetches are remembered, so
//! an outage costs one fetch (up to its timeout) per interval and issuer, not
//! one per request; unknown kids refetch at most once a minute whatever the
//! outcome; a cached copy still serves the kids it holds for up to a day.

use super::{claims, code_of, exchange, form, idp};
use crate::error::ProxyError;
use crate::platform::Platform;
use crate::state::Isolate;
use crate::testing::keys::{mint_rs256, RSA_KID};
use crate::testing::FakePlatform;

fn cfg() -> Isolate {
    super::cfg_with(true)
}

/// Status and code of one exchange of a token with `kid`, minted now.
fn try_kid(p: &FakePlatform, c: &Isolate, kid: &str) -> (u16, String) {
    let t = mint_rs256(kid, &claims(p, "alice", "proxy"));
    let (r, body) = exchange(p, c, &form("_default", &t), false);
    (r.status, code_of(&body))
}

fn ok(p: &FakePlatform, c: &Isolate) -> (u16, String) {
    try_kid(p, c, RSA_KID)
}

fn down(p: &FakePlatform) {
    *p.fetch_error.borrow_mut() = Some(ProxyError::Unavailable("backend timed out after 3000 ms".into()));
}

fn up(p: &FakePlatform) {
    *p.fetch_error.borrow_mut() = None;
}

fn advance(p: &FakePlatform, secs: i64) {
    p.clock_ms.set(p.now_ms() + secs * 1000);
}

fn fetches(p: &FakePlatform) -> usize {
    p.fetched.borrow().len()
}

const IDP_ERROR: (u16, &str) = (400, "IDPCommunicationError");

#[test]
fn an_unreachable_issuer_is_asked_once_per_interval() {
    let (p, c) = (idp(), cfg());
    down(&p);
    for _ in 0..5 {
        let (s, code) = ok(&p, &c);
        assert_eq!((s, code.as_str()), IDP_ERROR);
    }
    assert_eq!(fetches(&p), 1, "one failed discovery, then the failure is remembered");
    advance(&p, 11);
    let (s, code) = ok(&p, &c);
    assert_eq!((s, code.as_str()), IDP_ERROR);
    assert_eq!(fetches(&p), 2, "asked again once the interval has passed");
    // Recovery: the first request after the interval fetches and succeeds.
    up(&p);
    assert_eq!(ok(&p, &c).0, 400, "still within the interval");
    assert_eq!(fetches(&p), 2);
    advance(&p, 11);
    assert_eq!(ok(&p, &c).0, 200);
    assert_eq!(fetches(&p), 4, "discovery and JWKS");
}

#[test]
fn failed_refetches_for_unknown_kids_are_rate_limited_too() {
    let (p, c) = (idp(), cfg());
    assert_eq!(ok(&p, &c).0, 200);
    assert_eq!(fetches(&p), 2);
    down(&p);
    // A kid the copy lacks: one refetch, which fails; the kid cannot be checked.
    let (s, code) = try_kid(&p, &c, "rotated-1");
    assert_eq!((s, code.as_str()), IDP_ERROR);
    assert_eq!(fetches(&p), 3);
    // Every other unknown kid within the minute: no fetch, the same answer.
    for i in 0..5 {
        let (s, code) = try_kid(&p, &c, &format!("random-{i}"));
        assert_eq!((s, code.as_str()), IDP_ERROR);
        advance(&p, 5);
    }
    assert_eq!(fetches(&p), 3, "no refetch within the minute after a failed one");
    // The kids of the copy keep working meanwhile, without any fetch.
    assert_eq!(ok(&p, &c).0, 200);
    assert_eq!(fetches(&p), 3);
    // The IdP answers again: the next refetch waits for the minute to pass...
    up(&p);
    let (s, code) = try_kid(&p, &c, "rotated-1");
    assert_eq!((s, code.as_str()), IDP_ERROR);
    assert_eq!(fetches(&p), 3);
    advance(&p, 36);
    // ...then the kid is looked up: really unknown, the token is refused.
    let (s, code) = try_kid(&p, &c, "rotated-1");
    assert_eq!((s, code.as_str()), (400, "InvalidIdentityToken"));
    assert_eq!(fetches(&p), 5);
}

#[test]
fn a_stale_copy_serves_its_kids_during_an_outage_with_one_fetch_per_interval() {
    let (p, c) = (idp(), cfg());
    assert_eq!(ok(&p, &c).0, 200);
    advance(&p, 3601); // the copy is stale: a refresh is due
    down(&p);
    for _ in 0..5 {
        assert_eq!(ok(&p, &c).0, 200, "the stale copy holds the kid");
    }
    assert_eq!(fetches(&p), 3, "one failed refresh for five requests");
    let warned = p
        .logs
        .borrow()
        .iter()
        .filter(|l| l.contains("jwks refresh failed"))
        .count();
    assert_eq!(warned, 1, "one warning per failed fetch");
    advance(&p, 11);
    assert_eq!(ok(&p, &c).0, 200);
    assert_eq!(fetches(&p), 4);
    // A day after the last good fetch the copy is no longer used.
    advance(&p, 86_400);
    let (s, code) = ok(&p, &c);
    assert_eq!((s, code.as_str()), IDP_ERROR);
}

#[test]
fn concurrent_requests_share_one_refetch() {
    let (p, c) = (idp(), cfg());
    assert_eq!(ok(&p, &c).0, 200);
    p.fetch_yields.set(true);
    let t = |kid: &str| mint_rs256(kid, &claims(&p, "alice", "proxy"));
    let reqs: Vec<_> = ["k-1", "k-2", "k-3", "k-4"]
        .iter()
        .map(|k| form("_default", &t(k)))
        .collect();
    let run = |q: &str| {
        let mut req = crate::http::Request::new("POST", "/.sts", "")
            .with_header("content-type", "application/x-www-form-urlencoded");
        req.body = crate::http::RequestBody::Bytes(q.as_bytes().to_vec());
        crate::proxy::handle(&p, &c, req)
    };
    let answers = crate::testing::block_on(futures::future::join_all(reqs.iter().map(|q| run(q))));
    assert!(answers.iter().all(|r| r.status == 400));
    assert_eq!(
        fetches(&p),
        4,
        "one refetch (discovery and JWKS) for four unknown kids at once"
    );
    // The same during an outage with a stale copy: one attempt, the others use the copy.
    advance(&p, 3601);
    down(&p);
    let good: Vec<_> = (0..4).map(|_| form("_default", &t(RSA_KID))).collect();
    let answers = crate::testing::block_on(futures::future::join_all(good.iter().map(|q| run(q))));
    assert!(answers.iter().all(|r| r.status == 200));
    assert_eq!(fetches(&p), 5);
}

#[test]
fn urls_in_a_token_header_are_never_fetched() {
    let (p, c) = (idp(), cfg());
    let header = serde_json::json!({"alg": "RS256", "kid": RSA_KID, "typ": "JWT",
        "jku": "https://evil.test/jwks", "x5u": "https://evil.test/cert", "jwk": {"kty": "RSA"}});
    let t = crate::testing::keys::sign_rs256_raw(&header, &claims(&p, "alice", "proxy"));
    let (r, body) = exchange(&p, &c, &form("_default", &t), false);
    assert_eq!(r.status, 200, "the issuer's own key signed it: {body}");
    let fetched: Vec<String> = p.fetched.borrow().iter().map(|f| f.url.clone()).collect();
    assert!(
        fetched.iter().all(|u| u.starts_with("https://idp.test/")),
        "{fetched:?}"
    );
}

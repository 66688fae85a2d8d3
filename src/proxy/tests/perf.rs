//! Timings of the hot paths on the in-memory runtime, natively: not run by
//! default (`cargo test --release perf_ -- --ignored --nocapture`). They
//! print per-request figures to compare before and after a change; the
//! Worker's own CPU is measured by `scripts/bench.py` in workerd.

use std::time::Instant;

use serde_json::json;

use crate::http::Request;
use crate::state::Isolate;
use crate::testing::{moto_page, run, FakePlatform};

fn mirror() -> Isolate {
    let catalog = json!({
        "backends": {"s3": {"type": "s3", "endpoint": "http://s3.test", "bucket": "bkt"}},
        "accounts": {"mirror": {"products": {
            "public-data": {"visibility": "public", "backend": "s3", "prefix": "demo/public-data/"},
        }}}
    })
    .to_string();
    Isolate::from_env(&move |n| match n {
        "STATIC_CATALOG" => Some(catalog.clone()),
        "SESSION_TOKEN_KEY" => Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string()),
        _ => None,
    })
}

#[allow(clippy::print_stderr)] // the timing is the output
fn time<T>(what: &str, n: u32, mut f: impl FnMut() -> T) {
    let _ = f();
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(f());
    }
    eprintln!("{what}: {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / f64::from(n));
}

const N: u32 = 100;

#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn perf_list_parse() {
    let xml = moto_page(1000, true);
    time("list_xml::parse, 1000 keys", N, || {
        crate::backend::list_xml::parse(&xml).unwrap()
    });
}

fn whole_listing(q: &str) {
    let p = FakePlatform::default();
    p.script("http://s3.test/bkt", 200, &[], moto_page(1000, true).as_bytes());
    let cfg = mirror();
    let (resp, body) = run(&p, &cfg, Request::new("GET", "/mirror", q));
    assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(String::from_utf8_lossy(&body).matches("<Key>").count(), 1000);
    time(&format!("GET /mirror?{q}"), N, || {
        run(&p, &cfg, Request::new("GET", "/mirror", q))
    });
}

#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn perf_list_request() {
    whole_listing("list-type=2&prefix=public-data%2Fmany%2F");
}

#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn perf_list_request_url() {
    whole_listing("list-type=2&prefix=public-data%2Fmany%2F&encoding-type=url");
}

/// Authentication of a signed request: opening the session token (a fresh
/// cache each time) against the cached session (signature still checked).
#[test]
#[ignore = "timing; run with --release --ignored --nocapture"]
fn perf_authenticate_signed() {
    use crate::authz::SessionPrincipal;
    use crate::proxy::auth::authenticate;
    use crate::session::SessionCache;
    use crate::testing::{session_credentials, signed_request};
    let c = mirror();
    let now_ms = 1_795_317_720_000;
    let creds = session_credentials(
        &c.config,
        "https://idp.test",
        "alice",
        &["mirror/*"],
        now_ms / 1000 + 3600,
    );
    let req = signed_request("GET", "127.0.0.1:8787", "/mirror/public-data/x.csv", "", &creds, now_ms);
    let keys = c.config.session_keys.as_ref();
    time("authenticate, token opened", N * 10, || {
        authenticate(keys, &SessionCache::<SessionPrincipal>::default(), &req, now_ms / 1000).is_ok()
    });
    let cache = SessionCache::default();
    time("authenticate, session cached", N * 10, || {
        authenticate(keys, &cache, &req, now_ms / 1000).is_ok()
    });
    time("the SigV4 signing key alone", N * 10, || {
        crate::sigv4::signing_key("secret", "20261206", "us-east-1", "s3")
    });
    // The two steps of every signed request, apart.
    time("the SigV4 parse alone", N * 10, || {
        crate::sigv4::verify::parse(&req).is_ok()
    });
    let auth = crate::sigv4::verify::parse(&req).expect("parses").expect("signed");
    let key = crate::sigv4::signing_key(
        creds.secret_access_key.expose(),
        &auth.date8,
        &auth.region,
        &auth.service,
    );
    assert!(crate::sigv4::verify::verify_with_key(&req, &auth, &key, now_ms / 1000).is_ok());
    time("the signature recomputed with its key", N * 10, || {
        crate::sigv4::verify::verify_with_key(&req, &auth, &key, now_ms / 1000).is_ok()
    });
}

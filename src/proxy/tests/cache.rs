//! Whole requests through the pipeline with the edge cache on, against an
//! in-memory S3 endpoint that honors Range and If-Match: every answer is
//! compared with the same request through the proxy without the cache.

use serde_json::json;

use crate::http::{Body, Request, Response};
use crate::proxy::handle;
use crate::state::Isolate;
use crate::testing::{block_on, session_credentials, signed_request, FakePlatform};

const MIB: usize = 1 << 20;
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ISSUER: &str = "http://127.0.0.1:8788";
const BIG: &str = "/acct/pub/big.bin";

fn catalog(visibility: &str, cache: serde_json::Value) -> String {
    let product = |v: &str, prefix: &str| {
        json!({"visibility": v, "backend": "s3", "prefix": prefix, "cache": cache,
               "grants": if v == "restricted" { json!([{"issuer": ISSUER, "subject": "alice"}]) } else { json!([]) }})
    };
    json!({
        "backends": {"s3": {"type": "s3", "endpoint": "http://s3.test", "bucket": "bkt"}},
        "accounts": {"acct": {"products": {
            "pub": product(visibility, "pub/"),
            "unl": product("unlisted", "pub/"),
            "sec": product("restricted", "pub/"),
        }}}
    })
    .to_string()
}

fn config(cache_on: bool, catalog: String) -> Isolate {
    Isolate::from_env(&move |n| match n {
        "STATIC_CATALOG" => Some(catalog.clone()),
        "SESSION_TOKEN_KEY" => Some(KEY.to_string()),
        "OBJECT_CACHE" => Some(if cache_on { "on" } else { "off" }.to_string()),
        "OBJECT_CACHE_BLOCK_BYTES" => Some(MIB.to_string()),
        "OBJECT_CACHE_WHOLE_MAX_BYTES" => Some((64 << 10).to_string()),
        _ => None,
    })
}

fn cached() -> Isolate {
    config(true, catalog("public", json!({})))
}

fn uncached() -> Isolate {
    config(false, catalog("public", json!({})))
}

/// Bytes where each 4-byte word is its offset (plus a version).
fn pattern(len: usize, version: u32) -> Vec<u8> {
    (0..len.div_ceil(4))
        .flat_map(|i| (u32::try_from(i * 4).unwrap() + version).to_be_bytes())
        .take(len)
        .collect()
}

fn platform() -> FakePlatform {
    let p = FakePlatform::default();
    p.s3_put("pub/big.bin", &pattern(5 * MIB + 12_345, 0), None);
    p.s3_put("pub/small.txt", b"hello, cached world", None);
    p.s3_put("pub/empty", b"", None);
    p.s3_put("pub/private.bin", &pattern(100, 0), Some("private, max-age=60"));
    p.splice_chunk.set(65_521); // a prime: entries are cut across chunks
    p
}

fn run(p: &FakePlatform, c: &Isolate, req: Request) -> (Response<Vec<u8>>, Vec<u8>) {
    let mut resp = block_on(handle(p, c, req));
    let body = match std::mem::replace(&mut resp.body, Body::Empty) {
        Body::Empty => Vec::new(),
        Body::Bytes(b) | Body::Stream(b) => b,
    };
    (resp, body)
}

fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
    headers
        .iter()
        .fold(Request::new(method, path, ""), |r, (n, v)| r.with_header(n, v))
}

/// Requests to the backend so far: (method, Range header).
fn backend_requests(p: &FakePlatform) -> Vec<(String, Option<String>)> {
    p.fetched
        .borrow()
        .iter()
        .map(|r| {
            let range = r.headers.iter().find(|(n, _)| n == "range").map(|(_, v)| v.clone());
            (r.method.to_string(), range)
        })
        .collect()
}

/// Everything but the request id and the caching headers.
fn comparable(r: &Response<Vec<u8>>) -> Vec<(String, String)> {
    r.headers
        .iter()
        .filter(|(n, _)| !["x-amz-request-id", "cache-control"].contains(n))
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

/// An error document without its request id (which differs per request).
fn without_id(body: &[u8]) -> Vec<u8> {
    match (body.starts_with(b"<?xml"), String::from_utf8(body.to_vec())) {
        (true, Ok(s)) => match (s.find("<RequestId>"), s.find("</RequestId>")) {
            (Some(a), Some(b)) => format!("{}{}", &s[..a], &s[b..]).into_bytes(),
            _ => s.into_bytes(),
        },
        _ => body.to_vec(),
    }
}

const RANGES: &[Option<&str>] = &[
    None,
    Some("bytes=0-0"),
    Some("bytes=0-99"),
    Some("bytes=1048570-1048600"),
    Some("bytes=3000000-"),
    Some("bytes=-10"),
    Some("bytes=-6000000"),
    Some("bytes=2097152-4194303"),
    Some("bytes=5255224-"),
    // Past the end, inside the last block: the aligned first fetch is satisfiable.
    Some("bytes=5255225-"),
    Some("bytes=5255300-5255400"),
    Some("bytes=99999999-"),
    Some("bytes=5-1"),
    Some("bytes=0-1,3-4"),
];

#[test]
fn answers_are_the_uncached_answers_cold_and_warm() {
    let (p, plain) = (platform(), platform());
    let (c, u) = (cached(), uncached());
    let etag = p.s3.borrow().as_ref().unwrap().1["pub/big.bin"].0.etag.clone();
    for pass in ["cold", "warm"] {
        for path in [BIG, "/acct/pub/small.txt", "/acct/pub/empty", "/acct/unl/big.bin"] {
            for method in ["GET", "HEAD"] {
                for range in RANGES {
                    let mut h: Vec<(&str, &str)> = range.iter().map(|r| ("range", *r)).collect();
                    for cond in [
                        None,
                        Some(("if-none-match", etag.as_str())),
                        Some(("if-match", "\"nope\"")),
                    ] {
                        h.extend(cond);
                        let (want, want_body) = run(&plain, &u, request(method, path, &h));
                        let (got, got_body) = run(&p, &c, request(method, path, &h));
                        let what = format!("{pass} {method} {path} {h:?}");
                        assert_eq!(got.status, want.status, "{what}");
                        assert_eq!(comparable(&got), comparable(&want), "{what}");
                        assert!(without_id(&got_body) == without_id(&want_body), "{what}: bodies differ");
                        h.truncate(range.iter().count());
                    }
                }
            }
        }
    }
}

#[test]
fn warm_reads_never_reach_the_backend() {
    let p = platform();
    let c = cached();
    let reads = [
        Some("bytes=-8"),
        Some("bytes=5000000-5000100"),
        Some("bytes=100-2000000"),
        None,
    ];
    for r in reads {
        let h: Vec<_> = r.iter().map(|v| ("range", *v)).collect();
        run(&p, &c, request("GET", BIG, &h));
    }
    let cold = backend_requests(&p);
    // No HEAD: the first read's answer gave the metadata (the suffix as asked,
    // its size from Content-Range); then one ranged GET per run of missing blocks.
    assert_eq!(
        cold[..2],
        [
            ("GET".to_string(), Some("bytes=-8".to_string())),
            ("GET".to_string(), Some("bytes=4194304-5242879".to_string()))
        ]
    );
    assert!(cold.iter().all(|(m, r)| m == "GET" && r.is_some()), "{cold:?}");
    for r in reads {
        let h: Vec<_> = r.iter().map(|v| ("range", *v)).collect();
        let (resp, _) = run(&p, &c, request("GET", BIG, &h));
        assert!(resp.status == 200 || resp.status == 206);
    }
    assert_eq!(
        backend_requests(&p).len(),
        cold.len(),
        "the warm pass asked the backend"
    );
    let logs = p.logs.borrow();
    let last = logs.iter().rev().find(|l| l.contains("\"msg\":\"request\"")).unwrap();
    assert!(
        last.contains("\"cache\":\"hit\"") && last.contains("\"backend_bytes\":0"),
        "{last}"
    );
    assert!(logs.iter().any(|l| l.contains("\"cache\":\"miss\"")), "{logs:?}");
}

#[test]
fn a_partial_read_fetches_only_the_missing_blocks() {
    let p = platform();
    let c = cached();
    run(&p, &c, request("GET", BIG, &[("range", "bytes=1048576-2097151")])); // block 1
    let before = backend_requests(&p).len();
    let (r, body) = run(&p, &c, request("GET", BIG, &[("range", "bytes=10-3145727")])); // blocks 0..=2
    assert_eq!(r.status, 206);
    assert_eq!(body, pattern(5 * MIB + 12_345, 0)[10..3_145_728]);
    let after = backend_requests(&p);
    assert_eq!(
        after[before..],
        [
            ("GET".to_string(), Some("bytes=0-1048575".to_string())),
            ("GET".to_string(), Some("bytes=2097152-3145727".to_string()))
        ]
    );
    let logs = p.logs.borrow();
    let line = logs.iter().rev().find(|l| l.contains("\"msg\":\"request\"")).unwrap();
    assert!(
        line.contains("\"cache\":\"partial\"") && line.contains("\"backend_bytes\":2097152"),
        "{line}"
    );
}

#[test]
fn concurrent_misses_of_a_block_are_coalesced() {
    let p = platform();
    p.fetch_yields.set(true);
    let c = cached();
    let reads = (0..4).map(|_| handle(&p, &c, request("GET", BIG, &[("range", "bytes=100-200")])));
    let answers = block_on(futures::future::join_all(reads));
    for mut a in answers {
        assert_eq!(a.status, 206);
        let Body::Stream(b) = std::mem::replace(&mut a.body, Body::Empty) else {
            panic!("a body")
        };
        assert_eq!(b, pattern(5 * MIB + 12_345, 0)[100..=200]);
    }
    let gets = backend_requests(&p);
    assert_eq!(
        gets,
        [("GET".to_string(), Some("bytes=0-1048575".to_string()))],
        "one block fetch for four readers, no HEAD"
    );
    assert!(c.state.inflight.is_empty());
}

#[test]
fn a_replaced_object_is_never_stitched_from_two_versions() {
    let p = platform();
    let c = cached();
    let v1 = pattern(5 * MIB + 12_345, 0);
    let (_, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=0-99")]));
    assert_eq!(b, v1[..100]);
    // Replaced behind the cache: same size, other bytes, other ETag.
    let v2 = pattern(5 * MIB + 12_345, 1);
    p.s3_put("pub/big.bin", &v2, None);
    // Block 0 is cached (v1), block 1 is not: its fetch, pinned to v1's ETag,
    // gets a 412, and the read starts over with v2's metadata.
    let (r, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=1048000-1049000")]));
    assert_eq!(r.status, 206);
    assert!(b == v2[1_048_000..=1_049_000], "mixed or stale bytes");
    assert_eq!(
        r.headers.get("etag"),
        Some(p.s3.borrow().as_ref().unwrap().1["pub/big.bin"].0.etag.as_str())
    );
    // From now on every read is v2, block 0 included.
    let (_, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=0-99")]));
    assert_eq!(b, v2[..100]);
}

#[test]
fn a_stale_version_is_served_whole_until_its_ttl() {
    let p = platform();
    let c = cached();
    let v1 = pattern(5 * MIB + 12_345, 0);
    run(&p, &c, request("GET", BIG, &[("range", "bytes=0-2097151")]));
    p.s3_put("pub/big.bin", &pattern(5 * MIB + 12_345, 1), None);
    let (_, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=0-2097151")]));
    assert!(b == v1[..2_097_152], "within the TTL: the cached version, consistently");
    p.clock_ms.set(crate::platform::Platform::now_ms(&p) + 301_000);
    let (_, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=0-2097151")]));
    assert!(
        b == pattern(5 * MIB + 12_345, 1)[..2_097_152],
        "past the TTL: the new version"
    );
}

#[test]
fn restricted_products_never_enter_the_cache() {
    let p = platform();
    let c = cached();
    let creds = session_credentials(&c.config, ISSUER, "alice", &["*"], 1_763_781_720 + 3600);
    for _ in 0..2 {
        let req = signed_request(
            "GET",
            "127.0.0.1:8787",
            "/acct/sec/big.bin",
            "",
            &creds,
            1_763_781_720_000,
        );
        let (r, body) = run(&p, &c, req);
        assert_eq!(r.status, 200);
        assert_eq!(body.len(), 5 * MIB + 12_345);
    }
    assert!(p.blobs.borrow().is_empty(), "a restricted object's bytes were cached");
    assert!(p.cache.borrow().keys().all(|k| !k.contains("object-cache")));
    assert_eq!(backend_requests(&p).len(), 2, "each read went to the backend");
    // A session reading a public product uses the cache, and its answer stays private.
    let req = signed_request(
        "GET",
        "127.0.0.1:8787",
        "/acct/pub/small.txt",
        "",
        &creds,
        1_763_781_720_000,
    );
    let (r, _) = run(&p, &c, req);
    assert_eq!(r.headers.get("cache-control"), Some("private, no-store, no-transform"));
    assert!(!p.blobs.borrow().is_empty());
}

#[test]
fn a_product_turned_restricted_is_refused_at_once() {
    let p = platform();
    let (r, _) = run(&p, &cached(), request("GET", "/acct/pub/small.txt", &[]));
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("cache-control"), Some("public, max-age=60, no-transform"));
    let before = backend_requests(&p).len();
    let now_restricted = config(true, catalog("restricted", json!({})));
    let (r, _) = run(&p, &now_restricted, request("GET", "/acct/pub/small.txt", &[]));
    assert_eq!(r.status, 404);
    assert_eq!(backend_requests(&p).len(), before);
}

#[test]
fn private_objects_and_disabled_products_are_not_cached() {
    let p = platform();
    let c = cached();
    for _ in 0..2 {
        let (r, b) = run(&p, &c, request("GET", "/acct/pub/private.bin", &[]));
        assert_eq!((r.status, b.len()), (200, 100));
        assert_eq!(
            r.headers.get("cache-control"),
            Some("private, max-age=60, no-transform")
        );
    }
    assert!(p.blobs.borrow().is_empty());
    // The first read learned it may not be cached; the second went straight to the backend.
    assert_eq!(backend_requests(&p).len(), 2);
    let off = config(true, catalog("public", json!({"ttl_secs": 0})));
    let q = platform();
    run(&q, &off, request("GET", "/acct/pub/small.txt", &[]));
    assert!(q.blobs.borrow().is_empty() && q.cache.borrow().is_empty());
}

#[test]
fn a_new_generation_purges_the_product() {
    let p = platform();
    run(&p, &cached(), request("GET", "/acct/pub/small.txt", &[]));
    let n = backend_requests(&p).len();
    run(&p, &cached(), request("GET", "/acct/pub/small.txt", &[]));
    assert_eq!(backend_requests(&p).len(), n);
    let purged = config(true, catalog("public", json!({"generation": 1})));
    let (_, b) = run(&p, &purged, request("GET", "/acct/pub/small.txt", &[]));
    assert_eq!(b, b"hello, cached world");
    assert_eq!(backend_requests(&p).len(), n + 1, "one GET again");
}

#[test]
fn large_answers_bypass_the_cache() {
    let p = FakePlatform::default();
    p.s3_put("pub/huge.bin", &pattern(17 * MIB + 1, 0), None);
    let (r, b) = run(&p, &cached(), request("GET", "/acct/pub/huge.bin", &[]));
    assert_eq!((r.status, b.len()), (200, 17 * MIB + 1));
    assert!(p.blobs.borrow().is_empty());
    let logs = p.logs.borrow();
    let line = logs.iter().rev().find(|l| l.contains("\"msg\":\"request\"")).unwrap();
    assert!(line.contains("\"cache\":\"bypass\""), "{line}");
    assert!(line.contains("\"backend_requests\":1,"), "{line}");
}

/// The request log's `cache` and `backend_bytes` of the last request.
fn last_log(p: &FakePlatform) -> String {
    let logs = p.logs.borrow();
    logs.iter()
        .rev()
        .find(|l| l.contains("\"msg\":\"request\""))
        .unwrap()
        .clone()
}

#[test]
fn a_cold_read_is_one_backend_request() {
    let p = platform();
    let c = cached();
    let big = pattern(5 * MIB + 12_345, 0);
    // A range within block 1: the whole block is fetched, and nothing else.
    let (r, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=1048600-1048700")]));
    assert_eq!(r.status, 206);
    assert_eq!(b, big[1_048_600..=1_048_700]);
    assert_eq!(
        backend_requests(&p),
        [("GET".to_string(), Some("bytes=1048576-2097151".to_string()))]
    );
    let line = last_log(&p);
    assert!(
        line.contains("\"cache\":\"miss\"") && line.contains("\"backend_bytes\":1048576"),
        "{line}"
    );
    // Its metadata and block are cached: the same block again is a hit.
    let (_, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=1048576-1048580")]));
    assert_eq!(b, big[1_048_576..=1_048_580]);
    assert_eq!(backend_requests(&p).len(), 1);
    // A whole small object: one plain GET, then hits.
    run(&p, &c, request("GET", "/acct/pub/small.txt", &[]));
    let (_, b) = run(&p, &c, request("GET", "/acct/pub/small.txt", &[("range", "bytes=-5")]));
    assert_eq!(b, b"world");
    assert_eq!(backend_requests(&p)[1..], [("GET".to_string(), None)]);
    // An empty object: one GET, then a hit.
    for _ in 0..2 {
        let (r, b) = run(&p, &c, request("GET", "/acct/pub/empty", &[]));
        assert_eq!((r.status, b.len()), (200, 0));
    }
    assert_eq!(backend_requests(&p).len(), 3);
}

#[test]
fn a_cold_whole_read_of_an_object_over_the_whole_limit_fills_its_blocks() {
    let p = platform();
    let c = cached();
    let big = pattern(5 * MIB + 12_345, 0);
    let (r, b) = run(&p, &c, request("GET", BIG, &[]));
    assert_eq!(r.status, 200);
    assert!(b == big);
    assert_eq!(backend_requests(&p), [("GET".to_string(), None)]);
    for range in ["bytes=0-10", "bytes=3000000-4000000", "bytes=-100"] {
        let (_, b) = run(&p, &c, request("GET", BIG, &[("range", range)]));
        assert!(!b.is_empty());
    }
    assert_eq!(
        backend_requests(&p).len(),
        1,
        "every block was stored by the first read"
    );
}

#[test]
fn a_cold_conditional_is_evaluated_by_the_backend_and_fetches_nothing_more() {
    let p = platform();
    let c = cached();
    let etag = p.s3.borrow().as_ref().unwrap().1["pub/big.bin"].0.etag.clone();
    let (r, b) = run(
        &p,
        &c,
        request("GET", BIG, &[("range", "bytes=0-99"), ("if-none-match", &etag)]),
    );
    assert_eq!((r.status, b.len()), (304, 0));
    assert_eq!(r.headers.get("etag"), Some(etag.as_str()));
    let (r, b) = run(&p, &c, request("GET", BIG, &[("if-match", "\"other\"")]));
    assert_eq!(r.status, 412);
    assert!(String::from_utf8_lossy(&b).contains("PreconditionFailed"));
    // Each was one backend request carrying the client's conditions, no HEAD.
    let sent = p.fetched.borrow();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].headers.iter().any(|(n, v)| n == "if-none-match" && *v == etag));
    assert!(sent[1].headers.iter().any(|(n, v)| n == "if-match" && v == "\"other\""));
    assert!(sent.iter().all(|r| r.method == "GET"));
    drop(sent);
    assert!(p.blobs.borrow().is_empty() && p.cache.borrow().is_empty());
}

#[test]
fn a_cold_range_past_the_end_is_416_with_the_size() {
    let p = platform();
    let c = cached();
    // Past the end but within the last block: the aligned fetch succeeds, the
    // client's range does not.
    let (r, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=5255300-5255400")]));
    assert_eq!(r.status, 416);
    assert!(String::from_utf8_lossy(&b).contains("<Code>InvalidRange</Code>"));
    assert_eq!(r.headers.get("content-range"), Some("bytes */5255225"));
    assert!(p.blobs.borrow().is_empty(), "no entry from a refused read");
}

#[test]
fn an_object_between_a_block_and_the_whole_limit() {
    // Blocks of 1 MiB, objects up to 2 MiB whole: a 1.5 MiB object read at
    // 1 MiB + 10 cold gets block 1's bytes; they are not its whole entry, so
    // nothing is stored; the next read fetches the whole object once.
    let isolate = |on: bool| {
        Isolate::from_env(&move |n| match n {
            "STATIC_CATALOG" => Some(catalog("public", json!({}))),
            "SESSION_TOKEN_KEY" => Some(KEY.to_string()),
            "OBJECT_CACHE" => Some(if on { "on" } else { "off" }.to_string()),
            "OBJECT_CACHE_BLOCK_BYTES" => Some(MIB.to_string()),
            "OBJECT_CACHE_WHOLE_MAX_BYTES" => Some((2 * MIB).to_string()),
            _ => None,
        })
    };
    let (c, u) = (isolate(true), isolate(false));
    let (p, plain) = (FakePlatform::default(), FakePlatform::default());
    for q in [&p, &plain] {
        q.s3_put("pub/mid.bin", &pattern(MIB + MIB / 2, 0), None);
        q.splice_chunk.set(65_521);
    }
    let path = "/acct/pub/mid.bin";
    for pass in 0..2 {
        for range in ["bytes=1048586-1048600", "bytes=-20", "bytes=0-5", "bytes=1500000-"] {
            let h = [("range", range)];
            let (want, want_body) = run(&plain, &u, request("GET", path, &h));
            let (got, got_body) = run(&p, &c, request("GET", path, &h));
            assert_eq!(got.status, want.status, "{pass} {range}");
            assert_eq!(comparable(&got), comparable(&want), "{pass} {range}");
            assert!(got_body == want_body, "{pass} {range}");
        }
    }
    assert_eq!(
        backend_requests(&p)[..2],
        [
            ("GET".to_string(), Some("bytes=1048576-2097151".to_string())),
            ("GET".to_string(), Some("bytes=0-1572863".to_string())),
        ]
    );
    assert_eq!(backend_requests(&p).len(), 2, "then all from the whole entry");
}

#[test]
fn a_cold_suffix_stores_the_blocks_it_holds_whole() {
    let p = platform();
    let c = cached();
    let big = pattern(5 * MIB + 12_345, 0);
    // Bytes 2255225.. : blocks 3, 4 and 5 (the short last one) arrive whole.
    let (r, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=-3000000")]));
    assert_eq!(r.status, 206);
    assert!(b == big[big.len() - 3_000_000..]);
    assert_eq!(
        backend_requests(&p),
        [("GET".to_string(), Some("bytes=-3000000".to_string()))]
    );
    let (_, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=3145728-")]));
    assert!(b == big[3_145_728..]);
    assert_eq!(backend_requests(&p).len(), 1, "blocks 3..=5 were stored");
    // Block 2 was cut off: fetched now, alone.
    run(&p, &c, request("GET", BIG, &[("range", "bytes=2255225-2255300")]));
    assert_eq!(
        backend_requests(&p)[1..],
        [("GET".to_string(), Some("bytes=2097152-3145727".to_string()))]
    );
}

#[test]
fn past_the_ttl_an_unchanged_object_is_revalidated_with_a_head_and_its_blocks_reused() {
    let p = platform();
    let c = cached();
    let big = pattern(5 * MIB + 12_345, 0);
    run(&p, &c, request("GET", BIG, &[("range", "bytes=0-2097151")]));
    let n = backend_requests(&p).len();
    p.clock_ms.set(crate::platform::Platform::now_ms(&p) + 301_000);
    let (r, b) = run(&p, &c, request("GET", BIG, &[("range", "bytes=100-2000000")]));
    assert_eq!(r.status, 206);
    assert!(b == big[100..=2_000_000]);
    assert_eq!(
        backend_requests(&p)[n..],
        [("HEAD".to_string(), None)],
        "one HEAD, no bytes: the blocks of the same ETag are still cached"
    );
    // Fresh again: no backend request.
    run(&p, &c, request("GET", BIG, &[("range", "bytes=0-10")]));
    assert_eq!(backend_requests(&p).len(), n + 1);
}

#[test]
fn a_cold_range_too_long_for_the_cache_is_sent_as_asked() {
    let p = FakePlatform::default();
    p.s3_put("pub/huge.bin", &pattern(17 * MIB + 1, 0), None);
    let range = format!("bytes=5-{}", 17 * MIB - 3);
    let (r, b) = run(
        &p,
        &cached(),
        request("GET", "/acct/pub/huge.bin", &[("range", &range)]),
    );
    assert_eq!((r.status, b.len()), (206, 17 * MIB - 7));
    assert_eq!(backend_requests(&p), [("GET".to_string(), Some(range))]);
    assert!(p.blobs.borrow().is_empty());
    let line = last_log(&p);
    assert!(line.contains("\"cache\":\"bypass\""), "{line}");
}

#[test]
fn a_cold_range_of_an_object_that_may_not_be_cached_stores_nothing() {
    let p = platform();
    let c = cached();
    // The widened fetch brings the whole object; only the range goes out, nothing is stored.
    let (r, b) = run(
        &p,
        &c,
        request("GET", "/acct/pub/private.bin", &[("range", "bytes=10-20")]),
    );
    assert_eq!(r.status, 206);
    assert_eq!(b, pattern(100, 0)[10..=20]);
    assert!(p.blobs.borrow().is_empty());
    assert!(last_log(&p).contains("\"cache\":\"bypass\""));
}

//! What reaches a backend: keys and listing bounds within what a backend
//! accepts (1024 bytes), and object reads that ask for the stored bytes.

use super::{Backend, ReadOpts, MAX_BACKEND_KEY_BYTES};
use crate::error::ProxyError;
use crate::http::{Request, Response};
use crate::platform::ListRequest;
use crate::platform::Platform;
use crate::state::Isolate;
use crate::testing::{self, block_on, session_credentials, signed_request, FakePlatform};

fn r2() -> Backend {
    Backend::R2 { binding: "DATA".into() }
}

/// `n` bytes of 1-, 2-, 3- and 4-byte characters (S3 limits bytes, not characters).
fn key_of(prefix: &str, n: usize) -> String {
    let mut key = prefix.to_string();
    for c in ['é', '日', '😀'].iter().cycle() {
        if key.len() + c.len_utf8() > n {
            break;
        }
        key.push(*c);
    }
    while key.len() < n {
        key.push('k');
    }
    key
}

/// A catalog with an R2 product whose prefix is longer than `{product}/`, and
/// an S3 one, so a key the client may send can be too long for the backend.
fn cfg() -> Isolate {
    let catalog = r#"{"backends":{"r2":{"type":"r2","binding":"DATA"},
        "m":{"type":"s3","endpoint":"http://127.0.0.1:9","bucket":"bkt"}},
        "accounts":{"wire":{"products":{
          "r2":{"visibility":"public","backend":"r2","prefix":"demo/wire-data/"},
          "s3":{"visibility":"public","backend":"m","prefix":"base/wire-data/"}}}}}"#;
    Isolate::from_env(&|n| match n {
        "STATIC_CATALOG" => Some(catalog.to_string()),
        // Overrides (`response-*`) need a signed request.
        "SESSION_TOKEN_KEY" => Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string()),
        _ => None,
    })
}

fn run_bytes(p: &FakePlatform, req: Request) -> (Response<Vec<u8>>, Vec<u8>) {
    testing::run(p, &cfg(), req)
}

fn run(p: &FakePlatform, req: Request) -> (Response<Vec<u8>>, String) {
    testing::run_text(p, &cfg(), req)
}

fn encoded(key: &str) -> String {
    percent_encoding::utf8_percent_encode(key, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[test]
fn a_key_too_long_for_the_backend_is_a_missing_key_and_costs_no_call() {
    let p = FakePlatform::default();
    let long = key_of("demo/", MAX_BACKEND_KEY_BYTES + 1);
    for head in [false, true] {
        let opts = ReadOpts {
            head,
            ..Default::default()
        };
        let got = block_on(r2().read(&p, &long, &opts));
        assert!(matches!(got, Err(ProxyError::NoSuchKey)), "head={head}");
    }
    assert_eq!(p.backend_calls.get(), 0);
}

#[test]
fn client_keys_within_the_limit_never_get_key_too_long() {
    let p = FakePlatform::default();
    // 1024 bytes as the client sees them (`r2/` + 1021), 1036 in the backend:
    // such an object cannot exist, so S3's answer is NoSuchKey.
    for product in ["r2", "s3"] {
        for n in [1010, 1021] {
            let key = key_of("", n);
            let path = format!("/wire/{product}/{}", encoded(&key));
            for method in ["GET", "HEAD"] {
                let (r, body) = run(&p, Request::new(method, &path, ""));
                assert_eq!(r.status, 404, "{product} {n} {method}: {body}");
                if method == "GET" {
                    assert!(body.contains("<Code>NoSuchKey</Code>"), "{body}");
                }
            }
        }
        // 1025 bytes as the client sees them: S3 refuses the key itself.
        let path = format!("/wire/{product}/{}", encoded(&key_of("", 1022)));
        let (r, body) = run(&p, Request::new("GET", &path, ""));
        assert_eq!(r.status, 400, "{body}");
        assert!(body.contains("<Code>KeyTooLongError</Code>"), "{body}");
    }
    assert_eq!(p.backend_calls.get(), 0);
}

#[test]
fn a_key_at_the_backend_limit_is_read() {
    let p = FakePlatform::default();
    let key = key_of("", MAX_BACKEND_KEY_BYTES - "demo/wire-data/".len());
    p.put("DATA", &format!("demo/wire-data/{key}"), b"at the limit");
    let (r, body) = run(&p, Request::new("GET", &format!("/wire/r2/{}", encoded(&key)), ""));
    assert_eq!((r.status, body.as_str()), (200, "at the limit"));
}

#[test]
fn a_prefix_too_long_for_the_backend_lists_nothing_without_a_call() {
    let p = FakePlatform::default();
    let req = ListRequest {
        prefix: key_of("demo/", MAX_BACKEND_KEY_BYTES + 1),
        limit: 1000,
        ..Default::default()
    };
    let page = block_on(r2().list(&p, &req)).unwrap();
    assert!(page.objects.is_empty() && page.common_prefixes.is_empty() && !page.truncated);
    assert_eq!(p.backend_calls.get(), 0);
    // Through the pipeline, on both kinds of backend: an empty listing, never 5xx.
    for product in ["r2", "s3"] {
        let prefix = encoded(&key_of(&format!("{product}/"), 1024));
        let (r, body) = run(
            &p,
            Request::new("GET", "/wire", &format!("list-type=2&prefix={prefix}")),
        );
        assert_eq!(r.status, 200, "{body}");
        assert!(body.contains("<KeyCount>0</KeyCount>"), "{body}");
    }
    assert_eq!(p.backend_calls.get(), 0);
}

/// Every key of at most 1024 bytes sorts after a longer `after` exactly when
/// it sorts after the bound the backend is given instead.
#[test]
fn a_start_after_too_long_for_the_backend_becomes_an_equivalent_bound() {
    let chars = [
        '\0',
        'a',
        '\u{7f}',
        '\u{80}',
        'é',
        '\u{7ff}',
        '\u{800}',
        '日',
        '\u{ffff}',
        '😀',
        '\u{10ffff}',
    ];
    for tail in ['a', 'é', '日', '😀'] {
        for cut in 1020..=1024 {
            let after = format!("{}{tail}{}", key_of("", cut), "z".repeat(10));
            let bound = super::backend_bound(&after);
            assert!(bound.len() <= MAX_BACKEND_KEY_BYTES && bound < after, "{cut} {tail}");
            // Keys sharing a long head with `after` and leaving it anywhere near the limit.
            for head in (1010..=MAX_BACKEND_KEY_BYTES).filter(|&i| after.is_char_boundary(i)) {
                let head = &after[..head];
                for c in chars {
                    for extra in ["", "a", "\u{7f}", "\u{7ff}", "\u{ffff}"] {
                        let k = format!("{head}{c}{extra}");
                        if k.len() <= MAX_BACKEND_KEY_BYTES {
                            assert_eq!(k > after, k > bound, "{cut} {tail} {c:?} {extra:?}");
                        }
                    }
                }
                assert_eq!(head > after.as_str(), head > bound.as_str());
            }
        }
    }
    // Short enough already: unchanged.
    assert_eq!(super::backend_bound("a/b"), "a/b");
}

#[test]
fn listing_after_a_long_start_after_asks_the_backend_a_bound_it_accepts() {
    let p = FakePlatform::default();
    // The client's start-after is 1024 bytes (`s3/` + 1021), 1036 in the backend.
    let stem = key_of("", 1000);
    let after = format!("s3/{stem}é{}", "k".repeat(1024 - 3 - stem.len() - 2));
    assert_eq!(after.len(), 1024);
    let keys: String = ["\u{7ff}", "😀"]
        .iter()
        .map(|k| {
            format!(
                "<Contents><Key>base/wire-data/{}</Key><Size>1</Size></Contents>",
                encoded(&format!("{stem}{k}"))
            )
        })
        .collect();
    let xml = format!(
        "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>{keys}</ListBucketResult>"
    );
    p.script("http://127.0.0.1:9/bkt?", 200, &[], xml.as_bytes());
    let q = format!("list-type=2&start-after={}", encoded(&after));
    let (r, body) = run(&p, Request::new("GET", "/wire", &q));
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(body.matches("<Key>").count(), 2, "{body}");
    let url = p.fetched.borrow()[0].url.clone();
    let sent = url.split('&').find_map(|kv| kv.strip_prefix("start-after=")).unwrap();
    let sent = crate::http::percent_decode(sent).unwrap();
    assert!(sent.len() <= MAX_BACKEND_KEY_BYTES, "{} bytes", sent.len());
    assert!(sent.starts_with("base/wire-data/") && sent < format!("base/wire-data/{}", &after[3..]));
}

fn s3_answer(p: &FakePlatform, key: &str, headers: &[(&str, &str)], body: &[u8]) {
    p.script(
        &format!("http://127.0.0.1:9/bkt/base/wire-data/{key}"),
        200,
        headers,
        body,
    );
}

#[test]
fn object_reads_ask_for_the_stored_bytes_without_signing_that() {
    let p = FakePlatform::default();
    s3_answer(
        &p,
        "t.json.gz",
        &[("content-length", "3"), ("content-encoding", "gzip")],
        b"\x1f\x8b\x08",
    );
    let (r, body) = run_bytes(
        &p,
        Request::new("GET", "/wire/s3/t.json.gz", "").with_header("accept-encoding", "br"),
    );
    assert_eq!((r.status, body.as_slice()), (200, &b"\x1f\x8b\x08"[..]));
    assert_eq!(r.headers.get("content-encoding"), Some("gzip"));
    assert_eq!(r.headers.get("content-length"), Some("3"));
    let sent = p.fetched.borrow()[0].clone();
    let header = |n: &str| sent.headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    // Identity: a backend must not compress on the way (the runtime then hands
    // over whatever encoding the object is stored with, untouched).
    assert_eq!(header("accept-encoding").as_deref(), Some("identity"));
    // Unsigned: some S3-compatible services rewrite it, which would break the signature.
    if let Some(auth) = header("authorization") {
        assert!(!auth.contains("accept-encoding"), "{auth}");
    }
}

#[test]
fn object_answers_forbid_transforms_on_the_way_out() {
    let p = FakePlatform::default();
    p.put("DATA", "demo/wire-data/plain.txt", b"plain text");
    s3_answer(
        &p,
        "plain.txt",
        &[("content-length", "10"), ("cache-control", "public, max-age=60")],
        b"plain text",
    );
    let cases = [
        ("/wire/r2/plain.txt", "", "no-transform"),
        ("/wire/s3/plain.txt", "", "public, max-age=60, no-transform"),
        // Overrides are for signed requests only, whose answers are never
        // shared: whatever the override, `no-transform` stays.
        (
            "/wire/r2/plain.txt",
            "response-cache-control=max-age%3D5",
            "private, no-store, no-transform",
        ),
        (
            "/wire/r2/plain.txt",
            "response-cache-control=public",
            "private, no-store, no-transform",
        ),
    ];
    let now = p.now_ms();
    let alice = session_credentials(
        &cfg().config,
        "http://127.0.0.1:8788",
        "alice",
        &["*"],
        now / 1000 + 3600,
    );
    for (path, query, want) in cases {
        for method in ["GET", "HEAD"] {
            let req = match query {
                "" => Request::new(method, path, query),
                _ => signed_request(method, "127.0.0.1:8787", path, query, &alice, now),
            };
            let (r, _) = run(&p, req.with_header("accept-encoding", "gzip"));
            assert_eq!(r.status, 200, "{method} {path}");
            assert_eq!(r.headers.get("cache-control"), Some(want), "{method} {path} {query}");
            assert_eq!(r.headers.get("content-length"), Some("10"));
        }
    }
    let (r, _) = run(
        &p,
        Request::new("GET", "/wire/r2/plain.txt", "").with_header("range", "bytes=0-4"),
    );
    assert_eq!((r.status, r.headers.get("cache-control")), (206, Some("no-transform")));
    let etag = r.headers.get("etag").unwrap().to_string();
    let (r, _) = run(
        &p,
        Request::new("GET", "/wire/r2/plain.txt", "").with_header("if-none-match", &etag),
    );
    assert_eq!((r.status, r.headers.get("cache-control")), (304, Some("no-transform")));
    // Errors are not objects: left alone.
    let (r, _) = run(&p, Request::new("GET", "/wire/r2/missing.txt", ""));
    assert_eq!((r.status, r.headers.get("cache-control")), (404, None));
}

#[test]
fn a_key_with_dot_segments_is_no_such_key_and_never_reaches_an_s3_backend() {
    // fetch() would resolve `.`/`..` (even as %2e) into another path, outside the
    // product's prefix; S3 holds such keys literally, so for this backend they
    // cannot be read: missing, like any key the proxy cannot reach.
    let p = FakePlatform::default();
    for key in [
        "..%2F..%2Fbase%2Frestricted-data%2Fsecret.csv",
        "%2e%2e%2f%2e%2e%2fbase%2frestricted-data%2fsecret.csv",
        "a/..%2F..%2F..%2Fother-bucket%2Fsecret.csv",
        ".%2F..%2Fx",
        "..",
        ".",
        "a/./b",
        "a/..",
    ] {
        for method in ["GET", "HEAD"] {
            let (r, body) = run(&p, Request::new(method, &format!("/wire/s3/{key}"), ""));
            assert_eq!(r.status, 404, "{method} {key}");
            if method == "GET" {
                assert!(body.contains("<Code>NoSuchKey</Code>"), "{key}: {body}");
            }
        }
    }
    assert!(p.fetched.borrow().is_empty(), "{:?}", p.fetched.borrow());
    // Dots that are no segment of their own are ordinary characters.
    p.script("http://127.0.0.1:9/bkt/base/wire-data/", 404, &[], b"");
    for key in ["..a", "a..", "...", "a/.../b", ".hidden"] {
        let (r, _) = run(&p, Request::new("GET", &format!("/wire/s3/{key}"), ""));
        assert_eq!(r.status, 404, "{key}");
    }
    assert_eq!(p.fetched.borrow().len(), 5, "each one asked for");
}

#[test]
fn a_range_inside_an_r2_object_is_one_call_and_any_other_range_is_decided_on_its_size() {
    let p = FakePlatform::default();
    p.put("DATA", "demo/wire-data/ten.txt", b"0123456789");
    let read = |range: &str| {
        p.r2_calls.borrow_mut().clear();
        let (r, body) = run(
            &p,
            Request::new("GET", "/wire/r2/ten.txt", "").with_header("range", range),
        );
        let calls = p.r2_calls.borrow().clone();
        (
            r.status,
            r.headers.get("content-range").map(str::to_string),
            body,
            calls,
        )
    };
    let cr = |s: &str| Some(s.to_string());
    // Inside the object: one get, the exact bytes.
    assert_eq!(read("bytes=2-5"), (206, cr("bytes 2-5/10"), "2345".into(), vec!["get"]));
    assert_eq!(read("bytes=9-9"), (206, cr("bytes 9-9/10"), "9".into(), vec!["get"]));
    // Past the end: S3 clamps, R2 refuses; so the size decides, as before.
    assert_eq!(
        read("bytes=8-20"),
        (206, cr("bytes 8-9/10"), "89".into(), vec!["get", "head", "get"])
    );
    let (status, _, body, calls) = read("bytes=10-20");
    assert_eq!((status, calls), (416, vec!["get", "head"]), "{body}");
    // Beyond a JavaScript number: never passed to R2 unresolved.
    let (status, _, _, calls) = read("bytes=0-18446744073709551615");
    assert_eq!((status, calls), (206, vec!["head", "get"]));
    // Suffix and open ranges: the size first.
    assert_eq!(
        read("bytes=-3"),
        (206, cr("bytes 7-9/10"), "789".into(), vec!["head", "get"])
    );
    assert_eq!(
        read("bytes=7-"),
        (206, cr("bytes 7-9/10"), "789".into(), vec!["head", "get"])
    );
}

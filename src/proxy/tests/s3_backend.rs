//! Reads and listings from an S3-compatible backend: signed, filtered,
//! bounded, and its faults answered without detail.

use super::pipeline::between;
use crate::error::ProxyError;
use crate::http::{Body, Request};
use crate::proxy::handle;
use crate::state::Isolate;
use crate::testing::{block_on, FakePlatform};

fn mirror_cfg() -> Isolate {
    let catalog = r#"{"backends":{"m":{"type":"s3","endpoint":"http://127.0.0.1:9","bucket":"bkt",
        "access_key_id_var":"K","secret_access_key_var":"S"}},
        "accounts":{"mirror":{"products":{"signed":{"visibility":"public","backend":"m","prefix":"base/"}}}}}"#;
    Isolate::from_env(&|n| match n {
        "STATIC_CATALOG" => Some(catalog.to_string()),
        "K" => Some("AKIDEXAMPLE".to_string()),
        "S" => Some("backend-secret".to_string()),
        _ => None,
    })
}

#[test]
fn s3_backend_reads_are_signed_and_filtered() {
    let p = FakePlatform::default();
    p.script(
        "http://127.0.0.1:9/bkt/base/a%20b.txt",
        206,
        &[
            ("content-range", "bytes 0-1/5"),
            ("content-length", "2"),
            ("etag", "\"e\""),
            ("x-amz-id-2", "internal"),
            ("server", "moto"),
            ("x-amz-server-side-encryption", "AES256"),
            ("x-amz-meta-color", "red"),
        ],
        b"ab",
    );
    let req = Request::new("GET", "/mirror/signed/a%20b.txt", "").with_header("Range", "bytes=0-1");
    let mut r = block_on(handle(&p, &mirror_cfg(), req));
    assert_eq!(r.status, 206);
    assert_eq!(r.headers.get("content-range"), Some("bytes 0-1/5"));
    assert_eq!(r.headers.get("x-amz-meta-color"), Some("red"));
    for dropped in ["x-amz-id-2", "server", "x-amz-server-side-encryption"] {
        assert_eq!(r.headers.get(dropped), None, "{dropped}");
    }
    assert!(matches!(std::mem::replace(&mut r.body, Body::Empty), Body::Stream(b) if b == b"ab"));
    let sent = p.fetched.borrow();
    let auth = sent[0]
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.clone())
        .unwrap();
    assert!(
        auth.contains("Credential=AKIDEXAMPLE/") && auth.contains("range"),
        "{auth}"
    );
}

#[test]
fn s3_backend_failures_are_5xx_without_detail() {
    let p = FakePlatform::default();
    p.script(
        "http://127.0.0.1:9/bkt/base/x",
        403,
        &[],
        b"<Error><Code>SignatureDoesNotMatch</Code></Error>",
    );
    p.script("http://127.0.0.1:9/bkt/base/y", 404, &[], b"");
    p.script(
        "http://127.0.0.1:9/bkt/base/big",
        416,
        &[("content-range", "bytes */9")],
        b"",
    );
    let cfg = mirror_cfg();
    let mut r = block_on(handle(&p, &cfg, Request::new("GET", "/mirror/signed/x", "")));
    assert_eq!(r.status, 502);
    let Body::Bytes(b) = std::mem::replace(&mut r.body, Body::Empty) else {
        panic!("xml body expected")
    };
    let body = String::from_utf8(b).unwrap();
    assert!(
        !body.contains("127.0.0.1") && !body.contains("bkt") && !body.contains("Signature"),
        "{body}"
    );
    assert!(
        p.logs.borrow().iter().any(|l| l.contains("SignatureDoesNotMatch")),
        "the cause is logged"
    );
    assert_eq!(
        block_on(handle(&p, &cfg, Request::new("GET", "/mirror/signed/y", ""))).status,
        404
    );
    let r = block_on(handle(
        &p,
        &cfg,
        Request::new("GET", "/mirror/signed/big", "").with_header("Range", "bytes=20-"),
    ));
    assert_eq!((r.status, r.headers.get("content-range")), (416, Some("bytes */9")));
}

#[test]
fn s3_backend_listing_strips_the_backend_prefix() {
    let p = FakePlatform::default();
    let xml = r#"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
        <Contents><Key>base/a%20b.txt</Key><Size>5</Size><ETag>"e"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>
        <Contents><Key>elsewhere/leak.txt</Key><Size>1</Size></Contents>
        <CommonPrefixes><Prefix>base/dir/</Prefix></CommonPrefixes></ListBucketResult>"#;
    p.script("http://127.0.0.1:9/bkt?", 200, &[], xml.as_bytes());
    let (r, body) = {
        let mut r = block_on(handle(
            &p,
            &mirror_cfg(),
            Request::new("GET", "/mirror", "list-type=2&prefix=signed%2F&delimiter=%2F"),
        ));
        let Body::Bytes(b) = std::mem::replace(&mut r.body, Body::Empty) else {
            panic!("xml body expected")
        };
        (r, String::from_utf8(b).unwrap())
    };
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(between(&body, "<Key>", "</Key>"), vec!["signed/a b.txt"]);
    assert!(
        body.contains("<Prefix>signed/dir/</Prefix>") && !body.contains("base/") && !body.contains("leak"),
        "{body}"
    );
    let url = p.fetched.borrow()[0].url.clone();
    assert!(url.contains("prefix=base%2F") && url.contains("delimiter=%2F"), "{url}");
}

#[test]
fn s3_backend_documents_are_bounded_in_time_and_size() {
    let list = || Request::new("GET", "/mirror/signed", "list-type=2");
    let p = FakePlatform::default();
    p.script("http://127.0.0.1:9/bkt?", 200, &[], b"<ListBucketResult/>");
    p.script(
        "http://127.0.0.1:9/bkt/base/x",
        500,
        &[],
        b"<Error><Code>InternalError</Code></Error>",
    );
    p.bodies_stall.set(true);
    // A listing whose body never ends: the backend is unavailable.
    let r = block_on(handle(&p, &mirror_cfg(), list()));
    assert_eq!((r.status, r.headers.get("retry-after")), (503, Some("5")));
    // An error document that never ends: its status still decides, without waiting.
    let r = block_on(handle(&p, &mirror_cfg(), Request::new("GET", "/mirror/signed/x", "")));
    assert_eq!(r.status, 503);
    let reads = p.body_reads.borrow().clone();
    assert_eq!(reads.len(), 2);
    assert!(reads.iter().all(|&(_, t)| (1..=20_000).contains(&t)), "{reads:?}");
    // A listing larger than any real page is an answer the proxy cannot use.
    let p = FakePlatform::default();
    p.script("http://127.0.0.1:9/bkt?", 200, &[], &vec![b' '; (4 << 20) + 1]);
    assert_eq!(block_on(handle(&p, &mirror_cfg(), list())).status, 502);
}

#[test]
fn s3_backend_faults_name_the_backend_in_the_log() {
    let failed = |p: &FakePlatform| -> Vec<String> {
        p.logs
            .borrow()
            .iter()
            .filter(|l| l.contains("request failed"))
            .cloned()
            .collect()
    };
    let p = FakePlatform::default();
    *p.fetch_error.borrow_mut() = Some(ProxyError::Unavailable("fetch GET: Network connection lost.".into()));
    for (path, query) in [("/mirror/signed/x", ""), ("/mirror/signed", "list-type=2")] {
        assert_eq!(
            block_on(handle(&p, &mirror_cfg(), Request::new("GET", path, query))).status,
            503
        );
    }
    let p2 = FakePlatform::default();
    p2.script("http://127.0.0.1:9/bkt/base/x", 200, &[], b"no length");
    p2.script("http://127.0.0.1:9/bkt?", 200, &[], b"\xff\xfe not a listing");
    for (path, query) in [("/mirror/signed/x", ""), ("/mirror/signed", "list-type=2")] {
        assert_eq!(
            block_on(handle(&p2, &mirror_cfg(), Request::new("GET", path, query))).status,
            502
        );
    }
    let lines = [failed(&p), failed(&p2)].concat();
    assert_eq!(lines.len(), 4);
    for l in lines {
        assert!(l.contains("http://127.0.0.1:9") && l.contains("bucket bkt"), "{l}");
    }
}

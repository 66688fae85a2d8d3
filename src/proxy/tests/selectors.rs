//! `versionId` and `partNumber` on object reads, as S3 answers them for an
//! object that has one version and one part (the proxy serves no others).

use crate::http::{Request, Response};
use crate::state::Isolate;
use crate::testing::{run_text, FakePlatform};

const BODY: &[u8] = b"name,country\nParis,FR\n";

fn sample() -> FakePlatform {
    let p = FakePlatform::default();
    p.put("DATA", "demo/public-data/cities.csv", BODY);
    p.put("DATA", "demo/restricted-data/secret.csv", b"secret");
    p
}

fn run(p: &FakePlatform, req: Request) -> (Response<Vec<u8>>, String) {
    run_text(p, &Isolate::from_env(&|_| None), req)
}

fn code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
}

const OBJECT: &str = "/demo/public-data/cities.csv";

#[test]
fn the_null_version_is_the_object() {
    let p = sample();
    let (r, body) = run(&p, Request::new("GET", OBJECT, "versionId=null"));
    assert_eq!((r.status, body.as_bytes()), (200, BODY));
}

#[test]
fn any_other_version_does_not_exist_and_the_backend_is_not_asked() {
    let p = sample();
    for method in ["GET", "HEAD"] {
        let (r, body) = run(
            &p,
            Request::new(method, OBJECT, "versionId=3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY"),
        );
        assert_eq!(r.status, 404, "{method}");
        if method == "GET" {
            assert_eq!(code(&body), "NoSuchVersion");
        }
    }
    let (r, body) = run(&p, Request::new("GET", OBJECT, "versionId="));
    assert_eq!((r.status, code(&body)), (400, "InvalidArgument"));
    assert_eq!(p.backend_calls.get(), 0);
}

#[test]
fn a_version_of_a_product_the_caller_may_not_read_is_a_missing_bucket() {
    let p = sample();
    let (r, body) = run(
        &p,
        Request::new("GET", "/demo/restricted-data/secret.csv", "versionId=abc"),
    );
    assert_eq!((r.status, code(&body)), (404, "NoSuchBucket"));
}

#[test]
fn part_one_is_the_whole_object_as_a_range() {
    let p = sample();
    for method in ["GET", "HEAD"] {
        let (r, body) = run(&p, Request::new(method, OBJECT, "partNumber=1"));
        assert_eq!(r.status, 206, "{method}");
        assert_eq!(r.headers.get("content-range"), Some("bytes 0-21/22"));
        assert_eq!(r.headers.get("content-length"), Some("22"));
        if method == "GET" {
            assert_eq!(body.as_bytes(), BODY);
        }
    }
}

#[test]
fn later_parts_are_not_satisfiable_and_missing_keys_stay_missing() {
    let p = sample();
    let (r, body) = run(&p, Request::new("GET", OBJECT, "partNumber=2"));
    assert_eq!((r.status, code(&body)), (416, "InvalidPartNumber"));
    let (r, body) = run(&p, Request::new("GET", "/demo/public-data/nope.csv", "partNumber=2"));
    assert_eq!((r.status, code(&body)), (404, "NoSuchKey"));
}

#[test]
fn bad_part_numbers_and_a_range_with_a_part_are_refused_before_the_backend() {
    let p = sample();
    for q in [
        "partNumber=0",
        "partNumber=10001",
        "partNumber=x",
        "partNumber=",
        "partNumber=-1",
    ] {
        let (r, body) = run(&p, Request::new("GET", OBJECT, q));
        assert_eq!((r.status, code(&body)), (400, "InvalidArgument"), "{q}");
    }
    let (r, body) = run(
        &p,
        Request::new("GET", OBJECT, "partNumber=1").with_header("Range", "bytes=0-1"),
    );
    assert_eq!((r.status, code(&body)), (400, "InvalidRequest"));
    assert_eq!(p.backend_calls.get(), 0);
}

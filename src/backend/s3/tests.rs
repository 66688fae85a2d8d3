use super::*;
use crate::secret::Secret;

fn backend(creds: bool) -> S3Backend {
    S3Backend {
        endpoint: "http://127.0.0.1:9000".into(),
        bucket: "bkt".into(),
        region: "us-east-1".into(),
        credentials: creds.then(|| Credentials {
            access_key_id: "AKID".into(),
            secret_access_key: Secret::from("s3cr3t".to_string()),
            session_token: None,
        }),
        web_identity: None,
    }
}

#[test]
fn anonymous_requests_are_unsigned_and_encoded() {
    let b = backend(false);
    let r = b.request(0, "GET", &b.object_path("base/a b+c&d#e?.txt").unwrap(), &[], vec![]);
    assert_eq!(r.url, "http://127.0.0.1:9000/bkt/base/a%20b%2Bc%26d%23e%3F.txt");
    assert!(r.headers.iter().all(|(n, _)| n != "authorization"));
}

#[test]
fn dot_segments_never_reach_a_url() {
    // fetch() would collapse them (even as %2e) and escape the product prefix.
    for key in ["base/../restricted/x", "base/./x", "base/a/..", ".."] {
        assert_eq!(backend(false).object_path(key), Err(ProxyError::NoSuchKey), "{key}");
    }
    assert!(backend(false).object_path("base/..a/b.c/...").is_ok());
}

#[test]
fn keyed_requests_are_signed() {
    let b = backend(true);
    let q = vec![("prefix".to_string(), "a b/".to_string())];
    let r = b.request(
        1_700_000_000_000,
        "GET",
        "/bkt",
        &q,
        vec![("range".into(), "bytes=0-1".into())],
    );
    assert_eq!(r.url, "http://127.0.0.1:9000/bkt?prefix=a%20b%2F");
    let auth = r
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.as_str())
        .unwrap();
    assert!(
        auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/s3/aws4_request"),
        "{auth}"
    );
    assert!(auth.contains("range"), "range must be signed: {auth}");
    assert!(!auth.contains("s3cr3t"));
}

#[test]
fn metadata_from_206() {
    let h: Headers = [
        ("Content-Range", "bytes 0-9/100"),
        ("Content-Length", "10"),
        ("ETag", "\"e\""),
        ("Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ("x-amz-meta-color", "blue"),
        ("x-amz-id-2", "internal"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    let (meta, range) = meta_from_headers(&h).unwrap();
    assert_eq!(meta.size, 100);
    assert_eq!(range.map(|r| (r.start, r.end)), Some((0, 9)));
    assert_eq!(meta.last_modified_ms, 784_111_777_000);
    assert_eq!(meta.user_metadata, vec![("color".to_string(), "blue".to_string())]);
}

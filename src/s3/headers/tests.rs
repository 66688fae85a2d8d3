use super::*;
use crate::error::ApiError;

fn meta() -> ObjectMeta {
    ObjectMeta {
        size: 100,
        etag: "\"e\"".into(),
        last_modified_ms: 784_111_777_000,
        content_type: Some("text/csv".into()),
        user_metadata: vec![("k".into(), "v".into())],
        ..Default::default()
    }
}

#[test]
fn full_and_ranged() {
    let mut h = Headers::new();
    object_headers(&mut h, &meta(), None);
    assert_eq!(h.get("content-length"), Some("100"));
    assert_eq!(h.get("content-range"), None);
    assert_eq!(h.get("last-modified"), Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    assert_eq!(h.get("x-amz-meta-k"), Some("v"));
    let mut h = Headers::new();
    object_headers(&mut h, &meta(), Some(ByteRange { start: 10, end: 19 }));
    assert_eq!(h.get("content-length"), Some("10"));
    assert_eq!(h.get("content-range"), Some("bytes 10-19/100"));
}

#[test]
fn overrides() {
    let mut h = Headers::new();
    object_headers(&mut h, &meta(), None);
    let q = Query::parse(
        "response-content-type=application%2Fjson&response-content-disposition=attachment%3B%20filename%3Dx",
    )
    .unwrap();
    apply_overrides(&mut h, &q, true).unwrap();
    let mut anonymous = Headers::new();
    assert_eq!(
        apply_overrides(&mut anonymous, &q, false).map_err(|e| e.code().as_str()),
        Err("InvalidRequest")
    );
    assert_eq!(anonymous.iter().count(), 0);
    assert_eq!(h.get("content-type"), Some("application/json"));
    assert_eq!(h.get("content-disposition"), Some("attachment; filename=x"));
    let bad = Query::parse("response-content-type=a%0D%0Aset-cookie%3A%20x").unwrap();
    assert!(apply_overrides(&mut h, &bad, true).is_err());
}

#[test]
fn metadata_no_header_can_carry_is_counted_not_sent() {
    // R2's custom metadata can hold what a header cannot (the runtime would
    // refuse the whole answer): left out and counted, as S3 does.
    let mut m = meta();
    m.user_metadata = vec![
        ("ok".into(), "plain value".into()),
        ("newline".into(), "a\nx-evil: 1".into()),
        ("cr".into(), "a\rb".into()),
        ("nul".into(), "a\0b".into()),
        ("bad key".into(), "v".into()),
        ("tab".into(), "a\tb".into()),
        ("wide".into(), "日本".into()),
    ];
    let mut h = Headers::new();
    object_headers(&mut h, &m, None);
    assert_eq!(h.get("x-amz-meta-ok"), Some("plain value"));
    assert_eq!(h.get("x-amz-meta-tab"), Some("a\tb"));
    // workerd sends other text as UTF-8, as it did before.
    assert_eq!(h.get("x-amz-meta-wide"), Some("日本"));
    for gone in ["newline", "cr", "nul"] {
        assert_eq!(h.get(&format!("x-amz-meta-{gone}")), None, "{gone}");
    }
    assert!(h.iter().all(|(n, _)| !n.contains(' ')));
    assert_eq!(h.get("x-amz-missing-meta"), Some("4"));
    // None missing: no such header.
    let mut h = Headers::new();
    object_headers(&mut h, &meta(), None);
    assert_eq!(h.get("x-amz-missing-meta"), None);
}

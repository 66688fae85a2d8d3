//! No log line grows with what a client or an upstream sends: free-text
//! fields (an upstream's error, a reason) are cut at `log::MAX_TEXT_BYTES`,
//! any other string (a path, a subject) at `log::MAX_FIELD_BYTES`, on a
//! character boundary and marked, so a line stays a few KiB whatever arrives.

use crate::http::Request;
use crate::proxy::handle;
use crate::state::Isolate;
use crate::testing::{block_on, FakePlatform};

/// The most a line written by these requests may take.
const LINE_MAX: usize = 4096;

fn mirror_cfg() -> Isolate {
    let catalog = r#"{"backends":{"m":{"type":"s3","endpoint":"http://127.0.0.1:9","bucket":"bkt",
        "access_key_id_var":"K","secret_access_key_var":"S"}},
        "accounts":{"mirror":{"products":{"signed":{"visibility":"public","backend":"m","prefix":"base/"}}}}}"#;
    Isolate::from_env(&|n| match n {
        "STATIC_CATALOG" => Some(catalog.to_string()),
        "K" => Some("AKIDEXAMPLE".to_string()),
        "S" => Some("backend-secret".to_string()),
        "SESSION_TOKEN_KEY" => Some("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".to_string()),
        _ => None,
    })
}

fn line_with(p: &FakePlatform, msg: &str) -> serde_json::Value {
    let logs = p.logs.borrow();
    let line = logs
        .iter()
        .find(|l| l.contains(&format!("\"msg\":\"{msg}\"")))
        .unwrap_or_else(|| panic!("no {msg:?} line in {logs:?}"));
    assert!(line.len() <= LINE_MAX, "{msg}: {} bytes", line.len());
    serde_json::from_str(line).unwrap()
}

#[test]
fn an_upstreams_error_text_is_cut_in_the_request_failed_line() {
    let p = FakePlatform::default();
    // A listing whose key is not the url-encoding it claims: the parser's
    // error quotes the key, here 20,000 bytes of it (ending in multi-byte characters).
    let key = format!("%zz{}{}", "a".repeat(19_000), "é".repeat(500));
    let listing = format!(
        "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>{key}</Key>\
         <Size>1</Size><ETag>\"e\"</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>\
         </ListBucketResult>"
    );
    p.script("http://127.0.0.1:9/bkt?", 200, &[], listing.as_bytes());
    let r = block_on(handle(
        &p,
        &mirror_cfg(),
        Request::new("GET", "/mirror/signed", "list-type=2"),
    ));
    assert_eq!(r.status, 502);
    let v = line_with(&p, "request failed");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(detail.len() < 600 && detail.contains("bytes]"), "{detail}");
    assert!(detail.starts_with("s3 backend"), "the head is kept: {detail}");
}

#[test]
fn a_clients_path_is_cut_in_the_audit_line() {
    let p = FakePlatform::default();
    // The longest key a request may name (1024 bytes), each byte percent-encoded.
    let path = format!("/mirror/signed/{}", "%6B".repeat(1000));
    let req = Request::new("GET", &path, "").with_header("Authorization", "AWS4-HMAC-SHA256 x");
    let r = block_on(handle(&p, &mirror_cfg(), req));
    assert_eq!(r.status, 400);
    let v = line_with(&p, "audit");
    let resource = v["resource"].as_str().unwrap_or_default();
    assert!(
        resource.starts_with("/mirror/signed/%6B") && resource.ends_with("[3015 bytes]"),
        "{resource}"
    );
    // The audit line is the request's one line: it has the request's fields.
    assert_eq!((v["method"].as_str(), v["status"].as_u64()), (Some("GET"), Some(400)));
    assert_eq!(p.logs.borrow().len(), 1, "{:?}", p.logs.borrow());
}

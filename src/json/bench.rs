//! The hand-written readers and writers against serde's derive on the same types (copies of
//! the derived definitions they replaced): the same bytes, and what a parse costs.
//! `cargo test --release --lib json::bench -- --ignored --nocapture` prints ns per parse.

use std::hint::black_box;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::objcache::policy::StoredMeta;
use crate::platform::ObjectMeta;
use crate::secret::Secret;
use crate::session::{SealedPolicy, Session};

/// `Session` as serde's derive wrote and read it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SerdeSession {
    k: String,
    s: String,
    i: String,
    u: String,
    r: String,
    c: Vec<String>,
    n: String,
    a: String,
    e: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    p: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    d: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    q: Option<SerdePolicy>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SerdePolicy {
    h: String,
    #[serde(default)]
    g: Vec<String>,
    #[serde(default)]
    l: Vec<String>,
}

impl From<&Session> for SerdeSession {
    fn from(s: &Session) -> Self {
        SerdeSession {
            k: s.access_key_id.clone(),
            s: s.secret_access_key.expose().to_string(),
            i: s.issuer.clone(),
            u: s.subject.clone(),
            r: s.role.clone(),
            c: s.ceiling.clone(),
            n: s.session_name.clone(),
            a: s.audience.clone(),
            e: s.expires_at,
            p: s.claims.clone(),
            d: s.session_id.clone(),
            q: s.policy.as_ref().map(|q| SerdePolicy {
                h: q.digest.clone(),
                g: q.read.clone(),
                l: q.list.clone(),
            }),
        }
    }
}

const TRICKY: &str = "q\"b\\s/\u{0}\u{1f}\n\té\u{7f}\u{2028}😀";

/// A session as an exchange through a role with passed claims and a session policy makes it.
fn session(tricky: bool) -> Session {
    let t = |s: &str| match tricky {
        true => format!("{s}{TRICKY}"),
        false => s.to_string(),
    };
    Session {
        access_key_id: "ASIAQ3EGUXOZ4JXJ2KQM".into(),
        secret_access_key: Secret::from(t("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: t("repo:octo-org/octo-repo:environment:prod"),
        role: "ci-reader".into(),
        ceiling: vec!["acme/*".into(), t("acme/raw/2024/*")],
        session_name: "gha-1234567890".into(),
        audience: "https://data.example".into(),
        expires_at: 1_795_321_320,
        claims: vec![
            ("repository".into(), t("octo-org/octo-repo")),
            ("environment".into(), "prod".into()),
        ],
        session_id: "Zk3xQ9v0bW1rT2yU".into(),
        policy: Some(SealedPolicy {
            digest: "0123456789abcdef".into(),
            read: vec!["acme/raw/2024/*".into(), "=acme/raw/x.csv".into()],
            list: vec![t("acme/raw/2024/*")],
        }),
    }
}

fn same(a: &Session, b: &Session) {
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(a.secret_access_key.expose(), b.secret_access_key.expose());
}

#[test]
fn sessions_are_written_and_read_as_serde_did() {
    let mut bare = session(false);
    bare.claims.clear();
    bare.session_id.clear();
    bare.policy = None;
    let mut empty_policy = session(true);
    if let Some(q) = &mut empty_policy.policy {
        q.read.clear();
        q.list.clear();
    }
    for s in [session(false), session(true), bare, empty_policy] {
        let ours = s.to_json();
        let serde = serde_json::to_vec(&SerdeSession::from(&s)).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&serde));
        same(&Session::from_json(&serde).unwrap(), &s);
        assert_eq!(
            serde_json::from_slice::<SerdeSession>(&ours).unwrap(),
            SerdeSession::from(&s)
        );
    }
}

/// `StoredMeta` as serde's derive wrote and read it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SerdeStoredMeta {
    expires_at_ms: i64,
    storable: bool,
    object: SerdeObjectMeta,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct SerdeObjectMeta {
    size: u64,
    etag: String,
    last_modified_ms: i64,
    content_type: Option<String>,
    cache_control: Option<String>,
    content_encoding: Option<String>,
    content_disposition: Option<String>,
    content_language: Option<String>,
    expires: Option<String>,
    user_metadata: Vec<(String, String)>,
}

impl From<&StoredMeta> for SerdeStoredMeta {
    fn from(s: &StoredMeta) -> Self {
        let m = &s.object;
        SerdeStoredMeta {
            expires_at_ms: s.expires_at_ms,
            storable: s.storable,
            object: SerdeObjectMeta {
                size: m.size,
                etag: m.etag.clone(),
                last_modified_ms: m.last_modified_ms,
                content_type: m.content_type.clone(),
                cache_control: m.cache_control.clone(),
                content_encoding: m.content_encoding.clone(),
                content_disposition: m.content_disposition.clone(),
                content_language: m.content_language.clone(),
                expires: m.expires.clone(),
                user_metadata: m.user_metadata.clone(),
            },
        }
    }
}

/// An S3 object's metadata as a Parquet file on a bucket typically has it.
fn meta(tricky: bool) -> StoredMeta {
    let object = ObjectMeta {
        size: 73_400_320,
        etag: "\"9b2cf535f27731c974343645a3985328-9\"".into(),
        last_modified_ms: 1_733_400_000_000,
        content_type: Some("application/vnd.apache.parquet".into()),
        cache_control: tricky.then(|| format!("max-age=60{TRICKY}")),
        content_encoding: None,
        content_disposition: tricky.then(|| "attachment; filename=\"a b.parquet\"".into()),
        content_language: None,
        expires: None,
        user_metadata: vec![("source".into(), "ingest-v2".into())],
    };
    StoredMeta::new(&object, 1_795_317_720_000)
}

#[test]
fn stored_meta_is_written_and_read_as_serde_did() {
    let mut negative = meta(false);
    negative.expires_at_ms = -1;
    negative.object.last_modified_ms = i64::MIN;
    negative.object.size = u64::MAX;
    negative.object.user_metadata.clear();
    for m in [meta(false), meta(true), negative] {
        let ours = m.encode();
        let serde = serde_json::to_vec(&SerdeStoredMeta::from(&m)).unwrap();
        assert_eq!(String::from_utf8_lossy(&ours), String::from_utf8_lossy(&serde));
        assert_eq!(StoredMeta::decode_any(&serde), Some(m));
    }
}

/// `ApiProduct` as serde's derive read it.
#[derive(Deserialize)]
#[allow(dead_code)] // read, never looked at
struct SerdeProduct {
    product_id: String,
    #[serde(default)]
    account_id: Option<String>,
    disabled: bool,
    visibility: SerdeVisibility,
    metadata: SerdeProductMetadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "lowercase")]
enum SerdeVisibility {
    Public,
    Unlisted,
    Restricted,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SerdeProductMetadata {
    #[serde(default)]
    mirrors: std::collections::BTreeMap<String, SerdeMirror>,
    #[serde(default)]
    primary_mirror: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SerdeMirror {
    connection_id: String,
    prefix: String,
}

/// A product answer as Source Cooperative's API gives it (with the fields the proxy ignores).
const PRODUCT: &str = r#"{"product_id":"restricted-data","account_id":"acme","title":"Restricted data",
    "description":"A product whose objects only granted principals may read, with a longer description.",
    "created_at":"2024-05-01T12:00:00Z","updated_at":"2024-11-30T08:15:00Z","visibility":"restricted",
    "disabled":false,"data_mode":"open","featured":0,
    "metadata":{"tags":["geo","parquet"],"primary_mirror":"aws-us-east-1",
    "mirrors":{"aws-us-east-1":{"connection_id":"acme-s3","prefix":"acme/restricted-data/",
    "storage_type":"s3","is_primary":true,"config":{"region":"us-east-1","bucket":"acme-data"}}}},
    "account":{"account_id":"acme","name":"ACME","type":"organization"}}"#;

/// Runs `f` for ~0.2 s after a warm-up; ns per call.
fn ns_per(mut f: impl FnMut()) -> f64 {
    for _ in 0..1000 {
        f();
    }
    let mut n = 0u32;
    let start = Instant::now();
    while start.elapsed().as_millis() < 200 {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    start.elapsed().as_secs_f64() * 1e9 / f64::from(n)
}

fn report(what: &str, ours: f64, serde: f64) {
    #[allow(clippy::print_stdout)] // the bench's output
    {
        println!(
            "{what:<24} hand-written {ours:>8.0} ns   serde derive {serde:>8.0} ns   ({:.2}x, {:+.0} ns)",
            ours / serde,
            ours - serde
        );
    }
}

#[test]
#[ignore = "micro-bench: cargo test --release --lib json::bench -- --ignored --nocapture"]
fn parse_cost() {
    let s = session(false);
    let bytes = s.to_json();
    let ours = ns_per(|| {
        black_box(Session::from_json(black_box(&bytes)).is_ok());
    });
    let serde = ns_per(|| {
        black_box(serde_json::from_slice::<SerdeSession>(black_box(&bytes)).is_ok());
    });
    report(&format!("session ({} B)", bytes.len()), ours, serde);
    let ours = ns_per(|| {
        black_box(s.to_json().len());
    });
    let serde = ns_per(|| {
        black_box(serde_json::to_vec(&SerdeSession::from(&s)).map(|v| v.len()).ok());
    });
    report("session write", ours, serde);

    let m = meta(false);
    let bytes = m.encode();
    let ours = ns_per(|| {
        black_box(StoredMeta::decode_any(black_box(&bytes)).is_some());
    });
    let serde = ns_per(|| {
        black_box(serde_json::from_slice::<SerdeStoredMeta>(black_box(&bytes)).is_ok());
    });
    report(&format!("objcache meta ({} B)", bytes.len()), ours, serde);
    let ours = ns_per(|| {
        black_box(m.encode().len());
    });
    let serde = ns_per(|| {
        black_box(serde_json::to_vec(&SerdeStoredMeta::from(&m)).map(|v| v.len()).ok());
    });
    report("objcache meta write", ours, serde);

    let bytes = PRODUCT.as_bytes();
    assert!(crate::catalog::http::model::parse_product(bytes).is_ok());
    assert!(serde_json::from_slice::<SerdeProduct>(bytes).is_ok());
    let ours = ns_per(|| {
        black_box(crate::catalog::http::model::parse_product(black_box(bytes)).is_ok());
    });
    let serde = ns_per(|| {
        black_box(serde_json::from_slice::<SerdeProduct>(black_box(bytes)).is_ok());
    });
    report(&format!("catalog product ({} B)", bytes.len()), ours, serde);
}

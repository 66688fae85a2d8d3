//! Whole requests through the HTTP catalog on the in-memory runtime. The fake
//! catalog verifies every bearer token against the proxy's own JWKS (as a
//! relying party would) and answers per `sub` from tests/fixtures/catalog.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;

use crate::http::Request;
use crate::oidc::provider::jwks_json;
use crate::oidc::{parse_jwks, verify_now as verify, Expectations};
use crate::platform::{OutboundRequest, Platform};
use crate::sigv4::Credentials;
use crate::state::Isolate;
use crate::testing::keys::RSA_PEM;
use crate::testing::{run_text, session_credentials, signed_request, FakePlatform};

const CATALOG: &str = "https://catalog.test";
const S3: &str = "https://s3.test";
const PROVIDER_ISS: &str = "https://proxy.test";
const IDP: &str = "https://idp.test";
const SESSION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn env_with(extra: &[(&str, &str)]) -> Isolate {
    let mut vars: Vec<(String, String)> = [
        ("CATALOG_URL", CATALOG),
        ("OIDC_PROVIDER_ISSUER", PROVIDER_ISS),
        ("OIDC_PROVIDER_KID", "k1"),
        ("OIDC_PROVIDER_KEY", RSA_PEM),
        ("SESSION_TOKEN_KEY", SESSION_KEY),
        (
            "CATALOG_CONNECTION_KEYS",
            r#"{"acme-s3": {"access_key_id": "AKIAPROXY", "secret_access_key": "proxy-secret"}}"#,
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        vars.retain(|(n, _)| n != k);
        if !v.is_empty() {
            vars.push((k.to_string(), v.to_string()));
        }
    }
    Isolate::from_env(&move |n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()))
}

/// What the fake catalog saw: the verified `sub` of each call (or the reason
/// a token failed) and the claims.
#[derive(Default)]
struct Seen {
    calls: Vec<(String, Verified)>,
}

/// The claims of a token that verified, or why it did not.
type Verified = Result<serde_json::Map<String, serde_json::Value>, String>;

fn fixture(rel: &str) -> Option<Vec<u8>> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/catalog")
            .join(rel),
    )
    .ok()
}

/// The catalog contract from the fixture files, answered per verified `sub`.
fn catalog_answer(req: &OutboundRequest, sub: &str) -> (u16, Vec<u8>) {
    let path = req.url.strip_prefix(CATALOG).unwrap_or("");
    let segs: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
    let special = |name: &str| match name {
        "error500" => Some((500, b"{}".to_vec())),
        "garbage" => Some((200, b"<html>not json".to_vec())),
        "denied401" => Some((401, b"{}".to_vec())),
        "denied403" => Some((403, b"{}".to_vec())),
        _ => None,
    };
    let may_read = |account: &str, product: &str| -> Option<bool> {
        let p: serde_json::Value =
            serde_json::from_slice(&fixture(&format!("products/{account}/{product}.json"))?).ok()?;
        if p["visibility"] != "restricted" {
            return Some(true);
        }
        let perms: serde_json::Value =
            serde_json::from_slice(&fixture(&format!("permissions/{account}/{product}.json"))?).ok()?;
        Some(perms[sub].as_array().is_some_and(|a| a.iter().any(|x| x == "read")))
    };
    match segs.as_slice() {
        ["products", account] => {
            if let Some(s) = special(account) {
                return s;
            }
            let Ok(dir) = std::fs::read_dir(
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/catalog/products")
                    .join(account),
            ) else {
                return (404, b"{}".to_vec());
            };
            let mut products = Vec::new();
            for e in dir.flatten() {
                let name = e.file_name().to_string_lossy().trim_end_matches(".json").to_string();
                if may_read(account, &name) == Some(true) {
                    products
                        .push(serde_json::from_slice::<serde_json::Value>(&std::fs::read(e.path()).unwrap()).unwrap());
                }
            }
            (
                200,
                serde_json::json!({ "products": products }).to_string().into_bytes(),
            )
        }
        ["products", account, product] => special(product).unwrap_or_else(|| match may_read(account, product) {
            Some(true) => (200, fixture(&format!("products/{account}/{product}.json")).unwrap()),
            _ => (404, b"{}".to_vec()),
        }),
        ["products", account, product, "permissions"] => match may_read(account, product) {
            Some(true) => (200, b"[\"read\"]".to_vec()),
            Some(false) => (200, b"[]".to_vec()),
            None => (404, b"{}".to_vec()),
        },
        ["data-connections", id] => match fixture(&format!("data-connections/{id}.json")) {
            Some(b) => (
                200,
                String::from_utf8(b)
                    .unwrap()
                    .replace("http://s3.placeholder.invalid", S3)
                    .into_bytes(),
            ),
            None => (404, b"{}".to_vec()),
        },
        _ => (404, b"{}".to_vec()),
    }
}

/// A platform whose catalog verifies tokens with the JWKS the proxy serves,
/// and whose S3 endpoint answers every object GET with `s3:<url>`.
fn platform(cfg: &Isolate) -> (FakePlatform, Rc<RefCell<Seen>>) {
    platform_at(cfg, 0)
}

/// As [`platform`], with the clock at `now_ms` (0: the fake's default).
fn platform_at(cfg: &Isolate, now_ms: i64) -> (FakePlatform, Rc<RefCell<Seen>>) {
    let p = FakePlatform::default();
    p.clock_ms.set(now_ms);
    let jwks = parse_jwks(&jwks_json(cfg.config.provider.as_ref().unwrap())).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let log = seen.clone();
    let now = p.now_ms() / 1000;
    *p.responder.borrow_mut() = Some(Box::new(move |req: &OutboundRequest| {
        if !req.url.starts_with(CATALOG) {
            return None;
        }
        let token = req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| v.strip_prefix("Bearer "));
        let audiences = [CATALOG.to_string()];
        let expect = Expectations {
            issuer: PROVIDER_ISS,
            audiences: &audiences,
            now,
            leeway: 0,
        };
        let verified = match token {
            None => Err("no bearer".to_string()),
            Some(t) => verify(t, &jwks, &expect).map_err(|e| e.to_string()),
        };
        let sub = verified.as_ref().map(|c| c.sub.clone()).unwrap_or_default();
        log.borrow_mut().calls.push((
            sub.clone(),
            verified.as_ref().map(|c| c.all.clone()).map_err(Clone::clone),
        ));
        Some(match verified {
            Ok(_) => catalog_answer(req, &sub),
            Err(_) => (401, b"{}".to_vec()),
        })
    }));
    p.script(
        S3,
        200,
        &[("content-type", "text/plain"), ("content-length", "0")],
        b"s3",
    );
    (p, seen)
}

fn session(cfg: &Isolate, subject: &str, ceiling: &[&str]) -> Credentials {
    session_credentials(&cfg.config, IDP, subject, ceiling, 1_763_781_720 + 3600)
}

fn request(path: &str, query: &str, creds: Option<&Credentials>, now_ms: i64) -> Request {
    match creds {
        Some(c) => signed_request("GET", "proxy.test", path, query, c, now_ms),
        None => Request::new("GET", path, query).with_header("host", "proxy.test"),
    }
}

fn get(p: &FakePlatform, c: &Isolate, path: &str, creds: Option<&Credentials>) -> (u16, String) {
    get_q(p, c, path, "", creds)
}

fn get_q(p: &FakePlatform, c: &Isolate, path: &str, query: &str, creds: Option<&Credentials>) -> (u16, String) {
    let (resp, body) = run_text(p, c, request(path, query, creds, p.now_ms()));
    (resp.status, body)
}

fn s3_calls(p: &FakePlatform) -> usize {
    p.fetched.borrow().iter().filter(|r| r.url.starts_with(S3)).count()
}

#[test]
fn service_document_names_the_http_catalog() {
    let c = env_with(&[]);
    let (p, _) = platform(&c);
    let (status, body) = get(&p, &c, "/", None);
    assert_eq!(status, 200);
    let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["catalog"], "http");
}

#[test]
fn anonymous_reads_go_out_with_an_anonymous_token() {
    let c = env_with(&[]);
    let (p, seen) = platform(&c);
    let (status, body) = get(&p, &c, "/acme/public-data/a.txt", None);
    assert_eq!((status, body.as_str()), (200, "s3"));
    let (status, _) = get(&p, &c, "/acme/unlisted-data/a.txt", None);
    assert_eq!(status, 200);
    let (status, body) = get(&p, &c, "/acme/restricted-data/a.txt", None);
    assert_eq!(status, 404);
    assert!(body.contains("NoSuchBucket"));
    let seen = seen.borrow();
    assert!(!seen.calls.is_empty());
    for (sub, claims) in &seen.calls {
        let claims = claims
            .as_ref()
            .expect("every catalog call carries a token that verifies");
        assert_eq!(sub, "anonymous");
        assert_eq!(claims["iss"], PROVIDER_ISS);
        assert_eq!(claims["aud"], CATALOG);
        assert!(claims.get("role").is_none() && claims.get("idp").is_none());
    }
    // The object request went to the connection's bucket and prefix, signed with the proxy's keys.
    let fetched = p.fetched.borrow();
    let obj = fetched.iter().find(|r| r.url.starts_with(S3)).unwrap();
    assert_eq!(obj.url, format!("{S3}/catalog-data/base/acme/public-data/a.txt"));
    assert!(obj
        .headers
        .iter()
        .any(|(n, v)| n == "authorization" && v.contains("AKIAPROXY")));
}

#[test]
fn restricted_access_follows_each_principal_and_answers_never_cross() {
    let c = env_with(&[]);
    let (p, seen) = platform(&c);
    let a = session(&c, "user-a", &["*"]);
    let b = session(&c, "user-b", &["*"]);
    let path = "/acme/restricted-data/x.csv";
    for round in 0..2 {
        assert_eq!(get(&p, &c, path, Some(&a)).0, 200, "round {round}: user-a");
        let (status, body) = get(&p, &c, path, Some(&b));
        assert_eq!(status, 404, "round {round}: user-b");
        assert!(body.contains("NoSuchBucket"));
    }
    // Subjects that resemble user-a, or would break a naive key, are someone else.
    let s3_before = s3_calls(&p);
    for sub in [
        "user-a ",
        "user-a&",
        "user-a#x",
        "user-a?x=1",
        "user-a/..",
        "user-a%2F",
        "USER-A",
        "user-\u{0430}",
        "anonymous",
    ] {
        let creds = session(&c, sub, &["*"]);
        assert_eq!(get(&p, &c, path, Some(&creds)).0, 404, "subject {sub:?}");
    }
    assert_eq!(s3_calls(&p), s3_before, "denials never reach the backend");
    // Every catalog call was made with a verified token for the caller it served.
    let seen = seen.borrow();
    let subs: std::collections::BTreeSet<&str> = seen.calls.iter().map(|(s, _)| s.as_str()).collect();
    assert!(subs.contains("user-a") && subs.contains("user-b") && subs.contains("user-a&"));
    for (sub, claims) in &seen.calls {
        let claims = claims.as_ref().expect("verified");
        assert_eq!(claims["role"], "_default", "{sub}");
        assert_eq!(claims["idp"], IDP, "{sub}");
    }
    // user-a's second round was served from the caches: no more calls as user-a.
    let a_calls = seen.calls.iter().filter(|(s, _)| s == "user-a").count();
    assert_eq!(a_calls, 3, "product, permissions, connection once each");
}

#[test]
fn a_ceiling_denies_before_the_catalog_is_asked() {
    let c = env_with(&[]);
    let (p, seen) = platform(&c);
    let narrow = session(&c, "user-a", &["other/*"]);
    assert_eq!(get(&p, &c, "/acme/restricted-data/x.csv", Some(&narrow)).0, 404);
    assert!(seen.borrow().calls.is_empty());
    assert!(p.fetched.borrow().is_empty());
}

#[test]
fn catalog_failures_map_to_s3_errors() {
    let c = env_with(&[]);
    let (p, _) = platform(&c);
    for (product, status, code) in [
        ("denied401", 403, "AccessDenied"),
        ("denied403", 403, "AccessDenied"),
        ("nope", 404, "NoSuchBucket"),
        ("disabled-data", 404, "NoSuchBucket"),
        ("error500", 503, "ServiceUnavailable"),
        ("garbage", 503, "ServiceUnavailable"),
        ("azure-data", 503, "ServiceUnavailable"),
    ] {
        let (s, body) = get(&p, &c, &format!("/acme/{product}/k"), None);
        assert_eq!(s, status, "{product}: {body}");
        assert!(body.contains(&format!("<Code>{code}</Code>")), "{product}: {body}");
        assert!(
            !body.contains("status 500") && !body.contains("not supported"),
            "details stay in logs: {body}"
        );
    }
    assert_eq!(s3_calls(&p), 0);
    // Restricted product on a connection without proxy-held keys: never read unsigned.
    let unsigned = env_with(&[("CATALOG_CONNECTION_KEYS", "")]);
    let (p, _) = platform(&unsigned);
    let a = session(&unsigned, "user-a", &["*"]);
    assert_eq!(get(&p, &unsigned, "/acme/restricted-data/x.csv", Some(&a)).0, 503);
    assert_eq!(get(&p, &unsigned, "/acme/public-data/x.csv", None).0, 200);
    let fetched = p.fetched.borrow();
    let obj: Vec<_> = fetched.iter().filter(|r| r.url.starts_with(S3)).collect();
    assert_eq!(obj.len(), 1);
    assert!(!obj[0].headers.iter().any(|(n, _)| n == "authorization"));
}

#[test]
fn account_listing_shows_what_the_caller_may_read() {
    let c = env_with(&[]);
    let (p, _) = platform(&c);
    let prefixes = |body: &str| -> Vec<String> {
        body.split("<Prefix>")
            .skip(1)
            .filter_map(|x| x.split("</Prefix>").next())
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    };
    let q = "list-type=2&delimiter=%2F";
    let (s, body) = get_q(&p, &c, "/acme", q, None);
    assert_eq!(s, 200, "{body}");
    assert_eq!(prefixes(&body), ["azure-data/", "public-data/"]);
    let a = session(&c, "user-a", &["*"]);
    let (s, body) = get_q(&p, &c, "/acme", q, Some(&a));
    assert_eq!(s, 200, "{body}");
    assert_eq!(prefixes(&body), ["azure-data/", "public-data/", "restricted-data/"]);
    let b = session(&c, "user-b", &["*"]);
    assert_eq!(
        prefixes(&get_q(&p, &c, "/acme", q, Some(&b)).1),
        ["azure-data/", "public-data/"]
    );
    assert_eq!(get_q(&p, &c, "/nobody", q, None).0, 404);
}

#[test]
fn tokens_are_reused_and_renewed_near_expiry() {
    let c = env_with(&[("CATALOG_CACHE", "off")]);
    let (p, seen) = platform(&c);
    for _ in 0..5 {
        assert_eq!(get(&p, &c, "/acme/public-data/a.txt", None).0, 200);
    }
    assert_eq!(
        seen.borrow().calls.len(),
        10,
        "no caching: product + connection per request"
    );
    assert_eq!(c.state.tokens.signatures(), 1, "one token served all ten calls");
    // 31 s later less than the 30 s reuse margin is left: a new token.
    let (p2, _) = platform_at(&c, p.now_ms() + 31_000);
    assert_eq!(get(&p2, &c, "/acme/public-data/a.txt", None).0, 200);
    assert_eq!(c.state.tokens.signatures(), 2);
}

#[test]
fn http_catalog_without_provider_answers_503() {
    let c = env_with(&[("OIDC_PROVIDER_KEY", "")]);
    assert!(c.config.catalog.is_err());
    let p = FakePlatform::default();
    let (s, body) = get(&p, &c, "/acme/public-data/a.txt", None);
    assert_eq!(s, 503, "{body}");
    assert!(p.fetched.borrow().is_empty());
}

#[test]
fn a_recursive_account_listing_skips_products_without_a_usable_backend() {
    // azure-data is public but its connection cannot be read: listing the
    // whole account still works and shows the readable products' keys.
    let c = env_with(&[]);
    let (p, _) = platform(&c);
    p.script(
        &format!("{S3}/catalog-data?"),
        200,
        &[("content-type", "application/xml")],
        br#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>catalog-data</Name><Prefix>base/acme/public-data/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>base/acme/public-data/a.txt</Key><LastModified>2026-11-01T00:00:00.000Z</LastModified><ETag>"e"</ETag><Size>1</Size></Contents></ListBucketResult>"#,
    );
    // The fake matches by prefix in order: the listing answer must come before the catch-all.
    p.http.borrow_mut().rotate_right(1);
    let (s, body) = get_q(&p, &c, "/acme", "list-type=2", None);
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("<Key>public-data/a.txt</Key>"), "{body}");
    assert!(!body.contains("azure-data"), "{body}");
    let logs = p.logs.borrow().join("\n");
    assert!(
        logs.contains("azure not supported"),
        "the skipped product is logged: {logs}"
    );
}

#[test]
fn a_catalog_body_that_never_ends_is_503_within_the_timeout() {
    let c = env_with(&[("CATALOG_TIMEOUT_MS", "1500")]);
    let (p, _) = platform(&c);
    p.bodies_stall.set(true);
    let (s, body) = get(&p, &c, "/acme/public-data/k", None);
    assert_eq!(s, 503, "{body}");
    assert!(body.contains("<Code>ServiceUnavailable</Code>"), "{body}");
    let reads = p.body_reads.borrow();
    assert!(!reads.is_empty(), "the catalog answer was read");
    assert!(reads.iter().all(|&(_, t)| (1..=1500).contains(&t)), "{reads:?}");
    assert_eq!(s3_calls(&p), 0);
}

//! The HTTP catalog against scripted answers (FakePlatform), and the JSON
//! fixtures the integration stub serves (tests/fixtures/catalog), so the
//! stub and the parser cannot drift apart.

use crate::error::{chain, ApiError};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::cache_key::{cache_key, open_entry, seal_entry};
use super::client::{encode_segment, status_error, BODY_LIMIT, TIMEOUT_MS};
use super::model::{parse_data_connection, parse_permissions, parse_product, parse_product_list};
use super::*;
use crate::authz::{can_read, Principal, SessionPrincipal};
use crate::backend::Backend;
use crate::catalog::Visibility;
use crate::secret::Secret;
use crate::sts::ceiling::Ceiling;
use crate::testing::{block_on, FakePlatform};

const BASE: &str = "https://catalog.example";
const ISS: &str = "https://idp.example";
const NOW: i64 = 1_763_781_720;
/// The endpoint the fixtures' S3 connection names; the stub rewrites it.
const PLACEHOLDER_ENDPOINT: &str = "http://s3.placeholder.invalid";

// ---------------------------------------------------------------- fixtures

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/catalog")
}

/// `(file stem, bytes)` of the JSON files in a directory, sorted.
fn json_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let stem = p.file_stem().unwrap().to_str().unwrap().to_string();
            (stem, std::fs::read(&p).unwrap())
        })
        .collect();
    v.sort();
    v
}

fn subdirs(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut v: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_str().unwrap().to_string(), p))
        .collect();
    v.sort();
    v
}

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn every_fixture_parses_and_maps() {
    let root = fixtures();
    let connections: BTreeMap<String, ApiDataConnection> = json_files(&root.join("data-connections"))
        .into_iter()
        .map(|(id, body)| {
            let c = parse_data_connection(&body).unwrap_or_else(|e| panic!("connection {id}: {e}"));
            assert_eq!(c.data_connection_id, id, "file name is the id");
            (id, c)
        })
        .collect();
    assert!(connections.len() >= 2);
    let mut products = 0;
    for (account, dir) in subdirs(&root.join("products")) {
        let mut listed = Vec::new();
        for (name, body) in json_files(&dir) {
            let p = parse_product(&body).unwrap_or_else(|e| panic!("product {account}/{name}: {e}"));
            p.check_identity(&account, &name).unwrap();
            assert!(crate::route::valid_name(&name));
            let conn = &connections[&p.primary_mirror().unwrap().connection_id];
            p.to_product(conn, Vec::new()).unwrap();
            listed.push(serde_json::from_slice::<serde_json::Value>(&body).unwrap());
            products += 1;
        }
        // The account listing the stub builds from the same files.
        let list = serde_json::to_vec(&serde_json::json!({ "products": listed })).unwrap();
        let summaries = parse_product_list(&list).unwrap().summaries();
        assert!(!summaries.iter().any(|s| s.name == "disabled-data"));
    }
    assert!(products >= 5);
    for (account, dir) in subdirs(&root.join("permissions")) {
        for (name, body) in json_files(&dir) {
            assert!(root
                .join("products")
                .join(&account)
                .join(format!("{name}.json"))
                .exists());
            let per_sub: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&body).unwrap();
            for (sub, answer) in per_sub {
                let bytes = serde_json::to_vec(&answer).unwrap();
                parse_permissions(&bytes).unwrap_or_else(|e| panic!("permissions {account}/{name} {sub}: {e}"));
            }
        }
    }
}

#[test]
fn fixture_contents_are_what_the_integration_tests_expect() {
    let product = |n: &str| parse_product(&fixture(&format!("products/acme/{n}.json"))).unwrap();
    let s3 = parse_data_connection(&fixture("data-connections/acme-s3.json")).unwrap();
    let az = parse_data_connection(&fixture("data-connections/acme-az.json")).unwrap();
    assert_eq!(product("public-data").visibility, Visibility::Public);
    assert_eq!(product("unlisted-data").visibility, Visibility::Unlisted);
    assert_eq!(product("restricted-data").visibility, Visibility::Restricted);
    assert!(product("disabled-data").disabled);
    match s3.to_backend(Visibility::Public, None) {
        Backend::S3(b) => {
            assert_eq!(b.endpoint, PLACEHOLDER_ENDPOINT);
            assert_eq!((b.bucket.as_str(), b.region.as_str()), ("catalog-data", "us-east-1"));
        }
        other => panic!("{other:?}"),
    }
    let p = product("public-data").to_product(&s3, Vec::new()).unwrap();
    assert_eq!(p.prefix, "base/acme/public-data/");
    assert!(matches!(
        az.to_backend(Visibility::Public, None),
        Backend::Unavailable(_)
    ));
    assert!(!format!("{az:?}").contains("FIXTURE-NOT-A-SECRET"));
    let perms: BTreeMap<String, Permissions> =
        serde_json::from_slice(&fixture("permissions/acme/restricted-data.json")).unwrap();
    assert!(perms["user-a"].can_read());
    assert!(!perms["user-b"].can_read());
}

// ---------------------------------------------------------------- helpers

/// A shared (edge) cache in a map, counting calls.
#[derive(Default)]
struct MapShared {
    map: RefCell<HashMap<String, (Vec<u8>, u32)>>,
    gets: Cell<usize>,
}

impl SharedCache for MapShared {
    async fn cache_get(&self, key: &str) -> Option<Vec<u8>> {
        self.gets.set(self.gets.get() + 1);
        self.map.borrow().get(key).map(|(b, _)| b.clone())
    }

    async fn cache_put(&self, key: &str, body: &[u8], ttl_secs: u32) {
        self.map.borrow_mut().insert(key.to_string(), (body.to_vec(), ttl_secs));
    }
}

/// A fixed token (or none).
struct StaticBearer(Option<Secret>);

impl BearerSource for StaticBearer {
    async fn bearer(&self) -> Result<Option<Secret>, ProxyError> {
        Ok(self.0.clone())
    }
}

/// Counts how often a token is asked for.
struct Bearer {
    calls: Cell<usize>,
    token: Result<Option<&'static str>, ProxyError>,
}

impl Bearer {
    fn ok(t: &'static str) -> Self {
        Self {
            calls: Cell::new(0),
            token: Ok(Some(t)),
        }
    }
}

impl BearerSource for Bearer {
    async fn bearer(&self) -> Result<Option<Secret>, ProxyError> {
        self.calls.set(self.calls.get() + 1);
        self.token.clone().map(|t| t.map(Secret::from))
    }
}

fn alice() -> Identity<'static> {
    Identity::Principal {
        issuer: ISS,
        subject: "user-a",
        role: "_default",
    }
}

fn bob() -> Identity<'static> {
    Identity::Principal {
        issuer: ISS,
        subject: "user-b",
        role: "_default",
    }
}

fn catalog() -> HttpCatalog {
    HttpCatalog::new(BASE, false).unwrap()
}

fn cx<'a, B: BearerSource>(
    p: &'a FakePlatform,
    memory: &'a MemoryCache,
    shared: &'a MapShared,
    bearer: &'a B,
    identity: Identity<'a>,
    now: i64,
) -> CallContext<'a, FakePlatform, MapShared, B> {
    CallContext {
        platform: p,
        memory,
        shared,
        bearer,
        identity,
        now,
    }
}

/// A platform answering with the fixtures (S3 endpoint rewritten), most
/// specific URLs first (the fake matches by prefix).
fn fixture_platform(perms_for: &str) -> FakePlatform {
    let p = FakePlatform::default();
    let json = [("content-type", "application/json")];
    let perms: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(&fixture("permissions/acme/restricted-data.json")).unwrap();
    let answer = perms.get(perms_for).cloned().unwrap_or(serde_json::json!([]));
    p.script(
        &format!("{BASE}/api/v1/products/acme/restricted-data/permissions"),
        200,
        &json,
        answer.to_string().as_bytes(),
    );
    for n in [
        "public-data",
        "unlisted-data",
        "restricted-data",
        "disabled-data",
        "azure-data",
    ] {
        p.script(
            &format!("{BASE}/api/v1/products/acme/{n}/permissions"),
            200,
            &json,
            b"[\"read\"]",
        );
        p.script(
            &format!("{BASE}/api/v1/products/acme/{n}"),
            200,
            &json,
            &fixture(&format!("products/acme/{n}.json")),
        );
    }
    let s3 = String::from_utf8(fixture("data-connections/acme-s3.json"))
        .unwrap()
        .replace(PLACEHOLDER_ENDPOINT, "http://127.0.0.1:9000");
    p.script(
        &format!("{BASE}/api/v1/data-connections/acme-s3"),
        200,
        &json,
        s3.as_bytes(),
    );
    p.script(
        &format!("{BASE}/api/v1/data-connections/acme-az"),
        200,
        &json,
        &fixture("data-connections/acme-az.json"),
    );
    let list: Vec<serde_json::Value> = json_files(&fixtures().join("products/acme"))
        .into_iter()
        .map(|(_, b)| serde_json::from_slice(&b).unwrap())
        .collect();
    p.script(
        &format!("{BASE}/api/v1/products/acme"),
        200,
        &json,
        serde_json::json!({ "products": list }).to_string().as_bytes(),
    );
    p
}

fn urls(p: &FakePlatform) -> Vec<String> {
    p.fetched.borrow().iter().map(|r| r.url.clone()).collect()
}

fn session(subject: &str) -> Principal {
    Principal::Session(Box::new(SessionPrincipal {
        issuer: ISS.into(),
        subject: subject.into(),
        role: "_default".into(),
        session_name: "s".into(),
        access_key_id: "ASIA".into(),
        ceiling: Ceiling::parse(&["*".to_string()]).unwrap(),
        claims: Vec::new(),
        session_id: String::new(),
        policy: None,
    }))
}

// ---------------------------------------------------------------- URLs

#[test]
fn path_segments_are_percent_encoded() {
    let c = catalog();
    assert_eq!(
        c.product_url("acme", "public-data").unwrap(),
        "https://catalog.example/api/v1/products/acme/public-data"
    );
    assert_eq!(
        c.products_url("a?b=c&d#e").unwrap(),
        "https://catalog.example/api/v1/products/a%3Fb%3Dc%26d%23e"
    );
    assert_eq!(
        c.product_url("a/../b", "x y%2F").unwrap(),
        "https://catalog.example/api/v1/products/a%2F..%2Fb/x%20y%252F"
    );
    assert_eq!(
        c.permissions_url("acme", "p?x").unwrap(),
        "https://catalog.example/api/v1/products/acme/p%3Fx/permissions"
    );
    assert_eq!(
        c.connection_url("ü+;").unwrap(),
        "https://catalog.example/api/v1/data-connections/%C3%BC%2B%3B"
    );
    for bad in ["", ".", ".."] {
        assert!(encode_segment(bad).is_none());
        assert!(c.product_url("acme", bad).is_none() && c.products_url(bad).is_none());
    }
    assert_eq!(encode_segment("...").as_deref(), Some("..."));
    // Whatever a segment holds, the URL keeps its shape: no query, no
    // fragment, exactly the expected number of path segments.
    for s in [
        "?", "#", "&", "/", "%", " ", "\\", "a/b?c#d", "\u{0}", "%2e%2e", "..%2F",
    ] {
        let u = c.permissions_url(s, s).unwrap();
        let path = u.strip_prefix(BASE).unwrap();
        assert!(!path.contains(['?', '#', ' ', '\\']), "{u}");
        assert_eq!(path.split('/').count(), 7, "{u}");
    }
}

#[test]
fn catalog_url_validation() {
    assert_eq!(
        HttpCatalog::new("https://c.example/", false).unwrap().base_url(),
        "https://c.example"
    );
    assert_eq!(
        HttpCatalog::new("https://c.example/source/", false).unwrap().base_url(),
        "https://c.example/source"
    );
    assert!(HttpCatalog::new("http://127.0.0.1:8787", true).is_ok());
    assert!(HttpCatalog::new("http://localhost:8787", true).is_ok());
    assert!(HttpCatalog::new("http://[::1]:8787", true).is_ok());
    for bad in [
        "",
        "c.example",
        "ftp://c.example",
        "http://127.0.0.1:8787",
        "https://",
        "https://u:p@c.example",
        "https://c.example/?x=1",
        "https://c.example/#f",
        "https://c.example/a b",
    ] {
        assert!(HttpCatalog::new(bad, false).is_err(), "{bad}");
    }
    assert!(
        HttpCatalog::new("http://c.example", true).is_err(),
        "http only for loopback"
    );
    assert!(HttpCatalog::new("http://127.0.0.1.evil.example", true).is_err());
}

// ---------------------------------------------------------------- calls

#[test]
fn resolves_a_public_product_as_the_principal() {
    let p = fixture_platform("user-a");
    let (shared, bearer, c) = (MapShared::default(), Bearer::ok("tok-a"), catalog());
    let mem = MemoryCache::default();
    let r = block_on(c.resolve(&cx(&p, &mem, &shared, &bearer, alice(), NOW), "acme", "public-data")).unwrap();
    assert_eq!(r.product.name, "public-data");
    assert_eq!(r.product.prefix, "base/acme/public-data/");
    assert_eq!(r.product.visibility, Visibility::Public);
    match &r.backend {
        Backend::S3(s) => {
            assert_eq!(s.endpoint, "http://127.0.0.1:9000");
            assert_eq!(s.bucket, "catalog-data");
            assert!(s.credentials.is_none());
        }
        other => panic!("{other:?}"),
    }
    assert!(can_read(&session("user-b"), "acme", &r.product));
    assert!(can_read(&Principal::Anonymous, "acme", &r.product));
    assert_eq!(
        urls(&p),
        [
            format!("{BASE}/api/v1/products/acme/public-data"),
            format!("{BASE}/api/v1/data-connections/acme-s3")
        ],
        "a public product needs no permissions call"
    );
    for req in p.fetched.borrow().iter() {
        assert_eq!(req.method, "GET");
        assert_eq!(req.timeout_ms, TIMEOUT_MS);
        let auth: Vec<&str> = req
            .headers
            .iter()
            .filter(|(n, _)| n == "authorization")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(auth, ["Bearer tok-a"]);
    }
    assert_eq!(bearer.calls.get(), 2);
}

#[test]
fn answers_are_cached_per_identity_and_only_minted_for_on_a_miss() {
    let p = fixture_platform("user-a");
    let (shared, c) = (MapShared::default(), catalog());
    let mem = MemoryCache::default();
    let (ba, bb, banon) = (Bearer::ok("tok-a"), Bearer::ok("tok-b"), Bearer::ok("tok-anon"));
    let go =
        |b: &Bearer, id, now| block_on(c.resolve(&cx(&p, &mem, &shared, b, id, now), "acme", "public-data")).unwrap();
    go(&ba, alice(), NOW);
    go(&ba, alice(), NOW + 10);
    assert_eq!(p.fetched.borrow().len(), 2, "second resolve is served from cache");
    assert_eq!(ba.calls.get(), 2, "no token minted for cached answers");
    go(&bb, bob(), NOW + 10);
    assert_eq!(
        p.fetched.borrow().len(),
        4,
        "another principal never gets alice's answers"
    );
    go(&banon, Identity::Anonymous, NOW + 10);
    assert_eq!(p.fetched.borrow().len(), 6);
    let last = p.fetched.borrow()[5].headers.clone();
    assert!(last.contains(&("authorization".into(), "Bearer tok-anon".into())));
    // Same subject at another issuer or in another role: separate entries.
    let other_iss = Identity::Principal {
        issuer: "https://other-idp.example",
        subject: "user-a",
        role: "_default",
    };
    let other_role = Identity::Principal {
        issuer: ISS,
        subject: "user-a",
        role: "ci",
    };
    go(&ba, other_iss, NOW + 10);
    go(&ba, other_role, NOW + 10);
    assert_eq!(p.fetched.borrow().len(), 10);
    // The shared layer got one entry per (identity, URL), each with its TTL.
    let map = shared.map.borrow();
    assert_eq!(map.len(), 10);
    let product_key = cache_key(alice(), &format!("{BASE}/api/v1/products/acme/public-data")).unwrap();
    let (entry, ttl) = &map[&product_key];
    assert_eq!(*ttl, 300);
    let (exp, body) = open_entry(entry, NOW).unwrap();
    assert_eq!(exp, NOW + 300);
    assert_eq!(body, fixture("products/acme/public-data.json").as_slice());
}

#[test]
fn ttls_expire_per_answer_kind() {
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let list = |now| block_on(c.list_products(&cx(&p, &mem, &shared, &b, alice(), now), "acme")).unwrap();
    let perms =
        |now| block_on(c.permissions(&cx(&p, &mem, &shared, &b, alice(), now), "acme", "restricted-data")).unwrap();
    let product = |now| block_on(c.product(&cx(&p, &mem, &shared, &b, alice(), now), "acme", "public-data")).unwrap();
    let conn = |now| block_on(c.data_connection(&cx(&p, &mem, &shared, &b, alice(), now), "acme-s3")).unwrap();
    list(NOW);
    perms(NOW);
    product(NOW);
    conn(NOW);
    assert_eq!(p.fetched.borrow().len(), 4);
    list(NOW + 59);
    perms(NOW + 59);
    product(NOW + 299);
    conn(NOW + 299);
    assert_eq!(p.fetched.borrow().len(), 4, "all still fresh");
    list(NOW + 60);
    perms(NOW + 60);
    assert_eq!(p.fetched.borrow().len(), 6, "list and permissions live 60 s");
    product(NOW + 300);
    conn(NOW + 300);
    assert_eq!(p.fetched.borrow().len(), 8, "product and connection live 300 s");
}

#[test]
fn shared_layer_serves_a_new_isolate_within_the_ttl() {
    let p = fixture_platform("user-a");
    let (shared, b) = (MapShared::default(), Bearer::ok("t"));
    let mem = MemoryCache::default();
    block_on(catalog().resolve(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "public-data")).unwrap();
    assert_eq!(p.fetched.borrow().len(), 2);
    // A fresh isolate (empty memory layer) finds both answers at the edge.
    let fresh = catalog();
    let mem = MemoryCache::default();
    block_on(fresh.resolve(&cx(&p, &mem, &shared, &b, alice(), NOW + 100), "acme", "public-data")).unwrap();
    assert_eq!(p.fetched.borrow().len(), 2);
    // The edge copy keeps its original expiry, even if the edge kept it longer.
    let fresh = catalog();
    let mem = MemoryCache::default();
    block_on(fresh.resolve(&cx(&p, &mem, &shared, &b, alice(), NOW + 300), "acme", "public-data")).unwrap();
    assert_eq!(p.fetched.borrow().len(), 4);
    // And the memory layer took the edge copy's expiry, not a new TTL.
    let q = fixture_platform("user-a");
    let fresh = catalog();
    let mem = MemoryCache::default();
    let shared2 = MapShared::default();
    block_on(fresh.product(&cx(&q, &mem, &shared2, &b, alice(), NOW), "acme", "public-data")).unwrap();
    let key = cache_key(alice(), &format!("{BASE}/api/v1/products/acme/public-data")).unwrap();
    let entry = shared2.map.borrow()[&key].0.clone();
    let again = catalog();
    let mem = MemoryCache::default();
    let shared3 = MapShared::default();
    shared3.map.borrow_mut().insert(key, (entry, 300));
    block_on(again.product(&cx(&q, &mem, &shared3, &b, alice(), NOW + 250), "acme", "public-data")).unwrap();
    assert_eq!(q.fetched.borrow().len(), 1, "edge hit");
    shared3.map.borrow_mut().clear();
    block_on(again.product(&cx(&q, &mem, &shared3, &b, alice(), NOW + 299), "acme", "public-data")).unwrap();
    assert_eq!(q.fetched.borrow().len(), 1, "memory hit until the original expiry");
    block_on(again.product(&cx(&q, &mem, &shared3, &b, alice(), NOW + 300), "acme", "public-data")).unwrap();
    assert_eq!(q.fetched.borrow().len(), 2, "then a miss");
}

#[test]
fn corrupt_or_foreign_shared_entries_are_misses() {
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let url = format!("{BASE}/api/v1/products/acme/public-data");
    let key = cache_key(alice(), &url).unwrap();
    shared
        .map
        .borrow_mut()
        .insert(key.clone(), (seal_entry(NOW + 100, b"not json"), 300));
    block_on(c.product(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "public-data")).unwrap();
    assert_eq!(p.fetched.borrow().len(), 1);
    assert!(p.logs.borrow().iter().any(|l| l.contains("unparseable")));
    // A raw body without the envelope is not trusted either.
    let c2 = catalog();
    let mem = MemoryCache::default();
    shared
        .map
        .borrow_mut()
        .insert(key, (fixture("products/acme/public-data.json"), 300));
    block_on(c2.product(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "public-data")).unwrap();
    assert_eq!(p.fetched.borrow().len(), 2);
}

#[test]
fn status_mapping() {
    assert_eq!(status_error(200), None);
    assert_eq!(status_error(204), None);
    let cases: [(u16, &str, u16); 9] = [
        (404, "NoSuchBucket", 404),
        (401, "AccessDenied", 403),
        (403, "AccessDenied", 403),
        (500, "ServiceUnavailable", 503),
        (502, "ServiceUnavailable", 503),
        (503, "ServiceUnavailable", 503),
        (429, "ServiceUnavailable", 503),
        (400, "ServiceUnavailable", 503),
        (302, "ServiceUnavailable", 503),
    ];
    for (status, code, http) in cases {
        let p = FakePlatform::default();
        p.script(BASE, status, &[], b"{}");
        let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
        let mem = MemoryCache::default();
        let e: ProxyError = block_on(c.product(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "x"))
            .unwrap_err()
            .into();
        assert_eq!((e.code().as_str(), e.status()), (code, http), "{status}");
        if http == 503 {
            let d = e.detail().unwrap();
            assert!(
                d.contains(&format!("status {status}")) && d.contains("/api/v1/products/acme/x"),
                "{d}"
            );
        }
        assert!(shared.map.borrow().is_empty(), "errors are never cached");
    }
}

#[test]
fn failures_are_503_with_the_cause_and_never_cached() {
    let (b, c) = (Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let shared = MapShared::default();
    // Unreachable / timed out: the platform's error (e.g. "fetch GET: timed out").
    let p = FakePlatform::default();
    let e = block_on(c.product(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "x")).unwrap_err();
    assert!(
        matches!(&e, CatalogError::Unavailable(d) if chain(d).contains("no scripted answer")),
        "{e}"
    );
    // Garbage, wrong shape, oversized.
    let big = vec![b' '; BODY_LIMIT + 1];
    for body in [&b"<html>oops</html>"[..], b"{\"product_id\":\"x\"}", b"", &big] {
        let p = FakePlatform::default();
        p.script(BASE, 200, &[], body);
        let e: ProxyError = block_on(c.product(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "x"))
            .unwrap_err()
            .into();
        assert_eq!((e.status(), e.code().as_str()), (503, "ServiceUnavailable"));
        assert!(!e.message().contains("catalog"), "the client sees a generic message");
    }
    assert!(shared.map.borrow().is_empty() && mem.is_empty());
    // After a failure the next call asks again, and a good answer is cached.
    let p = fixture_platform("user-a");
    p.http
        .borrow_mut()
        .insert(0, (BASE.to_string(), 500, Vec::new(), Vec::new()));
    let cxa = cx(&p, &mem, &shared, &b, alice(), NOW);
    assert!(block_on(c.product(&cxa, "acme", "public-data")).is_err());
    p.http.borrow_mut().remove(0);
    assert!(block_on(c.product(&cxa, "acme", "public-data")).is_ok());
    assert!(block_on(c.product(&cxa, "acme", "public-data")).is_ok());
    assert_eq!(p.fetched.borrow().len(), 2);
}

#[test]
fn disabled_and_confused_answers() {
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let cxa = cx(&p, &mem, &shared, &b, alice(), NOW);
    assert_eq!(
        block_on(c.resolve(&cxa, "acme", "disabled-data")).unwrap_err(),
        CatalogError::NotFound
    );
    // An answer about another product than the one asked for is refused.
    let q = FakePlatform::default();
    q.script(
        &format!("{BASE}/api/v1/products/acme/other"),
        200,
        &[],
        &fixture("products/acme/public-data.json"),
    );
    let e = block_on(c.product(&cx(&q, &mem, &shared, &b, alice(), NOW), "acme", "other")).unwrap_err();
    assert!(matches!(e, CatalogError::Unavailable(d) if chain(&d).contains("public-data")));
    // Names that cannot exist never reach the network.
    let r = FakePlatform::default();
    for bad in ["", ".", ".."] {
        let e = block_on(c.resolve(&cx(&r, &mem, &shared, &b, alice(), NOW), "acme", bad)).unwrap_err();
        assert_eq!(e, CatalogError::NotFound);
    }
    assert!(r.fetched.borrow().is_empty());
}

#[test]
fn azure_product_resolves_to_an_unavailable_backend() {
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let r = block_on(c.resolve(
        &cx(&p, &mem, &shared, &b, Identity::Anonymous, NOW),
        "acme",
        "azure-data",
    ))
    .unwrap();
    assert!(matches!(&r.backend, Backend::Unavailable(why) if why.contains("azure")));
    assert_eq!(r.product.prefix, "acme/azure-data/");
}

#[test]
fn restricted_products_follow_the_permissions_answer() {
    // user-a: ["read"] → a grant for exactly that principal.
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let r = block_on(c.resolve(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "restricted-data")).unwrap();
    assert!(can_read(&session("user-a"), "acme", &r.product));
    assert!(!can_read(&session("user-b"), "acme", &r.product));
    assert!(!can_read(&Principal::Anonymous, "acme", &r.product));
    // No proxy-held keys for the connection: a restricted product is never read unsigned.
    assert!(matches!(&r.backend, Backend::Unavailable(why) if why.contains("unsigned")));
    assert_eq!(
        urls(&p),
        [
            format!("{BASE}/api/v1/products/acme/restricted-data"),
            format!("{BASE}/api/v1/products/acme/restricted-data/permissions"),
            format!("{BASE}/api/v1/data-connections/acme-s3"),
        ]
    );

    // user-b: [] → as if it did not exist, and the connection is never asked for.
    let p = fixture_platform("user-b");
    let e = block_on(c.resolve(&cx(&p, &mem, &shared, &b, bob(), NOW), "acme", "restricted-data")).unwrap_err();
    assert_eq!(e, CatalogError::NotFound);
    assert_eq!(ProxyError::from(e), ProxyError::NoSuchBucket);
    assert!(!urls(&p).iter().any(|u| u.contains("data-connections")));

    // Anonymous: not even a permissions call.
    let p = fixture_platform("anonymous");
    let e = block_on(c.resolve(
        &cx(&p, &mem, &shared, &b, Identity::Anonymous, NOW),
        "acme",
        "restricted-data",
    ));
    assert_eq!(e.unwrap_err(), CatalogError::NotFound);
    assert_eq!(urls(&p), [format!("{BASE}/api/v1/products/acme/restricted-data")]);

    // An explicit 403 on permissions is AccessDenied.
    let p = fixture_platform("user-a");
    p.http.borrow_mut().insert(
        0,
        (
            format!("{BASE}/api/v1/products/acme/restricted-data/permissions"),
            403,
            Vec::new(),
            Vec::new(),
        ),
    );
    let c2 = catalog();
    let mem = MemoryCache::default();
    let e = block_on(c2.resolve(
        &cx(&p, &mem, &MapShared::default(), &b, alice(), NOW),
        "acme",
        "restricted-data",
    ));
    assert_eq!(ProxyError::from(e.unwrap_err()), ProxyError::AccessDenied);
}

#[test]
fn listing_filters_disabled_products() {
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    let names: Vec<(String, Visibility)> = block_on(c.list_products(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme"))
        .unwrap()
        .into_iter()
        .map(|s| (s.name, s.visibility))
        .collect();
    assert_eq!(
        names,
        [
            ("azure-data".to_string(), Visibility::Public),
            ("public-data".to_string(), Visibility::Public),
            ("restricted-data".to_string(), Visibility::Restricted),
            ("unlisted-data".to_string(), Visibility::Unlisted),
        ]
    );
    let q = FakePlatform::default();
    q.script(BASE, 404, &[], b"");
    let e = block_on(c.list_products(&cx(&q, &mem, &shared, &b, alice(), NOW), "nope")).unwrap_err();
    assert_eq!(e, CatalogError::NotFound);
}

#[test]
fn bearer_source_is_used_as_given() {
    let p = fixture_platform("user-a");
    let shared = MapShared::default();
    let c = catalog();
    let mem = MemoryCache::default();
    // No token: no Authorization header at all.
    let none = StaticBearer(None);
    let cxn = CallContext {
        platform: &p,
        memory: &mem,
        shared: &shared,
        bearer: &none,
        identity: Identity::Anonymous,
        now: NOW,
    };
    block_on(c.product(&cxn, "acme", "public-data")).unwrap();
    assert!(!p.fetched.borrow()[0].headers.iter().any(|(n, _)| n == "authorization"));
    // Minting fails: that error, unchanged, and no request is sent.
    let failing = Bearer {
        calls: Cell::new(0),
        token: Err(ProxyError::Misconfigured("no OIDC provider key".into())),
    };
    let e = block_on(c.product(&cx(&p, &mem, &shared, &failing, alice(), NOW), "acme", "public-data")).unwrap_err();
    assert_eq!(
        ProxyError::from(e),
        ProxyError::Misconfigured("no OIDC provider key".into())
    );
    assert_eq!(p.fetched.borrow().len(), 1);
}

#[test]
fn adversarial_subjects_get_their_own_entries() {
    // Subjects built to look like another principal's key fragment or URL
    // syntax never read alice's cached answers.
    let p = fixture_platform("user-a");
    let (shared, b, c) = (MapShared::default(), Bearer::ok("t"), catalog());
    let mem = MemoryCache::default();
    block_on(c.product(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", "public-data")).unwrap();
    let alice_key = cache_key(alice(), &format!("{BASE}/api/v1/products/acme/public-data")).unwrap();
    let fragment = alice_key.rsplit_once('/').unwrap().0.to_string();
    let subjects = [
        "user-a ",
        "user-a&x",
        "user-a#",
        "user-a?",
        "user-a/",
        "user-",
        "user-a\u{0}",
        "üser-a",
        fragment.as_str(),
        alice_key.as_str(),
    ];
    for (i, s) in subjects.iter().enumerate() {
        let id = Identity::Principal {
            issuer: ISS,
            subject: s,
            role: "_default",
        };
        block_on(c.product(&cx(&p, &mem, &shared, &b, id, NOW), "acme", "public-data")).unwrap();
        assert_eq!(p.fetched.borrow().len(), i + 2, "{s:?} must miss");
    }
}

#[test]
fn proxy_held_keys_sign_a_connection() {
    let keys = HashMap::from([(
        "acme-s3".to_string(),
        crate::sigv4::Credentials {
            access_key_id: "AKIAPROXY".into(),
            secret_access_key: Secret::from("proxy-secret"),
            session_token: None,
        },
    )]);
    let p = fixture_platform("user-a");
    let (shared, b) = (MapShared::default(), Bearer::ok("t"));
    let c = catalog().with_connection_keys(keys);
    let mem = MemoryCache::default();
    for product in ["restricted-data", "public-data"] {
        let r = block_on(c.resolve(&cx(&p, &mem, &shared, &b, alice(), NOW), "acme", product)).unwrap();
        assert!(
            matches!(&r.backend, Backend::S3(s) if s.credentials.as_ref().unwrap().access_key_id == "AKIAPROXY"),
            "{product}: {:?}",
            r.backend
        );
    }
}

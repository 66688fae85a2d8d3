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
    Principal::Session(std::rc::Rc::new(SessionPrincipal {
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

mod calls;
mod fixture_files;
mod urls;

//! Calls to the HTTP catalog: identities, the two cache layers, status
//! mapping, failures, permissions and data connections.

use super::*;

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

//! Whole requests through the pipeline on the in-memory runtime.

use crate::http::{Body, Request, Response};
use crate::proxy::handle;
use crate::state::Isolate;
use crate::testing::{self, block_on, FakePlatform};

fn sample() -> FakePlatform {
    let p = FakePlatform::default();
    p.put("DATA", "demo/public-data/cities.csv", b"name,country\nParis,FR\n");
    p.put("DATA", "demo/public-data/nested/a/b/c.txt", b"c");
    for i in 0..1200 {
        p.put(
            "DATA",
            &format!("demo/public-data/many/{i:05}.txt"),
            format!("{i}").as_bytes(),
        );
    }
    for k in [
        "odd/hello world.txt",
        "odd/plus+sign.txt",
        "odd/amp&hash#q?.txt",
        "odd/unicodé-日本.txt",
        "odd/per%cent.txt",
    ] {
        p.put("DATA", &format!("demo/public-data/{k}"), k.as_bytes());
    }
    p.put("DATA", "demo/unlisted-data/hidden.csv", b"hidden");
    p.put("DATA", "demo/restricted-data/secret.csv", b"secret");
    p
}

fn cfg() -> Isolate {
    Isolate::from_env(&|_| None)
}

fn run(p: &FakePlatform, req: Request) -> (Response<Vec<u8>>, Vec<u8>) {
    testing::run(p, &cfg(), req)
}

fn get(p: &FakePlatform, path: &str, query: &str) -> (Response<Vec<u8>>, String) {
    testing::get(p, &cfg(), path, query)
}

pub(super) fn between<'a>(s: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    s.split(open).skip(1).filter_map(|x| x.split(close).next()).collect()
}

#[test]
fn reads_a_public_object() {
    let p = sample();
    let (r, body) = get(&p, "/demo/public-data/cities.csv", "");
    assert_eq!(r.status, 200);
    assert_eq!(body, "name,country\nParis,FR\n");
    assert_eq!(r.headers.get("content-length"), Some("22"));
    assert_eq!(r.headers.get("content-type"), Some("text/plain"));
    assert_eq!(r.headers.get("x-amz-request-id").map(str::len), Some(16));
    // With `*`, every response carries it, so a cached copy suits any origin.
    assert_eq!(r.headers.get("access-control-allow-origin"), Some("*"));
}

#[test]
fn restricted_is_indistinguishable_from_missing_and_never_reaches_the_backend() {
    let p = sample();
    for path in ["/demo/restricted-data/secret.csv", "/demo/no-such-product/secret.csv"] {
        let (r, body) = get(&p, path, "");
        assert_eq!(r.status, 404, "{path}");
        assert!(body.contains("<Code>NoSuchBucket</Code>"), "{body}");
        let (r, body) = run(&p, Request::new("HEAD", path, ""));
        assert_eq!((r.status, body.len()), (404, 0));
        let (r, _) = get(&p, "/demo/restricted-data", "list-type=2");
        assert_eq!(r.status, 404);
    }
    assert_eq!(p.backend_calls.get(), 0);
    let (_, body) = get(&p, "/demo", "list-type=2&prefix=restricted-data/");
    assert!(body.contains("<KeyCount>0</KeyCount>"), "{body}");
    let (r, body) = get(&p, "/demo/unlisted-data/hidden.csv", "");
    assert_eq!((r.status, body.as_str()), (200, "hidden"));
}

#[test]
fn head_of_a_product_path_is_head_object_of_that_key() {
    let p = sample();
    for path in ["/demo/public-data", "/demo/restricted-data", "/demo/nope"] {
        let (r, body) = run(&p, Request::new("HEAD", path, ""));
        assert_eq!((r.status, body.len()), (404, 0), "{path}");
        let (_, body) = get(&p, path, "");
        assert!(body.contains("<Code>NoSuchKey</Code>"), "{path}: {body}");
    }
    assert_eq!(run(&p, Request::new("HEAD", "/nobody/x", "")).0.status, 404);
    assert!(get(&p, "/nobody/x", "").1.contains("NoSuchBucket"));
    assert_eq!(p.backend_calls.get(), 0);
}

#[test]
fn missing_key_is_no_such_key() {
    let (r, body) = get(&sample(), "/demo/public-data/nope.csv", "");
    assert_eq!(r.status, 404);
    assert!(
        body.contains("<Code>NoSuchKey</Code>") && body.contains("<RequestId>"),
        "{body}"
    );
    assert_eq!(r.headers.get("content-type"), Some("application/xml"));
}

#[test]
fn ranges() {
    let p = sample();
    let path = "/demo/public-data/cities.csv";
    let cases = [
        ("bytes=0-3", "name", "bytes 0-3/22"),
        ("bytes=-3", "FR\n", "bytes 19-21/22"),
        ("bytes=18-", "FR\n", "bytes 18-21/22"),
    ];
    for (range, want, cr) in cases {
        let (r, body) = run(&p, Request::new("GET", path, "").with_header("Range", range));
        assert_eq!(r.status, 206, "{range}");
        assert_eq!(
            String::from_utf8(body).unwrap().trim_start_matches(','),
            want.trim_start_matches(',')
        );
        assert_eq!(r.headers.get("content-range"), Some(cr));
    }
    let (r, body) = run(&p, Request::new("GET", path, "").with_header("Range", "bytes=0-262143"));
    assert_eq!((r.status, body.len()), (206, 22));
    assert_eq!(r.headers.get("content-range"), Some("bytes 0-21/22"));
    let (r, body) = run(&p, Request::new("GET", path, "").with_header("Range", "bytes=100-"));
    assert_eq!(r.status, 416);
    assert_eq!(r.headers.get("content-range"), Some("bytes */22"));
    assert!(String::from_utf8(body).unwrap().contains("InvalidRange"));
    let (r, body) = run(&p, Request::new("GET", path, "").with_header("Range", "bytes=5-1"));
    assert_eq!((r.status, body.len()), (200, 22), "a malformed range is ignored");
}

#[test]
fn conditionals() {
    let p = sample();
    let path = "/demo/public-data/cities.csv";
    let (r, _) = get(&p, path, "");
    let etag = r.headers.get("etag").unwrap().to_string();
    let lm = r.headers.get("last-modified").unwrap().to_string();
    let (r, body) = run(&p, Request::new("GET", path, "").with_header("If-None-Match", &etag));
    assert_eq!((r.status, body.len()), (304, 0));
    assert_eq!(r.headers.get("etag"), Some(etag.as_str()));
    let (r, _) = run(&p, Request::new("GET", path, "").with_header("If-Modified-Since", &lm));
    assert_eq!(r.status, 304);
    let (r, _) = run(&p, Request::new("GET", path, "").with_header("If-Match", "\"other\""));
    assert_eq!(r.status, 412);
    let (r, _) = run(&p, Request::new("HEAD", path, "").with_header("If-Match", &etag));
    assert_eq!(r.status, 200);
}

#[test]
fn writes_are_refused_with_allow() {
    let p = sample();
    for m in ["PUT", "POST", "DELETE", "PATCH"] {
        let (r, body) = run(&p, Request::new(m, "/demo/public-data/x", ""));
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
        assert!(String::from_utf8(body).unwrap().contains("MethodNotAllowed"));
    }
    assert_eq!(p.backend_calls.get(), 0);
}

#[test]
fn account_listing_shows_listed_products_only() {
    let (r, body) = get(&sample(), "/demo", "list-type=2&delimiter=%2F");
    assert_eq!(r.status, 200);
    assert_eq!(between(&body, "<Prefix>", "</Prefix>"), vec!["", "public-data/"]);
    assert!(!body.contains("<Contents>"));
}

/// Follows V2 tokens until the end; returns every key and common prefix.
fn list_all_v2(p: &FakePlatform, path: &str, query: &str) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let q = match &token {
            Some(t) => format!("{query}&continuation-token={t}"),
            None => query.to_string(),
        };
        let (r, body) = get(p, path, &q);
        assert_eq!(r.status, 200, "{body}");
        pages += 1;
        names.extend(between(&body, "<Key>", "</Key>").into_iter().map(str::to_string));
        names.extend(
            between(&body, "<CommonPrefixes><Prefix>", "</Prefix>")
                .into_iter()
                .map(str::to_string),
        );
        token = between(&body, "<NextContinuationToken>", "</NextContinuationToken>")
            .first()
            .map(ToString::to_string);
        assert_eq!(token.is_some(), body.contains("<IsTruncated>true</IsTruncated>"));
        if token.is_none() || pages > 1000 {
            return (names, pages);
        }
    }
}

#[test]
fn v2_pagination_over_1200_keys() {
    let p = sample();
    let (keys, pages) = list_all_v2(&p, "/demo", "list-type=2&prefix=public-data%2Fmany%2F");
    assert_eq!(pages, 2);
    let want: Vec<String> = (0..1200).map(|i| format!("public-data/many/{i:05}.txt")).collect();
    assert_eq!(keys, want);
}

#[test]
fn recursive_account_listing_spans_products_in_order() {
    let p = sample();
    let (keys, pages) = list_all_v2(&p, "/demo", "list-type=2&max-keys=7");
    assert_eq!(pages, 1207_usize.div_ceil(7));
    assert_eq!(
        keys.len(),
        1200 + 2 + 5,
        "public-data only: unlisted/restricted are not listed"
    );
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, keys, "in key order, no duplicates");
}

#[test]
fn delimiter_pages_ending_on_common_prefixes_resume_after_them() {
    let p = sample();
    let (names, _) = list_all_v2(
        &p,
        "/demo",
        "list-type=2&prefix=public-data%2F&delimiter=%2F&max-keys=1",
    );
    assert_eq!(
        names,
        vec![
            "public-data/cities.csv",
            "public-data/many/",
            "public-data/nested/",
            "public-data/odd/"
        ]
    );
    // V1: NextMarker at a common prefix.
    let mut marker = String::new();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let (_, body) = get(
            &p,
            "/demo",
            &format!("prefix=public-data%2F&delimiter=%2F&max-keys=1&marker={marker}"),
        );
        seen.extend(between(&body, "<Key>", "</Key>").into_iter().map(str::to_string));
        seen.extend(
            between(&body, "<CommonPrefixes><Prefix>", "</Prefix>")
                .into_iter()
                .map(str::to_string),
        );
        match between(&body, "<NextMarker>", "</NextMarker>").first() {
            Some(m) => marker = crate::sigv4::uri_encode(m, true),
            None => break,
        }
    }
    assert_eq!(seen, names);
}

#[test]
fn product_level_listing_is_relative_to_the_product() {
    let (r, body) = get(&sample(), "/demo/public-data/", "list-type=2&prefix=nested%2F");
    assert_eq!(r.status, 200);
    assert_eq!(between(&body, "<Key>", "</Key>"), vec!["nested/a/b/c.txt"]);
}

#[test]
fn odd_keys_round_trip_through_list_and_get() {
    let p = sample();
    let (_, body) = get(&p, "/demo", "list-type=2&prefix=public-data%2Fodd%2F&encoding-type=url");
    let keys: Vec<String> = between(&body, "<Key>", "</Key>")
        .into_iter()
        .map(|k| crate::http::percent_decode(k).unwrap())
        .collect();
    assert_eq!(keys.len(), 5);
    for key in keys {
        let rel = key.strip_prefix("public-data/").unwrap();
        let path = format!("/demo/public-data/{}", crate::sigv4::uri_encode(rel, false));
        let (r, got) = get(&p, &path, "");
        assert_eq!(r.status, 200, "{key}");
        assert_eq!(got, rel);
    }
}

#[test]
fn bad_list_parameters_are_400() {
    let p = sample();
    for q in [
        "list-type=2&max-keys=-1",
        "list-type=2&max-keys=abc",
        &format!("list-type=2&continuation-token={}", "Z".repeat(4000)),
    ] {
        let (r, body) = get(&p, "/demo", q);
        assert_eq!(r.status, 400, "{q}");
        assert!(body.contains("InvalidArgument"), "{body}");
    }
    let (r, _) = get(&p, "/demo", "list-type=2&unknown-flag=1");
    assert_eq!(r.status, 200, "unknown parameters are ignored");
    assert_eq!(p.backend_calls.get(), 1);
}

#[test]
fn anonymous_requests_cannot_override_response_headers() {
    // S3 refuses `response-*` on anonymous GETs: anyone could otherwise serve a
    // public object as HTML from the proxy's origin. Signed requests keep them.
    let p = sample();
    for q in [
        "response-content-type=text%2Fhtml",
        "response-content-disposition=attachment",
        "response-content-type=",
        "response-cache-control=no-cache&response-expires=0",
    ] {
        for method in ["GET", "HEAD"] {
            let (r, body) = run(&p, Request::new(method, "/demo/public-data/cities.csv", q));
            assert_eq!(r.status, 400, "{method} {q}");
            assert_eq!(r.headers.get("content-type"), Some("application/xml"), "{q}");
            if method == "GET" {
                let body = String::from_utf8_lossy(&body);
                assert!(body.contains("<Code>InvalidRequest</Code>"), "{body}");
                assert!(
                    body.contains("Request specific response headers cannot be used for anonymous GET requests."),
                    "{body}"
                );
            }
        }
    }
    // Unknown `response-*` names are no overrides, and authorization comes first.
    assert_eq!(
        get(&p, "/demo/public-data/cities.csv", "response-x-other=1").0.status,
        200
    );
    assert_eq!(
        get(
            &p,
            "/demo/restricted-data/secret.csv",
            "response-content-type=text%2Fhtml"
        )
        .0
        .status,
        404
    );
    assert_eq!(p.backend_calls.get(), 1, "a refused override costs no backend call");
}

#[test]
fn preflight_and_cors_on_errors() {
    let p = sample();
    let req = Request::new("OPTIONS", "/demo/public-data/cities.csv", "")
        .with_header("Origin", "http://app.localhost")
        .with_header("Access-Control-Request-Method", "GET")
        .with_header("Access-Control-Request-Headers", "range,authorization");
    let (r, _) = run(&p, req);
    assert_eq!(r.status, 204);
    assert_eq!(
        r.headers.get("access-control-allow-headers"),
        Some("range,authorization")
    );
    assert_eq!(r.headers.get("access-control-allow-origin"), Some("*"));
    let (r, _) = run(
        &p,
        Request::new("GET", "/demo/public-data/nope", "").with_header("Origin", "http://a"),
    );
    assert_eq!(r.headers.get("access-control-allow-origin"), Some("*"));
    assert!(r.headers.get("x-amz-request-id").is_some());
}

#[test]
fn account_operations() {
    let p = sample();
    let (r, _) = run(&p, Request::new("HEAD", "/demo", ""));
    assert_eq!(r.status, 200);
    let (r, _) = run(&p, Request::new("HEAD", "/nobody", ""));
    assert_eq!(r.status, 404);
    let (r, body) = get(&p, "/demo", "location");
    assert_eq!(r.status, 200);
    assert!(body.contains("<LocationConstraint"));
    let (r, body) = get(&p, "/", "");
    assert_eq!(r.status, 200);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["catalog"], "static");
}

#[test]
fn invalid_catalog_is_503_without_detail() {
    let p = sample();
    let cfg = Isolate::from_env(&|n| (n == "STATIC_CATALOG").then(|| "{\"backends\": 7}".to_string()));
    let mut r = block_on(handle(
        &p,
        &cfg,
        Request::new("GET", "/demo/public-data/cities.csv", ""),
    ));
    assert_eq!(r.status, 503);
    let Body::Bytes(b) = std::mem::replace(&mut r.body, Body::Empty) else {
        panic!("xml body expected")
    };
    let body = String::from_utf8(b).unwrap();
    assert!(
        body.contains("ServiceUnavailable") && !body.contains("STATIC_CATALOG"),
        "{body}"
    );
    assert!(
        p.logs.borrow().iter().any(|l| l.contains("STATIC_CATALOG")),
        "the reason is logged"
    );
}

#[test]
fn sts_and_well_known_until_their_issues_land() {
    let p = sample();
    assert_eq!(get(&p, "/.sts", "").0.status, 501);
    assert_eq!(get(&p, "/.well-known/jwks.json", "").0.status, 404);
    let req =
        Request::new("GET", "/demo/public-data/cities.csv", "").with_header("Authorization", "AWS4-HMAC-SHA256 x");
    let (r, body) = run(&p, req);
    assert_eq!(r.status, 400);
    assert!(String::from_utf8_lossy(&body).contains("AuthorizationHeaderMalformed"));
    assert_eq!(p.backend_calls.get(), 0);
}

#[test]
fn provider_documents_when_configured_404_otherwise() {
    let p = sample();
    assert_eq!(get(&p, "/.well-known/openid-configuration", "").0.status, 404);
    let pem = testing::keys::RSA_PEM.to_string();
    let cfg = Isolate::from_env(&move |n| match n {
        "OIDC_PROVIDER_ISSUER" => Some("https://proxy.example".into()),
        "OIDC_PROVIDER_KID" => Some("k1".into()),
        "OIDC_PROVIDER_KEY" => Some(pem.clone()),
        _ => None,
    });
    let fetch = |path: &str| {
        let mut r = block_on(handle(&p, &cfg, Request::new("GET", path, "")));
        let Body::Bytes(b) = std::mem::replace(&mut r.body, Body::Empty) else {
            panic!("json body expected")
        };
        (r, serde_json::from_slice::<serde_json::Value>(&b).unwrap())
    };
    let (r, d) = fetch("/.well-known/openid-configuration");
    assert_eq!(r.status, 200);
    assert_eq!(d["issuer"], "https://proxy.example");
    assert_eq!(d["jwks_uri"], "https://proxy.example/.well-known/jwks.json");
    assert!(r.headers.get("cache-control").is_some_and(|c| c.contains("max-age")));
    let (r, j) = fetch("/.well-known/jwks.json");
    assert_eq!(r.status, 200);
    assert_eq!(
        (j["keys"][0]["kid"].as_str(), j["keys"][0]["alg"].as_str()),
        (Some("k1"), Some("RS256"))
    );
    // The published key is the one in the fixture JWKS (same PEM): a relying party can verify.
    let fixture: serde_json::Value = serde_json::from_str(testing::keys::JWKS).unwrap();
    assert_eq!(j["keys"][0]["n"], fixture["keys"][0]["n"]);
    let (_, doc) = fetch("/");
    assert_eq!(
        (doc["issuer"].as_str(), doc["features"]["oidc_provider"].as_bool()),
        (Some("https://proxy.example"), Some(true))
    );
}

use super::*;

fn r(method: &str, path: &str, query: &str) -> Result<Route> {
    let req = Request::new(method, path, query);
    route(&req, &Query::parse(query).unwrap())
}

fn obj(key: &str) -> Route {
    Route::Object {
        account: "demo".into(),
        product: "p".into(),
        key: key.into(),
    }
}

#[test]
fn routes_s2_table() {
    assert_eq!(r("OPTIONS", "/x/y", ""), Ok(Route::Preflight));
    assert_eq!(r("GET", "/", ""), Ok(Route::Root));
    assert_eq!(r("GET", "/.sts", ""), Ok(Route::Sts));
    assert_eq!(r("POST", "/.sts/", ""), Ok(Route::Sts));
    assert_eq!(r("POST", "/", "Action=AssumeRoleWithWebIdentity"), Ok(Route::Sts));
    // Every method and subpath: the STS answers them all, in its shape.
    assert_eq!(r("PUT", "/.sts", ""), Ok(Route::Sts));
    assert_eq!(r("OPTIONS", "/.sts/", ""), Ok(Route::Sts));
    assert_eq!(r("GET", "/%2Ests/x", ""), Ok(Route::Sts));
    assert_eq!(r("GET", "/.stsx", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "/.well-known/jwks.json", ""), Ok(Route::WellKnown));
    assert_eq!(
        r("HEAD", "/demo", ""),
        Ok(Route::HeadAccount { account: "demo".into() })
    );
    assert_eq!(
        r("GET", "/demo", "location"),
        Ok(Route::Location { account: "demo".into() })
    );
    assert_eq!(
        r("GET", "/demo/", "list-type=2"),
        Ok(Route::ListAccount { account: "demo".into() })
    );
    let lp = Route::ListProduct {
        account: "demo".into(),
        product: "p".into(),
    };
    assert_eq!(r("GET", "/demo/p", "list-type=2"), Ok(lp.clone()));
    assert_eq!(r("GET", "/demo/p/", "prefix=a"), Ok(lp));
    // Without listing parameters, S3 clients mean the object `p` of bucket `demo`.
    let np = Route::ProductPath { account: "demo".into() };
    assert_eq!(r("HEAD", "/demo/p", ""), Ok(np.clone()));
    assert_eq!(r("HEAD", "/demo/p/", "list-type=2"), Ok(np.clone()));
    assert_eq!(r("GET", "/demo/p", ""), Ok(np));
    assert_eq!(r("GET", "/demo/p/a/b.csv", ""), Ok(obj("a/b.csv")));
}

#[test]
fn keys_are_decoded_once() {
    assert_eq!(r("GET", "/demo/p/a%20b%2Bc+d%25e", ""), Ok(obj("a b+c+d%e")));
    assert_eq!(r("GET", "/demo/p/amp%26hash%23q%3F", ""), Ok(obj("amp&hash#q?")));
    assert_eq!(r("GET", "/demo/p//lead", ""), Ok(obj("/lead")));
}

#[test]
fn an_encoded_slash_after_the_product_separates_it_from_the_key() {
    // S3 path style: the bucket (here the account) is the first segment as
    // received, the key is the rest decoded, `%2F` included; product and key
    // are the two sides of the key's first `/`.
    assert_eq!(r("GET", "/demo/p%2Fa%2Fb.csv", ""), Ok(obj("a/b.csv")));
    assert_eq!(r("HEAD", "/demo/p%2fa/b.csv", ""), Ok(obj("a/b.csv")));
    assert_eq!(r("GET", "/demo/p%2F%2Flead", ""), Ok(obj("/lead")));
    // Whatever follows, the product is the part before the first `/`.
    assert_eq!(r("GET", "/demo/p%2F..%2Fq%2Fk", ""), Ok(obj("../q/k")));
    let lp = Route::ListProduct {
        account: "demo".into(),
        product: "p".into(),
    };
    assert_eq!(r("GET", "/demo/p%2F", "list-type=2"), Ok(lp));
    let np = Route::ProductPath { account: "demo".into() };
    assert_eq!(r("GET", "/demo/p%2F", ""), Ok(np.clone()));
    assert_eq!(r("HEAD", "/demo/p%2F", "prefix=a"), Ok(np));
    // The bucket itself is never split: `demo/p` is no account name.
    assert_eq!(r("GET", "/demo%2Fp/k", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "/demo%2F", "list-type=2"), Err(ProxyError::NoSuchBucket));
    for bad in ["/demo/%2Fk", "/demo/P%2Fk", "/demo/p%2Fk%zz", "/demo/%2E%2E%2Fp%2Fk"] {
        assert!(r("GET", bad, "").is_err(), "{bad}");
    }
    // The limit counts the decoded key, however its `/` was sent.
    let room = MAX_KEY_BYTES - 2;
    assert!(r("GET", &format!("/demo/p%2F{}", "k".repeat(room)), "").is_ok());
    assert_eq!(
        r("GET", &format!("/demo/p%2F{}", "k".repeat(room + 1)), ""),
        Err(ProxyError::KeyTooLong)
    );
}

#[test]
fn writes_are_405() {
    for m in ["PUT", "POST", "DELETE", "PATCH"] {
        assert_eq!(r(m, "/demo/p/k", ""), Err(ProxyError::MethodNotAllowed), "{m}");
        assert_eq!(r(m, "/demo", ""), Err(ProxyError::MethodNotAllowed), "{m}");
    }
    assert_eq!(r("PUT", "/", ""), Err(ProxyError::MethodNotAllowed));
    assert_eq!(
        r("DELETE", "/.well-known/jwks.json", ""),
        Err(ProxyError::MethodNotAllowed)
    );
}

#[test]
fn bad_paths_get_clean_errors() {
    assert_eq!(r("GET", "/demo/p/%zz", ""), Err(ProxyError::InvalidUri));
    assert_eq!(r("GET", "/demo/p/%", ""), Err(ProxyError::InvalidUri));
    assert_eq!(r("GET", "/Demo/p/k", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "/demo//k", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "//demo/p/k", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "///demo", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "//", ""), Err(ProxyError::NoSuchBucket));
    assert_eq!(r("GET", "/.hidden/x", ""), Err(ProxyError::NoSuchBucket));
    assert!(matches!(
        r("GET", "/demo/p/k", "acl"),
        Err(ProxyError::NotImplemented(_))
    ));
}

/// `n` bytes of key made of 1-, 2-, 3- and 4-byte characters, percent-encoded
/// as an SDK sends it: only a byte count gets the limit right.
fn key_of(n: usize) -> (String, String) {
    let mut key = String::new();
    for c in ['日', 'é', '😀'].iter().cycle() {
        if key.len() + c.len_utf8() > n - 3 {
            break;
        }
        key.push(*c);
    }
    while key.len() < n {
        key.push('k');
    }
    let encoded = percent_encoding::utf8_percent_encode(&key, percent_encoding::NON_ALPHANUMERIC).to_string();
    (key, encoded)
}

#[test]
fn the_limit_is_on_the_key_the_client_sees() {
    // For S3 clients the bucket is the account and the key is `{product}/{key}`.
    for product in ["p", "public-data"] {
        let room = MAX_KEY_BYTES - product.len() - 1;
        for n in [room - 1, room] {
            let (key, enc) = key_of(n);
            let want = Route::Object {
                account: "demo".into(),
                product: product.into(),
                key,
            };
            assert_eq!(
                r("GET", &format!("/demo/{product}/{enc}"), ""),
                Ok(want),
                "{product} {n}"
            );
        }
        let (_, enc) = key_of(room + 1);
        for m in ["GET", "HEAD"] {
            assert_eq!(
                r(m, &format!("/demo/{product}/{enc}"), ""),
                Err(ProxyError::KeyTooLong),
                "{product}"
            );
        }
    }
}

#[test]
fn names_follow_s1() {
    assert!(valid_name("a"));
    assert!(valid_name("public-data.v2_x"));
    assert!(!valid_name(""));
    assert!(!valid_name("-a"));
    assert!(!valid_name(&"a".repeat(64)));
    assert!(!valid_name("a b"));
}

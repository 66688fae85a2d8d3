use super::*;

fn conn(json: &str) -> ApiDataConnection {
    parse_data_connection(json.as_bytes()).unwrap()
}

const PRODUCT: &str = r#"{"product_id":"p","account_id":"acme","disabled":false,"visibility":"public",
        "title":"extra fields are fine","metadata":{"primary_mirror":"m","tags":[1],
        "mirrors":{"m":{"connection_id":"c","prefix":"acme/p/","storage_type":"s3","is_primary":true}}}}"#;

#[test]
fn product_parses_with_extra_fields() {
    let p = parse_product(PRODUCT.as_bytes()).unwrap();
    assert_eq!(p.primary_mirror().unwrap().connection_id, "c");
    assert!(p.check_identity("acme", "p").is_ok());
    assert!(p.check_identity("acme", "q").is_err());
    assert!(p.check_identity("other", "p").is_err());
}

#[test]
fn product_is_strict_on_what_it_needs() {
    let bad = [
        "",
        "[]",
        "null",
        r#"{"product_id":"p","visibility":"public","metadata":{}}"#,
        r#"{"product_id":"p","disabled":"no","visibility":"public","metadata":{}}"#,
        r#"{"product_id":1,"disabled":false,"visibility":"public","metadata":{}}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"secret","metadata":{}}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"public"}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{}}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{"primary_mirror":"x","mirrors":{}}}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{"primary_mirror":"m","mirrors":{"m":{"prefix":"x"}}}}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"public","metadata":{"primary_mirror":"m","mirrors":{"m":{"connection_id":"c"}}}}"#,
        r#"{"product_id":"p","disabled":false,"visibility":"public","account_id":5,"metadata":{"primary_mirror":"m","mirrors":{"m":{"connection_id":"c","prefix":""}}}}"#,
    ];
    for b in bad {
        assert!(parse_product(b.as_bytes()).is_err(), "{b}");
    }
    // A disabled product needs no mirror (it is treated as missing anyway).
    let disabled = r#"{"product_id":"p","disabled":true,"visibility":"public","metadata":{}}"#;
    assert!(parse_product(disabled.as_bytes()).unwrap().disabled);
}

#[test]
fn list_summaries_skip_disabled_and_odd_names() {
    let json = r#"{"products":[
            {"product_id":"b","disabled":false,"visibility":"public","metadata":{}},
            {"product_id":"a-b","disabled":false,"visibility":"unlisted","metadata":{}},
            {"product_id":"a","disabled":false,"visibility":"restricted","metadata":{}},
            {"product_id":"gone","disabled":true,"visibility":"public","metadata":{}},
            {"product_id":"../x","disabled":false,"visibility":"public","metadata":{}},
            {"product_id":"a/b","disabled":false,"visibility":"public","metadata":{}},
            {"product_id":"b","disabled":false,"visibility":"public","metadata":{}}],"next":null}"#;
    let names: Vec<String> = parse_product_list(json.as_bytes())
        .unwrap()
        .summaries()
        .into_iter()
        .map(|p| p.name)
        .collect();
    // "a-b/" < "a/" in byte order, as the keys sort.
    assert_eq!(names, ["a-b", "a", "b"]);
    assert!(parse_product_list(b"{\"products\":{}}").is_err());
    assert!(parse_product_list(b"{}").is_err());
    assert!(parse_product_list(br#"{"products":[{"product_id":"x"}]}"#).is_err());
}

#[test]
fn prefixes_are_joined_and_normalised() {
    let cases = [
        ("", "", ""),
        ("", "acme/p/", "acme/p/"),
        ("base", "acme/p", "base/acme/p/"),
        ("/base/", "/acme//p/", "base/acme/p/"),
        ("base//", "", "base/"),
        ("a b/%2F", "x+y=z", "a b/%2F/x+y=z/"),
    ];
    for (b, m, want) in cases {
        assert_eq!(join_prefix(b, m).unwrap(), want, "{b:?} {m:?}");
    }
    for (b, m) in [("..", "x"), ("a", "./b"), ("a", "b/../../c")] {
        assert!(join_prefix(b, m).is_err());
    }
}

#[test]
fn s3_connection_maps_to_backend_and_prefix() {
    let c = conn(
        r#"{"data_connection_id":"c","read_only":true,"name":"x","details":{"provider":"s3",
            "bucket":"bkt","region":"eu-west-1","base_prefix":"base/"}}"#,
    );
    match c.to_backend(Visibility::Public, None) {
        Backend::S3(s) => {
            assert_eq!(s.endpoint, "https://s3.eu-west-1.amazonaws.com");
            assert_eq!((s.bucket.as_str(), s.region.as_str()), ("bkt", "eu-west-1"));
            assert!(s.credentials.is_none());
        }
        other => panic!("{other:?}"),
    }
    let p = parse_product(PRODUCT.as_bytes()).unwrap();
    let prod = p.to_product(&c, Vec::new()).unwrap();
    assert_eq!(prod.prefix, "base/acme/p/");
    assert_eq!((prod.name.as_str(), prod.backend.as_str()), ("p", "c"));
    assert_eq!(prod.visibility, Visibility::Public);

    let with_endpoint = conn(
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3",
            "bucket":"bkt","region":"auto","base_prefix":"","endpoint":"http://127.0.0.1:9000/"}}"#,
    );
    match with_endpoint.to_backend(Visibility::Public, None) {
        Backend::S3(s) => assert_eq!(
            (s.endpoint.as_str(), s.region.as_str()),
            ("http://127.0.0.1:9000", "auto")
        ),
        other => panic!("{other:?}"),
    }
    // The mirror must point at this connection.
    let other =
        conn(r#"{"data_connection_id":"d","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r"}}"#);
    assert!(p.to_product(&other, Vec::new()).is_err());
}

#[test]
fn gcs_az_and_unknown_providers() {
    let gcs = conn(
        r#"{"data_connection_id":"g","read_only":true,"details":{"provider":"gcs","bucket":"gb","base_prefix":""}}"#,
    );
    match gcs.to_backend(Visibility::Public, None) {
        Backend::S3(s) => assert_eq!(s.endpoint, "https://storage.googleapis.com"),
        other => panic!("{other:?}"),
    }
    let az = conn(
        r#"{"data_connection_id":"z","read_only":true,"details":{"provider":"az","account_name":"acct",
            "container_name":"c","region":"westeurope","base_prefix":""}}"#,
    );
    assert!(matches!(az.to_backend(Visibility::Public, None), Backend::Unavailable(r) if r.contains("azure")));
    let unknown = conn(r#"{"data_connection_id":"u","read_only":true,"details":{"provider":"ftp"}}"#);
    assert!(matches!(unknown.to_backend(Visibility::Public, None), Backend::Unavailable(r) if r.contains("ftp")));
}

#[test]
fn restricted_product_is_never_read_unsigned() {
    let c = conn(
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"us-east-1"},
            "authentication":{"type":"s3_access_key","access_key_id":"AKIA","secret_access_key":"TOPSECRET"}}"#,
    );
    assert!(
        !format!("{c:?}").contains("TOPSECRET"),
        "secrets are dropped while parsing"
    );
    // Declared authentication without the proxy's own keys: nothing is readable.
    assert!(
        matches!(c.to_backend(Visibility::Restricted, None), Backend::Unavailable(r) if r.contains("s3_access_key"))
    );
    assert!(matches!(
        c.to_backend(Visibility::Public, None),
        Backend::Unavailable(_)
    ));
    let keys = Credentials {
        access_key_id: "AKIAPROXY".into(),
        secret_access_key: "proxy-secret".to_string().into(),
        session_token: None,
    };
    match c.to_backend(Visibility::Restricted, Some(&keys)) {
        Backend::S3(b) => assert_eq!(b.credentials.unwrap().access_key_id, "AKIAPROXY"),
        other => panic!("{other:?}"),
    }
    let public = conn(
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"us-east-1"}}"#,
    );
    assert!(matches!(public.to_backend(Visibility::Public, None), Backend::S3(b) if b.credentials.is_none()));
    assert!(matches!(public.to_backend(Visibility::Unlisted, None), Backend::S3(b) if b.credentials.is_none()));
    assert!(
        matches!(public.to_backend(Visibility::Restricted, None), Backend::Unavailable(r) if r.contains("unsigned"))
    );
    assert!(
        matches!(public.to_backend(Visibility::Restricted, Some(&keys)), Backend::S3(b) if b.credentials.is_some())
    );
}

#[test]
fn connections_are_strict_on_what_they_need() {
    let bad = [
        r#"{"read_only":true,"details":{"provider":"s3","bucket":"b","region":"r"}}"#,
        r#"{"data_connection_id":"c","details":{"provider":"s3","bucket":"b","region":"r"}}"#,
        r#"{"data_connection_id":"c","read_only":true}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"bucket":"b"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":7,"region":"r"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","region":"r"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b/x","region":"r"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"evil.com/x"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"ftp://h"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"https://u@h"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"https://h/path"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","endpoint":"https://h?x"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r","base_prefix":"../x"}}"#,
        r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":"b","region":"r"},"authentication":"x"}"#,
    ];
    for b in bad {
        assert!(parse_data_connection(b.as_bytes()).is_err(), "{b}");
    }
}

#[test]
fn permissions() {
    let p = parse_permissions(br#"["write","read"]"#).unwrap();
    assert!(p.can_read());
    assert_eq!(p.grants_for("https://idp", "alice").len(), 1);
    assert!(p.grants_for("https://idp", "alice")[0].matches("https://idp", "alice", &[]));
    let none = parse_permissions(b"[]").unwrap();
    assert!(!none.can_read() && none.grants_for("i", "s").is_empty());
    for bad in [&b"{}"[..], b"[1]", b"\"read\"", b"null", b"["] {
        assert!(parse_permissions(bad).is_err());
    }
}

/// Hand-read (src/json.rs): repeated keys refused, extra fields tolerated, every refusal
/// naming the field's path.
#[test]
fn answers_name_the_bad_field() {
    let err = |r: Result<(), ModelError>| crate::error::chain(&r.unwrap_err());
    let product = |b: &str| err(parse_product(b.as_bytes()).map(|_| ()));
    let conn_err = |b: &str| err(parse_data_connection(b.as_bytes()).map(|_| ()));
    // Repeated keys, at any depth.
    let e = product(&PRODUCT.replace(r#""disabled":false,"#, r#""disabled":false,"disabled":true,"#));
    assert!(e.starts_with("invalid product JSON: repeated key \"disabled\""), "{e}");
    let e = product(&PRODUCT.replace(r#""prefix":"acme/p/","#, r#""prefix":"acme/p/","prefix":"other/","#));
    assert!(e.contains("repeated key \"prefix\""), "{e}");
    let e = conn_err(r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","provider":"az"}}"#);
    assert!(e.contains("repeated key \"provider\""), "{e}");
    let e = err(parse_permissions(br#"{"a":1,"a":2}"#).map(|_| ()));
    assert!(e.contains("repeated key"), "{e}");
    // Wrong types and missing fields, by path.
    let e = product(&PRODUCT.replace(r#""connection_id":"c""#, r#""connection_id":7"#));
    assert_eq!(
        e,
        "invalid product JSON: metadata.mirrors.m.connection_id: expected a string"
    );
    let e = product(&PRODUCT.replace(r#""disabled":false"#, r#""disabled":0"#));
    assert_eq!(e, "invalid product JSON: disabled: expected true or false");
    let e = product(&PRODUCT.replace(r#""visibility":"public","#, ""));
    assert_eq!(e, "invalid product JSON: visibility: missing");
    let e =
        err(parse_product_list(format!(r#"{{"products":[{PRODUCT},{{"product_id":"q"}}]}}"#).as_bytes()).map(|_| ()));
    assert_eq!(e, "invalid product list JSON: products[1].disabled: missing");
    let e = conn_err(r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3","bucket":["b"]}}"#);
    assert_eq!(e, "invalid data connection JSON: details.bucket: expected a string");
    let e = conn_err(r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"s3"},"authentication":"k"}"#);
    assert_eq!(e, "invalid data connection JSON: authentication: expected an object");
    let e = err(parse_permissions(br#"["read", 1]"#).map(|_| ()));
    assert_eq!(e, "invalid permissions JSON: [1]: expected a string");
    // Extra fields stay tolerated; `null` is an absent optional field.
    let c = conn(
        r#"{"data_connection_id":"c","read_only":true,"new":1,"details":{"provider":"s3","bucket":"b","region":null,"endpoint":"https://h","x":[]},"authentication":{"type":"s3_access_key","access_key_id":"AKIA","secret_access_key":"TOPSECRET"}}"#,
    );
    assert_eq!(c.details.region, None);
    assert_eq!(c.authentication.and_then(|a| a.kind).as_deref(), Some("s3_access_key"));
    let c = conn(r#"{"data_connection_id":"c","read_only":true,"details":{"provider":"az"},"authentication":null}"#);
    assert!(c.authentication.is_none());
}

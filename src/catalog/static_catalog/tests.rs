use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn default_catalog_parses() {
    let c = StaticCatalog::parse(DEFAULT_JSON, &no_env).unwrap();
    let r = c.resolve("demo", "public-data").unwrap();
    assert_eq!(r.product.visibility, Visibility::Public);
    assert!(matches!(r.backend, Backend::R2 { binding } if binding == "DATA"));
    assert_eq!(
        c.resolve("demo", "restricted-data").unwrap().product.visibility,
        Visibility::Restricted
    );
    assert!(c.resolve("demo", "nope").is_none());
    let grants = &c.resolve("demo", "restricted-data").unwrap().product.grants;
    assert!(grants.iter().any(|g| g.matches("http://127.0.0.1:8788", "alice", &[])));
    assert!(!grants.iter().any(|g| g.matches("http://127.0.0.1:8788", "bob", &[])));
    assert!(!grants.iter().any(|g| g.matches("https://elsewhere", "alice", &[])));
}

#[test]
fn s3_backend_with_secrets() {
    let json = r#"{"backends":{"m":{"type":"s3","endpoint":"http://127.0.0.1:9000/","bucket":"b",
            "access_key_id_var":"K","secret_access_key_var":"S"}},
            "accounts":{"a":{"products":{"p":{"visibility":"public","backend":"m","prefix":"x/"}}}}}"#;
    let env = |n: &str| Some(format!("{n}-value"));
    let c = StaticCatalog::parse(json, &env).unwrap();
    match c.resolve("a", "p").unwrap().backend {
        Backend::S3(s) => {
            assert_eq!(s.endpoint, "http://127.0.0.1:9000");
            assert_eq!(s.region, "us-east-1");
            let creds = s.credentials.as_ref().unwrap();
            assert_eq!(creds.access_key_id, "K-value");
            assert!(!format!("{creds:?}").contains("S-value"), "secret must not reach Debug");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Without the secrets the backend is unavailable, the catalog still loads.
    let c = StaticCatalog::parse(json, &no_env).unwrap();
    assert_eq!(c.unavailable_backends().len(), 1);
}

#[test]
fn rejects_bad_documents() {
    let cases = [
        "not json",
        r#"{"accounts":{"a":{"products":{"p":{"visibility":"public","backend":"nope"}}}}}"#,
        r#"{"accounts":{"A":{"products":{}}}}"#,
        r#"{"backends":{"x":{"type":"r2","binding":""}}}"#,
        r#"{"backends":{"x":{"type":"s3","endpoint":"ftp://h","bucket":"b"}}}"#,
        r#"{"backends":{"x":{"type":"s3","endpoint":"http://h","bucket":"b","access_key_id_var":"K"}}}"#,
        r#"{"backends":{"x":{"type":"gcs"}}}"#,
        r#"{"accounts":{"a":{"products":{"p":{"visibility":"secret","backend":"x"}}}}}"#,
        r#"{"acounts":{}}"#,
        r#"{"backends":{"b":{"type":"r2","binding":"D"}},"accounts":{"a":{"products":{"p":{"visibility":"restricted","backend":"b","grants":[{"issuer":"i"}]}}}}}"#,
        r#"{"backends":{"b":{"type":"r2","binding":"D"}},"accounts":{"a":{"products":{"p":{"visibility":"restricted","backend":"b","grants":[{"issuer":"i","subject":"s","claim":"c","equals":"v"}]}}}}}"#,
    ];
    for json in cases {
        assert!(StaticCatalog::parse(json, &no_env).is_err(), "{json}");
    }
}

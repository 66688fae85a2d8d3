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

/// Hand-read (src/json.rs): every refusal names the field's path, never a value.
#[test]
fn bad_fields_are_named_by_path() {
    let err = |json: &str| chain_of(StaticCatalog::parse(json, &no_env).map(|_| ()).unwrap_err());
    let p = |product: &str| {
        format!(
            r#"{{"backends":{{"b":{{"type":"r2","binding":"D"}}}},"accounts":{{"a":{{"products":{{"p":{product}}}}}}}}}"#
        )
    };
    // Repeated keys, at any depth (serde's derive refused them in its structs).
    let e = err(r#"{"accounts":{},"accounts":{}}"#);
    assert!(e.contains("repeated key \"accounts\""), "{e}");
    let e = err(&p(
        r#"{"visibility":"public","backend":"b","prefix":"x/","prefix":"y/"}"#,
    ));
    assert!(e.contains("repeated key \"prefix\""), "{e}");
    let e = err(r#"{"backends":{"b":{"type":"r2","binding":"D"},"b":{"type":"r2","binding":"E"}}}"#);
    assert!(e.contains("repeated key \"b\""), "{e}");
    // Wrong types.
    let e = err(&p(r#"{"visibility":"public","backend":"b","prefix":7}"#));
    assert!(e.ends_with("accounts.a.products.p.prefix: expected a string"), "{e}");
    let e = err(&p(r#"{"visibility":"public","backend":"b","cache":{"ttl_secs":-1}}"#));
    assert!(
        e.contains("accounts.a.products.p.cache.ttl_secs: expected an integer"),
        "{e}"
    );
    let e = err(&p(
        r#"{"visibility":"public","backend":"b","grants":[{"issuer":"i","subject":"s"},{"issuer":1}]}"#,
    ));
    assert!(
        e.contains("accounts.a.products.p.grants[1].issuer: expected a string"),
        "{e}"
    );
    let e = err(
        r#"{"backends":{"x":{"type":"s3","endpoint":"https://h","bucket":"b","web_identity":{"role_arn":"r","sts_endpoint":"https://s","duration_secs":"3600"}}}}"#,
    );
    assert!(
        e.contains("backends.x.web_identity.duration_secs: expected an integer"),
        "{e}"
    );
    let e = err(r#"{"backends":[]}"#);
    assert!(e.ends_with("backends: expected an object"), "{e}");
    let e = err(&p(r#"{"visibility":"public","backend":"b","prefix":null}"#));
    assert!(e.contains("prefix: expected a string"), "{e}");
    // Unknown fields, at every level.
    let e = err(&p(r#"{"visibility":"public","backend":"b","TOPSECRET":1}"#));
    assert!(e.ends_with("accounts.a.products.p.TOPSECRET: unknown field"), "{e}");
    let e = err(r#"{"backends":{"x":{"type":"r2","binding":"D","bucket":"b"}}}"#);
    assert!(e.ends_with("backends.x.bucket: unknown field"), "{e}");
    let e = err(
        r#"{"backends":{"x":{"type":"s3","endpoint":"https://h","bucket":"b","web_identity":{"role_arn":"r","sts_endpoint":"https://s","extra":1}}}}"#,
    );
    assert!(e.ends_with("backends.x.web_identity.extra: unknown field"), "{e}");
    let e = err(&p(r#"{"visibility":"public","backend":"b","cache":{"ttl":5}}"#));
    assert!(e.ends_with("cache.ttl: unknown field"), "{e}");
    // Missing fields.
    let e = err(&p(r#"{"backend":"b"}"#));
    assert!(e.ends_with("accounts.a.products.p.visibility: missing"), "{e}");
    let e = err(r#"{"backends":{"x":{"type":"s3","endpoint":"https://h"}}}"#);
    assert!(e.ends_with("backends.x.bucket: missing"), "{e}");
    let e = err(r#"{"backends":{"x":{"binding":"D"}}}"#);
    assert!(e.ends_with("backends.x.type: missing"), "{e}");
    // What stays optional: title (a string or null), prefix, grants, cache.
    assert!(StaticCatalog::parse(&p(r#"{"visibility":"public","backend":"b","title":null}"#), &no_env).is_ok());
    let c = StaticCatalog::parse(
        &p(r#"{"visibility":"unlisted","backend":"b","title":"T","cache":{"ttl_secs":null,"generation":3}}"#),
        &no_env,
    )
    .unwrap();
    let prod = c.resolve("a", "p").unwrap().product;
    assert_eq!(
        (
            prod.visibility,
            prod.prefix.as_str(),
            prod.cache.ttl_secs,
            prod.cache.generation
        ),
        (Visibility::Unlisted, "", None, 3)
    );
}

fn chain_of(e: StaticCatalogError) -> String {
    crate::error::chain(&e)
}

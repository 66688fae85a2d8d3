use super::*;

fn load(vars: &[(&str, &str)], provider: bool) -> (Result<Catalog, String>, Vec<String>) {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let env = move |n: &str| vars.get(n).cloned();
    let mut w = Vec::new();
    let needs = Needs {
        allow_loopback_http: true,
        provider,
    };
    (from_env(&env, &needs, &mut w).map_err(|e| chain(&e)), w)
}

#[test]
fn catalog_url_selects_http() {
    let (c, w) = load(
        &[
            ("CATALOG_URL", "http://127.0.0.1:9/"),
            ("CATALOG_TIMEOUT_MS", "1500"),
            ("CATALOG_CACHE", "off"),
            ("STATIC_CATALOG", "{}"),
        ],
        true,
    );
    let Ok(Catalog::Http(h)) = c else { panic!("{c:?}") };
    assert_eq!(h.base_url(), "http://127.0.0.1:9");
    assert_eq!(h.audience(), "http://127.0.0.1:9", "aud defaults to the base URL");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("STATIC_CATALOG is ignored"));
    let (c, _) = load(
        &[("CATALOG_URL", "https://api.example"), ("CATALOG_AUDIENCE", "cat")],
        true,
    );
    let Ok(Catalog::Http(h)) = c else { panic!() };
    assert_eq!(h.audience(), "cat");
    let (c, _) = load(&[], true);
    assert!(matches!(c, Ok(Catalog::Static(_))));
}

#[test]
fn http_catalog_fails_closed() {
    let (c, w) = load(&[("CATALOG_URL", "https://api.example")], false);
    assert!(c.unwrap_err().contains("OIDC provider"));
    assert!(w.iter().any(|w| w.starts_with("catalog disabled")));
    let (c, _) = load(&[("CATALOG_URL", "ftp://api.example")], true);
    assert!(c.is_err());
    let (c, _) = load(
        &[
            ("CATALOG_URL", "https://api.example"),
            ("CATALOG_CONNECTION_KEYS", "{\"c\": \"TOPSECRET\"}"),
        ],
        true,
    );
    let e = c.unwrap_err();
    assert!(e.contains("CATALOG_CONNECTION_KEYS") && !e.contains("TOPSECRET"), "{e}");
}

#[test]
fn bad_tuning_values_warn_and_use_defaults() {
    let (c, w) = load(
        &[
            ("CATALOG_URL", "https://api.example"),
            ("CATALOG_TIMEOUT_MS", "50"),
            ("CATALOG_CACHE", "maybe"),
        ],
        true,
    );
    assert!(matches!(c, Ok(Catalog::Http(_))));
    assert_eq!(w.len(), 2, "{w:?}");
}

#[test]
fn connection_keys_parse_and_hide_secrets() {
    let k = connection_keys(r#"{"acme-s3": {"access_key_id": " AKIA ", "secret_access_key": "s3cr3t"}}"#).unwrap();
    assert_eq!(k["acme-s3"].access_key_id, "AKIA");
    assert_eq!(k["acme-s3"].secret_access_key.expose(), "s3cr3t");
    assert!(!format!("{k:?}").contains("s3cr3t"));
    for bad in [
        r#"{"c": {"access_key_id": "", "secret_access_key": "s"}}"#,
        r#"{"c": {"access_key_id": "a"}}"#,
        r#"{"c": {"access_key_id": "a", "secret_access_key": "s", "extra": 1}}"#,
        r#"[]"#,
    ] {
        assert!(connection_keys(bad).is_err(), "{bad}");
    }
}

/// Read by hand (src/json.rs): every refusal names where, never a key or a secret.
#[test]
fn connection_keys_name_the_bad_field() {
    let err = |json: &str| connection_keys(json).unwrap_err().to_string();
    let ok = r#""a": {"access_key_id": "AKIA", "secret_access_key": "TOPSECRET"}"#;
    // Repeated keys: a connection, or a field of one.
    let e = err(&format!("{{{ok}, {ok}}}"));
    assert!(
        e.starts_with("CATALOG_CONNECTION_KEYS: a key is repeated (line 1, column "),
        "{e}"
    );
    let e = err(r#"{"a": {"access_key_id": "AKIA", "TOPSECRET": 1, "TOPSECRET": 2}}"#);
    assert!(
        e.starts_with("CATALOG_CONNECTION_KEYS: a key is repeated (line 1, column "),
        "{e}"
    );
    assert!(!e.contains("TOPSECRET"), "{e}");
    // Wrong types, unknown and missing fields.
    let e = err(r#"{"a": {"access_key_id": "AKIA", "secret_access_key": ["TOPSECRET"]}}"#);
    assert_eq!(e, "CATALOG_CONNECTION_KEYS: a.secret_access_key: expected a string");
    let e = err(r#"{"a": {"access_key_id": "AKIA", "secret_access_key": "TOPSECRET", "session_token": 5}}"#);
    assert_eq!(e, "CATALOG_CONNECTION_KEYS: a.session_token: expected a string");
    let e = err(r#"{"a": {"access_key_id": "AKIA", "secret_access_key": "s", "TOPSECRET": "x"}}"#);
    assert_eq!(
        e,
        "CATALOG_CONNECTION_KEYS: a: a field other than access_key_id, secret_access_key, session_token"
    );
    let e = err(r#"{"a": {"secret_access_key": "TOPSECRET"}}"#);
    assert_eq!(e, "CATALOG_CONNECTION_KEYS: a.access_key_id: missing");
    let e = err(r#"{"a": "TOPSECRET"}"#);
    assert_eq!(e, "CATALOG_CONNECTION_KEYS: a: expected an object");
    assert_eq!(err("[]"), "CATALOG_CONNECTION_KEYS: expected an object");
    // Not JSON: the place only.
    assert!(connection_keys("{\"a\": TOPSECRET}").unwrap_err() == ConnectionKeysError::Shape { line: 1, column: 7 });
    // A null session token is none.
    let k = connection_keys(r#"{"a": {"access_key_id": "AKIA", "secret_access_key": "s", "session_token": null}}"#)
        .unwrap();
    assert!(k["a"].session_token.is_none());
}

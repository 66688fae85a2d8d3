use serde_json::json;

use super::*;

#[test]
fn parse_refuses_repeated_keys_at_any_depth() {
    assert!(parse(br#"{"a": 1, "b": {"c": [1, {"d": 2}]}}"#).is_ok());
    for text in [
        r#"{"a": 1, "a": 1}"#,
        r#"{"a": {"b": 1, "b": 2}}"#,
        r#"[{"x": [], "y": 0, "x": []}]"#,
    ] {
        let e = parse(text.as_bytes()).unwrap_err();
        assert!(e.is_repeated_key(), "{text}: {e}");
        assert!(e.to_string().contains("repeated key"), "{e}");
        assert!(e.position().is_some());
    }
    let e = parse(b"{\"a\": ").unwrap_err();
    assert!(!e.is_repeated_key() && e.position().is_some(), "{e}");
    assert!(parse(b"{} x").is_err(), "trailing characters");
}

#[test]
fn readers_type_exactly() {
    assert_eq!(string(json!("s")), Ok("s".to_string()));
    assert!(string(json!(null)).is_err());
    assert!(string(json!(1)).is_err());
    assert_eq!(boolean(json!(true)), Ok(true));
    assert!(boolean(json!("true")).is_err());
    assert_eq!(u32(json!(4_294_967_295_u64)), Ok(u32::MAX));
    for bad in [json!(4_294_967_296_u64), json!(-1), json!(1.0), json!("1")] {
        assert!(u32(bad.clone()).is_err(), "{bad}");
    }
    assert_eq!(u64(json!(u64::MAX)), Ok(u64::MAX));
    assert!(u64(json!(-1)).is_err());
    assert_eq!(i64(json!(-5)), Ok(-5));
    assert!(i64(json!(u64::MAX)).is_err());
    assert!(i64(json!(0.5)).is_err());
    assert_eq!(pairs(json!([["a", "b"]])), Ok(vec![("a".into(), "b".into())]));
    for bad in [json!([["a"]]), json!([["a", "b", "c"]]), json!([["a", 1]]), json!({})] {
        assert!(pairs(bad.clone()).is_err(), "{bad}");
    }
}

#[test]
fn errors_name_the_path_never_the_value() {
    let v =
        json!({"roles": [{"name": "a"}, {"name": "b", "bindings": [[{"claim": "TOPSECRET-VALUE"}, {"claim": 7}]]}]});
    let read = |v: Value| -> Result<()> {
        let mut o = Obj::new(v)?;
        o.req("roles", |v| {
            list(v, |v| {
                let mut r = Obj::new(v)?;
                r.req_str("name")?;
                r.or_default("bindings", |v| {
                    list(v, |v| {
                        list(v, |v| {
                            let mut c = Obj::new(v)?;
                            c.req_str("claim")
                        })
                    })
                })?;
                r.end()
            })
        })?;
        o.end()
    };
    let e = read(v).unwrap_err();
    assert_eq!(e.to_string(), "roles[1].bindings[0][1].claim: expected a string");
    assert_eq!(e.path(), "roles[1].bindings[0][1].claim");
    assert!(!e.to_string().contains("TOPSECRET"));
    let e = read(json!({"roles": [], "extra": "TOPSECRET"})).unwrap_err();
    assert_eq!(e.to_string(), "extra: unknown field");
    let e = read(json!({})).unwrap_err();
    assert_eq!(e.to_string(), "roles: missing");
    let e = read(json!([])).unwrap_err();
    assert_eq!(e.to_string(), "expected an object");
}

#[test]
fn optional_and_default_fields_follow_serde() {
    let mut o = Obj::new(json!({"a": null, "b": null})).unwrap();
    // `Option`: null is None; `#[serde(default)]` without Option: null is refused.
    assert_eq!(o.opt_str("a"), Ok(None));
    assert!(o.or_default("b", string).is_err());
    assert_eq!(o.or_default("c", string), Ok(String::new()));
    assert_eq!(o.opt_str("c"), Ok(None));
    assert!(o.end().is_ok());
}

#[test]
fn writer_matches_serde_json() {
    let tricky = "q\"b\\s/\u{0}\u{1f}\n\t\r\u{8}\u{c}é\u{7f}\u{2028}😀";
    let mut out = Vec::new();
    let mut w = ObjWriter::new(&mut out);
    w.str("s", tricky)
        .opt_str("n", None)
        .opt_str("o", Some("x"))
        .bool("t", true)
        .bool("f", false)
        .u64("u", u64::MAX)
        .i64("i", i64::MIN)
        .i64("z", 0)
        .strs("l", &["a".into(), tricky.into()])
        .strs("e", &[])
        .pairs("p", &[("k".into(), "v".into()), ("k2".into(), tricky.into())])
        .obj("o2", |w| {
            w.i64("x", -1);
        })
        .obj("o3", |_| {});
    w.end();
    let expected = serde_json::to_vec(&json!({
        "s": tricky, "n": null, "o": "x", "t": true, "f": false, "u": u64::MAX, "i": i64::MIN, "z": 0,
        "l": ["a", tricky], "e": [], "p": [["k", "v"], ["k2", tricky]], "o2": {"x": -1}, "o3": {}
    }))
    .unwrap();
    // serde_json's Map sorts keys: compare as values, and the string escapes byte for byte.
    assert_eq!(
        serde_json::from_slice::<Value>(&out).unwrap(),
        serde_json::from_slice::<Value>(&expected).unwrap()
    );
    let mut one = Vec::new();
    ObjWriter::new(&mut one).str("s", tricky).end();
    assert_eq!(one, serde_json::to_vec(&json!({ "s": tricky })).unwrap());
}

#[test]
fn lax_parse_reads_as_serde_json_value_does() {
    for text in [
        r#"{"keys": [{"kid": "a", "kid": "b"}], "keys": []}"#,
        r#"{"issuer": "https://i", "n": [1, -2, 3.5, 1e400000], "x": null}"#,
        r#"{"a": {"b": true, "b": false}, "u": 18446744073709551615, "s": "\u00e9\n"}"#,
        "[]",
        "{",
        "{} x",
    ] {
        let ours = parse_lax(text.as_bytes()).map_err(|e| e.to_string());
        let theirs = serde_json::from_slice::<Value>(text.as_bytes()).map_err(|e| e.to_string());
        assert_eq!(ours, theirs, "{text}");
    }
    assert_eq!(parse_lax(br#"{"a": 1, "a": 2}"#).unwrap(), json!({"a": 2}));
}

#[test]
fn to_string_is_value_display() {
    let v = json!({"s": "q\"\u{1}é/", "n": [1, -2, 3.5, u64::MAX], "o": {"b": null, "a": true}, "e": {}});
    assert_eq!(to_string(&v), v.to_string());
    assert_eq!(to_string(&json!("x")), "\"x\"");
}

#[test]
fn without_key_leaves_out_the_innermost_key_only() {
    let e = FieldError::new(UNKNOWN_FIELD).at("TOPSECRET").at("conn");
    assert_eq!(e.clone().without_key().to_string(), "conn: unknown field");
    let e = FieldError::new("expected a string").at_index(2).at("list");
    assert_eq!(e.without_key().to_string(), "list[2]: expected a string");
}

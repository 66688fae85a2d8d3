use super::*;

#[test]
fn backend_cache_control_is_obeyed() {
    let m = |cc: Option<&str>| ObjectMeta {
        cache_control: cc.map(str::to_string),
        ..Default::default()
    };
    assert!(storable(&m(None)));
    assert!(storable(&m(Some("public, max-age=60"))));
    for cc in [
        "private",
        "no-store",
        "max-age=5, Private",
        "no-cache=\"x\"",
        " NO-STORE ",
    ] {
        assert!(!storable(&m(Some(cc))), "{cc}");
    }
    assert_eq!(
        downstream_cache_control(&m(None), 300).as_deref(),
        Some("public, max-age=60")
    );
    assert_eq!(
        downstream_cache_control(&m(None), 5).as_deref(),
        Some("public, max-age=5")
    );
    assert_eq!(downstream_cache_control(&m(Some("max-age=9")), 300), None);
}

#[test]
fn keys_keep_fields_apart() {
    let a = ObjectKey::new(0, "ab", "c", "k");
    let b = ObjectKey::new(0, "a", "bc", "k");
    assert_ne!(a, b);
    assert_ne!(ObjectKey::new(1, "a", "b", "k"), ObjectKey::new(0, "a", "b", "k"));
    assert_ne!(a.entry("\"e\"", false, MIB, 1), a.entry("\"f\"", false, MIB, 1));
    assert_ne!(a.entry("\"e\"", false, MIB, 1), a.entry("\"e\"", false, 2 * MIB, 1));
    assert!(a.meta().starts_with(KEY_BASE));
    assert!(a.entry("\"e\"", true, 0, 0).bytes().all(|c| c.is_ascii_graphic()));
}

#[test]
fn stored_meta_round_trip_and_expiry() {
    let meta = ObjectMeta {
        size: 5,
        etag: "\"e\"".into(),
        user_metadata: vec![("k".into(), "v".into())],
        ..Default::default()
    };
    let s = StoredMeta::new(&meta, 1000);
    let back = StoredMeta::decode_any(&s.encode()).filter(|m| m.fresh(999)).unwrap();
    assert_eq!(back.meta(), meta);
    assert!(StoredMeta::decode_any(&s.encode()).is_some_and(|m| !m.fresh(1000)));
    assert!(StoredMeta::decode_any(b"garbage").is_none());
}

#[test]
fn settings_from_env() {
    let mut w = Vec::new();
    let env = |n: &str| match n {
        "OBJECT_CACHE" => Some("on".to_string()),
        "OBJECT_CACHE_BLOCK_BYTES" => Some("1048576".to_string()),
        "OBJECT_CACHE_WHOLE_MAX_BYTES" => Some("999999999".to_string()),
        "OBJECT_CACHE_TTL_SECS" => Some("60".to_string()),
        _ => None,
    };
    let s = Settings::from_env(&env, &mut w);
    assert_eq!(
        (s.block, s.whole_max, s.ttl_secs, s.enabled),
        (MIB, DEFAULT_WHOLE_MAX, 60, true)
    );
    assert_eq!(w.len(), 1, "{w:?}");
    let off = Settings::from_env(&|n| (n == "OBJECT_CACHE").then(|| "off".to_string()), &mut w);
    assert!(!off.enabled);
}

/// Read by hand (src/json.rs): anything but the stored shape is a miss (`None`).
#[test]
fn stored_meta_refuses_other_shapes() {
    let good = r#"{"expires_at_ms":5,"storable":true,"object":{"size":1,"etag":"\"e\"","last_modified_ms":0,"content_type":null,"cache_control":null,"content_encoding":null,"content_disposition":null,"content_language":null,"expires":null,"user_metadata":[]}}"#;
    let m = StoredMeta::decode_any(good.as_bytes()).unwrap();
    assert_eq!((m.expires_at_ms, m.object.size), (5, 1));
    // Absent headers are None too, and unknown fields are ignored.
    let lean = r#"{"expires_at_ms":5,"storable":true,"x":1,"object":{"size":1,"etag":"e","last_modified_ms":0,"user_metadata":[["a","b"]],"y":[]}}"#;
    assert_eq!(
        StoredMeta::decode_any(lean.as_bytes()).unwrap().object.user_metadata,
        [("a".to_string(), "b".to_string())]
    );
    for bad in [
        // Repeated keys.
        good.replace(r#""storable":true"#, r#""storable":true,"storable":false"#),
        good.replace(r#""size":1"#, r#""size":1,"size":2"#),
        // Wrong types.
        good.replace(r#""size":1"#, r#""size":-1"#),
        good.replace(r#""size":1"#, r#""size":1.5"#),
        good.replace(r#""storable":true"#, r#""storable":1"#),
        good.replace(r#""content_type":null"#, r#""content_type":7"#),
        good.replace(r#""user_metadata":[]"#, r#""user_metadata":[["a"]]"#),
        good.replace(r#""expires_at_ms":5"#, r#""expires_at_ms":"5""#),
        // Missing fields.
        good.replace(r#""etag":"\"e\"","#, ""),
        good.replace(r#","user_metadata":[]"#, ""),
        good.replace(r#""expires_at_ms":5,"#, ""),
    ] {
        assert!(StoredMeta::decode_any(bad.as_bytes()).is_none(), "{bad}");
    }
}

use super::*;

#[test]
fn is_one_json_object() {
    let l = line(Level::Warn, "x", serde_json::json!({"a": "b\nc"}));
    assert!(!l.contains('\n'));
    let v: Value = serde_json::from_str(&l).unwrap();
    assert_eq!(v["level"], "warn");
    assert_eq!(v["a"], "b\nc");
}

#[test]
fn free_text_and_other_fields_are_cut_on_a_char_boundary() {
    let detail = format!("{}{}", "d".repeat(511), "é".repeat(4000));
    let path = "p".repeat(50_000);
    let short = "short";
    let f = serde_json::json!({"detail": detail, "reason": "r".repeat(600), "resource": path,
            "subject": short, "nested": {"detail": "x".repeat(5000)}, "list": ["y".repeat(5000)], "n": 7});
    let l = line(Level::Warn, "x", f);
    let v: Value = serde_json::from_str(&l).unwrap();
    // 511 ASCII bytes and then a 2-byte character: cut before it.
    assert_eq!(v["detail"], format!("{}…[{} bytes]", "d".repeat(511), detail.len()));
    assert_eq!(v["reason"], format!("{}…[600 bytes]", "r".repeat(512)));
    assert_eq!(v["resource"], format!("{}…[50000 bytes]", "p".repeat(2048)));
    assert_eq!(v["nested"]["detail"], format!("{}…[5000 bytes]", "x".repeat(512)));
    assert_eq!(v["list"][0], format!("{}…[5000 bytes]", "y".repeat(2048)));
    assert_eq!((v["subject"].as_str(), v["n"].as_i64()), (Some(short), Some(7)));
    assert!(l.len() < 6000, "{}", l.len());
    // At the limit nothing is cut.
    let at = line(Level::Info, "x", serde_json::json!({"detail": "z".repeat(512)}));
    assert!(!at.contains('…'));
}

#[test]
fn the_written_line_is_the_same_object_as_the_tree_line() {
    let long = format!("{}{}", "p".repeat(2047), "é".repeat(10));
    let f = serde_json::json!({"id": "a\"b\\c\u{1}\n", "path": long, "detail": "d".repeat(600),
        "status": 200, "neg": i64::MIN, "max": i64::MAX, "none": null, "zero": 0});
    let tree: Value = serde_json::from_str(&line(Level::Info, "request", f)).unwrap();
    let written = Line::new(Level::Info, "request")
        .str("id", "a\"b\\c\u{1}\n")
        .str("path", &long)
        .str("detail", &"d".repeat(600))
        .int("status", 200)
        .int("neg", i64::MIN)
        .int("max", i64::MAX)
        .opt_int("none", None)
        .opt_str("zero_str", None)
        .int("zero", 0)
        .finish();
    assert!(!written.contains('\n'));
    let mut w: Value = serde_json::from_str(&written).unwrap();
    assert_eq!(w["zero_str"], Value::Null);
    w.as_object_mut().unwrap().remove("zero_str");
    assert_eq!(w, tree);
}

#[test]
fn json_text_is_the_display_text() {
    let v = serde_json::json!({
        "s": "a\"b\\c\n\u{1}é🙂</x>", "n": [0, -1, 1.5, 1e300, u64::MAX], "t": true, "z": null, "o": {}, "a": [],
    });
    assert_eq!(json_text(&v), v.to_string());
    assert_eq!(json_text(&Value::from("x")), "\"x\"");
}

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

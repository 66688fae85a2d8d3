use super::*;
use serde_json::json;

fn cond(v: Value) -> Result<Condition, String> {
    Condition::from_value(v).map_err(|e| e.to_string())
}

fn claims() -> Map<String, Value> {
    json!({
        "repository": "org/repo",
        "ref": "refs/heads/release-1.2",
        "environment": "prod",
        "run_number": 42,
        "flags": ["a"],
        "empty": "",
        "nested": {"repository": "org/repo"}
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}

#[test]
fn json_shapes() {
    let c = cond(json!({"claim": "repository", "equals": "org/repo"}));
    assert_eq!(
        c,
        Ok(Condition {
            claim: "repository".into(),
            op: Op::Equals,
            value: "org/repo".into()
        })
    );
    assert_eq!(
        cond(json!({"claim": "ref", "starts_with": "refs/heads/"})).map(|c| c.op),
        Ok(Op::StartsWith)
    );
    assert_eq!(
        cond(json!({"claim": "ref", "glob": "refs/heads/release-*"})).map(|c| c.op),
        Ok(Op::Glob)
    );
    // Round trip.
    for v in [
        json!({"claim": "a", "equals": "x"}),
        json!({"claim": "a", "starts_with": "x"}),
        json!({"claim": "a", "glob": "x*"}),
    ] {
        let c = cond(v.clone()).expect("valid");
        assert_eq!(c.to_value(), v);
    }
}

#[test]
fn bad_shapes_rejected() {
    for v in [
        json!({"claim": "a"}),
        json!({"claim": "a", "equals": "x", "glob": "x"}),
        json!({"claim": "a", "equals": "x", "starts_with": "x", "glob": "x"}),
        json!({"claim": "", "equals": "x"}),
        json!({"claim": "a", "equals": ""}),
        json!({"claim": "a", "starts_with": ""}),
        json!({"claim": "a", "regex": ".*"}),
        json!({"claim": "a", "equals": "x", "extra": 1}),
        json!({"claim": "a", "equals": 1}),
        json!({"claim": "a", "equals": null}),
        json!({"equals": "x"}),
        json!(["a", "x"]),
    ] {
        assert!(cond(v.clone()).is_err(), "{v}");
    }
}

#[test]
fn holds_on_string_claims_only() {
    let c = claims();
    let yes = |v: Value| cond(v).map(|k| k.holds(&c)) == Ok(true);
    assert!(yes(json!({"claim": "repository", "equals": "org/repo"})));
    assert!(!yes(json!({"claim": "repository", "equals": "org/rep"})));
    assert!(!yes(json!({"claim": "repository", "equals": "Org/repo"})));
    assert!(yes(json!({"claim": "ref", "starts_with": "refs/heads/"})));
    assert!(!yes(json!({"claim": "ref", "starts_with": "refs/tags/"})));
    assert!(yes(json!({"claim": "ref", "glob": "refs/heads/release-*"})));
    assert!(yes(json!({"claim": "ref", "glob": "refs/*/release-?.?"})));
    assert!(!yes(json!({"claim": "ref", "glob": "refs/heads/main"})));
    // Missing, non-string and nested claims fail.
    assert!(!yes(json!({"claim": "missing", "glob": "*"})));
    assert!(!yes(json!({"claim": "run_number", "equals": "42"})));
    assert!(!yes(json!({"claim": "run_number", "glob": "*"})));
    assert!(!yes(json!({"claim": "flags", "glob": "*"})));
    assert!(!yes(json!({"claim": "nested.repository", "equals": "org/repo"})));
    // `*` matches an empty string claim; `?` needs a char.
    assert!(yes(json!({"claim": "empty", "glob": "*"})));
    assert!(!yes(json!({"claim": "empty", "glob": "?"})));
}

#[test]
fn all_hold_is_and() {
    let c = claims();
    let a = cond(json!({"claim": "repository", "equals": "org/repo"})).expect("valid");
    let b = cond(json!({"claim": "environment", "equals": "prod"})).expect("valid");
    let x = cond(json!({"claim": "environment", "equals": "dev"})).expect("valid");
    assert!(all_hold(&[], &c));
    assert!(all_hold(&[a.clone(), b.clone()], &c));
    assert!(!all_hold(&[a, b, x], &c));
}

#[test]
fn refusals_say_what_is_wrong() {
    let e = |v: Value| cond(v).unwrap_err();
    assert_eq!(e(json!({"claim": "a", "equals": 1})), "equals: expected a string");
    assert_eq!(e(json!({"claim": "a", "regex": "x"})), "regex: unknown field");
    assert_eq!(e(json!({"equals": "x"})), "claim: missing");
    assert_eq!(e(json!(["a", "x"])), "expected an object");
    assert_eq!(
        e(json!({"claim": "a", "equals": ""})),
        "condition on \"a\" has an empty value"
    );
    // An operator set to null counts as absent (serde's Option), so one operator remains.
    assert!(cond(json!({"claim": "a", "equals": null, "glob": "x*"})).is_ok());
}

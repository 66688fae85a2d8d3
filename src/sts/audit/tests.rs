use super::*;
use crate::sts::roles::Roles;

#[test]
fn claims_are_the_roles_bounded_and_scalar() {
    let roles = r#"[{"name": "gha", "issuers": ["https://x"], "audiences": ["a"], "ceiling": ["*"]},
        {"name": "lab", "issuers": ["https://x"], "audiences": ["a"], "ceiling": ["*"],
         "audit_claims": ["project_path", "pipeline_id"]}]"#;
    let (roles, warnings) = Roles::from_env(&|n| match n {
        "ROLES" => Some(roles.to_string()),
        "AUTH_AUDIENCE" => Some("a".into()),
        _ => None,
    });
    assert!(warnings.is_empty(), "{warnings:?}");
    let token = json!({"repository": "o/r", "run_id": "42", "run_attempt": 1, "sha": ["x"],
        "ref": "é".repeat(200), "project_path": "g/p", "secret": "never"});
    let Value::Object(all) = token else { unreachable!() };
    let gha = claims(roles.get("gha").unwrap(), &all);
    assert_eq!(gha["repository"], "o/r");
    assert_eq!(gha["run_id"], "42");
    assert_eq!(gha["run_attempt"], 1);
    assert!(!gha.contains_key("sha"), "not a scalar");
    assert!(!gha.contains_key("project_path") && !gha.contains_key("secret"));
    let r = gha["ref"].as_str().unwrap();
    assert!(r.len() <= MAX_AUDIT_VALUE_BYTES + '…'.len_utf8() && r.ends_with('…'));
    let lab = claims(roles.get("lab").unwrap(), &all);
    assert_eq!(lab.keys().collect::<Vec<_>>(), vec!["project_path"]);
}

#[test]
fn audit_claims_are_bounded_in_configuration() {
    let many: Vec<String> = (0..17).map(|i| format!("c{i}")).collect();
    for bad in [json!(many), json!(["a", "a"]), json!([""]), json!(["x".repeat(65)])] {
        let roles = json!([{"name": "r", "issuers": ["https://x"], "audiences": ["a"], "ceiling": ["*"],
            "audit_claims": bad}])
        .to_string();
        let (roles, warnings) = Roles::from_env(&|n| match n {
            "ROLES" => Some(roles.clone()),
            "AUTH_AUDIENCE" => Some("a".into()),
            _ => None,
        });
        assert!(roles.get("r").is_err() && warnings.len() == 1, "{bad}");
    }
}

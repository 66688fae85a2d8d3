use super::*;
use crate::error::ApiError;

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |n| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.to_string())
}

#[test]
fn default_role_needs_an_audience() {
    let (roles, warnings) = Roles::from_env(&env(&[("AUTH_ISSUER", "https://idp")]));
    assert!(!roles.enabled());
    assert_eq!(warnings.len(), 1);
    assert_eq!(roles.get("_default").unwrap_err().status(), 501);
    // Fail closed: without AUTH_AUDIENCE no role at all exchanges.
    let only_roles = format!(
        "[{}]",
        r#"{"name": "r", "issuers": ["https://x"], "audiences": ["a"], "ceiling": ["*"]}"#
    );
    let e = move |n: &str| (n == "ROLES").then(|| only_roles.clone());
    let (roles, _) = Roles::from_env(&e);
    assert_eq!(roles.get("r").unwrap_err().status(), 501);
    let (roles, _) = Roles::from_env(&env(&[("AUTH_ISSUER", "https://idp"), ("AUTH_AUDIENCE", "a, b")]));
    let r = roles.get("_default").unwrap();
    assert_eq!(r.audiences, vec!["a", "b"]);
    assert!(r.ceiling.allows_product("any", "thing"));
    assert_eq!(roles.get("other").unwrap_err().code().as_str(), "InvalidParameterValue");
}

const ROLES: &str = r#"[
      {"name": "gha", "issuers": ["https://token.actions.githubusercontent.com"], "audiences": ["proxy"],
       "bindings": [[{"claim": "repository", "equals": "o/r"}, {"claim": "ref", "starts_with": "refs/heads/"}],
                    [{"claim": "environment", "glob": "prod*"}]],
       "ceiling": ["demo/restricted-data"], "max_duration": 3600, "pass_claims": ["repository"]},
      {"name": "bad-ceiling", "issuers": ["https://x"], "audiences": ["a"], "ceiling": ["demo/p/a*b*"]},
      {"name": "no-aud", "issuers": ["https://x"], "audiences": [], "ceiling": ["*"]},
      {"name": "empty-binding", "issuers": ["https://x"], "audiences": ["a"], "bindings": [[]], "ceiling": ["*"]},
      {"name": "typo", "issuers": ["https://x"], "audiences": ["a"], "ceilling": ["*"]},
      {"name": "long", "issuers": ["https://x"], "audiences": ["a"], "ceiling": ["*"], "max_duration": 99999}
    ]"#;

#[test]
fn roles_json_with_invalid_roles_disabled() {
    let e = |n: &str| match n {
        "ROLES" => Some(ROLES.to_string()),
        "AUTH_AUDIENCE" => Some("proxy".to_string()),
        _ => None,
    };
    let (roles, warnings) = Roles::from_env(&e);
    assert!(roles.enabled());
    assert_eq!(warnings.len(), 5, "{warnings:?}");
    let gha = roles.get("gha").unwrap();
    let claims = |pairs: &[(&str, &str)]| -> Map<String, Value> {
        pairs.iter().map(|(k, v)| (k.to_string(), Value::from(*v))).collect()
    };
    assert!(gha.claims_accepted(&claims(&[("repository", "o/r"), ("ref", "refs/heads/main")])));
    assert!(gha.claims_accepted(&claims(&[("environment", "production")])));
    assert!(!gha.claims_accepted(&claims(&[("repository", "o/r"), ("ref", "refs/tags/v1")])));
    assert!(!gha.claims_accepted(&claims(&[])));
    assert_eq!(gha.duration(None), Ok(3600));
    assert_eq!(gha.duration(Some(900)), Ok(900));
    assert_eq!(gha.duration(Some(3601)).unwrap_err().code().as_str(), "ValidationError");
    for disabled in ["bad-ceiling", "no-aud", "empty-binding", "typo", "long"] {
        assert!(roles.get(disabled).is_err(), "{disabled}");
    }
}

#[test]
fn garbage_roles_json_is_a_warning() {
    let (roles, warnings) = Roles::from_env(&|n| (n == "ROLES").then(|| "{".to_string()));
    assert!(!roles.enabled() && warnings.len() == 1);
}

/// Hand-read (src/json.rs): a role with a wrong type, an unknown or a missing field is
/// disabled with the field's path; a repeated key anywhere refuses the whole text.
#[test]
fn bad_role_fields_are_named_by_path() {
    let role = r#"{"name":"r","issuers":["https://i"],"audiences":["a"],"ceiling":["*"]"#;
    let warning = |extra: &str| {
        let json = format!("[{role}{extra}}}]");
        let (roles, w) = Roles::from_env(&move |n| match n {
            "ROLES" => Some(json.clone()),
            "AUTH_AUDIENCE" => Some("x".into()),
            _ => None,
        });
        assert!(roles.get("r").is_err(), "{extra}");
        assert_eq!(w.len(), 1, "{w:?}");
        w[0].clone()
    };
    let w = warning(
        r#","bindings":[[{"claim":"sub","equals":"x"}],[{"claim":"repo","glob":"o/*"},{"claim":5,"equals":"x"}]]"#,
    );
    assert_eq!(w, "role disabled: role #0: bindings[1][1].claim: expected a string");
    let w = warning(r#","bindings":[[{"claim":"sub","equals":"x","glob":"y"}]]"#);
    assert_eq!(
        w,
        "role disabled: role #0: bindings[0][0]: a condition needs exactly one of equals, starts_with, glob"
    );
    let w = warning(r#","bindings":[[{"claim":"sub","equals":"x","regex":"TOPSECRET"}]]"#);
    assert_eq!(w, "role disabled: role #0: bindings[0][0].regex: unknown field");
    let w = warning(r#","max_duration":3600.0"#);
    assert!(
        w.starts_with("role disabled: role #0: max_duration: expected an integer"),
        "{w}"
    );
    let w = warning(r#","audit_claims":"sub""#);
    assert_eq!(w, "role disabled: role #0: audit_claims: expected an array");
    let w = warning(r#","ceilings":["*"]"#);
    assert_eq!(w, "role disabled: role #0: ceilings: unknown field");
    let w = warning(r#","issuers":["https://j"]"#);
    assert!(
        w.starts_with("ROLES is not a JSON array: repeated key \"issuers\" at line 1"),
        "{w}"
    );
    let w = warning(r#","bindings":[[{"claim":"sub","claim":"aud","equals":"x"}]]"#);
    assert!(w.contains("repeated key \"claim\""), "{w}");
    // Missing fields.
    let (_, w) =
        Roles::from_env(&|n| (n == "ROLES").then(|| r#"[{"name":"r","issuers":["i"],"ceiling":["*"]}]"#.into()));
    assert_eq!(w, ["role disabled: role #0: audiences: missing"]);
    // null where an Option was: absent (audit_claims: the defaults).
    let (roles, w) = Roles::from_env(&|n| match n {
        "ROLES" => Some(format!("[{role},\"audit_claims\":null,\"max_duration\":null}}]")),
        "AUTH_AUDIENCE" => Some("x".into()),
        _ => None,
    });
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(roles.get("r").unwrap().audit_claims.len(), DEFAULT_AUDIT_CLAIMS.len());
}

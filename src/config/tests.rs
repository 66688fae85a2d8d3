use super::*;

#[test]
fn defaults_without_env() {
    let c = Config::from_env(&|_| None);
    assert!(c.catalog.is_ok());
    assert_eq!(c.cors, Origins::Any);
    assert_eq!(c.log_level, Level::Info);
    assert_eq!(c.region, "us-east-1");
    // Only the disabled OIDC provider is reported (absent with a logged reason).
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].starts_with("OIDC provider disabled"));
}

#[test]
fn bad_values_are_reported_not_fatal() {
    let env = |n: &str| match n {
        "STATIC_CATALOG" => Some("{not json".to_string()),
        "LOG_LEVEL" => Some("loud".to_string()),
        _ => None,
    };
    let c = Config::from_env(&env);
    assert!(c.catalog.is_err());
    assert_eq!(c.warnings.len(), 3);
    assert!(
        c.warnings.iter().any(|w| w.contains("STATIC_CATALOG")),
        "{:?}",
        c.warnings
    );
}

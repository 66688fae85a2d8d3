use super::*;
use crate::error::ApiError;

fn p(q: &str, body: Option<&str>) -> Result<StsParams, StsError> {
    parse(&collect(q, body.map(str::as_bytes))?)
}

const OK: &str = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=_default&WebIdentityToken=abcd";

#[test]
fn from_query_body_or_both() {
    let want = StsParams {
        role: "_default".into(),
        role_arn: "_default".into(),
        session_name: None,
        token: "abcd".into(),
        duration: None,
        policy: None,
    };
    assert_eq!(p(OK, None).unwrap(), want);
    assert_eq!(p("", Some(OK)).unwrap(), want);
    assert_eq!(
        p(
            "Action=AssumeRoleWithWebIdentity",
            Some("RoleArn=_default&WebIdentityToken=abcd")
        )
        .unwrap(),
        want
    );
    let same_twice = format!("{OK}&RoleArn=_default");
    assert!(p(&same_twice, None).is_ok());
    // SDKs send a token file's bytes as they are: a trailing newline is common.
    let newline = "Action=AssumeRoleWithWebIdentity&RoleArn=_default&WebIdentityToken=abcd%0A";
    assert_eq!(p(newline, None).unwrap().token, "abcd");
}

#[test]
fn arns_name_roles() {
    assert_eq!(role_name("arn:aws:iam::123456789012:role/_default"), Some("_default"));
    assert_eq!(role_name("arn:aws:iam::123456789012:role/ci/reader"), Some("reader"));
    assert_eq!(role_name("ci-reader"), Some("ci-reader"));
    assert_eq!(role_name("arn:aws:iam::1:user/x"), None);
    assert_eq!(role_name("arn:aws:iam"), None);
    assert_eq!(role_name("a b"), None);
}

#[test]
fn every_rule_has_its_code() {
    let cases: &[(&str, &str)] = &[
        ("RoleArn=_default&WebIdentityToken=abcd", "MissingParameter"),
        (
            "Action=GetCallerIdentity&RoleArn=_default&WebIdentityToken=abcd",
            "InvalidParameterValue",
        ),
        (
            "Action=AssumeRoleWithWebIdentity&Version=2020&RoleArn=_default&WebIdentityToken=abcd",
            "InvalidParameterValue",
        ),
        (
            "Action=AssumeRoleWithWebIdentity&WebIdentityToken=abcd",
            "MissingParameter",
        ),
        ("Action=AssumeRoleWithWebIdentity&RoleArn=_default", "MissingParameter"),
        (
            "Action=AssumeRoleWithWebIdentity&RoleArn=arn:aws:iam::1:user/x&WebIdentityToken=abcd",
            "ValidationError",
        ),
        (
            "Action=AssumeRoleWithWebIdentity&RoleArn=_default&WebIdentityToken=abc",
            "ValidationError",
        ),
        (&format!("{OK}&RoleSessionName=x"), "ValidationError"),
        (&format!("{OK}&RoleSessionName=a%20b"), "ValidationError"),
        (&format!("{OK}&DurationSeconds=899"), "ValidationError"),
        (&format!("{OK}&DurationSeconds=abc"), "ValidationError"),
        (&format!("{OK}&RoleArn=other"), "InvalidParameterValue"),
        (
            &format!("{OK}&PolicyArns.member.1.arn=arn:aws:iam::1:policy/x"),
            "InvalidParameterValue",
        ),
        (&format!("{OK}&Policy="), "ValidationError"),
        (
            &format!("{OK}&Policy={}", "x".repeat(MAX_POLICY_CHARS + 1)),
            "ValidationError",
        ),
        ("Action=%zz", "InvalidParameterValue"),
        // Empty is a value, and AWS validates it: '' fails RoleSessionName's
        // 2-64, RoleArn's 20-2048 and WebIdentityToken's 4-20000 characters.
        (&format!("{OK}&RoleSessionName="), "ValidationError"),
        (
            "Action=AssumeRoleWithWebIdentity&RoleArn=&WebIdentityToken=abcd",
            "ValidationError",
        ),
        (
            "Action=AssumeRoleWithWebIdentity&RoleArn=_default&WebIdentityToken=",
            "ValidationError",
        ),
        (
            "Action=AssumeRoleWithWebIdentity&RoleArn=_default&WebIdentityToken=%0A",
            "ValidationError",
        ),
        (&format!("{OK}&DurationSeconds="), "ValidationError"),
        (
            "Action=AssumeRoleWithWebIdentity&Version=&RoleArn=_default&WebIdentityToken=abcd",
            "InvalidParameterValue",
        ),
        ("Action=&RoleArn=_default&WebIdentityToken=abcd", "MissingParameter"),
    ];
    for (q, code) in cases {
        assert_eq!(p(q, None).map_err(|e| e.code().as_str()).err(), Some(*code), "{q}");
    }
    let long = format!("{OK}&x={}", "a".repeat(MAX_BODY));
    assert_eq!(
        p("", Some(&long)).map_err(|e| e.code().as_str()).err(),
        Some("RequestEntityTooLarge")
    );
}

/// Found by the sts_params fuzz target (fuzz/corpus/sts_params/slow-distinct-names):
/// a form body of thousands of distinct names took ~0.8 s of CPU in an
/// optimized build, quadratic in the number of parameters.
#[test]
fn many_distinct_names_cost_linear_time() {
    let body: String = (0..13_000).map(|i| format!("{i:x}")).collect::<Vec<_>>().join("&");
    assert!(body.len() <= MAX_BODY);
    let started = std::time::Instant::now();
    let pairs = collect("", Some(body.as_bytes())).unwrap();
    let took = started.elapsed();
    assert_eq!(pairs.len(), 13_000);
    // Linear work takes ~10 ms unoptimized; the quadratic version took seconds.
    assert!(took < std::time::Duration::from_millis(500), "{took:?}");
}

#[test]
fn session_names() {
    assert_eq!(
        derived_session_name("repo:org/x:ref:refs/heads/main"),
        "repo-org-x-ref-refs-heads-main"
    );
    assert_eq!(derived_session_name("é"), "--");
    assert!(valid_session_name(&derived_session_name(&"x".repeat(200))));
}

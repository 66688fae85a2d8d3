//! A catalog backend's `web_identity`: what is accepted and what disables it.

use super::*;

fn catalog(web_identity: &str, needs: &Needs) -> std::result::Result<StaticCatalog, String> {
    let json = format!(
        r#"{{"backends": {{"fed": {{"type": "s3", "endpoint": "https://s3.test", "bucket": "b", "region": "eu-west-1",
            "web_identity": {web_identity}}}}},
            "accounts": {{"a": {{"products": {{"p": {{"visibility": "public", "backend": "fed"}}}}}}}}}}"#
    );
    StaticCatalog::parse_with(&json, &|_| None, needs).map_err(|e| chain(&e))
}

const NEEDS: Needs = Needs {
    allow_loopback_http: false,
    provider: true,
};

#[test]
fn catalog_backend_with_web_identity() {
    let c = catalog(
        &format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "https://sts.amazonaws.com/"}}"#),
        &NEEDS,
    )
    .unwrap();
    let Backend::S3(s3) = c.resolve("a", "p").unwrap().backend else {
        panic!()
    };
    assert!(s3.credentials.is_none());
    let w = s3.web_identity.as_deref().unwrap();
    assert_eq!(w.sts_endpoint, "https://sts.amazonaws.com/");
    assert_eq!(
        (w.audience.as_str(), w.subject.as_str()),
        ("sts.amazonaws.com", "backend:fed")
    );
    assert_eq!(
        (w.session_name.as_str(), w.duration_secs),
        ("oidc-data-proxy.fed", 3600)
    );
    let full = format!(
        r#"{{"role_arn": "{ROLE}", "sts_endpoint": "https://sts.example/prefix/", "audience": "aud-1",
            "subject": "svc", "session_name": "s=1,x@y", "duration_secs": 43200}}"#
    );
    let c = catalog(&full, &NEEDS).unwrap();
    let Backend::S3(s3) = c.resolve("a", "p").unwrap().backend else {
        panic!()
    };
    let w = s3.web_identity.as_deref().unwrap();
    assert_eq!(w.sts_endpoint, "https://sts.example/prefix");
    assert_eq!(
        (w.audience.as_str(), w.subject.as_str(), w.duration_secs),
        ("aud-1", "svc", 43200)
    );
    // MinIO-style ARN (no account).
    assert!(catalog(
        r#"{"role_arn": "arn:minio:iam:::role/abc", "sts_endpoint": "https://m"}"#,
        &NEEDS
    )
    .is_ok());
}

#[test]
fn catalog_refuses_bad_web_identities() {
    let ok = format!(r#""role_arn": "{ROLE}", "sts_endpoint": "https://sts.test""#);
    let bad = [
        format!(r#"{{{ok}, "extra": 1}}"#),
        r#"{"sts_endpoint": "https://sts.test"}"#.to_string(),
        format!(r#"{{"role_arn": "{ROLE}"}}"#),
        r#"{"role_arn": "arn:aws:iam::1:user/x", "sts_endpoint": "https://sts.test"}"#.to_string(),
        r#"{"role_arn": "arn:aws:s3:::role/x", "sts_endpoint": "https://sts.test"}"#.to_string(),
        r#"{"role_arn": "arn:aws:iam::1:role/", "sts_endpoint": "https://sts.test"}"#.to_string(),
        r#"{"role_arn": "arn:aws:iam::1:role/a b", "sts_endpoint": "https://sts.test"}"#.to_string(),
        format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "http://sts.test"}}"#),
        format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "http://127.0.0.1:9"}}"#),
        format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "https://user@sts.test"}}"#),
        format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "https://sts.test/?x=1"}}"#),
        format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "ftp://sts.test"}}"#),
        format!(r#"{{{ok}, "duration_secs": 899}}"#),
        format!(r#"{{{ok}, "duration_secs": 43201}}"#),
        format!(r#"{{{ok}, "session_name": "x"}}"#),
        format!(r#"{{{ok}, "session_name": "a b"}}"#),
        format!(r#"{{{ok}, "audience": ""}}"#),
        format!(r#"{{{ok}, "subject": "a\nb"}}"#),
    ];
    for b in &bad {
        assert!(catalog(b, &NEEDS).is_err(), "{b}");
    }
    // Static keys and a web identity exclude each other.
    let both = format!(
        r#"{{"backends": {{"fed": {{"type": "s3", "endpoint": "https://s3.test", "bucket": "b",
            "access_key_id_var": "K", "secret_access_key_var": "S", "web_identity": {{{ok}}}}}}}}}"#
    );
    let e = StaticCatalog::parse_with(&both, &|_| Some("v".into()), &NEEDS).unwrap_err();
    assert!(
        matches!(
            &e,
            StaticCatalogError::Backend {
                problem: BackendProblem::BothCredentials,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn loopback_sts_only_when_allowed_and_provider_required() {
    let loopback = format!(r#"{{"role_arn": "{ROLE}", "sts_endpoint": "http://127.0.0.1:9/"}}"#);
    let allowed = Needs {
        allow_loopback_http: true,
        provider: true,
    };
    let c = catalog(&loopback, &allowed).unwrap();
    let Backend::S3(s3) = c.resolve("a", "p").unwrap().backend else {
        panic!()
    };
    assert_eq!(s3.web_identity.unwrap().sts_endpoint, "http://127.0.0.1:9/");
    let no_provider = Needs {
        allow_loopback_http: true,
        provider: false,
    };
    let c = catalog(&loopback, &no_provider).unwrap();
    let reasons = c.unavailable_backends();
    assert_eq!(reasons.len(), 1);
    assert!(reasons[0].1.contains("needs the OIDC provider"), "{reasons:?}");
    // Validation still happens without a provider: a typo is an error, not a disabled backend.
    assert!(catalog(r#"{"role_arn": "nope", "sts_endpoint": "https://s"}"#, &no_provider).is_err());
}

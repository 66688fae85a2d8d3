use super::*;
use crate::catalog::Grant;

fn p(v: Visibility) -> Product {
    let grants = vec![Grant {
        issuer: "https://idp".into(),
        subject: Some("alice".into()),
        claim: None,
        equals: None,
    }];
    Product {
        name: "p".into(),
        visibility: v,
        backend: "b".into(),
        prefix: String::new(),
        grants,
        cache: Default::default(),
    }
}

fn session(subject: &str, ceiling: &[&str]) -> Principal {
    let ceiling = Ceiling::parse(&ceiling.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap();
    Principal::Session(Rc::new(SessionPrincipal {
        issuer: "https://idp".into(),
        subject: subject.into(),
        role: "_default".into(),
        session_name: "s".into(),
        access_key_id: "ASIA".into(),
        ceiling,
        claims: Vec::new(),
        session_id: String::new(),
        policy: None,
    }))
}

#[test]
fn anonymous_reads_public_and_unlisted_only() {
    let a = Principal::Anonymous;
    assert!(can_read(&a, "demo", &p(Visibility::Public)));
    assert!(can_read(&a, "demo", &p(Visibility::Unlisted)));
    assert!(!can_read(&a, "demo", &p(Visibility::Restricted)));
    assert!(is_listed(&a, "demo", &p(Visibility::Public)));
    assert!(!is_listed(&a, "demo", &p(Visibility::Unlisted)));
    assert!(!is_listed(&a, "demo", &p(Visibility::Restricted)));
}

#[test]
fn sessions_need_grant_and_ceiling() {
    let alice = session("alice", &["*"]);
    assert!(can_read(&alice, "demo", &p(Visibility::Restricted)));
    assert!(is_listed(&alice, "demo", &p(Visibility::Restricted)));
    assert!(!can_read(&session("bob", &["*"]), "demo", &p(Visibility::Restricted)));
    let narrow = session("alice", &["other/*"]);
    assert!(
        !can_read(&narrow, "demo", &p(Visibility::Restricted)),
        "ceiling bounds grants"
    );
    assert!(
        !can_read(&narrow, "demo", &p(Visibility::Public)),
        "ceiling bounds public data too"
    );
    let prefix = session("alice", &["demo/p/a/*"]);
    assert!(key_allowed(&prefix, "demo", "p", "a/x") && !key_allowed(&prefix, "demo", "p", "b"));
}

#[test]
fn hash_is_injective_over_the_split() {
    assert_ne!(principal_hash("ab", "c"), principal_hash("a", "bc"));
    assert_eq!(principal_hash("a", "b").len(), 24);
}

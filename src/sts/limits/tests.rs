use super::*;
use crate::error::ApiError;
use crate::session::{seal, SessionKeys};
use crate::sts::ceiling::Ceiling;

fn role(ceiling: Vec<String>, pass: &[&str]) -> Role {
    Role {
        name: "r".repeat(64),
        issuers: vec!["https://token.actions.githubusercontent.com".into()],
        audiences: vec!["sts.amazonaws.com".into()],
        bindings: Vec::new(),
        ceiling: Ceiling::parse(&ceiling).unwrap(),
        ceiling_patterns: ceiling,
        max_duration: 3600,
        pass_claims: pass.iter().map(ToString::to_string).collect(),
        audit_claims: Vec::new(),
    }
}

#[test]
fn sealed_bytes_count_escapes() {
    assert_eq!(sealed_bytes("abc/é"), 6);
    assert_eq!(sealed_bytes("\"\\\n"), 6);
    assert_eq!(sealed_bytes("\u{1}"), 6);
}

#[test]
fn messages_name_the_limits() {
    let big = |n| "s".repeat(n);
    let e = check_token_parts(&big(MAX_SUBJECT_BYTES + 1), &[]).unwrap_err();
    assert!(e.message().contains(&MAX_SUBJECT_BYTES.to_string()), "{e:?}");
    assert!(check_token_parts(&big(MAX_SUBJECT_BYTES), &[]).is_ok());
    let claims = vec![("a".to_string(), big(MAX_PASSED_CLAIMS_BYTES / 2)); 2];
    assert!(check_token_parts("s", &claims).is_ok());
    let over = [("a".to_string(), big(MAX_PASSED_CLAIMS_BYTES + 1))];
    let e = check_token_parts("s", &over).unwrap_err();
    assert!(e.message().contains(&MAX_PASSED_CLAIMS_BYTES.to_string()), "{e:?}");
    assert_eq!(e.status(), 400);
}

/// The largest role the check admits still seals every session the
/// per-exchange checks admit, whatever characters fill it.
#[test]
fn an_admitted_role_can_never_overflow() {
    let pass = ["repository", "environment", "job_workflow_ref", "ref"];
    let mut ceiling = Vec::new();
    while check_role(&role(ceiling.clone(), &pass)).is_ok() {
        ceiling.push(format!("acct/p{:04}", ceiling.len()));
    }
    ceiling.pop();
    assert!(ceiling.len() > 20, "a realistic ceiling fits: {}", ceiling.len());
    let r = role(ceiling, &pass);
    let keys = SessionKeys::new([7; 32], None);
    // Fillers at exactly their limits, in sealed bytes (the control
    // characters an answer can carry are escaped in JSON, like quotes).
    for unit in ["x", "é", "\"", "\t", "😀"] {
        let fill = |limit: usize| unit.repeat(limit / sealed_bytes(unit));
        let (sub, total) = (fill(MAX_SUBJECT_BYTES), fill(MAX_PASSED_CLAIMS_BYTES));
        let split = total.len() / 2 - (total.len() / 2) % unit.len();
        let claims = vec![
            (pass[0].to_string(), total[..split].to_string()),
            (pass[1].to_string(), total[split..].to_string()),
        ];
        check_token_parts(&sub, &claims).unwrap();
        let s = Session {
            access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
            secret_access_key: Secret::new("s/+".repeat(13) + "s"),
            issuer: r.issuers[0].clone(),
            subject: sub,
            role: r.name.clone(),
            ceiling: r.ceiling_patterns.clone(),
            session_name: "n".repeat(MAX_SESSION_NAME),
            audience: r.audiences[0].clone(),
            expires_at: 4_102_444_800,
            claims,
            session_id: "d".repeat(SESSION_ID_LEN),
            policy: None,
        };
        assert!(seal(&keys, &s).is_ok_and(|t| t.len() <= MAX_TOKEN_LEN), "{unit:?}");
    }
}

#[test]
fn pass_claims_are_bounded() {
    let all = ["a", "b", "c", "d", "e"];
    assert!(check_role(&role(vec!["*".into()], &all[..MAX_PASS_CLAIMS])).is_ok());
    assert!(check_role(&role(vec!["*".into()], &all[..MAX_PASS_CLAIMS + 1])).is_err());
    assert!(check_role(&role(vec!["*".into()], &["a", "a"])).is_err());
    assert!(check_role(&role(vec!["*".into()], &[""])).is_err());
    let long = "c".repeat(MAX_CLAIM_NAME_BYTES + 1);
    assert!(check_role(&role(vec!["*".into()], &[&long])).is_err());
}

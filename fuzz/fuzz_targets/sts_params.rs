//! AssumeRoleWithWebIdentity parameters from the query and a form body.
//! Input: the raw query line, then (after the first newline) the body.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::sts::params::{collect, derived_session_name, parse, role_name, valid_session_name, MIN_DURATION};
use oidc_data_proxy_fuzz::text;

fn name_ok(n: &str) -> bool {
    !n.is_empty() && n.len() <= 64 && n.bytes().all(|c| c.is_ascii_alphanumeric() || b"_+=,.@-".contains(&c))
}

fuzz_target!(|data: &[u8]| {
    let (query, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (text(&data[..i]), Some(&data[i + 1..])),
        None => (text(data), None),
    };
    if let Ok(pairs) = collect(&query, body) {
        let names: std::collections::HashSet<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names.len(), pairs.len(), "a name twice");
        if let Ok(p) = parse(&pairs) {
            assert_eq!(role_name(&p.role_arn), Some(p.role.as_str()));
            assert!(name_ok(&p.role));
            assert!((4..=20_000).contains(&p.token.len()) && p.token.trim() == p.token);
            assert!(p.session_name.as_deref().is_none_or(valid_session_name));
            assert!(p.duration.is_none_or(|d| d >= MIN_DURATION));
        }
    }
    if let Some(n) = role_name(&query) {
        assert!(name_ok(n), "{n:?}");
    }
    let derived = derived_session_name(&query);
    assert!(valid_session_name(&derived), "{derived:?}");
});

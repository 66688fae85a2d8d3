use super::*;

fn req(sub: &str, aud: &str, role: Option<&str>, idp: Option<&str>) -> MintRequest {
    MintRequest {
        sub: sub.into(),
        aud: aud.into(),
        role: role.map(Into::into),
        idp: idp.map(Into::into),
    }
}

#[test]
fn cache_key_is_injective_on_tricky_tuples() {
    let cases = [
        req("a|b", "c", None, None),
        req("a", "b|c", None, None),
        req("a\u{0}b", "c", None, None),
        req("a", "\u{0}b", None, None),
        req("a", "|b", None, None),
        req("a|", "b", None, None),
        req("", "ab", None, None),
        req("ab", "", None, None),
        req("a", "b", Some(""), None),
        req("a", "b", None, Some("")),
        req("a", "b", None, None),
        req("a", "b", Some("r"), Some("i")),
        req("a", "b", Some("i"), Some("r")),
        req("anonymous", "b", None, None),
        req("anonymous", "b", Some("r"), Some("i")),
    ];
    let keys: std::collections::HashSet<Vec<u8>> = cases.iter().map(cache_key).collect();
    assert_eq!(keys.len(), cases.len());
    assert_eq!(cache_key(&cases[0]), cache_key(&cases[0].clone()));
}

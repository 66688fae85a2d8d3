use super::*;

fn c(p: &[&str]) -> Ceiling {
    Ceiling::parse(&p.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap()
}

#[test]
fn patterns() {
    let all = c(&["*"]);
    assert!(all.allows_key("x", "y", "z"));
    let acct = c(&["demo/*"]);
    assert!(acct.allows_product("demo", "p") && !acct.allows_product("other", "p"));
    let prod = c(&["demo/restricted-data"]);
    assert!(prod.allows_key("demo", "restricted-data", "a/b") && !prod.allows_product("demo", "public-data"));
    let pre = c(&["demo/p/reports/2026*"]);
    assert!(pre.allows_product("demo", "p"));
    assert!(pre.allows_key("demo", "p", "reports/2026-01.csv"));
    assert!(!pre.allows_key("demo", "p", "reports/2025.csv"));
    assert!(pre.allows_listed("demo", "p", "reports/", true));
    assert!(!pre.allows_listed("demo", "p", "reports/", false));
    assert!(!pre.allows_listed("demo", "p", "other/", true));
    assert_eq!(pre.key_prefixes("demo", "p"), Some(vec!["reports/2026"]));
    assert_eq!(pre.key_prefixes("demo", "q"), Some(vec![]));
    assert_eq!(c(&["demo/p/a*", "demo/*"]).key_prefixes("demo", "p"), None);
    assert_eq!(prod.key_prefixes("demo", "restricted-data"), None);
    assert!(
        !Ceiling::default().allows_product("demo", "p"),
        "empty ceiling allows nothing"
    );
}

#[test]
fn invalid_patterns_reject_the_ceiling() {
    for bad in ["", "demo", "Demo/*", "demo/p/a*b*", "demo/p/nostar", "demo/*/x*", "*/*"] {
        assert!(Ceiling::parse(&[bad.to_string()]).is_err(), "{bad}");
    }
}

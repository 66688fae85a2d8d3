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
fn intersections_keep_the_narrower_scope() {
    let i = |a: &[&str], b: &[&str]| c(a).intersect(&c(b));
    assert_eq!(i(&["*"], &["demo/p/a*"]), c(&["demo/p/a*"]));
    assert_eq!(i(&["demo/p/a*"], &["*"]), c(&["demo/p/a*"]));
    assert_eq!(i(&["demo/*"], &["other/*"]), c(&[]));
    assert_eq!(i(&["demo/p"], &["demo/p/x/*"]), c(&["demo/p/x/*"]));
    assert_eq!(i(&["demo/p/x/*"], &["demo/p"]), c(&["demo/p/x/*"]));
    assert_eq!(i(&["demo/p/a*"], &["demo/p/b*"]), c(&[]));
    assert_eq!(i(&["demo/p/*"], &["demo/p"]), c(&["demo/p"]));
    assert_eq!(i(&["demo/p", "demo/q/x*"], &["demo/*"]), c(&["demo/p", "demo/q/x*"]));
    assert_eq!(i(&["demo/p/ab*", "demo/p/b*"], &["demo/p/a*"]), c(&["demo/p/ab*"]));
    // Every key the intersection allows, both allow, and the reverse.
    let (a, b) = (
        c(&["demo/p/r/*", "demo/q", "x/*"]),
        c(&["demo/p/r/2026*", "demo/*", "y/z"]),
    );
    let both = a.intersect(&b);
    for (acct, prod, key) in [
        ("demo", "p", "r/2026/a"),
        ("demo", "p", "r/2025"),
        ("demo", "q", "k"),
        ("x", "p", "k"),
        ("y", "z", "k"),
    ] {
        let want = a.allows_key(acct, prod, key) && b.allows_key(acct, prod, key);
        assert_eq!(both.allows_key(acct, prod, key), want, "{acct}/{prod}/{key}");
    }
    assert!(both.reaches_account("demo") && !both.reaches_account("x") && !both.reaches_account("y"));
}

#[test]
fn invalid_patterns_reject_the_ceiling() {
    for bad in ["", "demo", "Demo/*", "demo/p/a*b*", "demo/p/nostar", "demo/*/x*", "*/*"] {
        assert!(Ceiling::parse(&[bad.to_string()]).is_err(), "{bad}");
    }
}

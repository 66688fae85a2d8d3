use super::*;
use oidc_data_proxy::oidc::Op::*;

fn c(op: Op, v: &str) -> Condition {
    Condition {
        claim: "ref".into(),
        op,
        value: v.into(),
    }
}

#[test]
fn conditions() {
    let yes = [
        (c(Equals, "refs/heads/main"), c(Equals, "refs/heads/main")),
        (c(Equals, "refs/heads/main"), c(StartsWith, "refs/heads/")),
        (c(Equals, "refs/heads/main"), c(Glob, "refs/*/main")),
        (c(StartsWith, "refs/heads/rel"), c(StartsWith, "refs/heads/")),
        (c(StartsWith, "refs/heads/"), c(Glob, "refs/*")),
        (c(Glob, "refs/heads/rel-?"), c(Glob, "refs/heads/rel-*")),
        (c(Glob, "refs/heads/rel-*"), c(StartsWith, "refs/heads/")),
        (c(Glob, "a*b*c"), c(Glob, "a*c")),
        (c(Glob, "prod"), c(Equals, "prod")),
        (c(Equals, "prod"), c(Glob, "prod")),
        (c(Glob, "**x"), c(Glob, "*x")),
        // A literal `*` in an exact value is matched by a glob's `?`.
        (c(Equals, "a*"), c(Glob, "a?")),
    ];
    for (n, w) in &yes {
        assert!(condition_within(n, w), "{n:?} within {w:?}");
    }
    let no = [
        (c(StartsWith, "refs/heads/"), c(Equals, "refs/heads/main")),
        (c(Glob, "refs/heads/*"), c(Equals, "refs/heads/main")),
        (c(StartsWith, "refs/"), c(StartsWith, "refs/heads/")),
        (c(Glob, "refs/heads/rel-*"), c(Glob, "refs/heads/rel-?")),
        (c(Glob, "prod*"), c(Glob, "prod?")),
        (c(Glob, "*prod"), c(Glob, "prod*")),
        (c(Glob, "a*c"), c(Glob, "a*b*c")),
        // The glob `a*` holds values the exact `a*` does not.
        (c(Glob, "a*"), c(Equals, "a*")),
        (c(Equals, "main"), c(Equals, "Main")),
    ];
    for (n, w) in &no {
        assert!(!condition_within(n, w), "{n:?} not within {w:?}");
    }
    let mut other = c(Equals, "refs/heads/main");
    other.claim = "environment".into();
    assert!(!condition_within(&other, &c(Equals, "refs/heads/main")));
}

#[test]
fn bindings() {
    let repo = Condition {
        claim: "repository".into(),
        op: Equals,
        value: "o/r".into(),
    };
    let main = c(Equals, "refs/heads/main");
    let heads = c(StartsWith, "refs/heads/");
    // More conditions, or tighter ones: within.
    assert!(binding_within(
        &[repo.clone(), main.clone()],
        std::slice::from_ref(&repo)
    ));
    assert!(binding_within(
        &[repo.clone(), main.clone()],
        &[repo.clone(), heads.clone()]
    ));
    // A condition dropped: not within.
    assert!(!binding_within(
        std::slice::from_ref(&repo),
        &[repo.clone(), main.clone()]
    ));
    let old = vec![vec![repo.clone(), main.clone()]];
    assert!(!bindings_within(&[], &old), "no bindings accept every token");
    assert!(bindings_within(&old, &[]));
    assert!(!bindings_within(
        &[vec![repo.clone(), main.clone()], vec![heads.clone()]],
        &old
    ));
    assert!(bindings_within(&[vec![main.clone(), repo.clone()]], &old));
}

#[test]
fn ceilings() {
    let yes = [
        ("demo/p", "*"),
        ("demo/p", "demo/*"),
        ("demo/p/x*", "demo/p"),
        ("demo/p/reports/2026*", "demo/p/reports/*"),
        ("demo/p/*", "demo/p"),
        ("demo/p", "demo/p/*"),
        ("demo/*", "demo/*"),
    ];
    for (n, w) in yes {
        assert!(ceiling_pattern_within(n, w), "{n} within {w}");
    }
    let no = [
        ("*", "demo/*"),
        ("demo/*", "demo/p"),
        ("demo/p", "demo/p/x*"),
        ("demo/p/reports*", "demo/p/reports/2026*"),
        ("demo/q", "demo/p"),
        ("other/p", "demo/*"),
        ("demo/p", "demo2/*"),
    ];
    for (n, w) in no {
        assert!(!ceiling_pattern_within(n, w), "{n} not within {w}");
    }
}

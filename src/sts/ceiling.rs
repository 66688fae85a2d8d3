//! A role's permission ceiling: `*`, `account/*`, `account/product`,
//! `account/product/prefix*`. A session never reads outside it, whatever the
//! catalog grants.

use crate::route::valid_name;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    Everything,
    Account(String),
    Product(String, String),
    Prefix(String, String, String),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ceiling(Vec<Scope>);

impl Ceiling {
    /// Parses the patterns; any invalid one makes the whole ceiling invalid
    /// (the role is then disabled: a typo must not widen access).
    pub fn parse(patterns: &[String]) -> Result<Self, String> {
        let mut scopes = Vec::new();
        for p in patterns {
            scopes.push(parse_one(p).ok_or_else(|| format!("invalid ceiling pattern {p:?}"))?);
        }
        Ok(Ceiling(scopes))
    }

    /// May anything in this product be read?
    pub fn allows_product(&self, account: &str, product: &str) -> bool {
        self.0.iter().any(|s| match s {
            Scope::Everything => true,
            Scope::Account(a) => a == account,
            Scope::Product(a, p) | Scope::Prefix(a, p, _) => a == account && p == product,
        })
    }

    /// May this key (relative to the product) be read?
    pub fn allows_key(&self, account: &str, product: &str, key: &str) -> bool {
        self.0.iter().any(|s| match s {
            Scope::Prefix(a, p, pre) => a == account && p == product && key.starts_with(pre.as_str()),
            _ => matches!(s, Scope::Everything) || self_product(s, account, product),
        })
    }

    /// The key prefixes (relative to the product) this ceiling lets be read,
    /// `None` when it allows the whole product. `allows_key` is exactly "starts
    /// with one of these", so listings ask backends for these parts only.
    pub fn key_prefixes(&self, account: &str, product: &str) -> Option<Vec<&str>> {
        let mut prefixes = Vec::new();
        for s in &self.0 {
            match s {
                Scope::Prefix(a, p, pre) if a == account && p == product => prefixes.push(pre.as_str()),
                _ if matches!(s, Scope::Everything) || self_product(s, account, product) => return None,
                _ => {}
            }
        }
        Some(prefixes)
    }

    /// May a listed name (key or common prefix, relative to the product) be shown?
    /// A common prefix is shown when it leads towards an allowed prefix.
    pub fn allows_listed(&self, account: &str, product: &str, name: &str, is_prefix: bool) -> bool {
        self.allows_key(account, product, name)
            || (is_prefix
                && self.0.iter().any(
                    |s| matches!(s, Scope::Prefix(a, p, pre) if a == account && p == product && pre.starts_with(name)),
                ))
    }
}

impl Ceiling {
    /// What both ceilings allow. Every scope is a cone of the name tree
    /// (an account, a product, a key prefix inside one), so two scopes
    /// intersect in the narrower one when one holds the other, and in
    /// nothing otherwise; the result never exceeds `self.len() + other.len()`.
    pub fn intersect(&self, other: &Ceiling) -> Ceiling {
        let mut out: Vec<Scope> = Vec::new();
        for s in &self.0 {
            for t in &other.0 {
                let narrower = match () {
                    _ if holds(s, t) => t,
                    _ if holds(t, s) => s,
                    _ => continue,
                };
                if !out.contains(narrower) {
                    out.push(narrower.clone());
                }
            }
        }
        Ceiling(out)
    }

    /// Does anything in this ceiling lie in `account`?
    pub fn reaches_account(&self, account: &str) -> bool {
        self.0.iter().any(|s| match s {
            Scope::Everything => true,
            Scope::Account(a) | Scope::Product(a, _) | Scope::Prefix(a, _, _) => a == account,
        })
    }
}

/// Does scope `s` allow everything `t` does?
fn holds(s: &Scope, t: &Scope) -> bool {
    match (s, t) {
        (Scope::Everything, _) => true,
        (Scope::Account(a), Scope::Account(b) | Scope::Product(b, _) | Scope::Prefix(b, _, _)) => a == b,
        (Scope::Product(a, p), Scope::Product(b, q) | Scope::Prefix(b, q, _)) => a == b && p == q,
        (Scope::Prefix(a, p, x), Scope::Prefix(b, q, y)) => a == b && p == q && y.starts_with(x.as_str()),
        // A prefix `""` is the whole product.
        (Scope::Prefix(a, p, x), Scope::Product(b, q)) => a == b && p == q && x.is_empty(),
        _ => false,
    }
}

fn self_product(s: &Scope, account: &str, product: &str) -> bool {
    match s {
        Scope::Account(a) => a == account,
        Scope::Product(a, p) => a == account && p == product,
        _ => false,
    }
}

fn parse_one(p: &str) -> Option<Scope> {
    if p == "*" {
        return Some(Scope::Everything);
    }
    let mut parts = p.splitn(3, '/');
    let account = parts.next()?;
    let product = parts.next()?;
    if !valid_name(account) {
        return None;
    }
    match (product, parts.next()) {
        ("*", None) => Some(Scope::Account(account.into())),
        (product, None) if valid_name(product) => Some(Scope::Product(account.into(), product.into())),
        (product, Some(rest)) if valid_name(product) => {
            let prefix = rest.strip_suffix('*')?;
            (!prefix.contains('*')).then(|| Scope::Prefix(account.into(), product.into(), prefix.into()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(p: &[&str]) -> Ceiling {
        Ceiling::parse(&p.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
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
}

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

/// A pattern that is not `*`, `account`, `account/product` or `account/product/prefix*`.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid ceiling pattern {0:?}")]
pub struct CeilingError(pub String);

crate::error::debug_as_display!(CeilingError);

impl Ceiling {
    /// Parses the patterns; any invalid one makes the whole ceiling invalid
    /// (the role is then disabled: a typo must not widen access).
    pub fn parse(patterns: &[String]) -> Result<Self, CeilingError> {
        let mut scopes = Vec::new();
        for p in patterns {
            scopes.push(parse_one(p).ok_or_else(|| CeilingError(p.clone()))?);
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
                let narrower = if holds(s, t) {
                    t
                } else if holds(t, s) {
                    s
                } else {
                    continue;
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
mod tests;

//! "Is this new rule at most as permissive as that old one?", decided
//! conservatively: `true` only when provably so. Whatever cannot be proven
//! narrower is reported as broadening.

use oidc_data_proxy::oidc::{Condition, Op};

/// One symbol of a claim pattern: a literal character, or a glob wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sym {
    Lit(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, `/` included.
    Any,
}

/// The set of claim values a condition accepts, as a pattern. `equals` and
/// `starts_with` values are literal throughout (a `*` in them is a character).
fn pattern(c: &Condition) -> Vec<Sym> {
    match c.op {
        Op::Equals => c.value.chars().map(Sym::Lit).collect(),
        Op::StartsWith => c.value.chars().map(Sym::Lit).chain([Sym::Any]).collect(),
        Op::Glob => c
            .value
            .chars()
            .map(|ch| match ch {
                '*' => Sym::Any,
                '?' => Sym::One,
                other => Sym::Lit(other),
            })
            .collect(),
    }
}

/// Whether every value `narrow` accepts, `wide` accepts too: an alignment of
/// `narrow`'s symbols under `wide`'s, where a `*` of `wide` takes any run of
/// them, a `?` one literal or `?`, and a literal only itself. Sound (each value
/// of `narrow` splits along the alignment into a match of `wide`); it may miss
/// exotic inclusions, which then count as broadening. O(n·m) on values of at
/// most 256 bytes.
fn subset(narrow: &[Sym], wide: &[Sym]) -> bool {
    let (n, m) = (narrow.len(), wide.len());
    // ok[i][j]: narrow[..i] aligns under wide[..j].
    let mut ok = vec![vec![false; m + 1]; n + 1];
    ok[0][0] = true;
    for i in 0..=n {
        for j in 1..=m {
            ok[i][j] = match wide[j - 1] {
                Sym::Any => ok[i][j - 1] || (i > 0 && ok[i - 1][j]),
                Sym::One => i > 0 && ok[i - 1][j - 1] && narrow[i - 1] != Sym::Any,
                Sym::Lit(c) => i > 0 && ok[i - 1][j - 1] && narrow[i - 1] == Sym::Lit(c),
            };
        }
    }
    ok[n][m]
}

/// `narrow` accepts only values `wide` accepts (same claim).
pub fn condition_within(narrow: &Condition, wide: &Condition) -> bool {
    narrow.claim == wide.claim && subset(&pattern(narrow), &pattern(wide))
}

/// Every token this binding (all conditions hold) accepts, `wide` accepts: each
/// of `wide`'s conditions is implied by one of `narrow`'s on the same claim.
pub fn binding_within(narrow: &[Condition], wide: &[Condition]) -> bool {
    wide.iter().all(|w| narrow.iter().any(|n| condition_within(n, w)))
}

/// The role's acceptance (any binding; no bindings = every token) is within the old one's.
pub fn bindings_within(narrow: &[Vec<Condition>], wide: &[Vec<Condition>]) -> bool {
    if wide.is_empty() {
        return true;
    }
    !narrow.is_empty() && narrow.iter().all(|b| wide.iter().any(|w| binding_within(b, w)))
}

/// A ceiling pattern as what it covers: `*`, `account/*`, `account/product`,
/// `account/product/prefix*` (the role parser has already refused anything else).
#[derive(Debug, PartialEq, Eq)]
enum Scope<'a> {
    All,
    Account(&'a str),
    Product(&'a str, &'a str),
    Prefix(&'a str, &'a str, &'a str),
}

fn scope(p: &str) -> Option<Scope<'_>> {
    if p == "*" {
        return Some(Scope::All);
    }
    let mut parts = p.splitn(3, '/');
    let (account, product, rest) = (parts.next()?, parts.next()?, parts.next());
    Some(match (product, rest) {
        ("*", None) => Scope::Account(account),
        (product, None) => Scope::Product(account, product),
        // `a/p/*` is the whole product.
        (product, Some("*")) => Scope::Product(account, product),
        (product, Some(rest)) => Scope::Prefix(account, product, rest.strip_suffix('*')?),
    })
}

/// Everything `narrow` lets be read, `wide` does.
pub fn ceiling_pattern_within(narrow: &str, wide: &str) -> bool {
    let (Some(n), Some(w)) = (scope(narrow), scope(wide)) else {
        return false;
    };
    match (n, w) {
        (_, Scope::All) => true,
        (Scope::Account(a) | Scope::Product(a, _) | Scope::Prefix(a, _, _), Scope::Account(b)) => a == b,
        (Scope::Product(a, p) | Scope::Prefix(a, p, _), Scope::Product(b, q)) => a == b && p == q,
        (Scope::Prefix(a, p, x), Scope::Prefix(b, q, y)) => a == b && p == q && x.starts_with(y),
        _ => false,
    }
}

/// A ceiling pattern is covered by one of a ceiling's patterns.
pub fn ceiling_covers(ceiling: &[String], pattern: &str) -> bool {
    ceiling.iter().any(|w| ceiling_pattern_within(pattern, w))
}

#[cfg(test)]
mod tests;

//! Every change between two trust configurations that affects who may obtain
//! credentials or what they may do, each classified.

use std::collections::{BTreeMap, BTreeSet};

use oidc_data_proxy::oidc::{Condition, Op};
use oidc_data_proxy::sts::roles::Role;

use super::contain::{binding_within, bindings_within, ceiling_covers, condition_within};
use super::load::Trust;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Broadening,
    Narrowing,
    Neutral,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Broadening => "broadening",
            Self::Narrowing => "narrowing",
            Self::Neutral => "neutral",
        }
    }
}

/// One change. `kind` is a stable identifier (fixtures and tests name it);
/// `detail` is for people.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    pub class: Class,
    pub env: String,
    /// Empty for environment-wide changes.
    pub role: String,
    pub kind: &'static str,
    pub detail: String,
}

/// Findings of every environment in either configuration, broadening first.
pub fn diff(old: &BTreeMap<String, Trust>, new: &BTreeMap<String, Trust>) -> Vec<Finding> {
    let empty = Trust::default();
    let envs: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    let mut out = Vec::new();
    for env in envs {
        let (o, n) = (old.get(env).unwrap_or(&empty), new.get(env).unwrap_or(&empty));
        let mut f = Sink {
            env,
            role: "",
            out: &mut out,
        };
        diff_trust(o, n, &mut f);
    }
    out.sort();
    out
}

struct Sink<'a> {
    env: &'a str,
    role: &'a str,
    out: &'a mut Vec<Finding>,
}

impl Sink<'_> {
    fn push(&mut self, class: Class, kind: &'static str, detail: String) {
        self.out.push(Finding {
            class,
            env: self.env.to_string(),
            role: self.role.to_string(),
            kind,
            detail,
        });
    }
}

fn diff_trust(old: &Trust, new: &Trust, f: &mut Sink<'_>) {
    match (old.loopback_issuers, new.loopback_issuers) {
        (false, true) => f.push(
            Class::Broadening,
            "loopback_issuers_allowed",
            "OIDC_ALLOW_LOOPBACK_ISSUERS turned on: http issuers on 127.0.0.1/localhost are trusted".into(),
        ),
        (true, false) => f.push(
            Class::Narrowing,
            "loopback_issuers_refused",
            "OIDC_ALLOW_LOOPBACK_ISSUERS turned off".into(),
        ),
        _ => {}
    }
    let names: BTreeSet<&String> = old.roles.keys().chain(new.roles.keys()).collect();
    for name in names {
        let mut rf = Sink {
            env: f.env,
            role: name,
            out: f.out,
        };
        match (old.roles.get(name), new.roles.get(name)) {
            (None, Some(r)) => rf.push(Class::Broadening, "new_role", describe(r)),
            (Some(_), None) => rf.push(
                Class::Narrowing,
                "role_removed",
                "role removed (or disabled: see the warnings)".into(),
            ),
            (Some(o), Some(n)) => diff_role(o, n, &mut rf),
            (None, None) => {}
        }
    }
}

fn describe(r: &Role) -> String {
    let conditions = match r.bindings.len() {
        0 => "no conditions (any token of these issuers and audiences)".to_string(),
        n => format!(
            "{n} binding(s): {}",
            r.bindings
                .iter()
                .map(|b| binding_text(b))
                .collect::<Vec<_>>()
                .join(" OR ")
        ),
    };
    format!(
        "new role: issuers {}, audiences {}, {conditions}, ceiling {}, max {} s",
        list(&r.issuers),
        list(&r.audiences),
        list(&r.ceiling_patterns),
        r.max_duration
    )
}

fn diff_role(old: &Role, new: &Role, f: &mut Sink<'_>) {
    set_diff(&old.issuers, &new.issuers, "issuer", f);
    set_diff(&old.audiences, &new.audiences, "audience", f);
    diff_bindings(&old.bindings, &new.bindings, f);
    diff_ceiling(&old.ceiling_patterns, &new.ceiling_patterns, f);
    match new.max_duration.cmp(&old.max_duration) {
        std::cmp::Ordering::Greater => f.push(
            Class::Broadening,
            "max_duration_longer",
            format!("maximum session {} s → {} s", old.max_duration, new.max_duration),
        ),
        std::cmp::Ordering::Less => f.push(
            Class::Narrowing,
            "max_duration_shorter",
            format!("maximum session {} s → {} s", old.max_duration, new.max_duration),
        ),
        std::cmp::Ordering::Equal => {}
    }
    for c in old.pass_claims.iter().filter(|c| !new.pass_claims.contains(c)) {
        f.push(
            Class::Broadening,
            "pass_claim_dropped",
            format!(
                "claim {} no longer passed into sessions: their audit lines and catalog calls lose it",
                code(c)
            ),
        );
    }
    for c in old.audit_claims.iter().filter(|c| !new.audit_claims.contains(c)) {
        f.push(
            Class::Broadening,
            "audit_claim_dropped",
            format!(
                "claim {} no longer in exchange audit lines: credentials can no longer be tied to it",
                code(c)
            ),
        );
    }
    for c in new.audit_claims.iter().filter(|c| !old.audit_claims.contains(c)) {
        f.push(
            Class::Narrowing,
            "audit_claim_added",
            format!("claim {} now in exchange audit lines", code(c)),
        );
    }
    for c in new.pass_claims.iter().filter(|c| !old.pass_claims.contains(c)) {
        f.push(
            Class::Broadening,
            "pass_claim_added",
            format!(
                "claim {} now passed into sessions: catalog grants naming it can match",
                code(c)
            ),
        );
    }
}

/// Issuers and audiences: each one trusted anew broadens, each dropped narrows.
fn set_diff(old: &[String], new: &[String], what: &'static str, f: &mut Sink<'_>) {
    let (added, removed) = if what == "issuer" {
        ("new_issuer", "issuer_removed")
    } else {
        ("new_audience", "audience_removed")
    };
    for x in new.iter().filter(|x| !old.contains(x)) {
        f.push(Class::Broadening, added, format!("new trusted {what} {}", code(x)));
    }
    for x in old.iter().filter(|x| !new.contains(x)) {
        f.push(
            Class::Narrowing,
            removed,
            format!("{what} {} no longer trusted", code(x)),
        );
    }
}

fn diff_bindings(old: &[Vec<Condition>], new: &[Vec<Condition>], f: &mut Sink<'_>) {
    if old == new {
        return;
    }
    if new.is_empty() {
        return f.push(
            Class::Broadening,
            "conditions_removed",
            format!(
                "every condition removed (was {}): any token of the trusted issuers and audiences is accepted",
                bindings_text(old)
            ),
        );
    }
    if old.is_empty() {
        return f.push(
            Class::Narrowing,
            "conditions_added",
            format!("conditions added: {}", bindings_text(new)),
        );
    }
    let mut changed = false;
    for nb in new.iter().filter(|nb| !old.iter().any(|ob| binding_within(nb, ob))) {
        changed = true;
        match closest(nb, old) {
            Some(ob) => explain_broader(nb, ob, f),
            None => f.push(
                Class::Broadening,
                "binding_added",
                format!(
                    "new binding {} accepts tokens no old binding accepted",
                    binding_text(nb)
                ),
            ),
        }
    }
    for ob in old.iter().filter(|ob| !new.iter().any(|nb| binding_within(ob, nb))) {
        changed = true;
        f.push(
            Class::Narrowing,
            "binding_narrowed",
            format!("tokens accepted by {} are no longer all accepted", binding_text(ob)),
        );
    }
    if !changed {
        let kind = if bindings_within(new, old) && bindings_within(old, new) {
            "conditions_rewritten"
        } else {
            "conditions_changed"
        };
        f.push(
            Class::Neutral,
            kind,
            format!(
                "{} → {}: the same tokens are accepted",
                bindings_text(old),
                bindings_text(new)
            ),
        );
    }
}

/// The old binding most like `nb` (most conditions on the same claims; the first of equals),
/// to explain against; `None` when none shares a claim with it.
fn closest<'a>(nb: &[Condition], old: &'a [Vec<Condition>]) -> Option<&'a [Condition]> {
    let shared = |ob: &[Condition]| ob.iter().filter(|o| nb.iter().any(|n| n.claim == o.claim)).count();
    let mut best: Option<(&'a [Condition], usize)> = None;
    for ob in old {
        let s = shared(ob);
        if s > 0 && best.is_none_or(|(_, b)| s > b) {
            best = Some((ob, s));
        }
    }
    best.map(|(ob, _)| ob)
}

/// Why binding `nb` accepts tokens `ob` did not: each condition of `ob` that `nb` no longer implies.
fn explain_broader(nb: &[Condition], ob: &[Condition], f: &mut Sink<'_>) {
    let mut said = false;
    for w in ob.iter().filter(|w| !nb.iter().any(|n| condition_within(n, w))) {
        said = true;
        let same_claim: Vec<&Condition> = nb.iter().filter(|n| n.claim == w.claim).collect();
        let Some(n) = same_claim.first() else {
            f.push(
                Class::Broadening,
                "condition_removed",
                format!("condition {} removed (binding now {})", cond_text(w), binding_text(nb)),
            );
            continue;
        };
        let kind = match (w.op, n.op) {
            (Op::Equals, Op::StartsWith) => "exact_to_prefix",
            (Op::Equals, Op::Glob) => "exact_to_glob",
            (Op::StartsWith, Op::StartsWith) => "prefix_widened",
            (Op::StartsWith, Op::Glob) => "prefix_to_glob",
            (Op::Glob, Op::Glob) => "glob_widened",
            _ => "condition_loosened",
        };
        f.push(Class::Broadening, kind, format!("{} → {}", cond_text(w), cond_text(n)));
    }
    if !said {
        // Unreachable in practice: `nb` would then be within `ob`. Said anyway, never silently.
        f.push(
            Class::Broadening,
            "binding_added",
            format!(
                "new binding {} accepts tokens no old binding accepted",
                binding_text(nb)
            ),
        );
    }
}

fn diff_ceiling(old: &[String], new: &[String], f: &mut Sink<'_>) {
    if old == new {
        return;
    }
    let mut changed = false;
    for p in new.iter().filter(|p| !ceiling_covers(old, p)) {
        changed = true;
        f.push(
            Class::Broadening,
            "ceiling_widened",
            format!("ceiling now lets {} be read", code(p)),
        );
    }
    for p in old.iter().filter(|p| !ceiling_covers(new, p)) {
        changed = true;
        f.push(
            Class::Narrowing,
            "ceiling_narrowed",
            format!("ceiling no longer covers all of {}", code(p)),
        );
    }
    if !changed {
        f.push(
            Class::Neutral,
            "ceiling_rewritten",
            format!("ceiling {} → {}: the same reads allowed", list(old), list(new)),
        );
    }
}

fn cond_text(c: &Condition) -> String {
    let op = match c.op {
        Op::Equals => "equals",
        Op::StartsWith => "starts_with",
        Op::Glob => "glob",
    };
    format!("{} {op} {}", code(&c.claim), code(&c.value))
}

fn binding_text(b: &[Condition]) -> String {
    format!("[{}]", b.iter().map(cond_text).collect::<Vec<_>>().join(" AND "))
}

fn bindings_text(bs: &[Vec<Condition>]) -> String {
    bs.iter().map(|b| binding_text(b)).collect::<Vec<_>>().join(" OR ")
}

fn list(xs: &[String]) -> String {
    xs.iter().map(|x| code(x)).collect::<Vec<_>>().join(", ")
}

/// A configuration value as a Markdown code span that nothing in it can close or break:
/// configuration comes from the pull request under review.
pub fn code(s: &str) -> String {
    let clean: String = s
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // CommonMark drops one space each side; it is only needed next to a backtick.
    let pad = if clean.starts_with('`') || clean.ends_with('`') || clean.trim().is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

#[cfg(test)]
mod tests;

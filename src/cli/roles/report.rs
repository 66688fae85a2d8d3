//! The Markdown report of a trust-change review, and the digest that approves
//! exactly one set of broadening changes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use super::diff::{code, Class, Finding};
use super::load::Trust;

/// `sha256:<hex>` over the broadening findings (sorted), or `None` without any.
/// Another broadening change, or the same one in another role, is another digest.
pub fn digest(findings: &[Finding]) -> Option<String> {
    let mut lines: Vec<String> = findings
        .iter()
        .filter(|f| f.class == Class::Broadening)
        .map(|f| format!("{}\t{}\t{}\t{}", f.env, f.role, f.kind, f.detail))
        .collect();
    if lines.is_empty() {
        return None;
    }
    lines.sort();
    Some(format!(
        "sha256:{}",
        hex::encode(Sha256::digest(lines.join("\n").as_bytes()))
    ))
}

pub struct Header<'a> {
    pub old: &'a str,
    pub new: &'a str,
    /// Whether the broadening is approved, and by what.
    pub approved_by: Option<String>,
}

pub fn markdown(h: &Header<'_>, findings: &[Finding], new: &BTreeMap<String, Trust>) -> String {
    let count = |c: Class| findings.iter().filter(|f| f.class == c).count();
    let (b, n, z) = (count(Class::Broadening), count(Class::Narrowing), count(Class::Neutral));
    let mut s = String::new();
    let _ = writeln!(s, "## Trust-change review\n\n{} → {}\n", code(h.old), code(h.new));
    if findings.is_empty() {
        s.push_str("No change to who may obtain credentials or what they may do.\n");
    } else {
        let _ = writeln!(s, "**{b} broadening**, {n} narrowing, {z} neutral.\n");
        s.push_str("| class | environment | role | change |\n|---|---|---|---|\n");
        for f in findings {
            let class = match f.class {
                Class::Broadening => "**broadening**".to_string(),
                c => c.as_str().to_string(),
            };
            let role = if f.role.is_empty() {
                "(all)".to_string()
            } else {
                code(&f.role)
            };
            let _ = writeln!(
                s,
                "| {class} | {} | {role} | {} (`{}`) |",
                code(&f.env),
                f.detail,
                f.kind
            );
        }
    }
    if let Some(d) = digest(findings) {
        s.push_str("\n### Approval\n\n");
        match &h.approved_by {
            Some(by) => {
                let _ = writeln!(s, "The broadening above is approved ({by}).");
            }
            None => {
                let _ = writeln!(
                    s,
                    "Not approved. This change lets more tokens obtain credentials, or lets them do more. \
                     A reviewer who accepts it records the digest of exactly these changes on its own line \
                     in `.github/trust-approvals` (docs/GOVERNANCE.md):\n\n```\n{d}\n```"
                );
            }
        }
    }
    let warnings: Vec<(&String, &String)> = new
        .iter()
        .flat_map(|(env, t)| t.warnings.iter().map(move |w| (env, w)))
        .collect();
    if !warnings.is_empty() {
        s.push_str("\n### What the Worker would refuse in the new configuration\n\n");
        for (env, w) in warnings {
            let _ = writeln!(s, "- {}: {}", code(env), code(w));
        }
    }
    s
}

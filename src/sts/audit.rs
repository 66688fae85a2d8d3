//! What an exchange's audit line records beyond who asked: the claims that
//! tie the credential to the run that obtained it (a role's
//! `audit_claims`), and the session policy's digest and resources. Bounded,
//! and never the token itself.

use serde_json::{json, Map, Value};

use super::roles::Role;
use crate::session::SealedPolicy;

/// The longest claim value recorded; longer ones are cut (marked with `…`).
pub const MAX_AUDIT_VALUE_BYTES: usize = 256;

/// The role's audit claims the (verified) token has: strings (cut at
/// [`MAX_AUDIT_VALUE_BYTES`]), numbers and booleans; others are left out.
pub fn claims(role: &Role, all: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for name in &role.audit_claims {
        let v = match all.get(name) {
            Some(Value::String(s)) => Value::String(cut(s)),
            Some(v @ (Value::Number(_) | Value::Bool(_))) => v.clone(),
            _ => continue,
        };
        out.insert(name.clone(), v);
    }
    out
}

fn cut(s: &str) -> String {
    if s.len() <= MAX_AUDIT_VALUE_BYTES {
        return s.to_string();
    }
    let mut end = MAX_AUDIT_VALUE_BYTES;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// A session policy as the audit line shows it.
pub fn policy(p: &SealedPolicy) -> Value {
    json!({"digest": p.digest, "read": p.read, "list": p.list})
}

#[cfg(test)]
mod tests;

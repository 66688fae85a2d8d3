//! Claim conditions of a role binding, e.g. "only this repository".
//!
//! JSON shape: an object with `claim` and exactly one operator key.
//! ```json
//! {"claim": "repository", "equals": "org/repo"}
//! {"claim": "ref", "starts_with": "refs/heads/"}
//! {"claim": "ref", "glob": "refs/heads/release-*"}
//! ```
//! Conditions look at top-level string claims only; a missing or non-string
//! claim fails (so a condition can never be met by omitting the claim).
//! Comparison is exact and case-sensitive. In a glob, `*` matches any run of
//! characters (including `/`) and `?` exactly one character; there is no
//! escaping, so a literal `*` or `?` in a claim is matched by the wildcards.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::glob::glob_match;

/// One condition on one claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "RawCondition")]
pub struct Condition {
    pub claim: String,
    pub op: Op,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Equals,
    StartsWith,
    Glob,
}

/// The wire form; [`Condition`] enforces "exactly one operator".
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    claim: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    equals: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    starts_with: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    glob: Option<String>,
}

/// Why a condition is refused (serde reports it with its position).
#[derive(thiserror::Error)]
pub enum ConditionError {
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error("a condition needs exactly one of equals, starts_with, glob")]
    NotOneOp,
    #[error("a condition needs a non-empty claim name")]
    NoClaim,
    #[error("condition on {0:?} has an empty value")]
    EmptyValue(String),
}

crate::error::debug_as_display!(ConditionError);

/// Through a JSON object first: serde's derived struct parsing would also
/// take a positional array (`["ref", "x"]`), which no one should write.
impl TryFrom<Map<String, Value>> for Condition {
    type Error = ConditionError;

    fn try_from(obj: Map<String, Value>) -> Result<Self, ConditionError> {
        let raw: RawCondition = serde_json::from_value(Value::Object(obj))?;
        Self::try_from(raw)
    }
}

impl TryFrom<RawCondition> for Condition {
    type Error = ConditionError;

    fn try_from(raw: RawCondition) -> Result<Self, ConditionError> {
        let ops = [
            (Op::Equals, raw.equals),
            (Op::StartsWith, raw.starts_with),
            (Op::Glob, raw.glob),
        ];
        let mut given = ops.into_iter().filter_map(|(op, v)| v.map(|v| (op, v)));
        let (Some((op, value)), None) = (given.next(), given.next()) else {
            return Err(ConditionError::NotOneOp);
        };
        if raw.claim.is_empty() {
            return Err(ConditionError::NoClaim);
        }
        // An empty value is a configuration slip (`starts_with: ""` would
        // match everything): refuse it rather than guess.
        if value.is_empty() {
            return Err(ConditionError::EmptyValue(raw.claim));
        }
        Ok(Condition {
            claim: raw.claim,
            op,
            value,
        })
    }
}

impl From<Condition> for RawCondition {
    fn from(c: Condition) -> Self {
        let mut raw = RawCondition {
            claim: c.claim,
            equals: None,
            starts_with: None,
            glob: None,
        };
        let slot = match c.op {
            Op::Equals => &mut raw.equals,
            Op::StartsWith => &mut raw.starts_with,
            Op::Glob => &mut raw.glob,
        };
        *slot = Some(c.value);
        raw
    }
}

impl Condition {
    /// Whether the (verified) claims satisfy this condition.
    pub fn holds(&self, claims: &Map<String, Value>) -> bool {
        let Some(actual) = claims.get(&self.claim).and_then(Value::as_str) else {
            return false;
        };
        match self.op {
            Op::Equals => actual == self.value,
            Op::StartsWith => actual.starts_with(&self.value),
            Op::Glob => glob_match(&self.value, actual),
        }
    }
}

/// All conditions of one binding hold (an empty list holds trivially).
pub fn all_hold(conditions: &[Condition], claims: &Map<String, Value>) -> bool {
    conditions.iter().all(|c| c.holds(claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cond(v: Value) -> Result<Condition, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    fn claims() -> Map<String, Value> {
        json!({
            "repository": "org/repo",
            "ref": "refs/heads/release-1.2",
            "environment": "prod",
            "run_number": 42,
            "flags": ["a"],
            "empty": "",
            "nested": {"repository": "org/repo"}
        })
        .as_object()
        .cloned()
        .unwrap_or_default()
    }

    #[test]
    fn json_shapes() {
        let c = cond(json!({"claim": "repository", "equals": "org/repo"}));
        assert_eq!(
            c,
            Ok(Condition {
                claim: "repository".into(),
                op: Op::Equals,
                value: "org/repo".into()
            })
        );
        assert_eq!(
            cond(json!({"claim": "ref", "starts_with": "refs/heads/"})).map(|c| c.op),
            Ok(Op::StartsWith)
        );
        assert_eq!(
            cond(json!({"claim": "ref", "glob": "refs/heads/release-*"})).map(|c| c.op),
            Ok(Op::Glob)
        );
        // Round trip.
        for v in [
            json!({"claim": "a", "equals": "x"}),
            json!({"claim": "a", "starts_with": "x"}),
            json!({"claim": "a", "glob": "x*"}),
        ] {
            let c = cond(v.clone()).expect("valid");
            assert_eq!(serde_json::to_value(&c).ok(), Some(v));
        }
    }

    #[test]
    fn bad_shapes_rejected() {
        for v in [
            json!({"claim": "a"}),
            json!({"claim": "a", "equals": "x", "glob": "x"}),
            json!({"claim": "a", "equals": "x", "starts_with": "x", "glob": "x"}),
            json!({"claim": "", "equals": "x"}),
            json!({"claim": "a", "equals": ""}),
            json!({"claim": "a", "starts_with": ""}),
            json!({"claim": "a", "regex": ".*"}),
            json!({"claim": "a", "equals": "x", "extra": 1}),
            json!({"claim": "a", "equals": 1}),
            json!({"claim": "a", "equals": null}),
            json!({"equals": "x"}),
            json!(["a", "x"]),
        ] {
            assert!(cond(v.clone()).is_err(), "{v}");
        }
    }

    #[test]
    fn holds_on_string_claims_only() {
        let c = claims();
        let yes = |v: Value| cond(v).map(|k| k.holds(&c)) == Ok(true);
        assert!(yes(json!({"claim": "repository", "equals": "org/repo"})));
        assert!(!yes(json!({"claim": "repository", "equals": "org/rep"})));
        assert!(!yes(json!({"claim": "repository", "equals": "Org/repo"})));
        assert!(yes(json!({"claim": "ref", "starts_with": "refs/heads/"})));
        assert!(!yes(json!({"claim": "ref", "starts_with": "refs/tags/"})));
        assert!(yes(json!({"claim": "ref", "glob": "refs/heads/release-*"})));
        assert!(yes(json!({"claim": "ref", "glob": "refs/*/release-?.?"})));
        assert!(!yes(json!({"claim": "ref", "glob": "refs/heads/main"})));
        // Missing, non-string and nested claims fail.
        assert!(!yes(json!({"claim": "missing", "glob": "*"})));
        assert!(!yes(json!({"claim": "run_number", "equals": "42"})));
        assert!(!yes(json!({"claim": "run_number", "glob": "*"})));
        assert!(!yes(json!({"claim": "flags", "glob": "*"})));
        assert!(!yes(json!({"claim": "nested.repository", "equals": "org/repo"})));
        // `*` matches an empty string claim; `?` needs a char.
        assert!(yes(json!({"claim": "empty", "glob": "*"})));
        assert!(!yes(json!({"claim": "empty", "glob": "?"})));
    }

    #[test]
    fn all_hold_is_and() {
        let c = claims();
        let a = cond(json!({"claim": "repository", "equals": "org/repo"})).expect("valid");
        let b = cond(json!({"claim": "environment", "equals": "prod"})).expect("valid");
        let x = cond(json!({"claim": "environment", "equals": "dev"})).expect("valid");
        assert!(all_hold(&[], &c));
        assert!(all_hold(&[a.clone(), b.clone()], &c));
        assert!(!all_hold(&[a, b, x], &c));
    }
}

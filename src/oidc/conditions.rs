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
mod tests;

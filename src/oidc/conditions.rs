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

use serde_json::{Map, Value};

use super::glob::glob_match;
use crate::json::{self, FieldError, Obj};

/// One condition on one claim.
#[derive(Debug, Clone, PartialEq, Eq)]
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
struct RawCondition {
    claim: String,
    equals: Option<String>,
    starts_with: Option<String>,
    glob: Option<String>,
}

/// Why a condition is refused.
#[derive(thiserror::Error)]
pub enum ConditionError {
    /// Not the shape (a field's path and what is wrong with it).
    #[error(transparent)]
    Json(#[from] FieldError),
    #[error("a condition needs exactly one of equals, starts_with, glob")]
    NotOneOp,
    #[error("a condition needs a non-empty claim name")]
    NoClaim,
    #[error("condition on {0:?} has an empty value")]
    EmptyValue(String),
}

crate::error::debug_as_display!(ConditionError);

/// From a JSON object only (never a positional array such as `["ref", "x"]`), read by
/// hand (src/json.rs): unknown fields are refused; an operator set to `null` counts as absent.
impl TryFrom<Map<String, Value>> for Condition {
    type Error = ConditionError;

    fn try_from(obj: Map<String, Value>) -> Result<Self, ConditionError> {
        let mut o = Obj::from(obj);
        let raw = RawCondition {
            claim: o.req_str("claim")?,
            equals: o.opt_str("equals")?,
            starts_with: o.opt_str("starts_with")?,
            glob: o.opt_str("glob")?,
        };
        o.end()?;
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

impl Condition {
    /// A condition of a document (`ROLES`): its problem as a field error, so that the
    /// document's error names where the condition is.
    pub fn from_value(v: Value) -> json::Result<Self> {
        let Value::Object(m) = v else {
            return Err(FieldError::new("expected an object"));
        };
        Self::try_from(m).map_err(|e| match e {
            ConditionError::Json(e) => e,
            other => FieldError::custom(other.to_string()),
        })
    }

    /// The JSON form: `{"claim": ..., "<operator>": ...}`.
    pub fn to_value(&self) -> Value {
        let op = match self.op {
            Op::Equals => "equals",
            Op::StartsWith => "starts_with",
            Op::Glob => "glob",
        };
        let mut m = Map::new();
        m.insert("claim".into(), Value::from(self.claim.as_str()));
        m.insert(op.into(), Value::from(self.value.as_str()));
        Value::Object(m)
    }

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

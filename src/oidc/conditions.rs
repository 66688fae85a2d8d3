//! Claim conditions of a role binding (S7), e.g. "only this repository".
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

/// Through a JSON object first: serde's derived struct parsing would also
/// take a positional array (`["ref", "x"]`), which no one should write.
impl TryFrom<Map<String, Value>> for Condition {
    type Error = String;

    fn try_from(obj: Map<String, Value>) -> Result<Self, String> {
        let raw: RawCondition = serde_json::from_value(Value::Object(obj)).map_err(|e| e.to_string())?;
        Self::try_from(raw)
    }
}

impl TryFrom<RawCondition> for Condition {
    type Error = String;

    fn try_from(raw: RawCondition) -> Result<Self, String> {
        let ops = [
            (Op::Equals, raw.equals),
            (Op::StartsWith, raw.starts_with),
            (Op::Glob, raw.glob),
        ];
        let mut given = ops.into_iter().filter_map(|(op, v)| v.map(|v| (op, v)));
        let (op, value) = match (given.next(), given.next()) {
            (Some(one), None) => one,
            _ => return Err("a condition needs exactly one of equals, starts_with, glob".into()),
        };
        if raw.claim.is_empty() {
            return Err("a condition needs a non-empty claim name".into());
        }
        // An empty value is a configuration slip (`starts_with: ""` would
        // match everything): refuse it rather than guess.
        if value.is_empty() {
            return Err(format!("condition on {:?} has an empty value", raw.claim));
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

/// `*` / `?` glob over chars.
fn glob_match(pattern: &str, text: &str) -> bool {
    glob_match_counted(pattern, text).0
}

/// The glob as a set of states run over the claim in one pass (bit-parallel
/// NFA, as in shift-and): state `i` means "the first `i` pattern chars
/// matched". The claim is the token holder's to choose, so the work must not
/// depend on how it interacts with the pattern: a backtracking matcher costs
/// claim × pattern on `*aaa…ab`. Here each claim char costs one update of
/// (pattern length + 1) / 64 words, whatever the pattern's shape. Returns the
/// match and the words updated, for the tests.
fn glob_match_counted(pattern: &str, text: &str) -> (bool, usize) {
    // `**` matches what `*` does; collapsing runs means a star's successor
    // is never a star, so one step of closure below is enough.
    let mut p: Vec<char> = Vec::with_capacity(pattern.len());
    for c in pattern.chars() {
        if !(c == '*' && p.last() == Some(&'*')) {
            p.push(c);
        }
    }
    let m = p.len();
    let words = (m + 1).div_ceil(64);
    let bit = |i: usize| (i / 64, 1u64 << (i % 64));
    // Stars, the states `?` advances from, and per literal char the states it
    // advances from (sorted for binary search; a char not in the pattern
    // advances `?` states only).
    let mut stars = vec![0u64; words];
    let mut any = vec![0u64; words];
    let mut lits: Vec<(char, Vec<u64>)> = Vec::new();
    for (i, &c) in p.iter().enumerate() {
        let (w, b) = bit(i);
        match c {
            '*' => stars[w] |= b,
            '?' => any[w] |= b,
            _ => {
                let at = match lits.binary_search_by(|(k, _)| k.cmp(&c)) {
                    Ok(at) => at,
                    Err(at) => {
                        lits.insert(at, (c, vec![0u64; words]));
                        at
                    }
                };
                if let Some((_, mask)) = lits.get_mut(at) {
                    mask[w] |= b;
                }
            }
        }
    }
    for (_, mask) in lits.iter_mut() {
        for (m, a) in mask.iter_mut().zip(&any) {
            *m |= a;
        }
    }
    // A star matches the empty run: its successor is live whenever it is.
    let close = |d: &mut [u64]| {
        let mut carry = 0;
        for (x, s) in d.iter_mut().zip(&stars) {
            let live = *x & s;
            *x |= (live << 1) | carry;
            carry = live >> 63;
        }
    };
    let mut d = vec![0u64; words];
    d[0] = 1;
    close(&mut d);
    let mut steps = 0;
    for c in text.chars() {
        let adv = match lits.binary_search_by(|(k, _)| k.cmp(&c)) {
            Ok(at) => lits.get(at).map_or(&any, |(_, mask)| mask),
            Err(_) => &any,
        };
        // Advance every live state whose pattern char takes `c`; stars stay.
        let mut carry = 0;
        for ((x, a), s) in d.iter_mut().zip(adv).zip(&stars) {
            let moved = *x & a;
            *x = (moved << 1) | carry | (*x & s);
            carry = moved >> 63;
        }
        close(&mut d);
        steps += words;
        if d.iter().all(|&x| x == 0) {
            return (false, steps);
        }
    }
    let (w, b) = bit(m);
    (d.get(w).is_some_and(|x| x & b != 0), steps)
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

    #[test]
    fn glob_semantics() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            ("", "a", false),
            ("*", "", true),
            ("*", "anything/at/all", true),
            ("**", "x", true),
            ("?", "", false),
            ("?", "é", true), // a char, not a byte
            ("??", "é", false),
            ("a*b", "ab", true),
            ("a*b", "axxb", true),
            ("a*b", "axxbc", false),
            ("a*b*c", "abbbc", true),
            ("a*b*c", "acb", false),
            ("*.csv", "x.csv.gz", false),
            ("*.csv*", "x.csv.gz", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a", "bbba", true),
            ("*a", "bbab", false),
            ("a*", "a", true),
            ("*x*", "abc", false),
            ("refs/heads/*", "refs/heads/feature/x", true),
            ("refs/heads/*", "refs/heads", false),
            ("mis*is*ip*i", "mississippi", true),
            ("mis*is*ip*?", "mississippi", true),
            ("mis*is*ip*x", "mississippi", false),
        ];
        for &(p, t, want) in cases {
            assert_eq!(glob_match(p, t), want, "{p:?} vs {t:?}");
        }
    }

    /// The reference: the textbook dynamic program over (pattern, claim) prefixes.
    fn glob_reference(p: &[char], t: &[char]) -> bool {
        let mut row = vec![false; t.len() + 1];
        row[0] = true;
        for &c in p {
            let mut next = vec![false; t.len() + 1];
            next[0] = c == '*' && row[0];
            for j in 1..=t.len() {
                next[j] = match c {
                    '*' => next[j - 1] || row[j],
                    '?' => row[j - 1],
                    _ => row[j - 1] && t[j - 1] == c,
                };
            }
            row = next;
        }
        row[t.len()]
    }

    /// Every pattern of up to 5 chars over `a b * ?` against every claim of up
    /// to 6 chars over `a b`, and a few longer ones across the 64-state words.
    #[test]
    fn glob_agrees_with_the_reference_everywhere_small() {
        fn all(alphabet: &[char], max: usize) -> Vec<Vec<char>> {
            let mut out = vec![vec![]];
            let mut last = vec![vec![]];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|s: &Vec<char>| alphabet.iter().map(move |&c| [s.as_slice(), &[c]].concat()))
                    .collect();
                out.extend(last.iter().cloned());
            }
            out
        }
        let pats = all(&['a', 'b', '*', '?'], 5);
        let texts = all(&['a', 'b'], 6);
        for p in &pats {
            let ps: String = p.iter().collect();
            for t in &texts {
                let ts: String = t.iter().collect();
                assert_eq!(glob_match(&ps, &ts), glob_reference(p, t), "{ps:?} vs {ts:?}");
            }
        }
        // Across word boundaries (63, 64, 65 states and more).
        for n in [62, 63, 64, 65, 127, 128, 200] {
            let text: Vec<char> = "ab".repeat(n).chars().collect();
            for p in [
                format!("{}*", "ab".repeat(n / 2)),
                format!("*{}", "ab".repeat(n / 2)),
                format!("*{}?", "ab".repeat(n / 2)),
                format!("{}*b", "a?".repeat(n / 2)),
                format!("*{}*", "ba".repeat(n / 2)),
                format!("*{}a*", "ab".repeat(n / 2)),
                "?".repeat(2 * n),
                "?".repeat(2 * n - 1),
            ] {
                let pc: Vec<char> = p.chars().collect();
                let ts: String = text.iter().collect();
                assert_eq!(glob_match(&p, &ts), glob_reference(&pc, &text), "{p:?} ({n})");
            }
        }
    }

    /// Claim values are the token holder's to choose (up to the 20,000-character
    /// token), patterns the operator's (at most 256 bytes). The work must grow
    /// with the claim alone: one pass, a few word operations per character
    /// (a 64-state word per 64 pattern characters), whatever the pattern's shape.
    /// Backtracking matchers pay claim × pattern here (seconds for a role's
    /// 256 conditions); exponential ones never finish.
    #[test]
    fn glob_work_is_linear_in_the_claim() {
        let long = "a".repeat(255);
        let worst: Vec<(String, String, bool)> = vec![
            // One star, then a literal that almost matches at every offset.
            (format!("*{}b", &long[1..]), "a".repeat(15_000), false),
            (format!("*{}", &long[1..]), "a".repeat(15_000), true),
            // Many stars, each followed by a char the claim is full of.
            (format!("{}b", "*a".repeat(127)), "a".repeat(15_000), false),
            (format!("{}*", "a*".repeat(127)), "a".repeat(15_000), true),
            ("*?".repeat(127), "x".repeat(15_000), true),
            (format!("*{}*c", "ab".repeat(127)), "ab".repeat(7_500), false),
            // Non-ASCII: chars, not bytes.
            (format!("*{}z", "é".repeat(127)), "é".repeat(15_000), false),
        ];
        for (p, t, want) in &worst {
            let (got, steps) = glob_match_counted(p, t);
            assert_eq!(got, *want, "{p:.20}…");
            let words = (p.chars().count() + 1).div_ceil(64);
            let bound = t.chars().count() * words;
            assert!(steps <= bound, "{p:.20}…: {steps} steps, bound {bound}");
        }
    }
}

//! The session-policy grammar this proxy understands, and nothing more:
//!
//! - the document: `Version` (`2012-10-17`, or absent), `Id` (ignored),
//!   `Statement` (an object or a non-empty array of them);
//! - a statement: `Sid` (ignored), `Effect: Allow`, `Action`, `Resource`,
//!   optionally `Condition`; `Deny`, `NotAction`, `NotResource`,
//!   `Principal` and any other member are refused (a `Deny` or a `Not…`
//!   half understood could widen what the caller meant);
//! - actions: `s3:GetObject`, `s3:ListBucket` (names case-insensitive, as
//!   IAM's), `*`, and `s3:` globs (`*`, `?`) that mean the ones of those two
//!   they match (`s3:*`, `s3:Get*`, `s3:List*`); one matching neither is refused;
//! - resources: `*`, `arn:aws:s3:::*`, `arn:aws:s3:::account` (listing),
//!   `arn:aws:s3:::account/*`, `…/account/product/*`,
//!   `…/account/product/prefix*`, `…/account/product/exact-key` (reading);
//!   a wildcard anywhere but at the end, `?`, or a policy variable (`${…}`)
//!   is refused;
//! - conditions: `StringLike` / `StringEquals` on `s3:prefix`, for listing;
//!   values empty (all), `product/`, or `product/prefix` (`StringLike` may
//!   end in `*`). Under several operators a prefix must satisfy each.
//!
//! IAM evaluates `s3:prefix` against the listing request's `prefix`; here it
//! filters the names a listing shows (as the role's ceiling does): a key is
//! shown when it starts with an allowed value, whatever prefix was asked for.
//! A statement's condition also keeps it from granting `s3:GetObject`
//! (a read has no `s3:prefix`, so IAM's condition fails for it).

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::{PolicyError, SealedPolicy, SessionPolicy, EXACT};
use crate::oidc::token::unique_json;
use crate::route::valid_name;
use crate::sts::limits::answerable;

/// AWS's limit on a session policy, here applied to its packed form.
pub const MAX_PACKED_CHARS: usize = 2048;
/// The most `Policy` text read at all (`ValidationError` beyond): room for
/// a 2048-character policy pretty-printed, bounded work for anything else.
pub const MAX_POLICY_CHARS: usize = 16 * 1024;

const ARN: &str = "arn:aws:s3:::";

type R<T> = Result<T, PolicyError>;

fn bad<T>(why: &'static str) -> R<T> {
    Err(PolicyError::Malformed(why))
}

/// Parses and packs a policy. The packed form is the document as JSON
/// without insignificant whitespace, members in sorted order, strings with
/// the fewest escapes; its length (in characters) must be at most
/// [`MAX_PACKED_CHARS`], and its SHA-256 names the policy in audit lines
/// (the same policy however it was formatted).
pub fn parse(text: &str) -> R<SessionPolicy> {
    let doc = match unique_json(text.as_bytes()) {
        Ok(Value::Object(m)) => m,
        Ok(_) => return bad("The policy is not a JSON object."),
        Err(true) => return bad("The policy repeats a member name."),
        Err(false) => return bad("The policy is not valid JSON (or nests deeper than 128 levels)."),
    };
    // serde_json's map is ordered by key (no `preserve_order`): a stable form.
    let packed = crate::json::to_string(&Value::Object(doc.clone()));
    let packed_chars = packed.chars().count();
    if packed_chars > MAX_PACKED_CHARS {
        return Err(PolicyError::TooLarge(percent(packed_chars, MAX_PACKED_CHARS)));
    }
    let mut read = Vec::new();
    let mut list = Vec::new();
    for (k, v) in &doc {
        match (k.as_str(), v) {
            ("Version", Value::String(v)) if v == "2012-10-17" => {}
            ("Version", _) => return bad("Version must be 2012-10-17."),
            ("Id", Value::String(_)) => {}
            ("Statement", Value::Object(s)) => statement(s, &mut read, &mut list)?,
            ("Statement", Value::Array(items)) if !items.is_empty() => {
                for s in items {
                    let Value::Object(s) = s else {
                        return bad("A statement must be a JSON object.");
                    };
                    statement(s, &mut read, &mut list)?;
                }
            }
            ("Statement", _) => return bad("Statement must be an object or a non-empty array of them."),
            _ => return bad("The policy has a member other than Version, Id and Statement."),
        }
    }
    if !doc.contains_key("Statement") {
        return bad("The policy has no Statement.");
    }
    for v in [&mut read, &mut list] {
        crate::sort::sort(v);
        v.dedup();
    }
    let digest = hex::encode(&Sha256::digest(packed.as_bytes())[..8]);
    Ok(SessionPolicy {
        sealed: SealedPolicy { digest, read, list },
        packed_chars,
    })
}

/// `part` of `whole`, in percent, rounded up (AWS: "Packed policy consumes 112% …").
pub(crate) fn percent(part: usize, whole: usize) -> u32 {
    u32::try_from((part * 100).div_ceil(whole.max(1))).unwrap_or(u32::MAX)
}

/// A string or a non-empty array of strings.
fn strings<'a>(v: &'a Value, what: &'static str) -> R<Vec<&'a str>> {
    let out: Option<Vec<&str>> = match v {
        Value::String(s) => Some(vec![s.as_str()]),
        Value::Array(a) if !a.is_empty() => a.iter().map(Value::as_str).collect(),
        _ => None,
    };
    match out {
        Some(o) if o.iter().all(|s| answerable(s)) => Ok(o),
        Some(_) => bad("A value holds a control character."),
        None => bad(what),
    }
}

#[derive(Default, Clone, Copy)]
struct Actions {
    get: bool,
    list: bool,
}

fn statement(s: &Map<String, Value>, read: &mut Vec<String>, list: &mut Vec<String>) -> R<()> {
    let mut actions = None;
    let mut resources = None;
    let mut prefixes: Option<Vec<String>> = None;
    for (k, v) in s {
        match k.as_str() {
            "Sid" if v.is_string() => {}
            "Effect" if v == "Allow" => {}
            "Effect" if v == "Deny" => return bad("Deny statements are not supported: write only what to allow."),
            "Effect" => return bad("Effect must be Allow."),
            "Action" => {
                actions = Some(parse_actions(&strings(
                    v,
                    "Action must be a string or an array of strings.",
                )?)?);
            }
            "Resource" => resources = Some(strings(v, "Resource must be a string or an array of strings.")?),
            "Condition" => prefixes = Some(condition(v)?),
            "NotAction" | "NotResource" => return bad("NotAction and NotResource are not supported."),
            "Principal" | "NotPrincipal" => return bad("A session policy has no Principal."),
            _ => return bad("A statement has an unsupported member."),
        }
    }
    if !s.contains_key("Effect") {
        return bad("A statement has no Effect.");
    }
    let (Some(a), Some(resources)) = (actions, resources) else {
        return bad("A statement needs Action and Resource.");
    };
    let before = (read.len(), list.len());
    for r in resources {
        let res = resource(r)?;
        // IAM: a read has no s3:prefix, so a statement with the condition never grants it.
        if a.get && prefixes.is_none() {
            match &res {
                Res::Any => read.push("*".into()),
                Res::Objects(p) => read.push(p.clone()),
                Res::Bucket(_) => {}
            }
        }
        if a.list {
            let all = vec![String::new()];
            for p in prefixes.as_ref().unwrap_or(&all) {
                match &res {
                    Res::Any if p.is_empty() => list.push("*".into()),
                    Res::Any => return bad("An s3:prefix condition needs a bucket resource (arn:aws:s3:::account)."),
                    Res::Bucket(acct) => list.push(list_pattern(acct, p)?),
                    Res::Objects(_) => {}
                }
            }
        }
    }
    if (read.len(), list.len()) == before {
        return bad(
            "A statement grants nothing here: s3:GetObject needs an object resource \
             (arn:aws:s3:::account/product/*), s3:ListBucket an account (arn:aws:s3:::account), \
             and a condition grants listing only.",
        );
    }
    Ok(())
}

fn parse_actions(names: &[&str]) -> R<Actions> {
    let mut a = Actions::default();
    for n in names {
        let lower = n.to_ascii_lowercase();
        let name = match lower.as_str() {
            "*" => "*",
            l => match l.strip_prefix("s3:") {
                Some(rest) => rest,
                None => return bad("Only s3: actions are supported."),
            },
        };
        let (get, list) = (glob("getobject", name), glob("listbucket", name));
        if !get && !list {
            return bad("Only s3:GetObject and s3:ListBucket (or globs matching them) mean something here.");
        }
        a.get |= get;
        a.list |= list;
    }
    Ok(a)
}

/// `*` / `?` glob over chars, for action names (short, fixed texts: the
/// table costs text × pattern, at most 10 × 2048).
fn glob(text: &str, pattern: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    // can[j]: the pattern so far matches the first j chars of the text.
    let mut can = vec![false; t.len() + 1];
    can[0] = true;
    for pc in pattern.chars() {
        let mut next = vec![false; t.len() + 1];
        for j in 0..=t.len() {
            next[j] = match pc {
                '*' => can[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && can[j - 1],
                c => j > 0 && can[j - 1] && t[j - 1] == c,
            };
        }
        can = next;
    }
    can[t.len()]
}

enum Res {
    Any,
    Bucket(String),
    /// A read pattern: `account/*`, `account/product/prefix*` or `=account/product/key`.
    Objects(String),
}

fn resource(r: &str) -> R<Res> {
    if r == "*" {
        return Ok(Res::Any);
    }
    let Some(rest) = r.strip_prefix(ARN) else {
        return bad("A resource must be * or an arn:aws:s3::: ARN.");
    };
    if rest == "*" {
        return Ok(Res::Any);
    }
    if rest.contains('?') || rest.contains("${") {
        return bad("Resources may not hold ? or policy variables.");
    }
    let star = rest.find('*');
    if star.is_some_and(|i| i + 1 != rest.len()) {
        return bad("A resource may hold * only at its end.");
    }
    let Some((account, objects)) = rest.split_once('/') else {
        return match valid_name(rest) {
            true => Ok(Res::Bucket(rest.to_string())),
            false => bad("A bucket resource must name one account (arn:aws:s3:::account)."),
        };
    };
    if !valid_name(account) {
        return bad("An object resource must start with an account name (arn:aws:s3:::account/…).");
    }
    if objects == "*" {
        return Ok(Res::Objects(format!("{account}/*")));
    }
    let Some((product, key)) = objects.split_once('/') else {
        return bad(
            "An object resource names a whole product as account/product/* (a wildcard may not end a product name).",
        );
    };
    if !valid_name(product) {
        return bad("An object resource must name a product (arn:aws:s3:::account/product/…).");
    }
    match key.strip_suffix('*') {
        Some(prefix) => Ok(Res::Objects(format!("{account}/{product}/{prefix}*"))),
        None if key.is_empty() => bad("An object resource names no object; use account/product/* for a whole product."),
        None => Ok(Res::Objects(format!("{EXACT}{account}/{product}/{key}"))),
    }
}

/// The ceiling pattern for listing `account` under an `s3:prefix` value.
fn list_pattern(account: &str, prefix: &str) -> R<String> {
    if prefix.is_empty() {
        return Ok(format!("{account}/*"));
    }
    let Some((product, rest)) = prefix.split_once('/') else {
        return bad("An s3:prefix value must be empty or start with a product name and / (product/ or product/dir/*).");
    };
    if !valid_name(product) {
        return bad("An s3:prefix value must start with a product name.");
    }
    Ok(match rest.is_empty() {
        true => format!("{account}/{product}"),
        false => format!("{account}/{product}/{rest}*"),
    })
}

/// The `s3:prefix` values a condition admits, as key prefixes (relative to
/// the account); several operators must all hold, so their sets intersect.
fn condition(v: &Value) -> R<Vec<String>> {
    let Value::Object(ops) = v else {
        return bad("Condition must be an object.");
    };
    let mut admitted: Option<Vec<String>> = None;
    for (op, keys) in ops {
        let like = match op.as_str() {
            "StringLike" => true,
            "StringEquals" => false,
            _ => return bad("Only StringLike and StringEquals conditions are supported."),
        };
        let Value::Object(keys) = keys else {
            return bad("A condition operator must hold an object.");
        };
        for (key, values) in keys {
            if !key.eq_ignore_ascii_case("s3:prefix") {
                return bad("Only the s3:prefix condition key is supported.");
            }
            let mut set = Vec::new();
            for value in strings(values, "A condition value must be a string or an array of strings.")? {
                if value.contains("${") {
                    return bad("Condition values may not hold policy variables.");
                }
                let prefix = match (like, value.strip_suffix('*')) {
                    (true, Some(p)) => p,
                    _ => value,
                };
                if prefix.contains('*') || (like && prefix.contains('?')) {
                    return bad("An s3:prefix value may hold * only at its end (StringLike), and no ?.");
                }
                set.push(prefix.to_string());
            }
            admitted = Some(match admitted {
                None => set,
                Some(before) => intersect(&before, &set),
            });
        }
    }
    admitted.ok_or(PolicyError::Malformed("Condition is empty."))
}

/// Prefixes admitted by both sets (each set admits names starting with one
/// of its prefixes): of two prefixes where one starts the other, the longer.
fn intersect(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for x in a {
        for y in b {
            let longer = if x.starts_with(y.as_str()) {
                x
            } else if y.starts_with(x.as_str()) {
                y
            } else {
                continue;
            };
            if !out.contains(longer) {
                out.push(longer.clone());
            }
        }
    }
    out
}

#[cfg(test)]
pub(super) fn glob_for_tests(text: &str, pattern: &str) -> bool {
    glob(text, pattern)
}

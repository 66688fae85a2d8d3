//! AssumeRoleWithWebIdentity parameters, from the query and/or a form body.

use std::collections::HashMap;

use super::policy::MAX_POLICY_CHARS;
use super::StsError;
use crate::http::{form_decode, Request, RequestBody};

/// Largest form body accepted.
pub const MAX_BODY: usize = 64 << 10;
pub const MIN_DURATION: u32 = 900;
pub const DEFAULT_DURATION: u32 = 3600;
/// AWS's limits on role and session names.
pub const MAX_ROLE_NAME: usize = 64;
pub const MAX_SESSION_NAME: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsParams {
    /// The role name: `_default`, or the `<name>` of an ARN's `role/<name>`.
    pub role: String,
    pub role_arn: String,
    pub session_name: Option<String>,
    pub token: String,
    pub duration: Option<u32>,
    /// The session policy's text (`Policy`), parsed by the exchange.
    pub policy: Option<String>,
}

/// Decodes `application/x-www-form-urlencoded` (`+` is a space here).
fn form_pairs(raw: &str) -> Result<Vec<(String, String)>, StsError> {
    let mut out = Vec::new();
    for part in raw.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let dec = |s: &str| form_decode(s).map_err(|_| StsError::invalid("Malformed form encoding."));
        out.push((dec(k)?, dec(v)?));
    }
    Ok(out)
}

/// The form body of a request, if it has a usable one: over [`MAX_BODY`]
/// (declared by `Content-Length`, or as read) is 413 whatever it holds.
pub fn form_body(req: &Request) -> Result<Option<&[u8]>, StsError> {
    let declared = req
        .headers
        .get("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(StsError::RequestTooLarge);
    }
    match &req.body {
        RequestBody::Unread => Ok(None),
        RequestBody::Bytes(b) if b.len() > MAX_BODY => Err(StsError::RequestTooLarge),
        RequestBody::Bytes(b) => Ok(Some(b)),
        RequestBody::TooLarge => Err(StsError::RequestTooLarge),
        RequestBody::Broken => Err(StsError::invalid("The request body could not be read.")),
    }
}

/// Collects parameters from the raw query and an optional form body. A name
/// given twice with different values is ambiguous and refused.
pub fn collect(raw_query: &str, body: Option<&[u8]>) -> Result<Vec<(String, String)>, StsError> {
    let mut pairs = form_pairs(raw_query)?;
    if let Some(b) = body {
        if b.len() > MAX_BODY {
            return Err(StsError::RequestTooLarge);
        }
        let text = std::str::from_utf8(b).map_err(|_| StsError::invalid("The request body is not UTF-8."))?;
        pairs.extend(form_pairs(text)?);
    }
    // Indexed by name: a body of thousands of distinct names must cost linear time.
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut unique: Vec<(String, String)> = Vec::new();
    for (k, v) in pairs {
        match seen.get(&k) {
            Some(uv) if *uv != v => {
                return Err(StsError::invalid("A parameter was given twice with different values."))
            }
            Some(_) => {}
            None => {
                seen.insert(k.clone(), v.clone());
                unique.push((k, v));
            }
        }
    }
    Ok(unique)
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// A parameter that must be given. Given empty, it is a value that fails its
/// length rule (`ValidationError`, as AWS answers), not a missing one.
fn required<'a>(pairs: &'a [(String, String)], name: &'static str) -> Result<&'a str, StsError> {
    get(pairs, name).ok_or(StsError::MissingParameter(name))
}

/// `_default`, `role/_default`-style ARNs and `arn:…:role/<name>` name a role.
pub fn role_name(arn: &str) -> Option<&str> {
    let name = if arn.starts_with("arn:") {
        let resource = arn.splitn(6, ':').nth(5)?;
        resource.strip_prefix("role/")?.rsplit('/').next()?
    } else {
        arn
    };
    let ok = !name.is_empty()
        && name.len() <= MAX_ROLE_NAME
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"_+=,.@-".contains(&c));
    ok.then_some(name)
}

pub fn valid_session_name(s: &str) -> bool {
    (2..=MAX_SESSION_NAME).contains(&s.len()) && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"_+=,.@-".contains(&c))
}

pub fn parse(pairs: &[(String, String)]) -> Result<StsParams, StsError> {
    match get(pairs, "Action") {
        None | Some("") => return Err(StsError::MissingParameter("Action")),
        Some("AssumeRoleWithWebIdentity") => {}
        Some(_) => return Err(StsError::invalid("Only AssumeRoleWithWebIdentity is supported.")),
    }
    if get(pairs, "Version").is_some_and(|v| v != "2011-06-15") {
        return Err(StsError::invalid("Unsupported Version."));
    }
    // A managed policy would narrow access; ignoring it would grant more
    // than the caller asked for, so it is refused (fail closed).
    if get(pairs, "PolicyArns.member.1.arn").is_some() {
        return Err(StsError::invalid(
            "Managed session policies (PolicyArns) are not supported.",
        ));
    }
    // AWS requires at least one character; the upper bound keeps the parse
    // bounded (the packed size is checked by `policy::parse`).
    let policy = match get(pairs, "Policy") {
        None => None,
        Some(p) if !p.is_empty() && p.chars().count() <= MAX_POLICY_CHARS => Some(p.to_string()),
        Some(_) => return Err(StsError::Validation("Policy must be 1 to 16384 characters.")),
    };
    let role_arn = required(pairs, "RoleArn")?;
    // An empty RoleArn is refused here too: no role name is empty.
    let role = role_name(role_arn)
        .ok_or(StsError::Validation("RoleArn is not a valid role ARN."))?
        .to_string();
    // A JWT never contains whitespace; token files often end in a newline.
    let token = required(pairs, "WebIdentityToken")?.trim();
    if !(4..=20_000).contains(&token.len()) {
        return Err(StsError::Validation("WebIdentityToken must be 4 to 20000 characters."));
    }
    let session_name = match get(pairs, "RoleSessionName") {
        None => None,
        Some(s) if valid_session_name(s) => Some(s.to_string()),
        Some(_) => return Err(StsError::Validation("RoleSessionName must be 2 to 64 of [\\w+=,.@-].")),
    };
    // Empty is no number of seconds, like `abc`.
    let duration = match get(pairs, "DurationSeconds") {
        None => None,
        Some(d) => Some(
            d.parse::<u32>()
                .ok()
                .filter(|d| *d >= MIN_DURATION)
                .ok_or(StsError::Validation("DurationSeconds is out of range."))?,
        ),
    };
    Ok(StsParams {
        role,
        role_arn: role_arn.to_string(),
        session_name,
        token: token.to_string(),
        duration,
        policy,
    })
}

/// A session name derived from the subject when the caller gives none.
pub fn derived_session_name(subject: &str) -> String {
    let mut s: String = subject
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(MAX_SESSION_NAME)
        .collect();
    while s.len() < 2 {
        s.push('-');
    }
    s
}

#[cfg(test)]
mod tests;

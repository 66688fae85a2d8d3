//! What a session may hold. A session token carries the whole session
//! (sealed, see `session`) and may not exceed `session::MAX_TOKEN_LEN`, so
//! everything sealed into it is bounded up front:
//!
//! - from the ID token: the subject ([`MAX_SUBJECT_BYTES`]) and the values of
//!   the claims a role passes ([`MAX_PASSED_CLAIMS_BYTES`] together), checked
//!   per exchange by [`check_token_parts`];
//! - from the caller: the session name (2–64 of `[\w+=,.@-]`, `params`);
//! - from the configuration: the role's name (≤ 64), issuers, audiences,
//!   ceiling and `pass_claims` names ([`MAX_PASS_CLAIMS`],
//!   [`MAX_CLAIM_NAME_BYTES`]), checked once by [`check_role`] with every
//!   per-exchange part at its maximum.
//!
//! A role that passes [`check_role`] therefore seals any session within the
//! per-exchange limits, and sealing can never overflow.

use super::params::MAX_SESSION_NAME;
use super::policy::percent;
use super::roles::Role;
use super::StsError;
use crate::s3::xml::is_xml_char;
use crate::secret::Secret;
use crate::session::{payload_len, sealed_len, Session, SessionError, MAX_PAYLOAD_LEN, MAX_TOKEN_LEN, SESSION_ID_LEN};

/// The longest subject, in sealed bytes. OpenID Connect Core caps `sub` at
/// 255 ASCII characters and AWS echoes at most 255 in
/// `SubjectFromWebIdentityToken`, but real IdPs exceed that: a GitHub
/// Actions subject is `repo:<owner (39)>/<repo (100)>:` followed by a ref or
/// environment name of up to 255 bytes each, and a customised subject
/// template concatenates several claims (`job_workflow_ref` alone is a path
/// plus a ref). 1024 admits all of those with room to spare.
pub const MAX_SUBJECT_BYTES: usize = 1024;

/// The values of the claims a role passes into the session, together, in
/// sealed bytes: e.g. `repository` (≤ 140), `environment` (≤ 255) and
/// `job_workflow_ref` (a few hundred) fit.
pub const MAX_PASSED_CLAIMS_BYTES: usize = 1024;

/// Claims one role may pass: catalog grants name one claim each; a handful
/// is plenty, and each costs room in every session.
pub const MAX_PASS_CLAIMS: usize = 4;

/// The longest claim name a role may pass.
pub const MAX_CLAIM_NAME_BYTES: usize = 64;

/// Bytes `s` takes inside the sealed JSON session: its UTF-8 bytes, plus one
/// for each `"` or `\` and up to five for each control character, which JSON
/// escapes. Counting what is sealed keeps the bound exact for any input.
pub fn sealed_bytes(s: &str) -> usize {
    // Serializing a str cannot fail; the fallback only keeps this total.
    serde_json::to_string(s).map_or(usize::MAX, |j| j.len().saturating_sub(2))
}

/// Whether an STS answer can carry `s`: it is XML 1.0, which has no way at all
/// (raw or as a reference) to write the other C0 controls, U+FFFE or U+FFFF.
pub fn answerable(s: &str) -> bool {
    s.chars().all(is_xml_char)
}

/// The per-exchange parts of a session, before anything is sealed: the
/// subject is in every answer, passed claims in the session (and from there
/// in catalog calls and log lines), so both must be text an answer can carry.
pub fn check_token_parts(subject: &str, passed: &[(String, String)]) -> Result<(), StsError> {
    if !answerable(subject) {
        return Err(StsError::InvalidIdentityToken(
            "The token's subject (sub) contains a character an STS answer cannot carry \
             (a control character other than tab, line feed and carriage return, U+FFFE or U+FFFF).",
        ));
    }
    if passed.iter().any(|(_, v)| !answerable(v)) {
        return Err(StsError::InvalidIdentityToken(
            "A claim this role passes into the session contains a character an STS answer cannot carry \
             (a control character other than tab, line feed and carriage return, U+FFFE or U+FFFF).",
        ));
    }
    if sealed_bytes(subject) > MAX_SUBJECT_BYTES {
        return Err(StsError::InvalidIdentityToken(
            "The token's subject (sub) is longer than 1024 bytes, the most a session can hold.",
        ));
    }
    let claims: usize = passed.iter().map(|(_, v)| sealed_bytes(v)).sum();
    if claims > MAX_PASSED_CLAIMS_BYTES {
        return Err(StsError::InvalidIdentityToken(
            "The claims this role passes into the session are longer than 1024 bytes together.",
        ));
    }
    Ok(())
}

/// A role the limits refuse: which one, and why.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("role {role}")]
pub struct LimitError {
    pub role: String,
    #[source]
    pub problem: LimitProblem,
}

crate::error::debug_as_display!(LimitError);

#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitProblem {
    #[error("{0:?} has a character an STS answer cannot carry")]
    Unanswerable(String),
    #[error("at most {MAX_PASS_CLAIMS} pass_claims")]
    TooManyClaims,
    #[error("pass_claims names must be 1..={MAX_CLAIM_NAME_BYTES} bytes")]
    ClaimName,
    #[error("pass_claims lists {0:?} twice")]
    DuplicateClaim(String),
    #[error("sealing its largest session")]
    Seal(#[source] SessionError),
    #[error(
        "its issuers, audiences, ceiling and pass_claims leave too little room in a session token ({0} bytes over {MAX_TOKEN_LEN})"
    )]
    TooLarge(usize),
}

crate::error::debug_as_display!(LimitProblem);

/// Checks that a session with a policy still seals within the token: the
/// policy has whatever room the rest of this session leaves (the role's
/// check reserved none for it). Too little is `PackedPolicyTooLarge`, with
/// the share of that room the policy would take.
pub fn check_policy_room(session: &Session) -> Result<(), StsError> {
    if session.policy.is_none() {
        return Ok(());
    }
    let with = payload_len(session)?;
    if with <= MAX_PAYLOAD_LEN {
        return Ok(());
    }
    let without = payload_len(&Session {
        policy: None,
        ..session.clone()
    })?;
    let room = MAX_PAYLOAD_LEN.saturating_sub(without);
    Err(StsError::PackedPolicyTooLarge(percent(with - without, room)))
}

/// Checks a role's configuration: its `pass_claims`, and that its largest
/// possible session (every per-exchange part at its limit) seals within
/// `MAX_TOKEN_LEN`. The error is a reason for the log.
pub fn check_role(role: &Role) -> Result<(), LimitError> {
    let err = |problem| LimitError {
        role: role.name.clone(),
        problem,
    };
    // The matched audience and the issuer are in every answer.
    if let Some(bad) = role.issuers.iter().chain(&role.audiences).find(|s| !answerable(s)) {
        return Err(err(LimitProblem::Unanswerable(bad.clone())));
    }
    if role.pass_claims.len() > MAX_PASS_CLAIMS {
        return Err(err(LimitProblem::TooManyClaims));
    }
    for (i, c) in role.pass_claims.iter().enumerate() {
        if c.is_empty() || c.len() > MAX_CLAIM_NAME_BYTES {
            return Err(err(LimitProblem::ClaimName));
        }
        if role.pass_claims[..i].contains(c) {
            return Err(err(LimitProblem::DuplicateClaim(c.clone())));
        }
    }
    let longest = |v: &[String]| v.iter().max_by_key(|s| sealed_bytes(s)).cloned().unwrap_or_default();
    let mut claims: Vec<(String, String)> = role.pass_claims.iter().map(|c| (c.clone(), String::new())).collect();
    if let Some((_, v)) = claims.first_mut() {
        // Only the values' total is bounded: one value holding all of it
        // seals to the same length as any split.
        *v = "x".repeat(MAX_PASSED_CLAIMS_BYTES);
    }
    let worst = Session {
        // The shapes of `session::new_credentials`.
        access_key_id: "A".repeat(20),
        secret_access_key: Secret::new("s".repeat(40)),
        issuer: longest(&role.issuers),
        subject: "u".repeat(MAX_SUBJECT_BYTES),
        role: role.name.clone(),
        ceiling: role.ceiling_patterns.clone(),
        session_name: "n".repeat(MAX_SESSION_NAME),
        audience: longest(&role.audiences),
        expires_at: i64::MIN,
        claims,
        // A session id is always there; a session policy is checked per
        // exchange against the room this leaves (`room_for_policy`).
        session_id: "d".repeat(SESSION_ID_LEN),
        policy: None,
    };
    let len = sealed_len(&worst).map_err(|e| err(LimitProblem::Seal(e)))?;
    if len > MAX_TOKEN_LEN {
        return Err(err(LimitProblem::TooLarge(len - MAX_TOKEN_LEN)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;

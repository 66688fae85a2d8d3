//! Verifying an ID token against an issuer's keys and a role's expectations.
//!
//! Signatures are checked by `sigcheck` (the rsa and p256 crates natively,
//! WebCrypto on wasm) rather than through jwt-compact: its generic
//! header/claims/JWK machinery (serde flatten, anyhow, chrono, SHA-384/512)
//! cost the Worker ~150 KB more wasm. The tests mint tokens with
//! jwt-compact, so the two implementations are checked against each other.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::sigcheck;
use super::token::{self, Alg};
use super::{Jwk, TokenError};

/// Clocks of the IdP and the Worker may disagree by this much (seconds).
pub const DEFAULT_LEEWAY: i64 = 60;

/// What the token must satisfy. `issuer` is the trusted issuer that the
/// peeked `iss` matched (and whose `keys` these are).
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    pub issuer: &'a str,
    /// The role's audiences; the token's `aud` must contain one. Empty
    /// rejects every token (fail closed), never "any audience".
    pub audiences: &'a [String],
    /// Unix seconds.
    pub now: i64,
    /// Seconds; negative counts as 0. Use [`DEFAULT_LEEWAY`].
    pub leeway: i64,
}

/// The verified claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    /// The token audience that matched one of the expected audiences.
    pub aud: String,
    pub exp: i64,
    /// Every claim as sent (for conditions and the session principal).
    pub all: Map<String, Value>,
}

/// Verifies signature and claims, in this order: key by `kid`, key/alg fit,
/// signature, `iss`, `exp`, `nbf`/`iat`, `aud`, `sub`. Claims are only looked
/// at once the signature holds, so a forged token learns nothing more than
/// `BadSignature`.
pub async fn verify(token: &str, keys: &[Jwk], expect: &Expectations<'_>) -> Result<Claims, TokenError> {
    let s = signed(token, keys)?;
    if !sigcheck::check(s.key, s.input, &s.sig).await {
        return Err(TokenError::BadSignature);
    }
    check_claims(s.claims, expect)
}

/// [`verify`] without the future (natively the check never waits): the
/// native command's verifier.
#[cfg(not(target_arch = "wasm32"))]
pub fn verify_now(token: &str, keys: &[Jwk], expect: &Expectations<'_>) -> Result<Claims, TokenError> {
    let s = signed(token, keys)?;
    if !sigcheck::check_now(s.key, s.input, &s.sig) {
        return Err(TokenError::BadSignature);
    }
    check_claims(s.claims, expect)
}

/// A token taken apart for its signature check: the key that must have
/// signed it, the JWS signing input (the ASCII `header.payload`, exactly as
/// sent), the decoded signature, and the claims to look at once it holds.
struct Signed<'t, 'k> {
    key: &'k Jwk,
    input: &'t [u8],
    sig: Vec<u8>,
    claims: Map<String, Value>,
}

/// `select_key` makes sure the key fits the header `alg`, so each key is
/// only ever used with its one algorithm. Not inlined into [`verify`]'s
/// future, nor is [`check_claims`] (see `crate::apart`).
#[inline(never)]
fn signed<'t, 'k>(token: &'t str, keys: &'k [Jwk]) -> Result<Signed<'t, 'k>, TokenError> {
    let parsed = token::parse(token)?;
    let key = select_key(keys, &parsed.peeked.kid, parsed.peeked.alg)?;
    let (input, sig) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| TokenError::Malformed)?;
    Ok(Signed {
        key,
        input: input.as_bytes(),
        sig,
        claims: parsed.claims,
    })
}

/// The key named by `kid` that may verify `alg`. Several keys may share a
/// `kid` (e.g. an RSA and an EC key); the first that fits wins.
fn select_key<'k>(keys: &'k [Jwk], kid: &str, alg: Alg) -> Result<&'k Jwk, TokenError> {
    let mut named = keys.iter().filter(|k| k.kid() == kid).peekable();
    if named.peek().is_none() {
        return Err(TokenError::UnknownKid);
    }
    named.find(|k| k.fits(alg)).ok_or(TokenError::KeyAlgMismatch)
}

#[inline(never)]
fn check_claims(all: Map<String, Value>, expect: &Expectations<'_>) -> Result<Claims, TokenError> {
    let leeway = expect.leeway.max(0);
    let iss = match all.get("iss") {
        Some(Value::String(iss)) if !iss.is_empty() && iss == expect.issuer => iss.clone(),
        _ => return Err(TokenError::WrongIssuer),
    };

    let exp = numeric_date(&all, "exp")?.ok_or(TokenError::MissingExp)?;
    // RFC 7519 4.1.4: valid only while now < exp (plus the leeway).
    if expect.now >= exp.saturating_add(leeway) {
        return Err(TokenError::Expired);
    }
    for name in ["nbf", "iat"] {
        if numeric_date(&all, name)?.is_some_and(|t| t > expect.now.saturating_add(leeway)) {
            return Err(TokenError::NotYetValid);
        }
    }

    let aud = matched_audience(all.get("aud"), expect.audiences).ok_or(TokenError::WrongAudience)?;
    let sub = match all.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
        _ => return Err(TokenError::MissingSubject),
    };
    Ok(Claims {
        iss,
        sub,
        aud,
        exp,
        all,
    })
}

/// A NumericDate claim (RFC 7519 2: seconds, possibly fractional). Absent →
/// `None`; present but not a number → `BadNumericDate`. Any number is taken:
/// floats are floored, huge ones saturate (a token valid until the end of
/// time is the IdP's choice; numbers beyond f64 never parse).
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Ok(Some(i)),
            // `as` saturates; floor keeps 1.9 in second 1 (and -0.5 in -1).
            #[allow(clippy::cast_possible_truncation)]
            (None, Some(f)) if f.is_finite() => Ok(Some(f.floor() as i64)),
            _ => Err(TokenError::BadNumericDate),
        },
        Some(_) => Err(TokenError::BadNumericDate),
    }
}

/// The first token audience (string, or array of strings) that is one of the
/// expected ones. Empty strings never match, whatever the configuration says.
fn matched_audience(aud: Option<&Value>, expected: &[String]) -> Option<String> {
    let ok = |a: &&str| !a.is_empty() && expected.iter().any(|e| e == a);
    match aud? {
        Value::String(a) => Some(a.as_str()).filter(ok),
        Value::Array(list) => list.iter().filter_map(Value::as_str).find(ok),
        _ => None,
    }
    .map(str::to_owned)
}

#[cfg(test)]
mod tests;

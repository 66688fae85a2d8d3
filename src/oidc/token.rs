//! Reading an ID token WITHOUT verifying it.
//!
//! [`peek`] exists so the caller can match `iss` against the role's trusted
//! issuers before fetching anything: an attacker must not be able to make the
//! proxy contact a URL of their choosing. Nothing returned here is trusted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::TokenError;

/// The longest token accepted (`WebIdentityToken` is 4–20000 chars).
/// Checked before any decoding so that work is bounded.
pub const MAX_TOKEN_LEN: usize = 20_000;

/// The only signature algorithms accepted. Asymmetric only: with HS256 the
/// "secret" would be the IdP's public key, and `none` has no signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// Exact, case-sensitive match (JWA names are case-sensitive).
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

/// What the caller needs before any network call. Unverified!
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    pub alg: Alg,
    pub kid: String,
    pub iss: String,
}

/// A parsed (unverified) token: the peeked header fields and the whole claim
/// set, which `verify` reuses once the signature over it has been checked.
pub(crate) struct Parsed {
    pub peeked: Peeked,
    pub claims: Map<String, Value>,
}

/// Parses a token without verifying it. See the module comment.
pub fn peek(token: &str) -> Result<Peeked, TokenError> {
    parse(token).map(|p| p.peeked)
}

/// Checks are ordered so the most telling reason wins (an `alg: none` token
/// usually has an empty signature, and is reported as `UnsupportedAlg`).
pub(crate) fn parse(token: &str) -> Result<Parsed, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };

    let header = json_object(header)?;
    let alg = match header.get("alg") {
        Some(Value::String(name)) => Alg::from_name(name).ok_or(TokenError::UnsupportedAlg)?,
        _ => return Err(TokenError::Malformed),
    };
    // `crit` names extensions we would have to understand (RFC 7515 4.1.11):
    // we understand none. `cty` would announce a nested JWT or non-JSON claims.
    if header.contains_key("crit") || header.contains_key("cty") {
        return Err(TokenError::UnsupportedHeader);
    }
    // Explicit typing (RFC 8725 3.11): another kind of JWT from the same
    // issuer (an access token is `at+jwt`) is not an ID token. `jku`, `x5u`,
    // `jwk` and `x5c` are never read: keys come from the issuer's discovery.
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") => {}
        Some(_) => return Err(TokenError::UnsupportedHeader),
    }
    let kid = match header.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        _ => return Err(TokenError::MissingKid),
    };

    let claims = json_object(payload)?;
    let iss = match claims.get("iss") {
        Some(Value::String(iss)) => iss.clone(),
        _ => return Err(TokenError::Malformed),
    };

    // The signature itself is checked by `verify`; here it only has to exist.
    if signature.is_empty() || URL_SAFE_NO_PAD.decode(signature).is_err() {
        return Err(TokenError::Malformed);
    }
    Ok(Parsed {
        peeked: Peeked { alg, kid, iss },
        claims,
    })
}

/// One base64url (unpadded, canonical) part holding a JSON object, whose
/// objects never repeat a member name (at any depth). serde_json bounds the
/// nesting (128 levels), so the work is linear in the part's size.
fn json_object(part: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)?;
    match unique_json(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Err(true) => Err(TokenError::DuplicateMember),
        _ => Err(TokenError::Malformed),
    }
}

/// Parses JSON text whose objects never repeat a member name (at any
/// depth, nesting bounded by serde_json at 128 levels). `Err(true)`: a
/// repeated name; `Err(false)`: not JSON. Session policies use it too.
/// The same reader as every other document of ours (src/json.rs).
pub(crate) fn unique_json(bytes: &[u8]) -> Result<Value, bool> {
    crate::json::parse_unique(bytes).map_err(|e| e.classify() == serde_json::error::Category::Data)
}

#[cfg(test)]
mod tests;

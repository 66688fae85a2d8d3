//! The JWTs the provider mints for calls to the catalog API:
//! header and claims as JSON, and the JWS signing input.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

/// `exp - iat` of minted tokens: short, since they are bearer tokens that a
/// catalog could log, and reuse (see `mint`) keeps signing rare anyway.
pub const TOKEN_TTL_SECS: i64 = 60;
/// The `sub` of requests without a session.
pub const ANONYMOUS_SUBJECT: &str = "anonymous";
/// 128 bits: the contract's minimum for `jti`, 22 base64url characters.
const JTI_BYTES: usize = 16;

/// Who a token is for. `role` and `idp` are set for sessions only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MintRequest {
    pub sub: String,
    pub aud: String,
    pub role: Option<String>,
    /// The session's original issuer.
    pub idp: Option<String>,
}

impl MintRequest {
    /// A call made for an unauthenticated client.
    pub fn anonymous(aud: &str) -> Self {
        MintRequest {
            sub: ANONYMOUS_SUBJECT.to_owned(),
            aud: aud.to_owned(),
            role: None,
            idp: None,
        }
    }

    /// A call made for an STS session: its subject, role and original issuer.
    pub fn session(sub: &str, aud: &str, role: &str, idp: &str) -> Self {
        MintRequest {
            sub: sub.to_owned(),
            aud: aud.to_owned(),
            role: Some(role.to_owned()),
            idp: Some(idp.to_owned()),
        }
    }
}

/// `{"alg":"RS256","kid":…,"typ":"JWT"}`. Only the active key ever signs.
pub fn header_json(kid: &str) -> String {
    crate::log::json_text(&json!({"alg": "RS256", "typ": "JWT", "kid": kid}))
}

/// The claim set; `nbf = iat`, `exp = iat + ttl_secs`. serde_json escapes
/// every string, so no subject can inject a claim.
pub fn claims_json(iss: &str, req: &MintRequest, iat: i64, ttl_secs: i64, jti: &str) -> String {
    let mut c = Map::new();
    c.insert("iss".into(), iss.into());
    c.insert("sub".into(), req.sub.as_str().into());
    c.insert("aud".into(), req.aud.as_str().into());
    c.insert("iat".into(), iat.into());
    c.insert("nbf".into(), iat.into());
    c.insert("exp".into(), iat.saturating_add(ttl_secs).into());
    c.insert("jti".into(), jti.into());
    if let Some(role) = &req.role {
        c.insert("role".into(), role.as_str().into());
    }
    if let Some(idp) = &req.idp {
        c.insert("idp".into(), idp.as_str().into());
    }
    crate::log::json_text(&Value::Object(c))
}

/// JWS signing input: `base64url(header) . base64url(claims)`.
pub fn signing_input(header: &str, claims: &str) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(claims))
}

/// The compact JWT: signing input, `.`, base64url(signature).
pub fn compact(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// A fresh random `jti` (getrandom: the OS, or `crypto.getRandomValues` on wasm).
pub fn new_jti() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; JTI_BYTES];
    getrandom::getrandom(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests;

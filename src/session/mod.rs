//! Stateless STS session credentials.
//!
//! Nothing is stored server-side: everything a signed request needs later
//! (secret, principal, role, ceiling, expiry) travels inside the session token,
//! sealed with AES-256-GCM under `SESSION_TOKEN_KEY` ([`seal`] / [`unseal`]).
//! `SESSION_TOKEN_KEY_PREVIOUS` keeps tokens sealed before a key rotation open
//! until they expire.

mod cache;
mod seal;

use std::fmt;

use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::json::{self, Obj, ObjWriter};
use crate::secret::{constant_time_eq, Secret};

pub use cache::{cache_key, Opened, SessionCache, MAX_BYTES as CACHE_MAX_BYTES, MAX_SESSIONS};
pub use seal::{payload_len, seal, sealed_len, unseal, MAX_PAYLOAD_LEN, MAX_TOKEN_LEN};

/// Why a session token was refused (or could not be made). Deliberately
/// coarse: the client learns nothing that helps forge a token.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// Not a token at all: too long, not base64url, too short, unknown version.
    #[error("malformed session token")]
    Malformed,
    /// Sealed under a key that is neither the active nor the previous one
    /// (e.g. older than the last two rotations).
    #[error("session token sealed under an unknown key")]
    UnknownKey,
    /// Fails authentication (tampered, other key, other access key id).
    #[error("invalid session token")]
    Invalid,
    /// Authentic but past its expiry.
    #[error("expired session token")]
    Expired,
    /// Server-side failure while minting or sealing (no randomness, session
    /// too large for a token). Never returned by [`unseal`]; the text is for logs.
    #[error("sealing a session: {0}")]
    Seal(&'static str),
}

crate::error::debug_as_display!(SessionError);

/// Why `SESSION_TOKEN_KEY(_PREVIOUS)` is refused. Names the variable, never
/// the value: base64's own error is not kept, as it quotes a byte of the key.
#[derive(Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyConfigError {
    #[error("{0} is not valid base64")]
    Base64(&'static str),
    #[error("{var} decodes to {len} bytes, expected 32")]
    Length { var: &'static str, len: usize },
    #[error("SESSION_TOKEN_KEY_PREVIOUS is set but SESSION_TOKEN_KEY is not")]
    PreviousWithoutActive,
    #[error("SESSION_TOKEN_KEY_PREVIOUS has the same key id as SESSION_TOKEN_KEY; pick a new key")]
    SameId,
}

crate::error::debug_as_display!(KeyConfigError);

/// One AES-256 key and its public identifier.
#[derive(Clone)]
pub struct SessionKey {
    /// First 4 bytes of SHA-256(key): derived, so operators configure only the
    /// key, and a token names its key without revealing it.
    id: [u8; 4],
    key: [u8; 32],
}

impl SessionKey {
    pub fn new(key: [u8; 32]) -> Self {
        let digest = Sha256::digest(key);
        let id = [digest[0], digest[1], digest[2], digest[3]];
        SessionKey { id, key }
    }

    pub fn id(&self) -> [u8; 4] {
        self.id
    }

    /// A key for another purpose (HMAC-SHA256 of `label` under this key): it
    /// reveals nothing of this one, and rotates with it.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        crate::sigv4::hmac_sha256(&self.key, label.as_bytes())
    }

    /// The raw key, for the cipher only.
    fn expose(&self) -> &[u8; 32] {
        &self.key
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionKey {{ id: {}, key: *** }}", hex::encode(self.id))
    }
}

/// The sealing keys: tokens are always sealed under `active`; `previous` only
/// opens tokens sealed before a rotation.
#[derive(Debug, Clone)]
pub struct SessionKeys {
    pub active: SessionKey,
    pub previous: Option<SessionKey>,
    warnings: Vec<&'static str>,
}

/// Base64 as operators produce it (`openssl rand -base64 32`), tolerating a
/// missing padding or the URL-safe alphabet so a copy-paste detail is not fatal.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes one configured key; the error names the variable but never echoes
/// the value.
fn decode_key(var: &'static str, b64: &str) -> Result<SessionKey, KeyConfigError> {
    let b64 = b64.trim();
    let bytes = STANDARD_LENIENT
        .decode(b64)
        .or_else(|_| URL_SAFE_LENIENT.decode(b64))
        .map_err(|_| KeyConfigError::Base64(var))?;
    let key: [u8; 32] = bytes
        .as_slice()
        .try_into()
        .map_err(|_| KeyConfigError::Length { var, len: bytes.len() })?;
    Ok(SessionKey::new(key))
}

/// An unset or blank variable (e.g. `KEY=` in a .dev.vars file) counts as absent.
fn present(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

impl SessionKeys {
    /// Builds the keys from `SESSION_TOKEN_KEY` / `SESSION_TOKEN_KEY_PREVIOUS`.
    ///
    /// - `Ok(None)`: no active key, STS is disabled (answer 501).
    /// - `Err(reason)`: misconfiguration (bad base64, not 32 bytes, a previous
    ///   key without an active one, two different keys with the same id);
    ///   fail closed and log the reason, which never contains key material.
    /// - `Ok(Some(keys))`, possibly with [`SessionKeys::warnings`] to log once:
    ///   a previous key equal to the active one is dropped (harmless, but
    ///   usually means the rotation was not done as intended).
    pub fn from_config(
        active_b64: Option<&str>,
        previous_b64: Option<&str>,
    ) -> Result<Option<SessionKeys>, KeyConfigError> {
        let previous = present(previous_b64)
            .map(|p| decode_key("SESSION_TOKEN_KEY_PREVIOUS", p))
            .transpose()?;
        let Some(active_b64) = present(active_b64) else {
            return match previous {
                Some(_) => Err(KeyConfigError::PreviousWithoutActive),
                None => Ok(None),
            };
        };
        let active = decode_key("SESSION_TOKEN_KEY", active_b64)?;
        let mut keys = SessionKeys {
            active,
            previous: None,
            warnings: Vec::new(),
        };
        if let Some(prev) = previous {
            if constant_time_eq(prev.expose(), keys.active.expose()) {
                keys.warnings
                    .push("SESSION_TOKEN_KEY_PREVIOUS equals SESSION_TOKEN_KEY; ignoring it");
            } else if prev.id == keys.active.id {
                // 2^-32 odds; tokens could not say which key sealed them.
                return Err(KeyConfigError::SameId);
            } else {
                keys.previous = Some(prev);
            }
        }
        Ok(Some(keys))
    }

    /// Keys from raw bytes (tests, tools).
    pub fn new(active: [u8; 32], previous: Option<[u8; 32]>) -> Self {
        SessionKeys {
            active: SessionKey::new(active),
            previous: previous.map(SessionKey::new),
            warnings: Vec::new(),
        }
    }

    /// Configuration oddities worth one log line at startup.
    pub fn warnings(&self) -> &[&'static str] {
        &self.warnings
    }

    /// The key a token names, if it is one of ours.
    fn by_id(&self, id: &[u8; 4]) -> Option<&SessionKey> {
        std::iter::once(&self.active)
            .chain(self.previous.as_ref())
            .find(|k| k.id == *id)
    }
}

/// What a session token carries. Field names are short in the sealed JSON to
/// keep tokens small; `Debug` never shows the secret.
#[derive(Debug, Clone)]
pub struct Session {
    /// `k`
    pub access_key_id: String,
    /// `s`
    pub secret_access_key: Secret,
    /// `i`
    pub issuer: String,
    /// `u`
    pub subject: String,
    /// `r`
    pub role: String,
    /// `c`: permission ceiling patterns (`account/product/prefix*`).
    pub ceiling: Vec<String>,
    /// `n`
    pub session_name: String,
    /// `a`
    pub audience: String,
    /// `e`: Unix seconds.
    pub expires_at: i64,
    /// `p`, left out when empty: claims the role passes through (name, value), for
    /// catalog grants.
    pub claims: Vec<(String, String)>,
    /// `d`, left out when empty: random, minted with the session ([`new_session_id`]):
    /// its exchange's audit line and every signed request's repeat it. Empty in tokens
    /// sealed before it existed.
    pub session_id: String,
    /// `q`, left out when none: the caller's session policy, when it passed one.
    pub policy: Option<SealedPolicy>,
}

/// What a session keeps of its session policy (`sts::policy` makes and reads it): compact, in the role ceiling's
/// pattern language (`*`, `account/*`, `account/product`,
/// `account/product/prefix*`), plus exact object keys written `=account/product/key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedPolicy {
    /// `h`: the first 16 hex digits of SHA-256 of the packed policy, for audit lines.
    pub digest: String,
    /// `g`: what `s3:GetObject` may read.
    pub read: Vec<String>,
    /// `l`: what `s3:ListBucket` may show.
    pub list: Vec<String>,
}

// The sealed JSON, written and read by hand (src/json.rs) with the bytes serde's derive
// wrote before: the same field order and escapes, empty optional fields left out, unknown
// fields ignored, a repeated key refused. `Secret` has no serde impls on purpose (so it
// cannot leak through a stray serialization); this is the one place it is written.
impl Session {
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        let mut w = ObjWriter::new(&mut out);
        w.str("k", &self.access_key_id)
            .str("s", self.secret_access_key.expose())
            .str("i", &self.issuer)
            .str("u", &self.subject)
            .str("r", &self.role)
            .strs("c", &self.ceiling)
            .str("n", &self.session_name)
            .str("a", &self.audience)
            .i64("e", self.expires_at);
        if !self.claims.is_empty() {
            w.pairs("p", &self.claims);
        }
        if !self.session_id.is_empty() {
            w.str("d", &self.session_id);
        }
        if let Some(q) = &self.policy {
            w.obj("q", |w| {
                w.str("h", &q.digest).strs("g", &q.read).strs("l", &q.list);
            });
        }
        w.end();
        out
    }

    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, json::Error> {
        json::read(bytes, |v| {
            let mut o = Obj::new(v)?;
            Ok(Session {
                access_key_id: o.req_str("k")?,
                secret_access_key: Secret::from(o.req_str("s")?),
                issuer: o.req_str("i")?,
                subject: o.req_str("u")?,
                role: o.req_str("r")?,
                ceiling: o.req("c", json::strings)?,
                session_name: o.req_str("n")?,
                audience: o.req_str("a")?,
                expires_at: o.req("e", json::i64)?,
                claims: o.or_default("p", json::pairs)?,
                session_id: o.or_default("d", json::string)?,
                policy: o.opt("q", sealed_policy)?,
            })
        })
    }
}

fn sealed_policy(v: Value) -> json::Result<SealedPolicy> {
    let mut o = Obj::new(v)?;
    Ok(SealedPolicy {
        digest: o.req_str("h")?,
        read: o.or_default("g", json::strings)?,
        list: o.or_default("l", json::strings)?,
    })
}

fn random<const N: usize>() -> Result<[u8; N], SessionError> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|_| SessionError::Seal("no randomness available"))?;
    Ok(b)
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `ASIA` + 16 uppercase base32 characters (80 random bits): the shape of an
/// AWS temporary access key id, which some clients check.
pub fn new_access_key_id() -> Result<String, SessionError> {
    let bytes: [u8; 10] = random()?;
    let bits = bytes.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
    let mut id = String::from("ASIA");
    for i in (0..16).rev() {
        // The mask keeps the index below 32.
        id.push(char::from(BASE32[((bits >> (i * 5)) & 31) as usize]));
    }
    Ok(id)
}

/// 40 characters of standard base64 (240 random bits), like an AWS secret key.
pub fn new_secret() -> Result<Secret, SessionError> {
    let bytes: [u8; 30] = random()?;
    Ok(Secret::new(STANDARD.encode(bytes)))
}

/// Length of a session id: 16 base64url characters (96 random bits).
pub const SESSION_ID_LEN: usize = 16;

/// A session id: 12 random bytes, base64url, to correlate log lines (not a
/// secret, and unrelated to the credentials).
pub fn new_session_id() -> Result<String, SessionError> {
    let bytes: [u8; 12] = random()?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Fresh `(access_key_id, secret_access_key)` for a new [`Session`]; the
/// caller fills in the principal with named fields:
/// `Session { access_key_id, secret_access_key, issuer, .. }`.
pub fn new_credentials() -> Result<(String, Secret), SessionError> {
    Ok((new_access_key_id()?, new_secret()?))
}

#[cfg(test)]
mod tests;

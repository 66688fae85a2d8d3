//! Token format: base64url-no-pad of
//! `version (1) | key id (4) | nonce (12) | AES-256-GCM(JSON session) + tag (16)`,
//! with AAD = `odp-session-v1 || access key id`.
//!
//! The AAD binds the token to its access key id, so a token replayed next to
//! another access key id fails authentication before its content is trusted.
//! Random 96-bit nonces are safe here: NIST's 2^32 messages per key limit is
//! far beyond the number of sessions minted between key rotations.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::{random, Session, SessionError, SessionKey, SessionKeys};
use crate::secret::constant_time_eq;

const VERSION: u8 = 1;
const AAD_PREFIX: &[u8] = b"odp-session-v1";
const HEADER_LEN: usize = 1 + 4 + 12;
const TAG_LEN: usize = 16;
/// Upper bound on a token, checked before any decoding so that oversized
/// input costs nothing. [`seal`] refuses to produce a longer one.
///
/// Why 4096: the token travels in an `x-amz-security-token` header and in
/// presigned URLs' query strings. Common front ends cap a request line at
/// 8 KiB (nginx's default buffer, Fastly's URL limit; Cloudflare allows
/// 16 KiB URLs and 16 KiB per header), and a presigned URL also carries a key
/// of up to 1024 bytes that may triple when percent-encoded, plus about 500
/// bytes of other parameters: 4096 + 3072 + 500 stays under 8 KiB. AWS's own
/// session tokens for web identities are typically 1–2 KB.
pub const MAX_TOKEN_LEN: usize = 4096;

fn aad(access_key_id: &str) -> Vec<u8> {
    [AAD_PREFIX, access_key_id.as_bytes()].concat()
}

fn cipher(key: &SessionKey) -> Aes256Gcm {
    Aes256Gcm::new(&(*key.expose()).into())
}

fn payload(s: &Session) -> Result<Vec<u8>, SessionError> {
    Ok(s.to_json())
}

/// The length of the token sealing a payload of `json_len` bytes.
fn token_len(json_len: usize) -> usize {
    let raw = HEADER_LEN + json_len + TAG_LEN;
    // base64url without padding: 4 characters per 3 bytes, rounded up.
    (raw * 4).div_ceil(3)
}

/// The longest sealed JSON a token can carry.
pub const MAX_PAYLOAD_LEN: usize = MAX_TOKEN_LEN / 4 * 3 - HEADER_LEN - TAG_LEN;

/// The bytes of the sealed JSON of `s` (the part of a token that varies).
pub fn payload_len(s: &Session) -> Result<usize, SessionError> {
    Ok(payload(s)?.len())
}

/// The exact length of the token [`seal`] would make of `s` (the nonce and
/// key change the bytes, never the length): lets callers check a session
/// against [`MAX_TOKEN_LEN`] before sealing it.
pub fn sealed_len(s: &Session) -> Result<usize, SessionError> {
    Ok(token_len(payload(s)?.len()))
}

/// Seals `s` under the active key.
pub fn seal(keys: &SessionKeys, s: &Session) -> Result<String, SessionError> {
    let json = payload(s)?;
    if token_len(json.len()) > MAX_TOKEN_LEN {
        return Err(SessionError::Seal("session too large for a token"));
    }
    let nonce: [u8; 12] = random()?;
    let ciphertext = cipher(&keys.active)
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: &json,
                aad: &aad(&s.access_key_id),
            },
        )
        .map_err(|_| SessionError::Seal("encryption failed"))?;
    let mut raw = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    raw.push(VERSION);
    raw.extend_from_slice(&keys.active.id);
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&ciphertext);
    Ok(URL_SAFE_NO_PAD.encode(raw))
}

/// Opens a token presented with `access_key_id` at time `now` (Unix seconds).
pub fn unseal(keys: &SessionKeys, token: &str, access_key_id: &str, now: i64) -> Result<Session, SessionError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(SessionError::Malformed);
    }
    let raw = URL_SAFE_NO_PAD.decode(token).map_err(|_| SessionError::Malformed)?;
    let (version, rest) = raw.split_first().ok_or(SessionError::Malformed)?;
    let (id, rest) = rest.split_first_chunk::<4>().ok_or(SessionError::Malformed)?;
    let (nonce, ciphertext) = rest.split_first_chunk::<12>().ok_or(SessionError::Malformed)?;
    if *version != VERSION || ciphertext.len() < TAG_LEN {
        return Err(SessionError::Malformed);
    }
    let key = keys.by_id(id).ok_or(SessionError::UnknownKey)?;
    let json = cipher(key)
        .decrypt(
            &Nonce::from(*nonce),
            Payload {
                msg: ciphertext,
                aad: &aad(access_key_id),
            },
        )
        .map_err(|_| SessionError::Invalid)?;
    // Authentic from here on; a payload that does not parse means a bug or a
    // format change, not an attack, but it is still refused.
    let session = Session::from_json(&json).map_err(|_| SessionError::Invalid)?;
    // Already guaranteed by the AAD; kept so that the binding does not rest
    // on one mechanism alone.
    if !constant_time_eq(session.access_key_id.as_bytes(), access_key_id.as_bytes()) {
        return Err(SessionError::Invalid);
    }
    if now >= session.expires_at {
        return Err(SessionError::Expired);
    }
    Ok(session)
}

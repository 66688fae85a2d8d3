//! Continuation tokens: where a V2 listing resumes, sealed so that only the
//! listing that issued a token takes it back. A token the proxy did not
//! issue, or one replayed with another bucket, prefix or delimiter, is
//! refused (S3: 400 InvalidArgument) instead of being taken as a position.
//!
//! A token is base64url (no padding) of `2`, the position's kind (`k`: after
//! a key, `p`: after a common prefix and all under it), the position (a name
//! the caller was shown, relative to the listed bucket), and a 16-byte tag:
//! HMAC-SHA256 over a label, the listing (bucket, prefix, delimiter) and the
//! position. It is opaque to clients, ASCII, at most ~1.5 KB, and costs two
//! HMACs to make or check; the position itself is not secret (the caller saw
//! that name), so it is authenticated, not encrypted.
//!
//! The key comes from `SESSION_TOKEN_KEY` (and its previous value, so tokens
//! survive a rotation) when set. A deployment without it has no sessions:
//! every caller is anonymous and sees the same names, so the tag is computed
//! with a fixed public key. It still refuses tokens made up or altered by
//! hand and ties each token to its listing, but someone who reads this code
//! can forge one; that reaches nothing `start-after` does not.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::list::Position;
use crate::error::{ProxyError, Result};
use crate::route::MAX_KEY_BYTES;
use crate::secret::constant_time_eq;
use crate::sigv4::hmac_sha256;

/// A token longer than this cannot be one of ours.
const MAX_TOKEN_CHARS: usize = 2048;
/// Positions are names shown in a listing, or the end of a part of one.
const MAX_POSITION_BYTES: usize = MAX_KEY_BYTES + 64;
const VERSION: u8 = b'2';
const TAG_BYTES: usize = 16;
/// Domain separation: these tags are never valid anything else.
const LABEL: &[u8] = b"oidc-data-proxy continuation token v2\0";
/// What derives the token key from a session key (see [`TokenKeys::new`]).
pub const KEY_LABEL: &str = "oidc-data-proxy continuation token key";

/// The keys tokens are sealed with: the first seals, every one opens.
#[derive(Clone)]
pub struct TokenKeys(Vec<[u8; 32]>);

impl TokenKeys {
    /// Keys derived from the deployment's secrets, the active one first.
    /// Without any, the fixed public key of [`TokenKeys::unkeyed`].
    pub fn new(keys: Vec<[u8; 32]>) -> Self {
        match keys.is_empty() {
            true => Self::unkeyed(),
            false => Self(keys),
        }
    }

    /// For a deployment without secrets: an integrity tag, not a secret one.
    pub fn unkeyed() -> Self {
        Self(vec![Sha256::digest(KEY_LABEL.as_bytes()).into()])
    }
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenKeys({} keys: ***)", self.0.len())
    }
}

/// The listing a token belongs to: the bucket as listed (`{account}` or
/// `{account}/{product}`), the prefix and the delimiter, and the keys.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub keys: &'a TokenKeys,
    pub bucket: &'a str,
    pub prefix: &'a str,
    pub delimiter: Option<&'a str>,
}

/// A length prefix of the tagged message. Every part is capped far below 4 GiB
/// (a request's URL), so saturating never happens.
fn len32(s: &str) -> u32 {
    u32::try_from(s.len()).unwrap_or(u32::MAX)
}

impl Binding<'_> {
    fn tag(&self, key: &[u8; 32], kind: u8, value: &str) -> [u8; TAG_BYTES] {
        let mut msg = LABEL.to_vec();
        for part in [self.bucket, self.prefix] {
            msg.extend_from_slice(&len32(part).to_be_bytes());
            msg.extend_from_slice(part.as_bytes());
        }
        match self.delimiter {
            None => msg.push(0),
            Some(d) => {
                msg.push(1);
                msg.extend_from_slice(&len32(d).to_be_bytes());
                msg.extend_from_slice(d.as_bytes());
            }
        }
        msg.push(kind);
        msg.extend_from_slice(value.as_bytes());
        let mac = hmac_sha256(key, &msg);
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&mac[..TAG_BYTES]);
        tag
    }

    /// The token for resuming this listing at `pos`.
    pub fn seal(&self, pos: &Position) -> String {
        let kind = kind_of(pos);
        let key = self.keys.0.first().copied().unwrap_or_default();
        let mut raw = vec![VERSION, kind];
        raw.extend_from_slice(pos.value.as_bytes());
        raw.extend_from_slice(&self.tag(&key, kind, &pos.value));
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// The position of a token this listing issued; anything else is S3's
    /// 400 InvalidArgument.
    pub fn open(&self, token: &str) -> Result<Position> {
        let bad = || ProxyError::InvalidArgument("The continuation token provided is incorrect");
        let (kind, pos, tag) = split(token).ok_or_else(bad)?;
        let valid = self
            .keys
            .0
            .iter()
            .any(|key| constant_time_eq(&self.tag(key, kind, &pos.value), &tag));
        valid.then_some(pos).ok_or_else(bad)
    }
}

fn kind_of(pos: &Position) -> u8 {
    if pos.is_prefix {
        b'p'
    } else {
        b'k'
    }
}

/// A token's parts, unchecked: kind, position and tag.
fn split(token: &str) -> Option<(u8, Position, [u8; TAG_BYTES])> {
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    let (head, tag) = raw.split_at_checked(raw.len().checked_sub(TAG_BYTES)?)?;
    let (&[version, kind], value) = head.split_first_chunk::<2>()?;
    let value = std::str::from_utf8(value).ok()?;
    if version != VERSION || !matches!(kind, b'k' | b'p') || value.len() > MAX_POSITION_BYTES {
        return None;
    }
    let pos = Position {
        value: value.to_string(),
        is_prefix: kind == b'p',
    };
    Some((kind, pos, tag.try_into().ok()?))
}

/// The position a token carries, without checking it: for tests and tools
/// that read what a token reveals. Never resume from it.
pub fn peek(token: &str) -> Option<Position> {
    split(token).map(|(_, pos, _)| pos)
}

#[cfg(test)]
mod tests;

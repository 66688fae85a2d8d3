//! The identity provider's JWKS: which of its keys we accept.
//!
//! The caller fetches it (3 s timeout, 256 KiB cap, cached per issuer);
//! this only decides what to trust in it. Errors are strings for the log
//! line: the client sees `IDPCommunicationError` either way.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use p256::ecdsa::VerifyingKey;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{Map, Value};

use super::Alg;

/// The JWKS size cap, re-checked here so the parser's work is bounded
/// even if a caller forgets it.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// RFC 7518 3.3: RS256 keys MUST be at least 2048 bits.
const MIN_RSA_BITS: usize = 2048;

/// The public-key types we verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    /// EC on P-256 only.
    P256,
}

/// A verification key of a JWKS with its `kid` and `alg`. Fields are
/// private: a `Jwk` only comes from [`parse_jwks`], so it always holds a
/// sane key (RSA 2048–4096 bits, or a point on P-256).
#[derive(Debug, Clone)]
pub struct Jwk {
    kid: String,
    alg: Option<String>,
    key: PublicKey,
}

#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    Rsa(RsaPublicKey),
    P256(VerifyingKey),
}

impl Jwk {
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key's own `alg`, when the JWKS states one.
    pub fn alg(&self) -> Option<&str> {
        self.alg.as_deref()
    }

    pub fn key_type(&self) -> KeyType {
        match self.key {
            PublicKey::Rsa(_) => KeyType::Rsa,
            PublicKey::P256(_) => KeyType::P256,
        }
    }

    /// Whether this key may verify a token signed with `alg`: the key type
    /// must match, and so must the key's `alg` when it has one. This is what
    /// stops a token from choosing how a key is used.
    pub fn fits(&self, alg: Alg) -> bool {
        let type_ok = matches!(
            (&self.key, alg),
            (PublicKey::Rsa(_), Alg::Rs256) | (PublicKey::P256(_), Alg::Es256)
        );
        type_ok && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
    }

    /// What this key holds on the heap, generously (for the cache's byte bound):
    /// the modulus and exponent of an RSA key counted twice for their big-integer
    /// representation; a P-256 point lives inline.
    pub fn heap_bytes(&self) -> usize {
        use rsa::traits::PublicKeyParts as _;
        let key = match &self.key {
            PublicKey::Rsa(k) => 2 * (k.size() + k.e().to_bytes_be().len()),
            PublicKey::P256(_) => 0,
        };
        size_of::<Self>() + self.kid.len() + self.alg.as_ref().map_or(0, String::len) + key
    }

    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.key
    }
}

/// Parses a JWKS document. Keys that cannot verify RS256/ES256 are skipped
/// rather than failing the whole set (IdPs also publish encryption keys,
/// other curves, ...): `use` other than `sig`, no `kid`, kty other than
/// RSA / EC P-256, RSA below 2048 bits, or undecodable key material.
/// An error means the document is unusable (not JSON, no `keys` array,
/// too big, or not one usable key).
pub fn parse_jwks(json: &str) -> Result<Vec<Jwk>, JwksError> {
    if json.len() > MAX_JWKS_BYTES {
        return Err(JwksError::TooLarge);
    }
    let doc: Value = serde_json::from_str(json).map_err(|e| JwksError::Json(Arc::new(e)))?;
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return Err(JwksError::NoKeys);
    };
    let usable: Vec<Jwk> = keys.iter().filter_map(Value::as_object).filter_map(parse_key).collect();
    if usable.is_empty() {
        return Err(JwksError::NoUsableKey(keys.len()));
    }
    Ok(usable)
}

/// Why a JWKS is refused.
#[derive(Clone, thiserror::Error)]
pub enum JwksError {
    #[error("JWKS larger than {MAX_JWKS_BYTES} bytes")]
    TooLarge,
    #[error("JWKS is not JSON")]
    Json(#[source] Arc<serde_json::Error>),
    #[error("JWKS has no \"keys\" array")]
    NoKeys,
    #[error("JWKS has no usable RS256/ES256 signing key (of {0})")]
    NoUsableKey(usize),
}

crate::error::debug_as_display!(JwksError);

/// One key, or `None` to skip it.
fn parse_key(obj: &Map<String, Value>) -> Option<Jwk> {
    let string = |name: &str| obj.get(name).and_then(Value::as_str);
    if obj.get("use").is_some_and(|u| u.as_str() != Some("sig")) {
        return None;
    }
    let kid = string("kid").filter(|k| !k.is_empty())?.to_owned();
    // A present but non-string `alg` is nonsense: skip the key.
    let alg = match obj.get("alg") {
        None => None,
        Some(Value::String(a)) => Some(a.clone()),
        Some(_) => return None,
    };
    // Only the public members are read: private parts a JWKS might wrongly
    // carry change nothing.
    let bytes = |name: &str| URL_SAFE_NO_PAD.decode(string(name)?).ok();
    let key = match string("kty")? {
        "RSA" => PublicKey::Rsa(rsa_key(&bytes("n")?, &bytes("e")?)?),
        "EC" if string("crv") == Some("P-256") => PublicKey::P256(p256_key(&bytes("x")?, &bytes("y")?)?),
        _ => return None,
    };
    Some(Jwk { kid, alg, key })
}

/// RSA ≥ 2048 bits; `RsaPublicKey::new` also bounds the modulus (≤ 4096
/// bits) and the exponent.
fn rsa_key(n: &[u8], e: &[u8]) -> Option<RsaPublicKey> {
    if modulus_bits(n) < MIN_RSA_BITS {
        return None;
    }
    RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e)).ok()
}

/// A P-256 point from its JWK coordinates (RFC 7518 6.2.1: exactly 32 bytes
/// each). `from_sec1_bytes` rejects points that are not on the curve.
fn p256_key(x: &[u8], y: &[u8]) -> Option<VerifyingKey> {
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut sec1 = [4u8; 65]; // 0x04: uncompressed point
    sec1[1..33].copy_from_slice(x);
    sec1[33..].copy_from_slice(y);
    VerifyingKey::from_sec1_bytes(&sec1).ok()
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn modulus_bits(be: &[u8]) -> usize {
    let be = match be.iter().position(|&b| b != 0) {
        Some(i) => &be[i..],
        None => return 0,
    };
    let lead_bits = 8 - be[0].leading_zeros() as usize;
    (be.len() - 1) * 8 + lead_bits
}

#[cfg(test)]
mod tests;

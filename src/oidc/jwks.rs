//! The identity provider's JWKS: which of its keys we accept.
//!
//! The caller fetches it (3 s timeout, 256 KiB cap, cached per issuer);
//! this only decides what to trust in it. Errors are strings for the log
//! line: the client sees `IDPCommunicationError` either way.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{Map, Value};

use super::sigcheck::Prepared;
use super::Alg;

/// The JWKS size cap, re-checked here so the parser's work is bounded
/// even if a caller forgets it.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

/// RFC 7518 3.3: RS256 keys MUST be at least 2048 bits.
const MIN_RSA_BITS: usize = 2048;
/// The rsa crate's bounds (`RsaPublicKey::new`), kept on wasm too where
/// WebCrypto verifies: the same keys are accepted natively and in the Worker.
const MAX_RSA_BITS: usize = 4096;
const MAX_RSA_EXPONENT: u64 = (1 << 33) - 1;

/// The public-key types we verify with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    Rsa,
    /// EC on P-256 only.
    P256,
}

/// A verification key of a JWKS with its `kid` and `alg`. Fields are
/// private: a `Jwk` only comes from [`parse_jwks`], so it always holds a
/// sane key (RSA 2048–4096 bits; a P-256 point, checked to be on the curve
/// natively here and by WebCrypto's import on wasm).
#[derive(Debug, Clone)]
pub struct Jwk {
    kid: String,
    alg: Option<String>,
    key: PublicKey,
    /// What the platform verifies with (`sigcheck`): the crate's key
    /// natively, the imported `CryptoKey` (once per isolate) on wasm.
    prepared: Prepared,
}

/// The key material, as the JWK gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PublicKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    P256 {
        x: [u8; 32],
        y: [u8; 32],
    },
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
            PublicKey::Rsa { .. } => KeyType::Rsa,
            PublicKey::P256 { .. } => KeyType::P256,
        }
    }

    /// Whether this key may verify a token signed with `alg`: the key type
    /// must match, and so must the key's `alg` when it has one. This is what
    /// stops a token from choosing how a key is used.
    pub fn fits(&self, alg: Alg) -> bool {
        let type_ok = matches!(
            (&self.key, alg),
            (PublicKey::Rsa { .. }, Alg::Rs256) | (PublicKey::P256 { .. }, Alg::Es256)
        );
        type_ok && self.alg.as_deref().is_none_or(|a| a == alg.as_str())
    }

    /// What this key holds on the heap, generously (for the cache's byte bound):
    /// the modulus and exponent of an RSA key counted twice (the bytes, and
    /// natively the crate's big integers; on wasm the imported key lives in
    /// the JS heap); a P-256 point lives inline.
    pub fn heap_bytes(&self) -> usize {
        let key = match &self.key {
            PublicKey::Rsa { n, e } => 2 * (n.len() + e.len()),
            PublicKey::P256 { .. } => 0,
        };
        size_of::<Self>() + self.kid.len() + self.alg.as_ref().map_or(0, String::len) + key
    }

    /// What WebCrypto imports (natively the crate key is built at parse time).
    #[cfg(any(target_arch = "wasm32", test))]
    pub(crate) fn public_key(&self) -> &PublicKey {
        &self.key
    }

    pub(crate) fn prepared(&self) -> &Prepared {
        &self.prepared
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
    // Lax: a repeated key keeps its last value, as other clients read issuer documents;
    // the visitor every JSON document here goes through (src/json.rs).
    let doc: Value = crate::json::parse_lax(json.as_bytes()).map_err(|e| JwksError::Json(Arc::new(e)))?;
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
        "RSA" => rsa_key(&bytes("n")?, &bytes("e")?)?,
        // RFC 7518 6.2.1: each coordinate exactly 32 bytes.
        "EC" if string("crv") == Some("P-256") => PublicKey::P256 {
            x: bytes("x")?.try_into().ok()?,
            y: bytes("y")?.try_into().ok()?,
        },
        _ => return None,
    };
    let prepared = Prepared::new(&key)?;
    Some(Jwk {
        kid,
        alg,
        key,
        prepared,
    })
}

/// RSA of 2048–4096 bits with an odd modulus and an odd exponent in
/// [3, 2^33 - 1] (the rsa crate's checks; e < n follows from the sizes),
/// both kept without leading zeros.
fn rsa_key(n: &[u8], e: &[u8]) -> Option<PublicKey> {
    let (n, e) = (strip_zeros(n), strip_zeros(e));
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bit_len(n)) || e.len() > 8 {
        return None;
    }
    let exp = e.iter().fold(0u64, |acc, &b| acc << 8 | u64::from(b));
    let odd = |be: &[u8]| be.last().is_some_and(|b| b & 1 == 1);
    if !(3..=MAX_RSA_EXPONENT).contains(&exp) || !odd(e) || !odd(n) {
        return None;
    }
    Some(PublicKey::Rsa {
        n: n.to_vec(),
        e: e.to_vec(),
    })
}

fn strip_zeros(be: &[u8]) -> &[u8] {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    &be[start..]
}

/// Bit length of a big-endian unsigned integer without leading zero bytes.
fn bit_len(be: &[u8]) -> usize {
    match be.first() {
        Some(lead) => (be.len() - 1) * 8 + (8 - lead.leading_zeros() as usize),
        None => 0,
    }
}

#[cfg(test)]
mod tests;

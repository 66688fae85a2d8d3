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
mod tests {
    use super::*;
    use crate::oidc::testkeys::{EC_KID, JWKS, RSA_KID};
    use serde_json::json;

    fn fixture() -> Value {
        serde_json::from_str(JWKS).unwrap_or_default()
    }

    fn with_keys(keys: Vec<Value>) -> String {
        json!({ "keys": keys }).to_string()
    }

    #[test]
    fn parses_fixture() {
        let keys = parse_jwks(JWKS).expect("fixture");
        assert_eq!(keys.len(), 2);
        assert_eq!(
            (keys[0].kid(), keys[0].alg(), keys[0].key_type()),
            (RSA_KID, Some("RS256"), KeyType::Rsa)
        );
        assert_eq!(
            (keys[1].kid(), keys[1].alg(), keys[1].key_type()),
            (EC_KID, Some("ES256"), KeyType::P256)
        );
        assert!(keys[0].fits(Alg::Rs256) && !keys[0].fits(Alg::Es256));
        assert!(keys[1].fits(Alg::Es256) && !keys[1].fits(Alg::Rs256));
    }

    #[test]
    fn use_alg_and_kid_rules() {
        let f = fixture();
        let (rsa, ec) = (f["keys"][0].clone(), f["keys"][1].clone());
        let edit = |k: &Value, name: &str, v: Option<Value>| {
            let mut k = k.clone();
            match (k.as_object_mut(), v) {
                (Some(m), Some(v)) => m.insert(name.into(), v),
                (Some(m), None) => m.remove(name),
                _ => None,
            };
            k
        };
        // `use` absent is fine (many IdPs omit it); `enc` or junk is skipped.
        let keys = parse_jwks(&with_keys(vec![edit(&rsa, "use", None), edit(&ec, "alg", None)])).expect("ok");
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[1].alg(), None);
        assert!(keys[1].fits(Alg::Es256));
        for bad in [json!("enc"), json!("SIG"), json!(null), json!(1)] {
            let doc = with_keys(vec![edit(&rsa, "use", Some(bad.clone())), ec.clone()]);
            let keys = parse_jwks(&doc).expect("ec left");
            assert_eq!(keys.len(), 1, "{bad}");
            assert_eq!(keys[0].kid(), EC_KID);
        }
        // No kid (or an empty / non-string one): skipped, tokens always name one.
        for kid in [None, Some(json!("")), Some(json!(5))] {
            let doc = with_keys(vec![edit(&rsa, "kid", kid.clone()), ec.clone()]);
            assert_eq!(parse_jwks(&doc).map(|k| k.len()).ok(), Some(1), "{kid:?}");
        }
        // A foreign alg is kept (the key is named) but never fits.
        let keys = parse_jwks(&with_keys(vec![edit(&rsa, "alg", Some(json!("RS512")))])).expect("kept");
        assert!(!keys[0].fits(Alg::Rs256));
        assert_eq!(
            parse_jwks(&with_keys(vec![edit(&rsa, "alg", Some(json!(256)))]))
                .map(|k| k.len())
                .ok(),
            None
        );
    }

    #[test]
    fn unusable_key_types_skipped() {
        let f = fixture();
        let ec = f["keys"][1].clone();
        let others = vec![
            json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0"}),
            json!({"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
            json!({"kty": "EC", "kid": "p384", "crv": "P-384", "x": ec["x"], "y": ec["y"]}),
            json!({"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": ec["x"], "y": ec["x"]}),
            json!({"kty": "EC", "kid": "short", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
            json!({"kty": "RSA", "kid": "no-e", "n": f["keys"][0]["n"]}),
            json!({"kty": "RSA", "kid": "bad-b64", "n": "!!!", "e": "AQAB"}),
            json!({"kty": "rsa", "kid": "case", "n": f["keys"][0]["n"], "e": "AQAB"}),
            json!({"kid": "no-kty"}),
            json!("not an object"),
            json!(null),
        ];
        let mut all = others.clone();
        all.push(ec.clone());
        let keys = parse_jwks(&with_keys(all)).expect("ec left");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid(), EC_KID);
        assert!(parse_jwks(&with_keys(others)).is_err());
    }

    #[test]
    fn rsa_modulus_at_least_2048_bits() {
        let f = fixture();
        let n = |bytes: Vec<u8>| base64::Engine::encode(&URL_SAFE_NO_PAD, bytes);
        let rsa = |kid: &str, modulus: Vec<u8>| json!({"kty": "RSA", "kid": kid, "n": n(modulus), "e": "AQAB"});
        // 1024 and 2047 bits (odd, top bit set where it belongs): skipped.
        let mut m2047 = vec![0xffu8; 256];
        m2047[0] = 0x7f;
        let keys = vec![rsa("1024", vec![0xff; 128]), rsa("2047", m2047), f["keys"][1].clone()];
        assert_eq!(parse_jwks(&with_keys(keys)).map(|k| k.len()).ok(), Some(1));
        // Leading zero bytes do not count as bits.
        let mut padded = vec![0u8; 8];
        padded.extend(vec![0xffu8; 128]);
        assert!(parse_jwks(&with_keys(vec![rsa("pad", padded)])).is_err());
        // 2048 and 4096 bits are fine; above 4096 the rsa crate refuses.
        let keys = vec![
            rsa("2048", vec![0xff; 256]),
            rsa("4096", vec![0xff; 512]),
            rsa("8192", vec![0xff; 1024]),
        ];
        let got = parse_jwks(&with_keys(keys)).expect("ok");
        assert_eq!(got.iter().map(Jwk::kid).collect::<Vec<_>>(), ["2048", "4096"]);
        assert_eq!(modulus_bits(&[]), 0);
        assert_eq!(modulus_bits(&[0, 0]), 0);
        assert_eq!(modulus_bits(&[1]), 1);
        assert_eq!(modulus_bits(&[0, 0x80, 0]), 16);
    }

    #[test]
    fn private_members_ignored() {
        // A JWKS that leaks a private part still yields just the public key.
        let mut f = fixture();
        f["keys"][1]["d"] = json!("AAAA");
        f["keys"][0]["d"] = json!("AAAA");
        assert_eq!(parse_jwks(&f.to_string()).map(|k| k.len()).ok(), Some(2));
    }

    #[test]
    fn document_errors() {
        for doc in [
            "",
            "nope",
            "[]",
            "{}",
            r#"{"keys": {}}"#,
            r#"{"keys": []}"#,
            r#"{"keys": null}"#,
        ] {
            assert!(parse_jwks(doc).is_err(), "{doc}");
        }
        let big = format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(MAX_JWKS_BYTES));
        assert!(matches!(parse_jwks(&big), Err(JwksError::TooLarge)));
    }
}

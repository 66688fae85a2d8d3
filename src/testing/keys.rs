//! Test-only: the fixed keys of tests/fixtures/oidc and helpers that mint
//! real tokens with them (through jwt-compact, as an IdP would).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_compact::alg::{Rsa, RsaPrivateKey};
use jwt_compact::{Algorithm, AlgorithmExt, AlgorithmSignature, Claims, Header};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
// One trait (the `pkcs8` crate's) decodes both the RSA and the P-256 key.
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::{Map, Value};

pub const RSA_PEM: &str = include_str!("../../tests/fixtures/oidc/rsa-2048.pem");
pub const RSA_PUB_PEM: &str = include_str!("../../tests/fixtures/oidc/rsa-2048.pub.pem");
pub const EC_PEM: &str = include_str!("../../tests/fixtures/oidc/p256.pem");
pub const JWKS: &str = include_str!("../../tests/fixtures/oidc/jwks.json");
pub const RSA_KID: &str = "test-rsa-1";
pub const EC_KID: &str = "test-ec-1";

pub fn rsa_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(RSA_PEM).expect("fixture RSA key")
}

pub fn ec_key() -> SigningKey {
    SigningKey::from_pkcs8_pem(EC_PEM).expect("fixture P-256 key")
}

pub fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// `header.claims.signature` from raw JSON and raw signature bytes.
pub fn raw_token(header: &Value, claims: &Value, sig: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(&header.to_string()),
        b64(&claims.to_string()),
        URL_SAFE_NO_PAD.encode(sig)
    )
}

/// RS256-signs an arbitrary header and claim set (for odd-but-signed cases).
pub fn sign_rs256_raw(header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(&header.to_string()), b64(&claims.to_string()));
    let sig = Rsa::rs256().sign(&rsa_key(), input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_bytes()))
}

/// ES256-signs an arbitrary header and claim set (JWS: raw 64-byte r || s).
pub fn sign_es256_raw(header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", b64(&header.to_string()), b64(&claims.to_string()));
    let sig: Signature = ec_key().sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

fn claims(c: &Value) -> Claims<Map<String, Value>> {
    Claims::new(c.as_object().cloned().expect("claims must be an object"))
}

/// A genuine RS256 token through jwt-compact's public API.
pub fn mint_rs256(kid: &str, c: &Value) -> String {
    let header = Header::empty().with_key_id(kid).with_token_type("JWT");
    Rsa::rs256().token(&header, &claims(c), &rsa_key()).expect("mint RS256")
}

/// A genuine ES256 token, signed with p256 as an IdP would.
pub fn mint_es256(kid: &str, c: &Value) -> String {
    sign_es256_raw(&serde_json::json!({"alg": "ES256", "kid": kid, "typ": "JWT"}), c)
}

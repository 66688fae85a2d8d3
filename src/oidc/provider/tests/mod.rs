//! Provider tests with the fixture keys: configuration and documents
//! (`config`), minted tokens checked by jwt-compact and by the proxy's own
//! verifier, and reuse (`tokens`). Shared fixtures and helpers here.

mod config;
mod tokens;

use std::cell::Cell;
use std::collections::HashSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use futures::executor::block_on;
use jwt_compact::alg::{Rsa, RsaPublicKey};
use jwt_compact::{AlgorithmExt as _, UntrustedToken};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::BigUint;
use serde_json::{json, Map, Value};

use super::*;
use crate::oidc::{parse_jwks, verify_now as verify, Expectations};
use crate::testing::keys::{EC_PEM, JWKS, RSA_PEM, RSA_PUB_PEM};

const RSA_B_PEM: &str = include_str!("../../../../tests/fixtures/oidc/rsa-2048-b.pem");
const RSA_B_PUB_PEM: &str = include_str!("../../../../tests/fixtures/oidc/rsa-2048-b.pub.pem");
const RSA_1024_PEM: &str = include_str!("../../../../tests/fixtures/oidc/rsa-1024.pem");
const RSA_4608_PEM: &str = include_str!("../../../../tests/fixtures/oidc/rsa-4608.pem");
const ISS: &str = "https://proxy.example.com";
const AUD: &str = "https://catalog.example.com";
const NOW: i64 = 1_795_317_720;

/// The operator's text of a configuration error: what these tests read.
fn text<T>(r: Result<T, ProviderKeyError>) -> Result<T, String> {
    r.map_err(|e| crate::error::chain(&e))
}

fn cfg(kid: &str, pem: &str, prev: Option<(&str, &str)>) -> Result<Option<ProviderKeys>, String> {
    text(ProviderKeys::from_config(
        Some(ISS),
        Some(kid),
        Some(pem),
        prev.map(|p| p.0),
        prev.map(|p| p.1),
        false,
    ))
}

fn keys_a() -> ProviderKeys {
    cfg("kid-a", RSA_PEM, None).ok().flatten().expect("fixture key A")
}

fn keys_rotated() -> ProviderKeys {
    cfg("kid-b", RSA_B_PEM, Some(("kid-a", RSA_PEM)))
        .ok()
        .flatten()
        .expect("rotation")
}

/// n and e as `openssl pkey -pubout` wrote them, read by the rsa crate.
fn openssl_ne(pub_pem: &str) -> (String, String) {
    let (label, der) = pkcs8::pem_decode(pub_pem).expect("PEM");
    assert_eq!(label, "PUBLIC KEY");
    let k = RsaPublicKey::from_public_key_der(&der).expect("fixture public key");
    (
        URL_SAFE_NO_PAD.encode(k.n().to_bytes_be()),
        URL_SAFE_NO_PAD.encode(k.e().to_bytes_be()),
    )
}

fn b64_decode_json(part: &str) -> Value {
    let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url");
    serde_json::from_slice(&bytes).expect("JSON")
}

/// Header and claims of a compact JWT, unverified.
fn parts(token: &str) -> (Value, Value) {
    let p: Vec<&str> = token.split('.').collect();
    assert_eq!(p.len(), 3, "{token}");
    (b64_decode_json(p[0]), b64_decode_json(p[1]))
}

/// The base64 body of every fixture PEM, to prove error texts and Debug output leak none of it.
fn leaks_key_material(text: &str) -> bool {
    [RSA_PEM, RSA_B_PEM, RSA_1024_PEM, RSA_4608_PEM, EC_PEM]
        .iter()
        .any(|pem| {
            let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
            let chars: Vec<char> = body.chars().collect();
            chars.windows(12).any(|w| text.contains(&w.iter().collect::<String>()))
        })
}

/// Counts calls; returns a fixed "signature" (for tests about caching, not crypto).
struct FakeSigner {
    calls: Cell<u32>,
    fail: bool,
}

impl FakeSigner {
    fn new() -> Self {
        FakeSigner {
            calls: Cell::new(0),
            fail: false,
        }
    }
}

impl Rs256Signer for FakeSigner {
    async fn sign(&self, _input: &[u8]) -> Result<Vec<u8>, SignError> {
        self.calls.set(self.calls.get() + 1);
        if self.fail {
            return Err(SignError::NoWebCrypto("the test signer"));
        }
        Ok(vec![1, 2, 3])
    }
}

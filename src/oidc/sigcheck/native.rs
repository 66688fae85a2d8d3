//! RS256 and ES256 with the rsa and p256 crates (native builds).

use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use sha2::{Digest as _, Sha256};

use crate::oidc::jwks::{Jwk, PublicKey};

/// The crate's key, built when the JWKS is parsed.
#[derive(Debug, Clone)]
pub(crate) enum Prepared {
    Rsa(RsaPublicKey),
    P256(VerifyingKey),
}

impl Prepared {
    /// `None` when the crate refuses the key (a point off the curve, RSA
    /// parts out of its bounds): the key is skipped.
    pub(crate) fn new(key: &PublicKey) -> Option<Self> {
        match key {
            PublicKey::Rsa { n, e } => RsaPublicKey::new(BigUint::from_bytes_be(n), BigUint::from_bytes_be(e))
                .ok()
                .map(Prepared::Rsa),
            PublicKey::P256 { x, y } => {
                let mut sec1 = [4u8; 65]; // 0x04: uncompressed point
                sec1[1..33].copy_from_slice(x);
                sec1[33..].copy_from_slice(y);
                VerifyingKey::from_sec1_bytes(&sec1).ok().map(Prepared::P256)
            }
        }
    }
}

/// Whether `sig` is `key`'s signature of `input` (the JWS signing input).
#[allow(clippy::unused_async)] // the same signature as the wasm check, which awaits
pub(crate) async fn check(key: &Jwk, input: &[u8], sig: &[u8]) -> bool {
    check_now(key, input, sig)
}

/// [`check`] without the future, for the native command.
pub(crate) fn check_now(key: &Jwk, input: &[u8], sig: &[u8]) -> bool {
    match key.prepared() {
        // RS256 (RFC 7518 3.3): RSASSA-PKCS1-v1_5 with SHA-256. The crate
        // rejects a signature whose length is not the modulus size or that is ≥ n.
        Prepared::Rsa(k) => k
            .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(input), sig)
            .is_ok(),
        // ES256 (RFC 7518 3.4): the signature is the raw 64-byte `r || s`
        // (not DER), and `from_slice` wants r, s in [1, n).
        Prepared::P256(k) => Signature::from_slice(sig).is_ok_and(|sig| k.verify(input, &sig).is_ok()),
    }
}

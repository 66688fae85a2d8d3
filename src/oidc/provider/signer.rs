//! RS256 signing behind a small trait, so minting and caching are the same
//! code natively and on wasm. The implementations differ because of cost:
//! the rsa crate takes 10–13 ms of CPU per signature in wasm and is not
//! constant-time (RUSTSEC-2023-0071), WebCrypto ~0.9 ms (shared/TOOLCHAIN.md).
//! So on wasm the signer is [`super::WebCryptoSigner`]; [`NativeSigner`]
//! serves tests and native tools.

#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeSigner;

/// Why a signature could not be made (log text: never key or input bytes).
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// A WebCrypto call threw: the call, and the exception's name and message.
    #[error("WebCrypto {call} failed: {message}")]
    WebCrypto { call: &'static str, message: String },
    /// `globalThis.crypto` or `crypto.subtle` is missing.
    #[error("{0} is not available")]
    NoWebCrypto(&'static str),
    #[error("SubtleCrypto.sign returned no ArrayBuffer")]
    NoSignature,
    /// The rsa crate's reason (native signer; its error type is std-only).
    #[error("RS256 signing failed: {0}")]
    Rsa(String),
}

crate::error::debug_as_display!(SignError);

/// RSASSA-PKCS1-v1_5 with SHA-256 over the JWS signing input.
/// Native futures need not be `Send`: an isolate is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Rs256Signer {
    async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError>;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::fmt;

    use rsa::rand_core::OsRng;
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};
    use sha2::{Digest as _, Sha256};

    use super::{Rs256Signer, SignError};
    use crate::oidc::provider::ProviderKeys;

    /// The rsa crate's signer, with blinding (a fresh random factor per
    /// signature) since a native tool might run next to an attacker.
    #[derive(Clone)]
    pub struct NativeSigner {
        key: RsaPrivateKey,
    }

    impl NativeSigner {
        pub fn new(keys: &ProviderKeys) -> Self {
            NativeSigner {
                key: keys.private_key().clone(),
            }
        }
    }

    impl fmt::Debug for NativeSigner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("NativeSigner(***)")
        }
    }

    impl Rs256Signer for NativeSigner {
        async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
            let digest = Sha256::digest(signing_input);
            self.key
                .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<Sha256>(), &digest)
                .map_err(|e| SignError::Rsa(e.to_string()))
        }
    }
}

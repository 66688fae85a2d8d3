//! RS256 signing behind a small trait, so minting and caching are the same
//! code natively and on wasm. The implementations differ because of cost:
//! the rsa crate takes 10–13 ms of CPU per signature in wasm and is not
//! constant-time (RUSTSEC-2023-0071), WebCrypto ~0.9 ms (shared/TOOLCHAIN.md).
//! So on wasm the signer is [`super::WebCryptoSigner`]; [`NativeSigner`]
//! serves tests and native tools.

#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeSigner;

/// RSASSA-PKCS1-v1_5 with SHA-256 over the JWS signing input.
/// Native futures need not be `Send`: an isolate is single-threaded.
#[allow(async_fn_in_trait)]
pub trait Rs256Signer {
    async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, String>;
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::fmt;

    use rsa::rand_core::OsRng;
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};
    use sha2::{Digest as _, Sha256};

    use super::Rs256Signer;
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
        async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, String> {
            let digest = Sha256::digest(signing_input);
            self.key
                .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new::<Sha256>(), &digest)
                .map_err(|e| format!("RS256 signing failed: {e}"))
        }
    }
}

//! The OIDC *provider* side: the proxy mints short-lived RS256 JWTs
//! for the principal it serves, so the HTTP catalog API can authorize calls
//! "as the user", and publishes the discovery document and JWKS to verify them.
//!
//! Use: [`ProviderKeys::from_config`] once per isolate (it parses the PEM);
//! serve [`discovery_json`] / [`jwks_json`] with their Cache-Control; get
//! tokens from a per-isolate [`TokenCache`] with the runtime's signer
//! (`WebCryptoSigner` on wasm, [`NativeSigner`] natively). Time is passed in.

mod claims;
mod documents;
mod keys;
mod mint;
mod pkcs8;
mod signer;
#[cfg(target_arch = "wasm32")]
pub(crate) mod webcrypto;

#[cfg(test)]
mod tests;

pub use claims::{
    claims_json, compact, header_json, new_jti, signing_input, MintRequest, ANONYMOUS_SUBJECT, TOKEN_TTL_SECS,
};
pub use documents::{
    discovery_json, jwks_json, CONTENT_TYPE, DISCOVERY_CACHE_CONTROL, DISCOVERY_PATH, JWKS_CACHE_CONTROL, JWKS_PATH,
};
pub use keys::{ProviderKeyError, ProviderKeys, PublicJwk, MAX_RSA_BITS, MIN_RSA_BITS};
pub use mint::{mint, MintError, TokenCache, REUSE_MIN_REMAINING_SECS, TOKEN_CACHE_MAX_BYTES, TOKEN_CACHE_MAX_ENTRIES};
pub use pkcs8::KeyFormatError;
#[cfg(not(target_arch = "wasm32"))]
pub use signer::NativeSigner;
pub use signer::{Rs256Signer, SignError};
#[cfg(target_arch = "wasm32")]
pub use webcrypto::WebCryptoSigner;

/// The runtime's signer: WebCrypto in wasm, the rsa crate natively.
#[cfg(target_arch = "wasm32")]
pub type PlatformSigner = WebCryptoSigner;
#[cfg(not(target_arch = "wasm32"))]
pub type PlatformSigner = NativeSigner;

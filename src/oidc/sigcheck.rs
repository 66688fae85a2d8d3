//! The one place an ID-token signature is checked, per platform, the way
//! minting is split (`provider::signer`): natively the pure-Rust `rsa` and
//! `p256` crates (tests, the command), on wasm WebCrypto (`crypto.subtle`).
//! In the Worker the crates cost ~1 ms of CPU per RS256 verification and
//! ~20 KB of gzipped wasm (after wasm-opt); V8's verify is native code, and
//! the key is imported once per isolate and kept with the cached JWKS.
//!
//! Both are fail closed: any error (a key the runtime refuses to import, a
//! signature of the wrong length, an exception) is a bad signature. Which
//! algorithm a key verifies comes from the key (`Jwk::fits` picked it),
//! never from the token.

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod webcrypto;

#[cfg(not(target_arch = "wasm32"))]
pub(crate) use native::{check, check_now, Prepared};
#[cfg(target_arch = "wasm32")]
pub(crate) use webcrypto::{check, Prepared};

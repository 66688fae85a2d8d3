//! OpenID Connect, both ways: verifying the ID tokens the STS exchanges
//! (this module's top level) and the proxy's own provider ([`provider`]:
//! minting tokens for the catalog, serving discovery and JWKS). Parsing and
//! verification take documents and the current time as arguments; fetching
//! goes through the `Platform` trait, and the per-issuer JWKS cache
//! (`cache`) is bounded, so all of it runs natively in tests.
//!
//! Order of use (the order matters):
//! 1. [`peek`] the token (unverified) and match its `iss` against the role's
//!    trusted issuers BEFORE any network call;
//! 2. [`issuer_allowed`] → fetch [`discovery_url`] → [`parse_discovery`] →
//!    fetch `jwks_uri` → [`parse_jwks`] (cache per issuer);
//! 3. [`verify`]; on [`TokenError::UnknownKid`] refetch the JWKS once;
//! 4. check the role's [`Condition`]s on [`Claims::all`].
//!
//! Everything public is re-exported here; the submodules are public too, so
//! `oidc::conditions::Condition` and `oidc::Condition` both work.

mod cache;
pub mod conditions;
pub mod discovery;
pub mod error;
mod glob;
pub mod jwks;
pub mod provider;
mod sigcheck;
pub mod token;
pub mod verify;

pub use cache::{IdpError, JwksCache};
pub use conditions::{all_hold, Condition, Op};
pub use discovery::{discovery_url, issuer_allowed, parse_discovery, Discovery, DiscoveryError};
pub use error::TokenError;
pub use jwks::{parse_jwks, Jwk, JwksError, KeyType, MAX_JWKS_BYTES};
pub use token::{peek, Alg, Peeked, MAX_TOKEN_LEN};
#[cfg(not(target_arch = "wasm32"))]
pub use verify::verify_now;
pub use verify::{verify, Claims, Expectations, DEFAULT_LEEWAY};

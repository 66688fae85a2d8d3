//! AWS Signature Version 4 for S3.
//!
//! Both directions share one canonical request: signing outbound requests to
//! S3-compatible backends ([`sign`]) and verifying client signatures
//! ([`verify`]), so every step is public:
//! [`uri_encode`] → [`canonical_query`] / [`canonical_headers`] →
//! [`canonical_request`] → [`string_to_sign`] (with [`scope`]) →
//! [`signing_key`] → [`signature`].

mod canonical;
mod sign;
pub mod verify;

pub use canonical::{canonical_headers, canonical_query, canonical_request, uri_encode};
pub use sign::{
    hmac_sha256, scope, sha256_hex, sign, signature, signing_key, string_to_sign, Credentials, SignableRequest,
    ALGORITHM, EMPTY_SHA256, UNSIGNED_PAYLOAD,
};

#[cfg(test)]
mod tests;

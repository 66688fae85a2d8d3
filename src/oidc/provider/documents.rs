//! The provider's public documents: OIDC discovery and the JWKS.
//! Both depend on configuration only, so the caller may build them once per
//! isolate.

use serde_json::{json, Value};

use super::keys::{ProviderKeys, PublicJwk};

pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const CONTENT_TYPE: &str = "application/json";
/// The discovery document only changes with the issuer: an hour is safe.
pub const DISCOVERY_CACHE_CONTROL: &str = "public, max-age=3600";
/// Short, so that a rotation (new active key) reaches the verifiers' caches
/// within minutes; verifiers also refetch on an unknown `kid`.
pub const JWKS_CACHE_CONTROL: &str = "public, max-age=300";

/// Claims that minted tokens may carry (`role`, `idp` for sessions only).
const CLAIMS: [&str; 9] = ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", "role", "idp"];

/// `/.well-known/openid-configuration`. `issuer` is exactly the `iss` of the
/// tokens (OIDC Discovery 4.3 makes verifiers compare them).
pub fn discovery_json(keys: &ProviderKeys) -> String {
    crate::log::json_text(&json!({
        "issuer": keys.issuer(),
        "jwks_uri": keys.jwks_uri(),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": CLAIMS,
    }))
}

/// `/.well-known/jwks.json`: the active key, then the previous one during a
/// rotation, so tokens signed just before it still verify.
pub fn jwks_json(keys: &ProviderKeys) -> String {
    let jwks: Vec<Value> = std::iter::once(keys.active()).chain(keys.previous()).map(jwk).collect();
    crate::log::json_text(&json!({ "keys": jwks }))
}

fn jwk(k: &PublicJwk) -> Value {
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": k.kid, "n": k.n, "e": k.e})
}

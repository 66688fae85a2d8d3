//! The provider's signing keys, parsed once from configuration.
//!
//! The PEM is decoded and checked here, at configuration time, so a bad key
//! is reported when the provider starts rather than on the first token
//! (structure, type, size everywhere; natively the rsa crate also checks the
//! private parts, on wasm WebCrypto does when it imports the key, see
//! `WebCryptoSigner::prepare`). Error texts name the variable and the
//! reason, never any part of a key.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
#[cfg(not(target_arch = "wasm32"))]
use rsa::{traits::PublicKeyParts as _, RsaPrivateKey};
use zeroize::Zeroizing;

use super::pkcs8;
use crate::oidc::issuer_allowed;

/// RFC 7518 3.3: RS256 keys MUST be at least 2048 bits.
pub const MIN_RSA_BITS: usize = 2048;
/// Verifiers commonly stop at 4096 bits (this proxy's own STS does, through
/// `RsaPublicKey::new`), so a bigger key would mint tokens nobody accepts.
pub const MAX_RSA_BITS: usize = 4096;
/// Kids travel in token headers, JWKS and log lines: keep them short and plain.
const MAX_KID_LEN: usize = 128;

/// The public half of a key as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    pub kid: String,
    /// Modulus, big-endian without leading zeros, base64url (RFC 7518 6.3.1).
    pub n: String,
    /// Public exponent, same encoding.
    pub e: String,
}

/// Everything the provider needs, built once per isolate by [`ProviderKeys::from_config`].
pub struct ProviderKeys {
    issuer: String,
    active: PublicJwk,
    active_bits: usize,
    /// The active key as PKCS#8 DER (zeroized on drop): what WebCrypto imports on wasm.
    pkcs8_der: Zeroizing<Vec<u8>>,
    /// Natively the rsa crate signs (tests, tools). On wasm the signer is WebCrypto,
    /// so no Rust-side private key is kept there at all.
    #[cfg(not(target_arch = "wasm32"))]
    private: RsaPrivateKey,
    /// Published during a rotation only; never signs.
    previous: Option<PublicJwk>,
}

impl ProviderKeys {
    /// From `OIDC_PROVIDER_ISSUER`, `OIDC_PROVIDER_KID`, `OIDC_PROVIDER_KEY`,
    /// `OIDC_PROVIDER_KID_PREVIOUS`, `OIDC_PROVIDER_KEY_PREVIOUS` (empty or
    /// blank counts as unset) and `OIDC_ALLOW_LOOPBACK_ISSUERS`.
    ///
    /// `Ok(None)`: none of issuer, kid and key is set, the provider is off.
    /// `Err`: a partial or invalid configuration (fail loudly, never half-on).
    pub fn from_config(
        issuer: Option<&str>,
        kid: Option<&str>,
        pem: Option<&str>,
        kid_prev: Option<&str>,
        pem_prev: Option<&str>,
        allow_loopback: bool,
    ) -> Result<Option<ProviderKeys>, ProviderKeyError> {
        let [issuer, kid, pem, kid_prev, pem_prev] = [issuer, kid, pem, kid_prev, pem_prev].map(set);
        let (issuer, kid, pem) = match (issuer, kid, pem) {
            (None, None, None) => {
                return match (kid_prev, pem_prev) {
                    (None, None) => Ok(None),
                    _ => Err(ProviderKeyError::PreviousWithoutActive),
                }
            }
            (Some(i), Some(k), Some(p)) => (i, k, p),
            (i, k, p) => {
                let missing: Vec<&str> = [
                    (i.is_none(), "OIDC_PROVIDER_ISSUER"),
                    (k.is_none(), "OIDC_PROVIDER_KID"),
                    (p.is_none(), "OIDC_PROVIDER_KEY"),
                ]
                .into_iter()
                .filter_map(|(gone, name)| gone.then_some(name))
                .collect();
                return Err(ProviderKeyError::Partial(missing.join(", ")));
            }
        };
        check_issuer(issuer, allow_loopback)?;
        check_kid("OIDC_PROVIDER_KID", kid)?;
        let active = parse_private_pem("OIDC_PROVIDER_KEY", pem)?;
        let previous = match (kid_prev, pem_prev) {
            (None, None) => None,
            (Some(kp), Some(pp)) => {
                check_kid("OIDC_PROVIDER_KID_PREVIOUS", kp)?;
                if kp == kid {
                    return Err(ProviderKeyError::SameKid);
                }
                Some(public_jwk(kp, &parse_private_pem("OIDC_PROVIDER_KEY_PREVIOUS", pp)?))
            }
            (Some(_), None) => return Err(ProviderKeyError::KidWithoutKey),
            (None, Some(_)) => return Err(ProviderKeyError::KeyWithoutKid),
        };
        Ok(Some(ProviderKeys {
            issuer: issuer.to_owned(),
            active: public_jwk(kid, &active),
            active_bits: pkcs8::bits(&active.n),
            #[cfg(not(target_arch = "wasm32"))]
            private: active.private,
            pkcs8_der: active.der,
            previous,
        }))
    }

    /// The `iss` of minted tokens, exactly as configured.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The signing key's public half; its `kid` goes into every token header.
    pub fn active(&self) -> &PublicJwk {
        &self.active
    }

    pub fn previous(&self) -> Option<&PublicJwk> {
        self.previous.as_ref()
    }

    /// `{issuer}/.well-known/jwks.json` (a trailing `/` of the issuer dropped, as
    /// OIDC Discovery 4 does for the configuration URL).
    pub fn jwks_uri(&self) -> String {
        format!("{}/.well-known/jwks.json", self.issuer.trim_end_matches('/'))
    }

    /// The active private key as PKCS#8 DER, for `SubtleCrypto.importKey("pkcs8", …)`.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8_der
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn private_key(&self) -> &RsaPrivateKey {
        &self.private
    }
}

/// Only names and sizes: key material never reaches a log line.
impl fmt::Debug for ProviderKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderKeys")
            .field("issuer", &self.issuer)
            .field("kid", &self.active.kid)
            .field("bits", &self.active_bits)
            .field("previous_kid", &self.previous.as_ref().map(|p| &p.kid))
            .finish_non_exhaustive()
    }
}

/// Why the provider's configuration is refused. Names variables, never a
/// key's bytes.
#[derive(thiserror::Error)]
pub enum ProviderKeyError {
    #[error("OIDC_PROVIDER_KEY_PREVIOUS/KID_PREVIOUS set without an active key")]
    PreviousWithoutActive,
    #[error("OIDC provider partly configured: {0} not set")]
    Partial(String),
    #[error("OIDC_PROVIDER_ISSUER {issuer:?} is not an allowed issuer URL ({rule})")]
    Issuer { issuer: String, rule: &'static str },
    #[error("OIDC_PROVIDER_ISSUER {0:?} has a path; the discovery documents are served at the origin")]
    IssuerPath(String),
    #[error("{0} must be 1-{MAX_KID_LEN} printable ASCII characters without spaces")]
    Kid(&'static str),
    #[error("OIDC_PROVIDER_KID_PREVIOUS equals OIDC_PROVIDER_KID: a rotation needs a new kid")]
    SameKid,
    #[error("OIDC_PROVIDER_KID_PREVIOUS set without OIDC_PROVIDER_KEY_PREVIOUS")]
    KidWithoutKey,
    #[error("OIDC_PROVIDER_KEY_PREVIOUS set without OIDC_PROVIDER_KID_PREVIOUS")]
    KeyWithoutKid,
    #[error("{name} is not a PEM document")]
    NotPem {
        name: &'static str,
        #[source]
        source: pkcs8::KeyFormatError,
    },
    #[error("{0} is a PKCS#1 key; convert it to PKCS#8 with `openssl pkcs8 -topk8 -nocrypt`")]
    Pkcs1(&'static str),
    #[error("{0} is encrypted; an unencrypted PKCS#8 key is needed")]
    Encrypted(&'static str),
    #[error("{0} must be a PKCS#8 PEM (-----BEGIN PRIVATE KEY-----)")]
    NotPkcs8(&'static str),
    #[error("{name} is not a valid RSA PKCS#8 key")]
    NotRsaPkcs8 {
        name: &'static str,
        #[source]
        source: pkcs8::KeyFormatError,
    },
    #[error("{name} is a {bits}-bit RSA key; {MIN_RSA_BITS} to {MAX_RSA_BITS} bits are needed")]
    Size { name: &'static str, bits: usize },
    #[error("{0} has an invalid RSA modulus or public exponent")]
    Parts(&'static str),
    /// The rsa crate's reason (natively only).
    #[error("{name} is not a valid RSA key: {reason}")]
    Rsa { name: &'static str, reason: String },
    #[error("{0}: public parts disagree between parsers")]
    Disagree(&'static str),
}

crate::error::debug_as_display!(ProviderKeyError);

/// Unset, empty and blank values are all "not configured" (Workers vars can
/// only be emptied, not removed, from some dashboards).
fn set(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

/// https (or loopback http when allowed), and an origin only: the proxy serves
/// `/.well-known/*` at its root, so an issuer with a path would advertise a
/// discovery URL (`{issuer}/.well-known/openid-configuration`) that 404s.
fn check_issuer(issuer: &str, allow_loopback: bool) -> Result<(), ProviderKeyError> {
    if !issuer_allowed(issuer, allow_loopback) {
        let rule = if allow_loopback {
            "https or loopback http"
        } else {
            "https"
        };
        return Err(ProviderKeyError::Issuer {
            issuer: issuer.to_owned(),
            rule,
        });
    }
    let after_scheme = issuer.split_once("://").map_or("", |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("", |i| &after_scheme[i..]);
    if !path.is_empty() && path != "/" {
        return Err(ProviderKeyError::IssuerPath(issuer.to_owned()));
    }
    Ok(())
}

fn check_kid(name: &'static str, kid: &str) -> Result<(), ProviderKeyError> {
    if kid.len() > MAX_KID_LEN || !kid.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ProviderKeyError::Kid(name));
    }
    Ok(())
}

/// A parsed key: its public half (n, e big-endian) and its PKCS#8 DER.
struct Parsed {
    n: Vec<u8>,
    e: Vec<u8>,
    der: Zeroizing<Vec<u8>>,
    #[cfg(not(target_arch = "wasm32"))]
    private: RsaPrivateKey,
}

/// PKCS#8 PEM → public half and DER (see `pkcs8.rs` for why by hand).
/// Natively the rsa crate also parses and validates the whole key (it signs
/// there); on wasm WebCrypto does that when it imports the key.
fn parse_private_pem(name: &'static str, pem: &str) -> Result<Parsed, ProviderKeyError> {
    // Secrets pasted as one line with literal `\n` (some dashboards and env files do this).
    let unescaped;
    let pem = if !pem.contains('\n') && pem.contains("\\n") {
        unescaped = Zeroizing::new(pem.replace("\\n", "\n"));
        unescaped.as_str()
    } else {
        pem
    };
    // Error texts are fixed strings: none can echo key bytes.
    let (label, der) = pkcs8::pem_decode(pem).map_err(|source| ProviderKeyError::NotPem { name, source })?;
    match label {
        "PRIVATE KEY" => {}
        "RSA PRIVATE KEY" => return Err(ProviderKeyError::Pkcs1(name)),
        "ENCRYPTED PRIVATE KEY" => return Err(ProviderKeyError::Encrypted(name)),
        _ => return Err(ProviderKeyError::NotPkcs8(name)),
    }
    let (n, e) = pkcs8::rsa_public_parts(&der).map_err(|source| ProviderKeyError::NotRsaPkcs8 { name, source })?;
    let bits = pkcs8::bits(n);
    if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        return Err(ProviderKeyError::Size { name, bits });
    }
    // RFC 8017 3.1: n odd, e odd and > 1 (WebCrypto would refuse otherwise, later).
    if n.last().is_none_or(|b| b & 1 == 0) || e.last().is_none_or(|b| b & 1 == 0) || e == [1] || e.len() > 8 {
        return Err(ProviderKeyError::Parts(name));
    }
    let (n, e) = (n.to_vec(), e.to_vec());
    #[cfg(not(target_arch = "wasm32"))]
    let private = {
        use rsa::pkcs8::DecodePrivateKey as _;
        let k = RsaPrivateKey::from_pkcs8_der(&der).map_err(|e| ProviderKeyError::Rsa {
            name,
            reason: e.to_string(),
        })?;
        // Self-check of the hand-written reader against the rsa crate.
        if k.n().to_bytes_be() != n || k.e().to_bytes_be() != e {
            return Err(ProviderKeyError::Disagree(name));
        }
        k
    };
    Ok(Parsed {
        n,
        e,
        der,
        #[cfg(not(target_arch = "wasm32"))]
        private,
    })
}

fn public_jwk(kid: &str, key: &Parsed) -> PublicJwk {
    PublicJwk {
        kid: kid.to_owned(),
        n: URL_SAFE_NO_PAD.encode(&key.n),
        e: URL_SAFE_NO_PAD.encode(&key.e),
    }
}

//! RS256 and ES256 through WebCrypto (wasm): `importKey("jwk", …)` once per
//! key and isolate, then `verify`. JWS ES256 signatures are the raw 64-byte
//! `r || s`, which is also what WebCrypto's ECDSA takes, so they pass as is.

use std::cell::RefCell;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use js_sys::Array;
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::CryptoKey;

use crate::oidc::jwks::{Jwk, PublicKey};
use crate::oidc::provider::webcrypto::{object, subtle};

/// The imported key, once a verification needed it. It lives as long as
/// the cached JWKS it belongs to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Prepared(RefCell<Option<CryptoKey>>);

impl Prepared {
    /// Always `Some`: WebCrypto checks the key (e.g. that a point is on the
    /// curve) when it imports it; a key it refuses verifies nothing.
    #[allow(clippy::unnecessary_wraps)] // the same signature as the native one
    pub(crate) fn new(_key: &PublicKey) -> Option<Self> {
        Some(Prepared::default())
    }
}

/// Whether `sig` is `key`'s signature of `input` (the JWS signing input).
pub(crate) async fn check(key: &Jwk, input: &[u8], sig: &[u8]) -> bool {
    verify(key, input, sig).await.unwrap_or(false)
}

/// `None` on any WebCrypto failure (the caller counts it as a bad signature).
async fn verify(key: &Jwk, input: &[u8], sig: &[u8]) -> Option<bool> {
    let imported = imported(key).await?;
    let algorithm = match key.public_key() {
        PublicKey::Rsa { .. } => object(&[("name", "RSASSA-PKCS1-v1_5".into())]).ok()?,
        PublicKey::P256 { .. } => object(&[
            ("name", "ECDSA".into()),
            ("hash", object(&[("name", "SHA-256".into())]).ok()?.into()),
        ])
        .ok()?,
    };
    // `verify` takes BufferSources; a copy of the slices is made there.
    let promise = subtle()
        .ok()?
        .verify_with_object_and_u8_array_and_u8_array(&algorithm, &imported, sig, input)
        .ok()?;
    JsFuture::from(promise).await.ok()?.as_bool()
}

/// The key's `CryptoKey`, imported on first use. Two verifications racing on
/// the first use may both import; the last is kept, which is harmless.
async fn imported(key: &Jwk) -> Option<CryptoKey> {
    // Cloned out of the RefCell: no borrow may live across an await.
    if let Some(k) = key.prepared().0.borrow().as_ref() {
        return Some(k.clone());
    }
    let b64 = |bytes: &[u8]| JsValue::from_str(&URL_SAFE_NO_PAD.encode(bytes));
    let sha256 = || object(&[("name", "SHA-256".into())]).ok();
    let (jwk, algorithm) = match key.public_key() {
        PublicKey::Rsa { n, e } => (
            object(&[("kty", "RSA".into()), ("n", b64(n)), ("e", b64(e))]).ok()?,
            object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", sha256()?.into())]).ok()?,
        ),
        PublicKey::P256 { x, y } => (
            object(&[
                ("kty", "EC".into()),
                ("crv", "P-256".into()),
                ("x", b64(x)),
                ("y", b64(y)),
            ])
            .ok()?,
            object(&[("name", "ECDSA".into()), ("namedCurve", "P-256".into())]).ok()?,
        ),
    };
    let usages = Array::of1(&JsValue::from_str("verify"));
    let promise = subtle()
        .ok()?
        .import_key_with_object("jwk", &jwk, &algorithm, false, &usages)
        .ok()?;
    let k: CryptoKey = JsFuture::from(promise).await.ok()?.unchecked_into();
    *key.prepared().0.borrow_mut() = Some(k.clone());
    Some(k)
}

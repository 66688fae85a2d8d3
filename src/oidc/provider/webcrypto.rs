//! RS256 through WebCrypto (wasm only): ~0.9 ms per signature in V8 against
//! 10–13 ms for the rsa crate compiled to wasm, and constant-time.
//!
//! Workers' global scope is not a `Window`, so `crypto.subtle` is looked up
//! on `globalThis` with `Reflect`. The key is imported on first use and the
//! `CryptoKey` kept for the isolate's life (import is the costly part).

use std::cell::RefCell;
use std::fmt;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast as _, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};
use zeroize::Zeroizing;

use super::{ProviderKeys, Rs256Signer, SignError};

const ALGORITHM: &str = "RSASSA-PKCS1-v1_5";

/// The PKCS#8 DER (kept to retry an import that failed) and, once imported,
/// the non-extractable `CryptoKey`.
pub struct WebCryptoSigner {
    der: Zeroizing<Vec<u8>>,
    key: RefCell<Option<CryptoKey>>,
}

impl WebCryptoSigner {
    /// Cheap and synchronous: the import happens on the first `sign`.
    pub fn new(keys: &ProviderKeys) -> Self {
        WebCryptoSigner {
            der: Zeroizing::new(keys.pkcs8_der().to_vec()),
            key: RefCell::new(None),
        }
    }

    /// Imports the key now, so a key WebCrypto refuses (it checks more than
    /// `ProviderKeys` can on wasm) is reported before a catalog call needs it.
    pub async fn prepare(&self) -> Result<(), SignError> {
        self.key().await.map(drop)
    }

    /// The imported key. Two requests racing on the first use may both import;
    /// the last one is kept, which is harmless and never blocks either.
    async fn key(&self) -> Result<CryptoKey, SignError> {
        // Clone out of the RefCell: no borrow may live across an await.
        if let Some(k) = self.key.borrow().as_ref() {
            return Ok(k.clone());
        }
        let subtle = subtle()?;
        let algorithm = object(&[
            ("name", ALGORITHM.into()),
            ("hash", object(&[("name", "SHA-256".into())])?.into()),
        ])?;
        let usages = Array::of1(&JsValue::from_str("sign"));
        let data = Uint8Array::from(self.der.as_slice());
        let promise = subtle
            .import_key_with_object("pkcs8", &data, &algorithm, false, &usages)
            .map_err(|e| js_error("importKey", &e))?;
        let imported = JsFuture::from(promise).await;
        // importKey copied the bytes; wipe the JS-side copy of the private key.
        data.fill(0, 0, data.length());
        let key: CryptoKey = imported.map_err(|e| js_error("importKey", &e))?.unchecked_into();
        *self.key.borrow_mut() = Some(key.clone());
        Ok(key)
    }
}

impl fmt::Debug for WebCryptoSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebCryptoSigner(***)")
    }
}

impl Rs256Signer for WebCryptoSigner {
    async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
        let key = self.key().await?;
        let algorithm = object(&[("name", ALGORITHM.into())])?;
        let promise = subtle()?
            .sign_with_object_and_u8_array(&algorithm, &key, signing_input)
            .map_err(|e| js_error("sign", &e))?;
        let sig = JsFuture::from(promise).await.map_err(|e| js_error("sign", &e))?;
        let sig: ArrayBuffer = sig.dyn_into().map_err(|_| SignError::NoSignature)?;
        Ok(Uint8Array::new(&sig).to_vec())
    }
}

/// `globalThis.crypto.subtle`. `unchecked_into` rather than `dyn_into`: the
/// bindings are structural, and an `instanceof` test against the class
/// names of browsers is not something to rely on in workerd.
pub(crate) fn subtle() -> Result<SubtleCrypto, SignError> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto")).map_err(|e| js_error("crypto", &e))?;
    if !crypto.is_object() {
        return Err(SignError::NoWebCrypto("globalThis.crypto"));
    }
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|e| js_error("crypto.subtle", &e))?;
    if !subtle.is_object() {
        return Err(SignError::NoWebCrypto("crypto.subtle"));
    }
    Ok(subtle.unchecked_into())
}

/// A plain JS object (WebCrypto algorithm dictionaries) from name/value pairs.
pub(crate) fn object(fields: &[(&str, JsValue)]) -> Result<Object, SignError> {
    let o = Object::new();
    for (name, value) in fields {
        Reflect::set(&o, &JsValue::from_str(name), value).map_err(|e| js_error("Reflect.set", &e))?;
    }
    Ok(o)
}

/// A JS exception as log text: its `name` and `message` (e.g. "DataError:
/// Invalid PKCS8 input"), never the key or data passed in. Read through
/// `Reflect` since a DOMException need not be an `Error` instance.
fn js_error(call: &'static str, e: &JsValue) -> SignError {
    let field = |name: &str| {
        Reflect::get(e, &JsValue::from_str(name))
            .ok()
            .and_then(|v| v.as_string())
    };
    let message = match (field("name"), field("message")) {
        (Some(n), Some(m)) => format!("{n}: {m}"),
        (None, Some(m)) => m,
        _ => e.as_string().unwrap_or_else(|| "unknown error".into()),
    };
    SignError::WebCrypto { call, message }
}

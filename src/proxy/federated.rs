//! Backends as one request uses them: a web-identity S3 backend gets the
//! isolate's temporary credentials (obtained or renewed as needed, with an
//! assertion minted by the proxy's own OIDC provider) before any call.

use std::borrow::Cow;

use super::Ctx;
use crate::apart::apart;
use crate::backend::federation::AssertionSource;
use crate::backend::Backend;
use crate::error::{Detail, ProxyError, Result};
use crate::oidc::provider::MintRequest;
use crate::platform::Platform;
use crate::secret::Secret;

/// Mints the backend's assertion with the provider key, reusing a token
/// still comfortably valid (the isolate's `TokenCache`).
struct Assertions<'a, P: Platform> {
    ctx: &'a Ctx<'a, P>,
}

impl<P: Platform> AssertionSource for Assertions<'_, P> {
    async fn assertion(&self, subject: &str, audience: &str) -> Result<Secret> {
        let (cfg, state) = (self.ctx.cfg, self.ctx.state);
        let (Some(keys), Some(signer)) = (cfg.provider.as_ref(), state.signer.as_ref()) else {
            return Err(ProxyError::Misconfigured(
                "a web_identity backend needs the OIDC provider".into(),
            ));
        };
        let req = MintRequest {
            sub: subject.to_owned(),
            aud: audience.to_owned(),
            role: None,
            idp: None,
        };
        let now = self.ctx.p.now_ms().div_euclid(1000);
        state
            .tokens
            .token(signer, keys, &req, now)
            .await
            .map(Secret::from)
            .map_err(|e| ProxyError::Unavailable(Detail::caused("minting the STS assertion", e)))
    }
}

impl<P: Platform> Ctx<'_, P> {
    /// `b` ready for a call: with its temporary credentials if it is a
    /// web-identity backend, unchanged otherwise.
    pub async fn ready_backend<'b>(&self, b: &'b Backend) -> Result<Cow<'b, Backend>> {
        let Backend::S3(s3) = b else {
            return Ok(Cow::Borrowed(b));
        };
        let Some(wi) = &s3.web_identity else {
            return Ok(Cow::Borrowed(b));
        };
        // Compiled apart: only federated backends run it.
        let creds = apart(self.state.federation.credentials(self.p, &Assertions { ctx: self }, wi)).await?;
        let mut s3 = s3.clone();
        s3.credentials = Some(creds);
        Ok(Cow::Owned(Backend::S3(s3)))
    }

    /// After a failed backend call: temporary credentials the backend
    /// rejected as such are forgotten, so the next request obtains new ones.
    pub fn backend_failed(&self, used: &Backend, e: &ProxyError) {
        if let (Backend::S3(s3), ProxyError::BackendAuth(_)) = (used, e) {
            if let (Some(wi), Some(creds)) = (&s3.web_identity, &s3.credentials) {
                self.state.federation.forget(wi, &creds.access_key_id);
            }
        }
    }
}

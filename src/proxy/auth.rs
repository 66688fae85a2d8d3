//! Who is calling: no credentials → anonymous; SigV4 → the sealed
//! session, after its signature is recomputed with the sealed secret.

use crate::authz::{Principal, SessionPrincipal};

use crate::error::{ProxyError, Result};
use crate::http::Request;
use crate::session::{unseal, SessionError, SessionKeys};
use crate::sigv4::verify;
use crate::sts::ceiling::Ceiling;
use crate::sts::policy::Effective;

/// What clients commonly send. The Workers runtime replaces `Accept-Encoding`
/// (with `br, gzip`) before the Worker sees it, so a client that signed the
/// header (rclone, Go's net/http) can only be verified against its likely
/// original value. It only steers compression, never authorization.
const ACCEPT_ENCODINGS: &[&str] = &[
    "gzip",
    "identity",
    "gzip, deflate",
    "gzip, deflate, br",
    "gzip, deflate, br, zstd",
    "deflate, gzip, br, zstd",
    "deflate, gzip",
    "br, gzip",
    "*",
];

fn verify_with_rewritten_accept_encoding(
    req: &Request,
    auth: &verify::ParsedAuth,
    secret: &str,
    now: i64,
) -> std::result::Result<(), verify::AuthError> {
    let first = verify::verify(req, auth, secret, now);
    if first != Err(verify::AuthError::SignatureDoesNotMatch)
        || !auth.signed_headers.iter().any(|h| h == "accept-encoding")
    {
        return first;
    }
    let mut candidate = req.clone();
    for value in ACCEPT_ENCODINGS {
        candidate.headers.set("accept-encoding", *value);
        if verify::verify(&candidate, auth, secret, now).is_ok() {
            return Ok(());
        }
    }
    first
}

/// The caller of `req`; `session_keys` are the deployment's (`None`: no STS).
pub fn authenticate(session_keys: Option<&SessionKeys>, req: &Request, now: i64) -> Result<Principal> {
    let Some(auth) = verify::parse(req)? else {
        return Ok(Principal::Anonymous);
    };
    // Without session keys no credentials can exist.
    let keys = session_keys.ok_or_else(ProxyError::invalid_access_key_id)?;
    let token = auth.session_token()?;
    let session = unseal(keys, token, &auth.access_key_id, now).map_err(|e| match e {
        SessionError::Expired => ProxyError::expired_token(),
        _ => ProxyError::invalid_token(),
    })?;
    verify_with_rewritten_accept_encoding(req, &auth, session.secret_access_key.expose(), now)?;
    // Sealed by us, so it parsed when minted; a failure means a bad key rotation.
    let ceiling = Ceiling::parse(&session.ceiling).map_err(|_| ProxyError::invalid_token())?;
    Ok(Principal::Session(Box::new(SessionPrincipal {
        issuer: session.issuer,
        subject: session.subject,
        role: session.role,
        session_name: session.session_name,
        access_key_id: session.access_key_id,
        policy: match &session.policy {
            // Sealed by us, so it parsed when minted: as for the ceiling.
            Some(p) => Some(Box::new(
                Effective::new(p, &ceiling).ok_or_else(ProxyError::invalid_token)?,
            )),
            None => None,
        },
        ceiling,
        claims: session.claims,
        session_id: session.session_id,
    })))
}

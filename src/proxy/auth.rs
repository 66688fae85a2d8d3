//! Who is calling: no credentials → anonymous; SigV4 → the sealed
//! session, after its signature is recomputed with the sealed secret.

use std::rc::Rc;

use crate::authz::{Principal, SessionPrincipal};

use crate::error::{ProxyError, Result};
use crate::http::Request;
use crate::session::{cache_key, unseal, Opened, SessionCache, SessionError, SessionKeys};
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
    signing_key: &[u8; 32],
    now: i64,
) -> std::result::Result<(), verify::AuthError> {
    let first = verify::verify_with_key(req, auth, signing_key, now);
    if first != Err(verify::AuthError::SignatureDoesNotMatch)
        || !auth.signed_headers.iter().any(|h| h == "accept-encoding")
    {
        return first;
    }
    let mut candidate = req.clone();
    for value in ACCEPT_ENCODINGS {
        candidate.headers.set("accept-encoding", *value);
        if verify::verify_with_key(&candidate, auth, signing_key, now).is_ok() {
            return Ok(());
        }
    }
    first
}

/// The caller of `req`; `session_keys` are the deployment's (`None`: no STS).
/// `sessions` spares re-opening a token already seen (see `session::cache`).
pub fn authenticate(
    session_keys: Option<&SessionKeys>,
    sessions: &SessionCache<SessionPrincipal>,
    req: &Request,
    now: i64,
) -> Result<Principal> {
    let Some(auth) = verify::parse(req)? else {
        return Ok(Principal::Anonymous);
    };
    // Without session keys no credentials can exist.
    let keys = session_keys.ok_or_else(ProxyError::invalid_access_key_id)?;
    let token = auth.session_token()?;
    let cache_key = cache_key(&auth.access_key_id, token);
    let (opened, fresh) = match sessions.get(&cache_key) {
        Some(opened) => (opened, false),
        None => (Rc::new(open(keys, token, &auth.access_key_id, now)?), true),
    };
    // `unseal` checked it when opening; a cached session is checked on every use.
    if !opened.valid_at(now) {
        sessions.remove(&cache_key);
        return Err(ProxyError::expired_token());
    }
    let signing_key = opened.signing_key(&auth.date8, &auth.region, &auth.service);
    verify_with_rewritten_accept_encoding(req, &auth, &signing_key, now)?;
    let principal = Principal::Session(Rc::clone(&opened.principal));
    if fresh {
        sessions.insert(cache_key, opened);
    }
    Ok(principal)
}

/// Opens a session token: unseals it and parses what it carries.
fn open(keys: &SessionKeys, token: &str, access_key_id: &str, now: i64) -> Result<Opened<SessionPrincipal>> {
    let session = unseal(keys, token, access_key_id, now).map_err(|e| match e {
        SessionError::Expired => ProxyError::expired_token(),
        _ => ProxyError::invalid_token(),
    })?;
    // Sealed by us, so it parsed when minted; a failure means a bad key rotation.
    let ceiling = Ceiling::parse(&session.ceiling).map_err(|_| ProxyError::invalid_token())?;
    let principal = SessionPrincipal {
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
    };
    Ok(Opened::new(
        principal,
        session.secret_access_key,
        session.expires_at,
        token.len(),
    ))
}

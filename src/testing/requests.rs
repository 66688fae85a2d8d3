//! Driving whole requests: through `proxy::handle` on a `FakePlatform`,
//! anonymous or signed with a session as STS would issue it.

use crate::http::{Body, Request, Response};
use crate::state::Isolate;

use super::FakePlatform;

/// Sends `req` through the whole pipeline; the body comes back as bytes.
pub fn run(p: &FakePlatform, isolate: &Isolate, req: Request) -> (Response<Vec<u8>>, Vec<u8>) {
    let mut resp = block_on(crate::proxy::handle(p, isolate, req));
    let body = take_body(&mut resp);
    (resp, body)
}

/// [`run`], the body as text.
pub fn run_text(p: &FakePlatform, isolate: &Isolate, req: Request) -> (Response<Vec<u8>>, String) {
    let (resp, body) = run(p, isolate, req);
    (resp, String::from_utf8_lossy(&body).into_owned())
}

/// An anonymous `GET` of `path?query` (both raw, as on the wire).
pub fn get(p: &FakePlatform, isolate: &Isolate, path: &str, query: &str) -> (Response<Vec<u8>>, String) {
    run_text(p, isolate, Request::new("GET", path, query))
}

/// The response's body, whole (fixed or streamed); it is left empty.
pub fn take_body(resp: &mut Response<Vec<u8>>) -> Vec<u8> {
    match std::mem::replace(&mut resp.body, Body::Empty) {
        Body::Empty => Vec::new(),
        Body::Bytes(b) | Body::Stream(b) => b,
    }
}

/// Runs a future to completion on the current thread.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    futures::executor::block_on(f)
}

/// Credentials of a sealed session, as STS would issue them: `subject` of
/// `issuer`, role `_default`, with `ceiling`, valid until `expires_at` (s).
pub fn session_credentials(
    cfg: &crate::config::Config,
    issuer: &str,
    subject: &str,
    ceiling: &[&str],
    expires_at: i64,
) -> crate::sigv4::Credentials {
    use crate::secret::Secret;
    let (akid, secret) = crate::session::new_credentials().unwrap();
    let session = crate::session::Session {
        access_key_id: akid.clone(),
        secret_access_key: Secret::from(secret.expose().to_string()),
        issuer: issuer.into(),
        subject: subject.into(),
        role: "_default".into(),
        ceiling: ceiling.iter().map(ToString::to_string).collect(),
        session_name: subject.into(),
        audience: "oidc-data-proxy".into(),
        expires_at,
        claims: Vec::new(),
        session_id: String::new(),
        policy: None,
    };
    let token = crate::session::seal(cfg.session_keys.as_ref().unwrap(), &session).unwrap();
    crate::sigv4::Credentials {
        access_key_id: akid,
        secret_access_key: secret,
        session_token: Some(Secret::from(token)),
    }
}

/// A request to `host` signed with SigV4 header auth; `query` is raw
/// (`a=1&b=%2F`), decoded here for the signer.
pub fn signed_request(
    method: &str,
    host: &str,
    path: &str,
    query: &str,
    creds: &crate::sigv4::Credentials,
    now_ms: i64,
) -> Request {
    let dec = |x: &str| percent_encoding::percent_decode_str(x).decode_utf8_lossy().into_owned();
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| {
            let (k, v) = q.split_once('=').unwrap_or((q, ""));
            (dec(k), dec(v))
        })
        .collect();
    let req = crate::sigv4::SignableRequest {
        method,
        host,
        path,
        query: &pairs,
        headers: &[],
    };
    let mut r = Request::new(method, path, query).with_header("host", host);
    for (n, v) in crate::sigv4::sign(&req, creds, "us-east-1", "s3", now_ms / 1000) {
        r = r.with_header(&n, &v);
    }
    r
}

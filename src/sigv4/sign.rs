//! Key derivation, string to sign, and the high-level request signer.

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::canonical::{canonical_headers, canonical_query, canonical_request};
use crate::secret::Secret;
use crate::time::format_amz;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// SHA-256 of the empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

type HmacSha256 = Hmac<Sha256>;

/// AWS credentials; the secret parts never show up in `Debug` output.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

/// What [`sign`] needs to know about an outgoing request.
#[derive(Debug, Clone, Copy)]
pub struct SignableRequest<'a> {
    pub method: &'a str,
    /// `host[:port]` exactly as sent in the Host header.
    pub host: &'a str,
    /// The path exactly as sent on the wire, already percent-encoded. S3 does
    /// not double-encode, so this is used as the canonical URI verbatim.
    pub path: &'a str,
    /// Decoded query pairs.
    pub query: &'a [(String, String)],
    /// Extra headers to sign (range, if-match, ...). An
    /// `x-amz-content-sha256` here overrides the default payload hash.
    pub headers: &'a [(String, String)],
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// HMAC-SHA256 (RFC 2104). The key is brought to the hash's block size first,
/// as HMAC itself does (hashed when longer, zero-padded), so the MAC is built
/// from a block-sized key through an infallible constructor.
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut mac = <HmacSha256 as KeyInit>::new(&block.into());
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Credential scope: `date8/region/service/aws4_request`.
pub fn scope(date8: &str, region: &str, service: &str) -> String {
    format!("{date8}/{region}/{service}/aws4_request")
}

/// `AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex sha256(canonical_request)>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date8), region), service), "aws4_request").
pub fn signing_key(secret: &str, date8: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret}").as_bytes(), date8.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// Hex signature of a string to sign.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

/// Headers that [`sign`] computes itself; copies in `req.headers` are ignored
/// so they cannot be signed twice.
const SIGNER_OWNED: [&str; 5] = [
    "host",
    "x-amz-date",
    "x-amz-content-sha256",
    "x-amz-security-token",
    "authorization",
];

/// Signs a request with SigV4 (header-based) and returns the headers to SET
/// on it (lowercase names): `x-amz-date`, `x-amz-content-sha256`,
/// `x-amz-security-token` (with a session token) and `authorization`.
///
/// The payload hash is `UNSIGNED-PAYLOAD` for GET/HEAD, the empty-body hash
/// otherwise (the request carries no body), unless `req.headers` provides
/// `x-amz-content-sha256`.
pub fn sign(
    req: &SignableRequest<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    now_unix: i64,
) -> Vec<(String, String)> {
    let amz_date = format_amz(now_unix);
    let date8 = amz_date.get(..8).unwrap_or_default();

    let is_owned = |name: &str| SIGNER_OWNED.iter().any(|o| name.trim().eq_ignore_ascii_case(o));
    let payload_hash = req
        .headers
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("x-amz-content-sha256"))
        .map_or_else(
            || {
                let bodyless_read = matches!(req.method, "GET" | "HEAD");
                String::from(if bodyless_read { UNSIGNED_PAYLOAD } else { EMPTY_SHA256 })
            },
            |(_, v)| v.trim().to_string(),
        );

    let mut added: Vec<(String, String)> = vec![
        ("x-amz-date".into(), amz_date.clone()),
        ("x-amz-content-sha256".into(), payload_hash.clone()),
    ];
    if let Some(token) = &creds.session_token {
        added.push(("x-amz-security-token".into(), token.expose().to_string()));
    }

    let mut all: Vec<(String, String)> = vec![("host".into(), req.host.to_string())];
    all.extend(added.iter().cloned());
    all.extend(req.headers.iter().filter(|(n, _)| !is_owned(n)).cloned());
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    let (canon_headers, signed_headers) = canonical_headers(&all, &names);

    let creq = canonical_request(
        req.method,
        req.path,
        &canonical_query(req.query),
        &canon_headers,
        &signed_headers,
        &payload_hash,
    );
    let scope = scope(date8, region, service);
    let sts = string_to_sign(&amz_date, &scope, &creq);
    let key = signing_key(creds.secret_access_key.expose(), date8, region, service);
    let authorization = format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={}",
        creds.access_key_id,
        signature(&key, &sts)
    );
    added.push(("authorization".into(), authorization));
    added
}

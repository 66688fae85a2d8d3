//! Shared by the fuzz targets: a readable text form of HTTP requests (so the
//! seeds are real requests a person can read), the fixture keys, token
//! signing, and a strict XML well-formedness check.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use oidc_data_proxy::http::{Request, RequestBody};

pub mod xml;

/// The fixture JWKS of tests/fixtures/oidc (kids `test-rsa-1`, `test-ec-1`).
pub const JWKS: &str = include_str!("../../tests/fixtures/oidc/jwks.json");
const RSA_PEM: &str = include_str!("../../tests/fixtures/oidc/rsa-2048.pem");
const EC_PEM: &str = include_str!("../../tests/fixtures/oidc/p256.pem");
/// The dev IdP's issuer, which the fuzzed configurations trust.
pub const ISSUER: &str = "http://127.0.0.1:8788";
pub const AUDIENCE: &str = "oidc-data-proxy";
/// Session key (bytes 0..32), as in the proxy's signed-request tests.
pub const SESSION_KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// FakePlatform's default clock, in seconds.
pub const NOW: i64 = 1_763_781_720;

/// Splits `data` at the first `n - 1` newlines: `n` fields, missing ones empty.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == b'\n').collect();
    out.resize(n, &[]);
    out
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Percent-encodes what a WHATWG URL parser encodes in a path or query
/// (controls, space, quotes, angle brackets, non-ASCII; `?`/`#` in paths),
/// so the proxy sees what the Workers runtime would hand it.
pub fn as_url_part(s: &str, is_path: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        let encode = b <= 0x20
            || b >= 0x7f
            || matches!(b, b'"' | b'<' | b'>' | b'#' | b'`')
            || (is_path && matches!(b, b'?' | b'{' | b'}'));
        if encode {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(char::from(b));
        }
    }
    out
}

/// A request in text form:
/// ```text
/// GET /demo/public-data/cities.csv?x-id=GetObject
/// range: bytes=0-9
///
/// body (optional)
/// ```
/// Header names are lowercased as the Workers runtime does; values lose CR
/// and NUL and are trimmed. Path and query are encoded as a URL parser would.
pub fn parse_request(data: &[u8]) -> Request {
    let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
        Some(i) => (&data[..i], Some(&data[i + 2..])),
        None => (data, None),
    };
    let head = text(head);
    let mut lines = head.split('\n');
    let first = lines.next().unwrap_or_default();
    let (method, target) = first.split_once(' ').unwrap_or((first, "/"));
    let method: String = method.chars().filter(|c| c.is_ascii_graphic()).collect();
    let method = if method.is_empty() { "GET".to_string() } else { method };
    let target = target.trim_end_matches('\r');
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let path = if path.starts_with('/') {
        as_url_part(path, true)
    } else {
        format!("/{}", as_url_part(path, true))
    };
    let mut req = Request::new(&method, &path, &as_url_part(query, false));
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            continue;
        }
        let value: String = value.chars().filter(|c| *c != '\r' && *c != '\0').collect();
        req.headers.append(&name, value.trim());
    }
    req.body = body.map_or(RequestBody::Unread, |b| RequestBody::Bytes(b.to_vec()));
    req
}

fn b64(s: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

/// `header.claims` as a JWS signing input (the parts are taken verbatim).
fn signing_input(header: &[u8], claims: &[u8]) -> String {
    format!("{}.{}", b64(header), b64(claims))
}

/// ES256 over arbitrary header and claim bytes with the fixture P-256 key.
pub fn sign_es256(header: &[u8], claims: &[u8]) -> String {
    use p256::ecdsa::signature::Signer as _;
    use p256::ecdsa::{Signature, SigningKey};
    use p256::pkcs8::DecodePrivateKey as _;
    thread_local! {
        static KEY: SigningKey = SigningKey::from_pkcs8_pem(EC_PEM).expect("fixture P-256 key");
    }
    let input = signing_input(header, claims);
    let sig: Signature = KEY.with(|k| k.sign(input.as_bytes()));
    format!("{input}.{}", b64(&sig.to_bytes()))
}

/// RS256 over arbitrary header and claim bytes with the fixture RSA key (~1 ms).
pub fn sign_rs256(header: &[u8], claims: &[u8]) -> String {
    use rsa::pkcs8::DecodePrivateKey as _;
    use rsa::{Pkcs1v15Sign, RsaPrivateKey};
    use sha2::{Digest as _, Sha256};
    thread_local! {
        static KEY: RsaPrivateKey = RsaPrivateKey::from_pkcs8_pem(RSA_PEM).expect("fixture RSA key");
    }
    let input = signing_input(header, claims);
    let digest = Sha256::digest(input.as_bytes());
    let sig = KEY
        .with(|k| k.sign(Pkcs1v15Sign::new::<Sha256>(), &digest))
        .expect("RS256 signature");
    format!("{input}.{}", b64(&sig))
}

/// Decoded query pairs as a signing client sees them (lossy, `+` kept).
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    let dec = |x: &str| percent_encoding::percent_decode_str(x).decode_utf8_lossy().into_owned();
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (dec(k), dec(v))
        })
        .collect()
}

/// Signs `req` as a SigV4 client would, over every header it carries:
/// in headers, or as a presigned URL (host signed only).
pub fn sign_request(req: &mut Request, creds: &oidc_data_proxy::sigv4::Credentials, now: i64, presign: bool) {
    use oidc_data_proxy::sigv4::{
        canonical_headers, canonical_query, canonical_request, scope, sign, signature, signing_key, string_to_sign,
        uri_encode, SignableRequest, UNSIGNED_PAYLOAD,
    };
    use oidc_data_proxy::time::format_amz;
    if req.headers.get("host").is_none() {
        req.headers.set("host", "127.0.0.1:8787");
    }
    let host = req.headers.get("host").unwrap_or_default().to_string();
    if !presign {
        let headers: Vec<(String, String)> = req
            .headers
            .iter()
            .filter(|(n, _)| *n != "host")
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let pairs = query_pairs(&req.query);
        let sreq = SignableRequest {
            method: &req.method,
            host: &host,
            path: &req.path,
            query: &pairs,
            headers: &headers,
        };
        for (n, v) in sign(&sreq, creds, "us-east-1", "s3", now) {
            req.headers.set(&n, v);
        }
        return;
    }
    let amz = format_amz(now);
    let date8 = &amz[..8];
    let scope = scope(date8, "us-east-1", "s3");
    let mut params = vec![
        ("X-Amz-Algorithm".to_string(), "AWS4-HMAC-SHA256".to_string()),
        (
            "X-Amz-Credential".to_string(),
            format!("{}/{scope}", creds.access_key_id),
        ),
        ("X-Amz-Date".to_string(), amz.clone()),
        ("X-Amz-Expires".to_string(), "3600".to_string()),
        ("X-Amz-SignedHeaders".to_string(), "host".to_string()),
    ];
    if let Some(t) = &creds.session_token {
        params.push(("X-Amz-Security-Token".to_string(), t.expose().to_string()));
    }
    let mut pairs = query_pairs(&req.query);
    pairs.extend(params.iter().cloned());
    let (ch, sh) = canonical_headers(&[("host".to_string(), host)], &["host"]);
    let creq = canonical_request(
        &req.method,
        &req.path,
        &canonical_query(&pairs),
        &ch,
        &sh,
        UNSIGNED_PAYLOAD,
    );
    let sig = signature(
        &signing_key(creds.secret_access_key.expose(), date8, "us-east-1", "s3"),
        &string_to_sign(&amz, &scope, &creq),
    );
    let mut q = req.query.clone();
    for (k, v) in params.iter().chain([&("X-Amz-Signature".to_string(), sig)]) {
        if !q.is_empty() {
            q.push('&');
        }
        q.push_str(&format!("{}={}", uri_encode(k, true), uri_encode(v, true)));
    }
    req.query = q;
}

/// botocore's SigV4 reference vectors (`tests/vectors`), parsed once, and the
/// accessors the `sigv4_vectors` target and the seed generator share.
pub mod vectors {
    use serde_json::Value;
    use std::sync::OnceLock;

    pub fn all() -> &'static [Value] {
        static V: OnceLock<Vec<Value>> = OnceLock::new();
        V.get_or_init(|| {
            let doc: Value = serde_json::from_str(include_str!("../../tests/vectors/sigv4_botocore.json")).unwrap();
            doc["vectors"].as_array().unwrap().clone()
        })
    }

    /// A string field of a vector ("" when absent).
    pub fn s(v: &Value, k: &str) -> String {
        v[k].as_str().unwrap_or_default().to_string()
    }

    /// A list of `[name, value]` pairs.
    pub fn pairs(v: &Value) -> Vec<(String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string()))
            .collect()
    }
}

//! Verifying SigV4 signatures of incoming S3 requests, in two steps:
//! [`parse`] finds the credentials (header or presigned query) without any
//! secret; the caller unseals the session token from [`ParsedAuth`] to get the
//! secret; [`verify`] then checks the time window and recomputes the signature
//! over the request exactly as received.

use super::canonical::{canonical_headers, canonical_query, canonical_request};
use super::sign::{scope, signature, signing_key, string_to_sign, ALGORITHM, EMPTY_SHA256, UNSIGNED_PAYLOAD};
use crate::error::{Code, ProxyError};
use crate::http::{Query, Request};
use crate::secret::constant_time_eq;
use crate::time::{format_amz, parse_amz};

/// Allowed clock difference for header-signed requests, and how far in the
/// future a presigned URL's X-Amz-Date may be (AWS uses the same 15 minutes).
pub const MAX_SKEW_SECS: i64 = 15 * 60;
/// X-Amz-Expires upper bound: 7 days, as in AWS.
pub const MAX_PRESIGN_EXPIRES: i64 = 604_800;
/// Real Authorization headers are a few hundred bytes; the cap bounds the
/// parsing work an anonymous client can cause.
const MAX_AUTH_HEADER_LEN: usize = 4096;
const MAX_SIGNED_HEADERS: usize = 64;

/// Any of these in the query makes the request a presigned one.
const PRESIGN_MARKERS: [&str; 4] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-SignedHeaders",
];

/// Why a signed request is refused. The `&'static str` of the malformed
/// variants is a fixed description of the syntax problem (never request data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// 400 AuthorizationHeaderMalformed.
    MalformedHeader(&'static str),
    /// 400 AuthorizationQueryParametersError.
    MalformedQuery(&'static str),
    /// 400 InvalidRequest: an AWS mechanism other than SigV4 (SigV2, SigV4a).
    UnsupportedAlgorithm,
    /// 400 InvalidArgument: an Authorization scheme AWS does not know (`Bearer`, `Basic`, …).
    UnsupportedAuthorizationType,
    /// 400 InvalidArgument: presigned parameters and an Authorization header at once.
    BothMechanisms,
    /// 403 AccessDenied: header auth without a readable X-Amz-Date or Date.
    NoRequestTime,
    /// 403 InvalidAccessKeyId: this proxy only has session credentials, so a
    /// signature without a session token names a key that cannot exist.
    MissingSecurityToken,
    /// 403 RequestTimeTooSkewed.
    RequestTimeTooSkewed,
    /// 403 AccessDenied "Request has expired".
    PresignedExpired,
    /// 403 SignatureDoesNotMatch.
    SignatureDoesNotMatch,
    /// 400 InvalidRequest: header auth without `x-amz-content-sha256`.
    MissingContentSha256,
    /// 400 InvalidArgument: `x-amz-content-sha256` is neither
    /// `UNSIGNED-PAYLOAD` nor a (lowercase hex) SHA-256.
    InvalidContentSha256,
    /// 400 XAmzContentSHA256Mismatch: a GET or HEAD claims a non-empty body.
    ContentSha256Mismatch,
    /// 403 AccessDenied: an `x-amz-*` header outside SignedHeaders.
    HeadersNotSigned,
}

impl AuthError {
    /// The S3 error code (and so the status).
    pub fn code(&self) -> Code {
        match self {
            Self::MalformedHeader(_) => Code::AuthorizationHeaderMalformed,
            Self::MalformedQuery(_) => Code::AuthorizationQueryParametersError,
            Self::UnsupportedAlgorithm | Self::MissingContentSha256 => Code::InvalidRequest,
            Self::MissingSecurityToken => Code::InvalidAccessKeyId,
            Self::RequestTimeTooSkewed => Code::RequestTimeTooSkewed,
            Self::PresignedExpired | Self::HeadersNotSigned | Self::NoRequestTime => Code::AccessDenied,
            Self::SignatureDoesNotMatch => Code::SignatureDoesNotMatch,
            Self::InvalidContentSha256 | Self::UnsupportedAuthorizationType | Self::BothMechanisms => {
                Code::InvalidArgument
            }
            Self::ContentSha256Mismatch => Code::XAmzContentSha256Mismatch,
        }
    }

    pub fn status(&self) -> u16 {
        self.code().status()
    }

    /// Fixed text for the client.
    pub fn message(&self) -> &'static str {
        match self {
            Self::MalformedHeader(m) | Self::MalformedQuery(m) => m,
            Self::UnsupportedAlgorithm => {
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256."
            }
            Self::UnsupportedAuthorizationType => "Unsupported Authorization Type",
            Self::BothMechanisms => {
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, \
                 Signature query string parameter or the Authorization header should be specified"
            }
            Self::NoRequestTime => "AWS authentication requires a valid Date or x-amz-date header",
            Self::MissingSecurityToken => "The AWS Access Key Id you provided does not exist in our records.",
            Self::RequestTimeTooSkewed => "The difference between the request time and the current time is too large.",
            Self::PresignedExpired => "Request has expired",
            Self::SignatureDoesNotMatch => {
                "The request signature we calculated does not match the signature you provided."
            }
            Self::MissingContentSha256 => "Missing required header for this request: x-amz-content-sha256",
            Self::InvalidContentSha256 => "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
            Self::ContentSha256Mismatch => {
                "The provided 'x-amz-content-sha256' header does not match what was computed."
            }
            Self::HeadersNotSigned => "There were headers present in the request which were not signed",
        }
    }
}

impl From<AuthError> for ProxyError {
    fn from(e: AuthError) -> Self {
        ProxyError::Auth {
            code: e.code(),
            message: e.message(),
        }
    }
}

/// The credentials of a signed request, before anything is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuth {
    pub access_key_id: String,
    /// Credential scope date (`YYYYMMDD`), equal to the first 8 chars of the request time.
    pub date8: String,
    pub region: String,
    /// Always `s3`.
    pub service: String,
    /// As the client listed them (lowercase, `host` included).
    pub signed_headers: Vec<String>,
    /// 64 hex digits, as sent (AWS compares lowercase hex).
    pub signature: String,
    /// Request time (X-Amz-Date, or the Date header), Unix seconds.
    pub amz_date: i64,
    /// Presigned X-Amz-Expires (1..=604800 seconds).
    pub expires: Option<i64>,
    /// The payload hash of the canonical request: `UNSIGNED-PAYLOAD` when
    /// presigned, else the `x-amz-content-sha256` the client sent.
    pub payload_hash: String,
    /// X-Amz-Security-Token (query) or x-amz-security-token (header): the
    /// sealed session for the caller to unseal.
    pub security_token: Option<String>,
    pub presigned: bool,
}

impl ParsedAuth {
    /// The session token, which every credential of this proxy has.
    pub fn session_token(&self) -> Result<&str, AuthError> {
        self.security_token.as_deref().ok_or(AuthError::MissingSecurityToken)
    }
}

/// Decoded query pairs; `None` when an escape is invalid or not UTF-8.
/// `+` stays a literal plus, as in [`crate::http::percent_decode`].
fn decode_query(raw: &str) -> Option<Vec<(String, String)>> {
    Query::parse(raw).ok().map(Query::into_pairs)
}

/// The single value of a query parameter; a repeated one is malformed.
fn one_param<'a>(query: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, AuthError> {
    let mut found = query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = found.next();
    match found.next() {
        Some(_) => Err(AuthError::MalformedQuery(
            "An authorization query parameter is repeated.",
        )),
        None => Ok(first),
    }
}

/// The single value of a header; a repeated one is malformed.
fn one_header<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, AuthError> {
    let mut found = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v);
    let first = found.next();
    match found.next() {
        Some(_) => Err(AuthError::MalformedHeader("An authentication header is repeated.")),
        None => Ok(first),
    }
}

/// `None` when the request carries no SigV4 credentials at all (anonymous).
pub fn parse(req: &Request) -> Result<Option<ParsedAuth>, AuthError> {
    let query = decode_query(&req.query);
    let has = |name: &str| query.as_ref().is_some_and(|q| q.iter().any(|(k, _)| k == name));
    // An undecodable query that names a marker is treated as a broken
    // presigned URL rather than silently as anonymous.
    let presigned = match &query {
        Some(_) => PRESIGN_MARKERS.iter().any(|m| has(m)),
        None => PRESIGN_MARKERS.iter().any(|m| req.query.contains(m)),
    };
    let authorization: Vec<&str> = req
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v)
        .collect();

    match (authorization.as_slice(), presigned) {
        ([], false) if has("AWSAccessKeyId") && has("Signature") => Err(AuthError::UnsupportedAlgorithm),
        ([], false) => Ok(None),
        ([], true) => {
            let query = query.ok_or(AuthError::MalformedQuery(
                "The query string is not valid percent-encoding.",
            ))?;
            parse_presigned(req, &query).map(Some)
        }
        ([value], false) => {
            let query = query.ok_or(AuthError::MalformedHeader(
                "The query string is not valid percent-encoding.",
            ))?;
            parse_header(req, value, &query).map(Some)
        }
        ([_], true) => Err(AuthError::BothMechanisms),
        _ => Err(AuthError::MalformedHeader("More than one Authorization header.")),
    }
}

// Never inlined, like `parse_presigned`: `parse` is on every request's path, and
// V8 compiles a wasm function whole on its first call, so an anonymous request
// would otherwise compile both parsers it never runs.
#[inline(never)]
fn parse_header(req: &Request, value: &str, query: &[(String, String)]) -> Result<ParsedAuth, AuthError> {
    let bad = AuthError::MalformedHeader;
    if value.len() > MAX_AUTH_HEADER_LEN {
        return Err(bad("The authorization header is too long."));
    }
    if !value.is_ascii() {
        return Err(bad("The authorization header is not ASCII."));
    }
    let value = value.trim();
    let (algorithm, rest) = value
        .split_once(|c: char| c.is_ascii_whitespace())
        .unwrap_or((value, ""));
    if algorithm.is_empty() {
        return Err(bad("The authorization header is empty."));
    }
    match algorithm {
        ALGORITHM => {}
        // SigV2 and SigV4a: AWS's own, refused as AWS refuses them where unsupported.
        "AWS" | "AWS4-ECDSA-P256-SHA256" => return Err(AuthError::UnsupportedAlgorithm),
        _ => return Err(AuthError::UnsupportedAuthorizationType),
    }
    let (mut credential, mut signed_headers, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (name, val) = part.split_once('=').ok_or(bad(
            "The authorization header is malformed; expected Name=Value components.",
        ))?;
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut sig,
            _ => return Err(bad("The authorization header has an unknown component.")),
        };
        if slot.replace(val.trim()).is_some() {
            return Err(bad("The authorization header repeats a component."));
        }
    }
    let credential = credential.ok_or(bad("The authorization header is missing Credential."))?;
    let signed_headers = signed_headers.ok_or(bad("The authorization header is missing SignedHeaders."))?;
    let sig = sig.ok_or(bad("The authorization header is missing Signature."))?;

    // X-Amz-Date wins when present, so a bad one is not rescued by a Date.
    let amz_date = match (one_header(req, "x-amz-date")?, one_header(req, "date")?) {
        (Some(d), _) => parse_amz(d.trim()),
        (None, Some(d)) => parse_http_date(d),
        (None, None) => None,
    }
    .ok_or(AuthError::NoRequestTime)?;
    let header_token = one_header(req, "x-amz-security-token")?;
    let query_token = one_param(query, "X-Amz-Security-Token")?;
    let security_token = pick_token(header_token, query_token, bad)?;
    let mut auth = scoped(credential, signed_headers, sig, amz_date, bad)?;
    all_x_amz_signed(req, &auth)?;
    auth.payload_hash = claimed_payload_hash(req)?;
    auth.security_token = security_token;
    Ok(auth)
}

#[inline(never)]
fn parse_presigned(req: &Request, query: &[(String, String)]) -> Result<ParsedAuth, AuthError> {
    let bad = AuthError::MalformedQuery;
    let algorithm = one_param(query, "X-Amz-Algorithm")?.ok_or(bad("Missing X-Amz-Algorithm."))?;
    if algorithm != ALGORITHM {
        return Err(bad("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\""));
    }
    let credential = one_param(query, "X-Amz-Credential")?.ok_or(bad("Missing X-Amz-Credential."))?;
    let date = one_param(query, "X-Amz-Date")?.ok_or(bad("Missing X-Amz-Date."))?;
    let expires = one_param(query, "X-Amz-Expires")?.ok_or(bad("Missing X-Amz-Expires."))?;
    let signed_headers = one_param(query, "X-Amz-SignedHeaders")?.ok_or(bad("Missing X-Amz-SignedHeaders."))?;
    let sig = one_param(query, "X-Amz-Signature")?.ok_or(bad("Missing X-Amz-Signature."))?;

    let amz_date = parse_amz(date).ok_or(bad("X-Amz-Date must be in the ISO8601 Long Format."))?;
    let expires = presign_expires(expires)?;
    let header_token =
        one_header(req, "x-amz-security-token").map_err(|_| bad("An authentication header is repeated."))?;
    let security_token = pick_token(header_token, one_param(query, "X-Amz-Security-Token")?, bad)?;
    let mut auth = scoped(credential, signed_headers, sig, amz_date, bad)?;
    all_x_amz_signed(req, &auth)?;
    auth.expires = Some(expires);
    auth.security_token = security_token;
    auth.presigned = true;
    Ok(auth)
}

/// X-Amz-Expires: whole seconds, 1 to 7 days. Zero is valid for no time at
/// all, so it has expired (AWS answers alike).
fn presign_expires(raw: &str) -> Result<i64, AuthError> {
    let bad = AuthError::MalformedQuery;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if raw.strip_prefix('-').is_some_and(digits) {
        return Err(bad("X-Amz-Expires must be non-negative"));
    }
    if !digits(raw) {
        return Err(bad("X-Amz-Expires should be a number"));
    }
    // Digits only, so a failed parse is an overflow: too long either way.
    match raw.parse::<i64>() {
        Ok(0) => Err(AuthError::PresignedExpired),
        Ok(e) if e <= MAX_PRESIGN_EXPIRES => Ok(e),
        _ => Err(bad(
            "X-Amz-Expires must be less than a week (in seconds) that is 604800",
        )),
    }
}

/// Every `x-amz-*` header the request carries must be signed (AWS S3): an
/// unsigned one, e.g. a session token, could be swapped by anyone on the way.
fn all_x_amz_signed(req: &Request, auth: &ParsedAuth) -> Result<(), AuthError> {
    let unsigned = req.headers.iter().any(|(n, _)| {
        n.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"))
            && !auth.signed_headers.iter().any(|s| s.eq_ignore_ascii_case(n))
    });
    if unsigned {
        Err(AuthError::HeadersNotSigned)
    } else {
        Ok(())
    }
}

/// The `x-amz-content-sha256` of a header-signed request: required, and for
/// this proxy (which reads no request bodies) the empty body's hash or
/// `UNSIGNED-PAYLOAD`. Other methods' hashes are taken as claimed, and must
/// not be trusted to describe a body that would be forwarded.
fn claimed_payload_hash(req: &Request) -> Result<String, AuthError> {
    let claimed = one_header(req, "x-amz-content-sha256")?
        .ok_or(AuthError::MissingContentSha256)?
        .trim();
    let is_hash = claimed.len() == 64 && claimed.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let bodyless = matches!(req.method.as_str(), "GET" | "HEAD");
    match claimed {
        UNSIGNED_PAYLOAD | EMPTY_SHA256 => Ok(claimed.to_string()),
        _ if is_hash && !bodyless => Ok(claimed.to_string()),
        _ if is_hash => Err(AuthError::ContentSha256Mismatch),
        _ => Err(AuthError::InvalidContentSha256),
    }
}

/// A token may come in the header or the query; two different ones are ambiguous.
fn pick_token(
    header: Option<&str>,
    query: Option<&str>,
    bad: fn(&'static str) -> AuthError,
) -> Result<Option<String>, AuthError> {
    match (header.map(str::trim), query) {
        (Some(h), Some(q)) if h != q => Err(bad("Two different security tokens.")),
        (Some(t), _) | (None, Some(t)) if t.is_empty() => Err(bad("Empty security token.")),
        (Some(t), _) | (None, Some(t)) => Ok(Some(t.to_string())),
        (None, None) => Ok(None),
    }
}

/// The `Date` header fallback of SigV4 to Unix seconds: the HTTP date format
/// only (`Sun, 06 Nov 1994 08:49:37 GMT`), not the obsolete RFC 850 and
/// asctime forms HTTP parsers also take.
fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let t = crate::time::parse_http_date(s)?;
    (crate::time::format_http_date(t) == s).then_some(t)
}

/// Validates the parts shared by both forms: credential scope, signed header
/// list and signature syntax.
fn scoped(
    credential: &str,
    signed_headers: &str,
    sig: &str,
    amz_date: i64,
    bad: fn(&'static str) -> AuthError,
) -> Result<ParsedAuth, AuthError> {
    let parts: Vec<&str> = credential.split('/').collect();
    let [akid, date8, region, service, terminator] = parts.as_slice() else {
        return Err(bad(
            "The Credential is mal-formed; expecting \"<KEY>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        ));
    };
    if akid.is_empty() || akid.len() > 128 || !akid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(bad("The access key id in the Credential is mal-formed."));
    }
    let region_char = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    if region.is_empty() || region.len() > 64 || !region.bytes().all(region_char) {
        return Err(bad("The region in the Credential is mal-formed."));
    }
    if *service != "s3" {
        return Err(bad(
            "The Credential has an incorrect service; this endpoint belongs to \"s3\".",
        ));
    }
    if *terminator != "aws4_request" {
        return Err(bad("The Credential must end with \"aws4_request\"."));
    }
    // Comparing with the formatted request time also validates the 8 digits.
    if format_amz(amz_date).get(..8) != Some(*date8) {
        return Err(bad("Invalid credential date. Date is not the same as X-Amz-Date."));
    }
    let names: Vec<String> = signed_headers.split(';').map(str::to_string).collect();
    let valid_name = |n: &String| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':');
    if names.len() > MAX_SIGNED_HEADERS || !names.iter().all(valid_name) {
        return Err(bad("SignedHeaders is mal-formed."));
    }
    if !names.iter().any(|n| n == "host") {
        return Err(bad("The host header must be signed."));
    }
    if sig.len() != 64 || !sig.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("The Signature must be 64 hex digits."));
    }
    Ok(ParsedAuth {
        access_key_id: akid.to_string(),
        date8: date8.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: names,
        signature: sig.to_string(),
        amz_date,
        expires: None,
        payload_hash: UNSIGNED_PAYLOAD.to_string(),
        security_token: None,
        presigned: false,
    })
}

/// Checks the time window, then recomputes the signature of `req` with
/// `secret` and compares it in constant time. `now` is Unix seconds.
///
/// The request must be the one `auth` was parsed from, with its path still
/// percent-encoded exactly as received and every header the client signed
/// (`host` included) as received.
pub fn verify(req: &Request, auth: &ParsedAuth, secret: &str, now: i64) -> Result<(), AuthError> {
    verify_with_key(
        req,
        auth,
        &signing_key(secret, &auth.date8, &auth.region, &auth.service),
        now,
    )
}

/// [`verify`] with the signing key of the secret for `auth`'s scope already
/// derived (a session keeps its last one: `session::Opened::signing_key`).
pub fn verify_with_key(req: &Request, auth: &ParsedAuth, signing_key: &[u8; 32], now: i64) -> Result<(), AuthError> {
    check_time(auth, now)?;

    // parse() already decoded this query; a failure here means another request.
    let query = decode_query(&req.query).ok_or(AuthError::SignatureDoesNotMatch)?;
    let query: Vec<(String, String)> = query
        .into_iter()
        .filter(|(k, _)| !(auth.presigned && k == "X-Amz-Signature"))
        .collect();

    let names: Vec<&str> = auth.signed_headers.iter().map(String::as_str).collect();
    // The request's own pairs: no copy of every header (the session token included).
    let (canon_headers, signed) = canonical_headers(req.headers.as_slice(), &names);
    // A signed header that is absent, repeated in the list, unsorted or not
    // lowercase: the client cannot have signed what we would rebuild.
    if signed != auth.signed_headers.join(";") {
        return Err(AuthError::SignatureDoesNotMatch);
    }

    let creq = canonical_request(
        &req.method,
        &req.path,
        &canonical_query(&query),
        &canon_headers,
        &signed,
        &auth.payload_hash,
    );
    let scope = scope(&auth.date8, &auth.region, &auth.service);
    let sts = string_to_sign(&format_amz(auth.amz_date), &scope, &creq);
    let expected = signature(signing_key, &sts);
    if constant_time_eq(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(AuthError::SignatureDoesNotMatch)
    }
}

fn check_time(auth: &ParsedAuth, now: i64) -> Result<(), AuthError> {
    match auth.expires {
        None if now.abs_diff(auth.amz_date) > MAX_SKEW_SECS.unsigned_abs() => Err(AuthError::RequestTimeTooSkewed),
        Some(_) if auth.amz_date.saturating_sub(now) > MAX_SKEW_SECS => Err(AuthError::RequestTimeTooSkewed),
        Some(expires) if now > auth.amz_date.saturating_add(expires) => Err(AuthError::PresignedExpired),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;

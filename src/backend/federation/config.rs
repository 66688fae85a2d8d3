//! The `web_identity` object of a static-catalog `s3` backend, validated
//! strictly like the rest of the catalog.

use serde_json::Value;

use crate::json::{self, Obj};

/// `aud` of the assertion unless configured: what AWS STS expects.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";
/// `DurationSeconds` unless configured.
pub const DEFAULT_DURATION_SECS: u32 = 3600;
/// AWS's bounds for `DurationSeconds` (the role's maximum may be lower).
const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;
const MAX_CLAIM_LEN: usize = 256;
const MAX_ARN_LEN: usize = 2048;

/// As written in the catalog.
#[derive(Debug)]
pub struct WebIdentityDoc {
    role_arn: String,
    sts_endpoint: String,
    audience: Option<String>,
    subject: Option<String>,
    session_name: Option<String>,
    duration_secs: Option<u32>,
}

impl WebIdentityDoc {
    /// Read by hand (src/json.rs); unknown fields are refused.
    pub fn from_value(v: Value) -> json::Result<Self> {
        let mut o = Obj::new(v)?;
        let d = WebIdentityDoc {
            role_arn: o.req_str("role_arn")?,
            sts_endpoint: o.req_str("sts_endpoint")?,
            audience: o.opt_str("audience")?,
            subject: o.opt_str("subject")?,
            session_name: o.opt_str("session_name")?,
            duration_secs: o.opt("duration_secs", json::u32)?,
        };
        o.end()?;
        Ok(d)
    }
}

/// What is wrong with a `web_identity` object; values are clipped.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebIdentityError {
    #[error("role_arn {0:?} is not arn:<partition>:iam::<account>:role/<name>")]
    RoleArn(String),
    #[error(
        "sts_endpoint must be https://host[:port][/path] (http only for a loopback host with OIDC_ALLOW_LOOPBACK_ISSUERS=true)"
    )]
    StsEndpoint,
    #[error("audience must be 1..={MAX_CLAIM_LEN} printable characters")]
    Audience,
    #[error("subject must be 1..={MAX_CLAIM_LEN} printable characters")]
    Subject,
    #[error("session_name {0:?} must be 2..=64 of [A-Za-z0-9_+=,.@-]")]
    SessionName(String),
    #[error("duration_secs must be {}..={}", DURATION_RANGE.start(), DURATION_RANGE.end())]
    Duration,
}

crate::error::debug_as_display!(WebIdentityError);

/// A validated web identity: who the proxy says it is, to which STS, for which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// The catalog's name of the backend (logs only).
    pub backend: String,
    pub role_arn: String,
    /// The URL the form is POSTed to.
    pub sts_endpoint: String,
    pub audience: String,
    pub subject: String,
    pub session_name: String,
    pub duration_secs: u32,
    /// Injective encoding of everything that shapes the exchange.
    key: Vec<u8>,
}

impl WebIdentity {
    /// Validates `doc` for backend `name`. `allow_loopback_http`
    /// (`OIDC_ALLOW_LOOPBACK_ISSUERS=true`) admits an `http://` endpoint on
    /// 127.0.0.1/[::1]/localhost; anything else must be https.
    pub fn from_doc(name: &str, doc: WebIdentityDoc, allow_loopback_http: bool) -> Result<Self, WebIdentityError> {
        let role_arn = doc.role_arn;
        if !valid_role_arn(&role_arn) {
            return Err(WebIdentityError::RoleArn(clip(&role_arn)));
        }
        let endpoint = doc.sts_endpoint.trim().trim_end_matches('/').to_string();
        if !crate::oidc::issuer_allowed(&endpoint, allow_loopback_http) || endpoint.contains('@') {
            return Err(WebIdentityError::StsEndpoint);
        }
        // AWS STS answers at the root; a path (another STS behind a prefix) is kept as given.
        let has_path = endpoint.split_once("://").is_some_and(|(_, rest)| rest.contains('/'));
        let sts_endpoint = if has_path { endpoint } else { format!("{endpoint}/") };
        let audience = doc.audience.unwrap_or_else(|| DEFAULT_AUDIENCE.to_string());
        if !valid_claim(&audience) {
            return Err(WebIdentityError::Audience);
        }
        let subject = doc.subject.unwrap_or_else(|| format!("backend:{name}"));
        if !valid_claim(&subject) {
            return Err(WebIdentityError::Subject);
        }
        let session_name = match doc.session_name {
            Some(s) if valid_session_name(&s) => s,
            Some(s) => return Err(WebIdentityError::SessionName(clip(&s))),
            None => default_session_name(name),
        };
        let duration_secs = doc.duration_secs.unwrap_or(DEFAULT_DURATION_SECS);
        if !DURATION_RANGE.contains(&duration_secs) {
            return Err(WebIdentityError::Duration);
        }
        let mut wi = WebIdentity {
            backend: name.to_string(),
            role_arn,
            sts_endpoint,
            audience,
            subject,
            session_name,
            duration_secs,
            key: Vec::new(),
        };
        wi.key = encode_key(&[
            &wi.sts_endpoint,
            &wi.role_arn,
            &wi.subject,
            &wi.audience,
            &wi.session_name,
            &wi.duration_secs.to_string(),
        ]);
        Ok(wi)
    }

    /// The cache slot: one per (role, subject) and the rest of the exchange,
    /// so two backends differing only in, say, the audience never share credentials.
    pub fn cache_key(&self) -> &[u8] {
        &self.key
    }
}

/// Each field as its length (8 bytes) then its bytes: no two tuples collide.
fn encode_key(fields: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields {
        out.extend_from_slice(&(f.len() as u64).to_be_bytes());
        out.extend_from_slice(f.as_bytes());
    }
    out
}

/// `arn:<partition>:iam::<account>:role/<path/name>` (the account may be
/// empty for S3-compatible providers such as MinIO: `arn:minio:iam:::role/x`).
fn valid_role_arn(arn: &str) -> bool {
    if arn.is_empty() || arn.len() > MAX_ARN_LEN || !arn.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(),
        ["arn", partition, "iam", "", _account, resource]
            if !partition.is_empty()
                && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty() && !n.ends_with('/')))
}

fn valid_claim(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_CLAIM_LEN && !s.chars().any(char::is_control)
}

fn session_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// AWS's RoleSessionName: 2..=64 of `[\w+=,.@-]`.
fn valid_session_name(s: &str) -> bool {
    (2..=64).contains(&s.len()) && s.chars().all(session_char)
}

/// `oidc-data-proxy.<backend>` with other characters as `-`, at most 64.
fn default_session_name(backend: &str) -> String {
    let mut s: String = format!("oidc-data-proxy.{backend}")
        .chars()
        .map(|c| if session_char(c) { c } else { '-' })
        .collect();
    s.truncate(64);
    s
}

fn clip(s: &str) -> String {
    s.chars().take(100).collect()
}

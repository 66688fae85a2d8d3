//! One `AssumeRoleWithWebIdentity` exchange at an AWS-compatible STS: the
//! form POST, and the XML answer (credentials, or an `ErrorResponse`).

use super::{failure, failure_caused, AssertionSource, FailureKind, Temporary, WebIdentity, MIN_REMAINING_MS};
use crate::backend::list_xml::{walk, ListXmlError};
use crate::error::{ProxyError, Result};
use crate::platform::{remaining_ms, OutboundRequest, Platform};
use crate::secret::Secret;
use crate::sigv4::{uri_encode, Credentials};

/// Time allowed for the STS to answer, headers and body.
pub const STS_TIMEOUT_MS: u32 = 5_000;
/// Cap on the answer (AWS's is about 2 KiB).
const MAX_ANSWER_BYTES: usize = 64 << 10;
/// Error codes AWS documents as transient (retry later) rather than refusals.
const TRANSIENT_CODES: [&str; 5] = [
    "IDPCommunicationError",
    "Throttling",
    "ThrottlingException",
    "ServiceUnavailable",
    "RequestLimitExceeded",
];

/// Why an STS answer gives no usable credentials. Never holds the secret
/// or the session token.
#[derive(thiserror::Error)]
pub enum AnswerError {
    #[error(transparent)]
    Xml(#[from] ListXmlError),
    #[error("no AccessKeyId, SecretAccessKey, SessionToken and Expiration")]
    Incomplete,
    #[error("AccessKeyId is not alphanumeric")]
    AccessKeyId,
    #[error("SecretAccessKey or SessionToken holds non-printable characters")]
    NotPrintable,
    #[error("Expiration {0:?} is not ISO 8601")]
    Expiration(String),
    #[error("credentials expire at {0} (clock skew?)")]
    ExpiresSoon(String),
    /// The body could not be read whole (too large).
    #[error(transparent)]
    Body(ProxyError),
}

crate::error::debug_as_display!(AnswerError);

/// A parsed STS answer.
#[derive(Debug)]
pub enum StsAnswer {
    Credentials(Temporary),
    /// `ErrorResponse/Error`: code and message (for logs).
    Error {
        code: String,
        message: String,
    },
}

/// Mints the assertion, POSTs the form, parses the answer.
pub(super) async fn assume_role<P: Platform, A: AssertionSource>(
    p: &P,
    source: &A,
    wi: &WebIdentity,
) -> Result<Temporary> {
    let token = source.assertion(&wi.subject, &wi.audience).await?;
    let started = p.now_ms();
    let resp = p
        .fetch(request(wi, &token))
        .await
        .map_err(|e| failure_caused(wi, FailureKind::Unavailable, "cannot reach the STS", e))?;
    let status = resp.status;
    let body = match resp.body {
        Some(b) => match p
            .read_body(b, MAX_ANSWER_BYTES, remaining_ms(STS_TIMEOUT_MS, started, p.now_ms()))
            .await
        {
            Ok(body) => Ok(body),
            // An oversized answer is no network failure: it is unusable, and its
            // status decides as for any other unusable answer.
            Err(e @ ProxyError::Backend(_)) => Err(AnswerError::Body(e)),
            Err(e) => {
                return Err(failure_caused(
                    wi,
                    FailureKind::Unavailable,
                    "reading the STS answer",
                    e,
                ))
            }
        },
        None => Ok(Vec::new()),
    };
    let answer = body.and_then(|b| parse_answer(&String::from_utf8_lossy(&b), p.now_ms()));
    match (status, answer) {
        (200, Ok(StsAnswer::Credentials(t))) => Ok(t),
        (200, Ok(StsAnswer::Error { code, .. })) => Err(failure(
            wi,
            FailureKind::Garbage,
            &format!("STS answered 200 with an error document ({code})"),
        )),
        (200, Err(e)) => Err(failure_caused(wi, FailureKind::Garbage, "unusable STS answer", e)),
        (s, answer) => {
            let (code, message) = match answer {
                Ok(StsAnswer::Error { code, message }) => (code, message),
                _ => (String::new(), String::new()),
            };
            let kind = match s {
                429 | 500..=599 => FailureKind::Unavailable,
                _ if TRANSIENT_CODES.contains(&code.as_str()) => FailureKind::Unavailable,
                400..=499 => FailureKind::Refused,
                _ => FailureKind::Garbage,
            };
            let message = redact(&message, token.expose());
            let what = if kind == FailureKind::Refused {
                "STS refused"
            } else {
                "STS failed"
            };
            Err(failure(
                wi,
                kind,
                format!("{what}: status {s} {code} {message}").trim_end(),
            ))
        }
    }
}

fn request(wi: &WebIdentity, token: &Secret) -> OutboundRequest {
    let duration = wi.duration_secs.to_string();
    let fields = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", wi.role_arn.as_str()),
        ("RoleSessionName", wi.session_name.as_str()),
        ("WebIdentityToken", token.expose()),
        ("DurationSeconds", duration.as_str()),
    ];
    let body = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", uri_encode(v, true)))
        .collect::<Vec<_>>()
        .join("&");
    OutboundRequest {
        method: "POST",
        url: wi.sts_endpoint.clone(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("accept".into(), "application/xml".into()),
        ],
        timeout_ms: STS_TIMEOUT_MS,
        body: Some(body.into_bytes()),
    }
}

/// Parses `AssumeRoleWithWebIdentityResponse` (credentials; they must not
/// already be within [`MIN_REMAINING_MS`] of expiring at `now_ms`) or an
/// `ErrorResponse`. Error texts never contain the secret or session token.
pub fn parse_answer(xml: &str, now_ms: i64) -> std::result::Result<StsAnswer, AnswerError> {
    const CREDS: &str = "/AssumeRoleWithWebIdentityResponse/AssumeRoleWithWebIdentityResult/Credentials/";
    let (mut id, mut secret, mut token, mut expiration) = (String::new(), String::new(), String::new(), String::new());
    let (mut code, mut message, mut is_error) = (String::new(), String::new(), false);
    walk(xml, |path, text| {
        let Some(text) = text else {
            is_error |= path.ends_with("/Error");
            return;
        };
        if let Some(field) = path.strip_prefix(CREDS) {
            match field {
                "AccessKeyId" => id.push_str(&text),
                "SecretAccessKey" => secret.push_str(&text),
                "SessionToken" => token.push_str(&text),
                "Expiration" => expiration.push_str(&text),
                _ => {}
            }
        } else if path.ends_with("/Error/Code") {
            code.push_str(&text);
        } else if path.ends_with("/Error/Message") {
            message.push_str(&text);
        }
    })?;
    if is_error {
        return Ok(StsAnswer::Error {
            code: code.chars().filter(char::is_ascii_alphanumeric).take(64).collect(),
            message: message
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(300)
                .collect(),
        });
    }
    let (id, secret, token, expiration) = (id.trim(), secret.trim(), token.trim(), expiration.trim());
    if id.is_empty() || secret.is_empty() || token.is_empty() || expiration.is_empty() {
        return Err(AnswerError::Incomplete);
    }
    // They go into a signature and a header: printable ASCII only.
    if !id.bytes().all(|b| b.is_ascii_alphanumeric()) || id.len() > 128 {
        return Err(AnswerError::AccessKeyId);
    }
    if !secret.bytes().all(|b| b.is_ascii_graphic()) || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AnswerError::NotPrintable);
    }
    let expires_ms = crate::time::parse_iso8601(expiration).ok_or_else(|| AnswerError::Expiration(clip(expiration)))?;
    if expires_ms - now_ms <= MIN_REMAINING_MS {
        return Err(AnswerError::ExpiresSoon(clip(expiration)));
    }
    Ok(StsAnswer::Credentials(Temporary {
        credentials: Credentials {
            access_key_id: id.to_string(),
            secret_access_key: Secret::from(secret),
            session_token: Some(Secret::from(token)),
        },
        expires_ms,
    }))
}

/// An STS message for the log, minus the assertion should the STS echo it.
fn redact(message: &str, assertion: &str) -> String {
    let m = if assertion.is_empty() {
        message.to_string()
    } else {
        message.replace(assertion, "[assertion]")
    };
    // Any other JWT-looking word (a truncated echo) goes too.
    m.split(' ')
        .map(|w| if w.contains("eyJ") { "[redacted]" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}

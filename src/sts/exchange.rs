//! The exchange: an ID token in, sealed session credentials out.
//! Verification order: parameters, role, token shape, issuer trust (before
//! any network call), keys, signature and claims, role conditions.

use serde_json::{json, Map, Value};

use super::audit;
use super::limits;
use super::params::{self, derived_session_name};
use super::policy::{self, PolicyError};
use super::response::{self, Issued};
use super::roles::Role;
use super::{Context, StsError};
use crate::error::{ApiError, Code, Detail};
use crate::http::{Request, Response};
use crate::oidc::{self, Claims, Expectations, Peeked, TokenError, DEFAULT_LEEWAY};
use crate::platform::Platform;
use crate::session::{new_credentials, new_session_id, seal, SealedPolicy, Session, SessionKeys};

struct Minted {
    access_key_id: String,
    secret: String,
    token: String,
    expires_at: i64,
    subject: String,
    issuer: String,
    audience: String,
    role: String,
    role_arn: String,
    session_name: String,
    session_id: String,
}

fn token_error(e: TokenError) -> StsError {
    if e.code() == Code::StsExpiredToken {
        StsError::ExpiredToken
    } else {
        StsError::InvalidIdentityToken(e.message())
    }
}

/// What is known about an exchange so far, for its log line (every
/// exchange, success or failure, says who asked for what).
#[derive(Default)]
struct Known {
    role: Option<String>,
    session_name: Option<String>,
    /// Verified issuer, subject and audience (set once the token verified).
    issuer: Option<String>,
    subject: Option<String>,
    audience: Option<String>,
    /// The role's audit claims the verified token holds.
    claims: Option<Map<String, Value>>,
    /// The session policy (digest and resources), once it parsed.
    policy: Option<Value>,
}

fn policy_error(e: PolicyError) -> StsError {
    match e {
        PolicyError::Malformed(m) => StsError::MalformedPolicy(m),
        PolicyError::TooLarge(pct) => StsError::PackedPolicyTooLarge(pct),
    }
}

/// What the exchange has settled before any network call.
struct Prepared<'c> {
    params: params::StsParams,
    role: &'c Role,
    peeked: Peeked,
    session_policy: Option<SealedPolicy>,
    keys: &'c SessionKeys,
}

// The exchange's synchronous steps are functions of their own, never inlined
// into its state machine (see `crate::apart`): the future stays small and
// each step is compiled on its own.

/// Parameters, role, token shape and issuer trust: everything that costs
/// no network call, so bad input costs nothing.
#[inline(never)]
fn prepare<'c>(cx: &'c Context<'_>, req: &Request, known: &mut Known) -> Result<Prepared<'c>, StsError> {
    // An oversized body is refused whatever the configuration: it was never read.
    let body = match req.method.as_str() {
        "POST" => params::form_body(req)?,
        _ => None,
    };
    let keys = cx.session_keys.ok_or(StsError::NotImplemented(
        "The security token service is not configured on this deployment.",
    ))?;
    let params = params::parse(&params::collect(&req.query, body)?)?;
    known.role = Some(params.role.clone());
    known.session_name = params.session_name.clone();
    let session_policy = params
        .policy
        .as_deref()
        .map(policy::parse)
        .transpose()
        .map_err(policy_error)?
        .map(|p| p.sealed);
    known.policy = session_policy.as_ref().map(audit::policy);
    let role = cx.roles.get(&params.role)?;
    let peeked = oidc::peek(&params.token).map_err(token_error)?;
    // Trust is decided before any network call: a foreign issuer costs nothing.
    if !role.issuers.contains(&peeked.iss) || !oidc::issuer_allowed(&peeked.iss, cx.allow_loopback_issuers) {
        return Err(StsError::InvalidIdentityToken(
            "The token's issuer is not trusted by this role.",
        ));
    }
    Ok(Prepared {
        params,
        role,
        peeked,
        session_policy,
        keys,
    })
}

/// From verified claims to sealed credentials: the role's conditions, the
/// session's bounds, new keys.
#[inline(never)]
fn mint(prep: Prepared<'_>, claims: Claims, now: i64, known: &mut Known) -> Result<Minted, StsError> {
    let Prepared {
        params,
        role,
        session_policy,
        keys,
        ..
    } = prep;
    known.issuer = Some(claims.iss.clone());
    known.subject = Some(claims.sub.clone());
    known.audience = Some(claims.aud.clone());
    known.claims = Some(audit::claims(role, &claims.all));
    let passed: Vec<(String, String)> = role
        .pass_claims
        .iter()
        .filter_map(|c| {
            claims
                .all
                .get(c)
                .and_then(|v| v.as_str())
                .map(|v| (c.clone(), v.to_string()))
        })
        .collect();
    // With the role checked at configuration time, this bounds the whole
    // session (sealing below cannot overflow the token) and every answer
    // (it can carry each value): checked before anything else looks at them.
    limits::check_token_parts(&claims.sub, &passed)?;
    if !role.claims_accepted(&claims.all) {
        return Err(StsError::IdpRejectedClaim);
    }
    let duration = role.duration(params.duration)?;
    let (access_key_id, secret) = new_credentials()?;
    let session_name = params.session_name.unwrap_or_else(|| derived_session_name(&claims.sub));
    let session = Session {
        access_key_id: access_key_id.clone(),
        secret_access_key: secret.clone(),
        issuer: claims.iss.clone(),
        subject: claims.sub.clone(),
        role: role.name.clone(),
        ceiling: role.ceiling_patterns.clone(),
        session_name: session_name.clone(),
        audience: claims.aud.clone(),
        expires_at: now + i64::from(duration),
        claims: passed,
        session_id: new_session_id()?,
        policy: session_policy,
    };
    limits::check_policy_room(&session)?;
    let token = seal(keys, &session)?;
    Ok(Minted {
        access_key_id,
        secret: secret.expose().to_string(),
        token,
        expires_at: session.expires_at,
        subject: claims.sub,
        issuer: claims.iss,
        audience: claims.aud,
        role: role.name.clone(),
        role_arn: params.role_arn,
        session_name,
        session_id: session.session_id,
    })
}

async fn exchange<P: Platform>(p: &P, cx: &Context<'_>, req: &Request, known: &mut Known) -> Result<Minted, StsError> {
    let prep = prepare(cx, req, known)?;
    let now = p.now_ms().div_euclid(1000);
    let jwks = cx
        .jwks
        .keys(p, &prep.peeked.iss, &prep.peeked.kid, cx.allow_loopback_issuers, now)
        .await
        .map_err(|e| StsError::IdpCommunication(Detail::caused("fetching its keys", e)))?;
    let expect = Expectations {
        issuer: &prep.peeked.iss,
        audiences: &prep.role.audiences,
        now,
        leeway: DEFAULT_LEEWAY,
    };
    let claims = oidc::verify(&prep.params.token, &jwks, &expect)
        .await
        .map_err(token_error)?;
    mint(prep, claims, now, known)
}

/// Answers an STS request: XML, or JSON for `Accept: application/json`.
/// Also gives what the request's log line says of the exchange (who, the
/// outcome, the run's claims), which the pipeline writes into that one line.
pub async fn handle<P: Platform>(
    p: &P,
    cx: &Context<'_>,
    req: &Request,
    request_id: &str,
) -> (Response<P::Body>, Map<String, Value>) {
    let json = response::wants_json(req);
    let mut known = Known::default();
    let result = exchange(p, cx, req, &mut known).await;
    answer(result, known, json, request_id)
}

/// The answer and the log line's fields, for an exchange done or refused.
#[inline(never)]
fn answer<B>(
    result: Result<Minted, StsError>,
    mut known: Known,
    json: bool,
    request_id: &str,
) -> (Response<B>, Map<String, Value>) {
    let mut f = Map::new();
    let mut resp = match &result {
        Ok(m) => {
            let issued = Issued {
                access_key_id: &m.access_key_id,
                secret_access_key: &m.secret,
                session_token: &m.token,
                expires_at: m.expires_at,
                subject: &m.subject,
                role_arn: &m.role_arn,
                role: &m.role,
                session_name: &m.session_name,
                provider: &m.issuer,
                audience: &m.audience,
            };
            f.extend([
                ("result".into(), json!("issued")),
                ("role".into(), json!(m.role)),
                ("issuer".into(), json!(m.issuer)),
                ("subject".into(), json!(m.subject)),
                ("audience".into(), json!(m.audience)),
                ("session".into(), json!(m.session_name)),
                ("access_key_id".into(), json!(m.access_key_id)),
                ("expires_at".into(), json!(m.expires_at)),
                ("session_id".into(), json!(m.session_id)),
            ]);
            match json {
                true => Response::bytes(200, "application/json", response::success_json(&issued, request_id)),
                false => Response::bytes(200, "text/xml", response::success_xml(&issued, request_id)),
            }
        }
        Err(e) => {
            f.extend([
                ("result".into(), json!("denied")),
                ("reason".into(), json!(e.code().as_str())),
                ("role".into(), json!(known.role)),
                ("session".into(), json!(known.session_name)),
                ("issuer".into(), json!(known.issuer)),
                ("subject".into(), json!(known.subject)),
                ("audience".into(), json!(known.audience)),
            ]);
            if let Some(d) = e.detail() {
                f.insert("detail".into(), json!(d));
            }
            response::error_response(e, json, request_id)
        }
    };
    if let Some(c) = known.claims.take().filter(|c| !c.is_empty()) {
        f.insert("claims".into(), Value::Object(c));
    }
    if let Some(pol) = known.policy.take() {
        f.insert("policy".into(), pol);
    }
    resp.headers.set("cache-control", "no-store");
    (resp, f)
}

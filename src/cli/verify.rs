//! `verify`: checks an ID token the way a careful relying party does, with the
//! Worker's own verifier (`oidc::verify`): the issuer is pinned on the command
//! line and is the only place discovery is fetched from; the token's `iss` is
//! only ever compared with it.

use std::io::Read as _;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use clap::ArgGroup;
use oidc_data_proxy::error::chain;
use oidc_data_proxy::oidc::{
    self, discovery_url, issuer_allowed, parse_discovery, parse_jwks, Condition, Expectations, Jwk, TokenError,
    MAX_JWKS_BYTES, MAX_TOKEN_LEN,
};
use serde_json::{Map, Value};

use super::fetch::{self, Limits};
use super::Outcome;

/// The most `--leeway` may be: clock skew, not a grace period.
const MAX_LEEWAY: i64 = 300;

#[derive(clap::Args, Debug)]
#[command(group(ArgGroup::new("source").required(true).args(["token", "token_file", "token_env"])))]
pub struct Args {
    /// The issuer the token must name in `iss`, exactly. Discovery and keys are fetched from
    /// it, never from anything the token says.
    #[arg(long, value_name = "URL")]
    issuer: String,
    /// An accepted audience; repeat for several (the token's `aud` must contain one).
    #[arg(long = "aud", value_name = "AUDIENCE", required = true)]
    audiences: Vec<String>,
    /// A top-level string claim that must equal VALUE exactly (repeatable).
    #[arg(long = "claim", value_name = "KEY=VALUE")]
    claims: Vec<String>,
    /// A top-level string claim that must match PATTERN (the proxy's role globs: `*` any run of
    /// characters, `/` included; `?` one character; no escapes). Repeatable.
    #[arg(long = "claim-glob", value_name = "KEY=PATTERN")]
    claim_globs: Vec<String>,
    /// Refuse a token issued (`iat`) more than SECS seconds ago; `iat` is then required.
    #[arg(long, value_name = "SECS")]
    max_age: Option<u32>,
    /// Clock skew allowed on `exp`, `nbf`, `iat` and --max-age, in seconds (0-300).
    #[arg(long, value_name = "SECS", default_value_t = oidc::DEFAULT_LEEWAY,
          value_parser = clap::value_parser!(i64).range(0..=MAX_LEEWAY))]
    leeway: i64,
    /// Accept a token without a `jti` (a unique token id). Without one a relying party cannot
    /// tell a replayed token from a fresh one, so it is required unless this is given.
    #[arg(long)]
    allow_missing_jti: bool,
    /// Allow an `http://127.0.0.1`, `localhost` or `[::1]` issuer (local development, like the
    /// Worker's OIDC_ALLOW_LOOPBACK_ISSUERS). Its keys must then be on the issuer's own origin.
    #[arg(long)]
    allow_http_loopback: bool,
    /// Seconds each of the two fetches (discovery, JWKS) may take in all (1-60).
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=60))]
    timeout: u64,
    /// The token itself (visible to other local users in the process list: prefer the others).
    #[arg(long, value_name = "JWT")]
    token: Option<String>,
    /// A file holding the token (surrounding whitespace ignored).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// An environment variable holding the token.
    #[arg(long, value_name = "NAME")]
    token_env: Option<String>,
}

/// What a token must satisfy beyond signature, issuer, audience and times.
#[derive(Debug)]
pub struct Policy {
    pub issuer: String,
    pub audiences: Vec<String>,
    pub conditions: Vec<Condition>,
    pub max_age: Option<i64>,
    pub leeway: i64,
    pub require_jti: bool,
}

pub fn run(args: &Args) -> Result<(), Outcome> {
    let policy = policy(args)?;
    let token = read_token(args)?;
    // Before any network call: a token naming another issuer is refused outright.
    precheck(&token, &policy)?;
    let keys = fetch_keys(
        &policy.issuer,
        args.allow_http_loopback,
        Duration::from_secs(args.timeout),
    )?;
    let claims = check(&token, &keys, &policy, unix_now()?)?;
    let json = serde_json::to_string_pretty(&Value::Object(claims))
        .map_err(|e| Outcome::Error(format!("printing the claims: {e}")))?;
    println!("{json}");
    Ok(())
}

fn policy(args: &Args) -> Result<Policy, Outcome> {
    let usage = |m: String| Outcome::Error(m);
    if !issuer_allowed(&args.issuer, args.allow_http_loopback) {
        let rule = if args.allow_http_loopback {
            "https, or http on 127.0.0.1, localhost or [::1]"
        } else {
            "https (http loopback issuers need --allow-http-loopback)"
        };
        return Err(usage(format!(
            "--issuer {:?}: must be {rule}, without query or fragment",
            args.issuer
        )));
    }
    if args.audiences.iter().any(String::is_empty) {
        return Err(usage("--aud: an audience cannot be empty".into()));
    }
    let mut conditions = Vec::new();
    for (flag, op, list) in [
        ("--claim", "equals", &args.claims),
        ("--claim-glob", "glob", &args.claim_globs),
    ] {
        for kv in list {
            conditions.push(condition(kv, op).map_err(|e| usage(format!("{flag} {kv:?}: {e}")))?);
        }
    }
    Ok(Policy {
        issuer: args.issuer.clone(),
        audiences: args.audiences.clone(),
        conditions,
        max_age: args.max_age.map(i64::from),
        leeway: args.leeway,
        require_jti: !args.allow_missing_jti,
    })
}

/// `key=value` as the proxy's own role condition (so `--claim-glob` is exactly a role's `glob`).
fn condition(kv: &str, op: &str) -> Result<Condition, ConditionArgError> {
    let (key, value) = kv.split_once('=').ok_or(ConditionArgError::NotKeyValue)?;
    let mut obj = Map::new();
    obj.insert("claim".into(), Value::from(key));
    obj.insert(op.into(), Value::from(value));
    Ok(Condition::try_from(obj)?)
}

/// A `--claim-*` argument that is no condition.
#[derive(Debug, thiserror::Error)]
enum ConditionArgError {
    #[error("expected KEY=VALUE")]
    NotKeyValue,
    #[error(transparent)]
    Condition(#[from] oidc::conditions::ConditionError),
}

/// A `jwks_uri` over plain http on another origin than the issuer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jwks_uri {0:?} is http on another origin than the issuer")]
pub struct JwksUriError(String);

fn read_token(args: &Args) -> Result<String, Outcome> {
    // One byte past the longest token the verifier takes, plus room for a trailing newline.
    let cap = MAX_TOKEN_LEN + 64;
    let raw = if let Some(t) = &args.token {
        t.clone()
    } else if let Some(path) = &args.token_file {
        let f =
            std::fs::File::open(path).map_err(|e| Outcome::Error(format!("--token-file {}: {e}", path.display())))?;
        let mut buf = Vec::new();
        f.take(cap as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Outcome::Error(format!("--token-file {}: {e}", path.display())))?;
        String::from_utf8(buf).map_err(|_| Outcome::Failed("token: not UTF-8 text".into()))?
    } else if let Some(name) = &args.token_env {
        match std::env::var(name) {
            Ok(v) => v,
            Err(std::env::VarError::NotPresent) => {
                return Err(Outcome::Error(format!("--token-env {name}: the variable is not set")))
            }
            Err(std::env::VarError::NotUnicode(_)) => return Err(Outcome::Failed("token: not UTF-8 text".into())),
        }
    } else {
        return Err(Outcome::Error(
            "no token: give --token, --token-file or --token-env".into(),
        ));
    };
    let token = raw.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(Outcome::Failed(format!(
            "malformed: the token is longer than {MAX_TOKEN_LEN} bytes"
        )));
    }
    if token.is_empty() {
        return Err(Outcome::Failed("malformed: the token is empty".into()));
    }
    Ok(token.to_owned())
}

/// The unverified token's algorithm and issuer, checked before anything is fetched.
pub fn precheck(token: &str, policy: &Policy) -> Result<(), Outcome> {
    let peeked = oidc::peek(token).map_err(|e| invalid(e, token, policy))?;
    if peeked.iss != policy.issuer {
        return Err(Outcome::Failed(format!(
            "wrong_issuer: the token's iss {:?} is not the pinned issuer {:?}",
            clip(&peeked.iss),
            policy.issuer
        )));
    }
    Ok(())
}

/// Discovery of the pinned issuer, then its JWKS.
fn fetch_keys(issuer: &str, allow_loopback: bool, timeout: Duration) -> Result<Vec<Jwk>, Outcome> {
    let limits = Limits {
        timeout,
        max_bytes: MAX_JWKS_BYTES,
    };
    let err = |what: &str, e: &dyn std::error::Error| Outcome::Error(format!("{what}: {}", chain(e)));
    let doc = fetch::get(&discovery_url(issuer), limits).map_err(|e| err("discovery", &e))?;
    let disc = parse_discovery(&doc, issuer, allow_loopback).map_err(|e| err("discovery", &e))?;
    jwks_uri_allowed(&disc.jwks_uri, issuer).map_err(|e| err("discovery", &e))?;
    let jwks = fetch::get(&disc.jwks_uri, limits).map_err(|e| err("jwks", &e))?;
    parse_jwks(&jwks).map_err(|e| err("jwks", &e))
}

/// `parse_discovery` already allows https anywhere (keys on another host are common) and
/// loopback http when asked; over plain http the keys must also be on the issuer's origin,
/// so a dev issuer's document cannot send us to another local service.
pub fn jwks_uri_allowed(jwks_uri: &str, issuer: &str) -> Result<(), JwksUriError> {
    if jwks_uri.starts_with("https://") || fetch::origin(jwks_uri) == fetch::origin(issuer) {
        return Ok(());
    }
    Err(JwksUriError(clip(jwks_uri)))
}

/// Everything after the keys are known: signature, issuer, times and audience (the
/// Worker's verifier), then jti, --max-age and the claim conditions.
pub fn check(token: &str, keys: &[Jwk], policy: &Policy, now: i64) -> Result<Map<String, Value>, Outcome> {
    let expect = Expectations {
        issuer: &policy.issuer,
        audiences: &policy.audiences,
        now,
        leeway: policy.leeway,
    };
    let claims = oidc::verify_now(token, keys, &expect)
        .map_err(|e| invalid(e, token, policy))?
        .all;
    if policy.require_jti && claims.get("jti").and_then(Value::as_str).is_none_or(str::is_empty) {
        return Err(Outcome::Failed(
            "missing_jti: the token has no jti (replays cannot be told apart; --allow-missing-jti accepts it)".into(),
        ));
    }
    if let Some(max_age) = policy.max_age {
        // `as` saturates, as the proxy's own numeric dates do.
        #[allow(clippy::cast_possible_truncation)]
        let iat = claims.get("iat").and_then(Value::as_f64).map(|f| f.floor() as i64);
        let Some(iat) = iat else {
            return Err(Outcome::Failed("max_age: the token has no numeric iat".into()));
        };
        let age = now.saturating_sub(iat);
        if age > max_age.saturating_add(policy.leeway) {
            return Err(Outcome::Failed(format!(
                "max_age: issued {age} s ago, more than --max-age {max_age} (+{} s leeway)",
                policy.leeway
            )));
        }
    }
    for c in &policy.conditions {
        if !c.holds(&claims) {
            let op = match c.op {
                oidc::Op::Equals => "equal",
                oidc::Op::StartsWith => "start with",
                oidc::Op::Glob => "match the glob",
            };
            let got = match claims.get(&c.claim) {
                None => "absent".to_string(),
                Some(Value::String(s)) => format!("{:?}", clip(s)),
                Some(other) => format!("not a string ({})", clip(&other.to_string())),
            };
            return Err(Outcome::Failed(format!(
                "claim: {} must {op} {:?}, is {got}",
                c.claim, c.value
            )));
        }
    }
    Ok(claims)
}

/// One line naming the check that failed, with what the token said where that helps.
fn invalid(e: TokenError, token: &str, policy: &Policy) -> Outcome {
    let claims = || unverified_part(token, 1).unwrap_or_default();
    let detail = match e {
        TokenError::UnsupportedAlg => {
            let alg = unverified_part(token, 0).and_then(|h| h.get("alg").map(Value::to_string));
            format!("alg {} is not RS256 or ES256", clip(&alg.unwrap_or_default()))
        }
        TokenError::WrongIssuer => format!("the token's iss is not the pinned issuer {:?}", policy.issuer),
        TokenError::WrongAudience => format!(
            "aud {} holds none of {:?}",
            clip(&claims().get("aud").map_or("(absent)".into(), Value::to_string)),
            policy.audiences
        ),
        TokenError::Expired | TokenError::NotYetValid => {
            let c = claims();
            let t = |n: &str| c.get(n).map_or("-".to_string(), Value::to_string);
            format!(
                "exp {}, nbf {}, iat {}, now {} (leeway {} s)",
                t("exp"),
                t("nbf"),
                t("iat"),
                unix_now().unwrap_or_default(),
                policy.leeway
            )
        }
        TokenError::UnknownKid => {
            let kid = unverified_part(token, 0).and_then(|h| h.get("kid").map(Value::to_string));
            format!("no key of the issuer's JWKS has kid {}", clip(&kid.unwrap_or_default()))
        }
        _ => e.message().to_string(),
    };
    Outcome::Failed(format!("{}: {detail}", e.reason()))
}

/// A part of the token decoded WITHOUT verification, for error messages only.
fn unverified_part(token: &str, i: usize) -> Option<Map<String, Value>> {
    let part = token.split('.').nth(i)?;
    let bytes = URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(120).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

fn unix_now() -> Result<i64, Outcome> {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|_| Outcome::Error("the system clock is before 1970".into()))?;
    i64::try_from(d.as_secs()).map_err(|_| Outcome::Error("the system clock is out of range".into()))
}

#[cfg(test)]
mod tests;

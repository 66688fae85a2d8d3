//! The offline part of `verify` against real tokens minted with the fixture keys.

use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt as _, Claims as JwtClaims, Header};
use serde_json::{json, Value};

use super::*;

use oidc_data_proxy::testing::keys::*;

const ISS: &str = "https://proxy.example.org";
const NOW: i64 = 1_795_317_720;

fn keys() -> Vec<Jwk> {
    parse_jwks(JWKS).unwrap()
}

fn policy() -> Policy {
    Policy {
        issuer: ISS.into(),
        audiences: vec!["https://catalog.example.org".into()],
        conditions: Vec::new(),
        max_age: None,
        leeway: 60,
        require_jti: true,
    }
}

fn claims() -> Value {
    json!({
        "iss": ISS, "sub": "alice", "aud": "https://catalog.example.org",
        "iat": NOW - 10, "nbf": NOW - 10, "exp": NOW + 50, "jti": "5b0c9a3e",
        "repository": "octo-org/octo-repo", "ref": "refs/heads/main", "run_attempt": 1,
    })
}

fn with(k: &str, v: Option<Value>) -> Value {
    let mut c = claims();
    match v {
        Some(v) => c[k] = v,
        None => {
            c.as_object_mut().unwrap().remove(k);
        }
    }
    c
}

/// Precheck then check, as `run` does after fetching the keys.
fn verify_with(token: &str, p: &Policy, now: i64) -> Result<Map<String, Value>, Outcome> {
    precheck(token, p)?;
    check(token, &keys(), p, now)
}

/// The check a failure names (the text before the first `:`).
fn failed(r: Result<Map<String, Value>, Outcome>) -> String {
    match r {
        Err(Outcome::Failed(m)) => m.split(':').next().unwrap().to_string(),
        other => panic!("expected a failed check, got {other:?}"),
    }
}

#[test]
fn valid_rs256_and_es256_tokens_print_their_claims() {
    for token in [mint_rs256(RSA_KID, &claims()), mint_es256(EC_KID, &claims())] {
        let got = verify_with(&token, &policy(), NOW).unwrap();
        assert_eq!(Value::Object(got), claims());
    }
}

#[test]
fn jti_is_required_unless_allowed() {
    for bad in [None, Some(json!("")), Some(json!(7))] {
        let token = mint_rs256(RSA_KID, &with("jti", bad));
        assert_eq!(failed(verify_with(&token, &policy(), NOW)), "missing_jti");
        let lax = Policy {
            require_jti: false,
            ..policy()
        };
        assert!(verify_with(&token, &lax, NOW).is_ok());
    }
}

#[test]
fn hostile_algorithms_are_refused_before_any_fetch() {
    let header = json!({"alg": "none", "kid": RSA_KID, "typ": "JWT"});
    let none = format!("{}.{}.", b64(&header.to_string()), b64(&claims().to_string()));
    assert_eq!(
        failed(precheck(&none, &policy()).map(|()| Map::new())),
        "unsupported_alg"
    );
    // HS256 keyed with the issuer's public key (the key-confusion attack).
    let key = Hs256Key::new(RSA_PUB_PEM.as_bytes());
    let header = Header::empty().with_key_id(RSA_KID).with_token_type("JWT");
    let c = JwtClaims::new(claims().as_object().unwrap().clone());
    let hs = Hs256.token(&header, &c, &key).unwrap();
    let Err(Outcome::Failed(m)) = precheck(&hs, &policy()) else {
        panic!("HS256 accepted")
    };
    assert!(m.starts_with("unsupported_alg: alg \"HS256\""), "{m}");
}

#[test]
fn the_issuer_is_pinned() {
    for iss in [
        "https://evil.example",
        "https://proxy.example.org/",
        "http://proxy.example.org",
        "",
    ] {
        let token = mint_rs256(RSA_KID, &with("iss", Some(json!(iss))));
        let Err(Outcome::Failed(m)) = precheck(&token, &policy()) else {
            panic!("{iss:?} accepted")
        };
        assert!(m.starts_with("wrong_issuer"), "{m}");
    }
    // A token that passed the precheck is still checked after the signature.
    let token = mint_rs256(RSA_KID, &with("iss", Some(json!("https://evil.example"))));
    assert_eq!(failed(check(&token, &keys(), &policy(), NOW)), "wrong_issuer");
}

#[test]
fn times_with_the_stated_leeway() {
    let token = mint_rs256(RSA_KID, &claims()); // exp = NOW + 50
    assert!(verify_with(&token, &policy(), NOW + 50 + 59).is_ok());
    assert_eq!(failed(verify_with(&token, &policy(), NOW + 50 + 60)), "expired");
    let strict = Policy { leeway: 0, ..policy() };
    assert_eq!(failed(verify_with(&token, &strict, NOW + 50)), "expired");
    let future = mint_rs256(RSA_KID, &with("nbf", Some(json!(NOW + 61))));
    assert_eq!(failed(verify_with(&future, &policy(), NOW)), "not_yet_valid");
    let future = mint_rs256(RSA_KID, &with("iat", Some(json!(NOW + 61))));
    assert_eq!(failed(verify_with(&future, &policy(), NOW)), "not_yet_valid");
    let no_exp = mint_rs256(RSA_KID, &with("exp", None));
    assert_eq!(failed(verify_with(&no_exp, &policy(), NOW)), "missing_exp");
}

#[test]
fn max_age_counts_from_iat() {
    let token = mint_rs256(RSA_KID, &with("iat", Some(json!(NOW - 100))));
    let p = |max_age, leeway| Policy {
        max_age: Some(max_age),
        leeway,
        ..policy()
    };
    assert!(verify_with(&token, &p(100, 0), NOW).is_ok());
    assert_eq!(failed(verify_with(&token, &p(99, 0), NOW)), "max_age");
    assert!(verify_with(&token, &p(50, 60), NOW).is_ok());
    let no_iat = mint_rs256(RSA_KID, &with("iat", None));
    assert!(verify_with(&no_iat, &policy(), NOW).is_ok());
    assert_eq!(failed(verify_with(&no_iat, &p(3600, 60), NOW)), "max_age");
}

#[test]
fn audience_kid_and_signature() {
    let other = mint_rs256(RSA_KID, &with("aud", Some(json!(["https://other.example"]))));
    let Err(Outcome::Failed(m)) = verify_with(&other, &policy(), NOW) else {
        panic!("wrong audience accepted")
    };
    assert!(
        m.starts_with("wrong_audience") && m.contains("https://other.example"),
        "{m}"
    );
    let list = mint_rs256(RSA_KID, &with("aud", Some(json!(["x", "https://catalog.example.org"]))));
    assert!(verify_with(&list, &policy(), NOW).is_ok());
    let unknown = sign_rs256_raw(&json!({"alg": "RS256", "kid": "rotated-away", "typ": "JWT"}), &claims());
    assert_eq!(failed(verify_with(&unknown, &policy(), NOW)), "unknown_kid");
    // An RSA signature presented as ES256 under the EC key's kid.
    let mixed = sign_rs256_raw(&json!({"alg": "RS256", "kid": EC_KID}), &claims());
    assert_eq!(failed(verify_with(&mixed, &policy(), NOW)), "key_alg_mismatch");
    let token = mint_rs256(RSA_KID, &claims());
    let (head, _) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", b64(&"x".repeat(256)));
    assert_eq!(failed(verify_with(&forged, &policy(), NOW)), "bad_signature");
    // Another payload under the original signature.
    let mut parts: Vec<&str> = token.split('.').collect();
    let evil = b64(&with("sub", Some(json!("mallory"))).to_string());
    parts[1] = &evil;
    assert_eq!(failed(verify_with(&parts.join("."), &policy(), NOW)), "bad_signature");
}

#[test]
fn claim_conditions_use_the_proxy_semantics() {
    let token = mint_rs256(RSA_KID, &claims());
    let with_conditions = |flags: &[(&str, &str)]| Policy {
        conditions: flags.iter().map(|(kv, op)| condition(kv, op).unwrap()).collect(),
        ..policy()
    };
    let ok = [
        vec![("repository=octo-org/octo-repo", "equals")],
        vec![("ref=refs/heads/*", "glob"), ("repository=octo-org/*", "glob")],
        vec![("ref=refs/*/ma?n", "glob")],
        // `=` in the value is part of it.
        vec![("sub=*", "glob")],
    ];
    for flags in ok {
        assert!(verify_with(&token, &with_conditions(&flags), NOW).is_ok(), "{flags:?}");
    }
    let bad = [
        vec![("repository=octo-org/other", "equals")],
        vec![("repository=octo-org", "equals")],
        vec![("ref=refs/tags/*", "glob")],
        vec![("environment=*", "glob")],
        // Only string claims: a number never matches, whatever its text.
        vec![("run_attempt=1", "equals")],
    ];
    for flags in bad {
        assert_eq!(
            failed(verify_with(&token, &with_conditions(&flags), NOW)),
            "claim",
            "{flags:?}"
        );
    }
    let eq = mint_rs256(RSA_KID, &with("note", Some(json!("a=b"))));
    assert!(verify_with(&eq, &with_conditions(&[("note=a=b", "equals")]), NOW).is_ok());
}

#[test]
fn bad_flags_are_usage_errors() {
    assert!(condition("novalue", "equals").is_err());
    assert!(condition("=x", "equals").is_err());
    assert!(condition("k=", "glob").is_err());
    assert!(condition("k=v", "equals").is_ok());
    let args = |issuer: &str, loopback: bool| Args {
        issuer: issuer.into(),
        audiences: vec!["a".into()],
        claims: vec![],
        claim_globs: vec![],
        max_age: None,
        leeway: 60,
        allow_missing_jti: false,
        allow_http_loopback: loopback,
        timeout: 10,
        token: Some("t".into()),
        token_file: None,
        token_env: None,
    };
    assert!(matches!(
        policy_of(&args("http://127.0.0.1:1", false)),
        Err(Outcome::Error(_))
    ));
    assert!(policy_of(&args("http://127.0.0.1:1", true)).is_ok());
    assert!(matches!(
        policy_of(&args("http://idp.example", true)),
        Err(Outcome::Error(_))
    ));
    assert!(matches!(
        policy_of(&args("https://idp.example?x", false)),
        Err(Outcome::Error(_))
    ));
    assert!(policy_of(&args("https://idp.example", false)).is_ok());
}

fn policy_of(a: &Args) -> Result<Policy, Outcome> {
    super::policy(a)
}

#[test]
fn tokens_are_read_bounded() {
    let mut a = Args {
        issuer: ISS.into(),
        audiences: vec!["a".into()],
        claims: vec![],
        claim_globs: vec![],
        max_age: None,
        leeway: 60,
        allow_missing_jti: false,
        allow_http_loopback: false,
        timeout: 10,
        token: Some(format!("  {}\n", "x".repeat(10))),
        token_file: None,
        token_env: None,
    };
    assert_eq!(read_token(&a).unwrap(), "x".repeat(10));
    a.token = Some("x".repeat(MAX_TOKEN_LEN + 1));
    assert!(matches!(read_token(&a), Err(Outcome::Failed(m)) if m.starts_with("malformed")));
    a.token = Some(" \n".into());
    assert!(matches!(read_token(&a), Err(Outcome::Failed(m)) if m.starts_with("malformed")));
    let dir = std::env::temp_dir().join(format!("odp-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let huge = dir.join("huge.jwt");
    std::fs::write(&huge, "y".repeat(5 << 20)).unwrap();
    a.token = None;
    a.token_file = Some(huge);
    assert!(matches!(read_token(&a), Err(Outcome::Failed(m)) if m.starts_with("malformed")));
    a.token_file = Some(dir.join("absent.jwt"));
    assert!(matches!(read_token(&a), Err(Outcome::Error(_))));
    a.token_file = None;
    a.token_env = Some("ODP_VERIFY_TEST_SURELY_UNSET".into());
    assert!(matches!(read_token(&a), Err(Outcome::Error(_))));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn jwks_uri_over_http_stays_on_the_issuer_origin() {
    let dev = "http://127.0.0.1:8788";
    assert!(jwks_uri_allowed("http://127.0.0.1:8788/jwks.json", dev).is_ok());
    assert!(jwks_uri_allowed("http://127.0.0.1:9999/jwks.json", dev).is_err());
    assert!(jwks_uri_allowed("http://localhost:8788/jwks.json", dev).is_err());
    assert!(jwks_uri_allowed("https://keys.example.net/jwks", "https://idp.example").is_ok());
}

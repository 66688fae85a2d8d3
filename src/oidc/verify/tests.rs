//! Verification against real tokens minted with the fixture keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwt_compact::alg::{Hs256, Hs256Key, Rsa};
use jwt_compact::{AlgorithmExt as _, Claims as JwtClaims, Header};
use serde_json::{json, Value};

use super::*;
use crate::oidc::{parse_jwks, Peeked};
use crate::testing::keys::*;
use p256::ecdsa::Signature;

const ISS: &str = "https://token.actions.githubusercontent.com";

/// The async verifier, driven to its end (natively it never waits).
fn verify(token: &str, keys: &[Jwk], expect: &Expectations<'_>) -> Result<Claims, TokenError> {
    futures::executor::block_on(super::verify(token, keys, expect))
}
const NOW: i64 = 1_795_317_720;

fn keys() -> Vec<Jwk> {
    parse_jwks(JWKS).expect("fixture JWKS")
}

fn auds() -> Vec<String> {
    vec!["sts.example".into(), "other".into()]
}

fn claims() -> Value {
    json!({
        "iss": ISS,
        "sub": "repo:org/repo:ref:refs/heads/main",
        "aud": "sts.example",
        "exp": NOW + 300,
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "repository": "org/repo",
        "ref": "refs/heads/main",
    })
}

fn with(changes: &[(&str, Option<Value>)]) -> Value {
    let mut c = claims();
    for (k, v) in changes {
        match v {
            Some(v) => c[*k] = v.clone(),
            None => {
                c.as_object_mut().map(|m| m.remove(*k));
            }
        }
    }
    c
}

fn check(token: &str) -> Result<Claims, TokenError> {
    check_with(token, &auds(), NOW)
}

fn check_with(token: &str, audiences: &[String], now: i64) -> Result<Claims, TokenError> {
    let expect = Expectations {
        issuer: ISS,
        audiences,
        now,
        leeway: DEFAULT_LEEWAY,
    };
    verify(token, &keys(), &expect)
}

#[test]
fn valid_rs256() {
    let t = mint_rs256(RSA_KID, &claims());
    let c = check(&t).expect("valid RS256");
    assert_eq!(c.iss, ISS);
    assert_eq!(c.sub, "repo:org/repo:ref:refs/heads/main");
    assert_eq!(c.aud, "sts.example");
    assert_eq!(c.exp, NOW + 300);
    assert_eq!(c.all.get("repository"), Some(&json!("org/repo")));
    assert_eq!(Value::Object(c.all), claims());
    assert_eq!(
        crate::oidc::peek(&t),
        Ok(Peeked {
            alg: Alg::Rs256,
            kid: RSA_KID.into(),
            iss: ISS.into()
        })
    );
}

#[test]
fn valid_es256() {
    let t = mint_es256(EC_KID, &claims());
    let c = check(&t).expect("valid ES256");
    assert_eq!(c.sub, "repo:org/repo:ref:refs/heads/main");
    assert_eq!(crate::oidc::peek(&t).map(|p| p.alg), Ok(Alg::Es256));
}

#[test]
fn alg_none_rejected() {
    let h = json!({"alg": "none", "kid": RSA_KID});
    assert_eq!(check(&raw_token(&h, &claims(), b"")), Err(TokenError::UnsupportedAlg));
    // Even with a real RS256 signature glued on.
    let good = mint_rs256(RSA_KID, &claims());
    let sig = good.rsplit('.').next().unwrap_or_default();
    let forged = format!("{}.{}.{sig}", b64(&h.to_string()), b64(&claims().to_string()));
    assert_eq!(check(&forged), Err(TokenError::UnsupportedAlg));
}

#[test]
fn hs256_key_confusion_rejected() {
    // The classic attack: HMAC "signed" with the IdP's public key as secret,
    // hoping the verifier feeds the RSA key to HMAC. Try the usual encodings.
    let mut secrets: Vec<Vec<u8>> = vec![RSA_PUB_PEM.as_bytes().to_vec(), JWKS.as_bytes().to_vec()];
    let jwks: Value = serde_json::from_str(JWKS).unwrap_or_default();
    secrets.push(jwks["keys"][0]["n"].as_str().unwrap_or_default().as_bytes().to_vec());
    for secret in secrets {
        let header = Header::empty().with_key_id(RSA_KID);
        let c = JwtClaims::new(claims().as_object().cloned().unwrap_or_default());
        let t = Hs256.token(&header, &c, &Hs256Key::new(&secret)).expect("mint HS256");
        assert_eq!(check(&t), Err(TokenError::UnsupportedAlg));
    }
}

#[test]
fn alg_and_key_type_must_fit() {
    // An ES256 header naming the RSA key: refused before any verification.
    let t = sign_es256_raw(&json!({"alg": "ES256", "kid": RSA_KID}), &claims());
    assert_eq!(check(&t), Err(TokenError::KeyAlgMismatch));
    let t = sign_rs256_raw(&json!({"alg": "RS256", "kid": EC_KID}), &claims());
    assert_eq!(check(&t), Err(TokenError::KeyAlgMismatch));
    // A key whose JWKS `alg` says something else is not used either.
    let mut jwks: Value = serde_json::from_str(JWKS).unwrap_or_default();
    jwks["keys"][0]["alg"] = json!("PS256");
    let keys = parse_jwks(&jwks.to_string()).unwrap_or_default();
    let expect = Expectations {
        issuer: ISS,
        audiences: &auds(),
        now: NOW,
        leeway: 60,
    };
    let t = mint_rs256(RSA_KID, &claims());
    assert_eq!(verify(&t, &keys, &expect), Err(TokenError::KeyAlgMismatch));
    // Two keys under one kid: the one that fits is used.
    jwks["keys"][1]["kid"] = json!(RSA_KID);
    jwks["keys"][0]["alg"] = json!("RS256");
    let keys = parse_jwks(&jwks.to_string()).unwrap_or_default();
    assert!(verify(&t, &keys, &expect).is_ok());
    assert!(verify(&mint_es256(RSA_KID, &claims()), &keys, &expect).is_ok());
}

#[test]
fn kid_missing_or_unknown() {
    let t = sign_rs256_raw(&json!({"alg": "RS256"}), &claims());
    assert_eq!(check(&t), Err(TokenError::MissingKid));
    assert_eq!(
        check(&mint_rs256("rotated-key", &claims())),
        Err(TokenError::UnknownKid)
    );
    let expect = Expectations {
        issuer: ISS,
        audiences: &auds(),
        now: NOW,
        leeway: 60,
    };
    assert_eq!(
        verify(&mint_rs256(RSA_KID, &claims()), &[], &expect),
        Err(TokenError::UnknownKid)
    );
}

#[test]
fn tampering_breaks_signature() {
    for t in [mint_rs256(RSA_KID, &claims()), mint_es256(EC_KID, &claims())] {
        let (head, sig) = t.rsplit_once('.').unwrap_or_default();
        let (header, payload) = head.split_once('.').unwrap_or_default();
        // Bit flips in the decoded payload (re-encoded so it still parses).
        let mut bytes = b64_decode(payload);
        let i = bytes.iter().position(|&b| b == b'm').unwrap_or_default(); // "main" → "lain"
        bytes[i] ^= 0x01;
        let forged = format!("{header}.{}.{sig}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(check(&forged), Err(TokenError::BadSignature));
        // A claim swapped for another issuer's or subject's.
        let evil = b64(&with(&[("sub", Some(json!("repo:evil/repo:ref:refs/heads/main")))]).to_string());
        assert_eq!(check(&format!("{header}.{evil}.{sig}")), Err(TokenError::BadSignature));
        // Bit flip in the signature.
        let mut s = b64_decode(sig);
        s[5] ^= 0x80;
        let forged = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&s));
        assert_eq!(check(&forged), Err(TokenError::BadSignature));
        // Truncated and extended signatures.
        let short = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&s[..s.len() - 1]));
        assert_eq!(check(&short), Err(TokenError::BadSignature));
        let long = format!("{head}.{}", URL_SAFE_NO_PAD.encode([&s[..], &[0]].concat()));
        assert_eq!(check(&long), Err(TokenError::BadSignature));
    }
    // ES256 and RS256 signatures are not interchangeable.
    let rs = mint_rs256(RSA_KID, &claims());
    let es = mint_es256(EC_KID, &claims());
    let es_sig = es.rsplit('.').next().unwrap_or_default();
    let (rs_head, _) = rs.rsplit_once('.').unwrap_or_default();
    assert_eq!(check(&format!("{rs_head}.{es_sig}")), Err(TokenError::BadSignature));
}

#[test]
fn signature_encodings_are_strict() {
    let es = mint_es256(EC_KID, &claims());
    let (head, sig) = es.rsplit_once('.').unwrap_or_default();
    let raw = b64_decode(sig);
    // DER-encoded ECDSA (what some libraries emit by mistake) is not JWS.
    let der = Signature::from_slice(&raw).map(|s| s.to_der().as_bytes().to_vec());
    let der = der.unwrap_or_default();
    assert!(der.len() > 64);
    assert_eq!(
        check(&format!("{head}.{}", URL_SAFE_NO_PAD.encode(&der))),
        Err(TokenError::BadSignature)
    );
    // r = 0, or s = n (out of range).
    let zero_r = [&[0u8; 32][..], &raw[32..]].concat();
    assert_eq!(
        check(&format!("{head}.{}", URL_SAFE_NO_PAD.encode(zero_r))),
        Err(TokenError::BadSignature)
    );
    let n = b64_decode("_____wAAAAD__________7zm-q2nF56E87nKwvxjJVE");
    let big_s = [&raw[..32], &n[..]].concat();
    assert_eq!(
        check(&format!("{head}.{}", URL_SAFE_NO_PAD.encode(big_s))),
        Err(TokenError::BadSignature)
    );
    // RS256: right length but ≥ the modulus; all zeros; empty.
    let rs = mint_rs256(RSA_KID, &claims());
    let (head, _) = rs.rsplit_once('.').unwrap_or_default();
    for bad in [vec![0xffu8; 256], vec![0u8; 256]] {
        assert_eq!(
            check(&format!("{head}.{}", URL_SAFE_NO_PAD.encode(&bad))),
            Err(TokenError::BadSignature)
        );
    }
    assert_eq!(check(&format!("{head}.")), Err(TokenError::Malformed));
}

fn b64_decode(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).unwrap_or_default()
}

#[test]
fn exp_required_and_enforced() {
    assert_eq!(
        check(&mint_rs256(RSA_KID, &with(&[("exp", None)]))),
        Err(TokenError::MissingExp)
    );
    let expired = mint_rs256(RSA_KID, &with(&[("exp", Some(json!(NOW - 61)))]));
    assert_eq!(check(&expired), Err(TokenError::Expired));
    assert_eq!(
        check(&expired).map_err(|e| e.code().as_str()),
        Err("ExpiredTokenException")
    );
    // Within the leeway: accepted; exactly at exp + leeway: expired.
    let t = mint_rs256(RSA_KID, &with(&[("exp", Some(json!(NOW - 30)))]));
    assert!(check(&t).is_ok());
    assert_eq!(check_with(&t, &auds(), NOW + 30), Err(TokenError::Expired));
    assert!(check_with(&t, &auds(), NOW + 29).is_ok());
    // Fractional NumericDate.
    let t = mint_rs256(RSA_KID, &with(&[("exp", Some(json!((NOW + 10) as f64 + 0.5)))]));
    assert_eq!(check(&t).map(|c| c.exp), Ok(NOW + 10));
    // Not a number: refused as such, never taken as "no expiry".
    for bad in [
        json!("1900000000"),
        json!(null),
        json!([1]),
        json!(true),
        json!({"$date": 1}),
    ] {
        let t = mint_rs256(RSA_KID, &with(&[("exp", Some(bad.clone()))]));
        assert_eq!(check(&t), Err(TokenError::BadNumericDate), "{bad}");
    }
    // Numbers JSON can write but no date is: refused as not a valid JWT.
    let t = sign_rs256_raw(&json!({"alg": "RS256", "kid": RSA_KID}), &json!({"iss": ISS}));
    let (head, _) = t.split_once('.').unwrap_or_default();
    let huge = format!("{head}.{}.c2ln", b64(&format!("{{\"iss\":\"{ISS}\",\"exp\":1e999}}")));
    assert_eq!(check(&huge), Err(TokenError::Malformed));
    // Far-future / absurd values must not panic.
    for big in [
        json!(i64::MAX),
        json!(u64::MAX),
        json!(1e300),
        json!(-1e300),
        json!(i64::MIN),
    ] {
        let t = sign_rs256_raw(&json!({"alg": "RS256", "kid": RSA_KID}), &with(&[("exp", Some(big))]));
        let _ = check(&t);
    }
}

#[test]
fn negative_leeway_is_zero() {
    let t = mint_rs256(RSA_KID, &with(&[("exp", Some(json!(NOW + 1)))]));
    let expect = Expectations {
        issuer: ISS,
        audiences: &auds(),
        now: NOW,
        leeway: -1000,
    };
    assert!(verify(&t, &keys(), &expect).is_ok());
}

#[test]
fn nbf_and_iat_not_in_future() {
    for name in ["nbf", "iat"] {
        let t = mint_rs256(RSA_KID, &with(&[(name, Some(json!(NOW + 61)))]));
        assert_eq!(check(&t), Err(TokenError::NotYetValid), "{name}");
        let t = mint_rs256(RSA_KID, &with(&[(name, Some(json!(NOW + 60)))]));
        assert!(check(&t).is_ok(), "{name} within leeway");
        let t = mint_rs256(RSA_KID, &with(&[(name, None)]));
        assert!(check(&t).is_ok(), "{name} is optional");
        let t = mint_rs256(RSA_KID, &with(&[(name, Some(json!("soon")))]));
        assert_eq!(check(&t), Err(TokenError::BadNumericDate), "{name} not a number");
    }
}

#[test]
fn issuer_must_match() {
    let t = mint_rs256(RSA_KID, &with(&[("iss", Some(json!("https://evil.example")))]));
    assert_eq!(check(&t), Err(TokenError::WrongIssuer));
    // Near misses.
    for iss in [format!("{ISS}/"), ISS.to_uppercase(), format!("{ISS} "), String::new()] {
        let t = mint_rs256(RSA_KID, &with(&[("iss", Some(json!(iss)))]));
        assert_eq!(check(&t), Err(TokenError::WrongIssuer), "{iss:?}");
    }
    // Empty expected issuer never matches.
    let t = mint_rs256(RSA_KID, &with(&[("iss", Some(json!("")))]));
    let expect = Expectations {
        issuer: "",
        audiences: &auds(),
        now: NOW,
        leeway: 60,
    };
    assert_eq!(verify(&t, &keys(), &expect), Err(TokenError::WrongIssuer));
}

#[test]
fn audience_string_or_array() {
    let t = mint_rs256(
        RSA_KID,
        &with(&[("aud", Some(json!(["x", 3, "other", "sts.example"])))]),
    );
    assert_eq!(check(&t).map(|c| c.aud), Ok("other".into()));
    let t = mint_rs256(RSA_KID, &with(&[("aud", Some(json!(["sts.example"])))]));
    assert_eq!(check(&t).map(|c| c.aud), Ok("sts.example".into()));
    for bad in [
        Some(json!("wrong")),
        Some(json!(["wrong", "also-wrong"])),
        Some(json!([])),
        Some(json!("")),
        Some(json!("STS.EXAMPLE")),
        Some(json!(null)),
        Some(json!(7)),
        Some(json!({"aud": "sts.example"})),
        None,
    ] {
        let t = mint_rs256(RSA_KID, &with(&[("aud", bad.clone())]));
        assert_eq!(check(&t), Err(TokenError::WrongAudience), "{bad:?}");
    }
}

#[test]
fn empty_audience_list_fails_closed() {
    let t = mint_rs256(RSA_KID, &claims());
    assert_eq!(check_with(&t, &[], NOW), Err(TokenError::WrongAudience));
    // An empty configured audience does not match an empty token audience.
    let t = mint_rs256(RSA_KID, &with(&[("aud", Some(json!("")))]));
    assert_eq!(check_with(&t, &[String::new()], NOW), Err(TokenError::WrongAudience));
}

#[test]
fn subject_required() {
    for bad in [Some(json!("")), Some(json!(null)), Some(json!(42)), None] {
        let t = mint_rs256(RSA_KID, &with(&[("sub", bad.clone())]));
        assert_eq!(check(&t), Err(TokenError::MissingSubject), "{bad:?}");
    }
}

#[test]
fn oversized_and_garbage() {
    let pad = "x".repeat(crate::oidc::MAX_TOKEN_LEN);
    let t = mint_rs256(RSA_KID, &with(&[("pad", Some(json!(pad)))]));
    assert_eq!(check(&t), Err(TokenError::Malformed));
    for g in [
        "",
        "a",
        "a.b",
        "a.b.c",
        "a.b.c.d",
        "....",
        "e30.e30.e30",
        "e30.e30.",
        "😀.😀.😀",
    ] {
        assert_eq!(check(g), Err(TokenError::Malformed), "{g}");
    }
    // Signed, but the payload is not a JSON object.
    let h = json!({"alg": "RS256", "kid": RSA_KID});
    let key = rsa_key();
    for payload in ["[1]", "null", "\"iss\"", "{"] {
        let input = format!("{}.{}", b64(&h.to_string()), b64(payload));
        let sig = jwt_compact::Algorithm::sign(&Rsa::rs256(), &key, input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(jwt_compact::AlgorithmSignature::as_bytes(&sig));
        assert_eq!(
            check(&format!("{input}.{sig}")),
            Err(TokenError::Malformed),
            "{payload}"
        );
    }
}

#[test]
fn claims_checked_only_after_signature() {
    // A forged token with every claim wrong still only reports the signature.
    let good = mint_rs256(RSA_KID, &claims());
    let sig = good.rsplit('.').next().unwrap_or_default();
    let bad = json!({"iss": ISS, "aud": "nope", "exp": 1});
    let forged = format!(
        "{}.{}.{sig}",
        b64(&json!({"alg": "RS256", "kid": RSA_KID}).to_string()),
        b64(&bad.to_string())
    );
    assert_eq!(check(&forged), Err(TokenError::BadSignature));
}

#[test]
fn a_huge_audience_array_costs_little() {
    // As many entries as a token can hold, the expected one last.
    let mut list: Vec<Value> = (0..1500).map(|i| json!(format!("a{i}"))).collect();
    list.push(json!(1));
    list.push(json!("other"));
    let t = mint_rs256(RSA_KID, &with(&[("aud", Some(Value::from(list)))]));
    assert!(t.len() <= crate::oidc::MAX_TOKEN_LEN, "{}", t.len());
    let started = std::time::Instant::now();
    assert_eq!(check(&t).map(|c| c.aud), Ok("other".to_string()));
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_validly_signed_token_with_a_repeated_claim_is_refused() {
    // Signed by the issuer's key, yet ambiguous: `sub` is bob to a parser that
    // keeps the first, alice to one that keeps the last.
    let h = json!({"alg": "RS256", "kid": RSA_KID, "typ": "JWT"});
    let payload = format!(
        r#"{{"iss":"{ISS}","aud":"sts.example","exp":{},"sub":"bob","sub":"alice"}}"#,
        NOW + 300
    );
    let input = format!("{}.{}", b64(&h.to_string()), b64(&payload));
    let sig = jwt_compact::Algorithm::sign(&Rsa::rs256(), &rsa_key(), input.as_bytes());
    let t = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(jwt_compact::AlgorithmSignature::as_bytes(&sig))
    );
    assert_eq!(check(&t), Err(TokenError::DuplicateMember));
}

#[test]
fn verify_now_agrees_with_verify() {
    let keys = keys();
    let auds = auds();
    let expect = Expectations {
        issuer: ISS,
        audiences: &auds,
        now: NOW,
        leeway: DEFAULT_LEEWAY,
    };
    let good = mint_rs256(RSA_KID, &claims());
    let mut bad = good.clone();
    bad.pop();
    bad.push(if good.ends_with('A') { 'B' } else { 'A' });
    for t in [good, bad, mint_es256(EC_KID, &claims())] {
        assert_eq!(verify(&t, &keys, &expect), verify_now(&t, &keys, &expect));
    }
    assert!(verify_now(&mint_es256(EC_KID, &claims()), &keys, &expect).is_ok());
}

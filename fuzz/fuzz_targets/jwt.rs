//! ID tokens: `peek` and `verify` against the fixture JWKS (RS256 and ES256).
//! Input: a mode byte, then either a raw token (even mode) or a JOSE header
//! line and claim bytes that the target signs with the fixture P-256 key (odd
//! mode), so `verify` gets past the signature. RS256 is verified through the
//! raw tokens (the seeds hold genuine ones); signing RS256 here would cost
//! ~70 ms an input under coverage instrumentation.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::oidc::{
    parse_jwks, peek, verify_now as verify, Alg, Expectations, Jwk, TokenError, DEFAULT_LEEWAY,
};
use oidc_data_proxy_fuzz::{fields, sign_es256, AUDIENCE, ISSUER, JWKS, NOW};
use serde_json::{Map, Value};

fn keys() -> &'static [Jwk] {
    static K: OnceLock<Vec<Jwk>> = OnceLock::new();
    K.get_or_init(|| parse_jwks(JWKS).unwrap())
}

fn date(c: &Map<String, Value>, n: &str) -> Option<Option<i64>> {
    match c.get(n) {
        None => Some(None),
        Some(Value::Number(x)) => x
            .as_i64()
            .or_else(|| x.as_f64().filter(|f| f.is_finite()).map(|f| f.floor() as i64))
            .map(Some),
        Some(_) => None,
    }
}

/// What each outcome says about the claims, checked against them.
fn check_outcome(claims: &Map<String, Value>, got: &Result<oidc_data_proxy::oidc::Claims, TokenError>) {
    let iss_ok = claims.get("iss").and_then(Value::as_str) == Some(ISSUER);
    let exp = date(claims, "exp");
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == AUDIENCE,
        Some(Value::Array(l)) => l.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        _ => false,
    };
    match got {
        Ok(c) => {
            assert!(iss_ok && aud_ok, "{claims:?}");
            assert_eq!((c.iss.as_str(), c.aud.as_str()), (ISSUER, AUDIENCE));
            assert!(NOW < c.exp.saturating_add(DEFAULT_LEEWAY), "expired token accepted");
            assert_eq!(exp, Some(Some(c.exp)));
            for n in ["nbf", "iat"] {
                let t = date(claims, n).expect("numeric");
                assert!(
                    t.is_none_or(|t| t <= NOW + DEFAULT_LEEWAY),
                    "{n} in the future accepted"
                );
            }
            assert!(!c.sub.is_empty() && claims.get("sub").and_then(Value::as_str) == Some(c.sub.as_str()));
            assert_eq!(&c.all, claims);
        }
        Err(TokenError::WrongIssuer) => assert!(!iss_ok),
        Err(TokenError::Expired) => assert!(exp.flatten().is_some_and(|e| NOW >= e.saturating_add(DEFAULT_LEEWAY))),
        Err(TokenError::MissingExp) => assert_eq!(exp, Some(None)),
        Err(TokenError::WrongAudience) => assert!(!aud_ok),
        Err(TokenError::MissingSubject) => {
            assert!(!matches!(claims.get("sub"), Some(Value::String(s)) if !s.is_empty()))
        }
        Err(_) => {}
    }
}

fn claims_of(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine as _;
    let part = token.split('.').nth(1)?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok()?;
    serde_json::from_slice(&raw).ok()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let signed_as = (mode % 2 == 1).then_some(Alg::Es256);
    let token = match signed_as {
        None => String::from_utf8_lossy(rest).into_owned(),
        Some(_) => {
            let f = fields(rest, 2);
            sign_es256(f[0], f[1])
        }
    };
    let audiences = [AUDIENCE.to_string()];
    let expect = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now: NOW,
        leeway: DEFAULT_LEEWAY,
    };
    let peeked = peek(&token);
    let got = verify(&token, keys(), &expect);
    match &peeked {
        Err(e) => assert_eq!(got.as_ref().err(), Some(e), "verify and peek parse alike"),
        Ok(p) => {
            let kid_fits =
                (p.alg == Alg::Es256 && p.kid == "test-ec-1") || (p.alg == Alg::Rs256 && p.kid == "test-rsa-1");
            if kid_fits && signed_as == Some(p.alg) {
                assert!(
                    !matches!(
                        got,
                        Err(TokenError::BadSignature | TokenError::UnknownKid | TokenError::KeyAlgMismatch)
                    ),
                    "{got:?}"
                );
            }
            if got.is_ok() {
                assert_eq!(p.iss, ISSUER);
            }
            if !matches!(
                got,
                Err(TokenError::UnknownKid | TokenError::KeyAlgMismatch | TokenError::BadSignature)
            ) {
                check_outcome(&claims_of(&token).expect("a peeked token has claims"), &got);
            }
        }
    }
});

//! An identity provider's discovery document and JWKS, and the issuer URL
//! rules. Keys that parse are used to verify fixture-signed tokens.
//! Input: a flags byte (bit 0: loopback allowed), an issuer line, a JSON document.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::oidc::{
    discovery_url, issuer_allowed, parse_discovery, parse_jwks, verify_now as verify, Expectations, KeyType, TokenError,
};
use oidc_data_proxy_fuzz::{fields, sign_es256, sign_rs256, text, AUDIENCE, ISSUER, NOW};

/// Genuine tokens for the fixture keys.
fn tokens() -> &'static [String; 2] {
    static T: OnceLock<[String; 2]> = OnceLock::new();
    T.get_or_init(|| {
        let claims = format!(
            r#"{{"iss":"{ISSUER}","sub":"alice","aud":"{AUDIENCE}","exp":{}}}"#,
            NOW + 600
        );
        [
            sign_rs256(br#"{"alg":"RS256","kid":"test-rsa-1"}"#, claims.as_bytes()),
            sign_es256(br#"{"alg":"ES256","kid":"test-ec-1"}"#, claims.as_bytes()),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let loopback = flags & 1 == 1;
    let f = fields(rest, 2);
    let (issuer, doc) = (text(f[0]), text(f[1]));

    let allowed = issuer_allowed(&issuer, loopback);
    if allowed {
        assert!(
            issuer.starts_with("https://") || (loopback && issuer.starts_with("http://")),
            "{issuer}"
        );
        assert!(!issuer.contains(['?', '#', '\\', ' ']), "{issuer}");
        assert!(issuer_allowed(&issuer, true));
    }
    let url = discovery_url(&issuer);
    assert!(url.starts_with(issuer.trim_end_matches('/')) && url.ends_with("/.well-known/openid-configuration"));

    if let Ok(d) = parse_discovery(&doc, &issuer, loopback) {
        assert_eq!(d.issuer, issuer);
        assert!(!issuer.is_empty());
        assert!(d.jwks_uri.starts_with("https://") || (loopback && d.jwks_uri.starts_with("http://")));
        assert!(!d.jwks_uri.contains(['#', '\\', ' ']), "{}", d.jwks_uri);
    }

    if let Ok(keys) = parse_jwks(&doc) {
        assert!(!keys.is_empty());
        let audiences = [AUDIENCE.to_string()];
        let expect = Expectations {
            issuer: ISSUER,
            audiences: &audiences,
            now: NOW,
            leeway: 60,
        };
        for k in &keys {
            assert!(!k.kid().is_empty());
            let _ = (k.alg(), k.key_type() == KeyType::Rsa);
        }
        for t in tokens() {
            // Only the genuine key verifies it; any other key refuses it cleanly.
            match verify(t, &keys, &expect) {
                Ok(c) => assert_eq!(c.sub, "alice"),
                Err(e) => assert!(
                    matches!(
                        e,
                        TokenError::UnknownKid | TokenError::KeyAlgMismatch | TokenError::BadSignature
                    ),
                    "{e:?}"
                ),
            }
        }
    }
});

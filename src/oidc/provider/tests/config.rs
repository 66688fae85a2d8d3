//! Configuration, documents, and that no error or Debug text leaks a key.

use super::*;

#[test]
fn keys_from_fixture_match_openssl_public_key() {
    let k = keys_a();
    assert_eq!(k.issuer(), ISS);
    assert_eq!(k.active().kid, "kid-a");
    let (n, e) = openssl_ne(RSA_PUB_PEM);
    assert_eq!((k.active().n.as_str(), k.active().e.as_str()), (n.as_str(), "AQAB"));
    assert_eq!(e, "AQAB");
    // Also the hand-made fixture JWKS of the verification tests.
    let fixture: Value = serde_json::from_str(JWKS).expect("fixture JWKS");
    assert_eq!(fixture["keys"][0]["n"], json!(n));
    assert!(k.previous().is_none());
    // The DER kept for WebCrypto is the PEM's body.
    let body: String = RSA_PEM.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(
        Some(k.pkcs8_der().to_vec()),
        base64::engine::general_purpose::STANDARD.decode(body).ok()
    );
}

#[test]
fn documents_exact() {
    let k = keys_rotated();
    let d: Value = serde_json::from_str(&discovery_json(&k)).expect("JSON");
    assert_eq!(
        d,
        json!({
            "issuer": ISS,
            "jwks_uri": "https://proxy.example.com/.well-known/jwks.json",
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "aud", "iat", "nbf", "exp", "jti", "role", "idp"],
        })
    );
    let (nb, eb) = openssl_ne(RSA_B_PUB_PEM);
    let (na, ea) = openssl_ne(RSA_PUB_PEM);
    let j: Value = serde_json::from_str(&jwks_json(&k)).expect("JSON");
    assert_eq!(
        j,
        json!({"keys": [
            {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "kid-b", "n": nb, "e": eb},
            {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "kid-a", "n": na, "e": ea},
        ]})
    );
    // The proxy's own JWKS parser accepts both keys.
    assert_eq!(parse_jwks(&jwks_json(&k)).map(|v| v.len()).ok(), Some(2));
    let single: Value = serde_json::from_str(&jwks_json(&keys_a())).expect("JSON");
    assert_eq!(single["keys"].as_array().map(Vec::len), Some(1));
    assert_eq!(DISCOVERY_CACHE_CONTROL, "public, max-age=3600");
    assert_eq!(JWKS_CACHE_CONTROL, "public, max-age=300");
}

#[test]
fn disabled_when_unset() {
    let none = ProviderKeys::from_config(None, None, None, None, None, false);
    assert!(matches!(none, Ok(None)));
    let blank = ProviderKeys::from_config(Some(""), Some("  "), Some("\n"), Some(""), None, true);
    assert!(matches!(blank, Ok(None)));
}

#[test]
fn config_errors_name_the_problem_without_key_material() {
    let pkcs1_label = RSA_PEM.replace("PRIVATE KEY", "RSA PRIVATE KEY");
    let truncated = &RSA_PEM[..RSA_PEM.len() / 2];
    let mut flipped = RSA_PEM.to_owned();
    flipped.replace_range(200..204, "AAAA");
    let other_label = RSA_PEM.replace("PRIVATE KEY", "PUBLIC KEY");
    let cases: Vec<(Result<Option<ProviderKeys>, String>, &str)> = vec![
        (cfg("k", "not a pem", None), "OIDC_PROVIDER_KEY is not a PEM"),
        (cfg("k", truncated, None), "OIDC_PROVIDER_KEY is not a PEM"),
        (cfg("k", &flipped, None), "OIDC_PROVIDER_KEY is not a valid RSA"),
        (cfg("k", &pkcs1_label, None), "PKCS#1"),
        (cfg("k", &other_label, None), "must be a PKCS#8 PEM"),
        (cfg("k", EC_PEM, None), "not a valid RSA PKCS#8 key"),
        (cfg("k", RSA_1024_PEM, None), "1024-bit"),
        (cfg("k", RSA_4608_PEM, None), "4608-bit"),
        (cfg("k", RSA_PEM, Some(("k", RSA_B_PEM))), "equals OIDC_PROVIDER_KID"),
        (
            cfg("k", RSA_PEM, Some(("old", RSA_1024_PEM))),
            "OIDC_PROVIDER_KEY_PREVIOUS is a 1024-bit",
        ),
        (
            cfg("k", RSA_PEM, Some(("old", "junk"))),
            "OIDC_PROVIDER_KEY_PREVIOUS is not a PEM",
        ),
        (
            text(ProviderKeys::from_config(
                Some(ISS),
                Some("k"),
                Some(RSA_PEM),
                Some("old"),
                None,
                false,
            )),
            "without OIDC_PROVIDER_KEY_PREVIOUS",
        ),
        (
            text(ProviderKeys::from_config(
                Some(ISS),
                Some("k"),
                Some(RSA_PEM),
                None,
                Some(RSA_B_PEM),
                false,
            )),
            "without OIDC_PROVIDER_KID_PREVIOUS",
        ),
        (
            text(ProviderKeys::from_config(
                None,
                None,
                None,
                Some("old"),
                Some(RSA_B_PEM),
                false,
            )),
            "without an active key",
        ),
        (
            text(ProviderKeys::from_config(
                Some(ISS),
                None,
                Some(RSA_PEM),
                None,
                None,
                false,
            )),
            "OIDC_PROVIDER_KID not set",
        ),
        (
            text(ProviderKeys::from_config(None, Some("k"), None, None, None, false)),
            "OIDC_PROVIDER_ISSUER, OIDC_PROVIDER_KEY not set",
        ),
        (cfg("has space", RSA_PEM, None), "OIDC_PROVIDER_KID must be"),
        (cfg(&"k".repeat(129), RSA_PEM, None), "OIDC_PROVIDER_KID must be"),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        let err = got.err().unwrap_or_else(|| panic!("case {i} ({want}) should fail"));
        assert!(err.contains(want), "case {i}: {err:?} lacks {want:?}");
        assert!(!leaks_key_material(&err), "case {i}: {err:?}");
    }
}

#[test]
fn issuer_rules() {
    let with = |iss: &str, loopback: bool| {
        ProviderKeys::from_config(Some(iss), Some("k"), Some(RSA_PEM), None, None, loopback)
    };
    for bad in [
        "http://proxy.example.com",
        "https://proxy.example.com/tenant",
        "https://proxy.example.com?x",
        "https://u@proxy.example.com",
        "proxy.example.com",
    ] {
        assert!(with(bad, true).is_err(), "{bad}");
    }
    assert!(with("http://127.0.0.1:8787", false).is_err());
    let local = with("http://127.0.0.1:8787", true)
        .ok()
        .flatten()
        .expect("loopback allowed");
    assert_eq!(local.jwks_uri(), "http://127.0.0.1:8787/.well-known/jwks.json");
    let slash = with("https://proxy.example.com/", false)
        .ok()
        .flatten()
        .expect("trailing slash");
    assert_eq!(slash.issuer(), "https://proxy.example.com/");
    assert_eq!(slash.jwks_uri(), "https://proxy.example.com/.well-known/jwks.json");
}

#[test]
fn pem_spellings_accepted() {
    let escaped = RSA_PEM.trim_end().replace('\n', "\\n");
    let crlf = RSA_PEM.replace('\n', "\r\n");
    let padded = format!("\n  {RSA_PEM}\n\n");
    for pem in [escaped, crlf, padded] {
        let k = cfg("k", &pem, None).ok().flatten().expect("accepted");
        assert_eq!(k.active().n, keys_a().active().n);
    }
}

#[test]
fn debug_never_prints_key_material() {
    let k = keys_rotated();
    let dbg = format!("{k:?} {:?}", NativeSigner::new(&k));
    assert!(
        dbg.contains("kid-b") && dbg.contains("kid-a") && dbg.contains("2048"),
        "{dbg}"
    );
    assert!(!leaks_key_material(&dbg), "{dbg}");
    assert!(!dbg.contains(&k.active().n[..16]), "{dbg}");
}

#[test]
fn der_reader_agrees_with_rsa_crate_and_rejects_damage() {
    use rsa::pkcs8::DecodePrivateKey as _;
    for pem in [RSA_PEM, RSA_B_PEM, RSA_1024_PEM, RSA_4608_PEM] {
        let (_, der) = pkcs8::pem_decode(pem).expect("PEM");
        let (n, e) = pkcs8::rsa_public_parts(&der).expect("parts");
        let k = rsa::RsaPrivateKey::from_pkcs8_der(&der).expect("rsa crate");
        assert_eq!((k.n().to_bytes_be(), k.e().to_bytes_be()), (n.to_vec(), e.to_vec()));
        assert_eq!(pkcs8::bits(n), k.n().bits());
    }
    let (_, der) = pkcs8::pem_decode(RSA_PEM).expect("PEM");
    let pem_of = |der: &[u8]| {
        let body = base64::engine::general_purpose::STANDARD.encode(der);
        format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
    };
    let mut trailing = der.to_vec();
    trailing.push(0);
    let mut v2 = der.to_vec();
    v2[6] = 2; // PrivateKeyInfo.version (after 30 82 LL LL 02 01)
    let damaged = [trailing, der[..der.len() - 10].to_vec(), der[..40].to_vec(), v2];
    for (i, d) in damaged.iter().enumerate() {
        let err = cfg("k", &pem_of(d), None).err().unwrap_or_default();
        assert!(err.contains("is not a valid RSA PKCS#8 key"), "case {i}: {err}");
        assert!(!leaks_key_material(&err), "case {i}: {err}");
    }
    // The same DER re-encoded (one long base64 line) is fine.
    assert!(cfg("k", &pem_of(&der), None).is_ok_and(|k| k.is_some()));
}

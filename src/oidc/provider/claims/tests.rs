use super::*;

#[test]
fn header_and_claims_exact() {
    let h: Value = serde_json::from_str(&header_json("k1")).unwrap_or_default();
    assert_eq!(h, json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}));

    let anon = MintRequest::anonymous("https://cat.example");
    let c: Value = serde_json::from_str(&claims_json("https://iss", &anon, 1000, 60, "j")).unwrap_or_default();
    assert_eq!(
        c,
        json!({"iss": "https://iss", "sub": "anonymous", "aud": "https://cat.example",
                   "iat": 1000, "nbf": 1000, "exp": 1060, "jti": "j"})
    );

    let s = MintRequest::session("u\"1", "aud", "reader", "https://idp");
    let c: Value = serde_json::from_str(&claims_json("https://iss", &s, 5, 60, "j")).unwrap_or_default();
    assert_eq!(c["sub"], "u\"1");
    assert_eq!(
        (c["role"].as_str(), c["idp"].as_str()),
        (Some("reader"), Some("https://idp"))
    );
}

#[test]
fn signing_input_is_two_base64url_parts() {
    let input = signing_input("{\"a\":1}", "{\"b\":\"?>\"}");
    let parts: Vec<&str> = input.split('.').collect();
    assert_eq!(parts.len(), 2);
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[0]).ok(), Some(b"{\"a\":1}".to_vec()));
    assert_eq!(URL_SAFE_NO_PAD.decode(parts[1]).ok(), Some(b"{\"b\":\"?>\"}".to_vec()));
    assert!(!input.contains(['=', '+', '/']));
    assert_eq!(compact("x.y", &[0xfb, 0xff]), "x.y.-_8");
}

#[test]
fn jti_is_22_chars_and_unique() {
    let mut seen = std::collections::HashSet::new();
    for _ in 0..1000 {
        let j = new_jti().unwrap_or_default();
        assert_eq!(j.len(), 22);
        assert!(j.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert!(seen.insert(j));
    }
}

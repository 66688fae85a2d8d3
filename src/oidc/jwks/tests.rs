use super::*;
use crate::testing::keys::{EC_KID, JWKS, RSA_KID};
use serde_json::json;

fn fixture() -> Value {
    serde_json::from_str(JWKS).unwrap_or_default()
}

fn with_keys(keys: Vec<Value>) -> String {
    json!({ "keys": keys }).to_string()
}

#[test]
fn parses_fixture() {
    let keys = parse_jwks(JWKS).expect("fixture");
    assert_eq!(keys.len(), 2);
    assert_eq!(
        (keys[0].kid(), keys[0].alg(), keys[0].key_type()),
        (RSA_KID, Some("RS256"), KeyType::Rsa)
    );
    assert_eq!(
        (keys[1].kid(), keys[1].alg(), keys[1].key_type()),
        (EC_KID, Some("ES256"), KeyType::P256)
    );
    assert!(keys[0].fits(Alg::Rs256) && !keys[0].fits(Alg::Es256));
    assert!(keys[1].fits(Alg::Es256) && !keys[1].fits(Alg::Rs256));
}

#[test]
fn use_alg_and_kid_rules() {
    let f = fixture();
    let (rsa, ec) = (f["keys"][0].clone(), f["keys"][1].clone());
    let edit = |k: &Value, name: &str, v: Option<Value>| {
        let mut k = k.clone();
        match (k.as_object_mut(), v) {
            (Some(m), Some(v)) => m.insert(name.into(), v),
            (Some(m), None) => m.remove(name),
            _ => None,
        };
        k
    };
    // `use` absent is fine (many IdPs omit it); `enc` or junk is skipped.
    let keys = parse_jwks(&with_keys(vec![edit(&rsa, "use", None), edit(&ec, "alg", None)])).expect("ok");
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[1].alg(), None);
    assert!(keys[1].fits(Alg::Es256));
    for bad in [json!("enc"), json!("SIG"), json!(null), json!(1)] {
        let doc = with_keys(vec![edit(&rsa, "use", Some(bad.clone())), ec.clone()]);
        let keys = parse_jwks(&doc).expect("ec left");
        assert_eq!(keys.len(), 1, "{bad}");
        assert_eq!(keys[0].kid(), EC_KID);
    }
    // No kid (or an empty / non-string one): skipped, tokens always name one.
    for kid in [None, Some(json!("")), Some(json!(5))] {
        let doc = with_keys(vec![edit(&rsa, "kid", kid.clone()), ec.clone()]);
        assert_eq!(parse_jwks(&doc).map(|k| k.len()).ok(), Some(1), "{kid:?}");
    }
    // A foreign alg is kept (the key is named) but never fits.
    let keys = parse_jwks(&with_keys(vec![edit(&rsa, "alg", Some(json!("RS512")))])).expect("kept");
    assert!(!keys[0].fits(Alg::Rs256));
    assert_eq!(
        parse_jwks(&with_keys(vec![edit(&rsa, "alg", Some(json!(256)))]))
            .map(|k| k.len())
            .ok(),
        None
    );
}

#[test]
fn unusable_key_types_skipped() {
    let f = fixture();
    let ec = f["keys"][1].clone();
    let others = vec![
        json!({"kty": "oct", "kid": "h", "k": "c2VjcmV0"}),
        json!({"kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
        json!({"kty": "EC", "kid": "p384", "crv": "P-384", "x": ec["x"], "y": ec["y"]}),
        json!({"kty": "EC", "kid": "off-curve", "crv": "P-256", "x": ec["x"], "y": ec["x"]}),
        json!({"kty": "EC", "kid": "short", "crv": "P-256", "x": "AAAA", "y": "AAAA"}),
        json!({"kty": "RSA", "kid": "no-e", "n": f["keys"][0]["n"]}),
        json!({"kty": "RSA", "kid": "bad-b64", "n": "!!!", "e": "AQAB"}),
        json!({"kty": "rsa", "kid": "case", "n": f["keys"][0]["n"], "e": "AQAB"}),
        json!({"kid": "no-kty"}),
        json!("not an object"),
        json!(null),
    ];
    let mut all = others.clone();
    all.push(ec.clone());
    let keys = parse_jwks(&with_keys(all)).expect("ec left");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kid(), EC_KID);
    assert!(parse_jwks(&with_keys(others)).is_err());
}

#[test]
fn rsa_modulus_at_least_2048_bits() {
    let f = fixture();
    let n = |bytes: Vec<u8>| base64::Engine::encode(&URL_SAFE_NO_PAD, bytes);
    let rsa = |kid: &str, modulus: Vec<u8>| json!({"kty": "RSA", "kid": kid, "n": n(modulus), "e": "AQAB"});
    // 1024 and 2047 bits (odd, top bit set where it belongs): skipped.
    let mut m2047 = vec![0xffu8; 256];
    m2047[0] = 0x7f;
    let keys = vec![rsa("1024", vec![0xff; 128]), rsa("2047", m2047), f["keys"][1].clone()];
    assert_eq!(parse_jwks(&with_keys(keys)).map(|k| k.len()).ok(), Some(1));
    // Leading zero bytes do not count as bits.
    let mut padded = vec![0u8; 8];
    padded.extend(vec![0xffu8; 128]);
    assert!(parse_jwks(&with_keys(vec![rsa("pad", padded)])).is_err());
    // 2048 and 4096 bits are fine; above 4096 the rsa crate refuses.
    let keys = vec![
        rsa("2048", vec![0xff; 256]),
        rsa("4096", vec![0xff; 512]),
        rsa("8192", vec![0xff; 1024]),
    ];
    let got = parse_jwks(&with_keys(keys)).expect("ok");
    assert_eq!(got.iter().map(Jwk::kid).collect::<Vec<_>>(), ["2048", "4096"]);
    let bits = |be: &[u8]| bit_len(strip_zeros(be));
    assert_eq!(bits(&[]), 0);
    assert_eq!(bits(&[0, 0]), 0);
    assert_eq!(bits(&[1]), 1);
    assert_eq!(bits(&[0, 0x80, 0]), 16);
}

#[test]
fn rsa_modulus_must_be_odd() {
    let mut even = vec![0xffu8; 256];
    even[255] = 0xfe;
    let doc = json!({"keys": [{"kty": "RSA", "kid": "even", "n": URL_SAFE_NO_PAD.encode(even), "e": "AQAB"}]});
    assert!(parse_jwks(&doc.to_string()).is_err());
}

#[test]
fn rsa_exponent_within_the_crate_bounds() {
    // Checked here, not by the verifier: WebCrypto on wasm must see the same set.
    let f = fixture();
    let rsa =
        |kid: &str, e: &[u8]| json!({"kty": "RSA", "kid": kid, "n": f["keys"][0]["n"], "e": URL_SAFE_NO_PAD.encode(e)});
    let keys = vec![
        rsa("zero", &[0]),
        rsa("one", &[1]),
        rsa("two", &[2]),
        rsa("three", &[3]),
        rsa("even", &[1, 0, 0]),
        rsa("f4", &[1, 0, 1]),
        rsa("padded", &[0, 0, 1, 0, 1]),
        rsa("max", &[1, 0xff, 0xff, 0xff, 0xff]),
        rsa("too-big", &[2, 0, 0, 0, 0]),
        rsa("nine-bytes", &[1, 0, 0, 0, 0, 0, 0, 0, 1]),
        rsa("empty", &[]),
    ];
    let got = parse_jwks(&with_keys(keys)).expect("ok");
    assert_eq!(
        got.iter().map(Jwk::kid).collect::<Vec<_>>(),
        ["three", "f4", "padded", "max"]
    );
    assert_eq!(
        got[2].public_key(),
        &PublicKey::Rsa {
            n: URL_SAFE_NO_PAD
                .decode(f["keys"][0]["n"].as_str().unwrap_or_default())
                .unwrap_or_default(),
            e: vec![1, 0, 1]
        }
    );
}

#[test]
fn private_members_ignored() {
    // A JWKS that leaks a private part still yields just the public key.
    let mut f = fixture();
    f["keys"][1]["d"] = json!("AAAA");
    f["keys"][0]["d"] = json!("AAAA");
    assert_eq!(parse_jwks(&f.to_string()).map(|k| k.len()).ok(), Some(2));
}

#[test]
fn document_errors() {
    for doc in [
        "",
        "nope",
        "[]",
        "{}",
        r#"{"keys": {}}"#,
        r#"{"keys": []}"#,
        r#"{"keys": null}"#,
    ] {
        assert!(parse_jwks(doc).is_err(), "{doc}");
    }
    let big = format!("{{\"keys\": [], \"pad\": \"{}\"}}", "x".repeat(MAX_JWKS_BYTES));
    assert!(matches!(parse_jwks(&big), Err(JwksError::TooLarge)));
}

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

use super::*;

const NOW: i64 = 1_795_317_720;
const K1: [u8; 32] = [1; 32];
const K2: [u8; 32] = [2; 32];
const K3: [u8; 32] = [3; 32];

fn session(akid: &str) -> Session {
    Session {
        access_key_id: akid.into(),
        secret_access_key: Secret::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        issuer: "https://token.actions.githubusercontent.com".into(),
        subject: "repo:org/repo:ref:refs/heads/main".into(),
        role: "_default".into(),
        ceiling: vec!["acme/*".into(), "acme/data/raw*".into()],
        session_name: "ci-run".into(),
        audience: "odp".into(),
        expires_at: NOW + 3600,
        claims: vec![("repository".into(), "o/r".into())],
        session_id: String::new(),
        policy: None,
    }
}

fn b64(k: [u8; 32]) -> String {
    STANDARD.encode(k)
}

fn same(a: &Session, b: &Session) {
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(a.secret_access_key.expose(), b.secret_access_key.expose());
}

#[test]
fn round_trip() {
    let keys = SessionKeys::new(K1, None);
    let s = session("ASIAAAAAAAAAAAAAAAAA");
    let token = seal(&keys, &s).unwrap();
    assert!(token.len() < 600, "{}", token.len());
    assert!(token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    same(&unseal(&keys, &token, &s.access_key_id, NOW).unwrap(), &s);
    // Fresh nonce per seal.
    assert_ne!(seal(&keys, &s).unwrap(), token);
}

#[test]
fn rotation_keeps_previous_tokens_open() {
    let old = SessionKeys::new(K1, None);
    let s = session("ASIABBBBBBBBBBBBBBBB");
    let token = seal(&old, &s).unwrap();
    let rotated = SessionKeys::new(K2, Some(K1));
    same(&unseal(&rotated, &token, &s.access_key_id, NOW).unwrap(), &s);
    // New tokens use the new active key, which the old config does not know.
    let fresh = seal(&rotated, &s).unwrap();
    assert_eq!(
        unseal(&old, &fresh, &s.access_key_id, NOW).unwrap_err(),
        SessionError::UnknownKey
    );
    // Two rotations later the token is dead.
    let twice = SessionKeys::new(K3, Some(K2));
    assert_eq!(
        unseal(&twice, &token, &s.access_key_id, NOW).unwrap_err(),
        SessionError::UnknownKey
    );
}

#[test]
fn every_bit_flip_fails() {
    let keys = SessionKeys::new(K1, None);
    let mut s = session("ASIACCCCCCCCCCCCCCCC");
    s.ceiling.clear();
    let token = seal(&keys, &s).unwrap();
    let raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    for bit in 0..raw.len() * 8 {
        let mut t = raw.clone();
        t[bit / 8] ^= 1 << (bit % 8);
        let err = unseal(&keys, &URL_SAFE_NO_PAD.encode(&t), &s.access_key_id, NOW).unwrap_err();
        let expected = match bit / 8 {
            0 => SessionError::Malformed,
            1..=4 => SessionError::UnknownKey,
            _ => SessionError::Invalid,
        };
        assert_eq!(err, expected, "bit {bit}");
    }
    // Flipping bits of the text itself (ASCII results only, since it is a &str).
    let text = token.as_bytes();
    for bit in 0..text.len() * 7 {
        let mut t = text.to_vec();
        t[bit / 7] ^= 1 << (bit % 7);
        let t = String::from_utf8(t).unwrap();
        assert!(unseal(&keys, &t, &s.access_key_id, NOW).is_err(), "text bit {bit}");
    }
}

#[test]
fn bound_to_access_key_id() {
    let keys = SessionKeys::new(K1, None);
    let s = session("ASIADDDDDDDDDDDDDDDD");
    let token = seal(&keys, &s).unwrap();
    for other in [
        "ASIADDDDDDDDDDDDDDDE",
        "",
        "asiadddddddddddddddd",
        "ASIADDDDDDDDDDDDDDDDD",
    ] {
        assert_eq!(
            unseal(&keys, &token, other, NOW).unwrap_err(),
            SessionError::Invalid,
            "{other}"
        );
    }
}

#[test]
fn expiry() {
    let keys = SessionKeys::new(K1, None);
    let s = session("ASIAEEEEEEEEEEEEEEEE");
    let token = seal(&keys, &s).unwrap();
    assert!(unseal(&keys, &token, &s.access_key_id, s.expires_at - 1).is_ok());
    for now in [s.expires_at, s.expires_at + 1, i64::MAX] {
        assert_eq!(
            unseal(&keys, &token, &s.access_key_id, now).unwrap_err(),
            SessionError::Expired
        );
    }
    // Wrong key id beats expiry: an expired forgery is still just invalid.
    assert_eq!(
        unseal(&keys, &token, "ASIAXXXXXXXXXXXXXXXX", i64::MAX).unwrap_err(),
        SessionError::Invalid
    );
}

#[test]
fn garbage_never_panics() {
    let keys = SessionKeys::new(K1, None);
    let token = seal(&keys, &session("ASIAFFFFFFFFFFFFFFFF")).unwrap();
    for cut in 0..token.len() {
        assert!(
            unseal(&keys, &token[..cut], "ASIAFFFFFFFFFFFFFFFF", NOW).is_err(),
            "cut {cut}"
        );
    }
    let short_valid_b64 = URL_SAFE_NO_PAD.encode([1u8; 32]);
    let header_only = URL_SAFE_NO_PAD.encode([1u8; 17]);
    let oversized = "A".repeat(MAX_TOKEN_LEN + 1);
    let cases = [
        "",
        "=",
        "====",
        "!!!!",
        "é☃🎉",
        " ",
        &format!("{token}="),
        &format!("{token}A"),
        &format!(" {token}"),
        &format!("+{}", &token[1..]),
        &short_valid_b64,
        &header_only,
        &oversized,
    ];
    for c in cases {
        let r = unseal(&keys, c, "ASIAFFFFFFFFFFFFFFFF", NOW);
        assert!(r.is_err(), "{c:.40}");
    }
    assert_eq!(
        unseal(&keys, &oversized, "x", NOW).unwrap_err(),
        SessionError::Malformed
    );
    assert_eq!(unseal(&keys, "", "x", NOW).unwrap_err(), SessionError::Malformed);
    // Version 2 is not ours (yet).
    let mut raw = URL_SAFE_NO_PAD.decode(&token).unwrap();
    raw[0] = 2;
    let v2 = URL_SAFE_NO_PAD.encode(&raw);
    assert_eq!(unseal(&keys, &v2, "x", NOW).unwrap_err(), SessionError::Malformed);
}

#[test]
fn oversized_session_is_refused_at_seal_time() {
    let keys = SessionKeys::new(K1, None);
    let mut s = session("ASIAGGGGGGGGGGGGGGGG");
    s.ceiling = vec!["acct/product/prefix*".to_string(); 200];
    assert!(matches!(seal(&keys, &s), Err(SessionError::Seal(_))));
}

#[test]
fn sealed_len_is_exact() {
    let keys = SessionKeys::new(K1, None);
    let mut s = session("ASIAGGGGGGGGGGGGGGGG");
    for n in (0..1000).step_by(7) {
        s.subject = "\"é".repeat(n);
        let want = sealed_len(&s).unwrap();
        match seal(&keys, &s) {
            Ok(t) => assert_eq!(t.len(), want, "{n}"),
            Err(_) => assert!(want > MAX_TOKEN_LEN, "{n}: {want}"),
        }
    }
}

#[test]
fn secrets_never_in_debug() {
    let s = session("ASIAHHHHHHHHHHHHHHHH");
    let dbg = format!("{s:?} {s:#?}");
    assert!(!dbg.contains("EXAMPLEKEY"), "{dbg}");
    assert!(dbg.contains("ASIAHHHHHHHHHHHHHHHH"));

    let keys = SessionKeys::from_config(Some(&b64([0xAB; 32])), Some(&b64([0xCD; 32])))
        .unwrap()
        .unwrap();
    let dbg = format!("{keys:?} {keys:#?}");
    for needle in ["171, 171", "abababab", "q6ur", "205, 205", "cdcdcdcd", "zc3N"] {
        assert!(
            !dbg.to_ascii_lowercase().contains(&needle.to_ascii_lowercase()),
            "{needle}: {dbg}"
        );
    }
    assert!(dbg.contains(&hex::encode(keys.active.id())), "{dbg}");
}

#[test]
fn key_id_is_sha256_prefix() {
    let k = SessionKey::new(K1);
    let d = Sha256::digest(K1);
    assert_eq!(k.id(), [d[0], d[1], d[2], d[3]]);
    assert_ne!(SessionKey::new(K2).id(), k.id());
}

#[test]
fn config_parsing() {
    let (a, p) = (b64(K1), b64(K2));
    assert!(SessionKeys::from_config(None, None).unwrap().is_none());
    assert!(SessionKeys::from_config(Some("  "), Some("")).unwrap().is_none());

    let keys = SessionKeys::from_config(Some(&format!(" {a}\n")), None)
        .unwrap()
        .unwrap();
    assert_eq!(keys.active.id(), SessionKey::new(K1).id());
    assert!(keys.previous.is_none() && keys.warnings().is_empty());

    let keys = SessionKeys::from_config(Some(&a), Some(&p)).unwrap().unwrap();
    assert_eq!(
        keys.previous.as_ref().map(SessionKey::id),
        Some(SessionKey::new(K2).id())
    );

    // Unpadded and URL-safe spellings of the same key are accepted.
    let k = [0xFB; 32];
    let std_b64 = STANDARD.encode(k);
    assert!(std_b64.contains('+') || std_b64.contains('/'));
    for spelling in [
        std_b64.clone(),
        std_b64.trim_end_matches('=').into(),
        URL_SAFE_NO_PAD.encode(k),
    ] {
        let keys = SessionKeys::from_config(Some(&spelling), None).unwrap().unwrap();
        assert_eq!(keys.active.id(), SessionKey::new(k).id(), "{spelling}");
    }

    // Same key twice: accepted, previous dropped, one warning.
    let keys = SessionKeys::from_config(Some(&a), Some(&a)).unwrap().unwrap();
    assert!(keys.previous.is_none());
    assert_eq!(keys.warnings().len(), 1);

    let short = STANDARD.encode([1u8; 16]);
    for (active, previous, needle) in [
        (Some("not base64!"), None, "SESSION_TOKEN_KEY is not valid base64"),
        (Some(short.as_str()), None, "decodes to 16 bytes, expected 32"),
        (
            Some(a.as_str()),
            Some("%%%"),
            "SESSION_TOKEN_KEY_PREVIOUS is not valid base64",
        ),
        (
            Some(a.as_str()),
            Some(short.as_str()),
            "SESSION_TOKEN_KEY_PREVIOUS decodes to 16 bytes",
        ),
        (None, Some(p.as_str()), "SESSION_TOKEN_KEY is not"),
    ] {
        let err = SessionKeys::from_config(active, previous).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
        assert!(!err.contains(&short) && !err.contains(&a) && !err.contains(&p), "{err}");
    }
}

#[test]
fn credential_shapes() {
    for _ in 0..50 {
        let id = new_access_key_id().unwrap();
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("ASIA"));
        assert!(id[4..].bytes().all(|b| BASE32.contains(&b)), "{id}");
        let secret = new_secret().unwrap();
        assert_eq!(secret.expose().len(), 40);
        assert_eq!(STANDARD.decode(secret.expose()).unwrap().len(), 30);
    }
    let (a, b) = (new_credentials().unwrap(), new_credentials().unwrap());
    assert_ne!(a.0, b.0);
    assert_ne!(a.1.expose(), b.1.expose());
}

/// The sealed JSON, read by hand (src/json.rs): repeated keys, wrong types and missing
/// fields are refused (the token answers `Invalid`); unknown fields are ignored.
#[test]
fn sealed_json_shape() {
    let ok = r#"{"k":"A","s":"S","i":"I","u":"U","r":"R","c":["*"],"n":"N","a":"A","e":5"#;
    let read = |rest: &str| Session::from_json(format!("{ok}{rest}}}").as_bytes()).map_err(|e| e.to_string());
    let s = read(r#","x":1,"q":{"h":"d","z":[]}"#).unwrap();
    assert_eq!((s.expires_at, s.policy.unwrap().read.len(), s.claims.len()), (5, 0, 0));
    assert!(read(r#","q":null"#).unwrap().policy.is_none());
    let e = read(r#","k":"B""#).unwrap_err();
    assert!(e.starts_with("repeated key \"k\""), "{e}");
    assert!(read(r#","q":{"h":"d","h":"e"}"#)
        .unwrap_err()
        .starts_with("repeated key \"h\""));
    assert_eq!(
        read(r#","p":[["a"]]"#).unwrap_err(),
        "p[0]: expected a [name, value] pair"
    );
    assert_eq!(read(r#","d":null"#).unwrap_err(), "d: expected a string");
    assert_eq!(read(r#","q":{"g":[]}"#).unwrap_err(), "q.h: missing");
    let e = Session::from_json(br#"{"k":"A","s":"S","i":"I","u":"U","r":"R","c":["*"],"n":"N","a":"A","e":5.0}"#);
    assert!(e.unwrap_err().to_string().starts_with("e: expected an integer"));
    let e = Session::from_json(br#"{"k":"A","i":"I","u":"U","r":"R","c":["*"],"n":"N","a":"A","e":5}"#);
    assert_eq!(e.unwrap_err().to_string(), "s: missing");
    let e =
        Session::from_json(br#"{"k":"A","s":["TOPSECRET"],"i":"I","u":"U","r":"R","c":["*"],"n":"N","a":"A","e":5}"#);
    assert_eq!(e.unwrap_err().to_string(), "s: expected a string");
}

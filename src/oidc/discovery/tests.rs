use super::*;
use serde_json::json;

const ISS: &str = "https://idp.example.com";

fn doc(issuer: &str, jwks_uri: &str) -> String {
    json!({"issuer": issuer, "jwks_uri": jwks_uri, "id_token_signing_alg_values_supported": ["RS256"]}).to_string()
}

#[test]
fn discovery_urls() {
    assert_eq!(
        discovery_url("https://idp.example.com"),
        "https://idp.example.com/.well-known/openid-configuration"
    );
    assert_eq!(
        discovery_url("https://idp.example.com/"),
        "https://idp.example.com/.well-known/openid-configuration"
    );
    assert_eq!(
        discovery_url("https://idp.example.com/tenant/v2.0/"),
        "https://idp.example.com/tenant/v2.0/.well-known/openid-configuration"
    );
    assert_eq!(
        discovery_url("http://127.0.0.1:9000"),
        "http://127.0.0.1:9000/.well-known/openid-configuration"
    );
}

#[test]
fn parses_good_document() {
    let d = parse_discovery(&doc(ISS, "https://idp.example.com/keys"), ISS, false);
    assert_eq!(
        d.ok(),
        Some(Discovery {
            issuer: ISS.into(),
            jwks_uri: "https://idp.example.com/keys".into()
        })
    );
    // Keys may live on another https host (Google does this) and take a query.
    assert!(parse_discovery(&doc(ISS, "https://keys.example.net:8443/jwks?v=2"), ISS, false).is_ok());
}

#[test]
fn issuer_must_equal_exactly() {
    for other in [
        "https://evil.example",
        "https://idp.example.com/",
        "https://IDP.example.com",
        "",
    ] {
        let r = parse_discovery(&doc(other, "https://idp.example.com/keys"), ISS, false);
        assert!(r.is_err(), "{other:?}");
    }
    let no_issuer = json!({"jwks_uri": "https://idp.example.com/keys"}).to_string();
    assert!(parse_discovery(&no_issuer, ISS, false).is_err());
    let num_issuer = json!({"issuer": 1, "jwks_uri": "https://idp.example.com/keys"}).to_string();
    assert!(parse_discovery(&num_issuer, ISS, false).is_err());
    assert!(parse_discovery(&doc("", "https://idp.example.com/keys"), "", false).is_err());
}

#[test]
fn jwks_uri_rules() {
    for bad in [
        "http://idp.example.com/keys",
        "http://10.0.0.1/keys",
        "ftp://idp.example.com/keys",
        "file:///etc/passwd",
        "//idp.example.com/keys",
        "/keys",
        "",
        "https://",
        "https:///keys",
        "https://idp.example.com/keys#frag",
        "https://user@idp.example.com/keys",
        "https://idp.example.com\\@evil/keys",
        "https://idp.example.com /keys",
        "https://idp.example.com:99999999/keys",
        "https://idp.example.com:/keys",
        "https://idp.example.com:x/keys",
        "HTTPS://idp.example.com/keys",
        "https://idé.example.com/keys",
        "https://idp.example.com/keys\n",
    ] {
        let r = parse_discovery(&doc(ISS, bad), ISS, false);
        assert!(r.is_err(), "{bad:?}");
    }
    let missing = json!({"issuer": ISS}).to_string();
    assert!(parse_discovery(&missing, ISS, false).is_err());
    let non_string = json!({"issuer": ISS, "jwks_uri": ["https://a/b"]}).to_string();
    assert!(parse_discovery(&non_string, ISS, false).is_err());
    for garbage in ["", "null", "[]", "{", "\"x\""] {
        assert!(parse_discovery(garbage, ISS, false).is_err(), "{garbage:?}");
    }
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(MAX_JWKS_BYTES));
    assert!(parse_discovery(&big, ISS, false).is_err());
}

#[test]
fn loopback_only_when_allowed() {
    let local = "http://127.0.0.1:9000";
    for uri in [
        "http://127.0.0.1:9000/jwks",
        "http://127.0.0.1/jwks",
        "http://localhost:9000/jwks",
        "http://LOCALHOST:9000/jwks",
        "http://[::1]:9000/jwks",
        "http://[::1]/jwks",
    ] {
        assert!(parse_discovery(&doc(local, uri), local, true).is_ok(), "{uri}");
        assert!(parse_discovery(&doc(local, uri), local, false).is_err(), "{uri}");
    }
    for uri in [
        "http://127.0.0.2/jwks",
        "http://127.1/jwks",
        "http://localhost.evil.com/jwks",
        "http://localhost@evil.com/jwks",
        "http://evil.com@localhost/jwks",
        "http://evil.com\\@localhost/jwks",
        "http://localhost\\.evil.com/jwks",
        "http://[::1].evil.com/jwks",
        "http://[::1]x/jwks",
        "http://[::2]/jwks",
        "http://0.0.0.0/jwks",
        "http://localhost:/jwks",
        "http://::1/jwks",
    ] {
        assert!(parse_discovery(&doc(local, uri), local, true).is_err(), "{uri}");
    }
}

#[test]
fn issuers() {
    assert!(issuer_allowed("https://token.actions.githubusercontent.com", false));
    assert!(issuer_allowed("https://login.microsoftonline.com/tenant/v2.0", false));
    assert!(issuer_allowed("https://idp.example.com:8443", false));
    for bad in [
        "http://idp.example.com",
        "accounts.google.com",
        "https://idp.example.com?x=1",
        "https://idp.example.com#f",
        "https://u:p@idp.example.com",
        "",
        "https://",
    ] {
        assert!(!issuer_allowed(bad, false), "{bad:?}");
        assert!(!issuer_allowed(bad, true), "{bad:?}");
    }
    assert!(!issuer_allowed("http://127.0.0.1:9000", false));
    assert!(issuer_allowed("http://127.0.0.1:9000", true));
    assert!(issuer_allowed("http://localhost:9000/realms/dev", true));
    assert!(!issuer_allowed("http://192.168.1.1:9000", true));
}

//! Reading an ID token WITHOUT verifying it.
//!
//! [`peek`] exists so the caller can match `iss` against the role's trusted
//! issuers before fetching anything: an attacker must not be able to make the
//! proxy contact a URL of their choosing. Nothing returned here is trusted.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::TokenError;

/// The longest token accepted (`WebIdentityToken` is 4–20000 chars).
/// Checked before any decoding so that work is bounded.
pub const MAX_TOKEN_LEN: usize = 20_000;

/// The only signature algorithms accepted. Asymmetric only: with HS256 the
/// "secret" would be the IdP's public key, and `none` has no signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }

    /// Exact, case-sensitive match (JWA names are case-sensitive).
    fn from_name(name: &str) -> Option<Self> {
        match name {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }
}

/// What the caller needs before any network call. Unverified!
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peeked {
    pub alg: Alg,
    pub kid: String,
    pub iss: String,
}

/// A parsed (unverified) token: the peeked header fields and the whole claim
/// set, which `verify` reuses once the signature over it has been checked.
pub(crate) struct Parsed {
    pub peeked: Peeked,
    pub claims: Map<String, Value>,
}

/// Parses a token without verifying it. See the module comment.
pub fn peek(token: &str) -> Result<Peeked, TokenError> {
    parse(token).map(|p| p.peeked)
}

/// Checks are ordered so the most telling reason wins (an `alg: none` token
/// usually has an empty signature, and is reported as `UnsupportedAlg`).
pub(crate) fn parse(token: &str) -> Result<Parsed, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };

    let header = json_object(header)?;
    let alg = match header.get("alg") {
        Some(Value::String(name)) => Alg::from_name(name).ok_or(TokenError::UnsupportedAlg)?,
        _ => return Err(TokenError::Malformed),
    };
    // `crit` names extensions we would have to understand (RFC 7515 4.1.11):
    // we understand none. `cty` would announce a nested JWT or non-JSON claims.
    if header.contains_key("crit") || header.contains_key("cty") {
        return Err(TokenError::UnsupportedHeader);
    }
    // Explicit typing (RFC 8725 3.11): another kind of JWT from the same
    // issuer (an access token is `at+jwt`) is not an ID token. `jku`, `x5u`,
    // `jwk` and `x5c` are never read: keys come from the issuer's discovery.
    match header.get("typ") {
        None => {}
        Some(Value::String(t)) if t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("application/jwt") => {}
        Some(_) => return Err(TokenError::UnsupportedHeader),
    }
    let kid = match header.get("kid") {
        Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
        _ => return Err(TokenError::MissingKid),
    };

    let claims = json_object(payload)?;
    let iss = match claims.get("iss") {
        Some(Value::String(iss)) => iss.clone(),
        _ => return Err(TokenError::Malformed),
    };

    // The signature itself is checked by `verify`; here it only has to exist.
    if signature.is_empty() || URL_SAFE_NO_PAD.decode(signature).is_err() {
        return Err(TokenError::Malformed);
    }
    Ok(Parsed {
        peeked: Peeked { alg, kid, iss },
        claims,
    })
}

/// One base64url (unpadded, canonical) part holding a JSON object, whose
/// objects never repeat a member name (at any depth). serde_json bounds the
/// nesting (128 levels), so the work is linear in the part's size.
fn json_object(part: &str) -> Result<Map<String, Value>, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)?;
    let mut de = serde_json::Deserializer::from_slice(&bytes);
    let parsed = Unique::deserialize(&mut de).and_then(|u| de.end().map(|()| u.0));
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Err(e) if e.to_string().starts_with(DUPLICATE) => Err(TokenError::DuplicateMember),
        _ => Err(TokenError::Malformed),
    }
}

/// Parses JSON text whose objects never repeat a member name (at any
/// depth, nesting bounded by serde_json at 128 levels). `Err(true)`: a
/// repeated name; `Err(false)`: not JSON. Session policies use it too.
pub(crate) fn unique_json(bytes: &[u8]) -> Result<Value, bool> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    match Unique::deserialize(&mut de).and_then(|u| de.end().map(|()| u.0)) {
        Ok(v) => Ok(v),
        Err(e) => Err(e.to_string().starts_with(DUPLICATE)),
    }
}

const DUPLICATE: &str = "duplicate member";

/// A JSON value whose objects have unique member names: serde_json's own
/// `Value` silently keeps the last of two, which another parser may not.
struct Unique(Value);

impl<'de> Deserialize<'de> for Unique {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(Unique)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(Unique(v)) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            let Unique(v) = map.next_value()?;
            if out.insert(k, v).is_some() {
                return Err(de::Error::custom(DUPLICATE));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::testkeys::{b64, raw_token};
    use serde_json::json;

    fn header(alg: &str) -> Value {
        json!({"alg": alg, "kid": "k1", "typ": "JWT"})
    }

    fn claims() -> Value {
        json!({"iss": "https://idp.example", "sub": "s"})
    }

    #[test]
    fn peeks_alg_kid_iss() {
        let t = raw_token(&header("RS256"), &claims(), b"sig");
        assert_eq!(
            peek(&t),
            Ok(Peeked {
                alg: Alg::Rs256,
                kid: "k1".into(),
                iss: "https://idp.example".into()
            })
        );
        let t = raw_token(&header("ES256"), &claims(), b"sig");
        assert_eq!(peek(&t).map(|p| p.alg), Ok(Alg::Es256));
        assert_eq!(Alg::Rs256.as_str(), "RS256");
        assert_eq!(Alg::Es256.as_str(), "ES256");
    }

    #[test]
    fn rejects_other_algs() {
        for alg in [
            "none", "None", "NONE", "HS256", "HS384", "HS512", "PS256", "RS384", "RS512", "ES384", "ES512", "EdDSA",
            "rs256", "RS256 ", "",
        ] {
            let t = raw_token(&header(alg), &claims(), b"sig");
            assert_eq!(peek(&t), Err(TokenError::UnsupportedAlg), "{alg}");
        }
        // `alg: none` with the usual empty signature.
        let t = format!("{}.{}.", b64(&header("none").to_string()), b64(&claims().to_string()));
        assert_eq!(peek(&t), Err(TokenError::UnsupportedAlg));
        for alg in [json!(null), json!(256), json!(["RS256"])] {
            let t = raw_token(&json!({"alg": alg, "kid": "k"}), &claims(), b"sig");
            assert_eq!(peek(&t), Err(TokenError::Malformed));
        }
        let t = raw_token(&json!({"kid": "k"}), &claims(), b"sig");
        assert_eq!(peek(&t), Err(TokenError::Malformed));
    }

    #[test]
    fn kid_required() {
        for kid in [
            None,
            Some(json!("")),
            Some(json!(null)),
            Some(json!(7)),
            Some(json!(["k"])),
        ] {
            let mut h = json!({"alg": "RS256"});
            if let Some(kid) = kid {
                h["kid"] = kid;
            }
            assert_eq!(
                peek(&raw_token(&h, &claims(), b"s")),
                Err(TokenError::MissingKid),
                "{h}"
            );
        }
    }

    #[test]
    fn crit_and_cty_rejected() {
        for extra in [
            json!({"crit": ["b64"], "b64": false}),
            json!({"crit": []}),
            json!({"cty": "JWT"}),
        ] {
            let mut h = json!({"alg": "RS256", "kid": "k"});
            if let (Some(m), Some(e)) = (h.as_object_mut(), extra.as_object()) {
                m.extend(e.clone());
            }
            assert_eq!(
                peek(&raw_token(&h, &claims(), b"s")),
                Err(TokenError::UnsupportedHeader),
                "{h}"
            );
        }
    }

    /// RFC 8725 3.11: a JWT of another kind (an access token, `at+jwt`; a
    /// logout token) must not pass for an ID token. ID tokens say `JWT` or nothing.
    #[test]
    fn typ_must_say_jwt() {
        for ok in [
            None,
            Some(json!("JWT")),
            Some(json!("jwt")),
            Some(json!("application/jwt")),
        ] {
            let mut h = json!({"alg": "RS256", "kid": "k"});
            if let Some(t) = ok.clone() {
                h["typ"] = t;
            }
            assert!(peek(&raw_token(&h, &claims(), b"s")).is_ok(), "{ok:?}");
        }
        for bad in [
            json!("at+jwt"),
            json!("application/at+jwt"),
            json!("logout+jwt"),
            json!("JOSE"),
            json!(""),
            json!(7),
        ] {
            let h = json!({"alg": "RS256", "kid": "k", "typ": bad});
            assert_eq!(
                peek(&raw_token(&h, &claims(), b"s")),
                Err(TokenError::UnsupportedHeader),
                "{bad}"
            );
        }
    }

    /// RFC 7519 4: claim names must be unique, and parsers disagree on which
    /// of two wins (first or last): a token that repeats one is refused, in
    /// the header too and at any depth, however the name is escaped.
    #[test]
    fn duplicate_members_are_refused() {
        let h = b64(&header("RS256").to_string());
        let c = b64(&claims().to_string());
        let cases = [
            format!("{}.{c}.c2ln", b64(r#"{"alg":"none","alg":"RS256","kid":"k"}"#)),
            format!("{}.{c}.c2ln", b64(r#"{"alg":"RS256","kid":"a","kid":"b"}"#)),
            format!(
                "{h}.{}.c2ln",
                b64(r#"{"iss":"https://idp.example","sub":"bob","sub":"alice"}"#)
            ),
            format!(
                "{h}.{}.c2ln",
                b64(r#"{"iss":"https://idp.example","sub":"a","\u0073ub":"b"}"#)
            ),
            format!(
                "{h}.{}.c2ln",
                b64(r#"{"iss":"https://idp.example","x":[{"a":1,"a":2}]}"#)
            ),
        ];
        for t in &cases {
            assert_eq!(peek(t), Err(TokenError::DuplicateMember), "{t}");
        }
        // The same names in different objects are fine.
        let t = format!(
            "{h}.{}.c2ln",
            b64(r#"{"iss":"https://idp.example","a":{"iss":1},"b":[{"iss":2}]}"#)
        );
        assert!(peek(&t).is_ok());
    }

    /// Nesting is bounded by the parser (128 levels), well inside the token's size.
    #[test]
    fn deep_nesting_is_refused() {
        let h = b64(&header("RS256").to_string());
        for depth in [200, 6000] {
            let payload = format!(
                "{{\"iss\":\"https://idp.example\",\"x\":{}{}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            );
            let t = format!("{h}.{}.c2ln", b64(&payload));
            assert!(t.len() <= MAX_TOKEN_LEN);
            assert_eq!(peek(&t), Err(TokenError::Malformed), "{depth}");
        }
        let payload = format!(
            "{{\"iss\":\"https://idp.example\",\"x\":{}{}}}",
            "[".repeat(100),
            "]".repeat(100)
        );
        assert!(peek(&format!("{h}.{}.c2ln", b64(&payload))).is_ok());
    }

    #[test]
    fn iss_required_string() {
        for c in [
            json!({"sub": "s"}),
            json!({"iss": 1}),
            json!({"iss": null}),
            json!({"iss": ["a"]}),
        ] {
            assert_eq!(
                peek(&raw_token(&header("RS256"), &c, b"s")),
                Err(TokenError::Malformed),
                "{c}"
            );
        }
    }

    #[test]
    fn garbage_never_panics() {
        let h = b64(&header("RS256").to_string());
        let c = b64(&claims().to_string());
        let cases = [
            String::new(),
            ".".into(),
            "..".into(),
            "...".into(),
            "a.b".into(),
            "a.b.c.d".into(),
            format!("{h}.{c}"),
            format!("{h}.{c}.c2ln.x"),
            format!("{h}.{c}."),
            format!("{h}..c2ln"),
            format!(".{c}.c2ln"),
            format!("{h}.{c}.c2ln="),  // padding is not base64url-unpadded
            format!("{h}=.{c}.c2ln"),  // padding in the header
            format!("{h}.{c}.c2l+"),   // standard (not url-safe) alphabet
            format!("{h}.{c}.c2lu!"),  // not base64 at all
            format!("{h}.{c}.a"),      // impossible length
            format!("{h}.{c}.c2ln\n"), // trailing newline
            format!(" {h}.{c}.c2ln"),  // leading space
            format!("{}.{c}.c2ln", b64("not json")),
            format!("{}.{c}.c2ln", b64("[1,2]")),
            format!("{}.{c}.c2ln", b64("\"RS256\"")),
            format!("{h}.{}.c2ln", b64("not json")),
            format!("{h}.{}.c2ln", b64("[]")),
            format!("{h}.{}.c2ln", b64("null")),
            format!("{}.{c}.c2ln", URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x7b])), // invalid UTF-8
            "é.é.é".into(),
            "\u{0}.\u{0}.\u{0}".into(),
        ];
        for t in &cases {
            assert_eq!(peek(t), Err(TokenError::Malformed), "{t:?}");
        }
    }

    #[test]
    fn non_canonical_base64_rejected() {
        // "c2ln" is "sig"; "c2lo" has non-zero trailing bits in a 2-char
        // tail: "c2k" decodes to "si" but "c2l" leaves bits set.
        let t = raw_token(&header("RS256"), &claims(), b"sig");
        let (head, _) = t.rsplit_once('.').unwrap_or_default();
        assert!(peek(&format!("{head}.c2k")).is_ok());
        assert_eq!(peek(&format!("{head}.c2l")), Err(TokenError::Malformed));
    }

    #[test]
    fn size_limit() {
        let pad = "x".repeat(MAX_TOKEN_LEN);
        let big = raw_token(&header("RS256"), &json!({"iss": "https://i", "pad": pad}), b"s");
        assert!(big.len() > MAX_TOKEN_LEN);
        assert_eq!(peek(&big), Err(TokenError::Malformed));
        // Exactly at the limit is fine: pad the signature part ("AAAA" is
        // canonical base64url) up to MAX_TOKEN_LEN characters.
        let at_limit = (0..4)
            .map(|n| raw_token(&header("RS256"), &json!({"iss": "https://i", "p": "x".repeat(n)}), b""))
            .map(|t| t.trim_end_matches('.').to_string())
            .find_map(|head| {
                let rem = MAX_TOKEN_LEN - head.len() - 1;
                (rem % 4 != 1).then(|| format!("{head}.{}", "A".repeat(rem)))
            })
            .unwrap_or_default();
        assert_eq!(at_limit.len(), MAX_TOKEN_LEN);
        assert!(peek(&at_limit).is_ok());
        assert_eq!(peek(&format!("{at_limit}AA")), Err(TokenError::Malformed));
        // A megabyte of dots is refused without work.
        assert_eq!(peek(&".".repeat(1 << 20)), Err(TokenError::Malformed));
    }
}

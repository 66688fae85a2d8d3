//! The verifier against botocore's vectors (tests/vectors/sigv4_botocore.json),
//! rebuilt as a server receives them, plus tampering, time and garbage cases.

use serde_json::Value;

use crate::sigv4::verify::*;
use crate::sigv4::{sign, uri_encode, Credentials, SignableRequest};

fn vectors() -> Vec<Value> {
    let doc: Value = serde_json::from_str(include_str!("../../../../tests/vectors/sigv4_botocore.json")).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing")).to_string()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    let pair = |p: &Value| (p[0].as_str().unwrap().to_string(), p[1].as_str().unwrap().to_string());
    v.as_array().map(|a| a.iter().map(pair).collect()).unwrap_or_default()
}

/// The raw query a client sends for decoded pairs (botocore: quote(safe='-_.~')).
fn raw_query(query: &[(String, String)]) -> String {
    let parts: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
        .collect();
    parts.join("&")
}

/// A vector as the server receives it, with an unsigned header on top.
fn request(v: &Value) -> Request {
    let (path, query) = if v["kind"] == "presign" {
        let url = s(v, "url");
        let (before, query) = url.split_once('?').unwrap();
        let after_scheme = &before[before.find("://").unwrap() + 3..];
        (
            after_scheme[after_scheme.find('/').unwrap()..].to_string(),
            query.to_string(),
        )
    } else {
        (s(v, "path"), raw_query(&pairs(&v["query"])))
    };
    let mut req = Request::new(&s(v, "method"), &path, &query)
        .with_header("Host", &s(v, "host"))
        .with_header("User-Agent", "Boto3/1.0 unsigned");
    for (n, val) in pairs(&v["headers"]) {
        // Header vectors repeat the body hash in "expected".
        if !(v["kind"] == "header" && n.eq_ignore_ascii_case("x-amz-content-sha256")) {
            req = req.with_header(&n, &val);
        }
    }
    if let Some(expected) = v["expected"].as_object() {
        for (n, val) in expected {
            req = req.with_header(n, val.as_str().unwrap());
        }
    }
    req
}

fn unix(v: &Value) -> i64 {
    v["unix"].as_i64().unwrap()
}

fn check(req: &Request, secret: &str, now: i64) -> Result<ParsedAuth, AuthError> {
    let auth = parse(req)?.ok_or(AuthError::MalformedHeader("anonymous"))?;
    verify(req, &auth, secret, now).map(|()| auth)
}

fn set_header(req: &Request, name: &str, value: &str) -> Request {
    let mut r = req.clone();
    r.headers.set(name, value);
    r
}

fn replace_query(req: &Request, from: &str, to: &str) -> Request {
    assert!(req.query.contains(from), "{from} not in {}", req.query);
    Request {
        query: req.query.replacen(from, to, 1),
        ..req.clone()
    }
}

fn tamper_auth(req: &Request, from: &str, to: &str) -> Request {
    let a = req.headers.get("authorization").unwrap();
    assert!(a.contains(from), "{from} not in {a}");
    set_header(req, "authorization", &a.replacen(from, to, 1))
}

#[test]
fn botocore_vectors_verify() {
    let (mut headers, mut presigned) = (0, 0);
    for v in vectors() {
        let name = s(&v, "name");
        let req = request(&v);
        let auth = check(&req, &s(&v, "secret_access_key"), unix(&v)).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(auth.access_key_id, s(&v, "access_key_id"), "{name}");
        assert_eq!(auth.region, s(&v, "region"), "{name}");
        assert_eq!(auth.amz_date, unix(&v), "{name}");
        assert_eq!(auth.security_token.as_deref(), v["session_token"].as_str(), "{name}");
        assert_eq!(auth.presigned, v["kind"] == "presign", "{name}");
        if auth.presigned {
            assert_eq!(auth.expires, v["expires"].as_i64(), "{name}");
            presigned += 1;
        } else {
            assert_eq!(auth.expires, None);
            headers += 1;
        }
    }
    assert_eq!((headers, presigned), (15, 5));
}

#[test]
fn tampering_is_detected() {
    for v in vectors() {
        let name = s(&v, "name");
        let (req, secret, now) = (request(&v), s(&v, "secret_access_key"), unix(&v));
        let auth = check(&req, &secret, now).unwrap();
        let mismatch = |r: &Request, what: &str| {
            assert_eq!(
                check(r, &secret, now).map(|_| ()),
                Err(AuthError::SignatureDoesNotMatch),
                "{name}: {what}"
            );
        };

        mismatch(
            &Request {
                path: format!("{}x", req.path),
                ..req.clone()
            },
            "path",
        );
        if req.path != req.path.to_uppercase() {
            mismatch(
                &Request {
                    path: req.path.to_uppercase(),
                    ..req.clone()
                },
                "path case",
            );
        }
        // Decoding or re-encoding the path would change what was signed.
        mismatch(
            &Request {
                path: req.path.replace("%2F", "/").replace('/', "%2F"),
                ..req.clone()
            },
            "path encoding",
        );
        mismatch(
            &Request {
                method: "PATCH".into(),
                ..req.clone()
            },
            "method",
        );
        let sep = if req.query.is_empty() { "" } else { "&" };
        mismatch(
            &Request {
                query: format!("{}{sep}extra=1", req.query),
                ..req.clone()
            },
            "added param",
        );
        mismatch(&set_header(&req, "host", "evil.example"), "host");
        assert_eq!(
            check(&req, "wrong-secret", now).unwrap_err(),
            AuthError::SignatureDoesNotMatch
        );
        // Unsigned headers may change freely.
        assert!(
            check(&set_header(&req, "user-agent", "other"), &secret, now).is_ok(),
            "{name}"
        );

        let flipped = if auth.signature.starts_with('0') { "1" } else { "0" };
        let other_region = if auth.region == "eu-west-3" {
            "us-east-1"
        } else {
            "eu-west-3"
        };
        let scope_date = format!("{}/{}/", auth.date8, auth.region);
        let other_day = format!(
            "{}/{}/",
            format_amz(auth.amz_date + 86_400).get(..8).unwrap(),
            auth.region
        );
        if auth.presigned {
            let sig = format!("X-Amz-Signature={}", auth.signature);
            mismatch(
                &replace_query(
                    &req,
                    &sig,
                    &format!("X-Amz-Signature={flipped}{}", &auth.signature[1..]),
                ),
                "sig",
            );
            let date = format!("X-Amz-Date={}", format_amz(auth.amz_date));
            let later = format!("X-Amz-Date={}", format_amz(auth.amz_date + 1));
            mismatch(&replace_query(&req, &date, &later), "date");
            mismatch(
                &replace_query(
                    &req,
                    &format!("%2F{}%2F", auth.region),
                    &format!("%2F{other_region}%2F"),
                ),
                "region",
            );
            let enc = |x: &str| x.replace('/', "%2F");
            let r = replace_query(&req, &enc(&scope_date), &enc(&other_day));
            assert!(
                matches!(check(&r, &secret, now), Err(AuthError::MalformedQuery(_))),
                "{name}: scope date"
            );
            let e = format!("X-Amz-Expires={}", auth.expires.unwrap());
            mismatch(&replace_query(&req, &e, "X-Amz-Expires=1"), "expires");
            mismatch(
                &replace_query(
                    &req,
                    "X-Amz-SignedHeaders=host",
                    "X-Amz-SignedHeaders=host%3Buser-agent",
                ),
                "sh",
            );
        } else {
            let sig = format!("Signature={}", auth.signature);
            mismatch(
                &tamper_auth(&req, &sig, &format!("Signature={flipped}{}", &auth.signature[1..])),
                "sig",
            );
            mismatch(&set_header(&req, "x-amz-date", &format_amz(auth.amz_date + 1)), "date");
            mismatch(
                &tamper_auth(&req, &format!("/{}/", auth.region), &format!("/{other_region}/")),
                "region",
            );
            let r = tamper_auth(&req, &scope_date, &other_day);
            assert!(
                matches!(check(&r, &secret, now), Err(AuthError::MalformedHeader(_))),
                "{name}: scope date"
            );
            // Any change of a signed header's value, or dropping it.
            let signed: Vec<String> = auth.signed_headers.iter().filter(|h| *h != "host").cloned().collect();
            for h in &signed {
                let value = req.headers.get(h).unwrap();
                let changed = set_header(&req, h, &format!("{value}0"));
                if h == "x-amz-date" || h == "x-amz-content-sha256" {
                    // Unparseable now: refused before any signature check.
                    assert!(
                        matches!(
                            parse(&changed).and_then(|a| verify(&changed, &a.unwrap(), &secret, now)),
                            Err(AuthError::NoRequestTime | AuthError::InvalidContentSha256)
                        ),
                        "{name}: {h}"
                    );
                } else {
                    mismatch(&changed, h);
                }
                let mut dropped = req.clone();
                dropped.headers.remove(h);
                assert!(check(&dropped, &secret, now).is_err(), "{name}: drop {h}");
            }
            // Claiming an unsigned header (present, correctly sorted) as signed.
            let mut more = auth.signed_headers.clone();
            more.push("user-agent".into());
            more.sort();
            let sh = |l: &[String]| format!("SignedHeaders={}", l.join(";"));
            mismatch(&tamper_auth(&req, &sh(&auth.signed_headers), &sh(&more)), "sh");
            // An unsorted list cannot be what was signed.
            let mut unsorted = auth.signed_headers.clone();
            unsorted.reverse();
            mismatch(
                &tamper_auth(&req, &sh(&auth.signed_headers), &sh(&unsorted)),
                "unsorted",
            );
            if let Some(value) = auth.signed_headers.iter().find(|h| h.starts_with("x-amz-meta")) {
                mismatch(&set_header(&req, value, "changed"), "meta");
            }
        }
        let q = pairs(&v["query"]);
        if let Some((k, val)) = q.first() {
            let from = format!("{}={}", uri_encode(k, true), uri_encode(val, true));
            mismatch(&replace_query(&req, &from, &format!("{from}x")), "query value");
        }
    }
}

#[test]
fn time_windows() {
    for v in vectors() {
        let (req, secret, t) = (request(&v), s(&v, "secret_access_key"), unix(&v));
        let name = s(&v, "name");
        let at = |now| check(&req, &secret, now).map(|_| ());
        if v["kind"] == "presign" {
            let exp = v["expires"].as_i64().unwrap();
            assert_eq!(at(t - 900), Ok(()), "{name}");
            assert_eq!(at(t - 901), Err(AuthError::RequestTimeTooSkewed), "{name}");
            assert_eq!(at(t + exp), Ok(()), "{name}");
            assert_eq!(at(t + exp + 1), Err(AuthError::PresignedExpired), "{name}");
            assert_eq!(at(i64::MAX), Err(AuthError::PresignedExpired), "{name}");
        } else {
            for ok in [t - 900, t, t + 900] {
                assert_eq!(at(ok), Ok(()), "{name}");
            }
            for skewed in [t - 960, t + 960, i64::MIN, i64::MAX] {
                assert_eq!(at(skewed), Err(AuthError::RequestTimeTooSkewed), "{name}");
            }
        }
    }
}

fn presign_vector(name: &str) -> (Request, String, i64) {
    let v = vectors().into_iter().find(|v| v["name"] == name).unwrap();
    (request(&v), s(&v, "secret_access_key"), unix(&v))
}

#[test]
fn presigned_query_rules() {
    let (req, _, _) = presign_vector("presign-minio-port-head");
    let expires_error = |e: &str| {
        parse(&replace_query(
            &req,
            "X-Amz-Expires=604800",
            &format!("X-Amz-Expires={e}"),
        ))
    };
    for bad in ["604801", "99999999", "-1", "+5", "", "1e3", "0x10"] {
        assert!(matches!(expires_error(bad), Err(AuthError::MalformedQuery(_))), "{bad}");
    }
    // Valid for no time at all (verify_rules_tests has the exact answers).
    assert_eq!(expires_error("0"), Err(AuthError::PresignedExpired));

    let malformed = |r: &Request| matches!(parse(r), Err(AuthError::MalformedQuery(_)));
    for param in [
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Signature",
    ] {
        let kept: Vec<&str> = req.query.split('&').filter(|p| !p.starts_with(param)).collect();
        assert!(
            malformed(&Request {
                query: kept.join("&"),
                ..req.clone()
            }),
            "missing {param}"
        );
        let dup = req.query.split('&').find(|p| p.starts_with(param)).unwrap();
        assert!(
            malformed(&Request {
                query: format!("{}&{dup}", req.query),
                ..req.clone()
            }),
            "dup {param}"
        );
    }
    assert_eq!(
        parse(&set_header(&req, "authorization", "AWS4-HMAC-SHA256 x")),
        Err(AuthError::BothMechanisms)
    );
    assert!(malformed(&Request {
        query: format!("{}&bad=%zz", req.query),
        ..req.clone()
    }));
    assert!(malformed(&Request {
        query: "X-Amz-Credential=%".into(),
        ..req.clone()
    }));
    let sts = replace_query(&req, "%2Fs3%2F", "%2Fsts%2F");
    assert!(malformed(&sts), "service");
    assert!(malformed(&replace_query(
        &req,
        "X-Amz-SignedHeaders=host",
        "X-Amz-SignedHeaders=range"
    )));
    for alg in ["AWS4-ECDSA-P256-SHA256", "AWS4-HMAC-SHA512", ""] {
        let r = replace_query(
            &req,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            &format!("X-Amz-Algorithm={alg}"),
        );
        assert!(malformed(&r), "{alg}");
    }
    // SigV2 presigned URLs.
    let v2 = Request::new("GET", "/b/k", "AWSAccessKeyId=AKID&Expires=1&Signature=abc%3D");
    assert_eq!(parse(&v2), Err(AuthError::UnsupportedAlgorithm));

    // Session token: carried, and required by session_token().
    let (with_token, secret, now) = presign_vector("presign-special-key-overrides-token");
    let auth = check(&with_token, &secret, now).unwrap();
    assert!(auth.session_token().unwrap().starts_with("IQoJb3JpZ2luX2Vj"));
    let no_token = parse(&req).unwrap().unwrap();
    assert_eq!(no_token.session_token(), Err(AuthError::MissingSecurityToken));
    let clash = set_header(&with_token, "x-amz-security-token", "other");
    assert!(malformed(&clash));
}

/// Percent-encodes more than SigV4 does, with lowercase hex: same decoded value.
fn encode_alt(x: &str) -> String {
    x.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' => char::from(b).to_string(),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

#[test]
fn query_is_decoded_once_and_reencoded() {
    let v = vectors()
        .into_iter()
        .find(|v| v["name"] == "list-objects-v2-query")
        .unwrap();
    let (req, secret, now) = (request(&v), s(&v, "secret_access_key"), unix(&v));
    // Same parameters, another (valid) spelling and order on the wire.
    let respelled: Vec<String> = pairs(&v["query"])
        .iter()
        .rev()
        .map(|(k, val)| format!("{}={}", encode_alt(k), encode_alt(val)))
        .collect();
    let r = Request {
        query: respelled.join("&"),
        ..req.clone()
    };
    assert_ne!(r.query, req.query);
    assert!(check(&r, &secret, now).is_ok(), "{}", r.query);
    // Double-encoding is a different value.
    let twice = replace_query(&req, "prefix=", "prefix=%2525");
    assert_eq!(
        check(&twice, &secret, now).unwrap_err(),
        AuthError::SignatureDoesNotMatch
    );
}

/// Requests signed by our own signer (itself checked against botocore) for
/// the cases botocore does not produce.
fn self_signed(query: &[(String, String)], raw_query: &str, extra: &[(String, String)]) -> Request {
    let creds = Credentials {
        access_key_id: "ASIAEXAMPLE".into(),
        secret_access_key: "secret".into(),
        session_token: Some("tok".into()),
    };
    let sr = SignableRequest {
        method: "GET",
        host: "127.0.0.1:8787",
        path: "/acct/prod/a+b.txt",
        query,
        headers: extra,
    };
    let mut req = Request::new("GET", "/acct/prod/a+b.txt", raw_query).with_header("host", "127.0.0.1:8787");
    for (n, v) in extra.iter().chain(&sign(&sr, &creds, "auto", "s3", NOW)) {
        req.headers.set(n, v.as_str());
    }
    req
}

const NOW: i64 = 1_795_317_720;

#[test]
fn raw_plus_is_a_literal_plus() {
    let q = vec![("prefix".to_string(), "a+b c".to_string())];
    let req = self_signed(&q, "prefix=a+b%20c", &[]);
    let auth = check(&req, "secret", NOW).unwrap();
    assert_eq!((auth.region.as_str(), auth.session_token()), ("auto", Ok("tok")));
    // The form-encoding reading ('+' = space) would be another value.
    let spaced = self_signed(&[("prefix".into(), "a b c".into())], "prefix=a+b%20c", &[]);
    assert_eq!(
        check(&spaced, "secret", NOW).unwrap_err(),
        AuthError::SignatureDoesNotMatch
    );
}

#[test]
fn payload_hash_rules() {
    let hdr = |v: &str| vec![("x-amz-content-sha256".to_string(), v.to_string())];
    for ok in [EMPTY_SHA256, UNSIGNED_PAYLOAD] {
        assert!(check(&self_signed(&[], "", &hdr(ok)), "secret", NOW).is_ok(), "{ok}");
    }
    let body_hash = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
    let r = check(&self_signed(&[], "", &hdr(body_hash)), "secret", NOW);
    assert_eq!(r.map(|_| ()), Err(AuthError::ContentSha256Mismatch));
    for bad in ["STREAMING-AWS4-HMAC-SHA256-PAYLOAD", "xyz"] {
        let r = check(&self_signed(&[], "", &hdr(bad)), "secret", NOW);
        assert_eq!(r.map(|_| ()), Err(AuthError::InvalidContentSha256), "{bad}");
    }
    // No hash header at all: refused before any signature work, as on AWS.
    let mut req = self_signed(&[], "", &hdr(EMPTY_SHA256));
    req.headers.remove("x-amz-content-sha256");
    let a = req
        .headers
        .get("authorization")
        .unwrap()
        .replace("x-amz-content-sha256;", "");
    assert_eq!(
        parse(&set_header(&req, "authorization", &a)),
        Err(AuthError::MissingContentSha256)
    );
}

#[test]
fn date_header_fallback() {
    // Sign by hand with only a Date header, as SigV4 allows.
    let date = "Sun, 22 Nov 2026 03:22:00 GMT";
    let headers = vec![
        ("host".to_string(), "h".to_string()),
        ("date".to_string(), date.to_string()),
        ("x-amz-content-sha256".to_string(), EMPTY_SHA256.to_string()),
    ];
    let (ch, sh) = canonical_headers(&headers, &["host", "date", "x-amz-content-sha256"]);
    let creq = canonical_request("GET", "/k", "", &ch, &sh, EMPTY_SHA256);
    let sts = string_to_sign(&format_amz(NOW), &scope("20261122", "r", "s3"), &creq);
    let sig = signature(&signing_key("secret", "20261122", "r", "s3"), &sts);
    let auth =
        format!("AWS4-HMAC-SHA256 Credential=ASIAX/20261122/r/s3/aws4_request,SignedHeaders={sh},Signature={sig}");
    let req = Request::new("GET", "/k", "")
        .with_header("host", "h")
        .with_header("date", date)
        .with_header("x-amz-content-sha256", EMPTY_SHA256)
        .with_header("authorization", &auth);
    assert_eq!(check(&req, "secret", NOW).unwrap().amz_date, NOW);
    let bad_date = set_header(&req, "date", "yesterday");
    assert_eq!(parse(&bad_date), Err(AuthError::NoRequestTime));
}

const CRED: &str = "A/20261122/r/s3/aws4_request";

fn hdr(credential: &str, signed_headers: &str, signature: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={signature}")
}

#[test]
fn garbage_authorization_headers() {
    let v = vectors().into_iter().find(|v| v["name"] == "session-token").unwrap();
    let good = request(&v);
    let valid = good.headers.get("authorization").unwrap().to_string();
    let with = |a: &str| parse(&set_header(&good, "authorization", a));
    let sig = "0".repeat(64);
    let long = format!("{valid}{}", " ".repeat(10 * 1024));
    let cases = [
        "",
        "   ",
        "é",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 ",
        "AWS4-HMAC-SHA256 Credential",
        "AWS4-HMAC-SHA256 Credential=",
        "AWS4-HMAC-SHA256 ,,,",
        "AWS4-HMAC-SHA256 =",
        "AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
        &format!("AWS4-HMAC-SHA256 SignedHeaders=host, Signature={sig}"),
        &format!("AWS4-HMAC-SHA256 Credential={CRED}, Signature={sig}"),
        &format!("AWS4-HMAC-SHA256 Credential={CRED}, SignedHeaders=host"),
        &hdr(CRED, "host", &format!("{sig}z")),
        &hdr(CRED, "", &sig),
        &hdr(CRED, "x;;host", &sig),
        &hdr(CRED, "range", &sig),
        &hdr(CRED, "hôst", &sig),
        &hdr(CRED, &("h;".repeat(70) + "host"), &sig),
        &hdr("A/20261122/r/sts/aws4_request", "host", &sig),
        &hdr("A/20261122/r/s3/aws5_request", "host", &sig),
        &hdr("A/20261122//s3/aws4_request", "host", &sig),
        &hdr("/20261122/r/s3/aws4_request", "host", &sig),
        &hdr("Ä/20261122/r/s3/aws4_request", "host", &sig),
        &hdr("A/2026112/r/s3/aws4_request", "host", &sig),
        &hdr("A/20261123/r/s3/aws4_request", "host", &sig),
        &hdr("A/20261122/r/s3/aws4_request/x", "host", &sig),
        &hdr(&format!("{CRED}, Credential={CRED}"), "host", &sig),
        &hdr(CRED, "host", &format!("{sig}, Extra=1")),
        &long,
    ];
    // Control: the same shape with valid parts parses.
    let all = "host;x-amz-content-sha256;x-amz-date;x-amz-security-token";
    assert!(with(&hdr(CRED, all, &sig)).is_ok());
    for c in cases {
        assert!(
            matches!(with(c), Err(AuthError::MalformedHeader(_))),
            "{c:.120}: {:?}",
            with(c)
        );
    }
    for c in [
        "AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=",
        "AWS4-ECDSA-P256-SHA256 Credential=x",
    ] {
        assert_eq!(with(c), Err(AuthError::UnsupportedAlgorithm), "{c}");
    }
    assert_eq!(with("Bearer abc"), Err(AuthError::UnsupportedAuthorizationType));
    // Every prefix is refused, and no mutation panics.
    for cut in 0..valid.len() {
        assert!(with(&valid[..cut]).is_err(), "prefix {cut}");
    }
    for i in 0..valid.len() {
        for c in [",", "=", "/", " ", ";", "\0", "é", "\u{10FFFF}"] {
            let mut m = valid.clone();
            m.replace_range(i..=i, c);
            let _ = with(&m);
        }
    }
    // Two Authorization headers.
    let twice = good.clone().with_header("Authorization", &valid);
    assert!(matches!(parse(&twice), Err(AuthError::MalformedHeader(_))));
    // No credentials anywhere: anonymous.
    assert_eq!(
        parse(&Request::new("GET", "/a/b", "list-type=2&X-Amz-Date=1")),
        Ok(None)
    );
    assert_eq!(parse(&Request::new("GET", "/a/b", "bad=%zz")), Ok(None));
}

#[test]
fn error_mapping() {
    let all = [
        AuthError::MalformedHeader("x"),
        AuthError::MalformedQuery("y"),
        AuthError::UnsupportedAlgorithm,
        AuthError::MissingSecurityToken,
        AuthError::RequestTimeTooSkewed,
        AuthError::PresignedExpired,
        AuthError::SignatureDoesNotMatch,
        AuthError::UnsupportedAuthorizationType,
        AuthError::BothMechanisms,
        AuthError::NoRequestTime,
    ];
    let got: Vec<(u16, &str)> = all.iter().map(|e| (e.status(), e.code().as_str())).collect();
    assert_eq!(
        got,
        [
            (400, "AuthorizationHeaderMalformed"),
            (400, "AuthorizationQueryParametersError"),
            (400, "InvalidRequest"),
            (403, "InvalidAccessKeyId"),
            (403, "RequestTimeTooSkewed"),
            (403, "AccessDenied"),
            (403, "SignatureDoesNotMatch"),
            (400, "InvalidArgument"),
            (400, "InvalidArgument"),
            (403, "AccessDenied"),
        ]
    );
    assert_eq!(AuthError::MalformedQuery("why").message(), "why");
}

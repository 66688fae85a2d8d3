//! SigV4 against botocore's reference vectors (tests/vectors), mutated.
//! Header vectors: the request is extended with fuzzed path, query and
//! header parts, signed with `sign`, and must verify; every change to a
//! signed part afterwards must not. Presigned vectors: botocore's URL
//! verifies; a byte of its query replaced verifies exactly when the decoded
//! query is unchanged (the signature's hex digits compared as sent).
//! Input: vector index, then lines: path suffix, query key, query value,
//! header name, header value; for presigned: position, byte, clock offset.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::http::Request;
use oidc_data_proxy::secret::Secret;
use oidc_data_proxy::sigv4::verify::{parse, verify, AuthError, MAX_PRESIGN_EXPIRES, MAX_SKEW_SECS};
use oidc_data_proxy::sigv4::{sign, uri_encode, Credentials, SignableRequest};
use oidc_data_proxy_fuzz::vectors::{all as vectors, pairs, s};
use oidc_data_proxy_fuzz::{as_url_part, fields, text};
use serde_json::Value;

fn raw_query(pairs: &[(String, String)]) -> String {
    let enc: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, true), uri_encode(v, true)))
        .collect();
    enc.join("&")
}

fn verified(req: &Request, secret: &str, now: i64) -> Result<(), AuthError> {
    let auth = parse(req)?.ok_or(AuthError::MissingSecurityToken)?;
    verify(req, &auth, secret, now)
}

fn header_vector(v: &Value, f: &[&[u8]]) {
    let secret = s(v, "secret_access_key");
    let creds = Credentials {
        access_key_id: s(v, "access_key_id"),
        secret_access_key: Secret::from(secret.clone()),
        session_token: v["session_token"].as_str().map(Secret::from),
    };
    let method = s(v, "method");
    let host = s(v, "host");
    let path = format!("{}{}", s(v, "path"), as_url_part(&text(f[0]), true));
    let mut query = pairs(&v["query"]);
    let mut headers = pairs(&v["headers"]);
    let (qk, qv) = (text(f[1]), text(f[2]));
    if !qk.is_empty() && !qk.starts_with("X-Amz-") {
        query.push((qk, qv));
    }
    let hname: String = text(f[3])
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || *b == b'-')
        .map(|b| b.to_ascii_lowercase() as char)
        .collect();
    let hvalue: String = text(f[4])
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n' | '\0'))
        .collect();
    let hvalue = hvalue.trim().to_string();
    let extra = !hname.is_empty();
    if extra {
        headers.push((format!("x-fuzz-{hname}"), hvalue.clone()));
    }
    let unix = v["unix"].as_i64().unwrap();
    let sreq = SignableRequest {
        method: &method,
        host: &host,
        path: &path,
        query: &query,
        headers: &headers,
    };
    let out = sign(&sreq, &creds, &s(v, "region"), &s(v, "service"), unix);
    if f.iter().all(|x| x.is_empty()) {
        let expected = v["expected"].as_object().unwrap();
        assert_eq!(out.len(), expected.len());
        for (k, val) in expected {
            let got = out.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
            assert_eq!(got, val.as_str(), "{}: {k}", s(v, "name"));
        }
    }
    let build = |method: &str, path: &str, query: &str, extra_value: &str| {
        let mut r = Request::new(method, path, query).with_header("host", &host);
        for (n, val) in &headers {
            let val = if n.starts_with("x-fuzz-") { extra_value } else { val };
            if !n.eq_ignore_ascii_case("x-amz-content-sha256") {
                r = r.with_header(n, val);
            }
        }
        for (n, val) in &out {
            r = r.with_header(n, val);
        }
        r
    };
    let rq = raw_query(&query);
    let good = build(&method, &path, &rq, &hvalue);
    assert_eq!(verified(&good, &secret, unix), Ok(()), "{}: {good:?}", s(v, "name"));
    assert_eq!(verified(&good, &secret, unix + MAX_SKEW_SECS), Ok(()));
    assert_eq!(
        verified(&good, &secret, unix - MAX_SKEW_SECS - 1),
        Err(AuthError::RequestTimeTooSkewed)
    );
    assert_eq!(
        verified(&good, "not-the-secret", unix),
        Err(AuthError::SignatureDoesNotMatch)
    );
    let other = if method == "GET" { "HEAD" } else { "GET" };
    assert!(verified(&build(other, &path, &rq, &hvalue), &secret, unix).is_err());
    assert!(verified(&build(&method, &format!("{path}x"), &rq, &hvalue), &secret, unix).is_err());
    let more = format!("{rq}{}fuzz=1", if rq.is_empty() { "" } else { "&" });
    assert!(verified(&build(&method, &path, &more, &hvalue), &secret, unix).is_err());
    if extra {
        assert!(verified(&build(&method, &path, &rq, &format!("{hvalue}x")), &secret, unix).is_err());
    }
}

fn decoded(q: &str) -> Option<Vec<(String, String)>> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |x: &str| {
                percent_encoding::percent_decode_str(x)
                    .decode_utf8()
                    .ok()
                    .map(|c| c.into_owned())
            };
            // The proxy refuses `%` not followed by two hex digits.
            let strict = |x: &str| {
                let b = x.as_bytes();
                b.iter().enumerate().all(|(i, c)| {
                    *c != b'%'
                        || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                            && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
                })
            };
            (strict(k) && strict(v)).then_some(())?;
            // The signature is compared as sent: AWS wants lowercase hex.
            Some((d(k)?, d(v)?))
        })
        .collect()
}

fn presigned_vector(v: &Value, f: &[&[u8]]) {
    let url = s(v, "url");
    let (_, q) = url.split_once('?').unwrap();
    let secret = s(v, "secret_access_key");
    let unix = v["unix"].as_i64().unwrap();
    let build = |query: &str| {
        let mut r = Request::new(&s(v, "method"), &s(v, "path"), query).with_header("host", &s(v, "host"));
        for (n, val) in pairs(&v["headers"]) {
            r = r.with_header(&n, &val);
        }
        r
    };
    assert_eq!(verified(&build(q), &secret, unix), Ok(()), "{}", s(v, "name"));
    let expires: i64 = q
        .split('&')
        .find_map(|p| p.strip_prefix("X-Amz-Expires="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(expires <= MAX_PRESIGN_EXPIRES);
    // The clock: valid from 15 minutes before X-Amz-Date until it expires.
    let offset = i64::from(i16::from_le_bytes([
        f[2].first().copied().unwrap_or(0),
        f[2].get(1).copied().unwrap_or(0),
    ])) * 64;
    let at = verified(&build(q), &secret, unix + offset);
    let window = (-MAX_SKEW_SECS..=expires).contains(&offset);
    assert_eq!(at.is_ok(), window, "offset {offset}: {at:?}");

    // One byte of the raw query replaced.
    let (Some(pos), Some(&byte)) = (text(f[0]).trim().parse::<usize>().ok(), f[1].first()) else {
        return;
    };
    let mut bytes = q.as_bytes().to_vec();
    let pos = pos % bytes.len();
    if !byte.is_ascii_graphic() || bytes[pos] == byte {
        return;
    }
    bytes[pos] = byte;
    let mutated = String::from_utf8(bytes).unwrap();
    let same = decoded(&mutated).is_some() && decoded(&mutated) == decoded(q);
    let got = verified(&build(&mutated), &secret, unix);
    assert_eq!(got.is_ok(), same, "{mutated}: {got:?}");
}

fuzz_target!(|data: &[u8]| {
    let Some((&i, rest)) = data.split_first() else { return };
    let v = &vectors()[usize::from(i) % vectors().len()];
    let f = fields(rest, 5);
    if v["kind"] == "presign" {
        presigned_vector(v, &f);
    } else {
        header_vector(v, &f);
    }
});

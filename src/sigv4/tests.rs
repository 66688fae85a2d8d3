//! End-to-end checks against the AWS documentation examples and against
//! vectors produced by botocore's own signer
//! (tests/vectors/gen_sigv4_vectors.py).

use super::*;
use crate::secret::Secret;
use percent_encoding::percent_decode_str;
use serde_json::Value;

const AKID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
/// 2013-05-24T00:00:00Z, the time used by all AWS S3 SigV4 examples.
const DOC_TIME: i64 = 1_369_353_600;
const DOC_HOST: &str = "examplebucket.s3.amazonaws.com";

fn owned(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn doc_creds() -> Credentials {
    Credentials {
        access_key_id: AKID.into(),
        secret_access_key: Secret::from(SECRET),
        session_token: None,
    }
}

fn get(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
}

/// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
/// "Example: GET Object" (with Range, signed payload of the empty body).
#[test]
fn aws_doc_get_object_with_range() {
    let headers = owned(&[("Range", "bytes=0-9"), ("x-amz-content-sha256", EMPTY_SHA256)]);
    let req = SignableRequest {
        method: "GET",
        host: DOC_HOST,
        path: "/test.txt",
        query: &[],
        headers: &headers,
    };
    let out = sign(&req, &doc_creds(), "us-east-1", "s3", DOC_TIME);
    assert_eq!(get(&out, "x-amz-date").as_deref(), Some("20130524T000000Z"));
    assert_eq!(get(&out, "x-amz-content-sha256").as_deref(), Some(EMPTY_SHA256));
    assert_eq!(get(&out, "x-amz-security-token"), None);
    assert_eq!(
        get(&out, "authorization").as_deref(),
        Some(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    );

    // The same example step by step, with the intermediate values from the docs.
    let all = owned(&[
        ("Host", DOC_HOST),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("x-amz-date", "20130524T000000Z"),
    ]);
    let (ch, sh) = canonical_headers(&all, &["host", "range", "x-amz-content-sha256", "x-amz-date"]);
    let cr = canonical_request("GET", "/test.txt", "", &ch, &sh, EMPTY_SHA256);
    let sts = string_to_sign("20130524T000000Z", &scope("20130524", "us-east-1", "s3"), &cr);
    assert_eq!(
        sts,
        "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
         7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
    );
    let key = signing_key(SECRET, "20130524", "us-east-1", "s3");
    assert_eq!(
        signature(&key, &sts),
        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    );
}

/// The other examples of the same AWS page (PUT Object, GET Bucket
/// Lifecycle, Get Bucket (List Objects)).
#[test]
fn aws_doc_other_examples() {
    let creds = doc_creds();
    let sig_of = |out: &[(String, String)]| {
        get(out, "authorization").and_then(|a| a.rsplit("Signature=").next().map(str::to_string))
    };

    let put_hash = sha256_hex(b"Welcome to Amazon S3.");
    assert_eq!(
        put_hash,
        "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    );
    let headers = owned(&[
        ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ("x-amz-content-sha256", &put_hash),
    ]);
    let req = SignableRequest {
        method: "PUT",
        host: DOC_HOST,
        path: "/test%24file.text",
        query: &[],
        headers: &headers,
    };
    let out = sign(&req, &creds, "us-east-1", "s3", DOC_TIME);
    assert_eq!(
        sig_of(&out).as_deref(),
        Some("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    );

    let signed_empty = owned(&[("x-amz-content-sha256", EMPTY_SHA256)]);
    for (query, expected) in [
        (
            owned(&[("lifecycle", "")]),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        ),
        (
            owned(&[("max-keys", "2"), ("prefix", "J")]),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        ),
    ] {
        let req = SignableRequest {
            method: "GET",
            host: DOC_HOST,
            path: "/",
            query: &query,
            headers: &signed_empty,
        };
        let out = sign(&req, &creds, "us-east-1", "s3", DOC_TIME);
        assert_eq!(sig_of(&out).as_deref(), Some(expected), "{query:?}");
    }
}

#[test]
fn defaults_token_and_owned_headers() {
    let creds = Credentials {
        session_token: Some(Secret::from("tok/+=")),
        ..doc_creds()
    };
    // Caller-supplied copies of signer-owned headers are ignored.
    let headers = owned(&[("Host", "evil"), ("X-Amz-Date", "19700101T000000Z")]);
    let req = SignableRequest {
        method: "HEAD",
        host: "localhost:9000",
        path: "/b/k",
        query: &[],
        headers: &headers,
    };
    let out = sign(&req, &creds, "us-east-1", "s3", DOC_TIME);
    let names: Vec<&str> = out.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "x-amz-date",
            "x-amz-content-sha256",
            "x-amz-security-token",
            "authorization"
        ]
    );
    assert_eq!(get(&out, "x-amz-date").as_deref(), Some("20130524T000000Z"));
    assert_eq!(get(&out, "x-amz-content-sha256").as_deref(), Some(UNSIGNED_PAYLOAD));
    assert_eq!(get(&out, "x-amz-security-token").as_deref(), Some("tok/+="));
    let auth = get(&out, "authorization").unwrap_or_default();
    assert!(auth.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "));
    // Non-read methods default to the empty-body hash.
    let del = SignableRequest {
        method: "DELETE",
        headers: &[],
        ..req
    };
    let out = sign(&del, &creds, "us-east-1", "s3", DOC_TIME);
    assert_eq!(get(&out, "x-amz-content-sha256").as_deref(), Some(EMPTY_SHA256));
    // Credentials never print their secrets.
    let dbg = format!("{creds:?}");
    assert!(!dbg.contains(SECRET) && !dbg.contains("tok/+="), "{dbg}");
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_else(|| panic!("{key} missing")).to_string()
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| a.iter().map(|p| (s_at(p, 0), s_at(p, 1))).collect())
        .unwrap_or_default()
}

fn s_at(v: &Value, i: usize) -> String {
    v[i].as_str().unwrap_or_else(|| panic!("bad pair {v}")).to_string()
}

fn vectors() -> Vec<Value> {
    let doc: Value = serde_json::from_str(include_str!("../../tests/vectors/sigv4_botocore.json"))
        .expect("vector file is valid JSON");
    doc["vectors"].as_array().expect("vectors array").clone()
}

/// Header-signed requests: `sign()` must produce botocore's headers.
#[test]
fn botocore_header_vectors() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v["kind"] == "header") {
        let name = s(v, "name");
        let (query, headers) = (pairs(&v["query"]), pairs(&v["headers"]));
        let creds = Credentials {
            access_key_id: s(v, "access_key_id"),
            secret_access_key: Secret::from(s(v, "secret_access_key")),
            session_token: v["session_token"].as_str().map(Secret::from),
        };
        let method = s(v, "method");
        let (host, path) = (s(v, "host"), s(v, "path"));
        let req = SignableRequest {
            method: &method,
            host: &host,
            path: &path,
            query: &query,
            headers: &headers,
        };
        let unix = v["unix"].as_i64().expect("unix");
        let out = sign(&req, &creds, &s(v, "region"), &s(v, "service"), unix);

        // Rebuild the canonical request from the pieces to get a readable
        // diff before comparing the opaque signature.
        let mut all = vec![("host".to_string(), host.clone())];
        all.extend(out.iter().filter(|(n, _)| n != "authorization").cloned());
        all.extend(
            headers
                .iter()
                .filter(|(n, _)| !n.eq_ignore_ascii_case("x-amz-content-sha256"))
                .cloned(),
        );
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        let (ch, sh) = canonical_headers(&all, &names);
        let payload = get(&out, "x-amz-content-sha256").unwrap_or_default();
        let cr = canonical_request(&method, &path, &canonical_query(&query), &ch, &sh, &payload);
        assert_eq!(cr, s(v, "canonical_request"), "{name}: canonical request");

        let expected = v["expected"].as_object().expect("expected");
        assert_eq!(out.len(), expected.len(), "{name}: header count");
        for (k, val) in expected {
            assert_eq!(get(&out, k).as_deref(), val.as_str(), "{name}: {k}");
        }
        n += 1;
    }
    assert_eq!(n, 15);
}

/// Presigned URLs: verify botocore's signature the way a server would,
/// starting from the raw URL (a dry run of the future verifier).
#[test]
fn botocore_presigned_vectors() {
    let mut n = 0;
    for v in vectors().iter().filter(|v| v["kind"] == "presign") {
        let name = s(v, "name");
        let url = s(v, "url");
        let (before_query, raw_query) = url.split_once('?').expect("query");
        let path = &before_query[before_query.find("://").expect("scheme") + 3..];
        let path = &path[path.find('/').expect("path")..];
        assert_eq!(path, s(v, "path"), "{name}");

        let mut query = Vec::new();
        let mut given_sig = String::new();
        for part in raw_query.split('&') {
            let (k, val) = part.split_once('=').unwrap_or((part, ""));
            let dec = |x: &str| percent_decode_str(x).decode_utf8().expect("utf-8").into_owned();
            let (k, val) = (dec(k), dec(val));
            if k == "X-Amz-Signature" {
                given_sig = val;
            } else {
                query.push((k, val));
            }
        }
        let param = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).expect(key);
        let amz_date = param("X-Amz-Date");
        let credential = param("X-Amz-Credential");
        let (akid, cred_scope) = credential.split_once('/').expect("credential");
        assert_eq!(akid, s(v, "access_key_id"));
        assert_eq!(crate::time::parse_amz(&amz_date), v["unix"].as_i64(), "{name}");
        let parts: Vec<&str> = cred_scope.split('/').collect();
        assert_eq!(cred_scope, scope(parts[0], parts[1], parts[2]));

        let claimed = param("X-Amz-SignedHeaders");
        let claimed: Vec<&str> = claimed.split(';').collect();
        let mut hdrs = vec![("Host".to_string(), s(v, "host"))];
        hdrs.extend(pairs(&v["headers"]));
        let (ch, sh) = canonical_headers(&hdrs, &claimed);
        assert_eq!(sh, claimed.join(";"), "{name}: all signed headers present");

        let cr = canonical_request(
            &s(v, "method"),
            path,
            &canonical_query(&query),
            &ch,
            &sh,
            UNSIGNED_PAYLOAD,
        );
        assert_eq!(cr, s(v, "canonical_request"), "{name}: canonical request");
        let sts = string_to_sign(&amz_date, cred_scope, &cr);
        assert_eq!(sts, s(v, "string_to_sign"), "{name}: string to sign");
        let key = signing_key(&s(v, "secret_access_key"), parts[0], parts[1], parts[2]);
        let ours = signature(&key, &sts);
        assert!(
            crate::secret::constant_time_eq(ours.as_bytes(), given_sig.as_bytes()),
            "{name}: {ours} != {given_sig}"
        );
        n += 1;
    }
    assert_eq!(n, 5);
}

#[test]
fn hmac_sha256_matches_rfc_4231_and_the_hmac_crate_for_every_key_length() {
    use crate::sigv4::hmac_sha256;
    use hmac::{Hmac, Mac};
    // RFC 4231 test cases 1, 2 and 6 (a 131-byte key, hashed first).
    let cases: [(Vec<u8>, &[u8], &str); 3] = [
        (
            vec![0x0b; 20],
            b"Hi There",
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
        ),
        (
            b"Jefe".to_vec(),
            b"what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        ),
        (
            vec![0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
        ),
    ];
    for (key, msg, want) in cases {
        assert_eq!(hex::encode(hmac_sha256(&key, msg)), want, "{} byte key", key.len());
    }
    for len in 0..=200usize {
        let key: Vec<u8> = (0..len).map(|i| u8::try_from((i * 7 + 1) % 256).unwrap()).collect();
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
        mac.update(b"msg");
        let want: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(hmac_sha256(&key, b"msg"), want, "{len} byte key");
    }
}

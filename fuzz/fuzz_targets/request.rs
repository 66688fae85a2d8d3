//! Whole requests through `proxy::handle` on the in-memory runtime with the
//! default static catalog, signed sessions and a scripted identity provider.
//! Input: a request in text form (see `parse_request`), with directives as
//! pseudo-headers that are removed before the request is handled:
//!   x-fuzz-sign: SUBJECT     sign it (SigV4 header) as a session of SUBJECT
//!   x-fuzz-presign: SUBJECT  the same as a presigned URL
//!   x-fuzz-ceiling: A,B      the session's ceiling (default `*`)
//!   x-fuzz-claims: JSON      an ES256 ID token over these claims replaces
//!                            `$TOKEN` in the query and body
//! Invariants: no 5xx but 501, a request id, well-formed XML (S3 `Error` or
//! STS `ErrorResponse` naming that request id on errors), no body on HEAD,
//! nothing restricted to anyone but its grantee, nothing unlisted listed.
#![no_main]
use libfuzzer_sys::fuzz_target;
use oidc_data_proxy::http::{Body, Request, RequestBody};
use oidc_data_proxy::proxy::handle;
use oidc_data_proxy::state::Isolate;
use oidc_data_proxy::testing::{block_on, session_credentials, FakePlatform};
use oidc_data_proxy_fuzz::{
    parse_request, sign_es256, sign_request, xml, AUDIENCE, ISSUER, JWKS, NOW, SESSION_KEY_B64,
};

const SECRET_NAME: &str = "zz-restricted-name";
const SECRET_BYTES: &str = "RESTRICTED-BYTES";

fn env(n: &str) -> Option<String> {
    Some(
        match n {
            "SESSION_TOKEN_KEY" => SESSION_KEY_B64,
            "AUTH_ISSUER" => ISSUER,
            "AUTH_AUDIENCE" => AUDIENCE,
            "OIDC_ALLOW_LOOPBACK_ISSUERS" => "true",
            "LOG_LEVEL" => "debug",
            _ => return None,
        }
        .to_string(),
    )
}

fn platform() -> FakePlatform {
    let p = FakePlatform::default();
    p.put("DATA", "demo/public-data/cities.csv", b"name,country\nParis,FR\n");
    for k in [
        "nested/a/b/c.txt",
        "nested/a/d.txt",
        "odd/hello world.txt",
        "odd/plus+sign.txt",
        "odd/per%cent.txt",
        "odd/unicodé-日本.txt",
        "odd/ctl\u{1}.txt",
        "empty.txt",
    ] {
        p.put(
            "DATA",
            &format!("demo/public-data/{k}"),
            if k == "empty.txt" { b"" } else { k.as_bytes() },
        );
    }
    for i in 0..12 {
        p.put(
            "DATA",
            &format!("demo/public-data/many/{i:03}.txt"),
            format!("{i}").as_bytes(),
        );
    }
    p.put("DATA", "demo/unlisted-data/hidden.csv", b"hidden");
    p.put(
        "DATA",
        &format!("demo/restricted-data/{SECRET_NAME}.csv"),
        SECRET_BYTES.as_bytes(),
    );
    p.put(
        "DATA",
        &format!("demo/restricted-data/sub/{SECRET_NAME}-2.csv"),
        SECRET_BYTES.as_bytes(),
    );
    let discovery = format!(r#"{{"issuer":"{ISSUER}","jwks_uri":"{ISSUER}/jwks"}}"#);
    p.script(
        &format!("{ISSUER}/.well-known/openid-configuration"),
        200,
        &[],
        discovery.as_bytes(),
    );
    p.script(&format!("{ISSUER}/jwks"), 200, &[], JWKS.as_bytes());
    p
}

fn take(req: &mut Request, name: &str) -> Option<String> {
    let v = req.headers.get(name).map(str::to_string);
    req.headers.remove(name);
    v
}

fuzz_target!(|data: &[u8]| {
    let cfg = Isolate::from_env(&env);
    let p = platform();
    let mut req = parse_request(data);
    let (sign, presign) = (take(&mut req, "x-fuzz-sign"), take(&mut req, "x-fuzz-presign"));
    let ceiling = take(&mut req, "x-fuzz-ceiling").unwrap_or_else(|| "*".into());
    if let Some(claims) = take(&mut req, "x-fuzz-claims") {
        let token = sign_es256(br#"{"alg":"ES256","kid":"test-ec-1","typ":"JWT"}"#, claims.as_bytes());
        req.query = req.query.replace("$TOKEN", &token);
        if let RequestBody::Bytes(b) = &mut req.body {
            *b = String::from_utf8_lossy(b).replace("$TOKEN", &token).into_bytes();
        }
    }
    // Sessions as STS would issue them: bounded names (a sealed token is <= 4 KiB).
    let subject: Option<String> = sign.as_ref().or(presign.as_ref()).map(|s| s.chars().take(64).collect());
    if let Some(sub) = &subject {
        let ceiling: Vec<String> = ceiling
            .split(',')
            .take(16)
            .map(|c| c.chars().take(128).collect())
            .collect();
        let ceiling: Vec<&str> = ceiling.iter().map(String::as_str).collect();
        let creds = session_credentials(&cfg.config, ISSUER, sub, &ceiling, NOW + 3600);
        sign_request(&mut req, &creds, NOW, presign.is_some());
    }
    let method = req.method.clone();
    let described = format!("{req:?}");
    // Error documents and listings echo the request: a marker it carries itself is no leak.
    let echoed = |marker: &str| {
        let decoded = |x: &str| percent_encoding::percent_decode_str(x).decode_utf8_lossy().into_owned();
        described.contains(marker) || decoded(&req.path).contains(marker) || decoded(&req.query).contains(marker)
    };
    let secret_echoed = echoed(SECRET_BYTES);
    let mut resp = block_on(handle(&p, &cfg, req));
    let body = match std::mem::replace(&mut resp.body, Body::Empty) {
        Body::Empty => Vec::new(),
        Body::Bytes(b) | Body::Stream(b) => b,
    };
    let status = resp.status;
    assert!(
        !(500..600).contains(&status) || status == 501,
        "{status} for {described}: {}",
        String::from_utf8_lossy(&body)
    );
    let id = resp.headers.get("x-amz-request-id").expect("a request id").to_string();
    assert!(id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    if method == "HEAD" {
        assert!(body.is_empty());
        return;
    }
    if let Some(len) = resp.headers.get("content-length") {
        assert_eq!(
            len.parse::<usize>().ok(),
            Some(body.len()),
            "content-length for {described}"
        );
    }
    let ctype = resp.headers.get("content-type").unwrap_or_default().to_string();
    let granted = subject.as_deref() == Some("alice");
    let text = String::from_utf8_lossy(&body);
    if !granted && !secret_echoed {
        assert!(!text.contains(SECRET_BYTES), "restricted bytes for {described}");
    }
    // Object bodies are the fixtures' bytes (their type can be overridden):
    // only documents the proxy writes itself are checked.
    let own = status >= 300 || body.starts_with(b"<?xml");
    if ctype.contains("xml") && own {
        let doc = xml::parse(&body).unwrap_or_else(|e| panic!("{e} for {described}: {text}"));
        if status >= 400 {
            let (code, rid) = match doc.root.as_str() {
                "Error" => (doc.first("/Error/Code"), doc.first("/Error/RequestId")),
                "ErrorResponse" => (
                    doc.first("/ErrorResponse/Error/Code"),
                    doc.first("/ErrorResponse/RequestId"),
                ),
                other => panic!("error document <{other}> for {described}"),
            };
            assert!(code.is_some_and(|c| !c.is_empty()), "no code: {text}");
            assert_eq!(rid, Some(id.as_str()), "{text}");
        }
        if doc.root == "ListBucketResult" {
            let account_level = doc.first("/ListBucketResult/Name") == Some("demo");
            let entries = doc
                .all("/ListBucketResult/Contents/Key")
                .chain(doc.all("/ListBucketResult/CommonPrefixes/Prefix"));
            for e in entries {
                if !granted {
                    assert!(
                        !e.contains(SECRET_NAME) && !e.contains("restricted-data"),
                        "{e} listed for {described}"
                    );
                }
                if account_level {
                    assert!(
                        !e.contains("unlisted-data") && !e.contains("hidden"),
                        "{e} listed for {described}"
                    );
                }
            }
        }
    } else if ctype.contains("json") && status >= 400 {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{e}: {text}"));
        if status >= 400 {
            assert_eq!(v["RequestId"].as_str(), Some(id.as_str()), "{text}");
        }
    } else if status >= 400 && status != 416 && !body.is_empty() {
        panic!("{status} with a {ctype:?} body for {described}: {text}");
    }
});

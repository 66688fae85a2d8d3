//! Writes the committed seed corpora (fuzz/corpus/<target>/seed-*): real
//! requests of the clients the proxy serves, the botocore SigV4 vectors,
//! tokens signed with the fixture keys, the catalog and IdP fixtures.
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (from the repo
//! root). Files are rewritten; signed tokens and sealed sessions change on
//! every run (random nonces and request ids), so only run it to add seeds.

use std::fs;
use std::path::Path;

use oidc_data_proxy::secret::Secret;
use oidc_data_proxy::session::{seal, Session, SessionKeys};
use oidc_data_proxy::sigv4::{sign, Credentials, SignableRequest};
use oidc_data_proxy_fuzz::vectors::{all as vectors, pairs, s};
use oidc_data_proxy_fuzz::{sign_es256, sign_rs256, AUDIENCE, ISSUER, JWKS, NOW};
use serde_json::{json, Value};

fn write(target: &str, name: &str, data: impl AsRef<[u8]>) {
    let dir = Path::new("fuzz/corpus").join(target);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

/// One line: the fixtures are pretty-printed, the targets split on newlines.
fn minified(path: &str) -> String {
    let v: Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    v.to_string()
}

/// Requests as the clients send them (text form, see `parse_request`).
const REQUESTS: &[(&str, &str)] = &[
    ("get-object", "GET /demo/public-data/cities.csv\nhost: 127.0.0.1:8787\nuser-agent: aws-cli/2\n"),
    ("get-object-js-sdk", "GET /demo/public-data/cities.csv?x-id=GetObject\nhost: 127.0.0.1:8787\n"),
    ("get-range-polars", "GET /demo/public-data/cities.csv\nrange: bytes=0-262143\n"),
    ("get-suffix-range", "GET /demo/public-data/cities.csv\nrange: bytes=-3\n"),
    ("get-conditional", "GET /demo/public-data/cities.csv\nif-none-match: \"2b\"\nif-modified-since: Sun, 06 Nov 1994 08:49:37 GMT\n"),
    ("get-if-match-412", "GET /demo/public-data/cities.csv\nif-match: \"nope\"\nif-unmodified-since: Sun, 06 Nov 1994 08:49:37 GMT\n"),
    ("get-overrides", "GET /demo/public-data/cities.csv?response-content-type=application%2Fjson&response-content-disposition=attachment%3B%20filename%3Dx.csv&response-cache-control=no-cache\n"),
    ("head-object", "HEAD /demo/public-data/cities.csv\n"),
    ("get-odd-key", "GET /demo/public-data/odd/plus%2Bsign.txt\n"),
    ("get-encoded-key", "GET /demo/public-data/odd/hello%20world.txt\n"),
    ("get-unicode-key", "GET /demo/public-data/odd/unicod%C3%A9-%E6%97%A5%E6%9C%AC.txt\n"),
    ("get-missing", "GET /demo/public-data/nope.csv\n"),
    ("get-restricted", "GET /demo/restricted-data/zz-restricted-name.csv\n"),
    ("get-unlisted", "GET /demo/unlisted-data/hidden.csv\n"),
    ("list-v2-awscli", "GET /demo/public-data?list-type=2&prefix=&delimiter=%2F&encoding-type=url\nuser-agent: aws-cli/2\n"),
    ("list-v2-recursive", "GET /demo/public-data?list-type=2&prefix=nested%2F&encoding-type=url\n"),
    ("list-v2-page", "GET /demo/public-data?list-type=2&max-keys=3&prefix=many%2F\n"),
    ("list-v2-token", "GET /demo/public-data?list-type=2&max-keys=2&continuation-token=MWttYW55LzAwMS50eHQ\n"),
    ("list-v2-start-after", "GET /demo/public-data?list-type=2&start-after=many%2F005.txt&fetch-owner=true\n"),
    ("list-v1-rclone", "GET /demo/public-data?delimiter=%2F&max-keys=1000&prefix=nested%2F\n"),
    ("list-v1-gdal", "GET /demo/public-data/?delimiter=%2F&prefix=odd%2F&marker=odd%2Fhello%20world.txt\n"),
    ("list-account", "GET /demo?list-type=2&delimiter=%2F&encoding-type=url\n"),
    ("list-account-recursive", "GET /demo/?list-type=2&prefix=public-data%2Fnested%2F\n"),
    ("list-account-v1", "GET /demo/?delimiter=%2F&marker=public-data%2F\n"),
    ("head-bucket", "HEAD /demo\n"),
    ("location", "GET /demo?location\n"),
    ("root", "GET /\n"),
    ("well-known", "GET /.well-known/openid-configuration\n"),
    ("jwks", "GET /.well-known/jwks.json\n"),
    ("preflight", "OPTIONS /demo/public-data/cities.csv\norigin: https://example.com\naccess-control-request-method: GET\naccess-control-request-headers: range,authorization\n"),
    ("put-405", "PUT /demo/public-data/x.csv\ncontent-length: 3\n\nabc"),
    ("acl-501", "GET /demo/public-data/cities.csv?acl\n"),
    ("bad-escape", "GET /demo/public-data/%zz\n"),
    ("dot-segments", "GET /demo/public-data/../restricted-data/zz-restricted-name.csv\n"),
    ("signed-alice", "GET /demo/restricted-data/zz-restricted-name.csv\nx-fuzz-sign: alice\nrange: bytes=0-3\n"),
    ("signed-bob", "GET /demo/restricted-data/zz-restricted-name.csv\nx-fuzz-sign: bob\n"),
    ("signed-list-alice", "GET /demo?list-type=2&delimiter=%2F\nx-fuzz-sign: alice\n"),
    ("signed-list-buckets", "GET /\nx-fuzz-sign: alice\n"),
    ("signed-ceiling", "GET /demo/restricted-data?list-type=2\nx-fuzz-sign: alice\nx-fuzz-ceiling: demo/public-data/*\n"),
    ("presigned-alice", "GET /demo/restricted-data/sub/zz-restricted-name-2.csv?response-content-type=text%2Fplain\nx-fuzz-presign: alice\n"),
    ("sts-form", "POST /.sts\ncontent-type: application/x-www-form-urlencoded; charset=utf-8\nx-fuzz-claims: {\"iss\":\"http://127.0.0.1:8788\",\"sub\":\"alice\",\"aud\":\"oidc-data-proxy\",\"exp\":1763785320,\"iat\":1763781720}\n\nAction=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2F_default&RoleSessionName=alice&WebIdentityToken=$TOKEN&DurationSeconds=3600"),
    ("sts-query-minio", "POST /.sts/?Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=_default&WebIdentityToken=$TOKEN\naccept: application/json\nx-fuzz-claims: {\"iss\":\"http://127.0.0.1:8788\",\"sub\":\"bob\",\"aud\":[\"x\",\"oidc-data-proxy\"],\"exp\":1763785320}\n\n"),
    ("sts-rclone-root", "POST /\ncontent-type: application/x-www-form-urlencoded\nx-fuzz-claims: {\"iss\":\"http://127.0.0.1:8788\",\"sub\":\"carol\",\"aud\":\"oidc-data-proxy\",\"exp\":1763781000}\n\nAction=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=_default&WebIdentityToken=$TOKEN"),
    ("sts-get-gdal", "GET /.sts/?Action=AssumeRoleWithWebIdentity&RoleArn=_default&RoleSessionName=gdal&WebIdentityToken=not.a.token\n"),
];

fn requests() {
    for (name, r) in REQUESTS {
        write("request", name, r);
        if !r.contains("x-fuzz-") {
            write("route", name, r);
        }
    }
}

/// The vectors as the raw requests a server receives (sigv4_parse), and as
/// indexes with mutations (sigv4_vectors).
fn sigv4() {
    for (i, v) in vectors().iter().enumerate() {
        let name = s(v, "name");
        write("sigv4_vectors", &name, [i as u8]);
        if v["kind"] == "presign" {
            let url = s(v, "url");
            let target = &url[url.find("://").unwrap() + 3..];
            let target = &target[target.find('/').unwrap()..];
            let mut r = format!("{} {target}\nhost: {}\n", s(v, "method"), s(v, "host"));
            for (n, val) in pairs(&v["headers"]) {
                r.push_str(&format!("{n}: {val}\n"));
            }
            write("sigv4_parse", &name, &r);
            write(
                "sigv4_vectors",
                &format!("{name}-mutated"),
                format!("{}80\n=\n\u{1}\u{1}", i as u8 as char),
            );
            continue;
        }
        let q: Vec<String> = pairs(&v["query"])
            .iter()
            .map(|(k, val)| {
                format!(
                    "{}={}",
                    oidc_data_proxy::sigv4::uri_encode(k, true),
                    oidc_data_proxy::sigv4::uri_encode(val, true)
                )
            })
            .collect();
        let mut r = format!(
            "{} {}?{}\nhost: {}\n",
            s(v, "method"),
            s(v, "path"),
            q.join("&"),
            s(v, "host")
        );
        for (n, val) in pairs(&v["headers"]) {
            if n != "x-amz-content-sha256" {
                r.push_str(&format!("{n}: {val}\n"));
            }
        }
        for (n, val) in v["expected"].as_object().unwrap() {
            r.push_str(&format!("{n}: {}\n", val.as_str().unwrap()));
        }
        write("sigv4_parse", &name, &r);
        write(
            "sigv4_vectors",
            &format!("{name}-extended"),
            format!("{}/more%20path\nlist-type\n2\nmeta\n  a  b  \n", i as u8 as char),
        );
    }
    // A session client: header-signed with a token, as the proxy's callers are.
    let creds = Credentials {
        access_key_id: "ODPAKIDEXAMPLE".into(),
        secret_access_key: Secret::from("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        session_token: Some(Secret::from("AQAAAAAtoken")),
    };
    let sreq = SignableRequest {
        method: "GET",
        host: "127.0.0.1:8787",
        path: "/demo/public-data/cities.csv",
        query: &[],
        headers: &[("range".into(), "bytes=0-9".into())],
    };
    let mut r = String::from("GET /demo/public-data/cities.csv\nhost: 127.0.0.1:8787\nrange: bytes=0-9\n");
    for (n, v) in sign(&sreq, &creds, "us-east-1", "s3", NOW) {
        r.push_str(&format!("{n}: {v}\n"));
    }
    write("sigv4_parse", "session-header", &r);
}

fn claims(sub: &str, exp: i64) -> String {
    json!({"iss": ISSUER, "sub": sub, "aud": AUDIENCE, "exp": exp, "iat": NOW - 10, "email": "a@example.com"})
        .to_string()
}

fn jwt() {
    let good = claims("alice", NOW + 600);
    let es = br#"{"alg":"ES256","kid":"test-ec-1","typ":"JWT"}"#;
    let rs = br#"{"alg":"RS256","kid":"test-rsa-1","typ":"JWT"}"#;
    let raw = |mode: u8, body: &str| [&[mode][..], body.as_bytes()].concat();
    write("jwt", "rs256-token", raw(0, &sign_rs256(rs, good.as_bytes())));
    write("jwt", "es256-token", raw(0, &sign_es256(es, good.as_bytes())));
    write(
        "jwt",
        "expired-token",
        raw(0, &sign_es256(es, claims("bob", NOW - 600).as_bytes())),
    );
    write(
        "jwt",
        "alg-none",
        raw(
            0,
            "eyJhbGciOiJub25lIiwia2lkIjoidGVzdC1lYy0xIn0.eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjg3ODgifQ.",
        ),
    );
    write("jwt", "es256-claims", [&[1u8][..], es, b"\n", good.as_bytes()].concat());
    let odd = json!({"iss": ISSUER, "sub": "", "aud": ["x", AUDIENCE], "exp": 1.5e9, "nbf": NOW + 3600});
    write(
        "jwt",
        "es256-odd-claims",
        [&[1u8][..], es, b"\n", odd.to_string().as_bytes()].concat(),
    );
    write(
        "jwt",
        "rs256-header-es256-signed",
        [&[1u8][..], rs, b"\n", good.as_bytes()].concat(),
    );
    write(
        "jwt",
        "kid-confusion",
        [
            &[1u8][..],
            br#"{"alg":"ES256","kid":"test-rsa-1"}"#,
            b"\n",
            good.as_bytes(),
        ]
        .concat(),
    );

    let disc = json!({"issuer": ISSUER, "jwks_uri": format!("{ISSUER}/jwks"), "id_token_signing_alg_values_supported": ["RS256", "ES256"]});
    write("oidc_docs", "discovery-loopback", format!("\u{1}{ISSUER}\n{disc}"));
    let google = json!({"issuer": "https://accounts.google.com", "jwks_uri": "https://www.googleapis.com/oauth2/v3/certs", "response_types_supported": ["code"]});
    write(
        "oidc_docs",
        "discovery-google",
        format!("\u{0}https://accounts.google.com\n{google}"),
    );
    write(
        "oidc_docs",
        "fixture-jwks",
        format!(
            "\u{0}https://idp.example.com/tenant/v2.0/\n{}",
            minified("tests/fixtures/oidc/jwks.json")
        ),
    );
    let _ = JWKS;
}

fn sts() {
    let form = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2F_default&RoleSessionName=alice&WebIdentityToken=eyJ.eyJ.sig&DurationSeconds=3600";
    write("sts_params", "boto3-form", format!("\n{form}"));
    write("sts_params", "minio-query", "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=_default&WebIdentityToken=abcd%0A&DurationSeconds=900");
    write(
        "sts_params",
        "both-agree",
        format!("Action=AssumeRoleWithWebIdentity\n{form}"),
    );
    write("sts_params", "policy-refused", format!("\n{form}&Policy=%7B%7D"));
    write("sts_params", "repeated-differs", format!("RoleArn=x\n{form}"));
}

fn lists() {
    use oidc_data_proxy::s3::list::Position;
    use oidc_data_proxy::s3::token::{Binding, TokenKeys};
    // The key the targets open tokens with, and the listings they bind to.
    let keys = TokenKeys::new(vec![[7; 32]]);
    let seal = |bucket: &str, prefix: &str, delimiter: Option<&str>, value: &str, is_prefix: bool| {
        Binding {
            keys: &keys,
            bucket,
            prefix,
            delimiter,
        }
        .seal(&Position {
            value: value.into(),
            is_prefix,
        })
    };
    let tok = seal("acct/p", "a/", Some("/"), "a/many/001.txt", false);
    let ptok = seal("acct/p", "a/", Some("/"), "a/nested/", true);
    write("list_token", "key", format!("{tok}\na/many/001.txt\n"));
    write("list_token", "prefix", format!("{ptok}\na/nested/\n\x05A\x09\x00"));
    write(
        "list_token",
        "foreign",
        format!("{}\nx\n\x00\x01", seal("acct", "a/", Some("/"), "x", false)),
    );
    write("list_token", "garbage", "MWttYW55LzAwMS50eHQ\n\n");
    // list_walk: control bytes, prefix, delimiter, start, ceiling, keys.
    let walk_keys = "a.txt\nb/\nb/c.txt\nb/d/e\nhello world.txt\nmany/001\nmany/002\nmany/003\nnested/a/b/c\nnested/a/d\nodd/日本\nz";
    write(
        "list_walk",
        "v2-delimiter-pages",
        format!("\x05\x01\x00\x00\n\n/\n\n\n{walk_keys}"),
    );
    write(
        "list_walk",
        "v1-marker-in-folder",
        format!("\x04\x02\x01\x00\n\n/\nmany/001\n\n{walk_keys}"),
    );
    write(
        "list_walk",
        "v2-token-prefix",
        format!("\x1d\x03\x02\x00\nnested/\n/\nnested/a/\n\n{walk_keys}"),
    );
    write(
        "list_walk",
        "account-level",
        format!("\x07\x04\x00\x00\n\n/\n\n\n{walk_keys}"),
    );
    write(
        "list_walk",
        "account-recursive",
        format!("\x03\x05\x01\x00\np/nested/\n\n\n\n{walk_keys}"),
    );
    write(
        "list_walk",
        "ceiling",
        format!("\x45\x01\x00\x00\n\n/\n\nb,many/00,nested/a/b,odd\n{walk_keys}"),
    );
    write(
        "list_walk",
        "ceiling-and-policy",
        format!("\x45\x01\x00\x00\n\n/\n\nb,many/,nested/|b/d,many/002,nested,odd\n{walk_keys}"),
    );
    write(
        "list_walk",
        "ceiling-and-policy-v1-account",
        format!("\x46\x02\x00\x00\n\n/\nb/c.txt\nb/,nested/a|b/d/,nested/a/b,z\n{walk_keys}"),
    );
    write(
        "list_walk",
        "short-names",
        [&[0x85, 2, 3, 5][..], format!("\n\n/\n\n\n{walk_keys}").as_bytes()].concat(),
    );
    write(
        "list_walk",
        "forged-token",
        format!("\x29\x01\x00\x00\n\n/\nb/\n\n{walk_keys}"),
    );
    write(
        "list_walk",
        "multibyte-delimiter",
        format!("\x05\x01\x00\x00\n\nab\n\n\nxab\nxaab\nxa\nabab\nb日ab\n{walk_keys}"),
    );
    write("list_params", "v2-awscli", "list-type=2&prefix=&delimiter=%2F&encoding-type=url\na.txt\nb/\nb/c.txt\nhello world.txt\nplus+sign\nctl\u{1}x");
    write(
        "list_params",
        "v2-token",
        "list-type=2&max-keys=2&prefix=a%2F&delimiter=%2F&continuation-token=$TOKEN\na/nested/\na/nested/x\nz",
    );
    write(
        "list_params",
        "v2-foreign-token",
        format!("list-type=2&prefix=b&continuation-token={ptok}\na\n"),
    );
    write(
        "list_params",
        "v1-marker",
        "delimiter=%2F&marker=b%2F&prefix=\nb/\na\nb/\nc/d\nunicodé/日本",
    );
    write(
        "list_params",
        "v2-start-after",
        "list-type=2&start-after=a&fetch-owner=true&max-keys=2147483647\na\nb\n&<>\"'",
    );
    let v2 = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>base/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><Contents><Key>base/a+b%2Bc%26.txt</Key><LastModified>2026-11-22T03:22:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents><CommonPrefixes><Prefix>base/d%C3%A9r/</Prefix></CommonPrefixes><NextContinuationToken>1ueGe</NextContinuationToken></ListBucketResult>"#;
    write("list_xml", "v2-url", v2);
    write("list_xml", "v1-plain", "<ListBucketResult><Name>b</Name><Marker></Marker><IsTruncated>false</IsTruncated><Contents><Key>a &amp; b</Key><LastModified>2009-10-12T17:50:30.000Z</LastModified><ETag>\"fba9dede5f27731c9771645a39863328\"</ETag><Size>434234</Size><Owner><ID>x</ID></Owner></Contents><Contents><Key><![CDATA[c<d]]></Key><Size>0</Size></Contents></ListBucketResult>");
    write("list_xml", "error", "<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>m</Message><RequestId>r</RequestId></Error>");
}

fn catalogs() {
    write(
        "catalog_static",
        "default",
        oidc_data_proxy::catalog::static_catalog_default(),
    );
    let readme = json!({
        "backends": {
            "sample": {"type": "r2", "binding": "DATA"},
            "mirror": {"type": "s3", "endpoint": "https://s3.us-west-2.amazonaws.com", "bucket": "my-bucket", "region": "us-west-2",
                       "access_key_id_var": "MIRROR_ACCESS_KEY_ID", "secret_access_key_var": "MIRROR_SECRET"},
            "fed": {"type": "s3", "endpoint": "https://s3.us-west-2.amazonaws.com", "bucket": "b", "region": "us-west-2",
                    "web_identity": {"role_arn": "arn:aws:iam::123456789012:role/oidc-data-proxy-reader", "sts_endpoint": "https://sts.us-west-2.amazonaws.com"}}
        },
        "accounts": {"demo": {"products": {
            "public-data": {"visibility": "public", "backend": "sample", "prefix": "demo/public-data/"},
            "archive": {"visibility": "unlisted", "backend": "mirror", "prefix": "archive/"},
            "fed-data": {"visibility": "restricted", "backend": "fed", "prefix": "f/", "grants": [{"issuer": ISSUER, "claim": "group", "equals": "x"}]}
        }}}
    });
    write("catalog_static", "s3-and-federation", readme.to_string());

    let base = "tests/fixtures/catalog";
    let perms = minified(&format!("{base}/permissions/acme/restricted-data.json"));
    for (product, conn) in [
        ("public-data", "acme-s3"),
        ("restricted-data", "acme-s3"),
        ("azure-data", "acme-az"),
        ("disabled-data", "acme-s3"),
        ("unlisted-data", "acme-s3"),
    ] {
        let p = minified(&format!("{base}/products/acme/{product}.json"));
        let c = minified(&format!("{base}/data-connections/{conn}.json"));
        let list = json!({"products": [serde_json::from_str::<Value>(&p).unwrap()]});
        write("catalog_http", product, format!("{p}\n{c}\n{perms}\n{list}\nhttps://idp.example\nuser-a\n_default\nhttps://catalog.example/api/v1/products/acme/{product}"));
    }
}

fn ranges() {
    let le = |a: u64, b: u64, size: u64| [a.to_le_bytes(), b.to_le_bytes(), size.to_le_bytes()].concat();
    write(
        "range",
        "polars",
        [le(0, 262_143, 33), b"bytes=0-262143".to_vec()].concat(),
    );
    write("range", "suffix", [le(5, 10, 22), b"bytes=-3".to_vec()].concat());
    write("range", "open", [le(18, 0, 22), b"bytes=18-".to_vec()].concat());
    write(
        "range",
        "spaces",
        [le(u64::MAX, u64::MAX, u64::MAX), b" bytes= 1 - 2 ".to_vec()].concat(),
    );
    write(
        "conditional",
        "matching",
        "\"2b\"\n-\nSun, 06 Nov 1994 08:49:37 GMT\n-\n\"2b\"\n784111777000",
    );
    write(
        "conditional",
        "weak-list",
        "-\nW/\"x\", \"2b\"\n-\nSunday, 06-Nov-94 08:49:37 GMT\n2b\n1700000000000",
    );
    write(
        "conditional",
        "star",
        "*\n*\nnot a date\nSun Nov  6 08:49:37 1994\n\"e\"\n-5",
    );
}

/// Object size, whole-object threshold, block, range start and length, flags
/// (bit 0: numbers raw), present bytes, chunk sizes (`cache_blocks`).
fn cache_blocks() {
    const MIB: u64 = 1 << 20;
    let seed = |nums: [u64; 5], raw: bool, present: &[u8], chunks: &[u64]| {
        let mut v: Vec<u8> = nums.iter().flat_map(|n| n.to_le_bytes()).collect();
        v.push(u8::from(raw));
        v.extend_from_slice(present);
        v.extend(chunks.iter().flat_map(|n| n.to_le_bytes()));
        v
    };
    // Blocks of 1 MiB, some cached: two runs of missing blocks, chunks as a network delivers them.
    write(
        "cache_blocks",
        "two-runs",
        seed(
            [5 * MIB + 7, 256 << 10, MIB, 1000, 3 * MIB],
            true,
            &[1, 0, 1, 0],
            &[16384, 65536, 1, 0],
        ),
    );
    // Every other block cached: more than MAX_RUNS runs, merged into one request.
    write(
        "cache_blocks",
        "merged",
        seed(
            [9 * MIB, 0, MIB, 0, 9 * MIB],
            true,
            &[0, 1, 0, 1, 0, 1, 0, 1, 0],
            &[4096; 8],
        ),
    );
    // A small object kept whole; a range inside it.
    write(
        "cache_blocks",
        "whole",
        seed([100_000, MIB, 0, 5, 777], false, &[0], &[100, 200, 0]),
    );
    // The top of the u64 range.
    write(
        "cache_blocks",
        "extremes",
        seed(
            [u64::MAX, 0, 8 * MIB, u64::MAX - 1, u64::MAX],
            true,
            &[0, 1],
            &[u64::MAX, 3],
        ),
    );
}

fn sessions() {
    let keys = SessionKeys::new([7; 32], Some([9; 32]));
    let s = Session {
        access_key_id: "ODPAKID1234567890".into(),
        secret_access_key: Secret::from("secret"),
        issuer: ISSUER.into(),
        subject: "alice".into(),
        role: "_default".into(),
        ceiling: vec!["*".into()],
        session_name: "alice".into(),
        audience: AUDIENCE.into(),
        expires_at: NOW + 3600,
        claims: vec![("group".into(), "x".into())],
        session_id: String::new(),
        policy: None,
    };
    let token = seal(&keys, &s).unwrap();
    write("session", "real-token", format!("\u{0}{}\n{token}", s.access_key_id));
    write(
        "session",
        "round-trip",
        format!("\u{1}ODPAKID1\nsecret\n{ISSUER}\nalice\n_default\ndemo/*,*\nalice\n{AUDIENCE}\n3600\ngroup=x,team=y"),
    );
    write("session", "expired", "\u{3}AKID\ns\ni\nu\nr\n\nn\na\n-1\n");
}

fn percent() {
    write("percent", "mixed", "a b+c%2F/ü\n%zz\nk\nv");
    write(
        "percent",
        "query",
        "list-type=2&prefix=photos%2F2006%20Feb%2F\nprefix\nphotos/2006 Feb/ü+&=\ndelimiter\n/",
    );
}

fn main() {
    requests();
    sigv4();
    jwt();
    sts();
    lists();
    catalogs();
    ranges();
    cache_blocks();
    sessions();
    percent();
}

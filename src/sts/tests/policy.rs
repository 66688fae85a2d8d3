//! Session policies end to end on the in-memory runtime: an exchange with
//! `Policy`, then signed reads and listings with its credentials; and the
//! audit lines that tie them together (session id, claims, policy digest).

use serde_json::{json, Value};

use super::{code_of, elem, exchange, form, idp};
use crate::http::Response;
use crate::platform::Platform;
use crate::proxy::handle;
use crate::secret::Secret;
use crate::sigv4::Credentials;
use crate::state::Isolate;
use crate::testing::keys::{mint_rs256, RSA_KID};
use crate::testing::{block_on, signed_request, take_body, FakePlatform};

const ISS: &str = "https://idp.test";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const ROLES: &str = r#"[{"name": "ci", "issuers": ["https://idp.test"], "audiences": ["proxy"],
  "ceiling": ["demo/*"], "pass_claims": ["repository", "job_workflow_ref"]}]"#;

fn cfg() -> Isolate {
    Isolate::from_env(&|n| match n {
        "SESSION_TOKEN_KEY" => Some(KEY.into()),
        "AUTH_AUDIENCE" => Some("proxy".into()),
        "ROLES" => Some(ROLES.into()),
        _ => None,
    })
}

fn platform() -> FakePlatform {
    let p = idp();
    for k in [
        "public-data/cities.csv",
        "public-data/other/x.csv",
        "public-data/reports/a.csv",
        "public-data/reports/b/c.csv",
        "public-data/reports2/d.csv",
        "unlisted-data/reports/u.csv",
    ] {
        p.put("DATA", &format!("demo/{k}"), k.as_bytes());
    }
    p
}

fn token(p: &FakePlatform, sub: &str, extra: Value) -> String {
    let now = p.now_ms() / 1000;
    let mut c = json!({"iss": ISS, "sub": sub, "aud": "proxy", "iat": now, "exp": now + 600});
    if let (Some(o), Some(e)) = (c.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    mint_rs256(RSA_KID, &c)
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Exchanges with `policy` (when given): the answer's status and body.
fn assume(p: &FakePlatform, c: &Isolate, sub: &str, extra: Value, policy: Option<&str>) -> (u16, String) {
    let mut f = form("ci", &token(p, sub, extra));
    if let Some(pol) = policy {
        f.push_str(&format!("&Policy={}", enc(pol)));
    }
    let (r, body) = exchange(p, c, &f, false);
    (r.status, body)
}

fn creds(body: &str) -> Credentials {
    Credentials {
        access_key_id: elem(body, "AccessKeyId").to_string(),
        secret_access_key: Secret::from(elem(body, "SecretAccessKey").to_string()),
        session_token: Some(Secret::from(elem(body, "SessionToken").to_string())),
    }
}

fn get(p: &FakePlatform, c: &Isolate, cr: &Credentials, path: &str, query: &str) -> (u16, String) {
    let mut r: Response<Vec<u8>> = block_on(handle(p, c, signed_request("GET", "h", path, query, cr, p.now_ms())));
    let body = take_body(&mut r);
    (r.status, String::from_utf8_lossy(&body).into_owned())
}

fn all(xml: &str, name: &str) -> Vec<String> {
    xml.split(&format!("<{name}>"))
        .skip(1)
        .filter_map(|s| s.split(&format!("</{name}>")).next())
        .map(str::to_string)
        .collect()
}

const REPORTS: &str = r#"{"Version": "2012-10-17", "Statement": [
  {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/public-data/reports/*"},
  {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
   "Condition": {"StringLike": {"s3:prefix": "public-data/reports/*"}}}]}"#;

#[test]
fn a_policy_narrows_reads_with_access_denied() {
    let (p, c) = (platform(), cfg());
    let (status, body) = assume(&p, &c, "alice", json!({}), Some(REPORTS));
    assert_eq!(status, 200, "{body}");
    let cr = creds(&body);
    assert!(elem(&body, "SessionToken").len() <= crate::session::MAX_TOKEN_LEN);
    assert_eq!(
        get(&p, &c, &cr, "/demo/public-data/reports/a.csv", ""),
        (200, "public-data/reports/a.csv".into())
    );
    for outside in [
        "/demo/public-data/cities.csv",
        "/demo/public-data/reports2/d.csv",
        "/demo/unlisted-data/reports/u.csv",
    ] {
        let (status, body) = get(&p, &c, &cr, outside, "");
        assert_eq!(
            (status, code_of(&body).as_str()),
            (403, "AccessDenied"),
            "{outside}: {body}"
        );
    }
    // The catalog still decides first: no grant is NoSuchBucket, never AccessDenied.
    let (status, body) = get(&p, &c, &cr, "/demo/restricted-data/secret.csv", "");
    assert_eq!((status, code_of(&body).as_str()), (404, "NoSuchBucket"));
    // The same role without a policy reads all of it.
    let (_, body) = assume(&p, &c, "alice", json!({}), None);
    assert_eq!(get(&p, &c, &creds(&body), "/demo/public-data/cities.csv", "").0, 200);
}

#[test]
fn listings_show_only_what_the_policy_lists() {
    let (p, c) = (platform(), cfg());
    let (_, body) = assume(&p, &c, "alice", json!({}), Some(REPORTS));
    let cr = creds(&body);
    let (status, xml) = get(&p, &c, &cr, "/demo", "list-type=2");
    assert_eq!(status, 200, "{xml}");
    assert_eq!(
        all(&xml, "Key"),
        vec!["public-data/reports/a.csv", "public-data/reports/b/c.csv"]
    );
    assert_eq!(all(&xml, "KeyCount"), vec!["2"]);
    let (_, xml) = get(&p, &c, &cr, "/demo", "list-type=2&delimiter=%2F");
    assert_eq!(all(&xml, "Prefix")[1..], ["public-data/".to_string()], "{xml}");
    let (_, xml) = get(&p, &c, &cr, "/demo", "list-type=2&delimiter=%2F&prefix=public-data%2F");
    assert!(all(&xml, "Key").is_empty(), "{xml}");
    assert_eq!(all(&xml, "Prefix")[1..], ["public-data/reports/".to_string()], "{xml}");
    // Page by page: every token and marker stays inside what is listed.
    let mut seen = Vec::new();
    let mut query = "list-type=2&max-keys=1".to_string();
    for _ in 0..5 {
        let (_, xml) = get(&p, &c, &cr, "/demo", &query);
        seen.extend(all(&xml, "Key"));
        assert_eq!(all(&xml, "KeyCount"), vec!["1"], "{xml}");
        match all(&xml, "NextContinuationToken").first() {
            Some(t) => query = format!("list-type=2&max-keys=1&continuation-token={}", enc(t)),
            None => break,
        }
    }
    assert_eq!(seen, vec!["public-data/reports/a.csv", "public-data/reports/b/c.csv"]);
    // V1 with a marker outside the policy shows nothing more than inside it.
    let (_, xml) = get(&p, &c, &cr, "/demo", "marker=public-data%2Fcities.csv");
    assert_eq!(
        all(&xml, "Key"),
        vec!["public-data/reports/a.csv", "public-data/reports/b/c.csv"]
    );
    // A product the policy does not list lists as empty at its own level.
    let (status, xml) = get(&p, &c, &cr, "/demo/unlisted-data", "list-type=2");
    assert_eq!((status, all(&xml, "KeyCount")), (200, vec!["0".to_string()]), "{xml}");
}

#[test]
fn a_read_only_policy_lists_nothing_and_list_buckets_follows_the_policy() {
    let (p, c) = (platform(), cfg());
    let read_only = r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/public-data/cities.csv"}}"#;
    let (_, body) = assume(&p, &c, "alice", json!({}), Some(read_only));
    let cr = creds(&body);
    assert_eq!(get(&p, &c, &cr, "/demo/public-data/cities.csv", "").0, 200);
    assert_eq!(get(&p, &c, &cr, "/demo/public-data/cities.csvx", "").0, 403);
    let (_, xml) = get(&p, &c, &cr, "/demo", "list-type=2&delimiter=%2F");
    assert!(all(&xml, "Key").is_empty() && all(&xml, "Prefix").len() == 1, "{xml}");
    assert!(get(&p, &c, &cr, "/", "").1.contains("<Name>demo</Name>"));
    let elsewhere =
        r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other/*"}}"#;
    let (_, body) = assume(&p, &c, "alice", json!({}), Some(elsewhere));
    assert!(!get(&p, &c, &creds(&body), "/", "").1.contains("<Name>demo</Name>"));
}

#[test]
fn bad_policies_get_aws_codes_before_anything_is_minted() {
    let (p, c) = (platform(), cfg());
    let deny = r#"{"Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}}"#;
    let (status, body) = assume(&p, &c, "alice", json!({}), Some(deny));
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "MalformedPolicyDocument"),
        "{body}"
    );
    let many: Vec<String> = (0..80)
        .map(|i| format!("arn:aws:s3:::demo/public-data/dir{i:04}/*"))
        .collect();
    let big = json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": many}}).to_string();
    let (status, body) = assume(&p, &c, "alice", json!({}), Some(&big));
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "PackedPolicyTooLarge"),
        "{body}"
    );
    let pct = (big.len() * 100).div_ceil(2048);
    assert_eq!(
        elem(&body, "Message"),
        format!("Packed policy consumes {pct}% of allotted space, please use smaller policy.")
    );
    // Nothing was fetched from the IdP for either: the policy is judged first.
    assert!(p.fetched.borrow().is_empty());
}

/// Within its 2,048 packed characters a policy can still overflow the token
/// next to a long subject and passed claims: then it is PackedPolicyTooLarge
/// (the share of the room left), and never a token over 4,096 characters.
#[test]
fn the_token_room_bounds_the_policy() {
    let (p, c) = (platform(), cfg());
    let n = (0..)
        .take_while(|n| {
            let many: Vec<String> = (0..*n)
                .map(|i| format!("arn:aws:s3:::demo/public-data/d{i:04}/*"))
                .collect();
            json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": many}})
                .to_string()
                .len()
                <= 2048
        })
        .last()
        .unwrap();
    let many: Vec<String> = (0..n)
        .map(|i| format!("arn:aws:s3:::demo/public-data/d{i:04}/*"))
        .collect();
    let pol = json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": many}}).to_string();
    let full = json!({"repository": "r".repeat(512), "job_workflow_ref": "w".repeat(512)});
    let (status, body) = assume(&p, &c, &"s".repeat(1024), full, Some(&pol));
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "PackedPolicyTooLarge"),
        "{body}"
    );
    let msg = elem(&body, "Message");
    let pct: u32 = msg
        .split('%')
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(pct > 100, "{msg}");
    // A short subject leaves room for it.
    let (status, body) = assume(&p, &c, "alice", json!({}), Some(&pol));
    assert_eq!(status, 200, "{body}");
    assert!(elem(&body, "SessionToken").len() <= crate::session::MAX_TOKEN_LEN);
    assert_eq!(get(&p, &c, &creds(&body), "/demo/public-data/d0003/x", "").0, 404);
}

fn lines(p: &FakePlatform, msg: &str) -> Vec<Value> {
    p.logs
        .borrow()
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["msg"] == msg)
        .collect()
}

#[test]
fn one_session_id_ties_the_exchange_to_every_request() {
    let (p, c) = (platform(), cfg());
    let run = json!({"repository": "octo/repo", "run_id": "4242", "run_attempt": "1", "sha": "abc",
        "workflow_ref": "octo/repo/.github/workflows/ci.yml@refs/heads/main", "secret_thing": "no"});
    let (_, body) = assume(&p, &c, "repo:octo/repo", run, Some(REPORTS));
    let cr = creds(&body);
    get(&p, &c, &cr, "/demo/public-data/reports/a.csv", "");
    get(&p, &c, &cr, "/demo/public-data/cities.csv", "");
    let ex = lines(&p, "sts exchange").pop().unwrap();
    let sid = ex["session_id"].as_str().unwrap().to_string();
    assert_eq!(sid.len(), crate::session::SESSION_ID_LEN);
    assert_eq!(ex["claims"]["run_id"], "4242");
    assert_eq!(ex["claims"]["repository"], "octo/repo");
    assert!(ex["claims"].get("secret_thing").is_none());
    assert_eq!(ex["policy"]["read"], json!(["demo/public-data/reports/*"]));
    assert_eq!(ex["policy"]["list"], json!(["demo/public-data/reports/*"]));
    let digest = ex["policy"]["digest"].as_str().unwrap().to_string();
    let audits = lines(&p, "audit");
    assert_eq!(audits.len(), 2);
    for a in &audits {
        assert_eq!(
            (a["session_id"].as_str(), a["policy"].as_str()),
            (Some(sid.as_str()), Some(digest.as_str()))
        );
    }
    assert_eq!(
        (audits[0]["status"].as_u64(), audits[1]["status"].as_u64()),
        (Some(200), Some(403))
    );
    // Never the token or a secret.
    let all_logs = p.logs.borrow().join("\n");
    assert!(!all_logs.contains(cr.secret_access_key.expose()));
    assert!(!all_logs.contains(cr.session_token.as_ref().unwrap().expose()));
    // Another exchange, another id.
    let (_, body) = assume(&p, &c, "repo:octo/repo", json!({}), None);
    get(&p, &c, &creds(&body), "/demo/public-data/cities.csv", "");
    let other = lines(&p, "sts exchange").pop().unwrap();
    assert_ne!(other["session_id"], ex["session_id"]);
    assert!(other.get("policy").is_none() && other.get("claims").is_none());
    assert_eq!(lines(&p, "audit").pop().unwrap()["session_id"], other["session_id"]);
}

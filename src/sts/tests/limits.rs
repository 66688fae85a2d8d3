//! What an exchange seals into a session token is bounded before sealing:
//! every token gets a 4xx with a clear message, never a 5xx, and anything
//! within the documented limits seals and signs.

use crate::error::ApiError;
use serde_json::json;

use super::{code_of, elem, exchange, form, idp};
use crate::platform::Platform;
use crate::secret::Secret;
use crate::sigv4::{Credentials, SignableRequest};
use crate::state::Isolate;
use crate::testing::keys::{mint_rs256, RSA_KID};
use crate::testing::{run, signed_request, FakePlatform};

const ISS: &str = "https://idp.test";
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// A role without conditions that passes two claims, so their sizes are the caller's.
const ROLES: &str = r#"[{"name": "wide", "issuers": ["https://idp.test"], "audiences": ["proxy"],
  "ceiling": ["demo/*"], "pass_claims": ["repository", "job_workflow_ref"]}]"#;

fn cfg() -> Isolate {
    Isolate::from_env(&|n| match n {
        "SESSION_TOKEN_KEY" => Some(KEY.into()),
        "AUTH_ISSUER" => Some(ISS.into()),
        "AUTH_AUDIENCE" => Some("proxy".into()),
        "ROLES" => Some(ROLES.into()),
        _ => None,
    })
}

fn token(p: &FakePlatform, sub: &str, extra: serde_json::Value) -> String {
    let now = p.now_ms() / 1000;
    let mut c = json!({"iss": ISS, "sub": sub, "aud": "proxy", "iat": now, "exp": now + 600});
    if let (Some(o), Some(e)) = (c.as_object_mut(), extra.as_object()) {
        o.extend(e.clone());
    }
    mint_rs256(RSA_KID, &c)
}

/// Status, code, message of one exchange.
fn outcome(p: &FakePlatform, c: &Isolate, role: &str, tok: &str, extra: &str) -> (u16, String, String, String) {
    let (r, body) = exchange(p, c, &format!("{}{extra}", form(role, tok)), false);
    (r.status, code_of(&body), elem(&body, "Message").to_string(), body)
}

/// The credentials of a successful exchange sign a ListBuckets that the proxy accepts.
fn signs(p: &FakePlatform, c: &Isolate, body: &str) -> u16 {
    let creds = Credentials {
        access_key_id: elem(body, "AccessKeyId").to_string(),
        secret_access_key: Secret::from(elem(body, "SecretAccessKey").to_string()),
        session_token: Some(Secret::from(elem(body, "SessionToken").to_string())),
    };
    let _signable = SignableRequest {
        method: "GET",
        host: "h",
        path: "/",
        query: &[],
        headers: &[],
    };
    run(p, c, signed_request("GET", "h", "/", "", &creds, p.now_ms()))
        .0
        .status
}

#[test]
fn a_long_subject_is_refused_with_a_4xx() {
    let (p, c) = (idp(), cfg());
    // 2,900 bytes overflowed the session token: 500 InternalFailure.
    for len in [2900, 1025, 14_000] {
        let (status, code, msg, body) = outcome(&p, &c, "_default", &token(&p, &"s".repeat(len), json!({})), "");
        assert_eq!((status, code.as_str()), (400, "InvalidIdentityToken"), "{len}: {body}");
        assert!(msg.contains("subject") && msg.contains("1024"), "{msg}");
    }
    // The denial's log line names the subject, cut: a client cannot make it large.
    let logs = p.logs.borrow();
    let last = logs
        .iter()
        .rev()
        .find(|l| l.contains("sts exchange"))
        .cloned()
        .unwrap_or_default();
    assert!(last.len() <= 4096, "{} bytes", last.len());
    let v: serde_json::Value = serde_json::from_str(&last).unwrap();
    let sub = v["subject"].as_str().unwrap_or_default();
    assert!(sub.starts_with("sss") && sub.ends_with("[14000 bytes]"), "{sub}");
}

#[test]
fn the_subject_is_measured_as_sealed() {
    let (p, c) = (idp(), cfg());
    // 600 bytes, but 3,600 once JSON escapes them in the sealed session.
    let ctl = "\u{1}".repeat(600);
    let (status, code, _, body) = outcome(&p, &c, "_default", &token(&p, &ctl, json!({})), "");
    assert_eq!((status, code.as_str()), (400, "InvalidIdentityToken"), "{body}");
    // Quotes count twice: 512 of them are 1024 bytes sealed, and fit.
    let quotes = "\"".repeat(512);
    let (status, _, _, body) = outcome(&p, &c, "_default", &token(&p, &quotes, json!({})), "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(signs(&p, &c, &body), 200);
}

#[test]
fn large_passed_claims_are_refused_with_a_4xx() {
    let (p, c) = (idp(), cfg());
    let cases = [
        json!({"repository": "r".repeat(3000)}),
        // Each alone is fine; together they exceed the budget for passed claims.
        json!({"repository": "r".repeat(600), "job_workflow_ref": "w".repeat(600)}),
    ];
    for extra in cases {
        let (status, code, msg, body) = outcome(&p, &c, "wide", &token(&p, "alice", extra), "");
        assert_eq!((status, code.as_str()), (400, "InvalidIdentityToken"), "{body}");
        assert!(msg.contains("claims") && msg.contains("1024"), "{msg}");
    }
}

#[test]
fn everything_at_its_limit_seals_and_signs() {
    let (p, c) = (idp(), cfg());
    let extra = json!({"repository": "r".repeat(512), "job_workflow_ref": "w".repeat(512)});
    let tok = token(&p, &"s".repeat(1024), extra);
    let name = format!("&RoleSessionName={}", "n".repeat(64));
    let (status, _, _, body) = outcome(&p, &c, "wide", &tok, &name);
    assert_eq!(status, 200, "{body}");
    assert!(elem(&body, "SessionToken").len() <= crate::session::MAX_TOKEN_LEN);
    assert_eq!(signs(&p, &c, &body), 200);
}

#[test]
fn roles_that_could_overflow_a_session_are_disabled() {
    let role = |name: &str, ceiling: Vec<String>, pass: &[&str]| json!({"name": name, "issuers": [ISS], "audiences": ["proxy"], "ceiling": ceiling, "pass_claims": pass});
    let wide: Vec<String> = (0..60).map(|i| format!("demo/product-{i:02}/a/long/prefix*")).collect();
    let roles = json!([
        role("many-claims", vec!["demo/*".into()], &["a", "b", "c", "d", "e"]),
        role("big-ceiling", wide, &[]),
        role("claim-twice", vec!["demo/*".into()], &["a", "a"]),
        role("long-claim-name", vec!["demo/*".into()], &[&"c".repeat(65)]),
        role("fine", vec!["demo/*".into()], &["a", "b", "c", "d"]),
    ])
    .to_string();
    let c = Isolate::from_env(&|n| match n {
        "SESSION_TOKEN_KEY" => Some(KEY.into()),
        "AUTH_AUDIENCE" => Some("proxy".into()),
        "ROLES" => Some(roles.clone()),
        _ => None,
    });
    for name in ["many-claims", "big-ceiling", "claim-twice", "long-claim-name"] {
        assert!(c.config.roles.get(name).is_err(), "{name} must be disabled");
        assert!(
            c.config.warnings.iter().any(|w| w.contains(name)),
            "{name}: {:?}",
            c.config.warnings
        );
    }
    assert!(c.config.roles.get("fine").is_ok(), "{:?}", c.config.warnings);
    // An absurd AUTH_ISSUER cannot make `_default` overflow either.
    let long_iss = format!("https://idp.test/{}", "i".repeat(2500));
    let c = Isolate::from_env(&|n| match n {
        "SESSION_TOKEN_KEY" => Some(KEY.into()),
        "AUTH_ISSUER" => Some(long_iss.clone()),
        "AUTH_AUDIENCE" => Some("proxy".into()),
        _ => None,
    });
    assert_eq!(c.config.roles.get("_default").map_err(|e| e.status()).err(), Some(501));
    assert!(
        c.config.warnings.iter().any(|w| w.contains("_default")),
        "{:?}",
        c.config.warnings
    );
}

/// Every raw character and every character reference of `doc` is one XML 1.0
/// can carry: what a strict parser (expat, libxml2, Go's encoding/xml) reads.
fn xml_chars_ok(doc: &str) -> bool {
    let refs_ok = doc.split("&#").skip(1).all(|r| {
        let Some((num, _)) = r.split_once(';') else {
            return false;
        };
        let n = match num.strip_prefix('x') {
            Some(hex) => u32::from_str_radix(hex, 16),
            None => num.parse::<u32>(),
        };
        n.ok().and_then(char::from_u32).is_some_and(crate::s3::xml::is_xml_char)
    });
    refs_ok && doc.chars().all(crate::s3::xml::is_xml_char)
}

#[test]
fn claims_an_answer_cannot_carry_are_refused_up_front() {
    let (p, c) = (idp(), cfg());
    // U+0001 gave a 200 whose XML held `&#x1;`: no XML 1.0 parser reads it.
    for bad in ["a\u{1}b", "a\u{0}b", "\u{1f}", "a\u{b}", "a\u{FFFE}", "\u{FFFF}b"] {
        for json in [false, true] {
            let (r, body) = exchange(&p, &c, &form("_default", &token(&p, bad, json!({}))), json);
            let code = match json {
                true => serde_json::from_str::<serde_json::Value>(&body).unwrap()["Error"]["Code"].to_string(),
                false => format!("\"{}\"", code_of(&body)),
            };
            assert_eq!(
                (r.status, code.as_str()),
                (400, "\"InvalidIdentityToken\""),
                "{bad:?}: {body}"
            );
            assert!(body.contains("character"), "a clear message: {body}");
        }
        // A passed claim is sealed into the session: the same rule.
        let (status, code, msg, body) = outcome(&p, &c, "wide", &token(&p, "alice", json!({"repository": bad})), "");
        assert_eq!(
            (status, code.as_str()),
            (400, "InvalidIdentityToken"),
            "{bad:?}: {body}"
        );
        assert!(msg.contains("claim") && msg.contains("character"), "{msg}");
    }
    // What XML 1.0 carries still works, and the answer is well-formed.
    for fine in [
        "tab\there",
        "line\nbreak",
        "cr\rlf",
        "del\u{7f}",
        "nel\u{85}",
        "🦀",
        "\u{FFFD}",
    ] {
        let (status, _, _, body) = outcome(&p, &c, "_default", &token(&p, fine, json!({})), "");
        assert_eq!(status, 200, "{fine:?}: {body}");
        assert!(xml_chars_ok(&body), "{fine:?}: {body}");
        assert_eq!(signs(&p, &c, &body), 200);
    }
}

#[test]
fn the_well_formedness_check_can_fail() {
    assert!(xml_chars_ok("<a>&#x9;&#13;&#xFFFD;é</a>"));
    for bad in [
        "<a>&#x1;</a>",
        "<a>&#0;</a>",
        "<a>&#xFFFE;</a>",
        "<a>\u{1}</a>",
        "<a>&#xZZ;</a>",
    ] {
        assert!(!xml_chars_ok(bad), "{bad:?}");
    }
}

#[test]
fn an_audience_or_issuer_an_answer_cannot_carry_disables_the_role() {
    let roles = json!([
        {"name": "ctl-aud", "issuers": [ISS], "audiences": ["pro\u{1}xy"], "ceiling": ["*"]},
        {"name": "ctl-iss", "issuers": ["https://idp.test\u{FFFF}"], "audiences": ["proxy"], "ceiling": ["*"]},
        {"name": "fine", "issuers": [ISS], "audiences": ["proxy"], "ceiling": ["*"]},
    ])
    .to_string();
    let c = Isolate::from_env(&|n| match n {
        "SESSION_TOKEN_KEY" => Some(KEY.into()),
        "AUTH_ISSUER" => Some(ISS.into()),
        "AUTH_AUDIENCE" => Some("a\u{0}b".into()),
        "ROLES" => Some(roles.clone()),
        _ => None,
    });
    for name in ["ctl-aud", "ctl-iss", "_default"] {
        assert!(c.config.roles.get(name).is_err(), "{name} must be disabled");
        assert!(
            c.config.warnings.iter().any(|w| w.contains(name)),
            "{name}: {:?}",
            c.config.warnings
        );
    }
    assert!(c.config.roles.get("fine").is_ok(), "{:?}", c.config.warnings);
}

/// Everything a role lists is bounded, and so is the number of roles: a role
/// over a bound is disabled with the reason logged, like any invalid role.
#[test]
fn counts_in_roles_are_bounded() {
    use crate::sts::roles::{
        MAX_AUDIENCES, MAX_BINDINGS, MAX_CEILING_PATTERNS, MAX_CONDITIONS, MAX_CONDITION_VALUE_BYTES, MAX_ISSUERS,
        MAX_ROLES,
    };
    let cond = |v: String| json!({"claim": "sub", "glob": v});
    let many = |n: usize, f: &dyn Fn(usize) -> serde_json::Value| (0..n).map(f).collect::<Vec<_>>();
    let base = |name: &str| json!({"name": name, "issuers": [ISS], "audiences": ["proxy"], "ceiling": ["*"]});
    let with = |name: &str, field: &str, v: serde_json::Value| {
        let mut r = base(name);
        r[field] = v;
        r
    };
    let iss = |i| json!(format!("{ISS}/{i}"));
    let aud = |i| json!(format!("aud-{i}"));
    let pat = |i| json!(format!("a/p{i}"));
    let bind = |_| json!([cond("*".into())]);
    let conds = |n| json!([many(n, &|i| cond(format!("*{i}")))]);
    let at_limit = [
        with("iss-ok", "issuers", json!(many(MAX_ISSUERS, &iss))),
        with("aud-ok", "audiences", json!(many(MAX_AUDIENCES, &aud))),
        with("ceil-ok", "ceiling", json!(many(MAX_CEILING_PATTERNS, &pat))),
        with("bind-ok", "bindings", json!(many(MAX_BINDINGS, &bind))),
        with("cond-ok", "bindings", conds(MAX_CONDITIONS)),
        with(
            "value-ok",
            "bindings",
            json!([[cond("v".repeat(MAX_CONDITION_VALUE_BYTES))]]),
        ),
    ];
    let over = [
        with("iss-over", "issuers", json!(many(MAX_ISSUERS + 1, &iss))),
        with("aud-over", "audiences", json!(many(MAX_AUDIENCES + 1, &aud))),
        with("ceil-over", "ceiling", json!(many(MAX_CEILING_PATTERNS + 1, &pat))),
        with("bind-over", "bindings", json!(many(MAX_BINDINGS + 1, &bind))),
        with("cond-over", "bindings", conds(MAX_CONDITIONS + 1)),
        with(
            "value-over",
            "bindings",
            json!([[cond("v".repeat(MAX_CONDITION_VALUE_BYTES + 1))]]),
        ),
    ];
    let mut all: Vec<serde_json::Value> = at_limit.iter().chain(over.iter()).cloned().collect();
    // Fill up to the bound on roles, then two more.
    let filler = MAX_ROLES - all.len();
    all.extend((0..filler + 2).map(|i| base(&format!("filler-{i}"))));
    let roles = serde_json::Value::from(all).to_string();
    let c = Isolate::from_env(&|n| match n {
        "SESSION_TOKEN_KEY" => Some(KEY.into()),
        "AUTH_AUDIENCE" => Some("proxy".into()),
        "ROLES" => Some(roles.clone()),
        _ => None,
    });
    for r in &at_limit {
        let name = r["name"].as_str().unwrap_or_default();
        assert!(c.config.roles.get(name).is_ok(), "{name}: {:?}", c.config.warnings);
    }
    let last_two = [format!("filler-{filler}"), format!("filler-{}", filler + 1)];
    let disabled = over
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default().to_string())
        .chain(last_two);
    for name in disabled {
        assert!(c.config.roles.get(&name).is_err(), "{name} must be disabled");
        assert!(
            c.config.warnings.iter().any(|w| w.contains(&name)),
            "{name}: {:?}",
            c.config.warnings
        );
    }
    assert!(c.config.roles.get(&format!("filler-{}", filler - 1)).is_ok());
}

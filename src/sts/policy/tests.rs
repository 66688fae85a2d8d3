use serde_json::json;

use super::parse::glob_for_tests;
use super::*;

fn ok(doc: serde_json::Value) -> SealedPolicy {
    parse(&doc.to_string())
        .unwrap_or_else(|e| panic!("{e:?}: {doc}"))
        .sealed
}

fn malformed(text: &str) -> &'static str {
    match parse(text) {
        Err(PolicyError::Malformed(m)) => m,
        other => panic!("{text}: {other:?}"),
    }
}

fn stmt(action: serde_json::Value, resource: serde_json::Value) -> serde_json::Value {
    json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}})
}

fn ceiling(p: &[&str]) -> Ceiling {
    Ceiling::parse(&p.iter().map(ToString::to_string).collect::<Vec<_>>()).unwrap()
}

#[test]
fn reads_and_listings_become_patterns() {
    let p = ok(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject",
         "Resource": ["arn:aws:s3:::demo/restricted-data/reports/*", "arn:aws:s3:::demo/public-data/cities.csv"]},
        {"Sid": "list", "Effect": "Allow", "Action": ["s3:ListBucket"], "Resource": "arn:aws:s3:::demo",
         "Condition": {"StringLike": {"s3:prefix": ["restricted-data/reports/*", "public-data/"]}}}
    ]}));
    assert_eq!(
        p.read,
        vec!["=demo/public-data/cities.csv", "demo/restricted-data/reports/*"]
    );
    assert_eq!(p.list, vec!["demo/public-data", "demo/restricted-data/reports/*"]);
    assert_eq!(p.digest.len(), 16);
}

#[test]
fn wildcard_actions_mean_exactly_what_they_match() {
    let both = stmt(json!("s3:*"), json!(["arn:aws:s3:::demo", "arn:aws:s3:::demo/*"]));
    assert_eq!(ok(both.clone()).read, vec!["demo/*"]);
    assert_eq!(ok(both).list, vec!["demo/*"]);
    let get = ok(stmt(
        json!("S3:get*"),
        json!(["arn:aws:s3:::demo", "arn:aws:s3:::demo/*"]),
    ));
    assert_eq!((get.read.len(), get.list.len()), (1, 0));
    let list = ok(stmt(
        json!("s3:List*"),
        json!(["arn:aws:s3:::demo", "arn:aws:s3:::demo/*"]),
    ));
    assert_eq!((list.read.len(), list.list.len()), (0, 1));
    let any = ok(stmt(json!("*"), json!("*")));
    assert_eq!((any.read, any.list), (vec!["*".to_string()], vec!["*".to_string()]));
    assert_eq!(ok(stmt(json!("s3:?etObjec?"), json!("*"))).read, vec!["*"]);
    assert!(glob_for_tests("getobject", "*object") && !glob_for_tests("getobject", "*bucket"));
    for a in [
        "s3:PutObject",
        "s3:Put*",
        "s3:GetBucketLocation",
        "iam:*",
        "sts:AssumeRole",
        "GetObject",
        "",
    ] {
        malformed(&stmt(json!(a), json!("*")).to_string());
    }
}

#[test]
fn what_is_not_understood_is_refused() {
    let deny = json!({"Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}});
    assert!(malformed(&deny.to_string()).contains("Deny"));
    let cases = [
        json!({"Statement": {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": "*"}}),
        json!({"Statement": {"Action": "s3:GetObject", "Resource": "*"}}),
        json!({"Statement": {"Effect": "Allow", "Resource": "*"}}),
        json!({"Statement": {"Effect": "allow", "Action": "s3:GetObject", "Resource": "*"}}),
        json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}),
        json!({"Statement": []}),
        json!({"Statement": ["x"]}),
        json!({"Version": "2012-10-17"}),
        json!({"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}, "Extra": 1}),
        json!([]),
        // Other condition keys and operators.
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {"StringLike": {"s3:delimiter": "/"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {"StringNotLike": {"s3:prefix": "a/*"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {"ForAnyValue:StringLike": {"s3:prefix": "a/*"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {"StringLike": {"s3:prefix": "a/*/b*"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {"StringLike": {"s3:prefix": "restricted*"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {"StringEquals": {"s3:prefix": "p/${aws:username}/"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*",
            "Condition": {"StringLike": {"s3:prefix": "p/*"}}}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
            "Condition": {}}}),
        // Resources.
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/*/x*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/rest*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/p/a?"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::de*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/p"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/p/"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::demo/*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::Demo/*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/p/\u{1}*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": []}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": 7}}),
        // Grants nothing: a read of a bucket, a listing of objects, a conditioned read.
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo/*"}}),
        json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/*",
            "Condition": {"StringLike": {"s3:prefix": "p/*"}}}}),
    ];
    for c in cases {
        malformed(&c.to_string());
    }
    for text in ["", "{", "null", "{\"Statement\": 1e999}", "{} {}"] {
        malformed(text);
    }
}

#[test]
fn hostile_documents_are_refused_cheaply() {
    // Repeated member names, at any depth: parsers disagree on which wins.
    assert!(
        malformed(r#"{"Statement": {"Effect": "Allow", "Effect": "Deny", "Action": "*", "Resource": "*"}}"#)
            .contains("repeats")
    );
    assert!(
        malformed(r#"{"Statement": [], "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)
            .contains("repeats")
    );
    // Deep nesting stops at serde_json's recursion limit.
    let deep = format!("{{\"Statement\": {}{}}}", "[".repeat(5000), "]".repeat(5000));
    malformed(&deep);
    // Huge: over the packed limit, with AWS's percentage.
    let many: Vec<String> = (0..200).map(|i| format!("arn:aws:s3:::demo/p/dir{i:04}/*")).collect();
    let big = stmt(json!("s3:GetObject"), json!(many)).to_string();
    match parse(&big) {
        Err(PolicyError::TooLarge(pct)) => {
            let want = (big.len() * 100).div_ceil(MAX_PACKED_CHARS);
            assert_eq!(pct as usize, want);
            assert!(pct > 100);
        }
        other => panic!("{other:?}"),
    }
    // Whitespace does not count: the packed form is what is measured.
    let doc = stmt(json!("s3:GetObject"), json!("arn:aws:s3:::demo/p/*"));
    let spaced = serde_json::to_string_pretty(&doc)
        .unwrap()
        .replace('\n', &format!("\n{}", " ".repeat(400)));
    assert!(spaced.len() > MAX_PACKED_CHARS);
    let (a, b) = (parse(&spaced).unwrap(), parse(&doc.to_string()).unwrap());
    assert_eq!(a, b, "the same policy, the same digest");
}

#[test]
fn unicode_keys_are_exact_and_packed_in_characters() {
    let p = ok(stmt(json!("s3:GetObject"), json!("arn:aws:s3:::demo/p/日本/データ*")));
    assert_eq!(p.read, vec!["demo/p/日本/データ*"]);
    // Escaped or not, the same characters: the same policy.
    let escaped = r#"{"Statement": {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::demo/p/\u65e5\u672c/\u30c7\u30fc\u30bf*"}}"#;
    assert_eq!(parse(escaped).unwrap().sealed.read, p.read);
    // 2048 characters of three bytes each fit; bytes are not characters.
    let key = "日".repeat(MAX_PACKED_CHARS);
    let doc = stmt(json!("s3:GetObject"), json!(format!("arn:aws:s3:::demo/p/{key}")));
    let over = doc.to_string().chars().count();
    assert!(matches!(parse(&doc.to_string()), Err(PolicyError::TooLarge(_))));
    let fits = stmt(
        json!("s3:GetObject"),
        json!(format!(
            "arn:aws:s3:::demo/p/{}",
            "日".repeat(MAX_PACKED_CHARS - (over - MAX_PACKED_CHARS))
        )),
    );
    assert_eq!(parse(&fits.to_string()).unwrap().packed_chars, MAX_PACKED_CHARS);
}

#[test]
fn conditions_intersect_and_several_operators_must_all_hold() {
    let p = ok(
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
        "Condition": {"StringLike": {"s3:prefix": ["p/a*", "q/*"]}, "StringEquals": {"S3:Prefix": ["p/ab", "r/"]}}}}),
    );
    assert_eq!(p.list, vec!["demo/p/ab*"]);
    let all = ok(
        json!({"Statement": {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
        "Condition": {"StringEquals": {"s3:prefix": ""}}}}),
    );
    assert_eq!(all.list, vec!["demo/*"]);
}

#[test]
fn effective_access_is_the_intersection() {
    let p = ok(json!({"Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::demo/r/reports/*", "arn:aws:s3:::demo/q/one.csv"]},
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::demo",
         "Condition": {"StringLike": {"s3:prefix": "r/reports/2026*"}}}
    ]}));
    let role = ceiling(&["demo/r", "demo/q/*"]);
    let e = Effective::new(&p, &role).unwrap();
    assert!(e.allows_read("demo", "r", "reports/x.csv"));
    assert!(!e.allows_read("demo", "r", "other.csv"));
    assert!(e.allows_read("demo", "q", "one.csv") && !e.allows_read("demo", "q", "one.csv2"));
    assert!(!e.allows_read("other", "r", "reports/x.csv"));
    assert_eq!(e.list.key_prefixes("demo", "r"), Some(vec!["reports/2026"]));
    assert_eq!(e.list.key_prefixes("demo", "q"), Some(vec![]));
    assert!(e.reaches_account("demo") && !e.reaches_account("other"));
    // The policy never widens: a role ceiling of one product lists only it.
    let narrow = Effective::new(&p, &ceiling(&["demo/q"])).unwrap();
    assert_eq!(narrow.list.key_prefixes("demo", "r"), Some(vec![]));
    // What a session sealed and cannot parse is refused, not widened.
    let broken = SealedPolicy {
        digest: String::new(),
        read: vec!["=nokey".into()],
        list: vec![],
    };
    assert!(Effective::new(&broken, &role).is_none());
}

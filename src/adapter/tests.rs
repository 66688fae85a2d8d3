use super::*;

#[test]
fn splits_raw_url() {
    assert_eq!(
        split_url("http://h:1/a/b%20c?x=1&y"),
        ("/a/b%20c".into(), "x=1&y".into())
    );
    assert_eq!(split_url("http://h"), ("/".into(), String::new()));
    // Nothing is decoded, and a fragment is no part of either.
    assert_eq!(
        split_url("https://h/a%3Fb?c=%26#frag?x"),
        ("/a%3Fb".into(), "c=%26".into())
    );
    assert_eq!(split_url("/p?"), ("/p".into(), String::new()));
}

fn post(path: &str, query: &str, headers: &[(&str, &str)]) -> Request {
    headers
        .iter()
        .fold(Request::new("POST", path, query), |r, (n, v)| r.with_header(n, v))
}

#[test]
fn only_an_sts_post_has_its_body_read() {
    let cap = crate::sts::params::MAX_BODY;
    let form = ("content-type", "application/x-www-form-urlencoded");
    assert_eq!(body_plan(&post("/.sts", "", &[])), BodyPlan::Read { cap });
    assert_eq!(body_plan(&post("/", "", &[form])), BodyPlan::Read { cap });
    assert_eq!(
        body_plan(&post("/", "Action=AssumeRoleWithWebIdentity", &[])),
        BodyPlan::Read { cap }
    );
    // Anything else leaves its body to the runtime, however it is declared.
    assert_eq!(body_plan(&post("/demo/public-data/x", "", &[form])), BodyPlan::Leave);
    assert_eq!(body_plan(&post("/", "", &[])), BodyPlan::Leave);
    assert_eq!(body_plan(&Request::new("GET", "/.sts", "")), BodyPlan::Leave);
    assert_eq!(body_plan(&Request::new("PUT", "/.sts", "")), BodyPlan::Leave);
}

#[test]
fn a_body_declared_over_the_cap_is_not_read() {
    let cap = crate::sts::params::MAX_BODY;
    let declared = |n: String| body_plan(&post("/.sts", "", &[("content-length", &n)]));
    assert_eq!(declared(cap.to_string()), BodyPlan::Whole { cap });
    assert_eq!(declared(format!(" {cap} ")), BodyPlan::Whole { cap });
    assert_eq!(declared("0".into()), BodyPlan::Whole { cap });
    // A length beside a transfer coding is no framing to trust: read capped.
    let both = post(
        "/.sts",
        "",
        &[("content-length", "10"), ("transfer-encoding", "chunked")],
    );
    assert_eq!(body_plan(&both), BodyPlan::Read { cap });
    assert_eq!(declared((cap + 1).to_string()), BodyPlan::TooLarge);
    assert_eq!(declared(u64::MAX.to_string()), BodyPlan::TooLarge);
    // An unreadable length is no declaration: the read itself is capped.
    assert_eq!(declared("lots".into()), BodyPlan::Read { cap });
}

#[test]
fn only_an_identity_request_keeps_the_answer_encoded() {
    let h = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
    assert!(keeps_encoding(&h("Accept-Encoding", "identity")));
    assert!(keeps_encoding(&h("accept-encoding", "identity")));
    assert!(!keeps_encoding(&h("accept-encoding", "gzip")));
    assert!(!keeps_encoding(&h("accept", "identity")));
    assert!(!keeps_encoding(&[]));
}

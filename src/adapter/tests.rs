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
    // The scheme ends at the first `:`; a `://` later on is the path's or the query's.
    assert_eq!(
        split_url("http://h/p?u=http://x/y"),
        ("/p".into(), "u=http://x/y".into())
    );
    assert_eq!(split_url("/a:b/c"), ("/a:b/c".into(), String::new()));
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

#[test]
fn header_lists_cross_as_one_string() {
    let pairs = [
        ("content-type", "text/plain"),
        ("x-amz-meta-a", ""),
        ("x-amz-meta-a", "b: c, d"),
    ];
    let text = header_text(pairs).unwrap();
    assert_eq!(
        text,
        "content-type\ntext/plain\nx-amz-meta-a\n\nx-amz-meta-a\nb: c, d\n"
    );
    // Back again: every pair, in order, duplicates and empty values kept.
    let back = parse_header_text(&text);
    assert_eq!(back.iter().collect::<Vec<_>>(), pairs);
    assert_eq!(header_text([]).as_deref(), Some(""));
    assert_eq!(parse_header_text("").iter().count(), 0);
}

#[test]
fn a_line_feed_in_a_header_is_never_joined() {
    // Joined, it would add a header of the value's choosing.
    assert_eq!(header_text([("x-amz-meta-a", "v\nset-cookie\nx")]), None);
    assert_eq!(header_text([("a\nb", "v")]), None);
    // A carriage return cannot shift the pairs; the runtime refuses it as before.
    assert!(header_text([("a", "v\r")]).is_some());
    // A name without its value (never made on the JS side) is dropped, not paired with the next.
    assert_eq!(parse_header_text("a\n1\nb").iter().collect::<Vec<_>>(), [("a", "1")]);
}

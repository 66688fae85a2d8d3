use super::*;

const ETAG: &str = "\"abc\"";
// Sun, 06 Nov 1994 08:49:37 GMT
const T: i64 = 784_111_777_000;

fn c(f: impl FnOnce(&mut Conditions)) -> Conditions {
    let mut c = Conditions::default();
    f(&mut c);
    c
}

#[test]
fn if_match() {
    assert_eq!(
        c(|c| c.if_match = Some("\"abc\"".into())).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
    assert_eq!(
        c(|c| c.if_match = Some("abc".into())).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
    assert_eq!(
        c(|c| c.if_match = Some("\"x\", *".into())).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
    assert_eq!(
        c(|c| c.if_match = Some("\"x\"".into())).evaluate(ETAG, T),
        Err(ProxyError::PreconditionFailed)
    );
}

#[test]
fn if_none_match() {
    assert_eq!(
        c(|c| c.if_none_match = Some(ETAG.into())).evaluate(ETAG, T),
        Ok(Verdict::NotModified)
    );
    assert_eq!(
        c(|c| c.if_none_match = Some("\"x\"".into())).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
}

#[test]
fn dates() {
    let same = "Sun, 06 Nov 1994 08:49:37 GMT".to_string();
    let before = "Sun, 06 Nov 1994 08:49:36 GMT".to_string();
    assert_eq!(
        c(|c| c.if_modified_since = Some(same.clone())).evaluate(ETAG, T),
        Ok(Verdict::NotModified)
    );
    assert_eq!(
        c(|c| c.if_modified_since = Some(before.clone())).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
    assert_eq!(
        c(|c| c.if_unmodified_since = Some(same)).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
    assert_eq!(
        c(|c| c.if_unmodified_since = Some(before.clone())).evaluate(ETAG, T),
        Err(ProxyError::PreconditionFailed)
    );
    assert_eq!(
        c(|c| c.if_modified_since = Some("garbage".into())).evaluate(ETAG, T),
        Ok(Verdict::Proceed)
    );
    // If-Match wins over a failing If-Unmodified-Since (S3 and RFC 7232).
    let both = c(|c| {
        c.if_match = Some(ETAG.into());
        c.if_unmodified_since = Some(before);
    });
    assert_eq!(both.evaluate(ETAG, T), Ok(Verdict::Proceed));
}

#[test]
fn unparseable_dates_are_not_forwarded() {
    // RFC 9110 has a recipient ignore a date it cannot parse, and S3 does;
    // passed on, a backend may fail the whole read on it instead.
    let mut h = Headers::new();
    h.set("if-modified-since", "yesterday");
    h.set("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT");
    h.set("if-none-match", "\"x\"");
    let c = Conditions::from_headers(&h);
    assert_eq!(
        c.header_pairs(),
        vec![
            ("if-none-match", "\"x\""),
            ("if-unmodified-since", "Sun, 06 Nov 1994 08:49:37 GMT")
        ]
    );
}

#[test]
fn http_date_round_trip() {
    assert_eq!(format_http_date(T), "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_eq!(http_date_secs("Sun, 06 Nov 1994 08:49:37 GMT"), Some(T / 1000));
}

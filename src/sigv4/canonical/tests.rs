use super::*;

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn uri_encode_rules() {
    assert_eq!(uri_encode("AZaz09-_.~", true), "AZaz09-_.~");
    assert_eq!(uri_encode("a b+c=d&e", true), "a%20b%2Bc%3Dd%26e");
    assert_eq!(uri_encode("a/b", true), "a%2Fb");
    assert_eq!(uri_encode("a/b", false), "a/b");
    assert_eq!(uri_encode("%2F", false), "%252F");
    assert_eq!(uri_encode("é☃", true), "%C3%A9%E2%98%83");
    assert_eq!(uri_encode("#?*!'()", true), "%23%3F%2A%21%27%28%29");
    assert_eq!(uri_encode("", true), "");
}

#[test]
fn query_sorting_and_empty_values() {
    assert_eq!(canonical_query(&[]), "");
    let q = pairs(&[
        ("prefix", "a b/"),
        ("list-type", "2"),
        ("acl", ""),
        ("a", "2"),
        ("a", "1"),
    ]);
    assert_eq!(canonical_query(&q), "a=1&a=2&acl=&list-type=2&prefix=a%20b%2F");
    // Sorting is on the ENCODED form: '%' (0x25) sorts before 'A'.
    let q = pairs(&[("A", "x"), ("$", "y")]);
    assert_eq!(canonical_query(&q), "%24=y&A=x");
}

#[test]
fn headers_canonicalization() {
    let h = pairs(&[
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("X-Amz-Meta-Multi", "  a   b\t c  "),
        ("x-amz-meta-multi", "second"),
        ("Range", "bytes=0-9"),
        ("User-Agent", "not signed"),
    ]);
    let (c, s) = canonical_headers(&h, &["range", "HOST", "x-amz-meta-multi", "host", "absent"]);
    assert_eq!(
        c,
        "host:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-meta-multi:a b c,second\n"
    );
    assert_eq!(s, "host;range;x-amz-meta-multi");
}

#[test]
fn request_layout() {
    let cr = canonical_request("GET", "/a", "x=1", "host:h\n", "host", "UNSIGNED-PAYLOAD");
    assert_eq!(cr, "GET\n/a\nx=1\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
}

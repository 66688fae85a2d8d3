use super::*;

#[test]
fn decodes_percent_and_keeps_plus() {
    assert_eq!(percent_decode("a%20b+c%2B").unwrap(), "a b+c+");
    assert_eq!(percent_decode("unicod%C3%A9").unwrap(), "unicodé");
}

#[test]
fn rejects_malformed_escapes() {
    for bad in ["%", "%z1", "a%2", "%zz", "%C3"] {
        assert_eq!(percent_decode(bad), Err(ProxyError::InvalidUri), "{bad}");
    }
}

#[test]
fn query_parses_flags_and_values() {
    let q = Query::parse("location&list-type=2&prefix=a%2Fb&&x=").unwrap();
    assert!(q.has("location"));
    assert_eq!(q.get("location"), Some(""));
    assert_eq!(q.get("prefix"), Some("a/b"));
    assert_eq!(q.get("list-type"), Some("2"));
    assert_eq!(q.get("missing"), None);
}

#[test]
fn headers_are_case_insensitive() {
    let mut h = Headers::new();
    h.append("Content-Type", "a");
    h.set("content-type", "b");
    assert_eq!(h.get("CONTENT-TYPE"), Some("b"));
    assert_eq!(h.iter().count(), 1);
}

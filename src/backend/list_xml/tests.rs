use super::*;

#[test]
fn parses_v2_page_with_url_encoding() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>base/</Prefix>
<KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
<Contents><Key>base/a+b%2Bc%26.txt</Key><LastModified>2026-11-22T03:22:00.000Z</LastModified>
<ETag>&quot;abc&quot;</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
<CommonPrefixes><Prefix>base/d%C3%A9r/</Prefix></CommonPrefixes></ListBucketResult>"#;
    let page = parse(xml).unwrap();
    assert!(page.truncated);
    assert_eq!(page.objects.len(), 1);
    let o = &page.objects[0];
    assert_eq!(o.key, "base/a b+c&.txt");
    assert_eq!(o.etag, "\"abc\"");
    assert_eq!(o.size, 12);
    assert_eq!(
        o.last_modified_ms,
        crate::time::parse_iso8601("2026-11-22T03:22:00Z").unwrap()
    );
    assert_eq!(page.common_prefixes, vec!["base/dér/".to_string()]);
}

#[test]
fn plain_keys_are_unescaped() {
    let xml = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>a &amp; b</Key><Size>1</Size></Contents></ListBucketResult>";
    let page = parse(xml).unwrap();
    assert_eq!(page.objects[0].key, "a & b");
    assert!(!page.truncated);
}

/// Found by the list_xml fuzz target (fuzz/corpus/list_xml/crash-prefix-split-text):
/// text split by a comment or a CDATA section is one value, for a common
/// prefix as for a key; it was taken as one common prefix per piece.
#[test]
fn a_prefix_in_pieces_is_one_prefix() {
    let xml = "<ListBucketResult><IsTruncated>false</IsTruncated>\
            <Contents><Key>k<!-- c -->ey<![CDATA[&]]></Key></Contents>\
            <CommonPrefixes><Prefix>a<!-- c -->b<![CDATA[&<]]>c/</Prefix></CommonPrefixes>\
            <CommonPrefixes><Prefix></Prefix></CommonPrefixes></ListBucketResult>";
    let page = parse(xml).unwrap();
    assert_eq!(page.objects[0].key, "key&");
    assert_eq!(page.common_prefixes, vec!["ab&<c/".to_string()], "an empty one is none");
}

#[test]
fn rejects_garbage() {
    assert!(parse("<Error><Code>AccessDenied</Code></Error>").is_err());
    assert!(parse("<ListBucketResult><Contents><Size>x</Size></Contents></ListBucketResult>").is_err());
    assert!(parse("<ListBucketResult><Contents>").is_err(), "truncated document");
    assert_eq!(
        error_code("<Error><Code>SignatureDoesNotMatch</Code></Error>").as_deref(),
        Some("SignatureDoesNotMatch")
    );
}

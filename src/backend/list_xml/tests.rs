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

/// Text around an element nested in a field is the field's; the nested
/// element's own text is not.
#[test]
fn a_field_split_by_an_element_keeps_its_own_text() {
    let xml = "<ListBucketResult><IsTruncated>tr<!-- c -->ue</IsTruncated>\
            <Contents><Key>a<x>b</x>c</Key><Size>4<y>9</y>2</Size></Contents>\
            <Contents><Key>d</Key></Contents></ListBucketResult>";
    let page = parse(xml).unwrap();
    assert!(page.truncated);
    assert_eq!((page.objects[0].key.as_str(), page.objects[0].size), ("ac", 42));
    assert_eq!(
        (page.objects[1].key.as_str(), page.objects[1].size),
        ("d", 0),
        "nothing carried over"
    );
}

/// Keys without `%` or `+` are kept as sent; the others are decoded, `+` as a space.
#[test]
fn url_decoding_only_where_needed() {
    let xml = "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>plain/k.txt</Key></Contents>\
            <Contents><Key>a%25b+c</Key></Contents><Contents><Key>bad%zz</Key></Contents></ListBucketResult>";
    assert!(matches!(parse(xml), Err(ListXmlError::UrlEncoding(k)) if k == "bad%zz"));
    let page = parse(&xml.replace("bad%zz", "ok")).unwrap();
    let keys: Vec<&str> = page.objects.iter().map(|o| o.key.as_str()).collect();
    assert_eq!(keys, ["plain/k.txt", "a%b c", "ok"]);
}

/// The parser before the one-pass rewrite (a path string per element, a
/// copy of every text node): the reference for the A/B timing below.
fn walk_parse(xml: &str) -> Result<ListPage, ListXmlError> {
    let mut page = ListPage::default();
    let mut url_encoded = false;
    let empty = || ListedObject {
        key: String::new(),
        size: 0,
        etag: String::new(),
        last_modified_ms: 0,
    };
    let mut cur = empty();
    let mut prefixes: Vec<String> = Vec::new();
    // The current `<Prefix>`'s text, which may come in pieces.
    let mut prefix: Option<String> = None;
    let mut objects: Vec<ListedObject> = Vec::new();
    let mut saw_root = false;
    let mut err: Option<ListXmlError> = None;
    walk(xml, |path, text| {
        let Some(text) = text else {
            match path {
                "/ListBucketResult" => saw_root = true,
                "/ListBucketResult/Contents" => objects.push(std::mem::replace(&mut cur, empty())),
                "/ListBucketResult/CommonPrefixes/Prefix" => prefixes.extend(prefix.take()),
                _ => {}
            }
            return;
        };
        match path {
            "/ListBucketResult/IsTruncated" => page.truncated = text.trim() == "true",
            "/ListBucketResult/EncodingType" => url_encoded = text.trim() == "url",
            "/ListBucketResult/Contents/Key" => cur.key.push_str(&text),
            "/ListBucketResult/Contents/Size" => match text.trim().parse() {
                Ok(n) => cur.size = n,
                Err(_) => err = Some(ListXmlError::Size(text)),
            },
            "/ListBucketResult/Contents/ETag" => cur.etag.push_str(&text),
            "/ListBucketResult/Contents/LastModified" => {
                cur.last_modified_ms = crate::time::parse_iso8601(text.trim()).unwrap_or(0);
            }
            "/ListBucketResult/CommonPrefixes/Prefix" => prefix.get_or_insert_default().push_str(&text),
            _ => {}
        }
    })?;
    if let Some(e) = err {
        return Err(e);
    }
    if !saw_root {
        return Err(ListXmlError::NotAListing);
    }
    for mut o in objects {
        if url_encoded {
            o.key = crate::http::form_decode(&o.key).map_err(|_| ListXmlError::UrlEncoding(o.key.clone()))?;
        }
        page.objects.push(o);
    }
    for p in prefixes {
        page.common_prefixes.push(if url_encoded {
            crate::http::form_decode(&p).map_err(|_| ListXmlError::UrlEncoding(p.clone()))?
        } else {
            p
        });
    }
    Ok(page)
}

/// A/B, interleaved in one process (the machine is shared):
/// `cargo test --release --lib perf_list_xml_ab -- --ignored --nocapture`.
#[test]
#[ignore = "timing"]
#[allow(clippy::print_stderr)] // the timing is the output
fn perf_list_xml_ab() {
    let xml = crate::testing::moto_page(1000, true);
    assert_eq!(parse(&xml).unwrap(), walk_parse(&xml).unwrap(), "same page either way");
    let (mut old, mut new) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..50 {
        let t = std::time::Instant::now();
        std::hint::black_box(walk_parse(&xml).unwrap());
        old += t.elapsed();
        let t = std::time::Instant::now();
        std::hint::black_box(parse(&xml).unwrap());
        new += t.elapsed();
    }
    eprintln!("1000-key page: walk+path strings {old:?}/50, one pass {new:?}/50");
}

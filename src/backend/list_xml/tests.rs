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
    let mut took = [std::time::Duration::ZERO; 3];
    for _ in 0..50 {
        for (i, f) in [walk_parse, parse_general, parse].iter().enumerate() {
            let t = std::time::Instant::now();
            std::hint::black_box(f(&xml).unwrap());
            took[i] += t.elapsed();
        }
    }
    let [walk, general, fast] = took.map(|d| d / 50);
    eprintln!("1000-key page: walk+path strings {walk:?}, quick-xml one pass {general:?}, scanner {fast:?}");
}

/// The scanner takes the plain documents backends send, and gives the page
/// quick-xml gives.
#[test]
fn scanner_takes_plain_pages() {
    for xml in [
        crate::testing::moto_page(1000, true),
        crate::testing::moto_page(0, false),
        // R2-like: whitespace between elements, an empty element, attributes.
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n  \
         <Name>b</Name>\n  <Prefix/>\n  <IsTruncated>false</IsTruncated>\n  <Contents>\n    <Key>a &amp; b &lt;c&gt; &apos;d&apos;</Key>\n    \
         <LastModified>2026-11-22T03:22:00.5Z</LastModified>\n    <ETag>&quot;e&quot;</ETag>\n    <Size>7</Size>\n    \
         <Owner a='x>'/>\n  </Contents>\n  <CommonPrefixes><Prefix>p/</Prefix></CommonPrefixes>\n</ListBucketResult>\n"
            .replace("a='x>'", "a='x'"),
    ] {
        let fast = scan(&xml).expect("plain shape");
        assert_eq!(fast, parse_general(&xml).unwrap());
    }
}

/// Documents the scanner leaves to quick-xml (it must answer `None`, and
/// `parse` then says what quick-xml says), and documents it takes: either
/// way `parse` agrees with `parse_general`.
#[test]
fn scanner_agrees_with_quick_xml() {
    let wrap = |body: &str| format!("<ListBucketResult><IsTruncated>true</IsTruncated>{body}</ListBucketResult>");
    let leaves = [
        "<Contents><Key>a<!-- c -->b</Key></Contents>",
        "<Contents><Key><![CDATA[x<y]]></Key></Contents>",
        "<Contents><Key>&#x41;</Key></Contents>",
        "<Contents><Key>&#0;</Key></Contents>",
        "<Contents><Key>&nope;</Key></Contents>",
        "<Contents><Key>a & b</Key></Contents>",
        "<Contents><Key>a\r\nb</Key></Contents>",
        "<Contents><Key>k</Key ></Contents>",
        "<Contents><Key>k</Kez></Contents>",
        "<Contents><s3:Key>k</s3:Key></Contents>",
        "<Contents><Key/ x>k</Key></Contents>",
        "<Contents a=\"x>y\"><Key>k</Key></Contents>",
        "<Contents><Key>k</Key></Contents></Extra>",
        "<Contents><Key>k</Key><Size>x</Size></Contents>",
        "<?pi x?><Contents><Key>k</Key></Contents>",
        "<Contents><Key>k</Key>",
        "<1a>x</1a>",
    ];
    for body in leaves {
        let xml = wrap(body);
        assert_eq!(scan(&xml), None, "{xml}");
        assert_eq!(parse(&xml).ok(), parse_general(&xml).ok(), "{xml}");
    }
    let takes = [
        "<Contents><Key>k</Key><Size> 12 </Size><ETag> e </ETag></Contents>",
        "<Contents><Key>a<Other>x</Other>b</Key></Contents>",
        "<Contents x=\"1\" y='2'><Key>k</Key><Key>l</Key></Contents>",
        "<Contents><Key>&amp;amp;</Key><LastModified>bad</LastModified></Contents>",
        "<CommonPrefixes><Prefix></Prefix></CommonPrefixes><CommonPrefixes><Prefix> p </Prefix></CommonPrefixes>",
        "<EncodingType>url</EncodingType><Contents><Key>a+b%2F</Key></Contents>",
        "<Other>&amp;</Other><Contents/>",
    ];
    for body in takes {
        let xml = wrap(body);
        assert!(scan(&xml).is_some(), "{xml}");
        assert_eq!(parse(&xml).unwrap(), parse_general(&xml).unwrap(), "{xml}");
    }
    // Not a listing, or a bad url-encoding: refused by both.
    for xml in [
        "<Error><Code>x</Code></Error>",
        &wrap("<EncodingType>url</EncodingType><Contents><Key>%zz</Key></Contents>"),
    ] {
        assert_eq!(scan(xml), None);
        assert!(parse(xml).is_err() && parse_general(xml).is_err(), "{xml}");
    }
}

/// `DateReader` gives what `parse_iso8601` gives (0 for a bad date), with
/// its day cache warm or cold.
#[test]
fn date_reader_matches_parse_iso8601() {
    let mut cases: Vec<String> = [
        "2026-11-22T03:22:00.000Z",
        "2026-11-22T03:22:00Z",
        "2026-11-22T03:22:00.5Z",
        "2026-11-22T03:22:00.123456Z",
        "2026-11-22T23:59:59.999Z",
        "2026-11-22T24:00:00.000Z",
        "2026-11-22T03:60:00.000Z",
        "2026-11-22T03:22:60.000Z",
        "2026-11-22T03:22:00.Z",
        "2026-11-22T03:22:00.1a2Z",
        "2026-11-22T03:22:00.000",
        "2026-11-22T03:22:00,000Z",
        "2026-11-22T3:22:00.000Z",
        "2026-11-22T03-22-00.000Z",
        "2026-11-22T+3:22:00.000Z",
        "2026-11-22T03:22:00.000ZZ",
        "2026-11-22T",
        "2026-02-30T03:22:00.000Z",
        "2024-02-29T00:00:00.000Z",
        "0000-01-01T00:00:00.000Z",
        "9999-12-31T23:59:59.999Z",
        "",
        "x",
        "2026-11-22T03:22:00.000Zé",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let mut x: u32 = 12345;
    for _ in 0..5000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let h = (x >> 8) % 26;
        let m = (x >> 13) % 62;
        let s = (x >> 19) % 62;
        let day = 20 + (x >> 25) % 3;
        cases.push(format!("2026-11-{day}T{h:02}:{m:02}:{s:02}.{:03}Z", x % 1000));
    }
    let mut r = DateReader::default();
    for c in cases.iter().chain(cases.iter().rev()) {
        let want = crate::time::parse_iso8601(c).unwrap_or(0);
        assert_eq!(r.read(c), want, "{c}");
        assert_eq!(DateReader::default().read(c), want, "cold {c}");
    }
}

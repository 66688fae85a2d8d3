//! Parses the XML answers of S3-compatible backends: ListBucketResult and Error.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::platform::{ListPage, ListedObject};

/// Why a backend's XML answer is unusable. Quotes what the backend sent
/// (the log cuts it), never anything of ours.
#[derive(thiserror::Error)]
pub enum ListXmlError {
    #[error("malformed XML")]
    Malformed(#[source] quick_xml::Error),
    #[error("bad XML text")]
    Text(#[source] quick_xml::Error),
    #[error("bad Size {0:?}")]
    Size(String),
    #[error("not a ListBucketResult")]
    NotAListing,
    #[error("bad url-encoded key {0:?}")]
    UrlEncoding(String),
}

crate::error::debug_as_display!(ListXmlError);

/// Walks the document, calling `on(path, Some(text))` for every text node and
/// `on(path, None)` when an element closes; `path` is the element names from
/// the root, each preceded by `/`.
pub(super) fn walk(xml: &str, mut on: impl FnMut(&str, Option<String>)) -> Result<(), ListXmlError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut path = String::new();
    loop {
        match reader.read_event().map_err(ListXmlError::Malformed)? {
            Event::Start(e) => {
                path.push('/');
                path.push_str(&String::from_utf8_lossy(e.local_name().as_ref()));
            }
            Event::End(_) => {
                on(&path, None);
                let cut = path.rfind('/').unwrap_or(0);
                path.truncate(cut);
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(ListXmlError::Text)?;
                on(&path, Some(text.into_owned()));
            }
            Event::CData(t) => on(&path, Some(String::from_utf8_lossy(&t).into_owned())),
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// `encoding-type=url` answers percent-encode keys, spaces possibly as `+`.
fn url_decode(s: &str) -> Result<String, ListXmlError> {
    crate::http::form_decode(s).map_err(|_| ListXmlError::UrlEncoding(s.into()))
}

pub fn parse(xml: &str) -> Result<ListPage, ListXmlError> {
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
            o.key = url_decode(&o.key)?;
        }
        page.objects.push(o);
    }
    for p in prefixes {
        page.common_prefixes.push(if url_encoded { url_decode(&p)? } else { p });
    }
    Ok(page)
}

/// The `<Code>` of an S3 error document, for logs.
pub fn error_code(xml: &str) -> Option<String> {
    let mut code = None;
    walk(xml, |path, text| {
        if let (Some(text), "/Error/Code") = (text, path) {
            code = Some(text.chars().filter(char::is_ascii_alphanumeric).take(64).collect());
        }
    })
    .ok()?;
    code
}

#[cfg(test)]
mod tests {
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
}

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
mod tests;

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
/// Most keys hold neither a `%` nor a `+`: those are kept as they are.
fn url_decode(s: String) -> Result<String, ListXmlError> {
    if !s.bytes().any(|b| b == b'%' || b == b'+') {
        return Ok(s);
    }
    crate::http::form_decode(&s).map_err(|_| ListXmlError::UrlEncoding(s))
}

/// The elements of a ListBucketResult this reads; everything else is `Other`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Root,
    IsTruncated,
    EncodingType,
    Contents,
    CommonPrefixes,
    Key,
    Size,
    Etag,
    LastModified,
    Prefix,
    Other,
}

impl Tag {
    /// What `name` is below `parent` (`None`: at the top).
    fn of(parent: Option<Tag>, name: &[u8]) -> Tag {
        match (parent, name) {
            (None, b"ListBucketResult") => Tag::Root,
            (Some(Tag::Root), b"IsTruncated") => Tag::IsTruncated,
            (Some(Tag::Root), b"EncodingType") => Tag::EncodingType,
            (Some(Tag::Root), b"Contents") => Tag::Contents,
            (Some(Tag::Root), b"CommonPrefixes") => Tag::CommonPrefixes,
            (Some(Tag::Contents), b"Key") => Tag::Key,
            (Some(Tag::Contents), b"Size") => Tag::Size,
            (Some(Tag::Contents), b"ETag") => Tag::Etag,
            (Some(Tag::Contents), b"LastModified") => Tag::LastModified,
            (Some(Tag::CommonPrefixes), b"Prefix") => Tag::Prefix,
            _ => Tag::Other,
        }
    }

    /// Is this element's text read? (Text inside elements nested in it is not.)
    fn holds_text(self) -> bool {
        matches!(
            self,
            Tag::IsTruncated | Tag::EncodingType | Tag::Key | Tag::Size | Tag::Etag | Tag::LastModified | Tag::Prefix
        )
    }
}

/// One pass over the document. An element's text may come in pieces (split
/// by comments, CDATA sections or other elements): the pieces are joined,
/// then read when the element closes. Text is copied only for the fields kept.
pub fn parse(xml: &str) -> Result<ListPage, ListXmlError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut page = ListPage::default();
    let mut url_encoded = false;
    let mut saw_root = false;
    let mut stack: Vec<Tag> = Vec::with_capacity(8);
    // The text of the innermost element read (reset when one opens).
    let mut text = String::new();
    let empty = || ListedObject {
        key: String::new(),
        size: 0,
        etag: String::new(),
        last_modified_ms: 0,
    };
    let mut cur = empty();
    loop {
        match reader.read_event().map_err(ListXmlError::Malformed)? {
            Event::Start(e) => {
                let tag = Tag::of(stack.last().copied(), e.local_name().as_ref());
                if tag.holds_text() {
                    text.clear();
                }
                stack.push(tag);
            }
            Event::End(_) => {
                let t = text.trim();
                match stack.pop() {
                    Some(Tag::Root) => saw_root = true,
                    Some(Tag::IsTruncated) => page.truncated = t == "true",
                    Some(Tag::EncodingType) => url_encoded = t == "url",
                    Some(Tag::Key) => cur.key.push_str(&text),
                    Some(Tag::Etag) => cur.etag.push_str(&text),
                    Some(Tag::Size) => cur.size = t.parse().map_err(|_| ListXmlError::Size(text.clone()))?,
                    Some(Tag::LastModified) => cur.last_modified_ms = crate::time::parse_iso8601(t).unwrap_or(0),
                    Some(Tag::Contents) => page.objects.push(std::mem::replace(&mut cur, empty())),
                    // An empty one is none.
                    Some(Tag::Prefix) if !text.is_empty() => page.common_prefixes.push(std::mem::take(&mut text)),
                    _ => {}
                }
            }
            Event::Text(t) => {
                let wanted = stack.last().is_some_and(|t| t.holds_text());
                // Text elsewhere is not kept, but a bad reference in it still refuses the document.
                if wanted || t.contains(&b'&') {
                    let t = t.unescape().map_err(ListXmlError::Text)?;
                    if wanted {
                        text.push_str(&t);
                    }
                }
            }
            Event::CData(t) if stack.last().is_some_and(|t| t.holds_text()) => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_root {
        return Err(ListXmlError::NotAListing);
    }
    if url_encoded {
        for o in &mut page.objects {
            o.key = url_decode(std::mem::take(&mut o.key))?;
        }
        for p in &mut page.common_prefixes {
            *p = url_decode(std::mem::take(p))?;
        }
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

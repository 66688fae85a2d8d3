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

/// A page built from the document's events, whichever reader produced them.
/// An element's text may come in pieces (split by comments, CDATA sections
/// or other elements): the pieces are joined, then read when the element
/// closes. Text is copied only for the fields kept.
struct Builder {
    page: ListPage,
    url_encoded: bool,
    saw_root: bool,
    stack: Vec<Tag>,
    /// The text of the innermost element read (reset when one opens).
    text: String,
    cur: ListedObject,
    dates: DateReader,
}

fn empty_object() -> ListedObject {
    ListedObject {
        key: String::new(),
        size: 0,
        etag: String::new(),
        last_modified_ms: 0,
    }
}

impl Builder {
    fn new() -> Self {
        Builder {
            page: ListPage::default(),
            url_encoded: false,
            saw_root: false,
            stack: Vec::with_capacity(8),
            text: String::new(),
            cur: empty_object(),
            dates: DateReader::default(),
        }
    }

    fn start(&mut self, local_name: &[u8]) {
        let tag = Tag::of(self.stack.last().copied(), local_name);
        if tag.holds_text() {
            self.text.clear();
        }
        self.stack.push(tag);
    }

    /// Is the text here kept?
    fn wants_text(&self) -> bool {
        self.stack.last().is_some_and(|t| t.holds_text())
    }

    fn end(&mut self) -> Result<(), ListXmlError> {
        let text = &mut self.text;
        let t = text.trim();
        match self.stack.pop() {
            Some(Tag::Root) => self.saw_root = true,
            Some(Tag::IsTruncated) => self.page.truncated = t == "true",
            Some(Tag::EncodingType) => self.url_encoded = t == "url",
            Some(Tag::Key) => self.cur.key.push_str(text),
            Some(Tag::Etag) => self.cur.etag.push_str(text),
            Some(Tag::Size) => self.cur.size = t.parse().map_err(|_| ListXmlError::Size(text.clone()))?,
            Some(Tag::LastModified) => self.cur.last_modified_ms = self.dates.read(t),
            Some(Tag::Contents) => self.page.objects.push(std::mem::replace(&mut self.cur, empty_object())),
            // An empty one is none.
            Some(Tag::Prefix) if !text.is_empty() => self.page.common_prefixes.push(std::mem::take(text)),
            _ => {}
        }
        Ok(())
    }

    fn finish(self) -> Result<ListPage, ListXmlError> {
        let mut page = self.page;
        if !self.saw_root {
            return Err(ListXmlError::NotAListing);
        }
        if self.url_encoded {
            for o in &mut page.objects {
                o.key = url_decode(std::mem::take(&mut o.key))?;
            }
            for p in &mut page.common_prefixes {
                *p = url_decode(std::mem::take(p))?;
            }
        }
        Ok(page)
    }
}

/// Reads `LastModified` values as `time::parse_iso8601` does (0 for a bad
/// one), parsing the date part only when it changes: the keys of a page
/// mostly share their day.
#[derive(Default)]
struct DateReader {
    /// `YYYY-MM-DDT` of the last date parsed whole, and its first millisecond.
    day: Option<([u8; 11], i64)>,
}

impl DateReader {
    fn read(&mut self, t: &str) -> i64 {
        let b = t.as_bytes();
        let (date, rest) = b.split_at(b.len().min(11));
        if let Some((day, day_ms)) = self.day {
            if date == day {
                if let Some(ms) = time_of_day_ms(rest) {
                    return day_ms + ms;
                }
            }
        }
        let Some(ms) = crate::time::parse_iso8601(t) else {
            return 0;
        };
        // `parse_iso8601` took it: the date part is 11 bytes.
        if let (Ok(date), Some(in_day)) = (<[u8; 11]>::try_from(date), time_of_day_ms(rest)) {
            self.day = Some((date, ms - in_day));
        }
        ms
    }
}

/// Milliseconds into the day of `HH:MM:SS[.fff…]Z`, with exactly the checks
/// `time::parse_iso8601` makes on that part (a valid time of day; a fraction
/// of at least one digit, of which the first three count).
fn time_of_day_ms(b: &[u8]) -> Option<i64> {
    let two = |i: usize| -> Option<i64> {
        match b.get(i..i + 2)? {
            [a @ b'0'..=b'9', c @ b'0'..=b'9'] => Some(i64::from((a - b'0') * 10 + (c - b'0'))),
            _ => None,
        }
    };
    if b.len() < 9 || b.get(2) != Some(&b':') || b.get(5) != Some(&b':') || b.last() != Some(&b'Z') {
        return None;
    }
    let (h, m, s) = (two(0)?, two(3)?, two(6)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let millis = match &b[8..b.len() - 1] {
        [] => 0,
        [b'.', f @ ..] if !f.is_empty() && f.iter().all(u8::is_ascii_digit) => f
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(3)
            .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0')),
        _ => return None,
    };
    Some(((h * 60 + m) * 60 + s) * 1000 + millis)
}

/// Parses a ListBucketResult. Most documents are read by a small scanner
/// that takes only the plain shape backends send (elements, attributes,
/// text with the five named entities): quick-xml's reader was most of a
/// listing's CPU in the Worker. Anything else (comments, CDATA, character
/// references, a mismatched or unclosed tag, an error of any kind) is read
/// again from the start by quick-xml, which gives the answer: the scanner
/// never decides a document that reader would read differently.
pub fn parse(xml: &str) -> Result<ListPage, ListXmlError> {
    match scan(xml) {
        Some(page) => Ok(page),
        None => parse_general(xml),
    }
}

/// The bytes of the element names the scanner takes (no prefix: `:` is not
/// one), as a table: a name is read byte by byte for every tag.
const NAME_BYTES: [bool; 256] = {
    let mut t = [false; 256];
    let mut b: u8 = 0;
    loop {
        t[b as usize] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.');
        if b == u8::MAX {
            break t;
        }
        b += 1;
    }
};

/// Appends `s` to `out` with the five named entities replaced; `None` on
/// any other reference (left to quick-xml).
fn unescape_into(out: &mut String, s: &str) -> Option<()> {
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';')?;
        out.push(match &after[..end] {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => return None,
        });
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(())
}

/// The first index from `i` whose 8-byte word may hold `<`, `&` or CR:
/// text is skipped a word at a time (most of a page is text).
fn skip_plain(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS != 0;
    while let Some(w) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let x = u64::from_le_bytes(word);
        if has_zero(x ^ (ONES * u64::from(b'<')))
            || has_zero(x ^ (ONES * u64::from(b'&')))
            || has_zero(x ^ (ONES * u64::from(b'\r')))
        {
            break;
        }
        i += 8;
    }
    i
}

/// The scanner: the page, or `None` when the document is not of the plain
/// shape (or is not a valid listing), so that quick-xml reads it. One pass
/// over the bytes, no search calls: at opt-level "z" in wasm each `find`
/// costs more than the few bytes it skips.
fn scan(xml: &str) -> Option<ListPage> {
    let b = xml.as_bytes();
    let mut out = Builder::new();
    // Names of the open elements, for the end-tag check.
    let mut open: Vec<&[u8]> = Vec::with_capacity(8);
    let mut scratch = String::new();
    let mut i = 0;
    // The XML declaration, only at the very start.
    if b.starts_with(b"<?xml ") {
        i = xml.find("?>")? + 2;
    }
    while i < b.len() {
        // Text up to the next tag.
        let from = i;
        let mut amp = false;
        i = skip_plain(b, i);
        while let Some(&c) = b.get(i) {
            match c {
                b'<' => break,
                b'&' => amp = true,
                // Line ends: left to quick-xml.
                b'\r' => return None,
                _ => {}
            }
            i += 1;
        }
        if i > from {
            // `from` and `i` are at ASCII bytes (or the ends): char boundaries.
            let text = xml.get(from..i)?;
            if out.wants_text() {
                if amp {
                    unescape_into(&mut out.text, text)?;
                } else {
                    out.text.push_str(text);
                }
            } else if amp {
                // Not kept, but a bad reference still refuses the document.
                scratch.clear();
                unescape_into(&mut scratch, text)?;
            }
        }
        if i == b.len() {
            break;
        }
        // A tag: `<Name`, `</Name`, then `>`, `/>` or attributes.
        i += 1;
        if b.get(i) == Some(&b'/') {
            // An end tag: exactly `</Name>`, naming the open element.
            let name = open.pop()?;
            let at = i + 1 + name.len();
            if b.get(i + 1..at) != Some(name) || b.get(at) != Some(&b'>') {
                return None;
            }
            out.end().ok()?;
            i = at + 1;
            continue;
        }
        let name_from = i;
        while b.get(i).is_some_and(|&c| NAME_BYTES[usize::from(c)]) {
            i += 1;
        }
        let name = &b[name_from..i];
        match name.first() {
            Some(c) if !c.is_ascii_digit() && !matches!(c, b'-' | b'.') => {}
            _ => return None,
        }
        let empty = match *b.get(i)? {
            b'>' => false,
            b'/' if b.get(i + 1) == Some(&b'>') => {
                i += 1;
                true
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                // Attributes, not read. A `<`, or a `>` inside quotes, is
                // where readers may differ: left to quick-xml.
                let mut quote = None;
                loop {
                    let c = *b.get(i)?;
                    match (quote, c) {
                        (_, b'<') | (Some(_), b'>') => return None,
                        (None, b'>') => break,
                        (None, b'"' | b'\'') => quote = Some(c),
                        (Some(q), _) if c == q => quote = None,
                        _ => {}
                    }
                    i += 1;
                }
                b[i - 1] == b'/'
            }
            _ => return None,
        };
        i += 1;
        // An empty element (`<Name/>`): nothing is read from it.
        if !empty {
            out.start(name);
            open.push(name);
        }
    }
    if !open.is_empty() {
        return None;
    }
    out.finish().ok()
}

/// The general reader (quick-xml): every document `parse` does not take in
/// its scanner. Public for the fuzz target, which checks the two agree.
#[doc(hidden)]
pub fn parse_general(xml: &str) -> Result<ListPage, ListXmlError> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(false);
    let mut out = Builder::new();
    loop {
        match reader.read_event().map_err(ListXmlError::Malformed)? {
            Event::Start(e) => out.start(e.local_name().as_ref()),
            Event::End(_) => out.end()?,
            Event::Text(t) => {
                let wanted = out.wants_text();
                // Text elsewhere is not kept, but a bad reference in it still refuses the document.
                if wanted || t.contains(&b'&') {
                    let t = t.unescape().map_err(ListXmlError::Text)?;
                    if wanted {
                        out.text.push_str(&t);
                    }
                }
            }
            Event::CData(t) if out.wants_text() => {
                out.text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out.finish()
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

//! An XML well-formedness check for the documents the proxy writes: every
//! character an XML `Char`, one root element, tags balanced, only the
//! predefined entities. One S3 quirk is allowed: character references may
//! name any character, as S3 writes control characters of keys as `&#x1;`
//! (not XML 1.0; clients that cannot read them ask for `encoding-type=url`).

use quick_xml::events::Event;
use quick_xml::Reader;

/// A parsed document: its root element and every text node with its
/// element path (`/Root/Child`), entities resolved.
#[derive(Debug, Default)]
pub struct Doc {
    pub root: String,
    pub texts: Vec<(String, String)>,
}

impl Doc {
    pub fn all<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.texts
            .iter()
            .filter(move |(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }

    pub fn first<'a>(&'a self, path: &'a str) -> Option<&'a str> {
        self.all(path).next()
    }
}

fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Resolves the entities of one text node, refusing unknown ones.
fn unescape(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(';')
            .ok_or_else(|| format!("unterminated entity in {raw:?}"))?;
        let name = &rest[i + 1..i + end];
        let c = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let n = if let Some(h) = name.strip_prefix("#x") {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = name.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                n.and_then(char::from_u32)
                    .ok_or_else(|| format!("bad entity &{name};"))?
            }
        };
        out.push(c);
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

pub fn parse(body: &[u8]) -> Result<Doc, String> {
    let s = std::str::from_utf8(body).map_err(|e| format!("not UTF-8: {e}"))?;
    if let Some(c) = s.chars().find(|c| !xml_char(*c)) {
        return Err(format!("character U+{:04X} is not allowed in XML", c as u32));
    }
    let mut reader = Reader::from_str(s);
    reader.config_mut().check_end_names = true;
    let mut doc = Doc::default();
    let mut path: Vec<String> = Vec::new();
    let mut roots = 0;
    loop {
        match reader.read_event().map_err(|e| format!("malformed: {e}"))? {
            Event::Start(e) => {
                if path.is_empty() {
                    roots += 1;
                    doc.root = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                }
                path.push(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            }
            Event::Empty(e) => {
                if path.is_empty() {
                    roots += 1;
                    doc.root = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let raw = std::str::from_utf8(t.as_ref()).map_err(|e| e.to_string())?;
                if path.is_empty() {
                    if !raw.trim().is_empty() {
                        return Err(format!("text outside the root: {raw:?}"));
                    }
                    continue;
                }
                doc.texts.push((format!("/{}", path.join("/")), unescape(raw)?));
            }
            Event::Eof => break,
            Event::Decl(_) if roots == 0 && path.is_empty() => {}
            Event::Comment(_) | Event::PI(_) => {}
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    if !path.is_empty() {
        return Err(format!("unclosed <{}>", path.join("/")));
    }
    if roots != 1 {
        return Err(format!("{roots} root elements"));
    }
    Ok(doc)
}

//! Builds the XML documents S3 clients expect.

pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Escapes text for XML. Control characters, U+FFFE and U+FFFF become
/// character references, as S3 writes them in listings. For tab, LF and CR
/// that keeps them exact (a parser normalizes raw line ends). The others XML
/// 1.0 cannot carry at all: a document holding one is not well-formed, so a
/// client that may meet such keys asks for `encoding-type=url` (boto3, the
/// aws CLI, DuckDB and MinIO always do), which percent-encodes them. Any
/// other choice is worse: U+FFFD would change the key (and merge keys),
/// leaving it out would hide it, refusing the page would fail it for every
/// other key. STS documents never hold such characters: the exchange refuses
/// tokens whose claims would put one there (`sts::limits::answerable`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{7f}' | '\u{FFFE}' | '\u{FFFF}') => {
                out.push_str(&format!("&#x{:X};", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether XML 1.0 can carry `c` at all, raw or as a character reference (its
/// `Char` production): not the other C0 controls, U+FFFE or U+FFFF.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// A minimal streaming writer: `open`/`close` tags and text elements.
pub struct Xml(String);

impl Xml {
    pub fn new() -> Self {
        Self(String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub fn open_ns(&mut self, name: &str, ns: &str) -> &mut Self {
        self.0.push_str(&format!("<{name} xmlns=\"{ns}\">"));
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
        self
    }

    pub fn elem(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name);
        self.0.push_str(&escape(text));
        self.close(name)
    }

    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.0).into_bytes()
    }
}

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}

pub fn error(code: &str, message: &str, resource: &str, request_id: &str) -> Vec<u8> {
    Xml::new()
        .open("Error")
        .elem("Code", code)
        .elem("Message", message)
        .elem("Resource", resource)
        .elem("RequestId", request_id)
        .close("Error")
        .finish()
}

/// GetBucketLocation: S3 answers an empty constraint for us-east-1.
pub fn location(region: &str) -> Vec<u8> {
    let region = if region == "us-east-1" { "" } else { region };
    let mut x = Xml::new();
    x.open_ns("LocationConstraint", S3_NS);
    x.0.push_str(&escape(region));
    x.close("LocationConstraint").finish()
}

/// ListAllMyBucketsResult: accounts are the buckets. Accounts have no
/// creation date of their own, so a fixed one is given.
pub fn list_buckets(accounts: &[&str], owner: &str) -> Vec<u8> {
    let mut x = Xml::new();
    x.open_ns("ListAllMyBucketsResult", S3_NS)
        .open("Owner")
        .elem("ID", owner)
        .elem("DisplayName", owner)
        .close("Owner")
        .open("Buckets");
    for a in accounts {
        x.open("Bucket")
            .elem("Name", a)
            .elem("CreationDate", "2026-01-01T00:00:00.000Z")
            .close("Bucket");
    }
    x.close("Buckets").close("ListAllMyBucketsResult").finish()
}

#[cfg(test)]
mod tests;

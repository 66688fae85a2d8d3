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
    escape_into(&mut out, s);
    out
}

/// `escape`, appended to `out`. Scans bytes and copies the runs between the
/// characters to escape whole: a listing escapes thousands of keys, and a
/// char-by-char push was the largest share of its native CPU.
pub fn escape_into(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut run = 0; // start of the pending unescaped run
    let mut i = 0;
    while i < b.len() {
        let (rep, len): (&str, usize) = match b[i] {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'"' => ("&quot;", 1),
            b'\'' => ("&apos;", 1),
            c @ (0..=0x1f | 0x7f) => (CONTROL_REFS[if c == 0x7f { 32 } else { c as usize }], 1),
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
            0xEF if b.get(i + 1) == Some(&0xBF) && b.get(i + 2) == Some(&0xBE) => ("&#xFFFE;", 3),
            0xEF if b.get(i + 1) == Some(&0xBF) && b.get(i + 2) == Some(&0xBF) => ("&#xFFFF;", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        // `run..i` and `i + len..` lie on char boundaries: the bytes matched
        // above are ASCII or a whole three-byte character.
        out.push_str(&s[run..i]);
        out.push_str(rep);
        i += len;
        run = i;
    }
    out.push_str(&s[run..]);
}

/// Character references for U+0000..U+001F, then U+007F.
const CONTROL_REFS: [&str; 33] = [
    "&#x0;", "&#x1;", "&#x2;", "&#x3;", "&#x4;", "&#x5;", "&#x6;", "&#x7;", "&#x8;", "&#x9;", "&#xA;", "&#xB;",
    "&#xC;", "&#xD;", "&#xE;", "&#xF;", "&#x10;", "&#x11;", "&#x12;", "&#x13;", "&#x14;", "&#x15;", "&#x16;", "&#x17;",
    "&#x18;", "&#x19;", "&#x1A;", "&#x1B;", "&#x1C;", "&#x1D;", "&#x1E;", "&#x1F;", "&#x7F;",
];

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

    /// A writer whose buffer starts with room for `bytes`.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut x = Self::new();
        x.0.reserve(bytes);
        x
    }

    /// The document so far, for a caller that writes a run of markup itself
    /// (text through `escape_into`; digits and dates need no escaping).
    pub fn raw(&mut self) -> &mut String {
        &mut self.0
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
        escape_into(&mut self.0, text);
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
    escape_into(&mut x.0, region);
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
